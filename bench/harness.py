"""Run ``qmt`` the way a user does, for the benchmarks: CLI subprocesses, a separate emulator.

* :class:`EmulatorProcess` starts ``qmt emulator`` (its own process, so its CPU and
  memory are not the client's) with the given limits, latency and time scale, and reads
  its stats (``GET /_emulator/stats``) and billing log (one JSON line per billed request).
* :func:`run_qmt` runs one ``qmt`` command (the venv's ``qmt`` script) as a child process
  and returns its wall time, CPU time and peak RSS, from ``os.wait4`` on that child
  alone (``ru_maxrss``: the resident set of the qmt process, not the emulator's and not
  this script's).
* :func:`write_job` writes a job file; :func:`run_report` and :func:`misaligned` read
  what a run left in its state folder.

qmt talks to the emulator through ``--base-url`` with a placeholder key in
``DASHSCOPE_API_KEY``: every answer carries the emulator's engine header, so qmt records
it as emulated (never as a real translation).
"""
from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# The installed ``qmt`` script beside this interpreter (what users type), else the module.
_SCRIPT = Path(sys.executable).parent / "qmt"
QMT = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "pipeline"]
KEY = "sk-bench0123456789abcdef"           # a placeholder: the emulator accepts any key
RPM, TPM = 60, 100_000                       # documented per-model limits (Singapore, qwen-mt-flash)
# The emulated clock of the throughput benches (bench_job, bench_mixed): a minute lasts 12 s.
# The scale shrinks the service's time, never qmt's: its start-up and its last writes (about
# 3 s of wall time on 2 cores) are half an emulated minute on a 6 s minute, 4% of a 12-minute
# run, where the real 60 s minute makes them 0.4%; at 0.2 they weigh 2%, and a folder still
# lasts its 10 emulated minutes in about two real ones.
BENCH_TIME_SCALE = 0.2
URL_RE = re.compile(r"base URL (http://\S+)")


@dataclass
class Emulated:
    """Options of ``qmt emulator``; None limits mean unlimited."""

    rpm: int | None = None
    tpm: int | None = None
    time_scale: float = 1.0
    latency_ms: float = 0.0
    latency_sigma: float = 0.0
    latency_per_token_ms: float = 0.0
    seed: int = 13
    error_rates: dict[str, float] = field(default_factory=dict)
    realistic: bool = False     # ``--realistic``: occasional 5xx, throttles and marker damage too

    def argv(self, billing_log: Path) -> list[str]:
        out = ["--port", "0", "--seed", str(self.seed), "--time-scale", str(self.time_scale),
               "--latency-ms", str(self.latency_ms), "--latency-sigma", str(self.latency_sigma),
               "--latency-per-token-ms", str(self.latency_per_token_ms),
               # completion tokens billed as a real translation would be, not as the pseudo-text
               "--output-tokens", "source", "--billing-log", str(billing_log)]
        if self.rpm is not None:
            out += ["--rpm", str(self.rpm)]
        if self.tpm is not None:
            out += ["--tpm", str(self.tpm)]
        for kind, rate in self.error_rates.items():
            out += ["--error-rate", f"{kind}={rate}"]
        return out + (["--realistic"] if self.realistic else [])

    @property
    def minute(self) -> float:
        """Real seconds in one emulated minute."""
        return 60.0 * self.time_scale

    def client_limits(self) -> list[str]:
        """qmt's pacing matching the emulator's: the same limits over the same scaled minute
        (``--minute-seconds``), so qmt's sliding window is the emulator's (0: no pacing)."""
        return ["--rpm", str(self.rpm or 0), "--tpm", str(self.tpm or 0), "--minute-seconds", f"{self.minute:g}"]


class EmulatorProcess:
    """``qmt emulator`` in a child process for the duration of a ``with`` block."""

    def __init__(self, options: Emulated, workdir: Path):
        self.options = options
        self.billing_log = workdir / "billing.jsonl"
        self.billing_log.unlink(missing_ok=True)
        self._proc: subprocess.Popen[str] | None = None
        self.base_url = ""

    def __enter__(self) -> "EmulatorProcess":
        self._proc = subprocess.Popen([*QMT, "emulator", *self.options.argv(self.billing_log)], cwd=REPO,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self._proc.stdout.readline() if self._proc.stdout else ""
        match = URL_RE.search(line)
        if not match:
            self.__exit__()
            raise RuntimeError(f"qmt emulator did not start: {line!r}")
        self.base_url = match.group(1)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def stats(self) -> dict[str, Any]:
        root = re.match(r"http://[^/]+", self.base_url).group(0)   # scheme and host:port
        with urllib.request.urlopen(f"{root}/_emulator/stats", timeout=30) as resp:
            return json.loads(resp.read())

    def billed(self) -> list[dict[str, Any]]:
        if not self.billing_log.exists():
            return []
        return [json.loads(line) for line in self.billing_log.read_text(encoding="utf-8").splitlines() if line]


@dataclass
class Finished:
    """One qmt command as a child process: exit code, output, wall and CPU seconds, peak RSS."""

    code: int
    stdout: str
    stderr: str
    wall: float
    cpu: float
    peak_mb: float


def run_qmt(args: list[str], workdir: Path, timeout: float | None = None) -> Finished:
    """Run ``qmt ARGS`` and measure that process alone (``os.wait4`` gives its own rusage)."""
    out_path, err_path = workdir / "qmt.out", workdir / "qmt.err"
    env = os.environ | {"DASHSCOPE_API_KEY": KEY, "PYTHONUNBUFFERED": "1"}
    env.pop("DASHSCOPE_BASE_URL", None)
    with out_path.open("w") as out, err_path.open("w") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([*QMT, *args], cwd=REPO, stdout=out, stderr=err, env=env)
        deadline = None if timeout is None else start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                proc.send_signal(signal.SIGINT)
                deadline = None
            time.sleep(0.05)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Finished(proc.returncode, out_path.read_text(), err_path.read_text(), wall,
                    usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def write_job(path: Path, *, name: str, input_dir: Path, targets: tuple[str, ...], run: dict[str, Any] | None = None,
              extra: str = "") -> Path:
    """A job file: ``input_dir`` into ``targets`` under ``path.parent/out/{lang}`` (state in
    ``path.parent/out/.qmt/NAME``), English source, qwen-mt-flash in Singapore."""
    lines = [f'name = "{name}"', f'input = "{input_dir}"', f'output = "{path.parent / "out"}/{{lang}}"',
             'source_lang = "en"', f"target_langs = {json.dumps(list(targets))}",
             'model = "qwen-mt-flash"', 'region = "singapore"',
             'include = ["**/*.md", "**/*.mdx", "**/*.html", "**/*.docx", "**/*.csv", "**/*.json", "**/*.pot"]']
    if run:
        lines += ["", "[run]"] + [f"{key} = {json.dumps(value)}" for key, value in run.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def state_dir(job_path: Path, name: str) -> Path:
    return job_path.parent / "out" / ".qmt" / name


def run_report(job_path: Path, name: str) -> dict[str, Any]:
    """The JSON report the run wrote (``reports/run-*.json`` in the state folder), or {}."""
    reports = sorted((state_dir(job_path, name) / "reports").glob("run-*.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(reports[-1].read_text(encoding="utf-8")) if reports else {}


ESTIMATE_FIELDS = {"segments": r"segments x languages\s+(\d+)", "requests": r"requests\s+(\d+)",
                   "prompt_tokens": r"prompt tokens\s+(\d+)", "completion_tokens": r"completion tokens\s+(\d+)"}


def parse_estimate(text: str) -> dict[str, int]:
    """The numbers of ``qmt estimate``'s printed table."""
    out = {}
    for key, pattern in ESTIMATE_FIELDS.items():
        match = re.search(rf"^\s+{pattern}", text, re.MULTILINE)
        out[key] = int(match.group(1)) if match else -1
    return out


def misaligned(job_path: Path, name: str) -> tuple[int, int]:
    """Stored translations that are not the pseudo-translation of their own source.

    The emulator's pseudo-translation is reversible, so a translation answered for the
    wrong segment (a pack unpacked one-off) shows here whatever qmt itself believed:
    each row of the state's translation memory must reverse to its source. Returns
    (misaligned, rows checked); (-1, 0) when the state has no such table."""
    from pipeline.emulator.pseudo import reverse_pseudo

    db = state_dir(job_path, name) / "state.sqlite"
    if not db.exists():
        return -1, 0
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT source, target, target_lang FROM tm").fetchall()
    except sqlite3.Error:
        return -1, 0
    finally:
        conn.close()
    return sum(1 for source, target, lang in rows if reverse_pseudo(target, lang) != source), len(rows)
