"""Language lookup: names, codes, aliases, suggestions, and what is sent per model."""
from __future__ import annotations

import pytest

from pipeline.errors import ConfigError
from pipeline.languages import all_languages, lookup, resolve


def test_table_has_92_languages_and_31_for_lite():
    langs = all_languages()
    assert len(langs) == 92
    assert sum(1 for lang in langs if lang.supported_by("qwen-mt-lite")) == 31


@pytest.mark.parametrize(
    ("value", "code"),
    [("English", "en"), ("english", "en"), ("ZH", "zh"), ("zh-CN", "zh"), ("zh-TW", "zh_tw"),
     ("zh_tw", "zh_tw"), ("Traditional Chinese", "zh_tw"), ("pt-BR", "pt"), ("iw", "he"),
     ("Norwegian Bokmal", "nb"), ("Persian", "fa"), ("Western Persian", "fa"), (" ja ", "ja"),
     ("de_DE", "de"), ("pt_BR", "pt"), ("ZH_TW", "zh_tw")],
)
def test_lookup_accepts_names_codes_aliases(value, code):
    assert lookup(value).code == code


def test_api_name_per_model():
    fa = lookup("fa")
    assert fa.api_name("qwen-mt-plus") == "Western Persian"
    assert fa.api_name("qwen-mt-lite") == "Persian"
    assert lookup("zh-TW").api_name("qwen-mt-flash") == "Traditional Chinese"


def test_unknown_language_gets_suggestions():
    with pytest.raises(ConfigError) as info:
        resolve("Germn", source="job.toml", key="target_langs")
    assert "German (de)" in str(info.value)
    assert str(info.value).startswith("job.toml: target_langs: unknown language")


def test_script_properties():
    assert lookup("ar").rtl and lookup("he").rtl and not lookup("en").rtl
    assert lookup("ja").east_asian and not lookup("th").east_asian
    assert not lookup("th").spaced and lookup("de").spaced
