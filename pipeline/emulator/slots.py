"""The emulator's slot-server mode: a local model server as llama.cpp's runs one.

With ``slots`` set (``EmulatorServer(chat=True, slots=SlotSettings(1, rate=12.0))``, or
``EmulatorConfig.slots``), the generic chat endpoint (``/v1``, engine llm) answers the way
llama.cpp's server does on a small machine:

* **slots**: at most ``slots`` requests are generated at once; the others wait in the
  server's queue, in arrival order, as llama.cpp's do (a client that leaves while
  queued is dropped when its turn comes);
* **speed**: a request takes its prompt tokens at ``prompt_rate`` and its output tokens
  at ``rate`` tokens a second, in emulated seconds (the emulator's ``time_scale`` makes
  them real ones: 0.01 serves a two-minute answer in 1.2 s);
* **prompt cache**: as llama.cpp's slots keep their last prompt, a request whose system
  prompt is the one served last takes it from the cache: only the rest of its prompt is
  processed, and its ``timings`` say so (``cache_n``, ``prompt_n``);
* **timings**: each plain answer carries llama.cpp's ``timings`` object
  (``prompt_per_second``, ``predicted_per_second``, ``cache_n``, ...) in those emulated seconds;
* **properties**: ``GET /props`` answers ``total_slots`` (llama.cpp's ``n_parallel``)
  and ``GET /slots`` one entry per slot, unless ``props`` is off: a server that does not
  say (vLLM, Ollama, a proxy), whose parallelism a client has to find out by itself.

What it saw is counted for tests: the most requests generated at once (``peak``) and the
most waiting (``peak_queued``).
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

PROPS_PATH, SLOTS_PATH = "/props", "/slots"


@dataclass(frozen=True)
class SlotSettings:
    """A slot server's shape: slots, and speed in emulated tokens a second."""

    slots: int
    rate: float = 12.0            # output tokens a second, per slot
    prompt_rate: float = 120.0    # prompt tokens a second, per slot
    props: bool = True            # answer /props and /slots
    cache_prompt: bool = True     # llama.cpp's default: the last system prompt is not processed again

    def __post_init__(self) -> None:
        if self.slots < 1 or self.rate <= 0 or self.prompt_rate <= 0:
            raise ValueError("a slot server needs at least one slot and positive rates")


class SlotServer:
    """Slots, a queue and the speed of one emulated model server."""

    def __init__(self, settings: SlotSettings, time_scale: Callable[[], float]) -> None:
        self.settings = settings
        self._time_scale = time_scale
        self._free: asyncio.Semaphore | None = None     # made in the server's loop
        self.active = self.queued = 0
        self.peak = self.peak_queued = 0
        self.served = 0
        self._last_system = ""      # the system prompt served last (the prompt cache)

    def seconds(self, prompt_tokens: int, completion_tokens: int) -> tuple[float, float]:
        """Emulated seconds of a request's prompt and of its output."""
        return prompt_tokens / self.settings.prompt_rate, completion_tokens / self.settings.rate

    def cached(self, system: str, before_text: int) -> int:
        """Prompt tokens the next request takes from the cache: ``before_text``, the tokens
        before its user text, when its system prompt is the one served last (which is
        then remembered for the next)."""
        hit = self.settings.cache_prompt and bool(system) and system == self._last_system
        self._last_system = system
        return max(0, before_text) if hit else 0

    async def generate(self, prompt_tokens: int, completion_tokens: int,
                       sleep: Callable[[float], Awaitable[bool]], cached: int = 0) -> dict[str, Any] | None:
        """Wait for a slot, then take the request's time in it (``cached`` of its prompt
        tokens come from the cache); its ``timings``, or None if the client left (``sleep``
        returns False)."""
        if self._free is None:
            self._free = asyncio.Semaphore(self.settings.slots)
        if self._free.locked():     # every slot busy: this one waits in the queue
            self.queued += 1
            self.peak_queued = max(self.peak_queued, self.queued)
            try:
                await self._free.acquire()
            finally:
                self.queued -= 1
        else:
            await self._free.acquire()
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            processed = max(0, prompt_tokens - cached)
            prompt_s, output_s = self.seconds(processed, completion_tokens)
            if not await sleep((prompt_s + output_s) * self._time_scale()):
                return None
            self.served += 1
            return _timings(processed, prompt_s, completion_tokens, output_s) | {"cache_n": prompt_tokens - processed}
        finally:
            self.active -= 1
            self._free.release()

    def props(self) -> dict[str, Any]:
        """llama.cpp's ``/props``, the part a client reads."""
        return {"total_slots": self.settings.slots, "default_generation_settings": {"n_ctx": 8192},
                "build_info": "qmt emulator (slot-server mode)"}

    def add_routes(self, app: web.Application) -> None:
        if not self.settings.props:
            return
        app.router.add_get(PROPS_PATH, self._handle_props)
        app.router.add_get(SLOTS_PATH, self._handle_slots)

    async def _handle_props(self, request: web.Request) -> web.Response:
        return web.json_response(self.props())

    async def _handle_slots(self, request: web.Request) -> web.Response:
        return web.json_response([{"id": i, "is_processing": i < self.active} for i in range(self.settings.slots)])


def _timings(prompt_n: int, prompt_s: float, predicted_n: int, predicted_s: float) -> dict[str, Any]:
    """llama.cpp's ``timings`` object (milliseconds and tokens a second)."""
    return {"prompt_n": prompt_n, "prompt_ms": prompt_s * 1000,
            "prompt_per_second": prompt_n / prompt_s if prompt_s > 0 else 0.0,
            "predicted_n": predicted_n, "predicted_ms": predicted_s * 1000,
            "predicted_per_second": predicted_n / predicted_s if predicted_s > 0 else 0.0}


__all__ = ["PROPS_PATH", "SLOTS_PATH", "SlotServer", "SlotSettings"]
