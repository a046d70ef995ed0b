"""The state folder misbehaving: a disk that fills up under the journal or the ledger.

The failure is injected at the storage layer (SQLite's "database or disk is full", an
``OSError(ENOSPC)`` from the Parquet writer), never at the SDK: the run must stop before
its next request with one line naming the path, keep what it had stored, leave nothing
half-written, and a rerun on a freed disk must pay only for what was never stored.
"""
from __future__ import annotations

import errno
import sqlite3

import polars as pl
import pytest
from support import EMULATOR_KEY

from pipeline.cli import main
from pipeline.ledger.store import StateStore, ledger_row
from pipeline.job.run import EXIT_OK, EXIT_STATE
from pipeline.ledger.usage import OUTCOME_UNKNOWN, read_ledger

FILES = {f"page{i}.md": f"# Page {i}\n\nFirst paragraph of page {i}.\n\nSecond paragraph of page {i}.\n".encode()
         for i in range(6)}


class FillingDisk:
    """Lets ``room`` journal writes through, then fails every write as a full disk would."""

    def __init__(self, monkeypatch, room: int):
        self.room, self.full = room, False
        for name in ("commit", "journal_pending"):
            original = getattr(StateStore, name)
            monkeypatch.setattr(StateStore, name, self._wrap(original))

    def _wrap(self, original):
        def write(store, *args, **kwargs):
            if self.full or self.room <= 0:
                self.full = True
                raise sqlite3.OperationalError("database or disk is full")
            self.room -= 1
            return original(store, *args, **kwargs)
        return write


def translate(job, server, capsys) -> tuple[int, str]:
    code = main(["translate", job.source, "--base-url", server.base_url])
    return code, capsys.readouterr().err


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)


def test_a_full_disk_stops_the_spending_and_a_rerun_pays_only_for_what_was_lost(make_job, server, monkeypatch,
                                                                                capsys):
    job = make_job(FILES, pack_tokens=0, concurrency=1)
    disk = FillingDisk(monkeypatch, room=9)
    code, err = translate(job, server, capsys)
    first = server.billing.received

    assert code == EXIT_STATE == 7
    stop = [line for line in err.splitlines() if "stopped before the next request" in line]
    assert len(stop) == 1 and str(job.state_dir / "state.sqlite") in stop[0] and "disk is full" in stop[0]
    assert "Traceback" not in err
    # Every request sent had been journaled first; after the disk filled, none was sent.
    assert 0 < first <= 9
    assert not list(job.state_dir.rglob("*.tmp")) and not list(job.output_dir("zh").parent.rglob("*.tmp"))

    monkeypatch.undo()                      # the disk has room again
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    code, err = translate(job, server, capsys)
    assert code == EXIT_OK, err
    # Each request billed in the first run is in the ledger: settled, or "outcome unknown"
    # for answers that arrived when nothing could be stored any more.
    ledger = read_ledger(job.state_dir / "ledger")
    first_run = ledger.filter(pl.col("run_id") == ledger.sort("time")["run_id"][0])
    assert first_run["share"].sum() == pytest.approx(first)
    assert first_run.filter(pl.col("status") == OUTCOME_UNKNOWN)["estimated"].all()
    # The rerun paid only for segments whose answers were never stored.
    stored = first_run.filter(pl.col("status") == "ok").height
    assert server.billing.received - first == 6 * 3 - stored
    assert disk.full


def test_a_ledger_that_cannot_be_written_is_one_line_and_leaves_no_temporary_part(make_job, server, monkeypatch,
                                                                                 capsys):
    job = make_job(FILES, pack_tokens=0, concurrency=1)
    assert translate(job, server, capsys)[0] == EXIT_OK
    sent = server.billing.received

    def no_space(frame, path, *args, **kwargs):
        open(path, "wb").close()                    # polars had created the file ...
        raise OSError(errno.ENOSPC, "No space left on device")   # ... when the disk filled

    monkeypatch.setattr(pl.DataFrame, "write_parquet", no_space)
    # Journal rows a run could not export are exported by the next start: make some.
    store = StateStore(job.state_dir / "state.sqlite")
    store.commit(ledger=[ledger_row(job=job.name, run_id="r0", region="beijing", file="x.md", target_lang="zh",
                                    model=job.model, request_id="r", prompt_tokens=1, completion_tokens=1,
                                    status="ok", latency_s=0.0, attempt=1)])
    store.close()
    code, err = translate(job, server, capsys)
    assert code == EXIT_STATE
    lines = [line for line in err.splitlines() if line.startswith("qmt: error")]
    assert len(lines) == 1 and "No space left on device" in lines[0] and str(job.state_dir / "ledger") in lines[0]
    assert "Traceback" not in err
    assert not list((job.state_dir / "ledger").glob("*.tmp"))
    assert server.billing.received == sent          # nothing was sent


def _full(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _fill_report(monkeypatch):
    """The disk fills just before the end-of-run report is written."""
    import pipeline.job.run as run_module

    real = run_module.write_atomic

    def write(path, data):
        if "reports" in path.parts:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, data)

    monkeypatch.setattr(run_module, "write_atomic", write)
    return "reports"


def _fill_lock_journal(monkeypatch):
    """... just before a file's lock entries are journaled (its outputs are not renamed)."""
    monkeypatch.setattr(StateStore, "journal_lock", lambda *a, **k: (_ for _ in ()).throw(
        sqlite3.OperationalError("database or disk is full")))
    return "state.sqlite"


def _fill_lock_file(monkeypatch):
    """... just before the lock files are written at the end."""
    import pipeline.repository.book as book

    def write(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(book, "write_lock", write)
    return ".qmtlock"


@pytest.mark.parametrize("fill", [_fill_report, _fill_lock_journal, _fill_lock_file])
def test_a_full_disk_at_any_point_is_exit_7_naming_the_path(make_job, server, monkeypatch, capsys, fill):
    job = make_job(FILES, pack_tokens=0, concurrency=1)
    where = fill(monkeypatch)
    code, err = translate(job, server, capsys)
    assert code == EXIT_STATE, err
    assert "Traceback" not in err and "nothing was sent" not in err
    stop = [line for line in err.splitlines() if "stopped before the next request" in line and where in line]
    assert len(stop) == 1 and ("No space left on device" in stop[0] or "disk is full" in stop[0])
    monkeypatch.undo()
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    assert translate(job, server, capsys)[0] == EXIT_OK
    # Each of the 18 segments was paid for once: the rerun sent only what the first never did.
    assert server.billing.received == len(FILES) * 3
