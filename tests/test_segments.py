"""Tagged segments: building, parsing, validating and repairing translations."""
from __future__ import annotations

import re

import pytest

from pipeline.segments import (Isolated, Literal, Open, PlaceholderError, SegmentBuilder, TagError,
                               check_translation, has_translatable_text, iter_text_runs, parse, plain_text)


def build_sample() -> tuple[str, dict]:
    b = SegmentBuilder()
    b.text("Click ")
    g = b.open("bold")
    b.text("Save")
    b.close(g)
    b.text(" or press ")
    b.isolated("code:Ctrl+S")
    b.text(".")
    return b.build(), b.payloads


def test_builder_numbers_tags_and_keeps_payloads():
    text, payloads = build_sample()
    assert text == "Click <g1>Save</g1> or press <x2/>."
    assert payloads == {1: "bold", 2: "code:Ctrl+S"}


def test_tag_looking_source_text_becomes_a_literal_placeholder():
    b = SegmentBuilder()
    b.text("use <g1> in templates")
    assert b.build() == "use <x1/> in templates"
    assert b.payloads[1] == Literal("<g1>")


def test_builder_refuses_misnested_close():
    b = SegmentBuilder()
    first = b.open("a")
    b.open("b")
    with pytest.raises(ValueError):
        b.close(first)


@pytest.mark.parametrize("bad", ["<g1>a", "a</g1>", "<g1><g2>a</g1></g2>", "<g1>a</g1><g1>b</g1>", "<x1>"])
def test_parse_rejects_malformed(bad):
    with pytest.raises(TagError):
        parse(bad)


def test_check_accepts_moved_spans():
    source, _ = build_sample()
    moved = "Drücken Sie <x2/> oder klicken Sie auf <g1>Speichern</g1>."
    assert check_translation(source, moved).text == moved


@pytest.mark.parametrize(
    ("damaged", "fixed"),
    [
        ("Klicken <G1>Speichern</G1> oder <x2/>.", "Klicken <g1>Speichern</g1> oder <x2/>."),
        ("Klicken < g1 >Speichern</ g1 > oder <x2 />.", "Klicken <g1>Speichern</g1> oder <x2/>."),
        ("Klicken ＜g1＞Speichern＜/g1＞ oder <x2>.", "Klicken <g1>Speichern</g1> oder <x2/>."),
        ("Klicken <g1>Speichern</g1> oder <x2/><x2/>.", "Klicken <g1>Speichern</g1> oder <x2/>."),
    ],
)
def test_check_repairs_small_damage(damaged, fixed):
    source, _ = build_sample()
    result = check_translation(source, damaged)
    assert result.repaired and result.text == fixed


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("Klicken Speichern oder <x2/>.", "missing <g1>"),
        ("Klicken <g1>Speichern</g1> oder.", "missing <x2/>"),
        ("Klicken <g1>Speichern</g1> <g3>oder</g3> <x2/>.", "unexpected <g3>"),
        ("<g1></g1><x2/>", "empty"),
        ("Klicken <g1>Speichern <x2/></g1", "never closed"),
    ],
)
def test_check_rejects_damage_it_cannot_repair(bad, words):
    source, _ = build_sample()
    with pytest.raises(PlaceholderError) as info:
        check_translation(source, bad)
    assert words in str(info.value)


def test_translatable_text_needs_a_letter():
    assert has_translatable_text("Hello <x1/>")
    assert has_translatable_text("你好")
    assert not has_translatable_text("<x1/> 42 — 3.5%")
    assert plain_text("a<g1>b</g1><x2/>c") == "abc"


def test_iter_text_runs_gives_enclosing_spans():
    tokens = parse("a<g1>b<a2>c</a2></g1><x3/>")
    stacks = [(stack, tok) for stack, tok in iter_text_runs(tokens)]
    texts = [(stack, tok.text) for stack, tok in stacks if hasattr(tok, "text")]
    assert texts == [((), "a"), ((1,), "b"), ((1, 2), "c")]
    assert any(isinstance(tok, Isolated) and stack == () for stack, tok in stacks)
    assert isinstance(stacks[1][1], Open)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Syncing {count} files", ["{count}"]),
        ("Hello {{ name }}, you have {0} items", ["{{ name }}", "{0}"]),
        ("Copied %d of %s (%.1f%%) at %1$s", ["%d", "%s", "%.1f", "%1$s"]),
        ("Welcome %(user)s to ${app}", ["%(user)s", "${app}"]),
        ("Press <b>Save</b> now<br/>", ["<b>", "</b>", "<br/>"]),
        ("50% of users and 100% off", []),
    ],
)
def test_placeholders_become_literal_tags(text, kept):
    from pipeline.segments import PLACEHOLDER_RE

    b = SegmentBuilder()
    b.text(text, protect=PLACEHOLDER_RE)
    assert [p.text for p in b.payloads.values()] == kept
    restored = re.sub(r"<x(\d+)/>", lambda m: b.payloads[int(m.group(1))].text, b.build())
    assert restored == text


def test_a_span_that_loses_its_text_is_rejected():
    with pytest.raises(PlaceholderError, match="<g1> lost its text"):
        check_translation("<g1>Note:</g1> read this.", "<g1></g1> Remarque : lisez ceci.")
    assert check_translation("<g1><x2/></g1> text", "<g1><x2/></g1> texte").text  # no text to lose
