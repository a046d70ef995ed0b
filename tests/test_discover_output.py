"""Which files a job reads, and how outputs are written."""
from __future__ import annotations

import os

import pytest

from pipeline.discover import discover
from pipeline.errors import FileError
from pipeline.output import output_path, write_atomic


def test_include_exclude_globs(tmp_path):
    for rel in ("a.md", "docs/b.md", "docs/deep/c.md", "docs/skip/d.md", "e.csv", "notes.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    found, _ = discover(tmp_path, ("**/*.md", "*.csv"), ("docs/skip/**",))
    assert [f.relpath for f in found] == ["a.md", "docs/b.md", "docs/deep/c.md", "e.csv"]


def test_symlink_outside_input_is_not_followed(tmp_path):
    outside = tmp_path / "secret.md"
    outside.write_text("secret")
    root = tmp_path / "in"
    root.mkdir()
    (root / "ok.md").write_text("fine")
    os.symlink(outside, root / "link.md")
    found, skipped = discover(root, ("**/*",), ())
    assert [f.relpath for f in found] == ["ok.md"]
    assert skipped[0].relpath == "link.md" and "outside the input folder" in skipped[0].reason


def test_output_path_refuses_escape(tmp_path):
    assert output_path(tmp_path, "a/b.md") == (tmp_path / "a" / "b.md").resolve()
    with pytest.raises(FileError):
        output_path(tmp_path, "../evil.md")


def test_write_atomic_replaces_whole_file(tmp_path):
    target = tmp_path / "x" / "out.md"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["out.md"]
