"""What users run on a real docs site: ``qmt translate`` on pages of one to a thousand segments.

The bench's other folders are uniform (``bench_job.py``: 500 small pages, one huge DOCX,
catalogues); a docs site mixes them: many small pages, a few huge ones (an API
reference, a changelog) between them. Issue 28 measured a real one through the CLI at
76-80% of the token limit, with an emulated minute in which nothing was billed for half
of it. This benchmark is that run, on a generated site:

* the folder: :func:`folders.write_docs_site`, 155 pages in nine section folders
  (Markdown, every 9th page MDX with front matter and a component, every 13th HTML) of
  1 to 1,000 segments each (lognormal, median ~35, and three huge pages of 1,000, 640
  and 420 segments in the middle of the discovery order), about 10,000 segments, into
  three languages: about 11 emulated minutes once the token limit binds;
* the service: ``qmt emulator`` in its own process with the documented limits of
  qwen-mt-flash in Singapore (60 requests, 100,000 tokens a minute) on a clock 5 times
  fast (``QMT_BENCH_TIME_SCALE``, default 0.2: a minute lasts 12 s), completion tokens
  billed as a real translation's (``--output-tokens source``), and qmt paced over the same
  scaled minute (``--minute-seconds``), as in ``bench_job.py``;
* two profiles: **perfect** answers (latency only: lognormal time to first byte, mean
  800 ms, sigma 0.5, plus 8 ms per output token) and **realistic** (``qmt emulator
  --realistic``, pipeline/emulator/realistic.py: the same latency, 500s and 503s, 429
  throttles of both kinds, and marker damage in packed answers at the rate a real model
  showed).

Columns:
  % TPM          billed tokens (the emulator's ``--billing-log``) per emulated minute of
                 the qmt process's wall time, against 100,000: the run end to end,
                 start-up and the last file's writing included
  per minute     billed tokens in each emulated minute from qmt's start, in thousands
                 (a request billed when its answer ends)
  worst          the lowest minute but the first (start-up) and the last (partial), as a
                 share of the limit
  idle           the longest time with no request in flight, in emulated seconds, from
                 qmt's own ledger (each attempt's end and latency)
  misaligned     stored translations that are not the pseudo-translation of their own
                 source (every row of the run's translation memory is checked)

Pass (issue 28): every profile at >= 90% of TPM, no minute but the first and the last
under 85%, 0 misaligned, exit 0. Printed, not gated: a loaded machine stretches the
scaled clock (the load average is printed with the figures). Why 0.2 and not bench_job's
0.1: qmt's start-up (1.7 s of CPU, 5 to 9 s of wall time on a loaded 2-core machine) is
counted in the end-to-end figure and weighs twice as much on a 6 s minute (85% at 0.1,
90% at 0.2, perfect answers, same code, load 9 to 12). About 2.5 min (perfect) and 4 min
(realistic).

Environment: QMT_BENCH_TIME_SCALE (default 0.2), QMT_BENCH_PROFILES (perfect,realistic),
QMT_BENCH_PAGES (default 155), QMT_BENCH_CONCURRENCY (``[run] concurrency``; default: the
job's default), QMT_BENCH_KEEP (keep the folder, outputs and states there).
Run: ``make bench`` or ``.venv/bin/python bench/bench_mixed.py``.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import folders  # noqa: E402
from harness import BENCH_TIME_SCALE, RPM, TPM, Emulated, EmulatorProcess, misaligned, run_qmt, run_report, \
    state_dir, write_job  # noqa: E402

TIME_SCALE = float(os.environ.get("QMT_BENCH_TIME_SCALE", str(BENCH_TIME_SCALE)))
PAGES = int(os.environ.get("QMT_BENCH_PAGES", "155"))
PROFILES = [p for p in os.environ.get("QMT_BENCH_PROFILES", "perfect,realistic").split(",") if p]
CONCURRENCY = int(os.environ.get("QMT_BENCH_CONCURRENCY", "0"))    # 0: the job's default
TARGETS = ("zh", "ja", "de")
NAME = "docs"
PERFECT = Emulated(rpm=RPM, tpm=TPM, time_scale=TIME_SCALE, latency_ms=800.0, latency_sigma=0.5,
                   latency_per_token_ms=8.0)
GOAL, MINUTE_GOAL = 0.90, 0.85


@dataclass
class Measured:
    profile: str
    files: int
    segments: int
    wall: float
    requests: int
    tokens: int
    minutes: list[int]          # billed tokens per emulated minute from qmt's start
    refused: int
    errors: int
    splits: int
    resent: int
    idle: float                 # longest time with no request in flight, emulated seconds
    misaligned: int
    checked: int
    code: int

    @property
    def share(self) -> float:
        return self.tokens / (self.wall / PERFECT.minute) / TPM

    @property
    def worst(self) -> float:
        inner = self.minutes[1:-1]
        return min(inner) / TPM if inner else 1.0

    def row(self) -> str:
        per_minute = " ".join(f"{t // 1000}" for t in self.minutes)
        return (f"| {self.profile} | {self.files} | {self.segments:,} | {self.wall:.0f} | {self.wall / PERFECT.minute:.1f} "
                f"| {self.requests:,} | {self.share:.0%} | {per_minute} | {self.worst:.0%} | {self.idle:.1f} "
                f"| {self.refused} | {self.errors} | {self.splits} | {self.resent} "
                f"| {self.misaligned if self.checked else 'n/a'} | {self.code} |")

    def verdict(self) -> str:
        checks = [(f"TPM {self.share:.0%} >= {GOAL:.0%}", self.share >= GOAL),
                  (f"worst inner minute {self.worst:.0%} >= {MINUTE_GOAL:.0%}", self.worst >= MINUTE_GOAL),
                  (f"misaligned {self.misaligned} = 0", self.checked > 0 and self.misaligned == 0),
                  (f"exit {self.code} = 0", self.code == 0)]
        return f"{self.profile}: " + "; ".join(f"{text} {'met' if ok else 'NOT met'}" for text, ok in checks)


HEADER = ("| profile | files | segments | wall s | emu min | requests | % TPM | per minute (k tokens) | worst | idle s "
          "| 429s | 5xx | splits | resent | misaligned | exit |\n"
          "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")


def per_minute(billed: list[dict], start: float, wall: float) -> list[int]:
    """Billed tokens in each emulated minute from ``start`` (the last one partial). A
    remainder of under a twentieth of a minute joins the minute before: a run that ends
    0.1 s into its 18th minute ends in its 17th (else that one, the minute the run's
    last answers and its final writes fall in, was judged as an inner minute)."""
    minute = PERFECT.minute
    whole, rest = divmod(wall, minute)
    out = [0] * max(1, int(whole) + (1 if rest >= minute / 20 else 0))
    for record in billed:
        index = min(len(out) - 1, max(0, int((record["time"] - start) // minute)))
        out[index] += record["total_tokens"]
    return out


def longest_idle(job: Path) -> float:
    """The longest time no request was in flight, from the run's ledger rows (each
    attempt's end time and latency), in emulated seconds."""
    db = state_dir(job, NAME) / "state.sqlite"
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT time, latency_s FROM ledger WHERE latency_s IS NOT NULL").fetchall()
    finally:
        conn.close()
    spans = sorted((end - latency, end) for end, latency in
                   ((datetime.fromisoformat(t).timestamp(), float(lat)) for t, lat in rows))
    gap, reach = 0.0, spans[0][1] if spans else 0.0
    for begin, end in spans[1:]:
        gap = max(gap, begin - reach)
        reach = max(reach, end)
    return gap / PERFECT.time_scale


def measure(profile: str, input_dir: Path, work: Path) -> Measured:
    """One ``qmt translate`` of the site against a fresh emulator of ``profile``."""
    options = replace(PERFECT, realistic=profile == "realistic")
    # The service's times are scaled, so is the wait before a retry (1 s on the real clock).
    run = {"backoff_initial": round(1.0 * TIME_SCALE, 3), "backoff_max": round(60.0 * TIME_SCALE, 3)}
    if CONCURRENCY:
        run["concurrency"] = CONCURRENCY
    job = write_job(work / "job.toml", name=NAME, input_dir=input_dir, targets=TARGETS, run=run)
    with EmulatorProcess(options, work) as emu:
        start = time.time()
        done = run_qmt(["translate", str(job), "--base-url", emu.base_url, *options.client_limits()], work,
                       timeout=40 * options.minute + 600)
        stats, billed = emu.stats(), emu.billed()
    report = run_report(job, NAME)
    bad, checked = misaligned(job, NAME)
    errors = stats.get("errors", {})
    return Measured(
        profile=profile, files=len(report.get("files", [])), segments=sum(f.get("segments", 0) for f in report.get("files", [])),
        wall=done.wall, requests=len(billed), tokens=sum(r["total_tokens"] for r in billed),
        minutes=per_minute(billed, start, done.wall),
        refused=sum(n for code, n in errors.items() if code.startswith("Throttling") or code == "insufficient_quota"),
        errors=errors.get("internal_error", 0),
        splits=report.get("batch_splits", 0), resent=report.get("misaligned", 0), idle=longest_idle(job),
        misaligned=bad, checked=checked, code=done.code)


def main() -> int:
    keep = os.environ.get("QMT_BENCH_KEEP")
    root = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="qmt-bench-mixed-"))
    site = root / "site"
    shutil.rmtree(site, ignore_errors=True)
    pages = folders.write_docs_site(site, PAGES)
    sizes = folders.docs_page_sizes(PAGES)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    print(f"mixed docs site: {len(pages)} pages ({sum(p.suffix == '.md' for p in pages)} Markdown, "
          f"{sum(p.suffix == '.mdx' for p in pages)} MDX, {sum(p.suffix == '.html' for p in pages)} HTML), "
          f"1 to {max(sizes):,} segments a page (median {sorted(sizes)[len(sizes) // 2]}), into {', '.join(TARGETS)}")
    print(f"qmt translate through the CLI against qmt emulator: {RPM} RPM, {TPM:,} TPM, time scale {TIME_SCALE} "
          f"(a minute lasts {PERFECT.minute:g} s), concurrency {CONCURRENCY or 'the default'}\n", flush=True)
    results = []
    try:
        for profile in PROFILES:
            work = root / profile
            shutil.rmtree(work, ignore_errors=True)
            results.append(measure(profile, site, work))
            print(results[-1].row(), f"(load average {os.getloadavg()[0]:.1f})", flush=True)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    print("\n" + HEADER)
    print("\n".join(r.row() for r in results))
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end (the scaled clock makes wall time sensitive to it)")
    print("Targets of issue 28 (the mixed docs site):")
    for result in results:
        print("  " + result.verdict())
    return 0


if __name__ == "__main__":
    sys.exit(main())
