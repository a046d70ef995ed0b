"""The budget: stop before the request that would cross it, and not before."""
from __future__ import annotations

import asyncio

import pytest
from pool_support import Recorder, send_planned

from pipeline.emulator import EmulatorServer
from pipeline.errors import BudgetExceeded
from pipeline.languages import lookup
from pipeline.translate.budget import Budget
from pipeline.translate.pool import TRANSLATED, JobStopped, PoolSettings, RetryPolicy, Unit, WorkerPool
from pipeline.translate.engines import text_backend


async def _let_others_run() -> None:
    """A few turns of the event loop: a task started before has run until it waits (no wall
    time involved, so a loaded machine cannot make it late)."""
    for _ in range(5):
        await asyncio.sleep(0)


def test_reserve_waits_for_in_flight_requests_before_refusing():
    async def go():
        budget = Budget(max_tokens=100)
        first = await budget.reserve(40, 40)          # 80 reserved, estimated high
        second = asyncio.create_task(budget.reserve(30, 0))
        await _let_others_run()
        assert not second.done()                      # would cross while the first is in flight
        await budget.settle(first, 30, 20)            # it cost less than estimated: 50 spent
        reserved = await asyncio.wait_for(second, 30)  # 50 + 30 fits (30 s: a guard against a hang)
        third = asyncio.create_task(budget.reserve(30, 0))
        await _let_others_run()
        assert not third.done()                       # 50 + 30 in flight + 30 > 100: waits ...
        await budget.settle(reserved, 30, 0)          # 80 spent, nothing in flight
        with pytest.raises(BudgetExceeded):           # ... then refuses
            await asyncio.wait_for(third, 30)

    asyncio.run(go())


def test_refusal_names_what_was_spent():
    async def go():
        budget = Budget(max_tokens=100)
        r = await budget.reserve(50, 10)
        await budget.settle(r, 50, 10)
        await budget.reserve(30, 20)

    with pytest.raises(BudgetExceeded, match="token budget of 100 reached: 60 tokens spent"):
        asyncio.run(go())


def run(server, protocol, units, budget, concurrency):
    async def go():
        backend = text_backend(protocol, api_key="sk-budget0123456789abcdef", base_url=server.url_for(protocol),
                               timeout=5)
        settings = PoolSettings(model="qwen-mt-flash", source_lang=lookup("en"), concurrency=concurrency,
                                retry=RetryPolicy(2, 0.01, 0.02), budget=budget)
        async with WorkerPool(backend, settings, Recorder()) as pool:
            results = await asyncio.gather(*send_planned(pool, settings, units), return_exceptions=True)
        await backend.aclose()
        return results

    return asyncio.run(go())


def test_high_concurrency_does_not_stop_a_run_that_fits(protocol):
    units = [Unit(f"Item {i} text.", lookup("de")) for i in range(40)]
    with EmulatorServer(mode="identity") as server:
        billed_each = None
        results = run(server, protocol, units, Budget(max_tokens=10**9), 1)
        billed_each = server.billing.total_tokens
        server.reset()
        results = run(server, protocol, units, Budget(max_tokens=int(billed_each * 1.05)), 16)
        assert all(getattr(r, "status", None) == TRANSLATED for r in results)
        assert server.billing.total_tokens <= billed_each * 1.05


def test_a_run_that_does_not_fit_stops_in_time(protocol):
    units = [Unit(f"Item {i} text.", lookup("de")) for i in range(40)]
    with EmulatorServer(mode="identity") as server:
        results = run(server, protocol, units, Budget(max_tokens=1000), 8)
        assert server.billing.total_tokens <= 1000
        assert any(isinstance(r, JobStopped) for r in results)
        assert sum(getattr(r, "status", None) == TRANSLATED for r in results) == len(server.billing.records)
