"""Text rules shared by the glossary and the translation memory.

Two questions come up again and again: "does this term occur in that segment?" and
"is this TM entry the same sentence as that segment?". Both must ignore our inline
tags (``<g1>``, ``<x2/>``), and the first must know where words end:

* in space-delimited scripts (Latin, Cyrillic, Greek, Arabic, Hangul ...) a term
  matches on word boundaries, case-insensitively: "sync" is in "Sync files" but not in
  "synchronize";
* in scripts written without spaces (Chinese, Japanese kana, Thai, Lao, Khmer, Burmese)
  there are no boundaries to look for, so a term matches as a substring.

A boundary is a change from a "spaced word character" (a letter or digit of a spaced
script, or ``_``) to anything else, so ``API`` is found in ``在API中`` as well.
"""
from __future__ import annotations

import re
import unicodedata

from pipeline.segments import TAG_RE

# Han, kana, CJK compatibility, Thai, Lao, Khmer, Myanmar: written without spaces.
UNSPACED_RANGES = ("\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
                   "\u0e00-\u0e7f\u0e80-\u0eff\u1780-\u17ff\u1000-\u109f\U00020000-\U0002fa1f")
_UNSPACED_RE = re.compile(f"[{UNSPACED_RANGES}]")
# Runs of word characters of spaced scripts: the tokens the term index is keyed by.
SPACED_WORD_RE = re.compile(f"[^\\W{UNSPACED_RANGES}]+")
_WS_RE = re.compile(r"\s+")


def has_unspaced(text: str) -> bool:
    """True when ``text`` holds a character of a script written without spaces."""
    return _UNSPACED_RE.search(text) is not None


def is_spaced_word_char(ch: str) -> bool:
    return bool(ch) and (ch.isalnum() or ch == "_") and not has_unspaced(ch)


def matchable(text: str) -> str:
    """``text`` as terms are matched against it: tags out, NFC, case folded.

    Paired tags vanish (``<g1>Save</g1>`` reads "Save"); isolated ones become a space,
    so two words either side of an inline image do not fuse into one.
    """
    def repl(m: re.Match[str]) -> str:
        return " " if (m.group(2) == "x" or m.group(4)) else ""

    return unicodedata.normalize("NFC", TAG_RE.sub(repl, text)).casefold()


def find_all(haystack: str, needle: str, boundaries: bool) -> list[tuple[int, int]]:
    """Spans of ``needle`` in ``haystack`` (both already folded); with ``boundaries``
    only where its word-character ends are not glued to another word character."""
    spans: list[tuple[int, int]] = []
    start = haystack.find(needle)
    check_left = boundaries and is_spaced_word_char(needle[0])
    check_right = boundaries and is_spaced_word_char(needle[-1])
    while start != -1:
        end = start + len(needle)
        if not (check_left and start > 0 and is_spaced_word_char(haystack[start - 1])) and \
                not (check_right and end < len(haystack) and is_spaced_word_char(haystack[end])):
            spans.append((start, end))
        start = haystack.find(needle, start + 1)
    return spans


# --- TM normalization ------------------------------------------------------------------


def normalize(text: str) -> str:
    """The exact-match key of a segment: NFC, whitespace runs collapsed and trimmed,
    and tags renumbered in order of appearance (``<g7>a</g7> <x9/>`` -> ``<g1>a</g1> <x2/>``),
    so the same sentence matches whatever ids its document gave the tags."""
    text = _WS_RE.sub(" ", unicodedata.normalize("NFC", text)).strip()
    ids: dict[int, int] = {}

    def renumber(m: re.Match[str]) -> str:
        closing, name, num, selfclose = m.groups()
        new = ids.setdefault(int(num), len(ids) + 1)
        return f"<{closing}{name}{new}{selfclose}>"

    return TAG_RE.sub(renumber, text)


def same_but_tag_ids(a: str, b: str) -> bool:
    """``a`` and ``b`` are the same text, whitespace included, once tags are renumbered."""
    return _renumbered(a) == _renumbered(b)


def _renumbered(text: str) -> str:
    ids: dict[int, int] = {}
    return TAG_RE.sub(lambda m: f"<{m[1]}{m[2]}{ids.setdefault(int(m[3]), len(ids) + 1)}{m[4]}>", text)


def fuzzy_form(text: str) -> str:
    """What fuzzy scores compare: the normalized text without tags, case folded."""
    return _WS_RE.sub(" ", TAG_RE.sub(" ", normalize(text))).strip().casefold()


def tag_order(text: str) -> list[int]:
    """Tag ids in order of first appearance (the inverse of :func:`normalize`'s renumbering)."""
    seen: list[int] = []
    for m in TAG_RE.finditer(text):
        num = int(m.group(3))
        if num not in seen:
            seen.append(num)
    return seen


def renumber_like(stored_source: str, stored_target: str, new_source: str) -> str:
    """``stored_target`` with its tag ids changed to those ``new_source`` uses.

    ``stored_source`` and ``new_source`` normalize equal, so their tags correspond one to
    one in order of appearance; the target's tags follow the stored source's ids.
    """
    mapping = dict(zip(tag_order(stored_source), tag_order(new_source)))

    def repl(m: re.Match[str]) -> str:
        closing, name, num, selfclose = m.groups()
        return f"<{closing}{name}{mapping.get(int(num), int(num))}{selfclose}>"

    return TAG_RE.sub(repl, stored_target)


def edge_whitespace(text: str) -> tuple[str, str]:
    body = text.strip()
    if not body:
        return text, ""
    start = text.index(body[0])
    return text[:start], text[start + len(body):]
