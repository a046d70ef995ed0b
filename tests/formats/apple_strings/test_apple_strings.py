"""Apple .strings: values spliced in the file's encoding (UTF-16 with its BOM or UTF-8). No
independent reader of the format exists off macOS (plutil): outputs are read back by the
module's own grammar, which the identity round trips pin."""
from __future__ import annotations

import pytest

from catalog_support import identity, load, pseudo, rebuild, written
from pipeline.errors import FileError
from pipeline.formats.apple_strings import HANDLER, parse_strings
from pipeline.formats.options import AppleStringsOptions

STRINGS = """/* Title of the main screen */
"main.title" = "Welcome, %@!";

// Count of files
"files" = "%1$lld files in %2$@";
plain = value;
"multi" = "Line one\\nLine \\"two\\"";
"format.var" = "%#@files@ selected";
"""


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_identity_is_byte_identical_in_each_encoding(encoding):
    raw = STRINGS.encode(encoding)
    doc = load("App/en.lproj/Localizable.strings", raw, targets=("de",))
    assert rebuild(doc, "de", identity(doc, "de")) == raw


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_pseudo_keeps_keys_comments_and_placeholders(encoding):
    raw = STRINGS.encode(encoding)
    doc = load("App/en.lproj/Localizable.strings", raw, targets=("ja",))
    texts = {s.id: s.text for s in doc.segments()}
    assert texts["main.title"] == "Welcome, <x1/>!" and texts["format.var"] == "<x1/> selected"
    out = rebuild(doc, "ja", pseudo(doc, "ja"))
    assert out[:2] == raw[:2]
    text = out.decode(encoding)
    pairs = {p.key: p.value for p in parse_strings(text)}
    assert list(pairs) == [p.key for p in parse_strings(STRINGS)]
    assert pairs["files"] == f"⟦ja⟧ %1$lld {written('files in', 'ja')} %2$@" and pairs["multi"].count("\n") == 1
    assert "/* Title of the main screen */" in text and "// Count of files" in text


def test_context_is_the_comment_before_the_pair():
    doc = load("App/en.lproj/Localizable.strings", STRINGS)
    assert {s.id: s.context for s in doc.segments()}["main.title"] == "key main.title (Title of the main screen)"


def test_names():
    assert HANDLER.output_relpath("App/en.lproj/Localizable.strings", "zh", AppleStringsOptions(), None) == \
        "App/zh-Hans.lproj/Localizable.strings"
    assert HANDLER.output_relpath("App/Base.lproj/Main.strings", "zh_tw", AppleStringsOptions(), None) == \
        "App/zh-Hant.lproj/Main.strings"


def test_missing_semicolon_is_one_line_error():
    with pytest.raises(FileError) as err:
        load("en.lproj/Localizable.strings", '"a" = "b"\n"c" = "d";\n')
    assert "expected ';'" in err.value.reason and "\n" not in err.value.reason
