"""Driving the worker pool as a run drives it, for the pool's own tests.

A run's plan (:mod:`pipeline.job.plan`) hands the pool whole requests and the journal
observes it; these tests give it a few units without a job, so :func:`send_planned`
makes the requests the plan's way (identical units once, long ones split at sentence
boundaries, packed per language with the pool's adaptive pack size) and
:class:`Recorder` observes what the journal would.
"""
from __future__ import annotations

import asyncio

from pipeline.translate.batching import piece_units, pieces_of, plan_batches
from pipeline.translate.pool import Attempt, Outcome, PoolSettings, Unit, WorkerPool


class Recorder:
    """The pool's observer in a test: every request, attempt and settled unit, in order."""

    def __init__(self) -> None:
        self.sent: list[Attempt] = []
        self.attempts: list[Attempt] = []
        self.units: list[Unit] = []

    def record_send(self, attempt: Attempt) -> None:
        self.sent.append(attempt)

    def record_attempt(self, attempt: Attempt) -> None:
        self.attempts.append(attempt)

    def settled(self, unit: Unit) -> None:
        self.units.append(unit)


def send_planned(pool: WorkerPool, settings: PoolSettings, units: list[Unit]) -> list[asyncio.Future[Outcome]]:
    """Each unit's future, its requests sent as a plan would send them."""
    futures, queued, seen = [], [], set()
    for unit in units:
        pieces = pieces_of(unit, settings.max_segment_tokens)
        futures.append(pool.expect_split(unit, pieces) if pieces else pool.expect(unit))
        for part in piece_units(unit, pieces) if pieces else [unit]:
            if part.key not in seen:
                seen.add(part.key)
                queued.append(part)
    for request in plan_batches(queued, settings.pack_tokens, settings.pack_max_segments, settings.domains,
                                pool.sizer):
        pool.send(request)
    return futures
