"""Pseudo-translation: what the emulator "translates" into, so output is visibly fake.

The output must be obviously not a translation (nobody may mistake an offline demo for
the real service), deterministic (tests compute the expected text with the same
function) and reversible (round-trip tests get the source back). It is classic
pseudo-localization:

* every ASCII letter is swapped with an accented look-alike from a fixed table; the
  table is an involution (``a`` <-> ``á``), so :func:`reverse_pseudo` is the same swap
  and the round trip is exact for any input, including input that already holds those
  accented letters;
* a language marker such as ``⟦ja⟧ `` goes in front of the text (after its leading
  whitespace), so CJK-only text, which has no ASCII letters, still visibly changes;
* inline tags of :mod:`pipeline.segments` (``<g1>``, ``</g1>``, ``<a2>``, ``<x3/>``) are
  kept exactly and in place, like a model that respects them;
* whitespace (leading, trailing, newlines) is kept;
* glossary terms: each term source found in the text (case-insensitive, longest first)
  is replaced by its target verbatim, so tests can see that the glossary was applied.
  Term targets are not swapped, which is why the round trip is exact only without terms.

Packing markers (reserved syntax for sending several segments in one request): text
matching ``⟦§N⟧`` (``PACK_MARKER_RE``) is kept in place and never transformed. Each piece
between markers is pseudo-translated on its own, with its own language marker, so
``pseudo_translate`` of a packed text equals the packed pseudo-translations of its
pieces.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Callable

from pipeline.languages import lookup
from pipeline.segments import TAG_RE

from pipeline.translate.packing import PACK_MARKER_RE  # noqa: E402  the production marker syntax

_PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
# One precomposed code point each (stable under NFC), none of them ASCII.
_ACCENTED = "áƀçðéƒĝĥíĵķļɱñöþǫŕšţüṽŵẋýžÅƁÇÐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ"
assert len(_PLAIN) == len(_ACCENTED) == len(set(_ACCENTED))

_SWAP = {ord(p): a for p, a in zip(_PLAIN, _ACCENTED)} | {ord(a): p for p, a in zip(_PLAIN, _ACCENTED)}

# Tags and packing markers are copied through untouched.
_PROTECTED_RE = re.compile(f"{TAG_RE.pattern}|{PACK_MARKER_RE.pattern}")

TermsLike = Iterable[Any]


def language_marker(target_lang: str) -> str:
    """``⟦code⟧ `` for a target given as an API name ("Japanese") or a code ("ja")."""
    lang = lookup(target_lang) if target_lang else None
    return f"⟦{lang.code if lang else target_lang}⟧ "


def swap_letters(text: str) -> str:
    """Swap ASCII letters and their accented look-alikes (its own inverse)."""
    return text.translate(_SWAP)


def term_pairs(terms: TermsLike | None) -> list[tuple[str, str]]:
    """Normalize terms given as (source, target) tuples, dicts or objects with
    ``.source``/``.target`` (the API's term objects, :class:`TermPair`)."""
    pairs: list[tuple[str, str]] = []
    for t in terms or ():
        if isinstance(t, dict):
            src, tgt = t.get("source", ""), t.get("target", "")
        elif isinstance(t, (tuple, list)):
            src, tgt = t[0], t[1]
        else:
            src, tgt = t.source, t.target
        if isinstance(src, str) and isinstance(tgt, str) and src:
            pairs.append((src, tgt))
    return pairs


def pseudo_translate(text: str, target_lang: str, terms: Sequence[tuple[str, str]] | TermsLike = ()) -> str:
    """The emulator's deterministic, visibly fake translation of ``text``."""
    glossary = _Glossary(term_pairs(terms))
    marker = language_marker(target_lang)
    return _map_pieces(text, lambda piece: _translate_piece(piece, marker, glossary))


def reverse_pseudo(text: str, target_lang: str) -> str:
    """Undo :func:`pseudo_translate` (exact when no terms were applied)."""
    marker = language_marker(target_lang)
    return _map_pieces(text, lambda piece: _reverse_piece(piece, marker))


def _map_pieces(text: str, fn: Callable[[str], str]) -> str:
    out: list[str] = []
    pos = 0
    for m in PACK_MARKER_RE.finditer(text):
        out.append(fn(text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(fn(text[pos:]))
    return "".join(out)


def _split_leading_ws(piece: str) -> tuple[str, str]:
    body = piece.lstrip()
    return piece[: len(piece) - len(body)], body


def _translate_piece(piece: str, marker: str, glossary: "_Glossary") -> str:
    if not piece.strip():
        return piece
    lead, body = _split_leading_ws(piece)
    out: list[str] = [lead, marker]
    pos = 0
    for m in _PROTECTED_RE.finditer(body):
        out.append(glossary.apply(body[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(glossary.apply(body[pos:]))
    return "".join(out)


def _reverse_piece(piece: str, marker: str) -> str:
    if not piece.strip():
        return piece
    lead, body = _split_leading_ws(piece)
    if body.startswith(marker):
        body = body[len(marker) :]
    out: list[str] = [lead]
    pos = 0
    for m in _PROTECTED_RE.finditer(body):
        out.append(swap_letters(body[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(swap_letters(body[pos:]))
    return "".join(out)


class _Glossary:
    """Replaces term sources (case-insensitive, longest first) and swaps the rest."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self._targets: dict[str, str] = {}
        for src, tgt in pairs:
            self._targets.setdefault(src.casefold(), tgt)
        sources = sorted({s for s, _ in pairs}, key=len, reverse=True)
        self._re = re.compile("|".join(map(re.escape, sources)), re.IGNORECASE) if sources else None

    def apply(self, text: str) -> str:
        if self._re is None or not text:
            return swap_letters(text)
        out: list[str] = []
        pos = 0
        for m in self._re.finditer(text):
            out.append(swap_letters(text[pos : m.start()]))
            out.append(self._target_for(m.group(0)))
            pos = m.end()
        out.append(swap_letters(text[pos:]))
        return "".join(out)

    def _target_for(self, found: str) -> str:
        target = self._targets.get(found.casefold())
        if target is not None:
            return target
        # IGNORECASE and casefold disagree on a few letters (ß, ſ): fall back to a scan.
        for src, tgt in self._targets.items():
            if re.fullmatch(re.escape(src), found, re.IGNORECASE):
                return tgt
        return found
