"""Numbers read as values: Chinese numerals, each language's separators, masking."""
from __future__ import annotations

import pytest

from pipeline.review.qa.numerals import cjk_value, compare, numerals


@pytest.mark.parametrize("text,value", [("十二", 12), ("二十", 20), ("两万", 20_000), ("一千零五", 1005),
                                        ("一百二十万", 1_200_000), ("三亿五千万", 350_000_000), ("一万亿", 10**12)])
def test_chinese_numerals(text, value):
    assert cjk_value(text) == value


def test_one_two_in_a_row_is_not_a_numeral():
    assert cjk_value("一二") is None


def values(text: str, lang: str) -> list[set[float]]:
    return [set(n.values) for n in numerals(text, lang) if n.required]


def test_the_languages_separators_decide_an_ambiguous_number():
    assert values("1.500", "de") == [{1500.0}]
    assert values("1.500", "en") == [{1.5}]
    assert values("1,500", "fr") == [{1.5}]
    assert values("1 500,25", "fr") == [{1500.25}]
    assert values("1,00,000", "hi") == [{100000.0}]                # Indian grouping


def test_dates_and_versions_are_several_numbers():
    assert values("05.01.2024", "de") == [{5.0}, {1.0}, {2024.0}]
    assert values("v1.2.3", "en") == [{1.0}, {2.0}, {3.0}]


def test_tags_placeholders_urls_and_code_are_not_numbers():
    text = "See <g12>x</g12> {n2} %2$s %(v3)d {{x4}} https://e.com/5 a6@b.com `x7` <x8/>"
    assert numerals(text, "en") == []


def test_words_are_optional_digits_are_required():
    missing, extra = compare(numerals("twice a day", "en"), numerals("一日二回", "ja"))
    assert (missing, extra) == ([], [])
    missing, extra = compare(numerals("2 files", "en"), numerals("deux fichiers", "fr"))
    assert (missing, extra) == ([], [])
    missing, extra = compare(numerals("2 files", "en"), numerals("trois fichiers", "fr"))
    assert [n.text for n in missing] == ["2"] and extra == []


def test_digits_of_every_script_are_read_as_digits():
    assert values("١٬٢٣٤٫٥", "ar") == [{1234.5}]        # Arabic-Indic digits, Arabic separators
    assert values("１２３", "ja") == [{123.0}]           # full-width
    assert values("۲۵", "fa") == [{25.0}]                # Persian
    assert values("४२", "hi") == [{42.0}]                # Devanagari
    assert values("x² and ½", "en") == []                # digits, but no decimal digits: no number


def test_number_words_are_found_in_any_case():
    words = [set(n.values) for n in numerals("Twice, then ZWEI and Zwölf", "de") if not n.required]
    assert words == [{2.0}, {2.0}, {12.0}]


def test_each_call_gets_its_own_list():
    first = numerals("2 files", "en")       # a text is read once; the list is the caller's
    first.clear()
    assert [n.text for n in numerals("2 files", "en")] == ["2"]
