"""XLIFF 1.2 and 2.x as an input: targets written with their state, inline codes kept as
protected tags, translate="no" and approved targets left alone, every other byte kept;
lxml with the OASIS schemas and translate-toolkit read every output."""
from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from lxml import etree
from translate.storage import xliff as tt_xliff
from translate.storage import xliff2 as tt_xliff2

from catalog_support import CLDR, identity, lang, load, pseudo, rebuild
from pipeline.errors import FileError
from pipeline.formats import handler_for
from pipeline.formats.options import XliffOptions
from pipeline.formats.xliff_file import HANDLER, set_attr

FIXTURES = Path(__file__).parent / "fixtures"
REAL = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".xlf", ".xliff"))
SCHEMAS = Path(__file__).resolve().parents[3] / ".." / "shared" / "schemas" / "xliff"
NS12 = "urn:oasis:names:tc:xliff:document:1.2"
NS2 = "urn:oasis:names:tc:xliff:document:2.0"

V12 = """<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
  <file source-language="en" datatype="plaintext" original="app">
    <body>
      <!-- <trans-unit id="old"><source>Commented out</source></trans-unit> -->
      <trans-unit id="open" resname="toolbar.open">
        <source>Open</source>
        <note>Toolbar button</note>
      </trans-unit>
      <trans-unit id="bold"><source>Click <g id="1" ctype="bold">here</g> to <x id="2" ctype="lb"/>go</source><target state="needs-translation">old</target></trans-unit>
      <trans-unit id="pair">
        <source>Say <bx id="3"/>hi<ex id="3"/> &amp; <ph id="4">&lt;br/&gt;</ph> %@ bye</source>
        <target/>
        <alt-trans><source>Say hi</source><target>Dis salut</target></alt-trans>
      </trans-unit>
      <trans-unit id="code" translate="no">
        <source>git commit</source>
      </trans-unit>
      <group id="g" translate="no">
        <trans-unit id="in-group"><source>Never sent</source></trans-unit>
      </group>
      <trans-unit id="done" approved="yes">
        <source>Save</source>
        <target state="translated">Enregistrer</target>
      </trans-unit>
      <trans-unit id="mark">
        <source>Press <mrk mtype="protected">Ctrl+S</mrk> now</source>
      </trans-unit>
      <trans-unit id="empty"><source/></trans-unit>
    </body>
  </file>
</xliff>
"""
V2 = """<?xml version="1.0" encoding="UTF-8"?>
<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.1" srcLang="en-US">
  <file id="f1">
    <unit id="u1" name="menu.file">
      <notes>
        <note category="description">Menu title</note>
      </notes>
      <originalData>
        <data id="d1">&lt;b&gt;</data>
        <data id="d2">&lt;/b&gt;</data>
        <data id="d3">{count}</data>
      </originalData>
      <segment id="s1">
        <source>A <pc id="1" dataRefStart="d1" dataRefEnd="d2">bold</pc> move</source>
      </segment>
      <ignorable>
        <source> </source>
      </ignorable>
      <segment id="s2" state="initial" subState="x:new">
        <source><ph id="2" dataRef="d3"/> files</source>
        <target>stale</target>
      </segment>
    </unit>
    <unit id="u2">
      <segment state="final">
        <source>Cancel</source>
        <target>Annuler</target>
      </segment>
    </unit>
    <unit id="u3" translate="no">
      <segment>
        <source>v1.0</source>
      </segment>
    </unit>
    <unit id="u4">
      <segment>
        <source>Start <sc id="5"/>here<ec startRef="5"/></source>
      </segment>
    </unit>
  </file>
</xliff>
"""


def _schema(root: etree._Element) -> etree.XMLSchema:
    if not SCHEMAS.is_dir():
        pytest.skip("../shared (the XLIFF schemas) is absent")
    return _load_schema("1.2/xliff-core-1.2-strict.xsd" if etree.QName(root).namespace == NS12
                        else "2.1/xliff_core_2.0.xsd")


@functools.lru_cache(maxsize=None)
def _load_schema(rel: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / rel)))


def _tt_units(out: bytes) -> dict[str, tuple[str, str | None]]:
    """translate-toolkit's reading of an output: unit id -> (source, target)."""
    root = etree.fromstring(out)
    store = (tt_xliff.xlifffile if etree.QName(root).namespace == NS12 else tt_xliff2.Xliff2File).parsestring(out)
    return {u.getid().split("\x04")[-1]: (u.source, u.target) for u in store.units}


def _texts(doc) -> dict[str, str]:
    return {s.id: s.text for s in doc.segments()}


# --- what is sent ---------------------------------------------------------------------


def test_codes_are_tags_and_skipped_units_are_not_sent():
    texts = _texts(load("messages.xlf", V12, targets=("fr",)))
    assert texts == {"open": "Open", "bold": "Click <g1>here</g1> to <x2/>go",
                     "pair": "Say <x1/>hi<x2/> & <x3/> <x4/> bye", "mark": "Press <x1/> now"}


def test_v2_segments_are_sent_final_and_ignorable_are_not():
    texts = _texts(load("app.xlf", V2, targets=("fr",)))
    assert texts == {"u1/s1": "A <g1>bold</g1> move", "u1/s2": "<x1/> files", "u4": "Start <x1/>here<x2/>"}


def test_context_is_the_key_and_notes():
    doc = load("messages.xlf", V12, targets=("fr",))
    assert {s.id: s.context for s in doc.segments()}["open"] == "key toolbar.open | Toolbar button"
    assert {s.id: s.context for s in load("app.xlf", V2).segments()}["u1/s1"] == "key menu.file | Menu title"


def test_an_approved_target_in_another_language_is_translated():
    """The file's approved targets are French: a German output needs its own."""
    data = V12.replace('original="app"', 'original="app" target-language="fr"')
    assert "done" not in _texts(load("messages.xlf", data, targets=("fr",)))
    assert "done" in _texts(load("messages.xlf", data, targets=("de",)))
    assert "done" not in _texts(load("messages.xlf", V12, targets=("de",)))   # no target language: kept


# --- what is written ------------------------------------------------------------------


def test_targets_are_written_with_state_and_the_rest_is_kept():
    doc = load("messages.xlf", V12, targets=("fr",))
    out = rebuild(doc, "fr", {"open": "Ouvrir", "bold": "Cliquez <g1>ici</g1> pour <x2/>aller",
                              "pair": "Dis <x1/>salut<x2/> & <x3/> <x4/> au revoir", "mark": "Appuyez <x1/> maintenant"})
    text = out.decode()
    assert '<file source-language="en" datatype="plaintext" original="app" target-language="fr">' in text
    assert ('        <source>Open</source>\n        <target state="translated">Ouvrir</target>\n'
            '        <note>Toolbar button</note>') in text
    assert ('<target state="translated">Cliquez <g id="1" ctype="bold">ici</g> pour <x id="2" ctype="lb"/>aller'
            '</target></trans-unit>') in text
    assert ('<target state="translated">Dis <bx id="3"/>salut<ex id="3"/> &amp; <ph id="4">&lt;br/&gt;</ph> %@ '
            'au revoir</target>') in text
    assert '<alt-trans><source>Say hi</source><target>Dis salut</target></alt-trans>' in text
    assert '<target state="translated">Enregistrer</target>' in text        # approved: kept
    assert '<mrk mtype="protected">Ctrl+S</mrk> maintenant' in text
    assert "<!-- <trans-unit id=\"old\"><source>Commented out</source></trans-unit> -->" in text
    assert text.count("<target") == V12.count("<target") + 2          # open and mark added, <target/> filled
    assert 'id="code" translate="no">\n        <source>git commit</source>\n      </trans-unit>' in text


def test_v2_target_goes_in_its_segment_with_the_state():
    doc = load("app.xlf", V2, targets=("zh_tw",))
    out = rebuild(doc, "zh_tw", {"u1/s1": "一個<g1>大膽</g1>的舉動", "u1/s2": "<x1/> 個檔案", "u4": "從<x1/>這裡<x2/>開始"})
    text = out.decode()
    assert 'srcLang="en-US" trgLang="zh-TW">' in text
    assert ('<segment id="s1" state="translated">\n        <source>A <pc id="1" dataRefStart="d1" dataRefEnd="d2">'
            'bold</pc> move</source>\n        <target>一個<pc id="1" dataRefStart="d1" dataRefEnd="d2">大膽</pc>的舉動'
            '</target>\n      </segment>') in text
    assert '<segment id="s2" state="translated">\n        <source><ph id="2" dataRef="d3"/> files</source>\n' \
           '        <target><ph id="2" dataRef="d3"/> 個檔案</target>' in text          # subState dropped
    assert '<segment state="final">\n        <source>Cancel</source>\n        <target>Annuler</target>' in text
    assert '<ignorable>\n        <source> </source>\n      </ignorable>' in text
    assert "<target>從<sc id=\"5\"/>這裡<ec startRef=\"5\"/>開始</target>" in text


def test_an_existing_targets_language_becomes_the_outputs():
    data = V12.replace('<target state="needs-translation">old</target>',
                       '<target xml:lang="de-CH" state="needs-translation">old</target>')
    doc = load("messages.xlf", data, targets=("zh_tw",))
    text = rebuild(doc, "zh_tw", identity(doc, "zh_tw")).decode()
    assert '<target xml:lang="zh-TW" state="translated">Click <g id="1" ctype="bold">here</g>' in text


def test_a_translation_with_a_foreign_tag_is_not_written():
    doc = load("messages.xlf", V12, targets=("fr",))
    translations = identity(doc, "fr")
    translations["bold"] = "Cliquez <g1>ici</g1> <x7/>"
    text = doc.rebuild(lang("fr"), translations).decode()
    assert "bold" in doc.fallbacks
    assert '<target state="needs-translation">old</target>' in text      # the unit keeps its bytes


def test_identity_of_a_finished_file_is_byte_identical():
    """Every unit approved and the file already in the output's language: nothing changes."""
    data = V12.replace('original="app"', 'original="app" target-language="fr"')
    data = re.sub(r'<trans-unit id="(open|bold|pair|mark|empty)"', r'<trans-unit id="\1" approved="yes"', data)
    data = data.replace("<source>Open</source>", "<source>Open</source><target>Ouvrir</target>")
    data = data.replace("<target/>", "<target>Dis</target>").replace("now</source>", "now</source><target>x</target>")
    doc = load("messages.xlf", data, targets=("fr",))
    assert doc.segments() == []
    assert rebuild(doc, "fr", {}) == data.encode()


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.parent.name + "/" + p.name)
def test_identity_output_is_stable_and_changes_only_targets(path):
    """Identity: each target holds the source's text and codes; reading the output and
    writing it again with the identity changes nothing (a fixed point); outside the
    targets and the language and state attributes, the bytes are the input's."""
    data = path.read_bytes()
    doc = load(path.name, data, targets=("fr",))
    out = rebuild(doc, "fr", identity(doc, "fr"))
    root = etree.fromstring(out)
    for unit in _units(root):
        source, target = _child(unit, "source"), _child(unit, "target")
        if not _ICU_PLURAL_RE.search("".join(source.itertext())):     # a plural gets French categories
            assert _flat(target) == _flat(source)
    again = load(path.name, out, targets=("fr",))
    assert rebuild(again, "fr", identity(again, "fr")) == out
    assert _without_targets(out) == _without_targets(data)


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.parent.name + "/" + p.name)
def test_pseudo_output_changes_only_targets_and_is_read_by_schema_and_toolkit(path):
    data = path.read_bytes()
    doc = load(path.name, data, targets=("pl",))
    translations = pseudo(doc, "pl")
    out = rebuild(doc, "pl", translations)
    assert _without_targets(out) == _without_targets(data)
    root, source_root = etree.fromstring(out), etree.fromstring(data)
    schema = _schema(root)
    if schema.validate(source_root):
        assert schema.validate(root), schema.error_log
    units = _tt_units(out)
    assert len(units) == len(_tt_units(data))
    for seg in doc.segments():
        unit_id = re.split(r"[/#]", seg.id.split("|")[-1])[0]
        assert units[unit_id][1] and "⟦pl⟧" in units[unit_id][1] or not _has_words(seg.text)
    for unit in _units(root):
        if not _ICU_PLURAL_RE.search("".join(_child(unit, "source").itertext())):
            assert [c.tag for c in _child(unit, "target").iter()][1:] == \
                [c.tag for c in _child(unit, "source").iter()][1:]


def test_inline_fixtures_validate_and_toolkit_reads_the_targets():
    for rel, data, code in (("messages.xlf", V12, "ja"), ("app.xlf", V2, "ja")):
        doc = load(rel, data, targets=(code,))
        out = rebuild(doc, code, pseudo(doc, code))
        root = etree.fromstring(out)
        assert _schema(root).validate(root), _schema(root).error_log
        units = _tt_units(out)
        key = "open" if rel == "messages.xlf" else "u4"
        assert units[key][1].startswith("⟦ja⟧")


@pytest.mark.parametrize("code", ["ar", "ja", "pl"])
def test_an_icu_plural_gets_the_targets_categories_and_keeps_its_codes(code):
    path = FIXTURES / "angular-i18n" / "messages.xlf"
    doc = load(path.name, path.read_bytes(), targets=(code,))
    unit = "2002272803511843863"
    sent = {s.id: s.text for s in doc.segments()}
    assert sent[f"{unit}#1.=0"] == "just now" and sent[f"{unit}#1.=1"] == "one minute ago"
    out = rebuild(doc, code, pseudo(doc, code)).decode()
    target = re.search(rf'id="{unit}".*?<target state="translated">(.*?)</target>', out, re.S).group(1)
    selectors = re.findall(r"(?:^|\}) *(=\d+|[a-z]+) \{", target.split(",", 2)[2])
    assert tuple(selectors) == ("=0", "=1", *CLDR[code])
    assert target.startswith("{VAR_PLURAL, plural, =0 {") and "just now" not in target
    assert target.count('<x id="INTERPOLATION" equiv-text="{{minutes}}"/>') == len(CLDR[code])
    nested = re.search(r'id="2508975984005233379".*?<target state="translated">(.*?)</target>', out, re.S).group(1)
    assert nested.count("{VAR_SELECT, select, male {") == len(CLDR[code]) and "female {female}" not in nested


def test_read_written_gives_the_targets_by_segment_id(tmp_path):
    doc = load("messages.xlf", V12, targets=("fr",))
    translations = pseudo(doc, "fr")
    out = tmp_path / "messages.fr.xlf"
    out.write_bytes(rebuild(doc, "fr", translations))
    written = {s.id: s.text for s in doc.read_written(out, lang("fr"))}
    assert written == translations


def test_include_and_exclude_keys_match_resname_or_id():
    doc = load("messages.xlf", V12, options=XliffOptions(include_keys=("toolbar.*", "bold")))
    assert set(_texts(doc)) == {"open", "bold"}


def test_output_names_follow_angular_and_xcode():
    opts = XliffOptions()
    assert HANDLER.output_relpath("src/locale/messages.xlf", "fr", opts, lang("en")) == "src/locale/messages.fr.xlf"
    assert HANDLER.output_relpath("src/locale/messages.xlf", "zh_tw", opts, None) == "src/locale/messages.zh-TW.xlf"
    assert HANDLER.output_relpath("App/en.xliff", "de", opts, lang("en")) == "App/de.xliff"
    assert HANDLER.output_relpath("src/messages.xlf", "fr", XliffOptions(naming="keep"), None) == "src/messages.xlf"
    assert handler_for(Path("/p/messages.xliff")) is HANDLER


@pytest.mark.parametrize("data, why", [
    ("<xliff version='1.2'><file>", "not well-formed XML"),
    ("<resources/>", "the root element is <resources>"),
    ("<xliff version='3.0'/>", "XLIFF version '3.0'"),
])
def test_bad_files_are_one_line_errors(data, why):
    with pytest.raises(FileError) as err:
        load("bad.xlf", data)
    assert why in err.value.reason and "\n" not in err.value.reason


def test_set_attr_keeps_quoting_and_adds_when_missing():
    assert set_attr("<target state='new'>", "state", "translated") == "<target state='translated'>"
    assert set_attr("<target/>", "state", "translated") == '<target state="translated"/>'
    assert set_attr('<file a="1" >', "target-language", "fr") == '<file a="1" target-language="fr" >'


# --- helpers --------------------------------------------------------------------------


def _units(root):
    """(1.2 trans-unit | 2.x segment) elements that got a target from qmt."""
    for el in root.iter():
        if not isinstance(el.tag, str) or etree.QName(el).localname not in ("trans-unit", "segment"):
            continue
        if _child(el, "target") is not None and _child(el, "source") is not None and "".join(
                _child(el, "source").itertext()).strip():
            yield el


def _child(el, name):
    return next((c for c in el if isinstance(c.tag, str) and etree.QName(c).localname == name), None)


def _flat(el) -> list:
    return [(etree.QName(c).localname, dict(c.attrib)) if isinstance(c.tag, str) else None for c in el.iter()][1:] + \
        ["".join(el.itertext())]


_ICU_PLURAL_RE = re.compile(r"\{\s*\w+\s*,\s*plural\s*,")


def _has_words(text: str) -> bool:
    return bool(re.sub(r"<[^>]*>", "", text).strip())


_TARGET_RE = re.compile(r"\s*<target\b[^>]*?(?:/>|>.*?</target>)", re.S)
_LANG_STATE_RE = re.compile(r"""\s(?:target-language|trgLang|state|subState)=("[^"]*"|'[^']*')""")


def _without_targets(data: bytes) -> str:
    """The file with every trans-unit/segment target and the language and state
    attributes taken out (targets in alt-trans or matches kept: qmt never writes them)."""
    text = data.decode("utf-8")
    text = re.sub(r"<alt-trans\b.*?</alt-trans>", lambda m: m.group(0).replace("<target", "<TARGET"), text, flags=re.S)
    return _LANG_STATE_RE.sub("", _TARGET_RE.sub("", text))


def test_a_latin1_file_gets_character_references_for_what_it_cannot_hold():
    data = V12.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace("Open</source>", "Öffnen</source>")
    doc = load("messages.xlf", data.encode("latin-1"), targets=("ja",))
    assert _texts(doc)["open"] == "Öffnen"
    out = rebuild(doc, "ja", {**identity(doc, "ja"), "open": "開く"})
    assert b"<target state=\"translated\">&#38283;&#12367;</target>" in out and "Öffnen".encode("latin-1") in out
    assert etree.fromstring(out).xpath("//*[@id='open']/*[local-name()='target']")[0].text == "開く"


def test_segments_of_one_unit_without_ids_are_numbered():
    data = V2.replace('<segment id="s1">', "<segment>").replace('<segment id="s2" state="initial" subState="x:new">',
                                                               "<segment>")
    doc = load("app.xlf", data, targets=("fr",))
    assert list(_texts(doc)) == ["u1", "u1/2", "u4"]
    rebuild(doc, "fr", pseudo(doc, "fr"))            # verify: the same units and segments read back
