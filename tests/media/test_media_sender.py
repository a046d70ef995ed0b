"""Media requests go through the text path's sender (:mod:`pipeline.translate.sender`).

So what holds for text holds for media: each request is journaled as ``pending`` before
it leaves, a state that cannot be written stops the run before its next request (exit
7), and a sustained outage stops it cleanly (exit 6), a rerun resuming. Failures are
injected at the storage layer or by the emulator, never at the SDK.
"""
from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from mediasynth import SAMPLE_PAUSES, SAMPLE_PHRASES, speechlike, write_wav
from support import EMULATOR_KEY
from virtual_time import VirtualTime

from pipeline.cli import main
from pipeline.job.run import EXIT_OK, EXIT_STATE, EXIT_UNAVAILABLE
from pipeline.ledger.store import StateStore
from pipeline.ledger.usage import OUTCOME_UNKNOWN, read_ledger
from pipeline.translate.livetranslate_backend import LiveTranslateBackend

LIVE = "qwen3-livetranslate-flash"


@pytest.fixture(autouse=True)
def emulator_env(server, monkeypatch):
    server.reset()
    server.set_account_state("ok")
    server.set_error_rates({})
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    monkeypatch.setenv("DASHSCOPE_BASE_URL", server.base_url)
    yield
    server.set_error_rates({})


def media_job(tmp_path, run: str = "") -> str:
    """A talk of len(SAMPLE_PHRASES) pieces, into Chinese, one request at a time."""
    pcm, _ = speechlike(SAMPLE_PHRASES, SAMPLE_PAUSES)
    (tmp_path / "in").mkdir()
    write_wav(tmp_path / "in" / "talk.wav", pcm)
    path = tmp_path / "job.toml"
    path.write_text('input = "in"\noutput = "out/{lang}"\nsource_lang = "en"\ntarget_langs = ["zh"]\n'
                    '[run]\nconcurrency = 1\nbackoff_initial = 0.01\nbackoff_max = 0.05\nrpm = 0\ntpm = 0\n' + run)
    return str(path)


def state(tmp_path):
    return tmp_path / "out" / ".qmt" / "job" / "state.sqlite"


def live_billed(server) -> list:
    return [r for r in server.billing.records if r.model == LIVE]


class ReadOnlyState:
    """Lets ``room`` writes of the state store through, then fails each as SQLite does on a
    read-only folder."""

    def __init__(self, monkeypatch, room: int):
        self.room = room
        for name in ("commit", "journal_pending"):
            monkeypatch.setattr(StateStore, name, self._wrap(getattr(StateStore, name)))

    def _wrap(self, original):
        def write(store, *args, **kwargs):
            if self.room <= 0:
                raise sqlite3.OperationalError("attempt to write a readonly database")
            self.room -= 1
            return original(store, *args, **kwargs)
        return write


def test_a_read_only_state_sends_no_media_request_exit_7(tmp_path, server, monkeypatch, capsys):
    job = media_job(tmp_path)
    ReadOnlyState(monkeypatch, room=0)
    assert main(["translate", job]) == EXIT_STATE == 7
    err = capsys.readouterr().err
    stop = [line for line in err.splitlines() if "stopped before the next request" in line]
    assert len(stop) == 1 and str(state(tmp_path)) in stop[0] and "readonly" in stop[0], err
    assert "Traceback" not in err
    assert live_billed(server) == []                     # the pending row could not be written: nothing sent
    assert not (tmp_path / "out" / "zh" / "talk.zh.srt").exists()


def test_a_state_that_stops_being_writable_mid_run_stops_media_and_a_rerun_pays_only_the_rest(
        tmp_path, server, monkeypatch, capsys):
    job = media_job(tmp_path)
    ReadOnlyState(monkeypatch, room=3)   # pending + answer of the first piece, pending of the second
    assert main(["translate", job]) == EXIT_STATE
    first = len(live_billed(server))
    assert first == 2                                    # the third piece's pending row failed: not sent
    monkeypatch.undo()
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    monkeypatch.setenv("DASHSCOPE_BASE_URL", server.base_url)
    assert main(["translate", job]) == EXIT_OK
    ledger = read_ledger(tmp_path / "out" / ".qmt" / "job" / "ledger").filter(pl.col("model") == LIVE)
    first_run = ledger.filter(pl.col("run_id") == ledger.sort("time")["run_id"][0])
    # Both requests billed in the first run are in the ledger: the stored answer as "ok", the
    # one whose answer could not be stored as "outcome unknown" (journaled before it left).
    assert sorted(first_run["status"]) == sorted(["ok", OUTCOME_UNKNOWN])
    # The rerun paid for every piece whose answer was not stored, and no other.
    assert len(live_billed(server)) - first == len(SAMPLE_PHRASES) - 1


def test_a_sustained_outage_stops_a_media_run_with_exit_6_and_a_rerun_resumes(tmp_path, server, monkeypatch,
                                                                             capsys):
    import pipeline.job.run as run_module

    # Time is virtual: the one-second backoff between the two attempts passes at once and
    # is the whole of the outage window, so the first request that gives up declares it.
    time = VirtualTime()
    real = run_module.pool_settings
    monkeypatch.setattr(run_module, "pool_settings", lambda job: replace(real(job), clock=time.clock))
    job = media_job(tmp_path)
    Path(job).write_text(Path(job).read_text().replace(
        "backoff_initial = 0.01\nbackoff_max = 0.05\n",
        "backoff_initial = 1\nbackoff_max = 1\nmax_attempts = 2\noutage_seconds = 1\n"))
    server.set_error_rates({"503": 1.0})
    assert main(["translate", job]) == EXIT_UNAVAILABLE == 6
    err = capsys.readouterr().err
    assert "service unavailable" in err and "run again to resume" in err and "Traceback" not in err
    assert time.slept == [1.0]
    assert not (tmp_path / "out" / "zh" / "talk.zh.srt").exists()
    ledger = read_ledger(tmp_path / "out" / ".qmt" / "job" / "ledger")
    assert ledger.height == server.billing.received == 2   # the two failed attempts, recorded; none after them
    server.set_error_rates({})
    assert main(["translate", job]) == EXIT_OK
    assert (tmp_path / "out" / "zh" / "talk.zh.srt").is_file()


def test_each_media_request_is_journaled_pending_before_it_leaves(tmp_path, server, monkeypatch):
    job = media_job(tmp_path, "[media]\ndub = true\n")
    seen: list[int] = []
    send = LiveTranslateBackend.translate_media

    async def journaled_first(self, request):
        with sqlite3.connect(state(tmp_path)) as db:    # what a kill right now would leave
            seen.append(db.execute("SELECT count(*) FROM ledger WHERE status = 'pending' AND model = ?",
                                   (LIVE,)).fetchone()[0])
        return await send(self, request)

    monkeypatch.setattr(LiveTranslateBackend, "translate_media", journaled_first)
    assert main(["translate", job]) == EXIT_OK
    assert seen == [1] * len(SAMPLE_PHRASES)
    ledger = read_ledger(tmp_path / "out" / ".qmt" / "job" / "ledger")
    assert ledger.filter(pl.col("model") == LIVE)["status"].to_list() == ["ok"] * len(SAMPLE_PHRASES)
