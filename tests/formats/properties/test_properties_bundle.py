"""Java .properties bundles: values spliced, escapes and encodings kept; the file's own
grammar (read again by an independent pass over the output) checks every output."""
from __future__ import annotations

from pathlib import Path

import pytest

from catalog_support import identity, load, pseudo, rebuild, sent
from pipeline.errors import FileError
from pipeline.formats import handler_for
from pipeline.formats.options import PropertiesOptions
from pipeline.formats.properties import HANDLER, parse_properties

BUNDLE = """# Messages of the login screen
! Another comment style
welcome = Welcome, {0}!
login.button=Log in
login.hint : It''s {0} o''clock
multi = First part \\
        second part
unicode = Caf\\u00e9
  indented.key   Value after spaces
empty =
key\\ with\\ spaces = Spaced key
"""


def test_values_read_like_java_does():
    pairs = {p.key: p.value for p in parse_properties(BUNDLE)}
    assert pairs["multi"] == "First part second part" and pairs["unicode"] == "Café"
    assert pairs["indented.key"] == "Value after spaces" and pairs["key with spaces"] == "Spaced key"
    assert pairs["login.hint"] == "It''s {0} o''clock"


def test_segments_and_context():
    doc = load("i18n/messages_en.properties", BUNDLE)
    texts = {s.id: s for s in doc.segments()}
    assert texts["welcome"].text == "Welcome, <x1/>!"
    assert texts["welcome"].context == "key welcome (Messages of the login screen Another comment style)"
    assert texts["login.hint"].text == "It's <x1/> o'clock"          # MessageFormat quoting read
    assert "empty" not in texts


def test_identity_is_byte_identical():
    doc = load("i18n/messages_en.properties", BUNDLE, targets=("de",))
    assert rebuild(doc, "de", identity(doc, "de")) == BUNDLE.encode()


def test_pseudo_keeps_keys_comments_and_ascii_escaping():
    doc = load("i18n/messages_en.properties", BUNDLE, targets=("ja",))
    out = rebuild(doc, "ja", pseudo(doc, "ja")).decode()
    assert out.isascii()                      # the file wrote non-ASCII as \\uXXXX: so do we
    assert [p.key for p in parse_properties(out)] == [p.key for p in parse_properties(BUNDLE)]
    assert out.splitlines()[:2] == BUNDLE.splitlines()[:2]
    got = {p.key: p.value for p in parse_properties(out)}
    assert got["welcome"].startswith("⟦ja⟧ ") and got["welcome"].endswith(", {0}!")


def test_translated_apostrophes_are_doubled_for_messageformat():
    doc = load("i18n/messages_en.properties", BUNDLE, targets=("fr",))
    translations = identity(doc, "fr")
    translations["login.hint"] = "Il est <x1/> h, l'heure"
    got = {p.key: p.value for p in parse_properties(rebuild(doc, "fr", translations).decode())}
    assert got["login.hint"] == "Il est {0} h, l''heure"


def test_utf8_bundle_stays_utf8():
    doc = load("messages_en.properties", "title = Title\nother = Ünïcödé\n", targets=("zh",))
    out = rebuild(doc, "zh", pseudo(doc, "zh")).decode("utf-8")
    assert "⟦zh⟧" in out


def test_which_files_and_names():
    assert handler_for(Path("/p/src/main/resources/messages.properties")) is HANDLER
    assert handler_for(Path("/p/i18n/AppBundle_en.properties")) is HANDLER
    assert handler_for(Path("/p/src/main/resources/application.properties")) is None
    assert HANDLER.output_relpath("i18n/messages_en.properties", "zh_tw", PropertiesOptions(), None) == \
        "i18n/messages_zh_TW.properties"
    assert HANDLER.output_relpath("messages.properties", "ja", PropertiesOptions(), None) == "messages_ja.properties"


def test_bad_escape_is_one_line_error():
    with pytest.raises(FileError) as err:
        load("messages.properties", "a = bad \\u12\n")
    assert "\\u escape" in err.value.reason and "\n" not in err.value.reason


def test_include_keys():
    doc = load("messages.properties", BUNDLE, options=PropertiesOptions(include_keys=("login.*",)))
    assert [s.id for s in sent(doc, "zh")] == ["login.button", "login.hint"]
