"""Printed page headers and footers of a sheet (``headerFooter``): their text, codes kept.

A header or footer (``oddHeader``, ``oddFooter``, ``evenHeader``, ``evenFooter``,
``firstHeader``, ``firstFooter``) is one string of text and ``&`` codes:

* ``&L`` ``&C`` ``&R`` start the left, centre and right sections (text before any of
  them is centred): each section with text is one segment, the codes stay outside;
* ``&P`` (page, also ``&P+1``), ``&N`` (pages), ``&D`` ``&T`` (date, time), ``&F`` ``&Z``
  ``&A`` (file, path, sheet), ``&G`` (picture): fields, each an isolated tag inside its
  section's segment, so the translation can move "Page &P of &N" around its numbers;
* ``&B`` ``&I`` ``&U`` ``&E`` ``&S`` ``&X`` ``&Y`` ``&O`` ``&H`` (styles), ``&"Arial,Bold"``
  (font), ``&12`` (size), ``&K`` colours: formatting, kept outside the segment before
  the first text or field and after the last, an isolated tag between them;
* a code the translation loses is appended to its section: a page number is never dropped;
* ``&&`` is a literal ampersand: "&" in the segment, ``&&`` again when written.

Excel refuses a header or footer longer than 255 characters, so a translation that
would make one longer keeps the source text (reported as a fallback).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from lxml import etree

from pipeline.formats.xlsx.strings import x
from pipeline.segments import Isolated, Literal, SegmentBuilder, Text, has_translatable_text, tokenize

#: The elements of ``headerFooter`` holding text, in schema order.
ELEMENTS = ("oddHeader", "oddFooter", "evenHeader", "evenFooter", "firstHeader", "firstFooter")
#: Excel's limit on one header or footer string.
MAX_CHARS = 255

_CODE = re.compile(r'&(?:"[^"]*"|K(?:[0-9A-Fa-f]{6}|\d\d[+\-S]\d{3})|\d+|[PN](?:[+\-]\d+)?|[A-Za-z])')
_SECTION = re.compile(r"&[LCR]")
#: Codes standing for text (page, pages, date, time, file, path, sheet, picture), not for formatting.
_FIELD = re.compile(r"&(?:[PN](?:[+\-]\d+)?|[DTFAZG])")


@dataclass(frozen=True)
class HfCode:
    """Payload of an isolated tag standing for one ``&`` code."""

    text: str


@dataclass
class Section:
    """One section of a header string: its ``&L``/``&C``/``&R`` code (or ""), the codes
    around its text, and the segment of its text."""

    start: str
    lead: str
    segment: str
    payloads: dict[int, object]
    trail: str
    raw: str

    @property
    def translatable(self) -> bool:
        return has_translatable_text(self.segment)

    def write(self, translation: str) -> str:
        """The section with ``translation`` in place of its text, every code kept."""
        used: set[int] = set()
        out = [self.start + self.lead]
        for tok in tokenize(translation):
            if isinstance(tok, Text):
                out.append(_after_code(out[-1], tok.text.replace("&", "&&")))
            elif isinstance(tok, Isolated) and tok.id not in used and tok.id in self.payloads:
                used.add(tok.id)
                out.append(_payload_text(self.payloads[tok.id]))
        lost = "".join(_payload_text(p) for num, p in self.payloads.items() if num not in used)
        return "".join(out) + lost + self.trail


#: A code that text would run into: a font size takes the digits after it, a page number a "+1".
_OPEN_ENDED = (re.compile(r"&\d+$"), re.compile(r"&[PN]$"))


def _after_code(before: str, text: str) -> str:
    """``text`` written after ``before``: a space between them when the text would otherwise
    read as part of a code ("&12" then "2024 plan" is not a size of 122024)."""
    if _OPEN_ENDED[0].search(before) and text[:1].isdigit() or _OPEN_ENDED[1].search(before) and re.match(
            r"[+\-]\d", text):
        return " " + text
    return text


def _payload_text(payload: object) -> str:
    if isinstance(payload, HfCode):
        return payload.text
    if isinstance(payload, Literal):
        return payload.text.replace("&", "&&")
    return ""


def sections(value: str) -> list[Section]:
    """A header string cut into its sections (joined again, they give ``value`` back)."""
    cuts = [m.start() for m in _SECTION.finditer(value) if not _escaped(value, m.start())]
    bounds = [0, *cuts, len(value)] if not cuts or cuts[0] != 0 else [*cuts, len(value)]
    out = []
    for start, end in zip(bounds, bounds[1:]):
        piece = value[start:end]
        code = piece[:2] if _SECTION.match(piece) and start in cuts else ""
        out.append(_section(code, piece[len(code):]))
    return out


def _escaped(value: str, pos: int) -> bool:
    """An ``&`` preceded by an odd run of ``&``: the second half of ``&&``."""
    run = 0
    while pos - run - 1 >= 0 and value[pos - run - 1] == "&":
        run += 1
    return run % 2 == 1


def _section(start: str, body: str) -> Section:
    items: list[tuple[bool, str]] = []      # (is a code, text)
    pos = 0
    while pos < len(body):
        if body.startswith("&&", pos):
            items.append((False, "&"))
            pos += 2
            continue
        if body[pos] == "&":
            # A code, or a lone "&" Excel would not show either: kept as it is.
            m = _CODE.match(body, pos)
            items.append((True, m.group(0) if m else "&"))
            pos = m.end() if m else pos + 1
            continue
        nxt = body.find("&", pos + 1)
        end = len(body) if nxt < 0 else nxt
        items.append((False, body[pos:end]))
        pos = end
    # Formatting codes at the edges stay outside the segment (fewer tags); fields (a page
    # number, the date) go in, so that a translation can put them where its language does.
    inside = [i for i, (code, text) in enumerate(items) if not code or _FIELD.fullmatch(text)]
    if not any(not code for code, _ in items):
        inside = []
    first = inside[0] if inside else len(items)
    last = inside[-1] if inside else -1
    builder = SegmentBuilder()
    for code, text in items[first:last + 1]:
        if code:
            builder.isolated(HfCode(text))
        else:
            builder.text(text)
    lead = "".join(t for _, t in items[:first])
    trail = "".join(t for _, t in items[last + 1:]) if last >= 0 else ""
    return Section(start, lead, builder.build(), builder.payloads, trail, start + body)


def header_footer_elements(root: etree._Element) -> list[etree._Element]:
    """The header and footer strings of a worksheet or chartsheet, in document order."""
    hf = root.find(x("headerFooter"))
    if hf is None:
        return []
    return [el for el in hf if el.tag in {x(name) for name in ELEMENTS} and el.text]


def header_segments(part: str, root: etree._Element) -> list[tuple[str, str, str]]:
    """(id, text, context) of each section with text in a sheet's headers and footers."""
    out = []
    for el in header_footer_elements(root):
        name = etree.QName(el).localname
        where = "page footer" if name.endswith("Footer") else "page header"
        for i, section in enumerate(sections(el.text or "")):
            if section.translatable:
                out.append((f"{part}#hf/{name}/{i}", section.segment, where))
    return out


def rebuild_headers(part: str, root: etree._Element, translations: Mapping[str, str]) -> tuple[bool, dict[str, str]]:
    """Write the translated sections back; (changed, fallbacks: id -> why the source was kept)."""
    changed = False
    fallbacks: dict[str, str] = {}
    for el in header_footer_elements(root):
        name = etree.QName(el).localname
        parts = sections(el.text or "")
        ids = [f"{part}#hf/{name}/{i}" for i in range(len(parts))]
        if not any(uid in translations for uid in ids):
            continue
        value = "".join(s.write(translations[uid]) if uid in translations and s.translatable else s.raw
                        for uid, s in zip(ids, parts))
        if len(value) > MAX_CHARS:
            why = f"the translated {name} has {len(value)} characters; Excel takes at most {MAX_CHARS}"
            fallbacks.update({uid: why for uid in ids if uid in translations})
            continue
        el.text = value
        changed = True
    return changed, fallbacks


__all__ = ["HfCode", "ELEMENTS", "MAX_CHARS", "Section", "header_footer_elements", "header_segments", "rebuild_headers",
           "sections"]
