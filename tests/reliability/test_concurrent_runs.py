"""Two runs of the same job (cron overlapping itself, two CI jobs): the second refuses or
waits, and the state store (cache, translation memory, ledger journal) and the Parquet
ledger come out whole.

The runs are real ``python -m pipeline translate`` processes against the in-process
emulator, whose latency keeps the first run busy while the second starts.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from support import EMULATOR_KEY

from pipeline.ledger.usage import read_ledger

KEY = EMULATOR_KEY   # the emulator fixture's key
FILES = {f"page{i}.md": f"# Page {i}\n\nFirst paragraph of page {i}.\n\nSecond paragraph of page {i}.\n".encode()
         for i in range(6)}


def _start(job_file: Path, server, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "DASHSCOPE_API_KEY": KEY, "DASHSCOPE_BASE_URL": server.base_url}
    return subprocess.Popen([sys.executable, "-m", "pipeline", "translate", str(job_file), *extra],
                            cwd=job_file.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_requests(server, n: int, proc: subprocess.Popen, limit: float = 30.0) -> None:
    end = time.monotonic() + limit
    while server.billing.received < n:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, "the first run never reached the service"
        time.sleep(0.02)


def _state_is_whole(job) -> None:
    db = job.state_dir / "state.sqlite"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ledger = read_ledger(job.state_dir / "ledger")
    assert ledger.height > 0 and ledger["prompt_tokens"].sum() > 0


@pytest.fixture
def slow_job(make_job, server):
    return make_job(FILES, pack_tokens=0, concurrency=1)


def test_second_run_refuses_with_a_clear_message_while_the_first_runs(slow_job, server, tmp_path):
    # The first run stays busy until the second has been turned away, however slowly the
    # second process starts on a loaded machine: the emulator holds its answers until then.
    server.hold()
    try:
        first = _start(tmp_path / "job.toml", server)
        _wait_for_requests(server, 1, first)            # the first run holds the lock and is sending
        second = _start(tmp_path / "job.toml", server)
        out2, err2 = second.communicate(timeout=60)
    finally:
        server.release()
    out1, err1 = first.communicate(timeout=60)
    assert second.returncode == 4, err2
    assert "already running" in err2 and "--wait" in err2 and f"pid {first.pid}" in err2
    assert first.returncode == 0, err1
    _state_is_whole(slow_job)
    # The refused run sent nothing: every request belongs to the first run's ledger.
    assert read_ledger(slow_job.state_dir / "ledger").height == server.billing.received


def test_runs_started_together_with_wait_both_finish_one_after_the_other(slow_job, server, tmp_path):
    server.set_latency(40)        # ~0.7 s of requests: the later starter finds the lock taken
    runs = [_start(tmp_path / "job.toml", server, "--wait", "60") for _ in range(2)]
    results = [p.communicate(timeout=90) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], [err for _, err in results]
    _state_is_whole(slow_job)
    ledger = read_ledger(slow_job.state_dir / "ledger")
    # The second run found everything done by the first: nothing was sent twice, and its
    # reuse is on record as zero-token "tm_hit" rows, not as requests.
    assert server.billing.received == len(FILES) * 3      # 3 segments per page, each sent once
    sent = ledger.filter(pl.col("status") != "tm_hit")
    assert sent.height == server.billing.received and sent["run_id"].n_unique() == 1
    assert ledger["share"].sum() == pytest.approx(server.billing.received)
    assert ledger["prompt_tokens"].sum() == server.billing.prompt_tokens
    for name in FILES:
        assert (tmp_path / "out" / "zh" / name).is_file()
