"""Per-character formatting of every paragraph: the measure of an identity round trip.

For each translatable part and each ``w:p`` in it (text boxes are their own paragraphs),
the list of visible characters with the formatting a reader sees on each: direct run
properties (bold, italic, underline, strike, colour, size, font, character style, ...)
and the hyperlink target. Run boundaries do not matter: two documents whose characters
carry equal formatting are equal however their runs are cut.
"""
from __future__ import annotations

from pathlib import Path

from lxml import etree

from pipeline.formats.docx.ooxml import R_NS, local, w
from pipeline.formats.docx.package import Package, open_package

#: Run properties compared (w:lang and w:noProof are not visible, rsids are not properties).
COMPARED = (
    "rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike",
    "vanish", "color", "spacing", "sz", "szCs", "highlight", "u", "vertAlign", "shd", "rtl",
)
_SKIP = frozenset(("pPr", "rPr", "txbxContent", "del", "moveFrom", "instrText"))

#: A run's compared properties: (element name, its sorted attributes), sorted.
CharFormat = tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
#: A hyperlink: (relationship target, anchor).
Link = tuple[str, str]
#: Per character of a paragraph: the character, its run's formatting and link (None outside).
Paragraph = list[tuple[str, tuple[CharFormat | None, Link | None]]]


def document_formatting(data: bytes, path: Path | str = "<rebuilt>") -> dict[str, list[Paragraph]]:
    """Part name -> per-character formatting of each paragraph, in document order."""
    package = open_package(Path(path), data)
    return {part.name: part_formatting(package, part.name, part.rels) for part in package.parts}


def part_formatting(package: Package, name: str, rels: dict[str, str]) -> list[Paragraph]:
    root = package.xml(name).getroot()
    return [paragraph_formatting(p, rels) for p in root.iter(w("p"))]


def paragraph_formatting(p: etree._Element, rels: dict[str, str]) -> Paragraph:
    out: Paragraph = []
    _collect(p, rels, None, None, out)
    return out


def _collect(el: etree._Element, rels: dict[str, str], fmt: CharFormat | None, link: Link | None, out: Paragraph) -> None:
    for child in el:
        name = local(child)
        if name in _SKIP:
            continue
        if name == "r":
            _collect(child, rels, run_format(child), link, out)
        elif name == "hyperlink":
            target = (rels.get(child.get(f"{{{R_NS}}}id", ""), ""), child.get(w("anchor"), ""))
            _collect(child, rels, fmt, target, out)
        elif name == "t":
            out.extend((ch, (fmt, link)) for ch in (child.text or ""))
        elif name == "tab":
            out.append(("\t", (fmt, link)))
        elif name in ("br", "cr"):
            out.append(("\n", (fmt, link)))
        elif isinstance(child.tag, str):
            _collect(child, rels, fmt, link, out)


def run_format(run: etree._Element) -> CharFormat:
    rpr = run.find(w("rPr"))
    if rpr is None:
        return ()
    props = []
    for child in rpr:
        name = local(child)
        if name in COMPARED:
            props.append((name, tuple(sorted(child.attrib.items()))))
    return tuple(sorted(props))
