"""Benchmark: the review loop over the shared corpus, through the CLI, as a user runs it.

    .venv/bin/python bench/bench_review.py

Translates ``../shared/corpus`` into French and Japanese against a local emulator named
as the job's endpoint (pseudo-translation: the output is not a real translation; the
job's state knows it as the emulator's, see pipeline.provenance), then times ``qmt check``,
``qmt xliff export`` in both versions and ``qmt xliff import`` of every exported 2.1
file unchanged (a no-op). Each step is its own ``qmt`` process, so its wall time
includes start-up; peak memory is the child's ``ru_maxrss``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
QMT = [sys.executable, "-m", "pipeline"]
KEY = "sk-bench0123456789abcdef"


def step(name: str, args: list[str], cwd: Path) -> tuple[str, float, float, int]:
    """Run one qmt command; its wall time, its own peak memory (MB) and exit code."""
    start = time.perf_counter()
    proc = subprocess.Popen(QMT + args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return name, wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> int:
    if not CORPUS.is_dir():
        print(f"skipped: the shared corpus is not at {CORPUS}")
        return 0
    sys.path.insert(0, str(REPO))
    from pipeline.emulator import EmulatorServer

    with tempfile.TemporaryDirectory() as tmp, EmulatorServer(mode="pseudo", api_key=KEY) as server:
        work = Path(tmp)
        os.environ["DASHSCOPE_API_KEY"] = KEY
        (work / "job.toml").write_text(f'input = "{CORPUS}"\noutput = "out/{{lang}}"\nsource_lang = "en"\n'
                                       f'target_langs = ["fr", "ja"]\nbase_url = "{server.base_url}"\n'
                                       '[run]\nrpm = 0\ntpm = 0\n', encoding="utf-8")
        rows = [step("translate (emulator)", ["translate", "job.toml"], work),
                step("check", ["check", "job.toml"], work),
                step("xliff export 2.1", ["xliff", "export", "job.toml", "-o", "x21"], work),
                step("xliff export 1.2", ["xliff", "export", "job.toml", "--xliff", "1.2", "-o", "x12"], work)]
        files = sorted(str(p) for p in (work / "x21").rglob("*.xlf"))
        rows.append(step(f"xliff import ({len(files)} files)", ["xliff", "import", *files], work))
        report = json.loads((work / "out" / ".qmt" / "job" / "qa" / "check.json").read_text())
        units = sum(1 for p in (work / "x21").rglob("*.xlf") for line in p.read_text().split("<unit ")[1:])
    print(f"{'step':<28} {'wall s':>7} {'peak MB':>8} {'exit':>5}")
    for name, wall, peak, code in rows:
        print(f"{name:<28} {wall:>7.2f} {peak:>8.0f} {code:>5}")
    print(f"\n{len(report['files'])} documents checked ({len(report['unreadable'])} unreadable), "
          f"{report['counts']['error']} errors, {report['counts']['warning']} warnings; "
          f"{len(files)} XLIFF 2.1 files, {units} units")
    return 0


if __name__ == "__main__":
    sys.exit(main())
