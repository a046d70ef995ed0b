"""A spending limit for one run: stop before the request that would cross it.

Before each request the sender reserves its estimated cost (prompt tokens as billed,
plus the expected output). If what was spent plus what is reserved plus this request
would pass the budget, it waits for the requests in flight to settle (their real cost
is often below the estimate); once nothing else is in flight and the request still does
not fit, it is not sent and the run stops with :class:`~pipeline.errors.BudgetExceeded`.
When an answer arrives its reservation is replaced by what the service billed.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from pipeline.errors import BudgetExceeded


@dataclass
class Reserved:
    prompt: int
    completion: int


@dataclass
class Budget:
    max_usd: float | None = None
    max_tokens: int | None = None
    usd_in_per_token: float = 0.0
    usd_out_per_token: float = 0.0
    spent_tokens: int = 0
    spent_usd: float = 0.0
    reserved_tokens: int = 0
    reserved_usd: float = 0.0
    in_flight: int = 0
    _settled: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def reserve(self, prompt: int, completion: int) -> Reserved:
        """Take room for a request (waiting for requests in flight if need be), or raise
        BudgetExceeded without sending it."""
        async with self._settled:
            while (problem := self._crossing(prompt, completion)) is not None:
                if self.in_flight == 0:
                    raise BudgetExceeded(problem)
                await self._settled.wait()
            self.reserved_tokens += prompt + completion
            self.reserved_usd += self._usd(prompt, completion)
            self.in_flight += 1
        return Reserved(prompt, completion)

    async def settle(self, reserved: Reserved, prompt: int, completion: int) -> None:
        async with self._settled:
            self.reserved_tokens -= reserved.prompt + reserved.completion
            self.reserved_usd -= self._usd(reserved.prompt, reserved.completion)
            self.in_flight -= 1
            self.spent_tokens += prompt + completion
            self.spent_usd += self._usd(prompt, completion)
            self._settled.notify_all()

    def _crossing(self, prompt: int, completion: int) -> str | None:
        tokens, usd = prompt + completion, self._usd(prompt, completion)
        if self.max_tokens is not None and self.spent_tokens + self.reserved_tokens + tokens > self.max_tokens:
            return (f"token budget of {self.max_tokens} reached: {self.spent_tokens} tokens spent, "
                    f"the next request would need about {tokens} more")
        if self.max_usd is not None and self.spent_usd + self.reserved_usd + usd > self.max_usd:
            return (f"budget of ${self.max_usd:.4f} reached: ${self.spent_usd:.4f} spent, "
                    f"the next request would cost about ${usd:.4f} more")
        return None

    def _usd(self, prompt: int, completion: int) -> float:
        return prompt * self.usd_in_per_token + completion * self.usd_out_per_token
