"""Pseudo-translation: what the emulator "translates" into, so output is visibly fake.

The output must be obviously not a translation (nobody may mistake an offline demo for
the real service), deterministic (tests compute the expected text with the same
function) and reversible (round-trip tests get the source back). It is classic
pseudo-localization:

* ASCII letters are written in the script of the target language, with its typical
  length (Han for Chinese, kanji and kana for Japanese, Hangul, Cyrillic, Greek, Arabic,
  Hebrew, Devanagari, Thai; see :mod:`pipeline.emulator.scripts`), or for Latin-script
  targets and scripts without a code swapped with accented look-alikes (``a`` <-> ``á``).
  Every code is reversible, so :func:`reverse_pseudo` gives the source back exactly for
  any input: tests recognise which source produced a pseudo text by reading it back;
* a language marker such as ``⟦ja⟧ `` goes in front of the text (after its leading
  whitespace), so CJK-only text, which has no ASCII letters, still visibly changes;
* inline tags of :mod:`pipeline.segments` (``<g1>``, ``</g1>``, ``<a2>``, ``<x3/>``) and
  interpolation placeholders (``{count}``, ``%1$s``, ``{{name}}``, ``PLACEHOLDER_RE``) are
  kept exactly and in place, like a model that respects them; digits are kept as they are;
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
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pipeline.emulator.scripts import LATIN, ScriptCode, code_for
from pipeline.languages import lookup
from pipeline.segments import PLACEHOLDER_RE, TAG_RE

from pipeline.translate.packing import PACK_MARKER_RE  # noqa: E402  the production marker syntax

# Tags, placeholders and packing markers are copied through untouched.
_PROTECTED_RE = re.compile(f"{TAG_RE.pattern}|{PACK_MARKER_RE.pattern}|{PLACEHOLDER_RE.pattern}", re.VERBOSE)

TermsLike = Iterable[Any]


def language_code(target_lang: str) -> str:
    """The code of a target given as an API name ("Japanese") or a code ("ja")."""
    lang = lookup(target_lang) if target_lang else None
    return lang.code if lang else target_lang


def language_marker(target_lang: str) -> str:
    """``⟦code⟧ `` for a target given as an API name ("Japanese") or a code ("ja")."""
    return f"⟦{language_code(target_lang)}⟧ "


def script_code(target_lang: str) -> ScriptCode:
    """The code that writes the pseudo text of ``target_lang`` (see :mod:`pipeline.emulator.scripts`)."""
    return code_for(language_code(target_lang))


def swap_letters(text: str) -> str:
    """Swap ASCII letters and their accented look-alikes (its own inverse): the pseudo text
    of Latin-script targets, which tests' stand-in models also use."""
    return LATIN.decode(text)


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
    marker, code = language_marker(target_lang), script_code(target_lang)
    return _map_pieces(text, lambda piece: _translate_piece(piece, marker, glossary, code.encoder()))


def reverse_pseudo(text: str, target_lang: str) -> str:
    """Undo :func:`pseudo_translate` (exact when no terms were applied)."""
    marker, code = language_marker(target_lang), script_code(target_lang)
    return _map_pieces(text, lambda piece: _reverse_piece(piece, marker, code))


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


def _translate_piece(piece: str, marker: str, glossary: "_Glossary", encode: Callable[[str], str]) -> str:
    if not piece.strip():
        return piece
    lead, body = _split_leading_ws(piece)
    out: list[str] = [lead, marker]
    pos = 0
    for m in _PROTECTED_RE.finditer(body):
        out.append(glossary.apply(body[pos : m.start()], encode))
        out.append(m.group(0))
        pos = m.end()
    out.append(glossary.apply(body[pos:], encode))
    return "".join(out)


def _reverse_piece(piece: str, marker: str, code: ScriptCode) -> str:
    if not piece.strip():
        return piece
    lead, body = _split_leading_ws(piece)
    if body.startswith(marker):
        body = body[len(marker) :]
    out: list[str] = [lead]
    pos = 0
    for m in _PROTECTED_RE.finditer(body):
        out.append(code.decode(body[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(code.decode(body[pos:]))
    return "".join(out)


class _Glossary:
    """Replaces term sources (case-insensitive, longest first) and encodes the rest."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self._targets: dict[str, str] = {}
        for src, tgt in pairs:
            self._targets.setdefault(src.casefold(), tgt)
        sources = sorted({s for s, _ in pairs}, key=len, reverse=True)
        self._re = re.compile("|".join(map(re.escape, sources)), re.IGNORECASE) if sources else None

    def apply(self, text: str, encode: Callable[[str], str]) -> str:
        if self._re is None or not text:
            return encode(text)
        out: list[str] = []
        pos = 0
        for m in self._re.finditer(text):
            out.append(encode(text[pos : m.start()]))
            out.append(self._target_for(m.group(0)))
            pos = m.end()
        out.append(encode(text[pos:]))
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
