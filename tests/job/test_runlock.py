"""One run of a job at a time; a killed holder never leaves a stale lock."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from pipeline.cli import main
from pipeline.errors import JobLockedError
from pipeline.job.runlock import job_lock


def test_second_holder_is_refused_with_a_clear_message(tmp_path):
    with job_lock(tmp_path, "docs"):
        with pytest.raises(JobLockedError) as info:
            with job_lock(tmp_path, "docs"):
                pass
    assert "'docs' is already running" in str(info.value) and f"pid {os.getpid()}" in str(info.value)
    with job_lock(tmp_path, "docs"):  # released: free again
        pass


def test_waiting_holder_gets_the_lock_when_released(tmp_path):
    held, release = threading.Event(), threading.Event()

    def hold():
        with job_lock(tmp_path, "docs"):
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)               # the lock is taken before we ask (however slow the thread starts)
    threading.Timer(0.3, release.set).start()
    with job_lock(tmp_path, "docs", wait=5):
        pass
    holder.join()


def test_lock_of_a_killed_process_is_released(tmp_path):
    code = ("import sys, time; from pathlib import Path; from pipeline.job.runlock import job_lock\n"
            "with job_lock(Path(sys.argv[1]), 'docs'):\n    print('held', flush=True); time.sleep(60)\n")
    child = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "held"
        with pytest.raises(JobLockedError):
            with job_lock(tmp_path, "docs"):
                pass
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
    with job_lock(tmp_path, "docs"):
        pass


def test_cli_exit_code_4_when_job_is_running(tmp_path, monkeypatch, capsys):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.md").write_text("Hello.\n")
    job = tmp_path / "j.toml"
    job.write_text('name = "j"\ninput = "in"\noutput = "out/{lang}"\ntarget_langs = ["de"]\n')
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-locktest0123456789abcdef")
    with job_lock(tmp_path / "out" / ".qmt" / "j", "j"):
        assert main(["translate", str(job)]) == 4
    assert "already running" in capsys.readouterr().err
