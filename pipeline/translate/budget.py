"""A spending limit for one run: stop before the request that would cross it.

Before each request the sender reserves its estimated cost (prompt tokens as billed,
plus the expected output); if what was spent plus what is reserved plus this request
would pass the budget, the request is not sent and the run stops with
:class:`~pipeline.errors.BudgetExceeded`. When the answer arrives the reservation is
replaced by what the service billed.
"""
from __future__ import annotations

from dataclasses import dataclass

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

    def reserve(self, prompt: int, completion: int) -> Reserved:
        """Take room for a request, or raise BudgetExceeded without sending it."""
        tokens, usd = prompt + completion, self._usd(prompt, completion)
        if self.max_tokens is not None and self.spent_tokens + self.reserved_tokens + tokens > self.max_tokens:
            raise BudgetExceeded(
                f"token budget of {self.max_tokens} reached: {self.spent_tokens} tokens spent, "
                f"the next request would need about {tokens} more")
        if self.max_usd is not None and self.spent_usd + self.reserved_usd + usd > self.max_usd:
            raise BudgetExceeded(
                f"budget of ${self.max_usd:.4f} reached: ${self.spent_usd:.4f} spent, "
                f"the next request would cost about ${usd:.4f} more")
        self.reserved_tokens += tokens
        self.reserved_usd += usd
        return Reserved(prompt, completion)

    def settle(self, reserved: Reserved, prompt: int, completion: int) -> None:
        self.reserved_tokens -= reserved.prompt + reserved.completion
        self.reserved_usd -= self._usd(reserved.prompt, reserved.completion)
        self.spent_tokens += prompt + completion
        self.spent_usd += self._usd(prompt, completion)

    def _usd(self, prompt: int, completion: int) -> float:
        return prompt * self.usd_in_per_token + completion * self.usd_out_per_token
