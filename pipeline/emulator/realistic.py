"""``qmt emulator --realistic``: the service and model as they are, not as a test wishes.

Without it the emulator answers at once, never fails and keeps every pack marker, so a
benchmark against it measures a best case. The realistic profile sets, in one flag:

* **latency**: lognormal time to the first byte, mean 800 ms, sigma 0.5, plus 8 ms per
  output token (the figures bench/bench_job.py has used for Qwen-MT's answers);
* **occasional server errors**: 500 and 503 at 0.5% of requests each;
* **throttles**: 429 ``Throttling.RateQuota`` at 1% and the compatible endpoint's TPM
  throttle (``insufficient_quota``, "Allocated quota exceeded", issue 28) at 0.5%;
* **marker damage** in packed answers at the rate a real model showed
  (:data:`MEASURED_MARKER_DAMAGE`, below).

Explicit options win over the profile: ``--realistic --error-rate 500=0`` or
``--realistic --latency-ms 0`` keeps everything else realistic.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Share of packed answers whose markers a real model damaged: bench/bench_real_model.py,
# Qwen2.5-Coder-1.5B-Instruct Q4_K_M on llama.cpp (xllamacpp, 1 slot), Markdown paragraphs
# en->zh, 2026-12-07, counted as qmt reads answers since it reads markers written back as
# 【§N】 (pipeline/translate/packing.py, read_markers): 3 of 17 packed answers at pack sizes
# 5, 20 and 40 (40 paragraphs, 2 threads, load 1.9-4.7; packs cut by the speed-fitted
# ceiling to about 500 source tokens) and 11 of 64 in the default-against-fixed runs (20
# paragraphs, packs of 2-9): 14 of 81 in all (17%; docs/benchmarks.md, "A real model in
# the loop"). The 53% measured before counted every 【§N】 answer (half of this model's
# Chinese answers) as damaged. What remains is lost or repeated markers and merged
# segments; the emulator's marker fault draws drop, merge or alter.
MEASURED_DAMAGED, MEASURED_PACKED = 14, 81
MEASURED_MARKER_DAMAGE = round(MEASURED_DAMAGED / MEASURED_PACKED, 2)


@dataclass(frozen=True)
class Profile:
    """Latency and fault rates of a profile; kinds as in :mod:`pipeline.emulator.faults`."""

    latency_ms: float
    latency_sigma: float
    latency_per_token_ms: float
    error_rates: dict[str, float] = field(default_factory=dict)


REALISTIC = Profile(
    latency_ms=800.0, latency_sigma=0.5, latency_per_token_ms=8.0,
    error_rates={"500": 0.005, "503": 0.005, "429": 0.01, "tpm_compat": 0.005, "marker": MEASURED_MARKER_DAMAGE},
)


Latency = tuple[float | None, float | None, float | None]


def with_profile(profile: Profile | None, latency: Latency,
                 rates: dict[str, float]) -> tuple[tuple[float, float, float], dict[str, float]]:
    """The latency (mean ms, sigma, ms per output token) and fault rates to run with:
    ``profile``'s, where ``latency`` (None: not given) and ``rates`` do not say
    otherwise; without a profile, what is not given is 0 (no latency, no faults)."""
    defaults = (profile.latency_ms, profile.latency_sigma, profile.latency_per_token_ms) if profile else (0.0,) * 3
    mean, sigma, per_token = (default if given is None else given for given, default in zip(latency, defaults))
    return (mean, sigma, per_token), (profile.error_rates if profile else {}) | rates


__all__ = ["Latency", "MEASURED_MARKER_DAMAGE", "Profile", "REALISTIC", "with_profile"]
