"""What counts as code inside Office text: URLs, e-mails, paths, commands; prose never does."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.formats.ooxml.protect import _MAY_HOLD_CODE, INLINE_CODE_RE, OFF, CodeRules

RULES = CodeRules.of()


def protected(text: str, line_start: bool = True) -> list[str]:
    return [piece for piece, kept in RULES.pieces(text, line_start=line_start) if kept]


@pytest.mark.parametrize("text, code", [
    ("Read https://example.com/docs?q=1#top.", ["https://example.com/docs?q=1#top"]),
    ("See (https://en.wikipedia.org/wiki/Foo_(bar)) now", ["https://en.wikipedia.org/wiki/Foo_(bar)"]),
    ("Visit www.example.org, then", ["www.example.org"]),
    ("Write to help@example.co.uk.", ["help@example.co.uk"]),
    ("Edit ~/.config/qmt/job.toml first", ["~/.config/qmt/job.toml"]),
    ("Logs go to /var/log/qmt/run.log daily", ["/var/log/qmt/run.log"]),
    (r"Open C:\Users\Ann\job.toml now", [r"C:\Users\Ann\job.toml"]),
    ("Copy sample_docs/guide.docx and job.toml", ["sample_docs/guide.docx", "job.toml"]),
    ("Then set QMT_HOME=/opt/qmt in the shell", ["QMT_HOME=/opt/qmt"]),
    ("export DASHSCOPE_API_KEY=sk-...", ["export DASHSCOPE_API_KEY=sk-..."]),
    ("$ pip install -e '.[test]'", ["$ pip install -e '.[test]'"]),
    ("pip\tinstall -e .", ["pip\tinstall -e ."]),
    ("qmt translate --to de docs/", ["qmt translate --to de docs/"]),
])
def test_code_inside_text_is_found_exactly(text, code):
    assert protected(text) == code


@pytest.mark.parametrize("text", [
    "Use and/or the 24/7 line, e.g. at 3.5 km/h.",
    "Make sure the list is sorted. Cat owners agree.",
    "make sure it works",                      # a command word without anything shell-like
    "The ratio is 1/2 and the price $5.",
    "Node version 3.11 ships in Q3/Q4.",
])
def test_prose_is_not_protected(text):
    assert protected(text) == []


def test_a_command_only_begins_a_line():
    assert protected("please run pip install -e . later", line_start=False) == []


@pytest.mark.parametrize("font, code", [
    ("Consolas", True), ("Courier New", True), ("courier new", True), ("Source Code Pro", True),
    ("JetBrains Mono", True), ("Noto Sans Mono CJK", True), ("Calibri", False), ("Monotype Corsiva", False),
    ("+mn-lt", False), (None, False),
])
def test_monospace_fonts(font, code):
    assert RULES.code_font(font) is code


def test_job_fonts_and_styles_add_to_the_lists():
    rules = CodeRules.of(fonts=["Corporate Typewriter"], styles=["Terminal Output"])
    assert rules.code_font("Corporate Typewriter") and rules.code_style("TerminalOutput")
    assert not RULES.code_style("Terminal Output") and RULES.code_style("HTMLCode", None)


def test_off_protects_nothing():
    assert OFF.pieces("https://example.com", line_start=True) == [("https://example.com", False)]
    assert not OFF.code_font("Consolas") and not OFF.code_style("Code")


# Texts built from the pieces the code pattern looks for, words and punctuation around them.
_PIECES = ["https://", "http://", "www.", "mailto:", "@", "/", "\\", "C:", "=", "~", ".", "..", "-", "_",
           "job", "toml", "md", "log", "docs", "QMT", "KEY", "example", "com", " ", " ", "\t", ",", "(", ")"]


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES), max_size=14).map("".join))
def test_the_quick_scan_never_hides_code_the_pattern_finds(text):
    """The cheap scan that lets text without any code mark skip the nine-way pattern
    (``_MAY_HOLD_CODE``) finds a mark wherever the pattern finds code."""
    if INLINE_CODE_RE.search(text):
        assert _MAY_HOLD_CODE.search(text), text


def test_prose_without_a_code_mark_is_not_scanned_and_keeps_nothing():
    text = "Open the menu, pick a colour and press Save. Nothing here is code: it is prose."
    assert _MAY_HOLD_CODE.search(text) is None and protected(text) == []
