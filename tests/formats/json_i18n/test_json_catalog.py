"""JSON catalogues: values spliced, every other byte kept; the json module reads every output."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalog_support import identity, load, pseudo, rebuild, sent, written
from pipeline.emulator.pseudo import pseudo_translate, reverse_pseudo
from pipeline.errors import FileError
from pipeline.formats import handler_for
from pipeline.formats.json_i18n import HANDLER
from pipeline.formats.options import JsonOptions

NESTED = """\ufeff{\r
  "nav": {\r
    "home": "Home",\r
    "title": "Caf\\u00e9 \\/ Bar",\r
    "count": 3,\r
    "enabled": true,\r
    "tags": ["Open", "Closed", null]\r
  },\r
  "greeting": "Hello, {{name}}! See $t(nav.home).",\r
  "empty": "",\r
  "symbols": "-- / --"\r
}\r
"""

JSONC = """{
  // the main menu
  "menu": {
    /* buttons */
    "save": "Save",
    "quit": "Quit", // trailing comment
  },
}
"""

ARB = """{
  "@@locale": "en",
  "appTitle": "Photo album",
  "@appTitle": {
    "description": "The title shown in the app bar"
  },
  "photos": "{count, plural, =0{No photos} one{One photo} other{{count} photos}}",
  "@photos": {
    "description": "How many photos the album holds",
    "placeholders": {"count": {"type": "int"}}
  }
}
"""


JSON5 = """// JSON5 catalogue
{
  menu: {
    save: 'Save the file',
    quit: "Quit \\
now",
    it: 'It\\'s "done"',
    count: 0x1F,
    ratio: +.5,
    items_one: '{{count}} item',
    items_other: '{{count}} items',
  },
  'quoted-key': 'Hello',
}
"""


def _strings(data) -> dict[str, object]:
    """Every leaf of a JSON value by its path."""
    out: dict[str, object] = {}

    def walk(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}/{i}")
        else:
            out[path] = node

    walk(data, "")
    return out


@pytest.mark.parametrize("name,text", [("en.json", NESTED), ("en.jsonc", JSONC), ("app_en.arb", ARB),
                                       ("en.json5", JSON5)])
def test_identity_is_byte_identical(name, text):
    doc = load(name, text, targets=("de",))
    out = rebuild(doc, "de", identity(doc, "de"))
    if name.endswith(".arb"):
        assert out.decode() == text.replace('"@@locale": "en"', '"@@locale": "de"')
    else:
        assert out == text.encode("utf-8")


def test_pseudo_changes_only_string_values():
    doc = load("en.json", NESTED)
    out = rebuild(doc, "zh", pseudo(doc, "zh"))
    assert out.startswith("\ufeff".encode()) and out.count(b"\r\n") == NESTED.count("\r\n")
    before, after = _strings(json.loads(NESTED.lstrip("\ufeff"))), _strings(json.loads(out.decode("utf-8-sig")))
    assert list(before) == list(after)
    for path, value in before.items():
        if path == "/greeting":
            continue
        if isinstance(value, str) and any(c.isalpha() for c in value):
            assert after[path] != value and reverse_pseudo(after[path], "zh").removeprefix("⟦zh⟧ ") == value, path
        else:
            assert after[path] == value, path
    assert "{{name}}" in after["/greeting"] and "$t(nav.home)" in after["/greeting"]
    assert "\\u" in out.decode("utf-8-sig").split('"title": ')[1].split(",")[0]   # the file's escape style


def test_jsonc_comments_and_trailing_commas_kept():
    doc = load("en.jsonc", JSONC)
    out = rebuild(doc, "zh", pseudo(doc, "zh")).decode()
    assert [line for line in out.splitlines() if "//" in line or "/*" in line] == \
        ['  // the main menu', '    /* buttons */', f'    "quit": "⟦zh⟧ {written("Quit", "zh")}", // trailing comment']
    assert out.rstrip().endswith("},\n}")


def test_arb_metadata_is_context_and_never_sent():
    doc = load("app_en.arb", ARB, targets=("ja",))
    segments = sent(doc, "ja")
    assert {s.text for s in segments} == {"Photo album", "No photos", "2 photos"}
    assert next(s for s in segments if s.text == "Photo album").context == \
        "key appTitle (The title shown in the app bar)"
    out = json.loads(rebuild(doc, "ja", pseudo(doc, "ja")))
    source = json.loads(ARB)
    assert out["@@locale"] == "ja" and out["@appTitle"] == source["@appTitle"] and out["@photos"] == source["@photos"]
    assert out["photos"].startswith(f"{{count, plural, =0{{⟦ja⟧ {written('No photos', 'ja')}}} "
                                    f"other{{⟦ja⟧ {{count}} {written('photos', 'ja')}}}}}")


def test_root_language_key_becomes_the_target():
    doc = load("i18n/en.json", '{"en": {"hi": "Hello"}}', source=None, targets=("zh_tw",))
    assert json.loads(rebuild(doc, "zh_tw", pseudo(doc, "zh_tw"))) == {"zh-TW": {"hi": pseudo_translate("Hello", "zh_tw")}}


def test_include_and_exclude_keys():
    options = JsonOptions(include_keys=("nav.*",), exclude_keys=("nav.tags.*",))
    doc = load("en.json", NESTED, options=options)
    assert [s.id for s in doc.segments()] == ["nav.home", "nav.title"]


def test_only_files_naming_a_language_are_catalogues():
    assert handler_for(Path("/p/locales/en/common.json")) is HANDLER
    assert handler_for(Path("/p/i18n/messages.en.json")) is HANDLER
    assert handler_for(Path("/p/lib/l10n/app_en.arb")) is HANDLER
    assert handler_for(Path("/p/package.json")) is None
    assert handler_for(Path("/p/in/data.json")) is None       # "in" is an old alias, not a code


@pytest.mark.parametrize("relpath,target,naming,expected", [
    ("en.json", "zh", "auto", "zh.json"),
    ("locales/en/app.json", "zh", "auto", "locales/zh/app.json"),
    ("locales/en-US/app.json", "zh_tw", "auto", "locales/zh-TW/app.json"),
    ("l10n/app_en.arb", "ja", "auto", "l10n/app_ja.arb"),
    ("i18n/messages.en.json", "ar", "auto", "i18n/messages.ar.json"),
    ("en.json", "zh", "keep", "en.json"),
])
def test_output_names(relpath, target, naming, expected):
    assert HANDLER.output_relpath(relpath, target, JsonOptions(naming=naming), None) == expected


@pytest.mark.parametrize("text,where", [('{"a": "x",, }', "line 1, column 11"), ('{"a": "x"\n"b": 1}', "line 2"),
                                        ('{"a": "x", "a": "y"}', "appears twice")])
def test_bad_json_is_one_line_error(text, where):
    with pytest.raises(FileError) as err:
        load("en.json", text)
    assert where in err.value.reason and "\n" not in err.value.reason


def test_json5_quotes_unquoted_keys_and_numbers_kept():
    json5 = pytest.importorskip("json5", reason="json5 not installed (pip install -e '.[test]')")
    doc = load("locales/en.json5", JSON5, targets=("pl",))
    assert {s.id: s.text for s in doc.segments()}["menu.it"] == 'It\'s "done"'
    out = rebuild(doc, "pl", pseudo(doc, "pl")).decode()
    got, source = json5.loads(out), json5.loads(JSON5)
    assert got["menu"]["count"] == 31 and got["menu"]["ratio"] == 0.5
    assert [k for k in got["menu"] if k.startswith("items_")] == ["items_one", "items_few", "items_many", "items_other"]
    assert reverse_pseudo(got["menu"]["it"], "pl").removeprefix("⟦pl⟧ ") == source["menu"]["it"]
    assert "    it: '⟦pl⟧ Îţ\\'š \"ðöñé\"',\n" in out and "  'quoted-key': '⟦pl⟧ Ĥéļļö',\n" in out
    assert "    items_few: '⟦pl⟧ {{count}} íţéɱš',\n" in out      # added keys written like their neighbours
