"""Benchmark: a one-million-row CSV through the real pipeline, against the local emulator.

    .venv/bin/python bench/bench_csv.py             # 1,000,000 rows (a minute or two)
    QMT_BENCH_ROWS=20000 .venv/bin/python bench/bench_csv.py   # a quick check

The file (``write_large_csv`` of ``tests/csvgen.py``) is a product export
with two text columns, ``name`` and ``description``, drawn from small vocabularies:
a million rows, about 130 distinct values. Each scenario writes a job file, then runs
:func:`pipeline.job.run.run_job` with a :class:`QwenBackend` talking HTTP to an in-process
:class:`EmulatorServer` (pseudo-translation, no latency, no limits; pacing off).

Every scenario runs in a fresh child process, so its peak memory (``ru_maxrss``: the
pipeline plus the emulator thread and the imports) is its own. "base MB" is that
process just before the run starts (libraries and the offline Qwen tokenizer, shared
by client and emulator, are most of it) and "run MB" = peak - base is what the run
itself needed: for a streamed CSV it follows the distinct values, not the rows.
Requests and tokens are what the emulator billed.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))   # csvgen: the test-data generator

ROWS = int(os.environ.get("QMT_BENCH_ROWS", "1000000"))
TARGETS = ("zh", "ja")
KEY = "sk-bench0123456789abcdef"
# name -> [csv] table: both text columns translated, into two languages.
SCENARIOS = {
    "add": 'mode = "add"\ncolumns = ["name", "description"]\n',
    "per-language": 'mode = "per-language"\ncolumns = ["name", "description"]\n',
}
COLUMNS = (
    ("scenario", "{}", "<"),
    ("rows", "{:,}", ">"),
    ("in MB", "{:.1f}", ">"),
    ("out MB", "{:.1f}", ">"),
    ("wall s", "{:.1f}", ">"),
    ("rows/s", "{:,.0f}", ">"),
    ("segments", "{:,}", ">"),
    ("requests", "{:,}", ">"),
    ("tokens", "{:,}", ">"),
    ("base MB", "{:.0f}", ">"),
    ("peak MB", "{:.0f}", ">"),
    ("run MB", "{:.0f}", ">"),
    ("status", "{}", "<"),
)


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(run_scenario(Path(sys.argv[2]), sys.argv[3])))
        return 0
    from csvgen import write_large_csv

    results = []
    with tempfile.TemporaryDirectory(prefix="qmt-bench-csv-") as tmp:
        data = Path(tmp) / "data" / "products.csv"
        data.parent.mkdir()
        started = time.perf_counter()
        write_large_csv(data, ROWS)
        print(f"generated {ROWS:,} rows ({data.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s",
              flush=True)
        for name in SCENARIOS:
            results.append(child(Path(tmp), data, name))
    print_table(results)
    return 0 if all(r["status"] == "ok" for r in results) else 1


def child(tmp: Path, data: Path, name: str) -> dict:
    """Run one scenario in a fresh process and read back its JSON line."""
    work = tmp / name
    (work / "in").mkdir(parents=True)
    os.link(data, work / "in" / data.name)  # the same file, no copy
    proc = subprocess.run([sys.executable, __file__, "--child", str(work), name],
                          capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        return {"scenario": name, "status": f"crashed ({proc.returncode})"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_scenario(work: Path, name: str) -> dict:
    """In the child: emulator up, job written and loaded, run timed, usage read back."""
    from pipeline.config import load_job, with_overrides
    from pipeline.emulator import EmulatorServer
    from pipeline.job.progress import Progress
    from pipeline.job.run import run_job
    from pipeline.translate.qwen_backend import QwenBackend

    job_file = work / "job.toml"
    job_file.write_text(
        f'name = "bench-{name}"\ninput = "in"\noutput = "out/{{lang}}"\nsource_lang = "en"\n'
        f"target_langs = {json.dumps(list(TARGETS))}\n"
        "[run]\nconcurrency = 8\nrpm = 0\ntpm = 0\n"
        f"[csv]\n{SCENARIOS[name]}",
        encoding="utf-8",
    )
    with EmulatorServer(mode="pseudo", api_key=KEY, latency_ms=0) as server:
        job = with_overrides(load_job(job_file), base_url=server.base_url)
        backend = QwenBackend(api_key=KEY, base_url=server.base_url, timeout=60)
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        result = run_job(job, backend=backend, progress=Progress(interactive=False))
        wall = time.perf_counter() - started
        billing = server.billing
        requests, tokens = billing.received, billing.prompt_tokens + billing.completion_tokens
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    (report,) = result.files
    outputs = [Path(p) for p in report.outputs]
    return {
        "scenario": name,
        "rows": ROWS,
        "in MB": (work / "in" / "products.csv").stat().st_size / 1e6,
        "out MB": sum(p.stat().st_size for p in outputs) / 1e6,
        "wall s": wall,
        "rows/s": ROWS / wall,
        "segments": report.segments,
        "requests": requests,
        "tokens": tokens,
        "base MB": base,
        "peak MB": peak,
        "run MB": peak - base,
        "status": "ok" if result.exit_code == 0 and report.status == "written" else f"{report.status}: {report.reason}",
    }


def print_table(results: list[dict]) -> None:
    cells = [[fmt.format(r[key]) if key in r else "-" for key, fmt, _ in COLUMNS] for r in results]
    widths = [max(len(key), *(len(row[i]) for row in cells)) for i, (key, _, _) in enumerate(COLUMNS)]

    def line(values: list[str]) -> str:
        return "  ".join(f"{v:{align}{w}}" for v, w, (_, _, align) in zip(values, widths, COLUMNS)).rstrip()

    print(line([key for key, _, _ in COLUMNS]))
    print(line(["-" * w for w in widths]))
    for row in cells:
        print(line(row))


if __name__ == "__main__":
    sys.exit(main())
