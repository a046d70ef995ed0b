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


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A reader (or a killed run) sees the old file or the new one, never half of one.
    """
    with atomic_writer(path) as (fh, _):
        fh.write(data)
