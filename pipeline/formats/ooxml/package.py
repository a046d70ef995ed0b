"""An OOXML zip package read safely, its XML parts parsed safely, and written back in place.

We read the OPC package with :mod:`zipfile` and :mod:`lxml` rather than a document
model: every part we do not translate is written back byte for byte.

Safety: an OLE compound file (an encrypted package, or a legacy binary file renamed) is
refused with a reason; the declared uncompressed size is checked against the input
before anything is expanded (zip bombs) and no entry is inflated past its declared
size; XML is parsed without DTDs, entities or network access, and a part declaring a
DOCTYPE is refused before parsing (XXE, billion laughs).
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from lxml import etree

from pipeline.errors import FileError
from pipeline.formats.ooxml.conformance import TRANSITIONAL, Conformance, conformance_of

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Refuse when the parts expand to more than this many times the input...
MAX_RATIO = 200
#: ...and to more than this in absolute terms (small files may compress very well).
MAX_EXPANDED = 512 * 1024 * 1024
MAX_ENTRIES = 10_000

REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_BASE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
#: The namespace of ``r:id`` attributes inside parts.
R_ID = f"{{{REL_BASE.rstrip('/')}}}id"
STRICT_REL_BASE = "http://purl.oclc.org/ooxml/officeDocument/relationships/"
CORE_REL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"

#: The legacy binary stream that betrays each kind of renamed file (names are UTF-16 in the directory).
LEGACY_STREAMS = {
    "WordDocument": "legacy Word 97-2003 (.doc) file with a .docx name; save it as .docx in Word and retry",
    "PowerPoint Document": "legacy PowerPoint 97-2003 (.ppt) file with a .pptx name; save it as .pptx and retry",
    "Workbook": "legacy Excel 97-2003 (.xls) file with a .xlsx name; save it as .xlsx and retry",
}

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_blank_text=False
)
#: Children of a streamed root serialized at a time (:func:`rewrite_children`).
_BATCH = 1024
#: A document type declaration in a part's prolog (after the XML declaration, comments, PIs).
#: (A processing instruction or comment cannot run past its first end: the scan stops at the root.)
_PROLOG_DOCTYPE = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?(?:[^?]|\?(?!>))*\?>\s*|<!--(?:[^-]|-(?!->))*-->\s*)*<!DOCTYPE")


def parse_xml(data: bytes, path: Path, name: str) -> etree._ElementTree:
    """Parse one XML part; a DOCTYPE is refused outright (OOXML never has one).

    It is refused before parsing, so entity definitions (external ones, or the nested
    ones of "billion laughs") never reach the parser at all; the check after parsing
    catches prologs the pattern cannot see (UTF-16 parts).
    """
    _refuse_doctype(data, path, name)
    try:
        tree = etree.parse(io.BytesIO(data), _PARSER)
    except etree.XMLSyntaxError as exc:
        raise FileError(path, f"corrupt document: part {name} is not well-formed XML ({exc})") from exc
    if tree.docinfo.doctype:
        raise FileError(path, f"part {name} declares a DOCTYPE (entity definitions), which Office documents never "
                              "do; refused")
    return tree


def _refuse_doctype(data: bytes, path: Path, name: str) -> None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = data[:65536].decode("utf-16", errors="replace").encode("utf-8")
    else:
        head = data
    if _PROLOG_DOCTYPE.match(head):
        raise FileError(path, f"part {name} declares a DOCTYPE (entity definitions), which Office documents never "
                              "do; refused without parsing it")


def _stream(data: bytes, path: Path, name: str, tag: str) -> Iterator[etree._Element]:
    """The ``tag`` children of a part's root as each ends, never the whole tree (lxml's
    iterparse), then the root itself; the caller removes what it is done with."""
    _refuse_doctype(data, path, name)
    # The same guards as _PARSER: no entities, no network, no DTD, no huge text nodes.
    events = etree.iterparse(io.BytesIO(data), events=("end",), tag=tag, resolve_entities=False, no_network=True,
                             load_dtd=False, huge_tree=False, remove_blank_text=False)
    try:
        for _, el in events:
            parent = el.getparent()
            if parent is not None and parent.getparent() is None:
                yield el
    except etree.XMLSyntaxError as exc:
        raise FileError(path, f"corrupt document: part {name} is not well-formed XML ({exc})") from exc
    if events.root is None:
        raise FileError(path, f"corrupt document: part {name} has no root element")
    yield events.root


def iter_children(data: bytes, path: Path, name: str, tag: str) -> Iterator[etree._Element]:
    """The ``tag`` children of a part's root, one at a time, in order.

    Each is detached from the tree once the consumer asks for the next: one it keeps a
    reference to stays whole, any other is freed. Memory is that of the children kept plus
    one, never the whole part's tree (a shared-strings table of millions of items)."""
    for el in _stream(data, path, name, tag):
        parent = el.getparent()
        if parent is None:
            return
        yield el
        while el.getprevious() is not None:  # comments and processing instructions before it
            del parent[0]
        parent.remove(el)


def rewrite_children(data: bytes, path: Path, name: str, tag: str, edit: Callable[[etree._Element], None],
                     appended: Callable[[], list[etree._Element]], attributes: dict[str, str]) -> bytes:
    """A part rewritten child by child without its whole tree: ``edit`` changes each ``tag``
    child of the root in place, in order (other children are written as they are);
    ``appended()``, asked after the last, gives elements written after the root's last
    child; ``attributes`` are set on the root. Serialized like :func:`serialize`
    (UTF-8, the part's standalone declaration), ``_BATCH`` children at a time."""
    pieces: list[bytes] = []
    root: etree._Element | None = None
    waiting = 0
    for el in _stream(data, path, name, tag):
        parent = el.getparent()
        if parent is None:
            root = el
            break
        edit(el)
        waiting += 1
        if waiting >= _BATCH:  # the parser reads ahead: children after ``el`` may be unfinished
            pieces.append(_flush(parent, el))
            waiting = 0
    if root is None:  # _stream ends with the root
        raise FileError(path, f"corrupt document: part {name} has no root element")
    for key, value in attributes.items():
        root.set(key, value)
    root.extend(appended())
    if len(root) or root.text:
        pieces.append(_flush(root, root[-1] if len(root) else None))
    whole = serialize(root.getroottree())
    if not pieces:
        return whole
    empty = etree.tostring(root, encoding="UTF-8")          # <x:root .../>: its children are all in pieces
    at = whole.index(empty)
    qname = f"{root.prefix}:{etree.QName(root).localname}" if root.prefix else etree.QName(root).localname
    return b"".join([whole[:at], empty[:-2], b">", *pieces, f"</{qname}>".encode(), whole[at + len(empty):]])


def _flush(root: etree._Element, last: etree._Element | None) -> bytes:
    """The serialized text and children of ``root`` up to ``last``, taken out of it. They move
    to an element declaring the root's namespaces, so none is declared again on a child."""
    holder = etree.Element(root.tag, nsmap=root.nsmap)
    holder.text, root.text = root.text, None
    while last is not None:
        child = root[0]
        holder.append(child)
        if child is last:
            break
    chunk = etree.tostring(holder, encoding="UTF-8")
    if holder.text is None and not len(holder):
        return b""
    return chunk[chunk.index(b">") + 1:chunk.rindex(b"</")]


def serialize(tree: etree._ElementTree) -> bytes:
    """Serialize a part the way Office writes it: UTF-8 with a standalone declaration."""
    standalone = tree.docinfo.standalone
    return etree.tostring(
        tree, xml_declaration=True, encoding="UTF-8", standalone=True if standalone is None else standalone
    )


def read_zip(path: Path, data: bytes, what: str, *,
             rebuilt: bool = False) -> tuple[list[zipfile.ZipInfo], dict[str, bytes]]:
    """The zip's entries in order and their bytes, after every guard; ``what`` names the
    expected kind of file in messages ("a Word document", "an Excel workbook" ...).

    The expansion limits are checked when an input is loaded, before its translation is
    bought; a package qmt ``rebuilt`` from an accepted input is not refused for its size
    (a translation may be longer, or compress better, than its source). No entry is ever
    inflated past its declared size."""
    if data.startswith(OLE_MAGIC):
        raise FileError(path, ole_reason(data))
    if not data:
        raise FileError(path, "empty file")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileError(path, f"not {what}: not a valid zip package ({exc})") from exc
    if not rebuilt:
        check_bomb(path, data, infos)
    return infos, read_entries(path, zf, infos)


def ole_reason(data: bytes) -> str:
    """Why an OLE compound file is refused: encrypted, or which legacy format it is."""
    # An encrypted package is an OLE file holding "EncryptionInfo"/"EncryptedPackage" streams.
    if "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data:
        return "the document is encrypted (password-protected); remove the password in Office and retry"
    for stream, reason in LEGACY_STREAMS.items():
        if stream.encode("utf-16-le") in data:
            return reason
    return "OLE compound file, not an Office Open XML package"


def check_bomb(path: Path, data: bytes, infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_ENTRIES:
        raise FileError(path, f"zip package has {len(infos)} entries; refused as a likely zip bomb")
    declared = sum(i.file_size for i in infos)
    if declared > MAX_EXPANDED or declared > max(len(data), 64 * 1024) * MAX_RATIO:
        raise FileError(
            path,
            f"zip package declares {declared} bytes uncompressed from {len(data)} bytes; "
            "refused as a likely zip bomb",
        )


def read_entries(path: Path, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> dict[str, bytes]:
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


def write_zip(infos: list[zipfile.ZipInfo], entries: dict[str, bytes], replaced: dict[str, bytes]) -> bytes:
    """The package with some parts replaced; every other entry copied unchanged, in order."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in infos:
            data = replaced.get(info.filename, entries[info.filename])
            zout.writestr(info, data, compress_type=info.compress_type)
    return out.getvalue()


@dataclass
class ZipParts:
    """An opened package: its entries in zip order, parsed on demand and written back in place."""

    path: Path
    infos: list[zipfile.ZipInfo]
    entries: dict[str, bytes]
    #: Strict or Transitional, from the main part (see :mod:`.conformance`).
    conformance: Conformance = TRANSITIONAL

    @classmethod
    def open(cls, path: Path, data: bytes, what: str, *, rebuilt: bool = False) -> "ZipParts":
        infos, entries = read_zip(path, data, what, rebuilt=rebuilt)
        if "[Content_Types].xml" not in entries:
            raise FileError(path, f"not {what}: the zip has no [Content_Types].xml")
        parts = cls(path, infos, entries)
        main = parts.related("", "officeDocument")
        if main:
            parts.conformance = conformance_of(entries[main[0]])
        return parts

    def xml(self, name: str) -> etree._ElementTree:
        """A part parsed for reading or editing (Strict namespaces read as Transitional)."""
        return parse_xml(self.conformance.read(self.entries[name]), self.path, name)

    def dump(self, tree: etree._ElementTree) -> bytes:
        """A part edited through :meth:`xml`, serialized back in the package's own namespaces."""
        return self.conformance.write(serialize(tree))

    def stream(self, name: str, tag: str) -> Iterator[etree._Element]:
        """The ``tag`` children of a part's root one at a time (:func:`iter_children`)."""
        return iter_children(self.conformance.read(self.entries[name]), self.path, name, tag)

    def rewrite(self, name: str, tag: str, edit: Callable[[etree._Element], None],
                appended: Callable[[], list[etree._Element]], attributes: dict[str, str]) -> bytes:
        """A part edited child by child (:func:`rewrite_children`), in the package's own namespaces."""
        data = rewrite_children(self.conformance.read(self.entries[name]), self.path, name, tag, edit, appended,
                                attributes)
        return self.conformance.write(data)

    def rels(self, part: str) -> list[tuple[str, str, bool]]:
        """(type, resolved target, external) of ``part``'s relationships ("" for the package's)."""
        if not part:
            return read_rels(self.path, self.entries, "_rels/.rels", "")
        return part_rels(self.path, self.entries, part)

    def related(self, part: str, kind: str) -> list[str]:
        """Internal targets of ``part``'s relationships of one kind (``slide``, ``chart`` ...), present in the zip."""
        return [t for rtype, t, ext in self.rels(part) if not ext and rel_kind(rtype) == kind and t in self.entries]

    def by_id(self, part: str) -> dict[str, str]:
        """r:id -> resolved target of ``part``'s relationships (for ``r:id`` attributes in the part)."""
        base = posixpath.dirname(part)
        return {rid: resolve_target(base, t) for rid, t in rel_targets(self.path, self.entries, part).items()}

    def main_part(self, what: str) -> str:
        """The package's main part (the officeDocument relationship)."""
        found = self.related("", "officeDocument")
        if not found:
            raise FileError(self.path, f"not {what}: the package has no main part")
        return found[0]

    def write(self, replaced: dict[str, bytes]) -> bytes:
        return write_zip(self.infos, self.entries, replaced)


@contextmanager
def fails_alone(path: Path, error: type[FileError], doing: str) -> Iterator[None]:
    """Turn a bug or an input nobody foresaw into ``error`` for this file: a one-line reason,
    never a traceback, and the job goes on with the other files (FileErrors pass as they are)."""
    try:
        yield
    except FileError:
        raise
    except Exception as exc:
        raise error(path, f"{doing} ({type(exc).__name__}: {exc})") from exc


def rels_name(part: str) -> str:
    """The relationships part of ``part``: ``ppt/slides/_rels/slide1.xml.rels``."""
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def read_rels(path: Path, entries: dict[str, bytes], name: str, base: str) -> list[tuple[str, str, bool]]:
    """(type, resolved target, external) of each relationship in a .rels part."""
    if name not in entries:
        return []
    out = []
    for rel in parse_xml(entries[name], path, name).getroot().iter(f"{{{REL_NS}}}Relationship"):
        target = rel.get("Target", "")
        external = rel.get("TargetMode") == "External"
        if not external:
            target = resolve_target(base, target)
        rtype = rel.get("Type", "")
        if rtype.startswith(STRICT_REL_BASE):  # Strict relationship types read as their Transitional twins
            rtype = REL_BASE + rtype[len(STRICT_REL_BASE):]
        out.append((rtype, target, external))
    return out


def part_rels(path: Path, entries: dict[str, bytes], part: str) -> list[tuple[str, str, bool]]:
    """The relationships of ``part`` (targets resolved against its folder)."""
    return read_rels(path, entries, rels_name(part), posixpath.dirname(part))


def rel_targets(path: Path, entries: dict[str, bytes], part: str) -> dict[str, str]:
    """r:id -> raw target of a part's relationships (hyperlink targets for comparisons)."""
    name = rels_name(part)
    if name not in entries:
        return {}
    root = parse_xml(entries[name], path, name).getroot()
    return {r.get("Id", ""): r.get("Target", "") for r in root.iter(f"{{{REL_NS}}}Relationship")}


def resolve_target(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(base, target))


def natural(name: str) -> tuple[int | str, ...]:
    """A sort key putting slide10.xml after slide2.xml."""
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name))


def rel_kind(rtype: str) -> str:
    """The last word of a relationship type: ``.../relationships/slide`` -> ``slide``."""
    return rtype.rsplit("/", 1)[-1]


__all__ = ["OLE_MAGIC", "R_ID", "ZipParts", "check_bomb", "fails_alone", "iter_children", "natural", "ole_reason",
           "parse_xml", "rewrite_children",
           "part_rels", "read_rels",
           "read_zip", "rel_kind", "rel_targets", "rels_name", "resolve_target", "serialize", "write_zip"]
