"""The record splitter and dialect sniffing: raw fields, terminators, malformed input."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.formats.csv.records import (
    Dialect,
    MalformedCsvError,
    render,
    sniff,
    split_fields,
    unquote,
    walk,
)

P = Path("t.csv")
COMMA = Dialect(",", '"')


def records(text: str, dialect: Dialect = COMMA):
    return list(walk(text, dialect, P))


@pytest.mark.parametrize("term", ["\n", "\r\n", "\r"])
def test_each_record_keeps_its_terminator(term):
    text = f"a,b{term}1,2{term}3,4"
    recs = records(text)
    assert [r.terminator for r in recs] == [term, term, ""]
    assert [r.fields for r in recs] == [["a", "b"], ["1", "2"], ["3", "4"]]
    assert "".join(text[r.start : r.end] for r in recs) == text


def test_mixed_terminators_are_kept_per_record():
    recs = records("a\r\nb\nc\rd")
    assert [r.terminator for r in recs] == ["\r\n", "\n", "\r", ""]


def test_quoted_fields_keep_their_raw_text_and_newlines():
    text = 'k,v\r\nx,"line one\r\nline ""two"", end"\r\ny,plain\r\n'
    recs = records(text)
    assert recs[1].fields == ["x", '"line one\r\nline ""two"", end"']
    assert unquote(recs[1].fields[1], '"') == 'line one\r\nline "two", end'
    assert recs[2].line == 4  # the quoted newline moved the next record down a line


def test_quote_inside_unquoted_field_is_literal():
    assert split_fields('12" ruler,b', COMMA) == ['12" ruler', "b"]


def test_empty_fields_quoted_and_unquoted_are_distinct():
    assert split_fields('a,,"",', COMMA) == ["a", "", '""', ""]


def test_blank_line_is_not_a_row():
    recs = records("a,b\n\n1,2\n")
    assert [r.blank for r in recs] == [False, True, False]


def test_unclosed_quote_reports_the_line_where_it_opens():
    with pytest.raises(MalformedCsvError) as info:
        records('a,b\n1,2\n3,"never closed\n4,5\n')
    assert info.value.line == 3
    assert "never closed" in str(info.value)
    assert str(P) in str(info.value)


def test_text_after_closing_quote_is_malformed():
    with pytest.raises(MalformedCsvError) as info:
        records('a,b\n"x"y,2\n')
    assert info.value.line == 2
    assert "after a closing quote" in str(info.value)


def test_stop_flag_is_carried_on_the_error():
    with pytest.raises(MalformedCsvError) as info:
        list(walk('"a', COMMA, P, stop=True))
    assert info.value.stop_job is True


@pytest.mark.parametrize(
    ("value", "quoted", "expected"),
    [
        ("plain", False, "plain"),
        ("plain", True, '"plain"'),
        ("a,b", False, '"a,b"'),
        ('say "hi"', False, '"say ""hi"""'),
        ("two\nlines", False, '"two\nlines"'),
    ],
)
def test_render_quotes_only_when_needed_or_already_quoted(value, quoted, expected):
    assert render(value, COMMA, quoted) == expected
    assert unquote(render(value, COMMA, quoted), '"') == value


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1,5;2,5;3\n", ";"),
        ("a\tb\tc\n1\t2\t3\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ('name,note\n"x; y",z\n', ","),
    ],
)
def test_sniff_finds_the_delimiter(text, delimiter):
    assert sniff(text).delimiter == delimiter


def test_sniff_one_column_file_falls_back_by_extension():
    assert sniff("word\nother\n").delimiter == ","
    assert sniff("word\nother\n", prefer_tab=True).delimiter == "\t"


def test_sniff_honours_a_declared_delimiter():
    assert sniff("a,b;c\n", ";").delimiter == ";"


def test_sniff_single_quote_character_when_needed():
    text = "k,v\nx,'a, b'\ny,'c'\n"
    dialect = sniff(text)
    assert dialect.quotechar == "'"
    assert [r.fields[1] for r in walk(text, dialect, P)][1] == "'a, b'"


def test_sniff_keeps_double_quote_for_apostrophes():
    assert sniff("k,v\nx,don't\ny,it's\n").quotechar == '"'
