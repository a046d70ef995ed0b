"""Splitting over-long segments at sentence boundaries and joining the translations."""
from __future__ import annotations

from pipeline.emulator import pseudo_translate
from pipeline.segments import check_translation, parse
from pipeline.tokens import count_tokens
from pipeline.translate.split import join, split

SENTENCE = "The quick brown fox jumps over the lazy dog near the old river bank. "


def test_short_text_is_one_piece():
    (piece,) = split("Hello world.", 100)
    assert piece.text == "Hello world."


def test_cuts_fall_after_sentences_and_respect_the_budget():
    text = SENTENCE * 40
    pieces = split(text, 120)
    assert len(pieces) > 1
    assert "".join(p.text for p in pieces) == text
    assert all(count_tokens(p.text) <= 120 for p in pieces)
    assert all(p.text.endswith(". ") for p in pieces[:-1])


def test_cjk_sentences_split_without_spaces():
    text = "这是一个很长的句子，用来测试分割功能是否正常工作。" * 60
    pieces = split(text, 100)
    assert len(pieces) > 1 and all(p.text.endswith("。") for p in pieces)
    assert "".join(p.text for p in pieces) == text


def test_open_tags_are_closed_and_reopened_at_cuts():
    text = "<g1>" + SENTENCE * 20 + "</g1> Tail <x2/> end."
    pieces = split(text, 100)
    assert len(pieces) > 2
    for p in pieces:
        parse(p.text)  # each piece is well-formed on its own
    assert pieces[1].reopened == ("<g1>",)
    joined = join(pieces, [p.text for p in pieces])
    assert joined == text


def test_join_of_translated_pieces_passes_the_check():
    text = "Intro <g1>" + SENTENCE * 15 + "</g1> outro."
    pieces = split(text, 80)
    translated = [pseudo_translate(p.text, "German") for p in pieces]
    joined = join(pieces, translated)
    assert check_translation(text, joined).text == joined


def test_a_sentence_longer_than_the_budget_is_cut_at_spaces():
    text = ("word " * 400).strip() + "."
    pieces = split(text, 50)
    assert len(pieces) > 1 and all(count_tokens(p.text) <= 50 for p in pieces)
    assert "".join(p.text for p in pieces) == text
