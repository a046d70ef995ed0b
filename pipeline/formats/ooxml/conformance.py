"""The two conformance classes of Office Open XML, read and written in their own namespaces.

ISO/IEC 29500 Strict (what Word, Excel and PowerPoint write when asked to save "Strict Open
XML") uses the same element vocabulary as Transitional for everything qmt reads or edits,
under other namespace URIs (``http://purl.oclc.org/ooxml/...``). The walkers of DOCX, PPTX
and XLSX are written against the Transitional names; a Strict part is handed to them with
its namespace declarations mapped to their Transitional twins, and every part written back
gets its own declarations again, so the output stays Strict. Only the URIs of ``xmlns``
declarations change: prefixes, element names and every other byte keep their place, and a
part qmt does not edit is copied byte for byte.

A Strict part that also declares a Transitional URI of the map (a foreign element in a
Strict document) keeps it apart: it is read under a private URI and written back as it was,
so no element changes its namespace on the way through.

The class is that of the package's main part (the root element's namespace), one map for
all three formats: :data:`STRICT_NAMESPACES`.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from lxml import etree

_PURL = "http://purl.oclc.org/ooxml/"
_OPENXML = "http://schemas.openxmlformats.org/"

#: Strict namespace URI -> its Transitional twin (ISO/IEC 29500-1:2016 Annex A and Part 4).
STRICT_NAMESPACES: dict[str, str] = {
    _PURL + "wordprocessingml/main": _OPENXML + "wordprocessingml/2006/main",
    _PURL + "spreadsheetml/main": _OPENXML + "spreadsheetml/2006/main",
    _PURL + "presentationml/main": _OPENXML + "presentationml/2006/main",
    _PURL + "drawingml/main": _OPENXML + "drawingml/2006/main",
    _PURL + "drawingml/chart": _OPENXML + "drawingml/2006/chart",
    _PURL + "drawingml/chartDrawing": _OPENXML + "drawingml/2006/chartDrawing",
    _PURL + "drawingml/diagram": _OPENXML + "drawingml/2006/diagram",
    _PURL + "drawingml/picture": _OPENXML + "drawingml/2006/picture",
    _PURL + "drawingml/spreadsheetDrawing": _OPENXML + "drawingml/2006/spreadsheetDrawing",
    _PURL + "drawingml/wordprocessingDrawing": _OPENXML + "drawingml/2006/wordprocessingDrawing",
    _PURL + "drawingml/lockedCanvas": _OPENXML + "drawingml/2006/lockedCanvas",
    _PURL + "drawingml/compatibility": _OPENXML + "drawingml/2006/compatibility",
    _PURL + "officeDocument/relationships": _OPENXML + "officeDocument/2006/relationships",
    _PURL + "officeDocument/math": _OPENXML + "officeDocument/2006/math",
    _PURL + "officeDocument/sharedTypes": _OPENXML + "officeDocument/2006/sharedTypes",
    _PURL + "officeDocument/bibliography": _OPENXML + "officeDocument/2006/bibliography",
    _PURL + "officeDocument/customXml": _OPENXML + "officeDocument/2006/customXml",
    _PURL + "officeDocument/customProperties": _OPENXML + "officeDocument/2006/custom-properties",
    _PURL + "officeDocument/extendedProperties": _OPENXML + "officeDocument/2006/extended-properties",
    _PURL + "officeDocument/docPropsVTypes": _OPENXML + "officeDocument/2006/docPropsVTypes",
    _PURL + "schemaLibrary/main": _OPENXML + "schemaLibrary/2006/main",
}
#: Where a Transitional URI found in a Strict part waits while the part is read (never written out).
_KEPT = "urn:qmt:transitional-in-strict:"
#: A namespace declaration: the attribute, its quote and its URI.
_DECLARATION = re.compile(rb"""(?<=\s)(xmlns(?::[^\s=/>]+)?\s*=\s*)(["'])([^"']*)\2""")


@dataclass(frozen=True)
class Conformance:
    """One conformance class: how its parts' namespace declarations are read and written."""

    name: str
    #: URI as written -> URI as the walkers read it (empty: read as they are).
    reading: dict[str, str] = field(default_factory=dict)

    @property
    def strict(self) -> bool:
        return bool(self.reading)

    def read(self, data: bytes) -> bytes:
        """A part's bytes as the walkers read them (Transitional namespaces)."""
        return _redeclare(data, self.reading)

    def write(self, data: bytes) -> bytes:
        """A serialized part back in this class's own namespaces."""
        return _redeclare(data, {v: k for k, v in self.reading.items()})


TRANSITIONAL = Conformance("transitional")
STRICT = Conformance("strict", {**STRICT_NAMESPACES, **{t: _KEPT + t for t in STRICT_NAMESPACES.values()}})


def conformance_of(main: bytes) -> Conformance:
    """The conformance class of a package, from the namespace of its main part's root element."""
    try:
        for _, el in etree.iterparse(io.BytesIO(main), events=("start",), resolve_entities=False,
                                     no_network=True, load_dtd=False):
            tag = el.tag if isinstance(el.tag, str) else ""
            return STRICT if tag[1:].partition("}")[0] in STRICT_NAMESPACES else TRANSITIONAL
    except etree.XMLSyntaxError:
        pass  # the full parse of the main part says what is wrong with it
    return TRANSITIONAL


def _redeclare(data: bytes, mapping: dict[str, str]) -> bytes:
    """``data`` with the URIs of its namespace declarations mapped; anything else unchanged.

    A declaration counts only inside a start tag (after a ``<`` that opens an element, not a
    comment, a processing instruction or text), so text that quotes one is left alone."""
    if not mapping or b"xmlns" not in data:
        return data
    table = {k.encode(): v.encode() for k, v in mapping.items()}

    def swap(m: re.Match[bytes]) -> bytes:
        uri = table.get(m.group(3))
        if uri is None or not _in_start_tag(data, m.start()):
            return m.group(0)
        return m.group(1) + m.group(2) + uri + m.group(2)

    return _DECLARATION.sub(swap, data)


def _in_start_tag(data: bytes, pos: int) -> bool:
    opened = data.rfind(b"<", 0, pos)
    return opened > data.rfind(b">", 0, pos) and data[opened + 1:opened + 2] not in (b"!", b"?", b"/")


__all__ = ["STRICT", "STRICT_NAMESPACES", "TRANSITIONAL", "Conformance", "conformance_of"]
