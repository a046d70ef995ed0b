"""Which files a job reads: the input tree filtered by include/exclude globs.

Globs follow the usual shell rules with ``**`` spanning folders (wcmatch's GLOBSTAR),
matched against the path relative to the input folder with ``/`` separators. Symbolic
links that point outside the input folder are never followed: a link is how a hostile
tree would make qmt read (and send to a service) a file the user did not mean to share.

Names are checked before anything is paid for: a name that is not valid UTF-8 (it could
not be recorded in the ledger or the report), one with control characters (a newline
would forge a log line), or one too long for the temporary name its output is written
through fails that file alone, reported with the name escaped (:func:`printable`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from wcmatch import glob

from pipeline.formats.base import Found

_FLAGS = glob.GLOBSTAR | glob.DOTGLOB | glob.NEGATE
# Outputs are written through ".<name>.<8 random>.tmp" or ".<name>.qmt-staged" beside them
# (pipeline.output), and a name component may have at most 255 bytes: longer input names
# could not be written (the longer of the two temporary names decides).
MAX_NAME_BYTES = 255 - len("..12345678.tmp")


@dataclass(frozen=True)
class Skipped:
    relpath: str
    reason: str


def discover(input_dir: Path, include: tuple[str, ...], exclude: tuple[str, ...]) -> tuple[list[Found], list[Skipped]]:
    """Files under ``input_dir`` matching ``include`` and not ``exclude``, sorted."""
    root = input_dir.resolve()
    found: list[Found] = []
    skipped: list[Skipped] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if not d.startswith(".qmt")]
        for name in dirnames:  # os.walk does not enter linked folders; say so for outside ones
            if (here / name).is_symlink() and not _inside((here / name).resolve(), root):
                rel = (here / name).relative_to(root).as_posix()
                skipped.append(Skipped(rel + "/", "symbolic link to a folder outside the input folder: not followed"))
        for name in sorted(filenames):
            path = here / name
            rel = path.relative_to(root).as_posix()
            if not glob.globmatch(rel, list(include), flags=_FLAGS):
                continue
            if exclude and glob.globmatch(rel, list(exclude), flags=_FLAGS):
                continue
            if path.is_symlink() and not _inside(path.resolve(), root):
                skipped.append(Skipped(rel, "symbolic link to a file outside the input folder: not followed"))
                continue
            if (problem := name_problem(rel)) is not None:
                skipped.append(Skipped(printable(rel), f"{problem}; rename it (nothing was sent)"))
                continue
            if not path.is_file():
                continue
            found.append(Found(path, rel))
    found.sort(key=lambda f: f.relpath)
    return found, skipped


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def name_problem(relpath: str) -> str | None:
    """Why a relative path cannot be translated safely, or None."""
    if any(0xDC80 <= ord(c) <= 0xDCFF for c in relpath):   # os.fsdecode's stand-ins for bad bytes
        return "file name is not valid UTF-8"
    if any(_is_control(c) for c in relpath):
        return "file name contains control characters"
    longest = max(relpath.split("/"), key=lambda part: len(part.encode("utf-8")))
    if len(longest.encode("utf-8")) > MAX_NAME_BYTES:
        return f"file name is too long ({len(longest.encode('utf-8'))} bytes; at most {MAX_NAME_BYTES})"
    return None


def printable(text: str) -> str:
    """``text`` safe for one terminal line: bytes that were not UTF-8 as ``\\xNN`` and
    control characters escaped (``\\n``, ``\\x1b``)."""
    out = []
    for c in text:
        if 0xDC80 <= ord(c) <= 0xDCFF:
            out.append(f"\\x{ord(c) - 0xDC00:02x}")
        elif _is_control(c):
            out.append(c.encode("unicode_escape").decode("ascii"))
        else:
            out.append(c)
    return "".join(out)


def _is_control(c: str) -> bool:
    return ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c in "\u2028\u2029"
