"""The .docx zip package: open it safely, find the parts to translate, write it back.

We read the OPC package with :mod:`zipfile` and :mod:`lxml` rather than python-docx:
python-docx loads footnotes, endnotes and comments as opaque binary parts unless their
content types are registered first, and re-serializes every part it touched. Working on
the zip directly reaches every part, and every part we do not translate is written back
byte for byte.

Strict OOXML (ISO/IEC 29500 Strict, other namespace URIs) is read by mapping its two
namespaces we interpret (WordprocessingML and relationships) to their Transitional twins
on the way in and back on the way out: the element vocabulary we touch is the same.

Safety: an OLE compound file (encrypted .docx or a legacy .doc renamed) is refused with
a reason, the declared uncompressed size is checked against the input
before anything is expanded (zip bombs), and XML is parsed without DTDs, entities or
network access (XXE).
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from pipeline.errors import FileError
from pipeline.formats.docx.ooxml import REL_NS, STRICT_W_NS, W_NS

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Refuse when the parts expand to more than this many times the input...
MAX_RATIO = 200
#: ...and to more than this in absolute terms (small files may compress very well).
MAX_EXPANDED = 512 * 1024 * 1024
MAX_ENTRIES = 10_000

REL_BASE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
STRICT_REL_BASE = "http://purl.oclc.org/ooxml/officeDocument/relationships/"
#: Strict namespace URI -> Transitional, for the vocabularies this module interprets.
STRICT_TO_TRANSITIONAL = (
    (STRICT_W_NS.encode(), W_NS.encode()),
    (STRICT_REL_BASE.rstrip("/").encode(), REL_BASE.rstrip("/").encode()),
)
CORE_REL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"

#: Relationship type (suffix) of each translatable part -> its kind.
PART_KINDS = {
    "header": "header",
    "footer": "footer",
    "footnotes": "footnotes",
    "endnotes": "endnotes",
    "comments": "comments",
}
KIND_ORDER = ("document", "header", "footer", "footnotes", "endnotes", "comments")

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_blank_text=False
)


#: A document type declaration in a part's prolog (after the XML declaration, comments, PIs).
_PROLOG_DOCTYPE = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*)*<!DOCTYPE", re.DOTALL)


def parse_xml(data: bytes, path: Path, name: str) -> etree._ElementTree:
    """Parse one XML part; a DOCTYPE is refused outright (OOXML never has one).

    It is refused before parsing, so entity definitions (external ones, or the nested
    ones of "billion laughs") never reach the parser at all; the check after parsing
    catches prologs the pattern cannot see (UTF-16 parts).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = data[:65536].decode("utf-16", errors="replace").encode("utf-8")
    else:
        head = data
    if _PROLOG_DOCTYPE.match(head):
        raise FileError(path, f"part {name} declares a DOCTYPE (entity definitions), which Word documents never do; "
                              "refused without parsing it")
    try:
        tree = etree.parse(io.BytesIO(data), _PARSER)
    except etree.XMLSyntaxError as exc:
        raise FileError(path, f"corrupt document: part {name} is not well-formed XML ({exc})") from exc
    if tree.docinfo.doctype:
        raise FileError(path, f"part {name} declares a DOCTYPE (entity definitions), which Word documents never do; "
                              "refused")
    return tree


def serialize(tree: etree._ElementTree) -> bytes:
    """Serialize a part the way Word writes it: UTF-8 with a standalone declaration."""
    standalone = tree.docinfo.standalone
    return etree.tostring(
        tree, xml_declaration=True, encoding="UTF-8", standalone=True if standalone is None else standalone
    )


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
    strict: bool = False

    def xml(self, name: str) -> etree._ElementTree:
        """A part parsed for editing (Strict namespaces read as Transitional)."""
        return parse_xml(_to_transitional(self.entries[name], self.strict), self.path, name)

    def dump(self, tree: etree._ElementTree) -> bytes:
        """A part serialized back, in the package's own conformance class."""
        data = serialize(tree)
        if self.strict:
            for strict, transitional in STRICT_TO_TRANSITIONAL:
                data = data.replace(transitional, strict)
        return data

    def write(self, replaced: dict[str, bytes]) -> bytes:
        """The package with some parts replaced; every other entry copied unchanged."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in self.infos:
                data = replaced.get(info.filename, self.entries[info.filename])
                zout.writestr(info, data, compress_type=info.compress_type)
        return out.getvalue()


def open_package(path: Path, data: bytes, *, rebuilt: bool = False) -> Package:
    """Open and validate ``data``; FileError with a specific reason if it cannot be handled.

    The expansion limits are checked when an input is loaded, before its translation is
    bought; a package qmt ``rebuilt`` from an accepted input is not refused for its size
    (a translation may be longer, or compress better, than its source)."""
    if data.startswith(OLE_MAGIC):
        raise FileError(path, _ole_reason(data))
    if not data:
        raise FileError(path, "empty file")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileError(path, f"not a Word document: not a valid zip package ({exc})") from exc
    if not rebuilt:
        _check_bomb(path, data, infos)
    entries = _read_entries(path, zf, infos)
    return _load_structure(path, infos, entries)


def _ole_reason(data: bytes) -> str:
    # An encrypted .docx is an OLE file holding "EncryptionInfo"/"EncryptedPackage" streams;
    # a legacy Word 97-2003 file holds a "WordDocument" stream (names are UTF-16 in the directory).
    if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
        return "the document is encrypted (password-protected); remove the password in Word and retry"
    if "WordDocument".encode("utf-16-le") in data:
        return "legacy Word 97-2003 (.doc) file with a .docx name; save it as .docx in Word and retry"
    return "OLE compound file, not a .docx package"


def _check_bomb(path: Path, data: bytes, infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_ENTRIES:
        raise FileError(path, f"zip package has {len(infos)} entries; refused as a likely zip bomb")
    declared = sum(i.file_size for i in infos)
    if declared > MAX_EXPANDED or declared > max(len(data), 64 * 1024) * MAX_RATIO:
        raise FileError(
            path,
            f"zip package declares {declared} bytes uncompressed from {len(data)} bytes; "
            "refused as a likely zip bomb",
        )


def _read_entries(path: Path, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> dict[str, bytes]:
    entries: dict[str, bytes] = {}
    for info in infos:
        if info.flag_bits & 0x1:
            raise FileError(path, f"zip entry {info.filename} is encrypted; refused")
        try:
            with zf.open(info) as fh:
                # Read at most the declared size plus one byte: a lying header cannot expand further.
                blob = fh.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
            raise FileError(path, f"corrupt zip entry {info.filename} ({exc})") from exc
        if len(blob) > info.file_size:
            raise FileError(path, f"zip entry {info.filename} expands beyond its declared size; refused")
        entries[info.filename] = blob
    return entries


def _to_transitional(data: bytes, strict: bool) -> bytes:
    if strict:
        for strict_ns, transitional in STRICT_TO_TRANSITIONAL:
            data = data.replace(strict_ns, transitional)
    return data


def _load_structure(path: Path, infos: list[zipfile.ZipInfo], entries: dict[str, bytes]) -> Package:
    if "[Content_Types].xml" not in entries:
        raise FileError(path, "not a Word document: the zip has no [Content_Types].xml")
    root_rels = _rels(path, entries, "_rels/.rels", "")
    main, strict = _find_main(path, root_rels)
    if main not in entries:
        raise FileError(path, f"corrupt document: main part {main} is missing")
    root_el = parse_xml(_to_transitional(entries[main], strict), path, main).getroot()
    if root_el.tag != f"{{{W_NS}}}document":
        raise FileError(path, f"not a Word document: main part {main} holds {root_el.tag}")
    parts = [Part(main, "document", _targets(path, entries, main))]
    doc_rels = _rels(path, entries, _rels_name(main), posixpath.dirname(main))
    found: list[Part] = []
    related = {
        rtype.rsplit("/", 1)[-1]: target
        for rtype, target, external in doc_rels
        if not external and target in entries and rtype.startswith(REL_BASE)
    }
    for rtype, target, external in doc_rels:
        kind = PART_KINDS.get(rtype.rsplit("/", 1)[-1]) if rtype.startswith(REL_BASE) else None
        if kind and not external and target in entries and target not in {p.name for p in found}:
            found.append(Part(target, kind, _targets(path, entries, target)))
    found.sort(key=lambda p: (KIND_ORDER.index(p.kind), _natural(p.name)))
    core = next((t for rtype, t, ext in root_rels if rtype == CORE_REL and t in entries), None)
    return Package(path, infos, entries, main, parts + found, core, related, strict)


def _natural(name: str) -> tuple:
    """header10.xml after header2.xml."""
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name))


def _find_main(path: Path, root_rels: list[tuple[str, str, bool]]) -> tuple[str, bool]:
    """The main document part, and whether the package is Strict OOXML."""
    for rtype, target, _ in root_rels:
        if rtype == REL_BASE + "officeDocument":
            return target, False
        if rtype == STRICT_REL_BASE + "officeDocument":
            return target, True
    raise FileError(path, "not a Word document: the package has no main document part")


def _rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _rels(path: Path, entries: dict[str, bytes], name: str, base: str) -> list[tuple[str, str, bool]]:
    """(type, resolved target, external) of each relationship in a .rels part."""
    if name not in entries:
        return []
    out = []
    for rel in parse_xml(entries[name], path, name).getroot().iter(f"{{{REL_NS}}}Relationship"):
        target = rel.get("Target", "")
        external = rel.get("TargetMode") == "External"
        if not external:
            target = _resolve(base, target)
        rtype = rel.get("Type", "")
        if rtype.startswith(STRICT_REL_BASE) and not rtype.endswith("/officeDocument"):
            rtype = REL_BASE + rtype[len(STRICT_REL_BASE):]
        out.append((rtype, target, external))
    return out


def _targets(path: Path, entries: dict[str, bytes], part: str) -> dict[str, str]:
    """r:id -> raw target of a part's relationships (hyperlink targets for comparisons)."""
    name = _rels_name(part)
    if name not in entries:
        return {}
    root = parse_xml(entries[name], path, name).getroot()
    return {r.get("Id", ""): r.get("Target", "") for r in root.iter(f"{{{REL_NS}}}Relationship")}


def _resolve(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(base, target))


__all__ = ["Package", "Part", "open_package", "parse_xml", "serialize"]
