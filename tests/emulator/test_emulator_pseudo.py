"""Pseudo-translation: visible, deterministic, reversible, tags and markers intact."""
from __future__ import annotations

import re

import pytest

from pipeline.emulator.pseudo import (
    PACK_MARKER_RE,
    language_marker,
    pseudo_translate,
    reverse_pseudo,
    swap_letters,
)
from pipeline.segments import TAG_RE, check_translation, tag_ids

SAMPLES = [
    "Hello world",
    "  Leading and trailing  \n",
    "Line one\nLine two\n\n",
    "Click <g1>Save</g1> then <a2>open the <g3>docs</g3></a2><x4/>.",
    "我看到这个视频后没有笑",
    "Déjà vu, naïve café, Straße",
    "<x1/>",
    "first⟦§1⟧second ⟦§2⟧ third",
    "price: 10 € (approx.)",
]


@pytest.mark.parametrize("text", SAMPLES)
@pytest.mark.parametrize("lang", ["Japanese", "de", "Persian", "zh", "zh_tw", "ko", "ru", "el", "he", "hi", "th"])
def test_round_trip_is_exact(text: str, lang: str) -> None:
    assert reverse_pseudo(pseudo_translate(text, lang), lang) == text


@pytest.mark.parametrize("text", SAMPLES)
def test_output_visibly_differs(text: str) -> None:
    assert pseudo_translate(text, "fr") != text


def test_ascii_letters_are_rewritten_and_marker_leads() -> None:
    out = pseudo_translate("Hello world", "Japanese")
    assert out.startswith(language_marker("ja"))
    assert out.startswith("⟦ja⟧ ")
    assert not re.search(r"[A-Za-z]", out.removeprefix("⟦ja⟧ "))
    # 11 symbols (the space between the words is one): five pairs and a single, one unit each,
    # of which every third is two kana.
    assert len(out.removeprefix("⟦ja⟧ ")) == 7


def test_latin_targets_swap_letters_one_for_one() -> None:
    out = pseudo_translate("Hello world", "de")
    assert out == "⟦de⟧ " + swap_letters("Hello world") == "⟦de⟧ Ĥéļļö ŵöŕļð"


def test_cjk_text_changes_by_its_marker() -> None:
    src = "我看到这个视频后没有笑"
    assert pseudo_translate(src, "English") == "⟦en⟧ " + src


def test_deterministic_and_language_specific() -> None:
    assert pseudo_translate("Same text", "ko") == pseudo_translate("Same text", "ko")
    assert pseudo_translate("Same text", "ko") != pseudo_translate("Same text", "ja")


def test_whitespace_kept_around_and_inside() -> None:
    out = pseudo_translate("  two\n\nlines \t", "es")
    assert out.startswith("  ⟦es⟧ ")
    assert out.endswith(" \t")
    assert out.count("\n") == 2


def test_whitespace_only_text_is_unchanged() -> None:
    assert pseudo_translate(" \n ", "es") == " \n "


def test_tags_kept_exactly_in_place() -> None:
    src = "Click <g1>Save</g1> then <a2>open the <g3>docs</g3></a2><x4/>."
    out = pseudo_translate(src, "ja")
    assert [m.group(0) for m in TAG_RE.finditer(out)] == [m.group(0) for m in TAG_RE.finditer(src)]
    assert tag_ids(out) == tag_ids(src)
    check = check_translation(src, out)
    assert check.text == out and not check.repaired


def test_tag_letters_are_not_accented() -> None:
    out = pseudo_translate("<g12>go</g12>", "it")
    assert "<g12>" in out and "</g12>" in out


def test_pack_markers_kept_and_pieces_translated_alone() -> None:
    pieces = ["First paragraph.", "\nSecond <g1>one</g1>\n", " Third"]
    packed = "⟦§1⟧".join(pieces[:2]) + "⟦§2⟧" + pieces[2]
    out = pseudo_translate(packed, "de")
    markers = list(PACK_MARKER_RE.finditer(out))
    assert [m.group(0) for m in markers] == ["⟦§1⟧", "⟦§2⟧"]
    bounds = [0] + [i for m in markers for i in m.span()] + [len(out)]
    between = [out[bounds[i]:bounds[i + 1]] for i in range(0, len(bounds), 2)]
    assert between == [pseudo_translate(p, "de") for p in pieces]


def test_terms_replaced_verbatim_case_insensitive() -> None:
    out = pseudo_translate("The biosensor and the BIOSENSOR array", "de", [("biosensor", "Biosensor-X")])
    assert out.count("Biosensor-X") == 2
    assert "ţĥé" in out  # the rest is still pseudo-translated


def test_terms_accept_objects_and_dicts_and_prefer_longest() -> None:
    class Term:
        def __init__(self, source: str, target: str):
            self.source, self.target = source, target

    terms = [Term("sensor", "S"), {"source": "bio sensor", "target": "BS"}]
    out = pseudo_translate("a bio sensor, a sensor", "fr", terms)
    assert out == "⟦fr⟧ " + swap_letters("a ") + "BS" + swap_letters(", a ") + "S"


def test_terms_do_not_reach_into_tags() -> None:
    out = pseudo_translate("<g1>g1 text</g1>", "fr", [("g1", "XX")])
    assert out.startswith("⟦fr⟧ <g1>XX ")
    assert out.endswith("</g1>")


def test_swap_is_an_involution() -> None:
    s = "AbcXyz éñ ÅÖ 123"
    assert swap_letters(swap_letters(s)) == s
