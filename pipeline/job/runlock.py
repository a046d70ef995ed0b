"""One run of a job at a time: an advisory lock in the job's state folder.

Two runs of the same job (cron overlapping itself, two CI jobs) would race on the
outputs, the cache, the TM and the ledger. The lock is ``fcntl.flock`` on
``<state dir>/run.lock``: the kernel releases it when the holder dies, even by
SIGKILL, so a crashed run never leaves a stale lock behind.
"""
from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from pipeline.errors import JobLockedError

POLL_SECONDS = 0.2


@contextmanager
def job_lock(state_dir: Path, job_name: str, *, wait: float = 0.0) -> Iterator[None]:
    """Hold the job's lock for the block; wait up to ``wait`` seconds, then refuse."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "run.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, path, job_name, wait)
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} since {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC\n".encode())
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, path: Path, job_name: str, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = path.read_text(encoding="utf-8", errors="replace").strip() or "another process"
                raise JobLockedError(
                    f"job {job_name!r} is already running ({holder}); "
                    f"wait for it to finish or pass --wait SECONDS") from None
            time.sleep(POLL_SECONDS)
