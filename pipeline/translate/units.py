"""The pool's vocabulary: a unit of work (the one record of a segment's translation), its
outcome, one request attempt, the settings."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Protocol

from pipeline import errors
from pipeline.languages import Language
from pipeline.translate.backend import Sampling, TermPair
from pipeline.translate.budget import Budget
from pipeline.translate.limiter import Clock

if TYPE_CHECKING:
    from pipeline.translate.backend import MediaRequest
    from pipeline.translate.model_server import InFlight

# How a unit ended, as reported per segment.
TRANSLATED = "translated"   # checked and clean
REPAIRED = "repaired"       # tags repaired (never cached)
FALLBACK = "fallback"       # translation unusable twice: source text kept
FAILED = "failed"           # the service refused the segment: source text kept


# How a unit is answered: sent, or from memory (pipeline.memory.lookup decides).
REQUEST, CACHE, TM, HUMAN, COMMITTED = "request", "cache", "tm", "human", "committed"


@dataclass
class Unit:
    """One (segment text, language) from plan to journal: the one record of its life.

    The plan makes it (:meth:`pipeline.memory.lookup.MemoryLookup.plan`: once per text and
    language in a run, so every file asking for the same text shares it), with the cache
    key its answer is stored under; the pool carries it in a request and settles it; the
    journal, the pool's only observer, is told once when it is settled and stores the
    answer under that key. A unit answered from memory is never sent (``outcome`` set
    by the plan). A piece of a split segment, or a unit made without a plan, has no
    ``cache_key``: its answer is never stored alone.

    A media piece (``media`` set) is the same record: its ``cache_key`` is the piece's
    identity, bound to the engine that answers by :func:`pipeline.ledger.store.media_key`.
    """

    text: str
    target: Language
    terms: tuple[TermPair, ...] = ()
    tm_list: tuple[TermPair, ...] = ()
    origin: str = ""            # the file that first asked for it (ledger attribution)
    cache_key: str = ""         # where its answer is stored ("": never stored)
    fingerprint: str = ""       # the settings digest (everything but tm_list): TM rows, lock files
    norm: str = ""              # the normalized source text (the TM's exact-match column)
    source: str = REQUEST       # request | cache | tm | human | committed
    outcome: "Outcome | None" = None    # set by the plan (memory) or by the pool (settled)
    media: "MediaRequest | None" = None  # a media piece: sent to LiveTranslate, not as text
    seconds: float = 0.0        # a media piece's audio length (its ledger row's audio tokens)
    #: What the model is told about where the text is used (a string's key and comments;
    #: engine llm only). Not part of the key: one text, one translation, whichever string
    #: asked first (the cache and memory are keyed by text too).
    context: str = ""

    @property
    def key(self) -> tuple[object, ...]:
        """The pool's identity of this unit: identical units share one request and one future."""
        if self.media is not None:
            return ("media", self.cache_key, self.target.code)
        return (self.text, self.target.code, self.terms, self.tm_list)

    @property
    def sent(self) -> bool:
        """Whether it is answered by a request (not from memory)."""
        return self.source == REQUEST


@dataclass(frozen=True)
class Outcome:
    """How a unit ended. Tokens are not here: the ledger (one row per request) has them."""

    text: str                   # what to write: the translation, or the source
    status: str
    reason: str = ""
    engine: str = ""            # who produced the text (pipeline.provenance)
    speech: bytes = b""         # a media piece's dubbed speech (PCM16 mono 24 kHz)


@dataclass(frozen=True)
class Attempt:
    """One request as the ledger records it.

    A packed request serves several files: ``shares`` gives each origin file its
    fraction of the request (by source tokens), so per-file cost stays right.
    """

    origin: str
    target_lang: str
    model: str
    request_id: str | None
    prompt_tokens: int
    completion_tokens: int
    status: str                 # "ok", "length", or the error class name
    latency: float
    attempt: int
    segments: int = 1
    shares: tuple[tuple[str, float], ...] = ()
    engine: str = ""            # who answered (or refused) the request
    key: str = ""               # the journal's id of this request (its "pending" row)
    estimated: bool = False     # completion tokens are qmt's estimate: the usage never arrived
    audio_tokens: int = 0       # a media request's billed input audio (of prompt_tokens)
    video_tokens: int = 0       # ... and visual tokens

    def by_origin(self) -> list[tuple[str, float]]:
        return list(self.shares) or [(self.origin, 1.0)]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    initial: float = 1.0
    max_wait: float = 60.0


@dataclass
class PoolSettings:
    model: str
    source_lang: Language | None
    sampling: Sampling = field(default_factory=Sampling)
    domains: str = ""
    concurrency: int = 4
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_segment_tokens: int = 2000   # longer segments are split at sentence boundaries
    rpm: int | None = None           # requests per minute (None: not paced)
    tpm: int | None = None           # tokens per minute, prompt plus completion
    rate_window: float = 60.0        # the limiter's "minute" (shrunk by benchmarks)
    pack_tokens: int = 0             # source tokens per packed request (0: one segment each)
    pack_max_segments: int = 40
    budget: "Budget | None" = None   # stop before the request that would cross it
    outage_seconds: float = 300.0    # no success this long after a request gave up: stop the job
    clock: Clock = field(default_factory=Clock)   # pacing, backoff and the outage clock (tests: virtual)
    # A model server's pace (pipeline.translate.model_server): the gate of requests in
    # flight, and the pack ceiling in source tokens its speed allows (None: none).
    in_flight: "InFlight | None" = None
    pack_ceiling: Callable[[], int | None] | None = None


@dataclass
class PoolStats:
    requests: int = 0               # requests sent, retries included
    packed_requests: int = 0        # of which carried more than one segment and were answered
    packed_segments: int = 0        # segments taken from packed answers
    batch_splits: int = 0           # batches split in halves (a refused segment, or an answer that kept nothing)
    misaligned: int = 0             # segments of packed answers not provably aligned (sent again)
    resent_segments: int = 0        # of which sent again as the misaligned part of a salvaged answer
    piece_retries: int = 0          # pieces of a good batch re-requested alone (bad tags)
    requeued: int = 0               # requests that used up their attempts and went back in the queue


class PoolObserver(Protocol):
    """What the pool tells its one observer (the run's journal, :mod:`pipeline.ledger.journal`).

    Nothing flows back but one refusal: :meth:`record_send` raises
    :class:`~pipeline.errors.StateWriteFailed` when the request cannot be journaled, and
    the request is not sent."""

    def record_send(self, attempt: Attempt) -> None:
        """A request about to be sent (status ``pending``)."""

    def record_attempt(self, attempt: Attempt) -> None:
        """A request answered, or failed (billed or not)."""

    def settled(self, unit: Unit) -> None:
        """``unit`` has its outcome: told once per unit."""


PENDING = "pending"             # journaled before sending; replaced when the outcome is known


class JobStopped(errors.QmtError):
    """The pool stopped on a fatal service error; this unit was never sent."""
