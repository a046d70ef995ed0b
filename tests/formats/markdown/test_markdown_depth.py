"""Deep nesting and long files: every block after them is still found (issue 11).

markdown-it stops at nesting level 20 and drops the rest of the document without a
word; qmt lifts the limit, and nesting too deep to parse fails the file with a reason.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.errors import FileError
from pipeline.formats.base import LoadContext
from pipeline.formats.markdown import HANDLER, MarkdownDocument
from pipeline.formats.options import MarkdownOptions
from pipeline.segments import TAG_RE


def load(text: str) -> MarkdownDocument:
    return HANDLER.load(LoadContext(Path("t.md"), text.encode(), MarkdownOptions(), None, ()))


def shout(text: str) -> str:
    out, pos = [], 0
    for m in TAG_RE.finditer(text):
        out += [text[pos:m.start()].upper(), m.group(0)]
        pos = m.end()
    return "".join(out) + text[pos:].upper()


def rebuilt(doc: MarkdownDocument) -> str:
    data = doc.rebuild(None, {s.id: shout(s.text) for s in doc.segments()})
    doc.verify(data)
    assert not doc.fallbacks
    return data.decode()


def test_a_list_ten_levels_deep_and_the_sections_after_it_are_translated():
    text = "\n".join("  " * i + f"- level {i} item" for i in range(10)) + "\n\n"
    text += "".join(f"## Section {s}\n\nParagraph of section {s}.\n\n" for s in range(5))
    out = rebuilt(load(text))
    assert not re.search(r"[a-z]{3}", out), out   # no lower-case word left: every line translated
    assert out.count("\n") == text.count("\n")


@pytest.mark.parametrize("depth", [12, 40])
def test_mixed_nesting_of_quotes_lists_and_containers(depth):
    lines, prefix = [], ""
    for i in range(depth):
        kind = i % 3
        if kind == 0:
            lines.append(f"{prefix}> quoted text {i}")
            prefix += "> "
        elif kind == 1:
            lines.append(f"{prefix}- item text {i}")
            prefix += "  "
        else:
            lines.append(f"{prefix}::: tip title {i}")
            lines.append(f"{prefix}container text {i}")
    text = "\n".join(lines) + "\n\n# The end\n\nLast words.\n"
    doc = load(text)
    assert {s.text for s in doc.segments()} >= {"The end", "Last words."}
    assert sum(1 for s in doc.segments() if re.search(r"text \d+$", s.text)) == depth


def test_a_long_file_with_unclosed_containers_is_read_to_its_last_line():
    # Documentation pages concatenated (~30,000 lines); one page in 50 leaves its
    # container open, so the pages after it nest inside: 40 levels by the end.
    page = ("# Page {n}\n\n::: details Open me {n}\nHidden text of page {n}.\n{close}\n"
            "- a list item of page {n}\n  - nested item of page {n}\n\n```js\nconst x = {n}\n```\n\n"
            "Closing paragraph of page {n}.\n\n")
    text = "".join(page.format(n=n, close="" if n % 50 == 7 else ":::\n") for n in range(2000))
    assert text.count("\n") > 26_710
    doc = load(text)
    found = {s.text for s in doc.segments()}
    assert "Closing paragraph of page 1999." in found and "Hidden text of page 1999." in found
    assert len(found) == 2000 * 6   # heading, container title and text, two items, closing paragraph


def test_nesting_too_deep_to_parse_fails_the_file_with_a_reason():
    text = "\n".join("> " * i + f"q{i}" for i in range(5000))
    with pytest.raises(FileError, match="nesting too deep"):
        load(text)


def test_a_table_row_without_pipes_inside_a_quote_is_translated():
    # Found by the generated-document soak: "> > :::" continued the table as a row.
    text = "> > | head cell |\n> > |---|\n> > | body cell |\n> > tail words\n> > :::\n"
    doc = load(text)
    assert [s.text for s in doc.segments()] == ["head cell", "body cell", "tail words"] and not doc.problems
    out = rebuilt(doc)
    assert out == text.replace("head cell", "HEAD CELL").replace("body cell", "BODY CELL").replace("tail", "TAIL") \
        .replace("words", "WORDS")
