"""Pipeline overhead and peak memory of ``qmt translate``, with the service out of the way.

The ``qmt`` command line runs in its own process against a separately started
``qmt emulator`` with no limits and zero latency (pseudo-translation answered at once),
and with qmt's own pacing off (``--rpm 0 --tpm 0``): what is left of the wall time is
qmt itself (discover, extract, plan, pack, send and parse over local HTTP, rebuild,
check, write, journal). Each run has a fresh folder and state (no cache reuse).

Overhead (one target language, ~5,000 segments in ~1,700 small Markdown files of
``bench/folders.py``):
  ms/seg            the whole run's wall time divided by the segments
  ms/seg - empty    the same after subtracting an empty folder's run (interpreter, imports,
                    job loading, the emulator's start with ``--emulator``)
  ms/seg - one file the same after subtracting a one-file folder's run, which also loads
                    the tokenizer (an empty folder never does): what every run pays once
  CPU ms/seg        user + system CPU of the qmt process alone (``os.wait4``), per segment,
                    the one-file run's subtracted
The same folder also runs with ``qmt translate --emulator`` (the emulator inside the qmt
process, as ``make demo`` does): its CPU then includes the emulator's.

Peak memory (one target language): one generated 6,000-paragraph DOCX and a folder of
10,000 small Markdown files. ``peak MB`` is the peak RSS of the qmt process alone
(``ru_maxrss`` from ``os.wait4``); ``- one file`` subtracts the peak of a one-file run (the
interpreter, libraries and the offline tokenizer), leaving what the folder itself cost.

Environment (for a quick look):
  QMT_BENCH_OVERHEAD_FILES   Markdown files of the overhead run (default 1700)
  QMT_BENCH_MEMORY_FILES     files of the many-files memory run (default 10000)
  QMT_BENCH_DOCX_PARAGRAPHS  paragraphs of the DOCX memory run (default 6000)

Run: ``make bench`` or ``.venv/bin/python bench/bench_overhead.py``.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import folders  # noqa: E402
from harness import Emulated, EmulatorProcess, Finished, parse_estimate, run_qmt, run_report, write_job  # noqa: E402

OVERHEAD_FILES = int(os.environ.get("QMT_BENCH_OVERHEAD_FILES", "1700"))
MEMORY_FILES = int(os.environ.get("QMT_BENCH_MEMORY_FILES", "10000"))
DOCX_PARAGRAPHS = int(os.environ.get("QMT_BENCH_DOCX_PARAGRAPHS", "6000"))
UNLIMITED = Emulated()      # no limits, zero latency
NO_PACING = ["--rpm", "0", "--tpm", "0"]
TARGETS = ("zh",)


@dataclass
class Timed:
    name: str
    segments: int
    files: int
    run: Finished
    requests: int


def translate(name: str, input_dir: Path, work: Path, *, in_process: bool = False) -> Timed:
    """``qmt translate`` of ``input_dir`` into one language; segments from ``qmt estimate``."""
    job = write_job(work / "job.toml", name=name, input_dir=input_dir, targets=TARGETS)
    if in_process:
        segments = parse_estimate(run_qmt(["estimate", str(job)], work).stdout)["segments"]
        done = run_qmt(["translate", str(job), "--emulator"], work)
    else:
        with EmulatorProcess(UNLIMITED, work) as emu:
            flags = ["--base-url", emu.base_url, *NO_PACING]
            segments = parse_estimate(run_qmt(["estimate", str(job), *flags], work).stdout)["segments"]
            done = run_qmt(["translate", str(job), *flags], work)
    if done.code:
        print(f"bench_overhead: {name}: qmt translate exited {done.code}: {done.stderr.strip()[-300:]}",
              file=sys.stderr)
    report = run_report(job, name)
    return Timed(name, max(segments, 0), len(report.get("files", [])), done, report.get("requests", 0))


def start_up_run(root: Path, in_process: bool = False, files: int = 1) -> Timed:
    """A folder of one small file (or none): what every run pays once (the interpreter,
    imports, job loading, and with a file the tokenizer, which an empty folder never loads)."""
    tiny = root / f"start-{files}-in"
    if not tiny.exists():
        tiny.mkdir(parents=True)
        folders.write_small_markdown(tiny, files)
    return translate("start", tiny, root / f"start-{files}-{int(in_process)}", in_process=in_process)


def overhead_table(root: Path) -> list[str]:
    source = root / "overhead-in"
    folders.write_small_markdown(source, OVERHEAD_FILES)
    lines = ["| emulator | files | segments | requests | wall s | start-up s: empty / one file | ms/seg "
             "| ms/seg - empty | ms/seg - one file | CPU ms/seg - one file |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    verdicts: list[str] = []
    for label, in_process in (("separate process", False), ("--emulator (in qmt)", True)):
        empty, base = start_up_run(root, in_process, 0), start_up_run(root, in_process)
        run = translate("overhead", source, root / f"overhead-{int(in_process)}", in_process=in_process)
        seg = run.segments or 1
        lines.append(f"| {label} | {run.files:,} | {run.segments:,} | {run.requests:,} | {run.run.wall:.1f} "
                     f"| {empty.run.wall:.1f} / {base.run.wall:.1f} | {1000 * run.run.wall / seg:.2f} "
                     f"| {1000 * (run.run.wall - empty.run.wall) / seg:.2f} "
                     f"| {1000 * (run.run.wall - base.run.wall) / seg:.2f} "
                     f"| {1000 * (run.run.cpu - base.run.cpu) / seg:.2f} |")
        print(lines[-1], flush=True)
        per_segment = 1000 * (run.run.wall - base.run.wall) / seg
        verdicts.append(f"{label}: {per_segment:.2f} ms/seg (one-file start-up subtracted) <= 1 ms: "
                        f"{'met' if per_segment <= 1.0 else 'NOT met'}")
    lines += ["", "Target of issue 13 (pipeline overhead <= 1 ms per segment):"] + [f"  {v}" for v in verdicts]
    return lines


def memory_table(root: Path) -> list[str]:
    base = start_up_run(root)
    docx_in = root / "docx-in"
    folders.write_docx(docx_in / "manual.docx", DOCX_PARAGRAPHS)
    many_in = root / "many-in"
    folders.write_small_markdown(many_in, MEMORY_FILES)
    lines = ["| folder | files | segments | requests | wall s | peak MB | peak MB - one file |",
             "|---|---:|---:|---:|---:|---:|---:|",
             f"| one small file | {base.files} | {base.segments} | {base.requests} | {base.run.wall:.1f} "
             f"| {base.run.peak_mb:.0f} | 0 |"]
    print(lines[-1], flush=True)
    for name, source in ((f"one DOCX, {DOCX_PARAGRAPHS:,} paragraphs", docx_in),
                         (f"{MEMORY_FILES:,} Markdown files", many_in)):
        run = translate("memory", source, root / f"memory-{source.name}")
        lines.append(f"| {name} | {run.files:,} | {run.segments:,} | {run.requests:,} | {run.run.wall:.1f} "
                     f"| {run.run.peak_mb:.0f} | {run.run.peak_mb - base.run.peak_mb:.0f} |")
        print(lines[-1], flush=True)
    return lines


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="qmt-bench-overhead-"))
    print("qmt translate through the CLI; emulator without limits or latency; qmt pacing off; one language; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}\n", flush=True)
    try:
        overhead = overhead_table(root)
        memory = memory_table(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("\nPipeline overhead\n\n" + "\n".join(overhead))
    print("\nPeak memory of the qmt process\n\n" + "\n".join(memory))
    return 0


if __name__ == "__main__":
    sys.exit(main())
