"""Plurals for the target language from CLDR, in every syntax: ICU, i18next keys, gettext
msgstr[n], Rails one:/other: mappings. An English one/other message gets exactly the
target's categories; each category is sent once, as a sentence with a number of that
category in place of the count, and the count comes back as its placeholder."""
from __future__ import annotations

import json
import re
from decimal import Decimal

import polib
import pytest
import yaml

from catalog_support import CLDR, MSGFMT, MSGFMT_MISSING, PLURAL_LANGS, load, msgfmt_check, pseudo, rebuild, sent
from pipeline.formats.strings import plurals
from pipeline.formats.strings.icu import parse_icu
from pipeline.formats.strings.message import Plural

ICU_JSON = '{\n  "files": "{count, plural, one {# file} other {# files}}"\n}\n'
I18NEXT_JSON = '{\n  "files_one": "{{count}} file",\n  "files_other": "{{count}} files"\n}\n'
PO = ('msgid ""\nmsgstr ""\n"Language: en\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
      '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
      '#, c-format\nmsgid "%d file"\nmsgid_plural "%d files"\nmsgstr[0] ""\nmsgstr[1] ""\n')
YAML = 'en:\n  files:\n    one: "%{count} file"\n    other: "%{count} files"\n'
SOURCES = {"icu": ("en.json", ICU_JSON), "i18next": ("en.json", I18NEXT_JSON), "po": ("messages.pot", PO),
           "yaml": ("en.yml", YAML)}


def _number(text: str) -> Decimal:
    return Decimal(re.search(r"\d+(?:\.\d+)?", text).group(0))


@pytest.mark.parametrize("code", PLURAL_LANGS)
def test_babel_gives_cldr_categories(code):
    assert plurals.categories(code) == CLDR[code]
    for cat in CLDR[code]:
        n = plurals.example(code, cat)
        assert n is not None and plurals.category_of(code, n) == cat


@pytest.mark.parametrize("syntax", sorted(SOURCES))
@pytest.mark.parametrize("code", PLURAL_LANGS)
def test_each_category_sent_once_with_a_number_of_that_category(syntax, code):
    name, text = SOURCES[syntax]
    doc = load(name, text, targets=PLURAL_LANGS)
    forms = [s for s in sent(doc, code)]
    assert len(forms) == len(CLDR[code])
    got = sorted(plurals.category_of(code, _number(s.text)) for s in forms)
    assert got == sorted(CLDR[code])
    # never the other form's text for every category: the numbers differ per category
    assert len({s.text for s in forms}) == len(forms)


@pytest.mark.parametrize("code", PLURAL_LANGS)
def test_icu_plural_gets_target_categories(code):
    doc = load("en.json", ICU_JSON, targets=(code,))
    out = json.loads(rebuild(doc, code, pseudo(doc, code)))
    (node,) = [p for p in parse_icu(out["files"], "k").parts if isinstance(p, Plural)]
    assert tuple(node.forms) == CLDR[code]
    assert all(any(getattr(p, "raw", "") == "#" for p in body.parts) for body in node.forms.values())


@pytest.mark.parametrize("code", PLURAL_LANGS)
def test_i18next_keys_get_target_categories(code):
    doc = load("en.json", I18NEXT_JSON, targets=(code,))
    out = json.loads(rebuild(doc, code, pseudo(doc, code)))
    assert list(out) == [f"files_{c}" for c in CLDR[code]]
    assert all("{{count}}" in v for v in out.values())


@pytest.mark.parametrize("code", PLURAL_LANGS)
def test_po_msgstr_per_target_category(code, tmp_path):
    doc = load("messages.pot", PO, targets=(code,))
    data = rebuild(doc, code, pseudo(doc, code))
    po = polib.pofile(data.decode("utf-8"))
    assert po.metadata["Plural-Forms"].startswith(f"nplurals={len(CLDR[code])};")
    (entry,) = list(po)
    assert len(entry.msgstr_plural) == len(CLDR[code]) and all("%d" in v for v in entry.msgstr_plural.values())
    if MSGFMT is None:
        pytest.skip(MSGFMT_MISSING)
    (tmp_path / "x.po").write_bytes(data)
    result = msgfmt_check(tmp_path / "x.po")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("code", PLURAL_LANGS)
def test_rails_plural_mapping_gets_target_categories(code):
    doc = load("en.yml", YAML, targets=(code,))
    out = yaml.safe_load(rebuild(doc, code, pseudo(doc, code)))
    assert list(out) == [code]
    assert tuple(out[code]["files"]) == CLDR[code]


def test_po_form_index_follows_the_plural_forms_expression():
    """msgstr[i] holds the form for the numbers the header's expression sends to index i."""
    doc = load("messages.pot", PO, targets=("ar",))
    labels = {s.id: f"{s.text} mark{'ABCDEF'[k]}" for k, s in enumerate(sent(doc, "ar"))}
    numbers = {_number(s.text): labels[s.id][-1] for s in sent(doc, "ar")}
    po = polib.pofile(rebuild(doc, "ar", labels).decode("utf-8"))
    msgstr = list(po)[0].msgstr_plural
    # Arabic in CLDR order, as the header's expression numbers them: 0 zero, 1 one, 2 two,
    # 3-10 few, 11-99 many, 100-102 other.
    index_of = {0: 0, 1: 1, 2: 2, 3: 3, 11: 4, 100: 5}
    assert set(numbers) == set(index_of)
    for n, index in index_of.items():
        assert msgstr[index].endswith(f"mark{numbers[n]}"), (n, msgstr)


def test_count_dropped_by_the_model_is_not_written():
    """A form whose number does not come back keeps the whole value in the source."""
    doc = load("en.json", I18NEXT_JSON, targets=("pl",))
    translations = pseudo(doc, "pl")
    few = next(s for s in sent(doc, "pl") if plurals.category_of("pl", _number(s.text)) == "few")
    translations[few.id] = "kilka plików"      # the model wrote the number as a word
    out = rebuild(doc, "pl", translations)
    assert json.loads(out) == json.loads(I18NEXT_JSON)
    assert "did not come back" in doc.fallbacks[few.id]
    assert set(doc.fallbacks) == set(translations)     # every form of that value is reported


def test_one_without_count_is_not_used_for_russian_one():
    """Russian ``one`` covers 21 and 31: its form is translated from the sentence with the count."""
    doc = load("messages.pot", PO.replace('msgid "%d file"', 'msgid "One file"'), targets=("ru", "pl"))
    ru = {plurals.category_of("ru", _number(s.text)) for s in sent(doc, "ru") if re.search(r"\d", s.text)}
    assert ru == set(CLDR["ru"])
    assert "One file" in [s.text for s in sent(doc, "pl")]     # Polish one is 1 alone
