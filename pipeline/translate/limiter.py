"""Client-side pacing: stay under the account's requests and tokens per minute.

Qwen-MT limits each model per account (e.g. 60 requests and 35,000-100,000 tokens a
minute). Without pacing, concurrent workers send a burst, collect 429s, back off and
burst again: a 429 storm. :class:`RateLimiter` is shared by every worker of a run:

* requests are spaced evenly (``window / rpm`` apart), since the service may also
  enforce the limit per second and punishes bursts ("Request rate increased too quickly");
  a slot missed by less than one spacing is kept, so two requests may follow each other
  once after a pause, never more;
* tokens (prompt plus completion) are kept under ``tpm`` over a sliding window, with
  each request's tokens estimated before it is sent and corrected from ``usage`` after;
* a 429 pauses everyone until its Retry-After and lowers both rates multiplicatively;
  each success then raises them a little, back to the configured limits (AIMD). The
  rates are lowered once per burst of 429s, not once per 429: the requests in flight
  when the first 429 came were all paced at the old rate, and their 429s say nothing
  the first did not (several of them at once would otherwise compound the cut, 0.7 to
  the power of the requests in flight, and the run would idle for a good part of a
  minute after one crowded moment: issue 28's stall). See DECREASE and INCREASE below.

``window`` is 60 s in production; benchmarks shrink it together with the emulator's
minute so that ratios, not wall time, are what they measure. Time is read and waited
through a :class:`Clock`: the real one in a run, a virtual one in tests (so that no test
waits out a minute or depends on how fast the machine is).
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Awaitable, Callable

# Pace a little under the limits, by what each margin covers (each point of margin is a
# point of the quota a long run never uses, so they are as small as their causes):
# * SAFETY, on the budget: the completion tokens of requests in flight are estimates
#   (learned per language from usage, so a few percent off at most) until usage settles them.
# * the expiry margin, on the window: the service counts a request when it arrives, a
#   little after we reserved it, so it must leave our window a little after it leaves
#   the service's. The gap is the time from reservation to arrival (a journal write and
#   the send: milliseconds), so the margin is half a percent of the window, never under
#   EXPIRY_FLOOR seconds (a scaled minute of a few seconds still meets real latencies).
SAFETY = 0.98
EXPIRY_MARGIN = 0.005
EXPIRY_FLOOR = 0.05
# ... unless the service says otherwise: a 429 with a Retry-After for a request our window
# admitted means the service's window holds its requests longer than ours (on a loaded
# machine the journal write, the event loop and the send put tens of milliseconds between
# our count and its arrival: issue 28 measured 17-25 token refusals a run on a 12 s
# minute, each a pause and a cut). The margin then grows to that Retry-After, up to
# LAG_CAP of the window (a point of the quota a run never uses, at the most).
LAG_CAP = 0.02
# Rate factor after a 429. A cut of a sliding window admits nothing until the window has
# drained to the new budget, and no answer comes back meanwhile to make it good: at the
# limit, a cut to 0.7 stopped the run for 30% of a minute (issue 28: 2.9 s of a 12 s
# minute after one 429, three such minutes in a run). A cut to 0.9 stops it for a tenth;
# a limit truly lower than the configured one still throttles again and is cut again.
DECREASE = 0.9
# Factor regained per success: a cut (x0.9) is made good in 2 answers (x0.7 in 6), seconds at
# the documented 60 requests a minute. At 0.02 (15 answers, a third of a minute at the
# pace of packs of 2,000 tokens) throttles that come now and then whatever the pace
# (the emulator's realistic profile: 1.5% of requests) kept the rate well under the
# limits: issue 28 measured minutes at 40% of the token limit, the factor down to 0.36.
# A limit truly lower than the configured one still shows: it throttles again at once.
INCREASE = 0.05
MIN_FACTOR = 0.2


@dataclass(frozen=True)
class Clock:
    """Where pacing reads the time and waits: the monotonic clock and ``asyncio.sleep``
    in a run; a test passes virtual time (``now`` that ``sleep`` advances)."""

    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


@dataclass
class Reservation:
    """One admitted request's place in the token window (its tokens get corrected)."""

    at: float
    tokens: int


@dataclass
class LimiterStats:
    throttled: int = 0          # 429s reported to the limiter
    factor_min: float = 1.0     # lowest rate factor reached


@dataclass
class RateLimiter:
    rpm: int | None
    tpm: int | None
    window: float = 60.0
    clock: Clock = field(default_factory=Clock)
    factor: float = 1.0                 # the token rate's share, lowered by 429s, regained by answers
    request_factor: float = 1.0         # the request rate's (a throttle names the limit it enforces)
    stats: LimiterStats = field(default_factory=LimiterStats)
    _events: deque[Reservation] = field(default_factory=deque)
    _next_slot: float = 0.0
    _paused_until: float = 0.0
    _lowered_at: float = float("-inf")  # when the rates were last lowered (a 429)
    lag: float = 0.0                    # learned from 429s: how much later the service's window lets go
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def acquire(self, tokens: int) -> Reservation:
        """Wait until a request of ``tokens`` fits, then take its place (FIFO)."""
        async with self._lock:
            while (delay := self._delay(tokens)) > 0:
                await self.clock.sleep(delay)
            now = self.clock.now()
            reservation = Reservation(now, tokens)
            self._events.append(reservation)
            if self.rpm:
                spacing = self.window / (self.rpm * self.request_factor * SAFETY)
                # A slot missed by less than one spacing is kept (the next request may follow
                # at once): a window then holds one request more than its even spacing, which
                # SAFETY leaves room for, and the run does not lose a slot each time a
                # request comes a little late (issue 28: with packs of short segments, whose
                # requests bill little more than TPM / RPM, every lost slot lowered the rate).
                self._next_slot = max(now - spacing, self._next_slot) + spacing
        return reservation

    @property
    def horizon(self) -> float:
        """Seconds a reservation stays in our window: the window plus the expiry margin
        (or the lag learned from 429s, when longer)."""
        return self.window + max(self.window * EXPIRY_MARGIN, EXPIRY_FLOOR, self.lag)

    def leaving(self, reservation: Reservation) -> None:
        """The request leaves now (journaled, built): its place in the window starts here,
        not when it was admitted, so it leaves our window no sooner than the service's
        even when the machine is slow between the two (issue 28: on a loaded machine the
        gap outgrew the expiry margin of a scaled minute, and the service refused the
        next request)."""
        reservation.at = max(reservation.at, self.clock.now())

    def settle(self, reservation: Reservation, actual_tokens: int) -> None:
        """Replace the estimate with what the service billed."""
        reservation.tokens = actual_tokens

    def succeeded(self) -> None:
        self.factor = min(1.0, self.factor + INCREASE)
        self.request_factor = min(1.0, self.request_factor + INCREASE)

    def throttled(self, retry_after: float | None, reservation: Reservation | None = None,
                  limit: str | None = None) -> None:
        """A 429: pause everyone until Retry-After (or one spacing), and slow down, unless
        the refused request (its ``reservation``) was admitted before the rates were last
        lowered: it was paced at the old rate, and that cut already answered it.

        ``limit`` is the one the service named ("requests", "tokens"; None: both), and only
        that rate is lowered. Why: a cut of the token rate admits nothing until the window
        has drained to the new budget, a tenth of a minute at the limit, so a request-rate
        throttle (Throttling.RateQuota) that also cut the tokens stopped a token-bound run
        for seconds to slow a rate that was not the one exceeded (issue 28: the docs site's
        one 5.3 s stall a run, and its minutes at 84%)."""
        self.stats.throttled += 1
        now = self.clock.now()
        if retry_after and reservation is not None:   # our window admitted it; the service's did not yet
            self.lag = min(self.window * LAG_CAP, max(self.lag, retry_after))
        if reservation is None or reservation.at > self._lowered_at:
            if limit != "requests":
                self.factor = max(MIN_FACTOR, self.factor * DECREASE)
            if limit != "tokens":
                self.request_factor = max(MIN_FACTOR, self.request_factor * DECREASE)
            self.stats.factor_min = min(self.stats.factor_min, self.factor, self.request_factor)
            self._lowered_at = now
        pause = retry_after if retry_after else (self.window / self.rpm if self.rpm else 1.0)
        self._paused_until = max(self._paused_until, now + pause)

    def _delay(self, tokens: int) -> float:
        now = self.clock.now()
        horizon = self.horizon
        while self._events and self._events[0].at <= now - horizon:
            self._events.popleft()
        waits = [self._paused_until - now, self._next_slot - now]
        if self.tpm and self._events:
            budget = self.tpm * self.factor * SAFETY
            used = sum(e.tokens for e in self._events)
            if used + tokens > budget:
                waits.append(self._time_until_free(used + tokens - budget, now))
        return max(waits)

    def _time_until_free(self, excess: float, now: float) -> float:
        """Seconds until the oldest requests leave the window and free ``excess`` tokens."""
        freed = 0
        for event in self._events:
            freed += event.tokens
            if freed >= excess:
                return event.at + self.horizon - now + 1e-3
        return self.window
