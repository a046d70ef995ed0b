"""Target-language settings every Office format needs: the language tag and the font.

Word (``w:lang``), PowerPoint and Excel drawings (``a:rPr/@lang``) name a run's language
with the same BCP-47 tags, and need the same East Asian fonts: the theme's East Asian
font follows the template's language, which is often Japanese, so Chinese, Japanese
and Korean translations get a font covering their script set explicitly.

DrawingML runs (PPTX text, chart titles, XLSX text boxes) are marked here; Word runs in
:mod:`pipeline.formats.docx.language` with these same tables.
"""
from __future__ import annotations

from lxml import etree

from pipeline.languages import Language

A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"

#: BCP-47 tags Office uses for our language codes; others use the code itself.
OFFICE_TAGS = {
    "zh": "zh-CN", "zh_tw": "zh-TW", "yue": "zh-HK", "ja": "ja-JP", "ko": "ko-KR",
    "en": "en-US", "fr": "fr-FR", "de": "de-DE", "es": "es-ES", "it": "it-IT", "pt": "pt-BR",
    "ru": "ru-RU", "ar": "ar-SA", "he": "he-IL", "fa": "fa-IR", "ur": "ur-PK", "nl": "nl-NL",
    "pl": "pl-PL", "tr": "tr-TR", "sv": "sv-SE", "da": "da-DK", "fi": "fi-FI", "cs": "cs-CZ",
    "el": "el-GR", "hu": "hu-HU", "ro": "ro-RO", "uk": "uk-UA", "th": "th-TH", "vi": "vi-VN",
    "id": "id-ID", "ms": "ms-MY", "hi": "hi-IN", "nb": "nb-NO", "nn": "nn-NO",
}

#: East Asian fonts shipped with Windows and Office that cover each script.
EAST_ASIAN_FONTS = {
    "zh": "Microsoft YaHei", "zh_tw": "Microsoft JhengHei", "yue": "Microsoft JhengHei",
    "ja": "Yu Gothic", "ko": "Malgun Gothic",
}
#: Complex-script fonts for right-to-left targets in DrawingML.
COMPLEX_SCRIPT_FONTS = {"ar": "Arial", "he": "Arial", "fa": "Arial", "ur": "Arial"}

# CT_TextCharacterProperties children, in schema order (ln, fills, effects, ..., latin, ea, cs, sym, links).
_A_RPR_ORDER = ("ln", "noFill", "solidFill", "gradFill", "blipFill", "pattFill", "grpFill", "effectLst",
                "effectDag", "highlight", "uLnTx", "uLn", "uFillTx", "uFill", "latin", "ea", "cs", "sym",
                "hlinkClick", "hlinkMouseOver", "rtl", "extLst")


def office_tag(lang: Language) -> str:
    """The BCP-47 tag Office writes for ``lang``."""
    return OFFICE_TAGS.get(lang.code, lang.code.replace("_", "-"))


def east_asian_font(lang: Language) -> str:
    return EAST_ASIAN_FONTS.get(lang.code, "Microsoft YaHei")


def _a(tag: str) -> str:
    return f"{{{A_NS}}}{tag}"


def mark_drawing_run(rpr: etree._Element, lang: Language) -> None:
    """A translated DrawingML run (``a:rPr``, ``a:endParaRPr`` or ``a:defRPr``): language and fonts."""
    rpr.set("lang", office_tag(lang))
    rpr.attrib.pop("altLang", None)
    if lang.east_asian:
        _font(rpr, "ea", east_asian_font(lang))
    elif lang.rtl:
        _font(rpr, "cs", COMPLEX_SCRIPT_FONTS.get(lang.code, "Arial"))


_MIRRORED = {"l": "r", "r": "l"}


def mark_drawing_paragraph(p: etree._Element, lang: Language, inherited_algn: str | None = None) -> None:
    """Right-to-left targets: the translated DrawingML paragraph reads right to left, its
    alignment mirrored (DrawingML alignment is visual: left stays left under ``rtl="1"``).
    ``inherited_algn`` is the alignment it has without its own ``algn``, if known."""
    if not lang.rtl:
        return
    ppr = p.find(_a("pPr"))
    if ppr is None:
        ppr = etree.Element(_a("pPr"))
        p.insert(0, ppr)
    ppr.set("rtl", "1")
    algn = ppr.get("algn") or inherited_algn
    if algn in _MIRRORED:
        ppr.set("algn", _MIRRORED[algn])


def _font(rpr: etree._Element, slot: str, typeface: str) -> None:
    el = rpr.find(_a(slot))
    if el is None:
        el = etree.Element(_a(slot))
        rank = _A_RPR_ORDER.index(slot)
        for i, sib in enumerate(rpr):
            name = sib.tag.split("}")[-1] if isinstance(sib.tag, str) else ""
            if name in _A_RPR_ORDER and _A_RPR_ORDER.index(name) > rank:
                rpr.insert(i, el)
                break
        else:
            rpr.append(el)
    el.set("typeface", typeface)
    for attr in ("panose", "pitchFamily", "charset"):
        el.attrib.pop(attr, None)


__all__ = ["EAST_ASIAN_FONTS", "OFFICE_TAGS", "east_asian_font", "mark_drawing_paragraph", "mark_drawing_run",
           "office_tag"]
