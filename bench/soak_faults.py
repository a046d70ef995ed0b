"""Soak: the fault mix N times in plain and streaming mode, and random kills with resume.

Outside the test run (it takes minutes): ``.venv/bin/python bench/soak_faults.py
[--runs 50] [--kills 10]``. Every run is a real job over the shared corpus' Markdown
pages (or generated pages when ``../shared`` is absent) against the local emulator over
HTTP, with the production client:

* **fault mix**: about 30% of all requests fail (429, 5xx, timeouts, dropped
  connections, bodies and streams cut short, malformed answers), seeded per run;
* **random kill**: ``qmt translate`` in a subprocess is killed with SIGKILL at a random
  moment, then run again to the end.

Printed per mode: runs with a lost segment (a segment left in the source language),
the ledger's tokens against the emulator's bill (worst run), and requests billed twice,
i.e. a request for a segment whose answer had already been delivered and recorded.
For kills, requests in flight at the kill are counted apart: they were journaled before
they were sent and the ledger holds them as ``outcome_unknown``.
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import polars as pl  # noqa: E402

from pipeline.config import load_job, with_overrides  # noqa: E402
from pipeline.emulator import EmulatorServer  # noqa: E402
from pipeline.emulator.pseudo import PACK_MARKER_RE  # noqa: E402
from pipeline.emulator.server import Emulator  # noqa: E402
from pipeline.memory.session import TERM_MISSING  # noqa: E402
from pipeline.job.progress import Progress  # noqa: E402
from pipeline.job.run import run_job  # noqa: E402
from pipeline.translate.qwen_backend import QwenBackend  # noqa: E402
from pipeline.ledger.usage import OUTCOME_UNKNOWN, read_ledger  # noqa: E402

KEY = "sk-soak0123456789abcdef"
CORPUS = REPO.parent / "shared" / "corpus" / "markdown"
PAGES = ("vite__guide__why.md", "vite__guide__assets.md", "vite__guide__env-and-mode.md")
PLAIN = {"429": 0.04, "500": 0.04, "502": 0.04, "503": 0.04, "timeout": 0.03, "drop": 0.05, "drop_mid": 0.04,
         "malformed": 0.04}
STREAM = {"429": 0.04, "503": 0.05, "timeout": 0.03, "drop": 0.05, "drop_mid": 0.05, "cut": 0.05, "malformed": 0.05}
JOB = """input = "in"
output = "out/{{lang}}"
source_lang = "en"
target_langs = ["zh", "ja"]
[run]
concurrency = 4
timeout = {timeout}
max_attempts = 8
backoff_initial = 0.01
backoff_max = 0.1
rpm = 0
tpm = 0
stream = {stream}
pack_tokens = 150
"""

# rid -> (segments the request carried, billing status): which content each bill was for.
BILLED: dict[str, tuple[tuple[str, ...], str]] = {}


def _watch_bills() -> None:
    original = Emulator._bill

    def bill(self, r, completion, status):
        BILLED[r.rid] = (tuple(f"{r.chat.target_lang}\0{s}" for s in _segments(r.chat.content)), status)
        original(self, r, completion, status)

    Emulator._bill = bill


def _segments(content: str) -> list[str]:
    return [p.strip() for p in PACK_MARKER_RE.sub("\0", content).split("\0") if p.strip()]


def _pages() -> dict[str, bytes]:
    if CORPUS.is_dir():
        return {name: (CORPUS / name).read_bytes() for name in PAGES}
    return {f"page{i}.md": "".join(f"# Part {j} of page {i}\n\nParagraph {j} of page {i} explains "
                                   f"option {i * j} in a few plain words.\n\n" for j in range(40)).encode()
            for i in range(3)}


def _job_dir(root: Path, stream: bool, timeout: float) -> Path:
    (root / "in").mkdir(parents=True)
    for name, data in _pages().items():
        (root / "in" / name).write_bytes(data)
    (root / "job.toml").write_text(JOB.format(stream=str(stream).lower(), timeout=timeout), encoding="utf-8")
    return root / "job.toml"


def _ledger_vs_bill(server, ledger: pl.DataFrame) -> tuple[int, int]:
    recorded = int(ledger["prompt_tokens"].sum() + ledger["completion_tokens"].sum())
    return recorded, server.billing.total_tokens


def _double_billed(ledger: pl.DataFrame, rids: list[str]) -> int:
    """Bills, in order, for a segment whose answer had already been delivered and recorded
    ("ok" in the ledger): paying twice for the same answer."""
    recorded_ok = set(ledger.filter(pl.col("status") == "ok")["request_id"].drop_nulls().to_list())
    answered: set[str] = set()
    twice = 0
    for rid in rids:
        segments, status = BILLED[rid]
        if answered & set(segments):
            twice += 1
        if rid in recorded_ok and status in ("stop", "length"):
            answered |= set(segments)
    return twice


def fault_run(server, stream: bool, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        job = with_overrides(load_job(_job_dir(Path(tmp), stream, 1.0)), base_url=server.base_url)
        server.reset()
        BILLED.clear()
        server.set_seed(seed)
        server.set_error_rates(STREAM if stream else PLAIN)
        result = run_job(job, backend=QwenBackend(api_key=KEY, base_url=server.base_url, timeout=1.0, stream=stream),
                         progress=Progress(interactive=False))
        server.set_error_rates({})
        ledger = read_ledger(job.state_dir / "ledger")
        lost = sum(1 for f in result.files for p in f.problems if p.status not in ("repaired", TERM_MISSING))
        lost += sum(1 for f in result.files if f.status != "written")
        recorded, billed = _ledger_vs_bill(server, ledger)
        faults = sum(server.billing.errors.values())
        return {"lost": lost, "diff": recorded / billed - 1, "twice": _double_billed(
                    ledger, [r.request_id for r in server.billing.records]),
                "faults": faults / max(1, server.billing.received), "exit": result.exit_code}


def kill_run(server, seed: int) -> dict:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        job_file = _job_dir(Path(tmp), False, 30.0)
        job = load_job(job_file)
        server.reset()
        BILLED.clear()
        server.set_latency(300, 0.3)
        env = dict(os.environ, DASHSCOPE_API_KEY=KEY, DASHSCOPE_BASE_URL=server.base_url, PYTHONPATH=str(REPO))
        cmd = [sys.executable, "-m", "pipeline", "translate", str(job_file)]
        child = subprocess.Popen(cmd, env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while server.billing.received == 0 and child.poll() is None:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.1, 4.0))
        killed = child.poll() is None
        child.send_signal(signal.SIGKILL)
        child.wait()
        time.sleep(0.5)                        # answers under way at the kill reach the emulator's bill
        first = [r.request_id for r in server.billing.records]
        server.set_latency(0)
        done = subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True)
        ledger = read_ledger(job.state_dir / "ledger")
        rids = [r.request_id for r in server.billing.records]
        recorded, billed = _ledger_vs_bill(server, ledger)
        unknown = ledger.filter(pl.col("status") == OUTCOME_UNKNOWN)
        return {"killed": killed, "exit": done.returncode, "twice": _double_billed(ledger, rids),
                "in_flight": round(float(unknown["share"].sum())),
                "in_flight_billed": sum(1 for rid in first if rid not in set(ledger["request_id"].drop_nulls())),
                "diff": recorded / billed - 1}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="fault-mix runs per mode")
    parser.add_argument("--kills", type=int, default=10, help="random-kill trials")
    args = parser.parse_args()
    _watch_bills()
    with EmulatorServer(mode="pseudo", api_key=KEY) as server:
        for stream in (False, True):
            started = time.monotonic()
            runs = [fault_run(server, stream, seed) for seed in range(args.runs)]
            worst = max(runs, key=lambda r: abs(r["diff"]))["diff"]
            print(f"{'streaming' if stream else 'plain':<9}: {len(runs)} runs, faults {min(r['faults'] for r in runs):.0%}-"
                  f"{max(r['faults'] for r in runs):.0%} of requests; runs with a lost segment: "
                  f"{sum(1 for r in runs if r['lost'])}; ledger vs bill: worst {worst:+.2%}, "
                  f"all within 2%: {all(abs(r['diff']) <= 0.02 for r in runs)}; requests billed twice: "
                  f"{sum(r['twice'] for r in runs)}; exit codes {dict(Counter(r['exit'] for r in runs))} "
                  f"({time.monotonic() - started:.0f} s)", flush=True)
        trials = [kill_run(server, seed) for seed in range(args.kills)]
        print(f"kill -9  : {len(trials)} trials ({sum(t['killed'] for t in trials)} killed mid-run); resumed exit codes "
              f"{dict(Counter(t['exit'] for t in trials))}; requests billed twice: {sum(t['twice'] for t in trials)}; "
              f"in flight at the kill (ledger: outcome_unknown): {sum(t['in_flight'] for t in trials)}, of which "
              f"billed by the service: {sum(t['in_flight_billed'] for t in trials)}; ledger vs bill: "
              f"{', '.join(format(t['diff'], '+.1%') for t in trials)}", flush=True)


if __name__ == "__main__":
    main()
