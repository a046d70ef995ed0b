"""What the committed outputs say: translations to reuse, and people's edits to keep.

Before a file is planned, each of its outputs that the lock file describes is read back
with the format's own extractor (:mod:`~pipeline.repository.readback`) and compared with
what qmt wrote (:mod:`~pipeline.repository.lockfile`), segment by segment:

* **unchanged source, unchanged text**: the translation is reused as it stands, without
  a request, provided the engine that made it is the one this run would ask (emulated
  text is never served to a run against the service) and the settings it depends on
  are the run's (:meth:`CommittedOutputs.translations`). A fresh clone with no state
  folder is therefore a warm cache;
* **unchanged source, changed text**: a person edited the output. The edit is taken in
  as a human translation (:attr:`FileHarvest.edits`): it outranks every machine
  translation, ``--force`` included, enters the job's human memory (and so the TM and
  ``qmt tm export``, marked human) and is written back as it is;
* **a human translation whose source changed**: the segment is translated again, with
  the old human translation sent as a fuzzy TM match (``tm_list``), and the run lists it
  for a reviewer (:attr:`FileHarvest.replaced`).

Segments are paired by id while the output's structure is what qmt wrote. When it is
not (a paragraph deleted or merged, a row removed), they are aligned by their hashes:
an edit that still aligns one to one is kept, the rest of the file is rebuilt from its
source, and the file reports it in one line (:attr:`FileHarvest.problems`).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

from pipeline.errors import FileError
from pipeline.formats import Document, FormatHandler, LoadContext
from pipeline.formats.base import Verbatim
from pipeline.languages import Language
from pipeline.provenance import HUMAN_ENGINE
from pipeline.repository.lockfile import NO_ENGINE, LockEntry, LockedOutput, text_hash, written_hash
from pipeline.repository.readback import read_back, relabel
from pipeline.segments import PlaceholderError, Segment, check_translation


@dataclass(frozen=True)
class Reusable:
    """A machine translation an output holds, as qmt wrote it."""

    text: str
    engine: str
    depends: str


@dataclass(frozen=True)
class Replaced:
    """A human translation whose source segment changed since."""

    old_source: str | None      # the source it translated (None: not recorded)
    old_target: str


@dataclass
class FileHarvest:
    """What one output of one file says, per segment id of the current source."""

    lang: Language
    reuse: dict[str, Reusable] = field(default_factory=dict)
    human: dict[str, str] = field(default_factory=dict)      # kept and newly taken-in human translations
    edits: list[str] = field(default_factory=list)           # segment ids newly taken in
    replaced: dict[str, Replaced] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)        # one line each, for the file's report
    changed: int = 0            # source segments changed since qmt wrote the output
    #: The code the output holds in each paragraph whose source has code (QA check ``code``)
    verbatim: dict[str, Verbatim] = field(default_factory=dict)


def harvest_output(handler: FormatHandler, ctx: LoadContext, doc: Document, segments: Sequence[Segment],
                   output: Path, locked: LockedOutput, lang: Language) -> FileHarvest:
    """Compare ``output`` (an output of ``doc`` in ``lang``) with what ``locked`` says qmt
    wrote into it; never raises for an output that cannot be read (it is reported)."""
    result = FileHarvest(lang)
    try:
        written, reopened = read_back(handler, ctx, doc, output, lang)
    except FileError as exc:
        result.problems.append(f"the {lang.code} output cannot be read back ({exc.reason}): rebuilt from its "
                               "source; edits in it are not kept")
        return result
    except OSError as exc:
        result.problems.append(f"the {lang.code} output cannot be read ({exc.strerror or exc}): rebuilt from "
                               "its source")
        return result
    except Exception as exc:  # an output damaged in a way the format does not name: never stop the file
        result.problems.append(f"the {lang.code} output cannot be read back ({type(exc).__name__}): rebuilt "
                               "from its source; edits in it are not kept")
        return result
    to_written, broken = pair_by_structure(locked.entries, written, [e.written for e in locked.entries],
                                           [written_hash(w.text) for w in written])
    to_source, _ = pair_by_structure(locked.entries, segments, [e.source for e in locked.entries],
                                     [text_hash(s.text) for s in segments])
    for index, entry in enumerate(locked.entries):
        src, out = to_source.get(index), to_written.get(index)
        if src is not None and out is not None:
            _compare(result, entry, src, out)
            if reopened is not None and doc.verbatim(src.id).spans:
                result.verbatim[src.id] = reopened.verbatim(out.id)
    if broken:
        kept = len(result.edits)
        result.problems.append(
            f"the {lang.code} output's structure is not what qmt wrote ({broken} segments could not be matched: "
            f"a paragraph, cell or row deleted, merged or moved?): rebuilt from its source, keeping the "
            f"{kept} edit{'s' if kept != 1 else ''} that still align")
    return result


def _compare(result: FileHarvest, entry: LockEntry, src: Segment, out: Segment) -> None:
    edited = written_hash(out.text) != entry.written
    candidate = relabel(out.text, entry.tags)
    if entry.source != text_hash(src.text):
        result.changed += 1
        if edited or entry.engine == HUMAN_ENGINE:
            result.replaced[src.id] = Replaced(entry.human_source, candidate)
        return
    if edited or entry.engine == HUMAN_ENGINE:
        checked = _fits(src.text, candidate)
        if checked is None:
            if edited:
                result.problems.append(f"an edit of {src.context or src.id} in the {result.lang.code} output "
                                       "changes the segment's markup (a tag or placeholder added, lost or "
                                       "moved): not taken in, the segment is translated again")
            return
        result.human[src.id] = checked
        if edited:
            result.edits.append(src.id)
        return
    if entry.engine != NO_ENGINE and (checked := _fits(src.text, candidate)) is not None:
        result.reuse[src.id] = Reusable(checked, entry.engine, entry.depends)


def _fits(source: str, candidate: str) -> str | None:
    """``candidate`` as a translation of ``source`` (its tags all there, unrepaired), or None."""
    try:
        checked = check_translation(source, candidate)
    except PlaceholderError:
        return None
    return None if checked.repaired else checked.text


def pair_by_structure(entries: Sequence[LockEntry], segments: Sequence[Segment], entry_keys: list[str],
                      segment_keys: list[str]) -> tuple[dict[int, Segment], int]:
    """Each lock entry's segment (entry index -> segment), and how many entries could not
    be paired. By id while the ids are those qmt wrote; else by aligning the keys (hashes):
    runs that match, and runs of the same length between them, pair one to one."""
    if [e.segment for e in entries] == [s.id for s in segments]:
        return dict(enumerate(segments)), 0
    pairs: dict[int, Segment] = {}
    matcher = difflib.SequenceMatcher(None, entry_keys, segment_keys, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            pairs.update(zip(range(i1, i2), segments[j1:j2]))
    return pairs, len(entries) - len(pairs)


def outputs_of(locked: dict[str, dict[str, LockedOutput]], relpath: str) -> Iterator[tuple[str, LockedOutput]]:
    """(label, locked output) of ``relpath`` in every lock file given (label -> outputs)."""
    for label, outputs in locked.items():
        if relpath in outputs:
            yield label, outputs[relpath]


__all__ = ["FileHarvest", "Replaced", "Reusable", "harvest_output", "outputs_of", "pair_by_structure"]
