"""One owner per output file: which job writes which output, decided before anything is sent.

Two jobs (or a job and an ad-hoc run) pointed at the same output folder would each
write their own translation of the same-named files, and the folder would end up a
mix of both. So every run claims the outputs it would write in a registry beside the
jobs' state folders (``<output root>/.qmt/owners.sqlite``, the parent of each job's
state folder) and is refused, with one line naming both jobs, when another job already
owns one of them. A job is known by its name, which is also its state folder: the same
name is the same job (its cache, lock and ledger). To hand the outputs of a job that is
gone to another one, delete the registry file (the message names it).
"""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from pipeline.job.discover import printable
from pipeline.errors import FileError, OutputOwned, StateWriteFailed
from pipeline.formats import handler_for, output_relpath
from pipeline.output import output_path
from pipeline.repository.book import COMBINED_LABEL

if TYPE_CHECKING:
    from pipeline.config import Job

REGISTRY = "owners.sqlite"


def registry_path(job: Job) -> Path:
    return job.state_dir.parent / REGISTRY


def planned_outputs(job: Job, inputs: Iterable[tuple[Path, str]]) -> list[Path]:
    """Every output the job could write for ``inputs`` ((path, relpath) pairs): one per
    target language, and for tables with several targets the combined one."""
    labels = [lang.code for lang in job.target_langs]
    planned: list[Path] = []
    for path, relpath in inputs:
        handler = handler_for(path)
        if handler is None:
            continue
        combined = handler.combines        # may write one file for every language (a table)
        extra = [COMBINED_LABEL] if combined and len(labels) > 1 else []
        for label in labels + extra:
            try:
                planned.append(output_path(job.output_dir(label), output_relpath(job, path, relpath, label)))
            except FileError:  # an escaping name: the file fails on its own later
                continue
    return planned


def claim_outputs(job: Job, outputs: list[Path]) -> None:
    """Record ``job`` as the owner of ``outputs``; OutputOwned if another job owns one."""
    path = registry_path(job)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, isolation_level=None, timeout=10)
    except (OSError, sqlite3.Error) as exc:
        raise StateWriteFailed(path, str(exc)) from None
    try:
        db.execute("CREATE TABLE IF NOT EXISTS owners (path TEXT PRIMARY KEY, job TEXT NOT NULL, "
                   "source TEXT NOT NULL, since TEXT NOT NULL)")
        db.execute("BEGIN IMMEDIATE")   # two runs claiming at once: one waits for the other
        try:
            _check_and_claim(db, job, outputs, path)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    except sqlite3.Error as exc:
        raise StateWriteFailed(path, str(exc)) from None
    finally:
        db.close()


def _check_and_claim(db: sqlite3.Connection, job: Job, outputs: list[Path], registry: Path) -> None:
    keys = [str(p) for p in outputs]
    for chunk in (keys[i:i + 500] for i in range(0, len(keys), 500)):
        row = db.execute(f"SELECT path, job, source FROM owners WHERE job != ? AND path IN "
                         f"({', '.join('?' * len(chunk))}) ORDER BY path LIMIT 1", (job.name, *chunk)).fetchone()
        if row is not None:
            other, source = row[1], row[2]
            raise OutputOwned(
                f"{printable(row[0])} is written by job {other!r} ({source}); job {job.name!r} ({job.source}) "
                f"would overwrite it: give the jobs different outputs (or delete {registry} if {other!r} is gone)")
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    db.executemany("INSERT OR IGNORE INTO owners VALUES (?, ?, ?, ?)", [(k, job.name, job.source, now) for k in keys])
