"""Placeholders of every syntax travel as isolated tags carrying their exact source bytes,
and fail closed: an answer that drops, alters or invents one is never written."""
from __future__ import annotations

import json

import polib
import pytest
import yaml

from catalog_support import load, pseudo, rebuild, sent, written
from pipeline.emulator.pseudo import pseudo_translate
from pipeline.formats.strings.icu import parse_icu
from pipeline.formats.strings.message import Choice, Plural
from pipeline.segments import PlaceholderError, check_translation, tag_ids

PLACEHOLDERS = [
    "%s", "%d", "%1$s", "%2$d", "%.2f", "%lld", "%@", "%1$@", "%r",     # printf, Android, Apple, Python
    "{name}", "{0}", "{0:.2f}", "%(name)s", "%(count)d",                # Python
    "{{name}}", "{{- html}}", "$t(common.ok)",                          # i18next
    "%{name}", "%<total>d",                                             # Ruby
    "<b>", "</b>", "<br/>", '<a href="https://x.org/?a=1&b=2">', "&amp;",  # HTML inside values
    "${user}",                                                          # template literal
]


@pytest.mark.parametrize("ph", PLACEHOLDERS)
def test_each_placeholder_is_one_tag_with_its_bytes(ph):
    value = f"Go {ph} now"
    doc = load("en.json", json.dumps({"k": value}))
    (seg,) = doc.segments()
    assert seg.text == "Go <x1/> now"
    out = json.loads(rebuild(doc, "zh", pseudo(doc, "zh")))
    assert out["k"] == pseudo_translate("Go ", "zh") + ph + " " + written("now", "zh")


def test_icu_arguments_are_tags_and_nested_icu_is_kept():
    value = ("{gender, select, female {{name} shared {count, plural, =0 {nothing} one {# photo} "
             "other {# photos}} on {d, date, short}} other {{name} shared {count, plural, one {# photo} "
             "other {# photos}}}}")
    doc = load("en.json", json.dumps({"k": value}), targets=("pl",))
    texts = {s.text for s in sent(doc, "pl")}
    assert "<x1/> shared <x2/> on <x3/>" in texts and "nothing" in texts
    out = json.loads(rebuild(doc, "pl", pseudo(doc, "pl")))["k"]
    (choice,) = [p for p in parse_icu(out, "k").parts if isinstance(p, Choice)]
    assert [o.selector for o in choice.options] == ["female", "other"]
    for option in choice.options:
        (plural,) = [p for p in option.body.parts if isinstance(p, Plural)]
        assert tuple(plural.forms) == ("one", "few", "many", "other")
    assert out.count("{name}") == 2 and "{d, date, short}" in out and "=0 {" in out


def _doc_for(syntax: str):
    if syntax == "json":
        return load("en.json", '{"k": "Delete %1$s from {folder}?"}'), "k"
    if syntax == "po":
        return load("messages.pot", 'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n#, c-format\n'
                                    'msgid "Delete %1$s from {folder}?"\nmsgstr ""\n'), None
    return load("en.yml", 'en:\n  k: "Delete %1$s from {folder}?"\n'), "k"


@pytest.mark.parametrize("syntax", ["json", "po", "yaml"])
@pytest.mark.parametrize("answer", ["Löschen <x1/>?", "Löschen <x1/> aus <x3/>?", "Löschen <g1>x</g1> aus <x2/>?",
                                    "Löschen %1$s aus {folder}?"])
def test_an_answer_that_loses_a_placeholder_fails_the_check(syntax, answer):
    doc, _ = _doc_for(syntax)
    (seg,) = doc.segments()
    assert sum(tag_ids(seg.text).values()) == 2
    with pytest.raises(PlaceholderError):
        check_translation(seg.text, answer)


@pytest.mark.parametrize("syntax", ["json", "po", "yaml"])
def test_a_translation_with_a_foreign_tag_is_never_written(syntax):
    """Past the check (a bug, or an old cache): the format itself keeps the source."""
    doc, _ = _doc_for(syntax)
    (seg,) = doc.segments()
    before = rebuild(doc, "zh", {})
    assert rebuild(doc, "zh", {seg.id: "删除 <x1/> <x7/>"}) == before
    assert seg.id in doc.fallbacks


def test_reordered_placeholders_are_written_in_the_new_order():
    doc, _ = _doc_for("po")
    (seg,) = doc.segments()
    answer = "从 <x2/> 删除 <x1/>？"
    assert check_translation(seg.text, answer).text == answer
    po = polib.pofile(rebuild(doc, "zh", {seg.id: answer}).decode("utf-8"))
    assert list(po)[0].msgstr == "从 {folder} 删除 %1$s？"


def test_percent_sign_in_prose_is_not_a_placeholder():
    doc = load("en.yml", "en:\n  sale: 50% off everything\n")
    (seg,) = doc.segments()
    assert seg.text == "50% off everything"
    assert yaml.safe_load(rebuild(doc, "zh", pseudo(doc, "zh")))["zh"]["sale"] == "⟦zh⟧ 50% " + written("off everything", "zh")
