"""Model servers as they are (``engine = "llm"``): learn a server's slots and speed, and fit
requests in flight, pack size and timeout to them.

A local model server (llama.cpp's, Ollama, vLLM on one GPU) answers a few requests at a
time (its *slots*) and queues the rest; a small model on a CPU makes about ten output
tokens a second. Eight requests in flight against one slot wait in the server's queue
until their timeout, and a pack of a thousand output tokens needs more than the default
two minutes. :class:`ServerPace` is what the run knows about the server and the one
place its rules live:

* **Slots.** From the server's properties endpoint where it has one (llama.cpp's
  ``GET /props``: ``total_slots``; else ``GET /slots``: one entry per slot), read once
  before anything is sent (:func:`read_slots`). An OpenAI-compatible ``/v1/models`` says
  nothing about parallelism, so a server without such an endpoint is *probed*: one
  request in flight first, one more after every :data:`PROBE_ANSWERS` answers as long as
  each request stays as fast as alone (per-request output tokens a second at least
  :data:`KEEP` of the single request's), and one back, for good, as soon as one does not
  (the extra request waited in a queue).
* **Requests in flight** (:class:`InFlight`, the gate the sender passes before each
  request): the server's slots when it says how many; probed as above when it does not;
  the job's ``concurrency`` when the user set it (``[run] concurrency`` or
  ``--concurrency``: their word is kept, even above the slots). Never more than the
  job's ``concurrency`` (default 8) in any case.
* **Speed.** Output tokens a second and prompt tokens a second, from llama.cpp's
  ``timings`` in each answer where the server sends them (the prompt rate once a prompt
  of at least 16 uncached tokens was timed; until then :data:`PROMPT_GUESS` times the
  output rate), else from the wall time of the answer (one rate for both). A server
  with a properties endpoint is local: before the run, one short calibration request (a
  sentence, at most :data:`CALIBRATION_TOKENS` output tokens) measures it, so the first
  packs already fit; the same request for one output token goes first, unobserved, so
  that the system prompt is in the server's cache as it is for the run's requests (see
  Pack size). The calibration speaks for a moment of the server: a small job is planned
  whole before any answer, and the pool lets planned packs grow to the ceiling learned
  since (:mod:`pipeline.translate.pool`). A server without one is
  never sent a request the ledger does not see: its speed is learned from the run's own
  answers.
* **Pack size**: a pack's expected time at the learned speed (its prompt, and its
  output at the learned output/source ratio) is at most :data:`FILL` of the timeout, so
  a slower answer than expected still ends in time (:meth:`ServerPace.pack_tokens`, the
  ceiling of the run's :class:`~pipeline.translate.pack_size.PackSizer`). The system
  prompt counts in that time only as far as the server processes it again: llama.cpp
  keeps a slot's last prompt and says how much of the next it took from there
  (``timings.cache_n``), which for a run's requests is the whole system prompt. (Issue
  28: charged in full, ~210 tokens at the speed one calibration answer measured on a
  loaded machine, it took 48 of the 60 s a pack may take, so every pack of the run was
  one segment, where the same server's next run, calibrated at twice the speed, packed
  three: the ceiling moved six times as much as the speed.)
* **Output bound**: on a server that announces its slots (a local one), a request the
  job sets no ``max_tokens`` for asks for at most :data:`OUTPUT_FILL` of what the server
  makes in the request's time bound at the learned speed (:meth:`ServerPace.max_output`), so a model that runs on (repeating
  itself, or writing until its context is full) stops with ``finish_reason`` "length"
  inside the bound, and the pool splits the pack or asks again, instead of a request
  that waits out its timeout. (Issue 28: a pack of four paragraphs that should take 20 s
  ran past the 120 s timeout on a quiet machine; llama.cpp's default output is unbounded.)
  A real translation needs a small part of it: the bound is at least twice the expected time.
* **Timeout**: ``[run] timeout`` set by the user is a hard bound on every request, the
  whole of it, streaming included (packs are fitted into it). Left at its default, it is
  the bound unless a request's expected time at the learned speed needs more: then
  :data:`SLACK` times that (:meth:`ServerPace.timeout_for`), so a long segment on a slow
  model is not killed while it is progressing. A request that times out before any
  speed is known says the server is at most that fast; what follows is sized from that.

Every number comes from observations passed in (:meth:`ServerPace.observe`): the same
observations give the same decisions. The run prints :meth:`ServerPace.summary` once
(``model server: 1 slot, ~12 tokens/s; 1 request in flight, packs of up to 600 source
tokens, timeout 120 s``).
"""
from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Any

import httpx2

FILL = 0.5               # a pack's expected time: at most this share of the timeout
SLACK = 2.0              # default timeout: at least this many times a request's expected time
KEEP = 0.75              # probing: another request in flight is kept while each stays this fast
PROBE_ANSWERS = 3        # answers at one level before probing the next
CALIBRATION_TOKENS = 128  # the calibration request's output at most (a sentence needs ~30)
CALIBRATION_TEXT = "Open the settings file, change the folder name and save your changes before you restart the app."
RATE_WEIGHT = 0.3        # weight of a new observation in the running rates
MIN_PACK_TOKENS = 16     # a pack ceiling never goes below this many source tokens
PROPS_TIMEOUT = 5.0      # seconds for the properties endpoint to answer
# Prompt tokens a second per output token a second, until a prompt long enough to time
# comes back (llama.cpp serves a repeated system prompt from its cache): on two loaded
# cores, 7-11 prompt against 2-5 output tokens a second (2026-12); on a quiet machine more.
PROMPT_GUESS = 2.0
OUTPUT_FILL = 0.9         # the output bound: this share of what the server makes in the request's time bound


@dataclass(frozen=True)
class PaceSettings:
    """What the job says, as the run passes it in (translate never reads a job file)."""

    concurrency: int                 # [run] concurrency: the cap on requests in flight
    timeout: float                   # [run] timeout, seconds
    concurrency_given: bool = False  # the user set it: kept as is
    timeout_given: bool = False      # the user set it: a hard bound


class InFlight:
    """The gate of requests in flight: ``async with gate:`` around each request; the limit
    can change while requests wait (raised: waiters go at once; lowered: new ones wait)."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.active = 0
        self._changed = asyncio.Condition()

    async def __aenter__(self) -> "InFlight":
        async with self._changed:
            await self._changed.wait_for(lambda: self.active < self.limit)
            self.active += 1
        return self

    async def __aexit__(self, *exc: object) -> None:
        async with self._changed:
            self.active -= 1
            self._changed.notify_all()

    async def set_limit(self, limit: int) -> None:
        async with self._changed:
            self.limit = max(1, limit)
            self._changed.notify_all()


@dataclass(frozen=True)
class Observation:
    """One answer as the pace learns from it."""

    source_tokens: int           # the request's text (packed texts included)
    prompt_tokens: int           # the prompt as sent
    completion_tokens: int
    seconds: float               # wall time of the request, the wait in a server queue included
    in_flight: int               # requests in flight when it was sent, itself included
    prompt_per_second: float | None = None     # the server's own timings, where it sends them
    predicted_per_second: float | None = None
    cached_tokens: int | None = None           # prompt tokens it took from its cache (llama.cpp: cache_n)


class ServerPace:
    """What the run knows about the model server, and the rules that follow from it."""

    def __init__(self, settings: PaceSettings, slots: int | None) -> None:
        self.settings = settings
        self.slots = slots
        self.output_rate: float | None = None     # output tokens a second, one request alone
        self.prompt_rate: float | None = None     # prompt tokens a second (None: inside output_rate)
        self.output_ratio = 1.0                   # output tokens per source token (the first answer's, then blended)
        self._probing = not settings.concurrency_given and slots is None
        self._alone: list[float] = []             # per-request wall rates at one in flight
        self._level: list[float] = []             # ... at the level being probed
        self.overhead = 0                          # prompt tokens of a request besides its text
        self.cached = 0                            # prompt tokens the server took from its cache, last answer
        self._answers = 0                          # answers observed (the first sets the ratio)
        self._timed = False                        # the output rate is the server's own (prompt time apart)
        self.gate = InFlight(self._first_limit())

    def _first_limit(self) -> int:
        s = self.settings
        if s.concurrency_given:
            return s.concurrency
        if self.slots is not None:
            return min(self.slots, s.concurrency)
        return 1

    @property
    def workers(self) -> int:
        """Workers the pool needs: as many as the gate may ever let through."""
        return self.gate.limit if not self._probing else self.settings.concurrency

    # --- the rules --------------------------------------------------------------------

    @property
    def prompt_speed(self) -> float | None:
        """Prompt tokens a second: learned, else :data:`PROMPT_GUESS` times the output rate
        (a server that sends no timings has its prompt time inside the output rate)."""
        if self.prompt_rate:
            return self.prompt_rate
        if self.output_rate is None or not self._timed:
            return None
        return PROMPT_GUESS * self.output_rate

    def expected_seconds(self, prompt_tokens: int, output_tokens: float) -> float | None:
        """A request's expected time at the learned speed (None: not known yet)."""
        if self.output_rate is None:
            return None
        speed = self.prompt_speed
        return (prompt_tokens / speed if speed else 0.0) + output_tokens / self.output_rate

    def timeout_for(self, prompt_tokens: int, source_tokens: int) -> float:
        """The whole-request bound of one request (see the module's rule)."""
        base = self.settings.timeout
        if self.settings.timeout_given:
            return base
        expected = self.expected_seconds(prompt_tokens, source_tokens * self.output_ratio)
        return base if expected is None else max(base, SLACK * expected)

    def max_output(self, prompt_tokens: int, bound: float) -> int | None:
        """Output tokens a request may ask for so that, at the learned speed, it ends
        within ``bound`` seconds (see the module's rule); None: no speed known yet."""
        if self.output_rate is None:
            return None
        speed = self.prompt_speed
        processed = max(0, prompt_tokens - self.cached)
        seconds = bound - (processed / speed if speed else 0.0)
        return max(MIN_PACK_TOKENS, int(OUTPUT_FILL * self.output_rate * seconds))

    def pack_tokens(self) -> int | None:
        """Source tokens a pack may carry so that its expected time (its prompt, the part
        of the system prompt's :attr:`overhead` the server does not take from its cache,
        and its output) is at most FILL of the timeout; None: no speed known yet."""
        if self.output_rate is None:
            return None
        speed = self.prompt_speed
        per_token = self.output_ratio / self.output_rate + (1 / speed if speed else 0.0)
        processed = max(0, self.overhead - self.cached)
        room = FILL * self.settings.timeout - (processed / speed if speed else 0.0)
        return max(MIN_PACK_TOKENS, int(room / per_token))

    # --- learning ---------------------------------------------------------------------

    def observe(self, seen: Observation) -> int | None:
        """Learn from one answer; returns the new limit of requests in flight when it changes."""
        if seen.source_tokens > 0 and seen.completion_tokens > 0:
            ratio = seen.completion_tokens / seen.source_tokens
            self.output_ratio = _blend(self.output_ratio if self._answers else None, ratio)
            self._answers += 1
        if seen.cached_tokens is not None:
            self.cached = seen.cached_tokens
        if seen.prompt_per_second:
            self.prompt_rate = _blend(self.prompt_rate, seen.prompt_per_second)
        if seen.predicted_per_second:
            self.output_rate = _blend(self.output_rate, seen.predicted_per_second)
            self._timed = True
        elif seen.completion_tokens > 0 and seen.seconds > 0 and seen.in_flight <= self.gate.limit:
            if self.slots is None or seen.in_flight <= self.slots:   # a queued answer is not the speed
                self.output_rate = _blend(self.output_rate, seen.completion_tokens / seen.seconds)
        return self._probe(seen) if self._probing else None

    def timed_out(self, prompt_tokens: int, source_tokens: int, seconds: float) -> None:
        """A request got no answer within ``seconds``: the server is at most that fast."""
        ceiling = max(1.0, source_tokens * self.output_ratio) / max(seconds, 1e-3)
        if self.output_rate is None or self.output_rate > ceiling:
            self.output_rate = ceiling
            self.prompt_rate = None

    def _probe(self, seen: Observation) -> int | None:
        """One more request in flight while each stays as fast as alone; one back at the first that does not."""
        if seen.completion_tokens <= 0 or seen.seconds <= 0 or seen.in_flight != self.gate.limit:
            return None
        rate = seen.completion_tokens / seen.seconds
        level = self.gate.limit
        samples = self._alone if level == 1 else self._level
        samples.append(rate)
        if len(samples) < PROBE_ANSWERS:
            return None
        if level > 1 and _median(self._level) < KEEP * _median(self._alone):
            self._probing = False          # the last request in flight waited in a queue: one back, for good
            return level - 1
        if level >= self.settings.concurrency:
            self._probing = False
            return None
        self._level = []
        return level + 1

    # --- saying it --------------------------------------------------------------------

    def summary(self) -> str:
        """One line: what the run learned and what it does about it."""
        if self.slots is not None:
            slots = f"{self.slots} slot{'s' if self.slots != 1 else ''}"
        else:
            slots = "slots not announced (probing requests in flight)" if self._probing else "slots not announced"
        speed = f"~{self.output_rate:.0f} tokens/s" if self.output_rate else "speed not measured yet"
        n = self.gate.limit
        flight = f"{n} request{'s' if n != 1 else ''} in flight"
        if self.settings.concurrency_given:
            flight += " (--concurrency/[run] concurrency)"
        cap = self.pack_tokens()
        packs = f"packs of up to {cap} source tokens" if cap is not None else "packs as configured"
        timeout = f"timeout {self.settings.timeout:g} s" + (
            "" if self.settings.timeout_given else " (longer for a request expected to need more)")
        return f"model server: {slots}, {speed}; {flight}, {packs}, {timeout}"


def _blend(old: float | None, new: float) -> float:
    return new if old is None else old + (new - old) * RATE_WEIGHT


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else math.inf


def server_root(base_url: str) -> str:
    """The server's root from an OpenAI base URL (``http://h:p/v1`` -> ``http://h:p``)."""
    url = base_url.rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


async def read_slots(base_url: str, http_client: httpx2.AsyncClient | None = None) -> int | None:
    """The server's slots from its properties endpoint (llama.cpp: ``/props``'s
    ``total_slots``, else the length of ``/slots``); None when it has neither."""
    root = server_root(base_url)
    client = http_client or httpx2.AsyncClient(timeout=PROPS_TIMEOUT)
    try:
        for path, read in (("/props", _total_slots), ("/slots", _slot_list)):
            try:
                response = await client.get(root + path, timeout=PROPS_TIMEOUT)
                if response.status_code == 200:
                    slots = read(response.json())
                    if slots is not None:
                        return slots
            except (httpx2.HTTPError, ValueError):
                continue
        return None
    finally:
        if http_client is None:
            await client.aclose()


def _total_slots(body: Any) -> int | None:
    value = body.get("total_slots") if isinstance(body, dict) else None
    return value if isinstance(value, int) and value > 0 else None


def _slot_list(body: Any) -> int | None:
    return len(body) if isinstance(body, list) and body else None


__all__ = ["CALIBRATION_TEXT", "CALIBRATION_TOKENS", "FILL", "InFlight", "OUTPUT_FILL", "Observation", "PaceSettings", "SLACK", "ServerPace",
           "read_slots", "server_root"]
