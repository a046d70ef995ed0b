"""Soak: the fault mix N times in plain and streaming mode, and random kills with resume,
for documents and for media.

Outside the test run (it takes minutes): ``.venv/bin/python bench/soak_faults.py
[--runs 50] [--kills 10] [--media-runs 20] [--media-kills 10] [--only text|media]``.
Every text run is a real job over the shared corpus' Markdown pages (or generated pages
when ``../shared`` is absent) against the local emulator over HTTP, with the production
client; every media run is a real job over a synthesised talk (``tests/mediasynth.py``:
12 phrases, about 50 s) into two languages with dubbing, through the same sender
(pacing, budget, retries, pending ledger rows):

* **fault mix**: about 30% of all requests fail (429, 5xx, timeouts, dropped
  connections, bodies and streams cut short, malformed answers), seeded per run;
* **random kill**: ``qmt translate`` in a subprocess is killed with SIGKILL at a random
  moment, then run again to the end.

Printed per mode: runs with a lost segment (a segment left in the source language),
the ledger's tokens against the emulator's bill (worst run), and requests billed twice,
i.e. a request for a segment whose answer had already been delivered and recorded.
For kills, requests in flight at the kill are counted apart: they were journaled before
they were sent and the ledger holds them as ``outcome_unknown``. For media, a lost piece
is a (piece, language) without subtitles or speech, and a request billed twice is a bill
for a piece whose answer had already been delivered and recorded; the kill trials run
``qmt translate --dub``.
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
sys.path.insert(0, str(REPO / "tests"))   # mediasynth: the test-data generator

import polars as pl  # noqa: E402

from pipeline.config import load_job, with_overrides  # noqa: E402
from pipeline.emulator import EmulatorServer  # noqa: E402
from pipeline.emulator.pseudo import PACK_MARKER_RE  # noqa: E402
from pipeline.emulator import livetranslate as emulated_live  # noqa: E402
from pipeline.emulator.server import Emulator  # noqa: E402
from pipeline.memory.session import TERM_MISSING  # noqa: E402
from pipeline.job.progress import Progress  # noqa: E402
from pipeline.job.run import run_job  # noqa: E402
from pipeline.translate.qwen_backend import QwenBackend  # noqa: E402
from pipeline.ledger.usage import OUTCOME_UNKNOWN, read_ledger  # noqa: E402
from mediasynth import speechlike, write_wav  # noqa: E402  (found through tests/, inserted above)

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
    media_bill = emulated_live._bill

    def bill_media(emu, rid, chat, completion, status):
        BILLED[rid] = ((f"{chat.target}\0{chat.digest}",), status)   # a media piece: its audio, its language
        media_bill(emu, rid, chat, completion, status)

    emulated_live._bill = bill_media


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


# --- media -----------------------------------------------------------------------------

LIVE = "qwen3-livetranslate-flash"
MEDIA = {"429": 0.04, "503": 0.05, "timeout": 0.03, "drop": 0.05, "drop_mid": 0.05, "cut": 0.05, "malformed": 0.05}
PHRASES = (2.0, 3.2, 1.6, 4.0, 2.6, 3.8, 1.9, 5.1, 2.2, 3.0, 4.4, 1.7)
PAUSES = (0.8, 1.0, 0.7, 0.9, 1.1, 0.8, 0.7, 1.0, 0.9, 0.8, 0.7)
MEDIA_JOB = """input = "in"
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
[media]
dub = {dub}
"""


def _media_dir(root: Path, timeout: float, dub: bool) -> Path:
    (root / "in").mkdir(parents=True)
    pcm, _ = speechlike(PHRASES, PAUSES, seed=7)
    write_wav(root / "in" / "talk.wav", pcm)
    (root / "job.toml").write_text(MEDIA_JOB.format(timeout=timeout, dub=str(dub).lower()), encoding="utf-8")
    return root / "job.toml"


def _live(ledger: pl.DataFrame) -> pl.DataFrame:
    return ledger.filter(pl.col("model") == LIVE)


def _media_vs_bill(server, ledger: pl.DataFrame) -> float:
    recorded = int(ledger["prompt_tokens"].sum() + ledger["completion_tokens"].sum())
    billed = sum(r.total_tokens for r in server.billing.records if r.model == LIVE)
    return recorded / billed - 1


def media_fault_run(server, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        job = with_overrides(load_job(_media_dir(Path(tmp), 2.0, True)), base_url=server.base_url)
        server.reset()
        BILLED.clear()
        server.set_seed(seed)
        server.set_error_rates(MEDIA)
        result = run_job(job, backend=QwenBackend(api_key=KEY, base_url=server.base_url, timeout=2.0),
                         progress=Progress(interactive=False))
        server.set_error_rates({})
        ledger = _live(read_ledger(job.state_dir / "ledger"))
        lost = sum(1 for f in result.files for p in f.problems if p.status == "failed")
        lost += sum(1 for f in result.files if f.status != "written")
        rids = [r.request_id for r in server.billing.records if r.model == LIVE]
        return {"lost": lost, "diff": _media_vs_bill(server, ledger), "twice": _double_billed(ledger, rids),
                "faults": sum(server.billing.errors.values()) / max(1, server.billing.received),
                "exit": result.exit_code, "pieces": sum(f.segments for f in result.files)}


def media_kill_run(server, seed: int) -> dict:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        job_file = _media_dir(Path(tmp), 30.0, False)      # --dub below asks for the speech
        job = load_job(job_file)
        server.reset()
        BILLED.clear()
        server.set_latency(300, 0.3)
        env = dict(os.environ, DASHSCOPE_API_KEY=KEY, DASHSCOPE_BASE_URL=server.base_url, PYTHONPATH=str(REPO))
        cmd = [sys.executable, "-m", "pipeline", "translate", str(job_file), "--dub"]
        child = subprocess.Popen(cmd, env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while server.billing.received == 0 and child.poll() is None:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.1, 2.5))
        killed = child.poll() is None
        child.send_signal(signal.SIGKILL)
        child.wait()
        time.sleep(0.5)                        # answers under way at the kill reach the emulator's bill
        first = [r.request_id for r in server.billing.records if r.model == LIVE]
        server.set_latency(0)
        done = subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True)
        ledger = _live(read_ledger(job.state_dir / "ledger"))
        rids = [r.request_id for r in server.billing.records if r.model == LIVE]
        unknown = ledger.filter(pl.col("status") == OUTCOME_UNKNOWN)
        recorded = set(ledger["request_id"].drop_nulls())
        return {"killed": killed, "exit": done.returncode, "twice": _double_billed(ledger, rids),
                "in_flight": unknown.height, "in_flight_billed": sum(1 for rid in first if rid not in recorded),
                "diff": _media_vs_bill(server, ledger), "billed": len(rids)}


def media_soak(server, runs: int, kills: int) -> None:
    started = time.monotonic()
    trials = [media_fault_run(server, seed) for seed in range(runs)]
    worst = max(trials, key=lambda r: abs(r["diff"]))["diff"]
    print(f"media    : {len(trials)} runs ({trials[0]['pieces']} pieces x 2 languages, dubbed), faults "
          f"{min(r['faults'] for r in trials):.0%}-{max(r['faults'] for r in trials):.0%} of requests; "
          f"pieces lost: {sum(r['lost'] for r in trials)}; ledger vs bill: worst {worst:+.2%}, all within 2%: "
          f"{all(abs(r['diff']) <= 0.02 for r in trials)}; requests billed twice: {sum(r['twice'] for r in trials)}; "
          f"exit codes {dict(Counter(r['exit'] for r in trials))} ({time.monotonic() - started:.0f} s)", flush=True)
    started = time.monotonic()
    kills_ = [media_kill_run(server, seed) for seed in range(kills)]
    print(f"kill -9 --dub: {len(kills_)} trials ({sum(t['killed'] for t in kills_)} killed mid-run); resumed exit "
          f"codes {dict(Counter(t['exit'] for t in kills_))}; requests billed twice: "
          f"{sum(t['twice'] for t in kills_)}; in flight at the kill (ledger: outcome_unknown): "
          f"{sum(t['in_flight'] for t in kills_)}, of which billed by the service: "
          f"{sum(t['in_flight_billed'] for t in kills_)}; ledger vs bill: "
          f"{', '.join(format(t['diff'], '+.1%') for t in kills_)} ({time.monotonic() - started:.0f} s)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="fault-mix runs per mode")
    parser.add_argument("--kills", type=int, default=10, help="random-kill trials")
    parser.add_argument("--media-runs", type=int, default=20, help="fault-mix runs over media")
    parser.add_argument("--media-kills", type=int, default=10, help="random-kill trials of a --dub run")
    parser.add_argument("--only", choices=("text", "media"), help="soak only documents or only media")
    args = parser.parse_args()
    _watch_bills()
    os.environ.update(DASHSCOPE_API_KEY=KEY)   # the media backend's key (pipeline.translate.engines)
    with EmulatorServer(mode="pseudo", api_key=KEY) as server:
        os.environ["DASHSCOPE_BASE_URL"] = server.base_url
        if args.only != "text":
            media_soak(server, args.media_runs, args.media_kills)
        if args.only == "media":
            return
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
