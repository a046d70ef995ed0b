"""Plural categories from CLDR (through Babel), never from hand tables.

An English ``one``/``other`` message becomes Arabic's six forms, Japanese's one,
Polish's four. Each target form is translated from a source sentence in which the
count is replaced by a number of that category (:func:`example`): the model sees
"You have 3 files" for Arabic ``few`` and "You have 11 files" for ``many``, so it
inflects for the number it sees; the number is put back as the placeholder afterwards
(:func:`restore_count`). A form is never copied from ``other``.
"""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.plural import PluralRule, to_gettext

#: CLDR's order of categories: the order forms are written in (and gettext's msgstr index order).
CLDR_ORDER = ("zero", "one", "two", "few", "many", "other")

# Numbers tried, in order, as a category's example: 2 before 1 so that ``other`` reads as
# a plural in languages without ``one``; 1.5 last, for categories only fractions reach
# (Polish and Russian ``other``).
_CANDIDATES: tuple[int | Decimal, ...] = (2, 1, 3, 5, 0, 4, *range(6, 201), 1000, 1000000, Decimal("1.5"))


def babel_locale(code: str) -> Locale | None:
    """The Babel locale for a qmt or BCP 47 code ("zh_tw", "pt-BR", "en"), or None."""
    parts = re.split(r"[-_]", code.strip())
    if not parts or not parts[0]:
        return None
    lang = parts[0].lower()
    rest = [p.upper() if len(p) == 2 else p.title() for p in parts[1:]]
    for candidate in ("_".join([lang, *rest]), lang):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return None


@lru_cache(maxsize=None)
def _rule(code: str) -> PluralRule:
    locale = babel_locale(code)
    return locale.plural_form if locale is not None else PluralRule({})


@lru_cache(maxsize=None)
def categories(code: str) -> tuple[str, ...]:
    """The CLDR plural categories of ``code``, in CLDR order (``other`` always last)."""
    tags = set(_rule(code).tags) | {"other"}
    return tuple(c for c in CLDR_ORDER if c in tags)


@lru_cache(maxsize=4096)
def category_of(code: str, n: int | Decimal) -> str:
    """The category CLDR gives number ``n`` in ``code``."""
    return _rule(code)(n)


def example(code: str, category: str, avoid: str = "") -> int | Decimal | None:
    """A number of ``category`` in ``code`` whose digits do not occur in ``avoid`` (the
    sentence it goes into, so it can be found again in the translation); None if none."""
    for n in _numbers_of(code, category):
        if str(n) not in avoid:
            return n
    return None


@lru_cache(maxsize=None)
def _numbers_of(code: str, category: str) -> tuple[int | Decimal, ...]:
    # The candidates of one category, in order, worked out once per language: every plural
    # entry of a catalogue asks for them, once per category and language (a 5,000-entry
    # template into 4 languages asked Babel's rule some 400,000 times, most of its load).
    return tuple(n for n in _CANDIDATES if category_of(code, n) == category)


@lru_cache(maxsize=None)
def single_valued(code: str, category: str) -> bool:
    """Whether ``category`` holds one whole number only in ``code`` (English ``one`` is 1
    alone; Russian ``one`` is 1, 21, 31…): a form for one number may leave the count out."""
    return sum(1 for n in range(0, 1001) if category_of(code, n) == category) == 1


def gettext_plural_forms(code: str) -> str:
    """The ``Plural-Forms`` header value for ``code`` from its CLDR rule, its indices in
    CLDR order. CLDR's ``e`` operand (compact exponent) is 0 for the integers gettext
    passes, so it is written as 0: gettext's expression language knows only ``n``."""
    expr = to_gettext(_rule(code))
    return re.sub(r"\be\b", "0", expr)


def number_text(n: int | Decimal) -> str:
    return str(n)


_NUMBER_RE = re.compile(r"\d+(?:[.,\u066b]\d+)?")


def _ascii_number(match: str) -> str:
    """A number as written by the model (any script's digits, "," or "٫" decimal mark) in ASCII."""
    out = []
    for ch in match:
        out.append(str(unicodedata.decimal(ch)) if ch.isdigit() else ".")
    return "".join(out)


def find_number(text: str, n: int | Decimal) -> list[tuple[int, int]]:
    """Where ``n`` occurs in ``text`` as a whole number (in any script's digits)."""
    want = number_text(n)
    return [(m.start(), m.end()) for m in _NUMBER_RE.finditer(text) if _ascii_number(m.group(0)) == want]


__all__ = ["CLDR_ORDER", "babel_locale", "categories", "category_of", "example", "find_number",
           "gettext_plural_forms", "number_text", "single_valued"]
