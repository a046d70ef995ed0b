"""Accepted findings: a reviewer's "this one is fine", kept beside the job and committed.

``qmt check JOB --accept ID…`` (or ``--accept-all`` for a first baseline) writes one
line per accepted finding into ``<job>.qa-accepted.tsv`` next to the job file: plain
text, tab-separated, sorted, so that it diffs and merges like code::

    # id          check    lang  source       translation  reason
    5f1c0e9a2b7d  numbers  zh    3a91c4d0e2f1  8c0d2b1e77a4  120 万 is 1.2 million

A finding's id is a hash of the segment's source, the language, the check and the
finding's message: the same finding gets the same id on every run and in every file the
segment appears in. An accepted finding stops failing the gate while its segment's
source (part of the id) and translation (the line's translation hash) stay what they
were when it was accepted; change either and the finding is back.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from pipeline.errors import ConfigError
from pipeline.output import write_atomic

if TYPE_CHECKING:
    from pipeline.config import Job

SUFFIX = ".qa-accepted.tsv"
HEADER = ("# qmt: QA findings a reviewer accepted (qmt check --accept). One per line, sorted; commit it.\n"
          "# id\tcheck\tlang\tsource\ttranslation\treason\n")
DEFAULT_REASON = "accepted by a reviewer"


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def finding_id(source: str, lang: str, check: str, message: str) -> str:
    """The stable id of a finding (see the module docstring)."""
    return short_hash("\0".join((source, lang, check, message)))


@dataclass(frozen=True, order=True)
class Acceptance:
    """One accepted finding: what it was about and why it is fine."""

    id: str
    check: str
    lang: str
    source_hash: str
    target_hash: str
    reason: str

    def line(self) -> str:
        return "\t".join((self.id, self.check, self.lang, self.source_hash, self.target_hash, self.reason))


def accepted_path(job: Job) -> Path:
    """``<job file without .toml>.qa-accepted.tsv`` beside the job file; in the state
    folder for a job given as flags (there is no job file to sit beside)."""
    source = Path(job.source)
    if source.suffix == ".toml":
        return source.with_name(source.stem + SUFFIX)
    return job.state_dir / ("accepted" + SUFFIX)


def read_accepted(path: Path) -> dict[str, Acceptance]:
    """The accepted findings by id; {} without a file. A malformed line is a one-line
    ConfigError naming the file and the line."""
    if not path.exists():
        return {}
    out: dict[str, Acceptance] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        fields = raw.split("\t")
        if len(fields) != 6 or not all(fields[:5]):
            raise ConfigError(f"line {number}: expected 6 tab-separated fields (id, check, lang, source, "
                              "translation, reason)", source=str(path))
        out[fields[0]] = Acceptance(*fields)
    return out


def write_accepted(path: Path, entries: Iterable[Acceptance]) -> None:
    lines = sorted({e.line() for e in entries})
    write_atomic(path, (HEADER + "".join(line + "\n" for line in lines)).encode("utf-8"))


def clean_reason(reason: str | None) -> str:
    """One line, no tabs: the file stays one finding per line."""
    return " ".join((reason or DEFAULT_REASON).split()) or DEFAULT_REASON


__all__ = ["Acceptance", "accepted_path", "clean_reason", "finding_id", "read_accepted", "short_hash",
           "write_accepted"]
