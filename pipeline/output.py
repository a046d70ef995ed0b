"""Writing translated files: atomically, and only inside the output folder."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

from pipeline.errors import FileError


def output_path(out_dir: Path, relpath: str) -> Path:
    """Where the translation of ``relpath`` goes; refuses names that would escape."""
    root = out_dir.resolve()
    target = (root / relpath).resolve()
    if root not in target.parents:
        raise FileError(relpath, f"output path would escape the output folder {root}")
    return target


def translated_path(out_dir: Path, relpath: str, label: str) -> Path:
    """Where the ``label`` output of input ``relpath`` goes in ``out_dir``: the same
    relative path, unless its format names outputs its own way (``talk.srt`` ->
    ``talk.zh.srt``, :meth:`~pipeline.formats.base.FormatHandler.output_name`)."""
    from pipeline.formats import handler_for  # formats import nothing from here

    handler = handler_for(Path(relpath))
    return output_path(out_dir, handler.output_name(relpath, label) if handler is not None else relpath)


@contextmanager
def atomic_writer(path: Path) -> Iterator[tuple[BinaryIO, Path]]:
    """Yield a file object writing to a temporary file beside ``path`` (and its name).

    On a clean exit the file is flushed, fsynced and renamed over ``path``; on any
    error it is removed, so ``path`` is the old file or the whole new one, never half.
    The caller may check the temporary file (by its name) before the block ends.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh, Path(tmp)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Staging:
    """Outputs written to temporary files beside their targets, renamed into place together.

    A file's outputs are staged one by one (each written, flushed, fsynced and left for
    the caller to check under its temporary name), then :meth:`commit` renames them all,
    or :meth:`discard` removes them all: the targets are the old files or all the new
    ones. A temporary name is fixed per target (``.NAME.qmt-staged``), so a run killed
    while outputs wait leaves at most one hidden file per output, which the next run
    that writes it replaces.
    """

    SUFFIX = ".qmt-staged"

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []     # (temporary, target)

    @contextmanager
    def open(self, path: Path) -> Iterator[tuple[BinaryIO, Path]]:
        """Yield a file object and the temporary name for ``path``'s new content; kept
        for :meth:`commit` on a clean exit, removed on any error."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}{self.SUFFIX}")
        try:
            with tmp.open("wb") as fh:
                yield fh, tmp
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._staged.append((tmp, path))

    def commit(self) -> None:
        """Rename every staged output into place."""
        while self._staged:
            tmp, target = self._staged.pop(0)
            os.replace(tmp, target)

    def discard(self) -> None:
        """Remove every staged output (their targets stay as they were)."""
        while self._staged:
            self._staged.pop()[0].unlink(missing_ok=True)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A reader (or a killed run) sees the old file or the new one, never half of one.
    """
    with atomic_writer(path) as (fh, _):
        fh.write(data)
