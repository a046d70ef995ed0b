"""Tokens paid per segment when the model damages pack markers: packed vs unpacked.

What users run: ``qmt translate`` (the CLI, in a subprocess) on one generated folder of
Markdown files against ``qmt emulator`` (another subprocess) with the ``marker`` fault
at 0%, 10% and 30% of packed answers (drop a marker, merge two neighbours, or rewrite
one; kind and marker drawn from the seed), and once unpacked (``[run] pack_tokens =
0``: one segment per request, nothing to damage). Tokens are the emulator's bill
(prompt plus completion, ``--output-tokens source`` so a pseudo-translation costs what
a translation of its length would); per segment = bill / distinct segments.

The pack size is what a job with the documented limits (60 requests and 100,000 tokens
a minute) packs by default; qmt's ``--rpm/--tpm`` are both multiplied by 100, which
keeps that pack size and lets the run go as fast as the machine: tokens, not time, are
measured here. Damaged runs are repeated over QMT_BENCH_SEEDS seeds and averaged.

Pass: the 10% run pays at most 1.3 times the 0% run, and the 30% run less than unpacked
(issue 13).

``--realistic`` (``make bench`` runs it once more so): the same folder packed and
unpacked against ``qmt emulator --realistic`` (latency, occasional 5xx and 429
throttles, marker damage at the rate the real-model benchmark measured:
pipeline/emulator/realistic.py) on a clock 10 times fast (``--time-scale 0.1``, which
shrinks the latencies). Pass: both runs exit 0 and no stored translation is misaligned
(each row of the translation memory reverses to its own source); what packing costs
against unpacked at that damage rate is printed, not gated. Environment: QMT_BENCH_FILES (default 30), QMT_BENCH_PARAGRAPHS (per file,
default 50), QMT_BENCH_SEEDS (default 5).
"""
from __future__ import annotations

import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from pipeline.emulator.pseudo import reverse_pseudo  # noqa: E402
from pipeline.emulator.realistic import MEASURED_MARKER_DAMAGE  # noqa: E402

FILES = int(os.environ.get("QMT_BENCH_FILES", "30"))
PARAGRAPHS = int(os.environ.get("QMT_BENCH_PARAGRAPHS", "50"))
SEEDS = int(os.environ.get("QMT_BENCH_SEEDS", "5"))
KEY = "sk-bench-marker-damage-0000"
RPM, TPM = 60 * 100, 100_000 * 100
WORDS = ("the build reads each config file before it starts a new worker and checks that every path exists "
         "so a missing folder is reported once with its name while the cache keeps answers from earlier runs "
         "and the ledger records tokens per request for the usage report of the job").split()


@dataclass
class Run:
    label: str
    requests: int
    tokens: int
    misaligned: int
    wall: float
    exit_code: int
    stored_misaligned: int = 0  # translations stored for another segment than their own (must be 0)

    def per_segment(self, segments: int) -> float:
        return self.tokens / segments


def make_folder(root: Path) -> int:
    """FILES Markdown files of PARAGRAPHS distinct paragraphs (8-40 words, some inline
    code and emphasis); returns the number of segments."""
    rng = random.Random(13)
    count = 0
    for f in range(FILES):
        paragraphs = []
        for p in range(PARAGRAPHS):
            words = [rng.choice(WORDS) for _ in range(rng.randint(8, 40))]
            if rng.random() < 0.3:
                words[rng.randrange(len(words))] = "`qmt.toml`"
            if rng.random() < 0.3:
                i = rng.randrange(len(words))
                words[i] = f"**{words[i]}**"
            paragraphs.append(f"{f}.{p}: " + " ".join(words).capitalize() + ".")
        (root / f"page{f:03d}.md").write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
        count += len(paragraphs)
    return count


def start_emulator(rate: float, seed: int, realistic: bool = False) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "pipeline", "emulator", "--port", "0", "--api-key", KEY, "--seed", str(seed),
           "--output-tokens", "source"]
    if rate:
        cmd += ["--error-rate", f"marker={rate}"]
    if realistic:
        cmd += ["--realistic", "--time-scale", "0.1"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    match = re.search(r"base URL (\S+)", line)
    if not match:
        proc.terminate()
        raise SystemExit(f"emulator did not start: {line!r}")
    return proc, match.group(1)


def bill(base_url: str) -> tuple[int, int]:
    stats_url = base_url.split("/compatible-mode")[0] + "/_emulator/stats"
    with urllib.request.urlopen(stats_url, timeout=10) as resp:
        stats = json.load(resp)
    billed = stats["billed"]
    return billed["requests"], billed["prompt_tokens"] + billed["completion_tokens"]


def run(work: Path, folder: Path, label: str, rate: float, seed: int, pack_tokens: int,
        realistic: bool = False) -> Run:
    job = work / f"{label}.toml"
    job.write_text(f'name = "{label}"\ninput = "{folder}"\noutput = "{work}/out-{label}/{{lang}}"\n'
                   f'source_lang = "en"\ntarget_langs = ["ja"]\n\n[run]\nrpm = {RPM}\ntpm = {TPM}\n'
                   f'pack_tokens = {pack_tokens}\n', encoding="utf-8")
    proc, base_url = start_emulator(rate, seed, realistic)
    try:
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "pipeline", "translate", str(job), "--base-url", base_url],
                              cwd=ROOT, env=os.environ | {"DASHSCOPE_API_KEY": KEY}, capture_output=True, text=True)
        wall = time.monotonic() - started
        requests, tokens = bill(base_url)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    found = re.search(r"(\d+) segments came back misaligned", done.stderr)
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
    return Run(label, requests, tokens, int(found.group(1)) if found else 0, wall, done.returncode,
               stored_misaligned(work / f"out-{label}" / ".qmt" / label / "state.sqlite"))


def stored_misaligned(db: Path) -> int:
    """Rows of the run's translation memory that are not the pseudo-translation of their
    own source (the emulator's pseudo-translation reverses); -1 without a memory."""
    if not db.exists():
        return -1
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT source, target, target_lang FROM tm").fetchall()
    finally:
        conn.close()
    return sum(1 for source, target, lang in rows if reverse_pseudo(target, lang) != source)


RUNS = (("packed, 0% damage", 0.0, -1), ("packed, 10% damage", 0.1, -1), ("packed, 30% damage", 0.3, -1),
        ("unpacked", 0.0, 0))


def measure(folder: Path, work: Path, segments: int, seeds: int = SEEDS) -> dict[str, dict[str, float]]:
    """The four runs on ``folder`` of ``segments`` distinct segments (scratch files in
    ``work``): per run label, tokens per segment, requests, misaligned segments and wall
    seconds, averaged over ``seeds`` seeds for the damaged runs. For bench/bench_job.py
    to reuse on its own folders."""
    out: dict[str, dict[str, float]] = {}
    for i, (label, rate, pack_tokens) in enumerate(RUNS):
        runs = [run(work, folder, f"r{i}s{s}", rate, s + 1, pack_tokens) for s in range(seeds if rate else 1)]
        if any(r.exit_code != 0 for r in runs):
            raise SystemExit(f"{label}: qmt translate exited {[r.exit_code for r in runs]}")
        n = len(runs)
        out[label] = {"tokens_per_segment": sum(r.per_segment(segments) for r in runs) / n,
                      "requests": sum(r.requests for r in runs) / n,
                      "misaligned": sum(r.misaligned for r in runs) / n,
                      "wall": sum(r.wall for r in runs) / n, "runs": n}
    return out


def main_realistic() -> int:
    """Packed and unpacked against ``qmt emulator --realistic`` (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="qmt-bench-marker-real-") as tmp:
        work = Path(tmp)
        folder = work / "docs"
        folder.mkdir()
        segments = make_folder(folder)
        print(f"{FILES} Markdown files, {segments} segments, target ja; qmt translate against qmt emulator "
              f"--realistic (marker damage {MEASURED_MARKER_DAMAGE:.0%} of packed answers, as measured on a "
              "real model; latency, 5xx and 429s; clock 10x)")
        runs = [run(work, folder, "packed-realistic", 0.0, 1, -1, realistic=True),
                run(work, folder, "unpacked-realistic", 0.0, 1, 0, realistic=True)]
    print(f"{'run':<20} {'tokens/segment':>15} {'requests':>9} {'resent':>7} {'misaligned':>11} {'wall s':>7} "
          f"{'exit':>5}")
    for r in runs:
        print(f"{r.label:<20} {r.per_segment(segments):>15.1f} {r.requests:>9} {r.misaligned:>7} "
              f"{r.stored_misaligned:>11} {r.wall:>7.1f} {r.exit_code:>5}")
    packed, unpacked = runs
    # The gate is correctness; the cost is reported, not gated: at the damage rate a small
    # real model showed (61% then; 53% over two sessions), packing paid 1.04x unpacked on a
    # 60-segment folder here.
    ok = all(r.exit_code == 0 and r.stored_misaligned == 0 for r in runs)
    print(f"realistic profile: exit 0 and 0 misaligned stored: {'PASS' if ok else 'FAIL'}; packed pays "
          f"{packed.tokens / unpacked.tokens:.2f}x unpacked")
    return 0 if ok else 1


def main() -> int:
    if sys.argv[1:] == ["--realistic"]:
        return main_realistic()
    with tempfile.TemporaryDirectory(prefix="qmt-bench-marker-") as tmp:
        work = Path(tmp)
        folder = work / "docs"
        folder.mkdir()
        segments = make_folder(folder)
        print(f"{FILES} Markdown files, {segments} segments, target ja; qmt translate against qmt emulator; "
              f"damaged runs averaged over {SEEDS} seeds")
        rows = measure(folder, work, segments)
    base = rows["packed, 0% damage"]["tokens_per_segment"]
    print(f"{'run':<20} {'tokens/segment':>15} {'x 0% run':>9} {'requests':>9} {'misaligned':>11} {'wall s':>7} "
          f"{'runs':>5}")
    for label, r in rows.items():
        print(f"{label:<20} {r['tokens_per_segment']:>15.1f} {r['tokens_per_segment'] / base:>9.2f} "
              f"{r['requests']:>9.1f} {r['misaligned']:>11.1f} {r['wall']:>7.1f} {r['runs']:>5}")
    ten, thirty, unpacked = (rows[k]["tokens_per_segment"] for k in RUNS_DAMAGED)
    ok_ten, ok_thirty = ten <= 1.3 * base, thirty < unpacked
    print(f"10% damage pays {ten / base:.2f}x the 0% run (<= 1.3: {'PASS' if ok_ten else 'FAIL'}); "
          f"30% damage pays {thirty / unpacked:.2f}x unpacked (< 1: {'PASS' if ok_thirty else 'FAIL'})")
    return 0 if ok_ten and ok_thirty else 1


RUNS_DAMAGED = ("packed, 10% damage", "packed, 30% damage", "unpacked")

if __name__ == "__main__":
    sys.exit(main())
