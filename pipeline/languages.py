"""Languages Qwen-MT knows: lookup by name, code or common alias, and what to send.

The table lives in ``data/languages.tsv`` (from docs/languages.md). Users may write an
English name ("Traditional Chinese"), a code ("zh_tw"), or a BCP-47-ish alias
("zh-TW", "zh-Hant", "pt-BR", "iw"), in any case; we send the English name the model
expects ("Persian" for qwen-mt-lite, "Western Persian" for the others).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from pipeline.errors import ConfigError

LITE_MODEL_PREFIX = "qwen-mt-lite"

# Alias -> code. Region variants map to the language the model has.
ALIASES: dict[str, str] = {
    "zh-cn": "zh", "zh_cn": "zh", "zh-hans": "zh", "zh-sg": "zh", "cmn": "zh",
    "simplified chinese": "zh", "chinese (simplified)": "zh",
    "zh-tw": "zh_tw", "zh-hant": "zh_tw", "zh-hk": "zh_tw", "zh-mo": "zh_tw",
    "chinese (traditional)": "zh_tw",
    "pt-br": "pt", "pt-pt": "pt", "pt_br": "pt", "pt_pt": "pt",
    "en-us": "en", "en-gb": "en", "en_us": "en", "en_gb": "en",
    "es-es": "es", "es-mx": "es", "es-419": "es", "fr-fr": "fr", "fr-ca": "fr",
    "de-de": "de", "de-at": "de", "de-ch": "de", "it-it": "it", "ja-jp": "ja",
    "ko-kr": "ko", "ru-ru": "ru", "nl-nl": "nl", "nl-be": "nl",
    "iw": "he", "in": "id", "no": "nb", "nb-no": "nb", "nn-no": "nn",
    "norwegian": "nb", "norwegian bokmål": "nb", "persian": "fa", "farsi": "fa",
    "albanian": "sq", "uzbek": "uz", "azerbaijani": "az", "filipino": "tl", "fil": "tl",
    "yue-hk": "yue", "zh-yue": "yue",
}

RTL_CODES = frozenset({"ar", "he", "fa", "ur", "sd", "arz", "acm", "ary", "ars", "apc", "ajp", "acq", "aeb"})
EAST_ASIAN_CODES = frozenset({"zh", "zh_tw", "ja", "ko", "yue"})
# Scripts without spaces between words: terms match by substring there.
UNSPACED_CODES = frozenset({"zh", "zh_tw", "ja", "yue", "th", "lo", "km", "my"})


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    name: str
    zh_name: str
    lite_name: str

    @property
    def rtl(self) -> bool:
        return self.code in RTL_CODES

    @property
    def east_asian(self) -> bool:
        return self.code in EAST_ASIAN_CODES

    @property
    def spaced(self) -> bool:
        return self.code not in UNSPACED_CODES

    def supported_by(self, model: str) -> bool:
        return bool(self.lite_name) if model.startswith(LITE_MODEL_PREFIX) else True

    def api_name(self, model: str) -> str:
        """The exact English name to put in translation_options for ``model``."""
        if model.startswith(LITE_MODEL_PREFIX):
            return self.lite_name or self.name
        return self.name


@lru_cache(maxsize=1)
def all_languages() -> tuple[Language, ...]:
    text = resources.files("pipeline").joinpath("data/languages.tsv").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    return tuple(Language(*row[:4]) for row in rows[1:])


@lru_cache(maxsize=1)
def _index() -> dict[str, Language]:
    by_key: dict[str, Language] = {}
    for lang in all_languages():
        for key in (lang.code, lang.name, lang.lite_name):
            if key:
                by_key[key.casefold()] = lang
        by_key[lang.code.replace("_", "-").casefold()] = lang
    for alias, code in ALIASES.items():
        by_key.setdefault(alias.casefold(), by_key[code])
    return by_key


def lookup(value: str) -> Language | None:
    """The language named by ``value`` (name, code or alias, any case; ``de_DE`` as ``de-DE``), or None."""
    key = value.strip().casefold()
    index = _index()
    return index.get(key) or index.get(key.replace("_", "-"))


def resolve(value: str, *, source: str | None = None, key: str | None = None) -> Language:
    """Like :func:`lookup` but raises a ConfigError with the closest suggestions."""
    lang = lookup(value)
    if lang is None:
        raise ConfigError(f"unknown language {value!r}{_suggest(value)}", source=source, key=key)
    return lang


def _suggest(value: str) -> str:
    keys = list(_index())
    close = difflib.get_close_matches(value.strip().casefold(), keys, n=5, cutoff=0.6)
    names: list[str] = []
    for k in close:
        lang = _index()[k]
        label = f"{lang.name} ({lang.code})"
        if label not in names:
            names.append(label)
    return f"; did you mean {', '.join(names[:3])}?" if names else "; run 'qmt langs' for the list"
