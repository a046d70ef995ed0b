"""The pool's vocabulary: a unit of work, its outcome, one request attempt, the settings."""
from __future__ import annotations

from dataclasses import dataclass, field

from pipeline import errors
from pipeline.languages import Language
from pipeline.translate.backend import Sampling, TermPair
from pipeline.translate.budget import Budget
from pipeline.translate.limiter import Clock

# How a unit ended, as reported per segment.
TRANSLATED = "translated"   # checked and clean
REPAIRED = "repaired"       # tags repaired (never cached)
FALLBACK = "fallback"       # translation unusable twice: source text kept
FAILED = "failed"           # the service refused the segment: source text kept


@dataclass(frozen=True)
class Unit:
    """One segment text to translate into one language, with what travels with it."""

    text: str
    target: Language
    terms: tuple[TermPair, ...] = ()
    tm_list: tuple[TermPair, ...] = ()
    origin: str = ""            # the file that first asked for it (ledger attribution)
    #: What the model is told about where the text is used (a string's key and comments;
    #: engine llm only). Not part of the key: one text, one translation, whichever string
    #: asked first (the cache and memory are keyed by text too).
    context: str = ""

    @property
    def key(self) -> tuple[str, str, tuple[TermPair, ...], tuple[TermPair, ...]]:
        return (self.text, self.target.code, self.terms, self.tm_list)


@dataclass(frozen=True)
class Outcome:
    """How a unit ended. Tokens are not here: the ledger (one row per request) has them."""

    text: str                   # what to write: the translation, or the source
    status: str
    reason: str = ""
    engine: str = ""            # who produced the text (pipeline.provenance)


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


PENDING = "pending"             # journaled before sending; replaced when the outcome is known


class JobStopped(errors.QmtError):
    """The pool stopped on a fatal service error; this unit was never sent."""
