"""The job's SQLite state store: WAL, cache keys, TM additions, the ledger journal."""
from __future__ import annotations

import sqlite3
from dataclasses import replace

from pipeline.ledger.store import StateStore, cache_key, fingerprint, ledger_row
from pipeline.translate.backend import Sampling, TermPair
from pipeline.ledger.usage import read_ledger

BASE = dict(text="Click <g1>Save</g1>.", source_lang="en", target_lang="zh", model="qwen-mt-flash",
            terms=(TermPair("save", "保存"),), tm_list=(TermPair("Click Save", "点击保存"),),
            domains="", sampling=Sampling())


def row(n: int = 0, status: str = "ok") -> dict:
    return ledger_row(job="j", run_id="r1", region="beijing", file="a.md", target_lang="zh",
                      model="qwen-mt-flash", request_id=f"req-{n}", prompt_tokens=10 + n, completion_tokens=5,
                      status=status, latency_s=0.1, attempt=1)


def test_store_is_in_wal_mode(tmp_path):
    store = StateStore(tmp_path / "s" / "state.sqlite")
    assert store.journal_mode == "wal"
    store.close()


def test_cache_key_changes_with_every_input():
    key = cache_key(**BASE)
    assert cache_key(**BASE) == key
    changes = [dict(text="Click <g2>Save</g2>."), dict(source_lang="auto"), dict(target_lang="ja"),
               dict(model="qwen-mt-plus"), dict(terms=()), dict(terms=(TermPair("save", "存储"),)),
               dict(tm_list=()), dict(domains="IT"), dict(sampling=Sampling(temperature=0.1)),
               dict(sampling=Sampling(seed=7))]
    keys = {cache_key(**(BASE | change)) for change in changes}
    assert key not in keys and len(keys) == len(changes)


def test_fingerprint_ignores_only_text_and_tm_list():
    settings = {k: v for k, v in BASE.items() if k not in ("text", "tm_list")}
    fp = fingerprint(**settings)
    assert fingerprint(**(settings | {"terms": ()})) != fp
    assert fingerprint(**(settings | {"sampling": replace(Sampling(), top_p=0.5)})) != fp


def test_commit_is_one_transaction_and_survives_reopening(tmp_path):
    path = tmp_path / "state.sqlite"
    store = StateStore(path)
    store.commit(ledger=[row(1)], cache=[("k1", "翻译", "qwen:beijing")],
                 tm=[("en", "zh", "hello", "Hello", "你好", "fp", "qwen:beijing")])
    store.close()
    again = StateStore(path)
    assert again.cached("k1", "qwen:beijing") == "翻译" and again.cached("k2", "qwen:beijing") is None
    assert again.tm_exact("hello", "en", "zh", "fp", "qwen:beijing") == [("Hello", "你好")]
    assert again.tm_exact("hello", "en", "zh", "other", "qwen:beijing") == []
    # another engine's answers are never served (nor those of unknown origin)
    assert again.cached("k1", "emulator:pseudo") is None and again.cached("k1", "") is None
    assert again.tm_exact("hello", "en", "zh", "fp", "emulator:pseudo") == []
    assert [(e.source, e.target) for e in again.tm_entries()] == [("Hello", "你好")]
    assert again.ledger_rows() == 1
    again.close()


def test_ledger_export_writes_each_row_exactly_once(tmp_path):
    store = StateStore(tmp_path / "state.sqlite")
    ledger = tmp_path / "ledger"
    store.commit(ledger=[row(1), row(2)])
    assert store.export_ledger(ledger) == 2
    assert store.export_ledger(ledger) == 0
    store.commit(ledger=[row(3, "RateLimited")])
    assert store.export_ledger(ledger) == 1
    frame = read_ledger(ledger)
    assert sorted(frame["request_id"].to_list()) == ["req-1", "req-2", "req-3"]
    assert frame["prompt_tokens"].sum() == 11 + 12 + 13
    store.close()


def test_an_export_cut_short_by_a_kill_is_not_repeated(tmp_path):
    path, ledger = tmp_path / "state.sqlite", tmp_path / "ledger"
    store = StateStore(path)
    store.commit(ledger=[row(1), row(2)])
    store.export_ledger(ledger)
    # The kill came after the part was renamed into place, before the rows were marked.
    store._db.execute("UPDATE ledger SET exported = 0")
    store.close()
    again = StateStore(path)
    again.recover_exports(ledger)
    assert again.export_ledger(ledger) == 0
    assert read_ledger(ledger).height == 2
    again.close()


def test_a_reader_sees_committed_rows_while_the_writer_is_open(tmp_path):
    path = tmp_path / "state.sqlite"
    store = StateStore(path)
    store.commit(ledger=[row(1)])
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as reader:
        assert reader.execute("SELECT count(*) FROM ledger").fetchone()[0] == 1
    store.close()


def test_a_failed_state_write_is_kept_pending_and_reported(tmp_path, monkeypatch):
    import sqlite3

    from pipeline.config import load_job
    from pipeline.ledger.journal import Journal

    (tmp_path / "in").mkdir()
    (tmp_path / "job.toml").write_text('input = "in"\noutput = "out/{lang}"\ntarget_langs = ["de"]\n')
    job = load_job(tmp_path / "job.toml")
    memory = Journal.open(job, run_id="r", region="beijing", ledger_dir=job.state_dir / "ledger")

    def broken(**_):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(memory.store, "commit", broken)
    memory._journal(memory._row("a.md", "de", "req-1", 10, 5, "ok", 0.1, 1))  # flushed at once: fails
    assert "disk is full" in memory.error
    assert memory._pending  # kept for the next flush, not lost
    memory.store.close()


def test_pending_rows_are_replaced_by_the_outcome_and_never_exported_half_known(tmp_path):
    store = StateStore(tmp_path / "state.sqlite")
    ledger = tmp_path / "ledger"
    store.journal_pending([row(1, "pending") | {"attempt_key": "k1", "estimated": 1}])
    store.commit(ledger=[row(2)])                       # a later request settles first
    assert store.export_ledger(ledger) == 0             # nothing past a pending row is exported
    store.commit(ledger=[row(1) | {"attempt_key": "k1"}])
    assert store.export_ledger(ledger) == 2
    frame = read_ledger(ledger)
    assert sorted(frame["status"].to_list()) == ["ok", "ok"] and not frame["estimated"].any()
    store.close()


def test_pending_rows_of_a_killed_run_become_outcome_unknown_with_their_estimates(tmp_path):
    store = StateStore(tmp_path / "state.sqlite")
    store.journal_pending([row(1, "pending") | {"attempt_key": "k1", "estimated": 1}])
    store.close()                                       # the process died with the request in flight
    again = StateStore(tmp_path / "state.sqlite")
    assert again.reconcile_pending() == 1
    again.export_ledger(tmp_path / "ledger")
    frame = read_ledger(tmp_path / "ledger")
    assert frame["status"].to_list() == ["outcome_unknown"] and frame["estimated"].to_list() == [True]
    assert frame["prompt_tokens"].to_list() == [11]
    again.close()


def test_a_state_file_from_before_the_new_journal_columns_still_opens(tmp_path):
    path = tmp_path / "state.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE ledger (id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, job TEXT, "
                   "run_id TEXT, file TEXT, target_lang TEXT, model TEXT, region TEXT, request_id TEXT, "
                   "prompt_tokens INTEGER, completion_tokens INTEGER, status TEXT, latency_s REAL, attempt INTEGER, "
                   "share REAL, segments INTEGER, exported INTEGER NOT NULL DEFAULT 0)")
        db.execute("INSERT INTO ledger (time, job, status, prompt_tokens, completion_tokens, share, segments) "
                   "VALUES ('2026-01-01T00:00:00+00:00', 'j', 'ok', 3, 4, 1.0, 1)")
    store = StateStore(path)
    store.commit(ledger=[row(1)])
    assert store.export_ledger(tmp_path / "ledger") == 2
    frame = read_ledger(tmp_path / "ledger")
    assert frame["estimated"].to_list() == [False, False]
    store.close()


def test_a_store_from_before_media_is_upgraded_and_keeps_its_rows(tmp_path):
    path = tmp_path / "state.sqlite"
    with sqlite3.connect(path) as db:  # the ledger table as the first release created it
        db.execute("CREATE TABLE ledger (id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, job TEXT, "
                   "run_id TEXT, file TEXT, target_lang TEXT, model TEXT, region TEXT, request_id TEXT, "
                   "prompt_tokens INTEGER, completion_tokens INTEGER, status TEXT, latency_s REAL, attempt INTEGER, "
                   "share REAL, segments INTEGER, exported INTEGER NOT NULL DEFAULT 0)")
        db.execute("INSERT INTO ledger (time, job, prompt_tokens, completion_tokens) "
                   "VALUES ('2026-01-01T00:00:00+00:00', 'old', 3, 4)")
    store = StateStore(path)
    row = ledger_row(job="new", run_id="r", region="beijing", file="talk.wav", target_lang="zh",
                     model="qwen3-livetranslate-flash", request_id="x", prompt_tokens=25, completion_tokens=30,
                     status="ok", latency_s=0.1, attempt=1, audio_tokens=25)
    store.commit(ledger=[row], media=[("k", "text", b"\x00\x01")])
    assert store.media_cached("k") == ("text", b"\x00\x01")
    store.export_ledger(tmp_path / "ledger")
    store.close()
    ledger = read_ledger(tmp_path / "ledger")
    assert sorted(ledger["audio_tokens"].to_list()) == [0, 25] and ledger.height == 2
