"""The committed lock file: what qmt wrote into each output, segment by segment.

The repository is the memory of the loop users run (translate, commit, review in place,
translate again on a fresh runner). The lock file is the small part of that memory qmt
keeps itself; the committed outputs are the rest. For every output it lists, per segment
and in document order:

* a hash of the segment's **source** text (was the source changed since?);
* a hash of the text qmt **wrote**, as the format's own extractor reads it back from the
  output (did a person change it since?);
* the **engine** that produced it (``qwen:<region>``, ``llm:…``, ``emulator:…``,
  ``tm-file``, ``human``; ``-`` where the source was kept) and what the translation
  **depends** on (a digest of model, languages, glossary terms, domains and sampling),
  so a fresh clone reuses a translation only where a run with the same settings would
  have produced it, and never serves the emulator's text to a run against the service.

One file per output label (target language code, or ``all`` for a table holding every
language), in ``<output root>/<job name>.qmtlock/`` (beside the ``.qmt`` state folder,
which is not committed), so a CI matrix that runs one language per runner touches one lock file each and
the branches merge without conflicts. Lines are tab-separated and sorted (a file's
header line first, then its segments in document order by a zero-padded number), so a
change of one segment is a one-line diff.

A human translation's line also carries the source text it translates (``src=`` in the
last column): when that source later changes, the old human translation goes with the
new request as a fuzzy TM match, and the source it belonged to is part of that match.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from pipeline.memory.text import normalize

LOCK_SUFFIX = ".qmtlock"
FORMAT_LINE = "# qmt lock file, version 1"
NO_ENGINE = "-"             # the source was kept (nothing translated, or the translation failed)
FILE_MARK = "*"             # the number column of a file's header line (sorts before digits)
ENGINE_MARK = "=engine"     # first column of a line naming the engine that answers at an endpoint
_HASH_CHARS = 12
_ESCAPES = (("%", "%25"), ("\t", "%09"), ("\n", "%0A"), ("\r", "%0D"))


def text_hash(text: str) -> str:
    """The short hash of a segment's text (48 bits: collisions need ~16 million segments)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]


def written_hash(text: str) -> str:
    """The hash of a segment as read back from an output: whitespace runs and tag ids do
    not count (a re-save by an editor may change them), every character of text does."""
    return text_hash(normalize(text))


def file_hash(path: Path) -> str:
    """The sha256 of a file's bytes (hex, 16 characters)."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()[:16]


def data_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


@dataclass(frozen=True)
class LockEntry:
    """One segment of an output as qmt wrote it."""

    segment: str                # the segment id in the source document
    source: str                 # text_hash of the source segment
    written: str                # written_hash of what the output holds for it
    engine: str = NO_ENGINE     # who produced it; NO_ENGINE: the source was kept
    depends: str = NO_ENGINE    # settings digest of a machine translation (lookup fingerprint)
    tags: str = ""              # tag ids of the translation in order of appearance, when the
                                # output's extractor numbers them otherwise ("2,1")
    human_source: str | None = None   # a human translation: the source text it translates


@dataclass
class LockedOutput:
    """Everything the lock file says about one output."""

    relpath: str                # the input's path relative to the input folder ("/")
    input_hash: str             # file_hash of the input it was made from
    output_hash: str            # file_hash of the output as written
    entries: list[LockEntry] = field(default_factory=list)


def lock_dir(job_name: str, state_dir: Path) -> Path:
    """Where a job's lock files live: in the output root, beside the job's state folder
    (``<output root>/<job>.qmtlock/``), so committing the outputs' folder commits them,
    and a job run with another output keeps its own."""
    return state_dir.parent.parent / f"{job_name}{LOCK_SUFFIX}"


def lock_path(directory: Path, label: str) -> Path:
    return directory / f"{label}.lock"


# --- reading ---------------------------------------------------------------------------


class LockFormatError(ValueError):
    """A lock file that cannot be read (hand-edited, a merge conflict left in it)."""


def parse_lock(text: str, where: str, engines: dict[str, str] | None = None) -> dict[str, LockedOutput]:
    """The outputs a lock file's text describes, by relpath; ``engines`` (if given) gets
    its endpoint lines (endpoint -> the engine that answered there)."""
    outputs: dict[str, LockedOutput] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        if line.startswith(("<<<<<<<", "=======", ">>>>>>>")):
            raise LockFormatError(f"{where} line {number}: a merge conflict marker; resolve the conflict "
                                  "(or delete the file: the next run rebuilds it)")
        fields = [_unescape(f) for f in line.split("\t")]
        if fields[0] == ENGINE_MARK and len(fields) == 3:
            if engines is not None:
                engines[fields[1]] = fields[2]
            continue
        try:
            _add_line(outputs, fields)
        except (ValueError, KeyError, IndexError):
            raise LockFormatError(f"{where} line {number}: not a qmt lock line") from None
    return outputs


def _add_line(outputs: dict[str, LockedOutput], fields: list[str]) -> None:
    relpath, number = fields[0], fields[1]
    if number == FILE_MARK:
        inp, out = _keyed(fields[2], "input"), _keyed(fields[3], "output")
        outputs[relpath] = LockedOutput(relpath, inp, out)
        return
    int(number)
    segment, source, written, engine, depends = fields[2:7]
    extra = dict(_pair(f) for f in fields[7:] if f)
    outputs[relpath].entries.append(LockEntry(segment, source, written, engine, depends, extra.get("tags", ""),
                                              extra.get("src")))


def _keyed(field_text: str, key: str) -> str:
    name, _, value = field_text.partition("=")
    if name != key:
        raise ValueError(field_text)
    return value


def _pair(field_text: str) -> tuple[str, str]:
    name, sep, value = field_text.partition("=")
    if not sep:
        raise ValueError(field_text)
    return name, value


def read_lock(path: Path, engines: dict[str, str] | None = None) -> dict[str, LockedOutput]:
    """A lock file's outputs (empty when there is none); LockFormatError when unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise LockFormatError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    return parse_lock(text, str(path), engines)


# --- writing ---------------------------------------------------------------------------


def render_lock(job_name: str, label: str, outputs: Iterable[LockedOutput],
                engines: dict[str, str] | None = None) -> str:
    """The lock file's text: a header, the engines that answer at emulated or unusual
    endpoints, then each output (by relpath) and its segments."""
    lines = [FORMAT_LINE,
             f"# job {job_name!r}, outputs in {label!r}: what qmt wrote, segment by segment. Commit it with",
             "# the outputs; qmt reads it to keep reviewers' edits and to reuse the committed translations.",
             "# file\tn\tsegment\tsource\twritten\tengine\tdepends\t[tags=..]\t[src=human translation's source]"]
    lines += [f"{ENGINE_MARK}\t{_escape(url)}\t{engine}" for url, engine in sorted((engines or {}).items())]
    for out in sorted(outputs, key=lambda o: o.relpath):
        rel = _escape(out.relpath)
        lines.append(f"{rel}\t{FILE_MARK}\tinput={out.input_hash}\toutput={out.output_hash}")
        for n, e in enumerate(out.entries, 1):
            extra = ([f"tags={e.tags}"] if e.tags else []) + \
                ([f"src={_escape(e.human_source)}"] if e.human_source is not None else [])
            lines.append("\t".join([rel, f"{n:06d}", _escape(e.segment), e.source, e.written, e.engine, e.depends,
                                    *extra]))
    return "\n".join(lines) + "\n"


def write_lock(path: Path, job_name: str, label: str, outputs: Iterable[LockedOutput],
               engines: dict[str, str] | None = None) -> bool:
    """Write a lock file atomically (a reader sees the old file or the new one); an empty
    one is removed. False when the file already said exactly that (left untouched)."""
    outputs = list(outputs)
    if not outputs:
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed
    text = render_lock(job_name, label, outputs, engines)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return True


def _escape(text: str) -> str:
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return text


def _unescape(text: str) -> str:
    for raw, escaped in reversed(_ESCAPES):
        text = text.replace(escaped, raw)
    return text


__all__ = ["FILE_MARK", "LOCK_SUFFIX", "NO_ENGINE", "LockEntry", "LockFormatError", "LockedOutput", "data_hash",
           "file_hash", "lock_dir", "lock_path", "parse_lock", "read_lock", "render_lock", "text_hash",
           "write_lock", "written_hash"]
