"""Which files a job reads, and how outputs are written."""
from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from pipeline.job.discover import discover
from pipeline.errors import FileError
from pipeline.output import Staging, atomic_writer, output_path, write_atomic


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


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_output_gets_the_mode_a_document_gets(tmp_path):
    """Reports and XLIFF files (write_atomic), subtitles and dubbed tracks (atomic_writer)
    and documents (Staging) all get what open() gives under the umask, not mkstemp's 0600."""
    (tmp_path / "plain").write_bytes(b"x")
    write_atomic(tmp_path / "report.json", b"{}")
    with atomic_writer(tmp_path / "talk.zh.srt") as (fh, _):
        fh.write(b"1")
    staging = Staging()
    with staging.open(tmp_path / "doc.md") as (fh, _):
        fh.write(b"# x")
    staging.commit()
    modes = {name: _mode(tmp_path / name) for name in ("plain", "report.json", "talk.zh.srt", "doc.md")}
    assert set(modes.values()) == {_mode(tmp_path / "plain")}, modes


@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_atomic_writes_follow_the_umask(tmp_path, umask, expected):
    code = (f"import os, sys; os.umask({umask:#o}); from pathlib import Path; "
            "from pipeline.output import write_atomic; write_atomic(Path(sys.argv[1]), b'x')")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "out.xlf")], check=True)
    assert _mode(tmp_path / "out.xlf") == expected
