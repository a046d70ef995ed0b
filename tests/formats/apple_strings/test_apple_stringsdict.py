"""Apple .stringsdict: plural rules get the target's CLDR categories; plistlib reads every output."""
from __future__ import annotations

import plistlib

import pytest

from catalog_support import CLDR, PLURAL_LANGS, STRINGSDICT, identity, load, pseudo, rebuild, sent, written
from pipeline.errors import FileError
from pipeline.formats.apple_strings import stringsdict

REL = "App/en.lproj/Localizable.stringsdict"


def test_identity_is_byte_identical_for_the_same_categories():
    doc = load(REL, STRINGSDICT, targets=("de",))
    assert rebuild(doc, "de", identity(doc, "de")).decode() == STRINGSDICT


@pytest.mark.parametrize("code", PLURAL_LANGS)
def test_plural_rule_gets_target_categories(code):
    doc = load(REL, STRINGSDICT, targets=(code,))
    plural = [s for s in sent(doc, code) if "#p" in s.id]
    assert len(plural) == len(CLDR[code])
    out = plistlib.loads(rebuild(doc, code, pseudo(doc, code)))
    rule = out["files_count"]["files"]
    assert tuple(k for k in rule if not k.startswith("NS")) == CLDR[code]
    assert all("%d" in rule[c] for c in CLDR[code]) and rule["NSStringFormatValueTypeKey"] == "d"
    assert out["files_count"]["NSStringLocalizedFormatKey"].endswith(f"%#@files@ {written('in', code)} <%@>")


def test_handler_and_names():
    assert stringsdict.HANDLER.output_relpath(REL, "zh", None, None) == "App/zh-Hans.lproj/Localizable.stringsdict"


def test_bad_plist_is_one_line_error():
    with pytest.raises(FileError) as err:
        load(REL, "<plist><dict><key>a</key><dict><key>b</key></dict></dict></plist>")
    assert "\n" not in err.value.reason and "stringsdict" in err.value.reason
