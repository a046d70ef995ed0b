"""Which files a job reads: the input tree filtered by include/exclude globs.

Globs follow the usual shell rules with ``**`` spanning folders (wcmatch's GLOBSTAR),
matched against the path relative to the input folder with ``/`` separators. Symbolic
links that point outside the input folder are never followed: a link is how a hostile
tree would make qmt read (and send to a service) a file the user did not mean to share.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from wcmatch import glob

_FLAGS = glob.GLOBSTAR | glob.DOTGLOB | glob.NEGATE


@dataclass(frozen=True)
class Found:
    path: Path          # absolute path of the input file
    relpath: str        # relative to the input folder, "/"-separated


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
            if not path.is_file():
                continue
            found.append(Found(path, rel))
    found.sort(key=lambda f: f.relpath)
    return found, skipped


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
