"""``qmt xliff export``: one bilingual XLIFF file per document and target language.

Each sendable segment becomes a unit: its qmt segment id (``name`` in 2.x, ``resname``
in 1.2), its context (file, part, paragraph) as a note, the source, the current target
from the job's state (:mod:`pipeline.review.qa.snapshot`), the inline tags as XLIFF inline
codes (:mod:`pipeline.review.xliff.inline`), the state (initial, translated or reviewed) with
where the target came from (MT, TM, cache, human), and the QA findings as notes. The
job file is named in the file's notes so ``qmt xliff import`` finds the job again.

XLIFF 2.1 is the default (memoQ, Phrase, Crowdin, OmegaT); 1.2 for the Trados family.
Every file is validated against its version's OASIS schema before it is written.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from lxml import etree

from pipeline.errors import QmtError
from pipeline.languages import Language
from pipeline.memory.sources import bcp47, code_of
from pipeline.output import output_path, write_atomic
from pipeline.review.qa.checks import Finding
from pipeline.review.qa.gate import find_problems
from pipeline.review.qa.accepted import short_hash
from pipeline.review.qa.report import EMULATED_NOTICE
from pipeline.review.qa.snapshot import HUMAN, FileState, Row, emulated_only_hint, emulator_engine_of, job_state
from pipeline.review.xliff.inline import XLIFF2_NS, XLIFF12_NS, fill, original_data
from pipeline.review.xliff.schema import schema_errors

if TYPE_CHECKING:
    from pipeline.config import Job

VERSIONS = ("2.1", "1.2")
JOB_NOTE = "qmt-job"        # 2.x note category / 1.2 note "from" naming the job file
EXPORTED_NOTE = "qmt-exported"  # per unit: the exported target's engine, hash and state (import compares)
EMULATED_NOTE = "qmt-emulated"  # per file: the targets are the emulator's, not translations
EMULATED_COMMENT = (" EMULATED: the targets in this file are the output of the local Qwen-MT emulator "
                    "(qmt translate with its emulator option), not real translations ")
UNIT_PREFIX = "u"
# Where the target came from -> (2.x state, 2.x subState, 1.2 state, 1.2 state-qualifier)
_STATES = {
    "mt": ("translated", "qmt:mt", "translated", "mt-suggestion"),
    "cache": ("translated", "qmt:cache", "translated", "leveraged-mt"),
    "tm": ("translated", "qmt:tm", "translated", "leveraged-tm"),
    HUMAN: ("reviewed", "qmt:human", "signed-off", ""),
}
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


@dataclass
class ExportResult:
    written: list[Path] = field(default_factory=list)
    units: int = 0
    emulated: int = 0           # units whose target is the emulator's
    hint: str = ""              # why no unit has a target, when the emulator's are all there is
    unreadable: list[tuple[str, str]] = field(default_factory=list)


def job_file(job: Job) -> str:
    """The job file's absolute path, recorded in every export (import finds the job by it)."""
    return str(Path(job.source).resolve())


def xliff_name(relpath: str) -> str:
    """The exported file of ``relpath`` (below ``<dir>/<lang>/``)."""
    return relpath + ".xlf"


def exported_note(row: Row, state: str) -> str:
    """What the export wrote as the unit's target: ``engine=E sha=H state=S``. Import
    compares the unit's target with it, so an unedited unit keeps its engine whether or
    not the import can see the run's endpoint."""
    return f"engine={row.engine or '-'} sha={short_hash(row.target or '')} state={state}"


def export_job(job: Job, out_dir: Path, *, langs: Iterable[Language] | None = None,
               version: str = "2.1", emulator: str | None = None) -> ExportResult:
    """Write ``<out_dir>/<lang>/<relpath>.xlf`` for every readable document of ``job``
    (``emulator``: the translations ``qmt translate --emulator`` made, marked EMULATED)."""
    if version not in VERSIONS:
        raise ValueError(f"XLIFF version must be one of {VERSIONS}")
    langs = tuple(langs) if langs else job.target_langs
    state = job_state(job, langs, engine=emulator_engine_of(job, emulator) if emulator else None)
    notes: dict[tuple[str, str, str], list[Finding]] = defaultdict(list)
    for finding in find_problems(state):
        notes[(finding.file, finding.lang, finding.segment)].append(finding)
    result = ExportResult(unreadable=[(f.relpath, f.error) for f in state.files if f.error])
    if not emulator and state.files and all(r.target is None for r in state.rows()):
        result.hint = emulated_only_hint(job, langs)
    build = _build_2 if version == "2.1" else _build_12
    for file_state in state.files:
        if file_state.error:
            continue
        for lang in langs:
            rows = [r for r in file_state.rows if r.lang == lang]
            if not rows:  # nothing to translate, nothing to review (and XLIFF needs a unit)
                continue
            root = build(job, file_state, lang, rows, notes)
            if errors := schema_errors(root, version):  # check before writing
                raise QmtError(f"internal error: the XLIFF {version} export of {file_state.relpath} does not "
                               f"validate: {errors[0]}")
            path = output_path(out_dir / lang.code, xliff_name(file_state.relpath))
            emulated = any(r.emulated for r in rows)
            if emulated:  # said first, before the root element, where anyone opening the file sees it
                root.addprevious(etree.Comment(EMULATED_COMMENT))
            write_atomic(path, etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8",
                                              pretty_print=False))
            result.written.append(path)
            result.units += len(rows)
            result.emulated += sum(r.emulated for r in rows)
    return result


def _context(row: Row) -> str:
    return f"{row.file} | {row.segment.context or 'text'} | {row.segment.id}"


def _build_2(job: Job, fs: FileState, lang: Language, rows: list[Row],
             notes: dict[tuple[str, str, str], list[Finding]]) -> etree._Element:
    ns = XLIFF2_NS
    root = etree.Element(f"{{{ns}}}xliff", nsmap={None: ns}, version="2.1",
                         srcLang=bcp47(code_of(job.source_lang)), trgLang=bcp47(lang.code))
    file_el = etree.SubElement(root, f"{{{ns}}}file", id="f1", original=fs.relpath)
    file_notes = etree.SubElement(file_el, f"{{{ns}}}notes")
    if any(r.emulated for r in rows):
        etree.SubElement(file_notes, f"{{{ns}}}note", category=EMULATED_NOTE).text = EMULATED_NOTICE
    etree.SubElement(file_notes, f"{{{ns}}}note", category=JOB_NOTE).text = job_file(job)
    for index, row in enumerate(rows, 1):
        unit = etree.SubElement(file_el, f"{{{ns}}}unit", id=f"{UNIT_PREFIX}{index}", name=row.segment.id)
        unit.set(_XML_SPACE, "preserve")
        unit_notes = etree.SubElement(unit, f"{{{ns}}}notes")
        etree.SubElement(unit_notes, f"{{{ns}}}note", category="context").text = _context(row)
        if row.target is not None:
            etree.SubElement(unit_notes, f"{{{ns}}}note", category=EXPORTED_NOTE).text = \
                exported_note(row, _STATES[row.origin][0])
        for f in notes.get((row.file, row.lang.code, row.segment.id), []):
            etree.SubElement(unit_notes, f"{{{ns}}}note", category="qa", appliesTo="target",
                             priority="1" if f.severity == "error" else "5").text = f"{f.severity}: {f.check}: {f.message}"
        markup = fs.markup.get(row.segment.id, {})
        data = original_data(row.segment.text, markup)
        if data:
            od = etree.SubElement(unit, f"{{{ns}}}originalData")
            for data_id, original in data:
                etree.SubElement(od, f"{{{ns}}}data", id=data_id).text = original
        segment = etree.SubElement(unit, f"{{{ns}}}segment", id="s1")
        fill(etree.SubElement(segment, f"{{{ns}}}source"), row.segment.text, ns, markup)
        if row.target is None:
            segment.set("state", "initial")
        else:
            state, sub, _, _ = _STATES[row.origin]
            segment.set("state", state)
            segment.set("subState", sub)
            fill(etree.SubElement(segment, f"{{{ns}}}target"), row.target, ns, markup)
    return root


def _build_12(job: Job, fs: FileState, lang: Language, rows: list[Row],
              notes: dict[tuple[str, str, str], list[Finding]]) -> etree._Element:
    ns = XLIFF12_NS
    root = etree.Element(f"{{{ns}}}xliff", nsmap={None: ns}, version="1.2")
    file_el = etree.SubElement(root, f"{{{ns}}}file",
                               attrib={"original": fs.relpath, "source-language": bcp47(code_of(job.source_lang)),
                                       "target-language": bcp47(lang.code), "datatype": "x-qmt", "tool-id": "qmt"})
    header = etree.SubElement(file_el, f"{{{ns}}}header")
    etree.SubElement(header, f"{{{ns}}}tool", attrib={"tool-id": "qmt", "tool-name": "qmt"})
    if any(r.emulated for r in rows):
        etree.SubElement(header, f"{{{ns}}}note", attrib={"from": EMULATED_NOTE}).text = EMULATED_NOTICE
    etree.SubElement(header, f"{{{ns}}}note", attrib={"from": JOB_NOTE}).text = job_file(job)
    body = etree.SubElement(file_el, f"{{{ns}}}body")
    for index, row in enumerate(rows, 1):
        unit = etree.SubElement(body, f"{{{ns}}}trans-unit", id=f"{UNIT_PREFIX}{index}", resname=row.segment.id)
        unit.set(_XML_SPACE, "preserve")
        if row.origin == HUMAN:
            unit.set("approved", "yes")
        markup = fs.markup.get(row.segment.id, {})
        fill(etree.SubElement(unit, f"{{{ns}}}source"), row.segment.text, ns, markup)
        if row.target is not None:
            _, _, state, qualifier = _STATES[row.origin]
            target = etree.SubElement(unit, f"{{{ns}}}target", state=state)
            if qualifier:
                target.set("state-qualifier", qualifier)
            fill(target, row.target, ns, markup)
        etree.SubElement(unit, f"{{{ns}}}note", attrib={"from": "context"}).text = _context(row)
        if row.target is not None:
            state = "signed-off" if row.origin == HUMAN else _STATES[row.origin][2]
            etree.SubElement(unit, f"{{{ns}}}note", attrib={"from": EXPORTED_NOTE}).text = exported_note(row, state)
        for f in notes.get((row.file, row.lang.code, row.segment.id), []):
            etree.SubElement(unit, f"{{{ns}}}note", attrib={"from": "qa", "annotates": "target",
                                                             "priority": "1" if f.severity == "error" else "5"}
                             ).text = f"{f.severity}: {f.check}: {f.message}"
    return root
