"""A job's settings as the worker pool and the price list take them.

Shared by the run (:mod:`pipeline.job.run`), ``qmt estimate`` (:mod:`pipeline.job.estimate`)
and ``qmt translate --frozen``, so that the estimate prices and packs exactly as a run
would; apart from the run so that those commands, which send nothing, load neither the
worker pool nor the backends.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.errors import ConfigError
from pipeline.service_facts import LLM, NATIVE_REGIONS, REGIONS, price_of
from pipeline.translate.budget import Budget
from pipeline.translate.units import PoolSettings, RetryPolicy

if TYPE_CHECKING:
    from pipeline.config import Job


def region_of(job: Job) -> str:
    """The price region: the one whose endpoint the job calls, else the job's region."""
    if job.engine == LLM:  # a model server is in no Qwen region and has no price row
        return ""
    for name, url in (*REGIONS.items(), *NATIVE_REGIONS.items()):
        if job.base_url.rstrip("/") == url:
            return name
    return job.region


def pool_settings(job: Job) -> PoolSettings:
    """The worker pool's settings for ``job`` (shared with ``qmt estimate`` and ``--frozen``)."""
    return PoolSettings(
        budget=make_budget(job),
        model=job.model, source_lang=job.source_lang, sampling=job.sampling, domains=job.domains,
        concurrency=job.run.concurrency,
        retry=RetryPolicy(job.run.max_attempts, job.run.backoff_initial, job.run.backoff_max),
        max_segment_tokens=job.run.max_segment_tokens,
        rpm=job.run.rpm or None, tpm=job.tokens_per_minute,
        pack_tokens=job.packing_tokens, pack_max_segments=job.run.pack_max_segments,
        outage_seconds=job.run.outage_seconds, rate_window=job.run.minute_seconds,
    )


def make_budget(job: Job) -> Budget | None:
    """The run's budget, priced from the price list (ConfigError if a USD budget has no price)."""
    if not job.run.budget_usd and not job.run.budget_tokens:
        return None
    usd_in = usd_out = 0.0
    if job.run.budget_usd:
        price = price_of(job.model, region_of(job))
        if price is None:
            raise ConfigError(f"no price for {job.model} in {region_of(job)}: add it to the price list",
                              source=job.source, key="run.budget_usd")
        usd_in, usd_out = price
    return Budget(max_usd=job.run.budget_usd or None, max_tokens=job.run.budget_tokens or None,
                  usd_in_per_token=usd_in, usd_out_per_token=usd_out)


__all__ = ["make_budget", "pool_settings", "region_of"]
