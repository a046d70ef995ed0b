"""Android strings.xml: string, plurals, string-array; lxml reads every output."""
from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from catalog_support import CLDR, PLURAL_LANGS, identity, load, pseudo, rebuild, sent
from pipeline.errors import FileError
from pipeline.formats import handler_for
from pipeline.formats.android import HANDLER
from pipeline.formats.options import AndroidOptions

STRINGS = """<?xml version="1.0" encoding="utf-8"?>
<resources xmlns:xliff="urn:oasis:names:tc:xliff:document:1.2">
    <!-- <string name="old">Commented out</string> -->
    <string name="app_name" translatable="false">PhotoBox</string>
    <string name="welcome">Welcome, <b>%1$s</b>! You can\\'t miss it.</string>
    <string name="ask">Delete \\"%s\\"?\\nThis cannot be undone.</string>
    <string name="html"><![CDATA[Read the <a href="https://x.org">terms</a> & rules]]></string>
    <string name="user">Hello <xliff:g id="user" example="Bob">%1$s</xliff:g>, welcome &amp; enjoy</string>
    <plurals name="photos">
        <item quantity="one">%d photo</item>
        <item quantity="other">%d photos</item>
    </plurals>
    <string-array name="sizes">
        <item>Small</item>
        <item>Large</item>
    </string-array>
    <string name="empty"/>
</resources>
"""
REL = "app/src/main/res/values/strings.xml"


def _text(root, name: str) -> str:
    (el,) = root.xpath(f"//*[@name='{name}']")
    return "".join(el.itertext())


def test_escapes_are_decoded_for_the_model_and_markup_is_tags():
    doc = load(REL, STRINGS)
    texts = {s.id: s.text for s in doc.segments()}
    assert "app_name" not in texts and "old" not in texts
    assert texts["welcome"] == "Welcome, <x1/><x2/><x3/>! You can't miss it."
    assert texts["ask"] == 'Delete "<x1/>"?\nThis cannot be undone.'
    assert texts["user"] == "Hello <x1/>, welcome <x2/> enjoy"
    assert texts["sizes.0"] == "Small"


def test_identity_keeps_every_byte_but_plural_quantities():
    doc = load(REL, STRINGS, targets=("de",))
    assert rebuild(doc, "de", identity(doc, "de")).decode() == STRINGS


@pytest.mark.parametrize("code", PLURAL_LANGS)
def test_pseudo_output_reads_back_with_target_quantities(code):
    doc = load(REL, STRINGS, targets=(code,))
    out = rebuild(doc, code, pseudo(doc, code))
    root = etree.fromstring(out)
    source = etree.fromstring(STRINGS.encode())
    assert [e.get("name") for e in root] == [e.get("name") for e in source]
    quantities = [i.get("quantity") for i in root.xpath("//plurals[@name='photos']/item")]
    assert tuple(quantities) == CLDR[code]
    assert all("%d" in "".join(i.itertext()) for i in root.xpath("//plurals/item"))
    assert _text(root, "app_name") == "PhotoBox"
    assert "<b>%1$s</b>" in out.decode() and "\\'" in out.decode()
    assert '<xliff:g id="user" example="Bob">%1$s</xliff:g>' in out.decode()
    assert "<!-- <string name=\"old\">Commented out</string> -->" in out.decode()


def test_translated_quotes_apostrophes_and_ampersands_are_escaped():
    doc = load(REL, STRINGS, targets=("fr",))
    translations = identity(doc, "fr")
    translations["ask"] = "Supprimer « <x1/> » ?\nL'action & le \"reste\" : @fin"
    translations["sizes.0"] = "@petit"
    out = rebuild(doc, "fr", translations).decode()
    assert '<string name="ask">Supprimer « %s » ?\\nL\\\'action &amp; le \\"reste\\" : @fin</string>' in out
    assert "<item>\\@petit</item>" in out
    etree.fromstring(out.encode())


def test_include_keys():
    doc = load(REL, STRINGS, options=AndroidOptions(include_keys=("photos", "sizes.*")))
    assert {s.id.split("#")[0].split(".")[0] for s in doc.segments()} == {"photos", "sizes"}


def test_which_xml_files_and_output_names():
    assert handler_for(Path("/p/app/src/main/res/values/strings.xml")) is HANDLER
    assert handler_for(Path("/p/pom.xml")) is None
    assert HANDLER.output_relpath(REL, "zh_tw", AndroidOptions(), None) == "app/src/main/res/values-zh-rTW/strings.xml"
    assert HANDLER.output_relpath("res/values-en/strings.xml", "ja", AndroidOptions(), None) == \
        "res/values-ja/strings.xml"


def test_unclosed_resource_is_one_line_error():
    with pytest.raises(FileError) as err:
        load(REL, '<resources>\n<string name="a">x\n</resources>\n')
    assert "<string> not closed" in err.value.reason and "\n" not in err.value.reason


def test_each_plural_quantity_sent_once():
    doc = load(REL, STRINGS, targets=PLURAL_LANGS)
    for code in PLURAL_LANGS:
        assert len([s for s in sent(doc, code) if s.id.startswith("photos#")]) == len(CLDR[code])
