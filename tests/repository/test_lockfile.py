"""The lock file's format: round trip, sorted diff-friendly lines, escapes, and what a
merge conflict left in it says."""
from __future__ import annotations

import pytest

from pipeline.repository.lockfile import (LockEntry, LockedOutput, LockFormatError, parse_lock, read_lock,
                                          render_lock, text_hash, write_lock, written_hash)


def sample() -> list[LockedOutput]:
    return [
        LockedOutput("docs/b.md", "1" * 16, "2" * 16, [
            LockEntry("7", text_hash("Save"), written_hash("Sauver"), "qwen:beijing", "abcdef012345"),
            LockEntry("9", text_hash("Open <g1>it</g1>"), written_hash("<g1>Ouvrir</g1>"), "human", "-", "",
                      "Open <g1>it</g1>\twith a tab\nand a newline %"),
        ]),
        LockedOutput("a\tstrange name.md", "3" * 16, "4" * 16, [
            LockEntry("p1", "x" * 12, "y" * 12, "emulator:pseudo", "0123456789ab", "2,1"),
        ]),
    ]


def test_render_and_parse_round_trip_with_escapes():
    engines = {"http://127.0.0.1:8765/compatible-mode/v1": "emulator:pseudo"}
    text = render_lock("docs", "fr", sample(), engines)
    found: dict[str, str] = {}
    parsed = parse_lock(text, "fr.lock", found)
    assert found == engines
    assert {k: v for k, v in parsed.items()} == {o.relpath: o for o in sample()}


def test_lines_are_sorted_one_per_segment_and_a_changed_segment_is_a_one_line_diff():
    first = render_lock("docs", "fr", sample()).splitlines()
    data = [line for line in first if not line.startswith("#")]
    assert data == sorted(data)
    changed = sample()
    changed[0].entries[0] = LockEntry("7", text_hash("Save"), written_hash("Enregistrer"), "human", "-", "", "Save")
    second = render_lock("docs", "fr", changed).splitlines()
    assert len(first) == len(second) and sum(a != b for a, b in zip(first, second)) == 1


def test_written_hash_ignores_whitespace_runs_and_tag_ids_but_not_text():
    assert written_hash("<g3>Sauver</g3>  maintenant") == written_hash("<g1>Sauver</g1> maintenant")
    assert written_hash("Sauver") != written_hash("Sauvez")


def test_a_merge_conflict_names_the_file_and_line(tmp_path):
    path = tmp_path / "fr.lock"
    text = render_lock("docs", "fr", sample())
    lines = text.splitlines()
    path.write_text("\n".join(lines[:5] + ["<<<<<<< HEAD"] + lines[5:] + [">>>>>>> other"]) + "\n")
    with pytest.raises(LockFormatError, match=r"fr.lock line 6: a merge conflict marker"):
        read_lock(path)


def test_a_garbled_line_is_an_error_and_a_missing_file_is_empty(tmp_path):
    assert read_lock(tmp_path / "none.lock") == {}
    path = tmp_path / "fr.lock"
    path.write_text("docs/a.md\tnot a number\tx\n")
    with pytest.raises(LockFormatError, match="not a qmt lock line"):
        read_lock(path)


def test_write_is_atomic_and_an_empty_lock_is_removed(tmp_path):
    path = tmp_path / "locks" / "fr.lock"
    write_lock(path, "docs", "fr", sample())
    assert path.read_text(encoding="utf-8") == render_lock("docs", "fr", sample())
    assert not list(path.parent.glob(".*.tmp"))
    write_lock(path, "docs", "fr", [])
    assert not path.exists()
