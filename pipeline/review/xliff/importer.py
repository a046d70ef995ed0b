"""``qmt xliff import``: reviewed XLIFF files back into the job as human translations.

Every unit is checked against the job as it is now (its input files, re-read):

* its segment id (``name``/``resname``) must be a segment of the document;
* its source must still be that segment's source: a unit whose source changed since
  the export is *stale*, reported and not applied;
* its target's inline codes must map to qmt's tags, balanced, none missing, none
  invented (:func:`pipeline.segments.check_translation`): a broken unit is refused
  with a one-line reason naming the file and the unit.

A unit whose target is the one the export wrote (its ``qmt-exported`` note: engine, hash
and state), in the state the export gave it, was not reviewed: it keeps its engine and
nothing is stored, whether or not this import sees the run's endpoint (an emulator run's
output never turns "human" by a round trip). Otherwise a unit applies when its target
differs from the job's current translation (and, for a segment already reviewed, from the
machine translation the export may still carry), or when the reviewer marked it
reviewed/final (2.x) or signed-off/final/approved (1.2). Applied units
go to the ``human`` table of the job's state, which outranks every machine
translation: the next ``qmt translate`` writes them and sends nothing for them.
Importing the same file again changes nothing.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from lxml import etree

from pipeline.errors import ConfigError
from pipeline.job.runlock import job_lock
from pipeline.memory.session import open_store
from pipeline.memory.sources import code_of, lang_code, local, parse_xml
from pipeline.review.qa.snapshot import HUMAN, Row, emulator_engine_of, job_state
from pipeline.segments import PlaceholderError, check_translation, plain_text
from pipeline.review.qa.accepted import short_hash
from pipeline.review.xliff.export import EXPORTED_NOTE, JOB_NOTE
from pipeline.review.xliff.inline import XLIFF2_NS, XLIFF12_NS, InlineError, read

if TYPE_CHECKING:
    from pipeline.config import Job

REVIEWED_STATES = frozenset({"reviewed", "final", "signed-off"})


@dataclass
class ImportResult:
    applied: int = 0
    unchanged: int = 0
    #: engine of the exported target -> units taken in as human translations in its place
    taken_in: Counter[str] = field(default_factory=Counter)
    #: engine -> units left as they were exported (they keep that engine)
    kept: Counter[str] = field(default_factory=Counter)
    empty: int = 0                                  # units without a target
    refused: list[str] = field(default_factory=list)  # one line each: file, unit, reason
    stale: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)   # whole files that could not be imported


@dataclass
class _Unit:
    id: str
    name: str
    source: etree._Element | None
    target: etree._Element | None
    state: str
    exported: dict[str, str] = field(default_factory=dict)  # the export's note: engine, sha, state


def _exported(note: etree._Element | None) -> dict[str, str]:
    """The ``engine=E sha=H state=S`` note of :func:`pipeline.review.xliff.export.exported_note`."""
    if note is None or not note.text:
        return {}
    return dict(part.split("=", 1) for part in note.text.split() if "=" in part)


class _Refused(Exception):
    pass


def import_files(paths: Iterable[Path], *, load_job: Callable[[str], Job], job: Job | None = None,
                 emulator: str | None = None) -> ImportResult:
    """Import reviewed XLIFF files (2.x or 1.2) into their jobs' state; a file that cannot
    be read (or names no readable job) is reported in ``failed`` and the others go on.

    ``load_job`` reads the job file an XLIFF file names (when ``job`` is not given).
    Each job's documents are read once for all the files that name it, and its reviewed
    translations are stored in one transaction under the job's lock. ``emulator`` reads
    the job's current translations as the emulator's (``qmt translate --emulator``)."""
    result = ImportResult()
    jobs: dict[str, Job] = {}
    parts: dict[str, list[_Part]] = {}
    for path in paths:
        try:
            for part in _parts(path, job, jobs, load_job):
                parts.setdefault(part.job.source, []).append(part)
        except ConfigError as exc:
            result.failed.append(str(exc))
    for job_parts in parts.values():
        _import_job(job_parts[0].job, job_parts, result, emulator)
    return result


@dataclass
class _Part:
    """One <file> of an XLIFF file: one document in one target language."""

    path: Path
    element: etree._Element
    ns: str
    job: Job


def _parts(path: Path, job: Job | None, jobs: dict[str, Job], load_job: Callable[[str], Job]) -> list[_Part]:
    root = parse_xml(path, "XLIFF")
    if root.getroottree().docinfo.doctype:  # entities are never resolved; XLIFF needs none
        raise ConfigError("has a DOCTYPE: refused (XLIFF has no DTD; entities are not read)", source=str(path))
    ns = etree.QName(root).namespace
    if local(root.tag) != "xliff" or ns not in (XLIFF2_NS, XLIFF12_NS):
        raise ConfigError("not an XLIFF 2.x or 1.2 file", source=str(path))
    return [_Part(path, file_el, ns, job or _job_of(file_el, ns, path, jobs, load_job))
            for file_el in root.findall(f"{{{ns}}}file")]


def _job_of(file_el: etree._Element, ns: str, path: Path, jobs: dict[str, Job],
            load_job: Callable[[str], Job]) -> Job:
    xpath = (f"{{{ns}}}notes/{{{ns}}}note[@category='{JOB_NOTE}']" if ns == XLIFF2_NS
             else f"{{{ns}}}header/{{{ns}}}note[@from='{JOB_NOTE}']")
    note = file_el.find(xpath)
    job_path = (note.text or "").strip() if note is not None else ""
    if not job_path:
        raise ConfigError("names no qmt job (not exported by qmt xliff export?): pass --job", source=str(path))
    if job_path not in jobs:
        jobs[job_path] = load_job(job_path)
    return jobs[job_path]


def _target_lang(file_el: etree._Element, ns: str) -> str:
    if ns == XLIFF2_NS:         # 2.x: the languages are on the xliff root
        root = file_el.getparent()
        return lang_code(root.get("trgLang") if root is not None else None)
    return lang_code(file_el.get("target-language"))


def _units(file_el: etree._Element, ns: str) -> list[_Unit]:
    units = []
    if ns == XLIFF2_NS:
        for unit in file_el.iter(f"{{{ns}}}unit"):
            segments = unit.findall(f"{{{ns}}}segment")
            units.append(_Unit(unit.get("id", ""), unit.get("name", ""), *_joined(unit, ns),
                               segments[0].get("state", "initial") if segments else "",
                               _exported(unit.find(f"{{{ns}}}notes/{{{ns}}}note[@category='{EXPORTED_NOTE}']"))))
    else:
        for unit in file_el.iter(f"{{{ns}}}trans-unit"):
            target = unit.find(f"{{{ns}}}target")
            state = target.get("state", "") if target is not None else ""
            units.append(_Unit(unit.get("id", ""), unit.get("resname", ""), unit.find(f"{{{ns}}}source"),
                               target, "signed-off" if unit.get("approved") == "yes" else state,
                               _exported(unit.find(f"{{{ns}}}note[@from='{EXPORTED_NOTE}']"))))
    return units


def _joined(unit: etree._Element, ns: str) -> tuple[etree._Element | None, etree._Element | None]:
    """A 2.x unit's source and target, its segments (a CAT tool may have split one) joined."""
    parts = [p for p in unit if local(p.tag) in ("segment", "ignorable")]
    if len(parts) == 1:
        return parts[0].find(f"{{{ns}}}source"), parts[0].find(f"{{{ns}}}target")
    source, target = etree.Element("source"), etree.Element("target")
    has_target = False
    for part in parts:
        for name, joined in (("source", source), ("target", target)):
            el = part.find(f"{{{ns}}}{name}")
            if el is None:
                continue
            has_target |= name == "target"
            copy = etree.fromstring(etree.tostring(el))
            _append_content(joined, copy)
    return source, (target if has_target else None)


def _append_content(dest: etree._Element, src: etree._Element) -> None:
    if len(dest):
        dest[-1].tail = (dest[-1].tail or "") + (src.text or "")
    else:
        dest.text = (dest.text or "") + (src.text or "")
    for child in list(src):
        dest.append(child)


def _import_job(job: Job, parts: list[_Part], result: ImportResult, emulator: str | None = None) -> None:
    state = job_state(job, files={part.element.get("original", "") for part in parts},
                      engine=emulator_engine_of(job, emulator) if emulator else None)
    errors = {f.relpath: f.error for f in state.files if f.error}
    rows: dict[tuple[str, str], dict[str, Row]] = {}
    for f in state.files:
        for row in f.rows:
            rows.setdefault((f.relpath, row.lang.code), {})[row.segment.id] = row
    to_store: list[tuple[str, str, str, str, str]] = []
    for part in parts:
        to_store += _import_part(part, rows, errors, result)
    if to_store:
        with job_lock(job.state_dir, job.name):
            store = open_store(job)
            try:
                store.store_human(to_store)
            finally:
                store.close()
    result.applied += len(to_store)


def _import_part(part: _Part, rows: dict[tuple[str, str], dict[str, Row]], errors: dict[str, str],
                 result: ImportResult) -> list[tuple[str, str, str, str, str]]:
    """The reviewed translations of one document in one language, checked."""
    relpath, job = part.element.get("original", ""), part.job
    code = _target_lang(part.element, part.ns)
    lang = next((lang for lang in job.target_langs if lang.code == code), None)
    where = f"{part.path}: file {relpath!r}"
    if lang is None:
        result.refused.append(f"{where}: target language {code!r} is not one of the job's")
        return []
    if relpath in errors or (relpath, code) not in rows:
        result.refused.append(f"{where}: {errors.get(relpath, 'not a document of the job')}")
        return []
    segments = rows[(relpath, code)]
    out = []
    for unit in _units(part.element, part.ns):
        label = f"{part.path}: unit {unit.id} ({unit.name or 'no name'})"
        try:
            target = _reviewed_target(unit, segments)
        except _Refused as exc:
            (result.stale if str(exc).startswith("stale") else result.refused).append(f"{label}: {exc}")
            continue
        if target is None:
            result.empty += 1
        elif _as_exported(target, unit) or _unchanged(target, unit, segments[unit.name]):
            result.unchanged += 1
            result.kept[unit.exported.get("engine") or segments[unit.name].engine or "-"] += 1
        else:
            row = segments[unit.name]
            result.taken_in[unit.exported.get("engine") or row.engine or "none"] += 1
            out.append((code_of(job.source_lang), lang.code, row.segment.text, target, f"{part.path.name}#{unit.id}"))
    return out


def _as_exported(target: str, unit: _Unit) -> bool:
    """The unit holds the target the export wrote, in the state the export gave it: nobody
    reviewed it, so it keeps its engine (an emulator's output never turns human this way)."""
    if not unit.exported or unit.exported.get("sha") != short_hash(target):
        return False
    raised = unit.state in REVIEWED_STATES and unit.exported.get("state") not in REVIEWED_STATES
    return not raised


def _unchanged(target: str, unit: _Unit, row: Row) -> bool:
    """Nothing to store: the job has this translation already, or the unit still holds
    the machine translation that a reviewed one (from another file or unit) replaced."""
    if row.origin == HUMAN:
        return target == row.target or (target == row.machine and unit.state not in REVIEWED_STATES)
    return target == row.target and unit.state not in REVIEWED_STATES


def _reviewed_target(unit: _Unit, rows: dict[str, Row]) -> str | None:
    """The unit's checked target in qmt's tags (None when it has none); _Refused if bad."""
    row = rows.get(unit.name)
    if row is None:
        raise _Refused(f"unknown unit: the document has no segment {unit.name!r}")
    if unit.source is None:
        raise _Refused("the unit has no source")
    try:
        source = read(unit.source)
    except InlineError as exc:
        raise _Refused(f"source: {exc}") from None
    if source != row.segment.text:
        raise _Refused("stale: the document's segment changed since the export; not applied")
    if unit.target is None:
        return None
    try:
        target = read(unit.target)
    except InlineError as exc:
        raise _Refused(f"target: {exc}") from None
    if not plain_text(target).strip():
        return None
    try:
        return check_translation(row.segment.text, target).text
    except PlaceholderError as exc:
        raise _Refused(f"inline codes: {exc}") from None
