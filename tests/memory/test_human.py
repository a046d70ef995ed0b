"""Reviewed (human) translations in the job's state: stored once, read back, and old
state files without the table still read."""
from __future__ import annotations

import sqlite3

from pipeline.ledger.store import StateStore


def test_store_human_is_idempotent_and_replaces(tmp_path):
    store = StateStore(tmp_path / "state.sqlite")
    rows = [("en", "fr", "Save <g1>now</g1>", "Enregistrer <g1>maintenant</g1>", "a.xlf#u1")]
    assert store.store_human(rows) == 1
    assert store.store_human(rows) == 0
    assert store.human("Save <g1>now</g1>", "en", "fr") == "Enregistrer <g1>maintenant</g1>"
    assert store.human("Save <g1>now</g1>", "en", "de") is None
    assert store.store_human([("en", "fr", "Save <g1>now</g1>", "Sauver <g1>tout de suite</g1>", "b.xlf#u1")]) == 1
    assert [(e.source, e.target) for e in store.human_entries()] == [("Save <g1>now</g1>", "Sauver <g1>tout de suite</g1>")]
    store.close()


def test_state_file_from_before_the_table_still_reads(tmp_path):
    path = tmp_path / "state.sqlite"
    StateStore(path).close()
    db = sqlite3.connect(path)
    db.execute("DROP TABLE human")
    db.commit()
    db.close()
    old = StateStore.read_only(path)
    assert old.human("x", "en", "fr") is None and old.human_entries() == []
    old.close()
    StateStore(path).close()   # opening it for a run adds the table
    assert StateStore.read_only(path).human_entries() == []
