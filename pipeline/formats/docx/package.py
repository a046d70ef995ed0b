"""The .docx zip package: open it safely, find the parts to translate, write it back.

We read the OPC package with :mod:`zipfile` and :mod:`lxml` rather than python-docx:
python-docx loads footnotes, endnotes and comments as opaque binary parts unless their
content types are registered first, and re-serializes every part it touched. Working on
the zip directly reaches every part, and every part we do not translate is written back
byte for byte.

Strict OOXML (ISO/IEC 29500 Strict, other namespace URIs) is read and written in its own
namespaces through the map shared with PPTX and XLSX (:mod:`pipeline.formats.ooxml.conformance`).

Safety (:mod:`pipeline.formats.ooxml.package`, shared with PPTX and XLSX): encrypted
and legacy files are refused with a reason, zip bombs before anything is expanded, and
XML with a DOCTYPE before it is parsed (XXE).
"""
from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from pipeline.errors import FileError
from pipeline.formats.docx.ooxml import W_NS
from pipeline.formats.ooxml.conformance import TRANSITIONAL, Conformance, conformance_of
from pipeline.formats.ooxml.package import (CORE_REL, OLE_MAGIC, REL_BASE, natural, parse_xml, read_rels, read_zip,
                                            rel_targets, rels_name, serialize, write_zip)

#: Relationship type (suffix) of each translatable part -> its kind.
PART_KINDS = {
    "header": "header",
    "footer": "footer",
    "footnotes": "footnotes",
    "endnotes": "endnotes",
    "comments": "comments",
}
KIND_ORDER = ("document", "header", "footer", "footnotes", "endnotes", "comments")

@dataclass
class Part:
    """A translatable XML part: its zip name and what kind of content it holds."""

    name: str
    kind: str
    rels: dict[str, str] = field(default_factory=dict)  # r:id -> target (for hyperlink checks)


@dataclass
class Package:
    """An opened .docx: raw entries in zip order, and the parts qmt translates."""

    path: Path
    infos: list[zipfile.ZipInfo]
    entries: dict[str, bytes]
    main: str
    parts: list[Part]
    core: str | None
    related: dict[str, str] = field(default_factory=dict)  # rel type suffix -> part (styles, settings)
    conformance: Conformance = TRANSITIONAL

    def xml(self, name: str) -> etree._ElementTree:
        """A part parsed for editing (Strict namespaces read as Transitional)."""
        return parse_xml(self.conformance.read(self.entries[name]), self.path, name)

    def dump(self, tree: etree._ElementTree) -> bytes:
        """A part serialized back, in the package's own conformance class."""
        return self.conformance.write(serialize(tree))

    def write(self, replaced: dict[str, bytes]) -> bytes:
        """The package with some parts replaced; every other entry copied unchanged."""
        return write_zip(self.infos, self.entries, replaced)


def open_package(path: Path, data: bytes, *, rebuilt: bool = False) -> Package:
    """Open and validate ``data``; FileError with a specific reason if it cannot be handled
    (``rebuilt``: a package qmt wrote from an accepted input, see :func:`read_zip`)."""
    infos, entries = read_zip(path, data, "a Word document", rebuilt=rebuilt)
    return _load_structure(path, infos, entries)


def _load_structure(path: Path, infos: list[zipfile.ZipInfo], entries: dict[str, bytes]) -> Package:
    if "[Content_Types].xml" not in entries:
        raise FileError(path, "not a Word document: the zip has no [Content_Types].xml")
    root_rels = read_rels(path, entries, "_rels/.rels", "")
    main = _find_main(path, root_rels)
    if main not in entries:
        raise FileError(path, f"corrupt document: main part {main} is missing")
    conformance = conformance_of(entries[main])
    root_el = parse_xml(conformance.read(entries[main]), path, main).getroot()
    if root_el.tag != f"{{{W_NS}}}document":
        raise FileError(path, f"not a Word document: main part {main} holds {root_el.tag!s}")
    parts = [Part(main, "document", rel_targets(path, entries, main))]
    doc_rels = read_rels(path, entries, rels_name(main), posixpath.dirname(main))
    found: list[Part] = []
    related = {
        rtype.rsplit("/", 1)[-1]: target
        for rtype, target, external in doc_rels
        if not external and target in entries and rtype.startswith(REL_BASE)
    }
    for rtype, target, external in doc_rels:
        kind = PART_KINDS.get(rtype.rsplit("/", 1)[-1]) if rtype.startswith(REL_BASE) else None
        if kind and not external and target in entries and target not in {p.name for p in found}:
            found.append(Part(target, kind, rel_targets(path, entries, target)))
    found.sort(key=lambda p: (KIND_ORDER.index(p.kind), natural(p.name)))
    core = next((t for rtype, t, ext in root_rels if rtype == CORE_REL and t in entries), None)
    return Package(path, infos, entries, main, parts + found, core, related, conformance)


def _find_main(path: Path, root_rels: list[tuple[str, str, bool]]) -> str:
    """The main document part (a Strict relationship type reads as its Transitional twin)."""
    for rtype, target, _ in root_rels:
        if rtype == REL_BASE + "officeDocument":
            return target
    raise FileError(path, "not a Word document: the package has no main document part")


__all__ = ["OLE_MAGIC", "Package", "Part", "open_package", "parse_xml", "serialize"]
