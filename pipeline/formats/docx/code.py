"""Which Word runs and paragraphs hold code (see :mod:`pipeline.formats.ooxml.protect`).

A run is code when its own font (``w:rFonts``) is monospace or its character style is a
code style; a paragraph is code when its paragraph style is. Styles are read once from
the styles part: a style counts by its name or id, a character style also by its font,
and a style based on a code style is one too (a "My Code" style based on "HTML Code").
Paragraph styles do not count by font: a document set in Courier throughout is prose.
"""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from pipeline.formats.docx.ooxml import w
from pipeline.formats.ooxml.protect import OFF, CodeRules

_FONT_ATTRS = (w("ascii"), w("hAnsi"))


@dataclass(frozen=True)
class WordCode:
    """The rules of a document: code fonts and the ids of its code styles."""

    rules: CodeRules
    char_styles: frozenset[str] = frozenset()
    para_styles: frozenset[str] = frozenset()

    @classmethod
    def of(cls, rules: CodeRules, styles: etree._Element | None) -> "WordCode":
        if styles is None or not rules.enabled:
            return cls(rules)
        found: dict[str, bool] = {}
        by_id = {s.get(w("styleId"), ""): s for s in styles.iter(w("style"))}
        for sid in by_id:
            _is_code(sid, by_id, rules, found, set())
        kinds = {sid: s.get(w("type"), "paragraph") for sid, s in by_id.items()}
        return cls(rules, frozenset(s for s, c in found.items() if c and kinds[s] == "character"),
                   frozenset(s for s, c in found.items() if c and kinds[s] == "paragraph"))

    def run(self, rpr: etree._Element | None) -> bool:
        """A run whose properties make it code."""
        if rpr is None or not self.rules.enabled:
            return False
        style = rpr.find(w("rStyle"))
        if style is not None and style.get(w("val")) in self.char_styles:
            return True
        return _font_is_code(rpr, self.rules)

    def paragraph(self, p: etree._Element) -> bool:
        """A paragraph in a code paragraph style: kept whole, never sent."""
        style = p.find(f"{w('pPr')}/{w('pStyle')}")
        return style is not None and style.get(w("val")) in self.para_styles


NO_CODE = WordCode(OFF)


def _font_is_code(rpr: etree._Element, rules: CodeRules) -> bool:
    fonts = rpr.find(w("rFonts"))
    return fonts is not None and any(rules.code_font(fonts.get(a)) for a in _FONT_ATTRS)


def _is_code(sid: str, by_id: dict[str, etree._Element], rules: CodeRules, found: dict[str, bool],
             seen: set[str]) -> bool:
    if sid in found or sid in seen or sid not in by_id:
        return found.get(sid, False)
    seen.add(sid)
    style = by_id[sid]
    name = style.find(w("name"))
    code = rules.code_style(name.get(w("val")) if name is not None else None, sid)
    if not code and style.get(w("type")) == "character":
        rpr = style.find(w("rPr"))
        code = rpr is not None and _font_is_code(rpr, rules)
    based = style.find(w("basedOn"))
    if not code and based is not None:
        code = _is_code(based.get(w("val"), ""), by_id, rules, found, seen)
    found[sid] = code
    return code


__all__ = ["NO_CODE", "WordCode"]
