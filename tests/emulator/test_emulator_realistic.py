"""``qmt emulator --realistic``: one flag sets latency, server errors, throttles and marker damage."""
from __future__ import annotations

import argparse

from pipeline.emulator.cli import add_arguments, config_from_args
from pipeline.emulator.faults import ERRORS, CONTENT_KINDS
from pipeline.emulator.realistic import MEASURED_MARKER_DAMAGE, REALISTIC, with_profile


def _config(*argv: str):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return config_from_args(parser.parse_args(list(argv)))


def test_realistic_sets_latency_errors_throttles_and_marker_damage() -> None:
    cfg = _config("--realistic")
    assert (cfg.latency_ms, cfg.latency_sigma, cfg.latency_per_token_ms) == (800.0, 0.5, 8.0)
    server_errors = {k for k in cfg.error_rates if ERRORS.get(k) and ERRORS[k].status >= 500}
    throttles = {k for k in cfg.error_rates if ERRORS.get(k) and ERRORS[k].status == 429}
    assert server_errors == {"500", "503"} and throttles == {"429", "tpm_compat"}
    assert all(0 < cfg.error_rates[k] <= 0.01 for k in server_errors | throttles)   # occasional, not a storm
    assert set(cfg.error_rates) & CONTENT_KINDS == {"marker"}
    assert cfg.error_rates["marker"] == MEASURED_MARKER_DAMAGE > 0


def test_without_the_flag_nothing_is_injected() -> None:
    cfg = _config()
    assert (cfg.latency_ms, cfg.latency_sigma, cfg.latency_per_token_ms) == (0.0, 0.0, 0.0)
    assert cfg.error_rates == {}


def test_explicit_options_win_over_the_profile() -> None:
    cfg = _config("--realistic", "--latency-ms", "0", "--error-rate", "500=0", "--error-rate", "marker=0.3")
    assert (cfg.latency_ms, cfg.latency_sigma) == (0.0, REALISTIC.latency_sigma)
    assert cfg.error_rates["500"] == 0 and cfg.error_rates["marker"] == 0.3
    assert cfg.error_rates["503"] == REALISTIC.error_rates["503"]


def test_with_profile_without_a_profile_is_the_options_alone() -> None:
    assert with_profile(None, (None, 0.2, None), {"drop": 0.1}) == ((0.0, 0.2, 0.0), {"drop": 0.1})
