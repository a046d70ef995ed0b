"""Per-model rate limits over a sliding minute, and latency, both on a scaled clock.

The real service limits each model per account: requests per minute (RPM) and tokens
per minute (TPM, prompt plus completion). Benchmarks cannot wait real minutes, so one
``time_scale`` factor shrinks the minute and every latency together: with
``time_scale=0.1`` a "minute" lasts 6 s and a 2 s latency lasts 0.2 s, so a client's
throughput relative to the limits is what it would be at full scale.
"""
from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from types import EllipsisType
from typing import Callable

WINDOW_SECONDS = 60.0

LimitValue = int | dict[str, int] | None
#: A limit to set, or ``...``: leave it as it is.
LimitChange = LimitValue | EllipsisType


def limit_for(value: LimitValue, model: str) -> int | None:
    """A limit given as one number for all models, or per model (missing: unlimited)."""
    if isinstance(value, dict):
        return value.get(model)
    return value


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request was refused and how long (real seconds) until it would pass."""

    kind: str  # "429" (RPM), "tpm" or "burst" (RPS); keys of faults.ERRORS
    retry_after: float


class QuotaWindows:
    """Sliding-window RPM and TPM per model. Admitted requests use the window;
    refused ones do not (a refused request costs the client nothing but time)."""

    def __init__(self, rpm: LimitValue = None, tpm: LimitValue = None, time_scale: float = 1.0,
                 clock: Callable[[], float] = time.monotonic, rps: LimitValue = None):
        self.rpm = rpm
        self.tpm = tpm
        self.rps = rps
        self.time_scale = time_scale
        self._clock = clock
        self._events: dict[str, deque[tuple[float, int]]] = {}
        self._lock = threading.Lock()

    @property
    def window(self) -> float:
        return WINDOW_SECONDS * self.time_scale

    def configure(self, *, rpm: LimitChange = ..., tpm: LimitChange = ..., rps: LimitChange = ...,
                  time_scale: float | None = None) -> None:
        with self._lock:
            if rpm is not ...:
                self.rpm = rpm
            if tpm is not ...:
                self.tpm = tpm
            if rps is not ...:
                self.rps = rps
            if time_scale is not None:
                self.time_scale = time_scale

    def reset(self) -> None:
        with self._lock:
            self._events.clear()

    def admit(self, model: str, tokens: int) -> Refusal | None:
        """Record the request if it fits both limits, else say when it would."""
        now = self._clock()
        with self._lock:
            events = self._events.setdefault(model, deque())
            while events and events[0][0] <= now - self.window:
                events.popleft()
            refusal = (self._check_rps(model, events, now) or self._check_rpm(model, events, now)
                       or self._check_tpm(model, events, now, tokens))
            if refusal is None:
                events.append((now, tokens))
            return refusal

    def _check_rps(self, model: str, events: deque[tuple[float, int]], now: float) -> Refusal | None:
        """Too many requests within one (scaled) second: the service's burst refusal."""
        limit = limit_for(self.rps, model)
        if limit is None:
            return None
        second = self.time_scale
        recent = [stamp for stamp, _ in reversed(events) if stamp > now - second][::-1]
        if len(recent) < limit:
            return None
        return Refusal("burst", max(recent[len(recent) - limit] + second - now, 0.0))

    def _check_rpm(self, model: str, events: deque[tuple[float, int]], now: float) -> Refusal | None:
        limit = limit_for(self.rpm, model)
        if limit is None or len(events) < limit:
            return None
        # The request fits once the oldest requests beyond the limit leave the window.
        leaving = events[len(events) - limit][0]
        return Refusal("429", max(leaving + self.window - now, 0.0))

    def _check_tpm(self, model: str, events: deque[tuple[float, int]], now: float, tokens: int) -> Refusal | None:
        limit = limit_for(self.tpm, model)
        used = sum(t for _, t in events)
        # A request larger than the whole budget passes on an empty window, or it could
        # never pass at all; the real service's behaviour there is undocumented.
        if limit is None or used + tokens <= limit or not events:
            return None
        freed = 0
        for stamp, t in events:
            freed += t
            if used - freed + tokens <= limit:
                return Refusal("tpm", max(stamp + self.window - now, 0.0))
        return Refusal("tpm", self.window)


def retry_after_header(seconds: float, time_scale: float) -> str:
    """Retry-After value: whole seconds at full scale, decimals when time is scaled
    (a 0.3 s wait rounded up to 1 s would distort benchmarks)."""
    if time_scale >= 1.0:
        return str(max(1, math.ceil(seconds)))
    return f"{max(seconds, 0.001):.3f}"


class Latency:
    """Time before the first byte: fixed, or lognormal around ``mean_ms`` when
    ``sigma`` > 0 (seeded), then scaled by ``time_scale``."""

    def __init__(self, mean_ms: float = 0.0, sigma: float = 0.0, time_scale: float = 1.0, seed: int | None = None,
                 per_token_ms: float = 0.0):
        self.mean_ms = mean_ms
        self.sigma = sigma
        # Generation time: a real model's latency grows with the output it writes.
        self.per_token_ms = per_token_ms
        self.time_scale = time_scale
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def sample(self, output_tokens: int = 0) -> float:
        """Seconds to wait for one request writing ``output_tokens``."""
        generation = output_tokens * self.per_token_ms / 1000.0 * self.time_scale
        return self._first_byte() + generation

    def _first_byte(self) -> float:
        if self.mean_ms <= 0:
            return 0.0
        if self.sigma <= 0:
            return self.mean_ms / 1000.0 * self.time_scale
        # Choose mu so that the distribution's mean is mean_ms.
        mu = math.log(self.mean_ms) - self.sigma**2 / 2
        with self._lock:
            ms = self._rng.lognormvariate(mu, self.sigma)
        return ms / 1000.0 * self.time_scale
