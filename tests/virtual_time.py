"""Virtual time for tests of pacing, backoff and timeouts (``pipeline.translate.limiter.Clock``).

``now()`` starts at 0 and only ``sleep()`` moves it, at once: a test of minutes of pacing
runs in milliseconds, and a loaded machine cannot make anything late, since time passes
only when the code under test decides to wait.
"""
from __future__ import annotations

import asyncio

from pipeline.translate.limiter import Clock


class VirtualTime:
    def __init__(self) -> None:
        self.t = 0.0
        self.slept: list[float] = []      # every wait asked for, in order

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        """Advance time by ``seconds`` and let the other tasks run (time never goes back)."""
        self.slept.append(seconds)
        self.t += max(seconds, 0.0)
        await asyncio.sleep(0)

    @property
    def clock(self) -> Clock:
        return Clock(self.now, self.sleep)
