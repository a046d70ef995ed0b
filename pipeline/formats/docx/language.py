"""Target-language settings: what makes Word spell-check, shape and render the translation.

* Translated runs and the document defaults carry the target language (``w:lang``),
  East Asian targets in its ``w:eastAsia`` slot and right-to-left ones in ``w:bidi``.
* Chinese, Japanese and Korean get an East Asian font that covers the script, set
  explicitly: the theme's East Asian font follows ``w:themeFontLang``, which templates
  (python-docx's among them) often set to Japanese.
* Arabic, Hebrew, Persian, Urdu (every right-to-left target) get right-to-left
  paragraphs (``w:bidi``) and runs (``w:rtl``), with bold, italic and size mirrored into
  their complex-script twins (``w:bCs``, ``w:iCs``, ``w:szCs``, in runs and styles): Word
  formats right-to-left text with those, so without them bold Arabic renders plain.
  Tables holding translated text are mirrored (``w:bidiVisual``: the first column on the
  right) and the document's sections read right to left (``w:sectPr/w:bidi``).
* Alignment is mirrored by ``w:bidi`` itself: in a right-to-left paragraph Word reads
  ``w:jc`` ``left``/``right`` as the leading/trailing edge (LibreOffice's DOCX import
  exchanges them likewise), so a left-aligned English paragraph becomes a right-aligned
  Arabic one with its ``w:jc`` kept; swapping the value would undo the mirror.
"""
from __future__ import annotations

from lxml import etree

from pipeline.formats.docx.ooxml import PPR_ORDER, RPR_ORDER, SECTPR_ORDER, SETTINGS_ORDER, TBLPR_ORDER, get_or_add, w
from pipeline.formats.ooxml.language import east_asian_font, office_tag
from pipeline.languages import Language

def _lang_attr(lang: Language) -> str:
    if lang.east_asian:
        return "eastAsia"
    return "bidi" if lang.rtl else "val"


def _rpr(run: etree._Element) -> etree._Element:
    rpr = run.find(w("rPr"))
    if rpr is None:
        rpr = etree.Element(w("rPr"))
        run.insert(0, rpr)
    return rpr


def mark_runs(runs: list[etree._Element], lang: Language) -> None:
    """Give translated runs the target language, font and direction."""
    for run in runs:
        rpr = _rpr(run)
        get_or_add(rpr, "lang", RPR_ORDER).set(w(_lang_attr(lang)), office_tag(lang))
        if lang.east_asian:
            _east_asian_font(rpr, lang)
        if lang.rtl:
            _mirror_complex_script(rpr)
            get_or_add(rpr, "rtl", RPR_ORDER).attrib.pop(w("val"), None)


def mark_paragraph(p: etree._Element, lang: Language) -> None:
    """Right-to-left targets: the translated paragraph reads right to left."""
    if not lang.rtl:
        return
    ppr = p.find(w("pPr"))
    if ppr is None:
        ppr = etree.Element(w("pPr"))
        p.insert(0, ppr)
    get_or_add(ppr, "bidi", PPR_ORDER).attrib.pop(w("val"), None)


def mark_layout(root: etree._Element, translated: list[etree._Element], lang: Language) -> None:
    """Right-to-left targets: tables holding translated paragraphs are mirrored, and the
    sections of the part (the body's ``w:sectPr``) read right to left."""
    if not lang.rtl:
        return
    tables = {t for p in translated for t in p.iterancestors(w("tbl"))}
    for tbl in tables:
        tblpr = tbl.find(w("tblPr"))
        if tblpr is None:
            tblpr = etree.Element(w("tblPr"))
            tbl.insert(0, tblpr)
        get_or_add(tblpr, "bidiVisual", TBLPR_ORDER).attrib.pop(w("val"), None)
    if translated:
        for sect in root.iter(w("sectPr")):
            get_or_add(sect, "bidi", SECTPR_ORDER).attrib.pop(w("val"), None)


def _east_asian_font(rpr: etree._Element, lang: Language) -> None:
    fonts = get_or_add(rpr, "rFonts", RPR_ORDER)
    fonts.attrib.pop(w("eastAsiaTheme"), None)
    fonts.set(w("eastAsia"), east_asian_font(lang))


def _mirror_complex_script(rpr: etree._Element) -> None:
    for latin, cs in (("b", "bCs"), ("i", "iCs"), ("sz", "szCs")):
        src = rpr.find(w(latin))
        if src is None or rpr.find(w(cs)) is not None:
            continue
        twin = get_or_add(rpr, cs, RPR_ORDER)
        for k, v in src.attrib.items():
            twin.set(k, v)


def mark_defaults(styles: etree._Element | None, settings: etree._Element | None, lang: Language) -> None:
    """Set the document defaults (styles part) and theme font language (settings part)."""
    if styles is not None:
        rpr = _default_rpr(styles)
        get_or_add(rpr, "lang", RPR_ORDER).set(w(_lang_attr(lang)), office_tag(lang))
        if lang.east_asian:
            _east_asian_font(rpr, lang)
        if lang.rtl:   # bold and italic set by styles (headings) need their twins too
            for style_rpr in styles.iter(w("rPr")):
                _mirror_complex_script(style_rpr)
    if settings is not None and (lang.east_asian or lang.rtl):
        get_or_add(settings, "themeFontLang", SETTINGS_ORDER).set(w(_lang_attr(lang)), office_tag(lang))


def _default_rpr(styles: etree._Element) -> etree._Element:
    defaults = styles.find(w("docDefaults"))
    if defaults is None:
        defaults = etree.Element(w("docDefaults"))
        styles.insert(0, defaults)
    rpr_default = defaults.find(w("rPrDefault"))
    if rpr_default is None:
        rpr_default = etree.Element(w("rPrDefault"))
        defaults.insert(0, rpr_default)
    rpr = rpr_default.find(w("rPr"))
    if rpr is None:
        rpr = etree.SubElement(rpr_default, w("rPr"))
    return rpr


__all__ = ["mark_defaults", "mark_layout", "mark_paragraph", "mark_runs"]
