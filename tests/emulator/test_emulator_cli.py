"""``qmt emulator`` command line: options, the start line, serving, clean exit on SIGTERM."""
from __future__ import annotations

import argparse
import json
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from openai import OpenAI

from pipeline.emulator.cli import add_arguments, config_from_args, run

REPO = Path(__file__).resolve().parents[2]


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_options_become_config() -> None:
    args = _parse("--mode", "identity", "--api-key", "sk-x", "--rpm", "60", "--tpm", "35000", "--rps", "2",
                  "--output-tokens", "source", "--latency-ms", "800",
                  "--latency-sigma", "0.4", "--time-scale", "0.1", "--error-rate", "429=0.1", "--error-rate",
                  "drop=0.05", "--account-state", "arrearage", "--seed", "3", "--billing-log", "b.jsonl")
    cfg = config_from_args(args)
    assert (cfg.mode, cfg.api_key, cfg.rpm, cfg.tpm, cfg.rps) == ("identity", "sk-x", 60, 35000, 2)
    assert cfg.output_tokens == "source"
    assert (cfg.latency_ms, cfg.latency_sigma, cfg.time_scale, cfg.seed) == (800, 0.4, 0.1, 3)
    assert cfg.error_rates == {"429": 0.1, "drop": 0.05}
    assert cfg.account_state == "arrearage" and cfg.billing_log == "b.jsonl"
    assert _parse().host == "127.0.0.1"


def test_bad_error_rate_exits_2(capsys) -> None:
    assert run(_parse("--error-rate", "teapot=0.5")) == 2
    assert "teapot" in capsys.readouterr().err


def test_serves_until_sigterm(tmp_path) -> None:
    log = tmp_path / "billing.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.emulator.cli", "--port", "0", "--billing-log", str(log)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "EMULATOR" in line and "NOT REAL TRANSLATION" in line
        base_url = re.search(r"http://\S+/compatible-mode/v1", line).group(0)
        # Closed before SIGTERM: an open keep-alive connection would hold the server's
        # shutdown for its whole grace period.
        with OpenAI(api_key="demo", base_url=base_url, max_retries=0, timeout=10) as client:
            resp = client.chat.completions.create(
                model="qwen-mt-flash", messages=[{"role": "user", "content": "Offline demo"}],
                extra_body={"translation_options": {"source_lang": "auto", "target_lang": "French"}})
        assert resp.choices[0].message.content.startswith("⟦fr⟧ ")
        stats_url = base_url.replace("/compatible-mode/v1", "/_emulator/stats")
        with urllib.request.urlopen(stats_url, timeout=5) as r:
            assert json.loads(r.read())["billed"]["requests"] == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
        proc.stdout.close()
        proc.stderr.close()
    assert code == 0
    assert json.loads(log.read_text(encoding="utf-8"))["model"] == "qwen-mt-flash"
