"""The document every string-catalogue format shares: values spliced at their offsets.

A format's walk finds each translatable value and records an :class:`CatalogEntry`: its
:class:`~.message.Message` and the character span of the source that holds it (a JSON
string literal, a YAML scalar, a PO ``msgstr`` block). Rebuild replaces only those
spans, each with the format's own encoding of the translated value, and leaves every
other character (indentation, quoting, escapes, key order, comments) as it was. A
value whose translation is missing or whose count does not come back keeps its source
bytes and is listed in :attr:`Document.fallbacks`.

Also here: key selection (``include_keys``/``exclude_keys``), the source language of a
file, and output names (``en.json`` -> ``zh.json``, ``locales/en/x.json`` -> ``locales/zh/x.json``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Generic, Mapping, Protocol, Sequence, TypeVar

from wcmatch import fnmatch

from pipeline.formats.base import Document
from pipeline.formats.strings.message import Missing
from pipeline.languages import Language, lookup
from pipeline.segments import Literal, Segment


class BuiltText(Protocol):
    """A segment as built from a value: its placeholder payloads by tag number."""

    @property
    def payloads(self) -> Mapping[int, object]: ...


class CatalogMessage(Protocol):
    """What the catalogue document reads of a value's message: its segments, the languages
    each is wanted in, and how it was built. :class:`~.message.Message` is one; a format
    whose values are not ICU/plural messages (an XLIFF unit) brings its own."""

    @property
    def key(self) -> str: ...

    @property
    def order(self) -> Sequence[str]: ...

    @property
    def wanted(self) -> Mapping[str, set[str]]: ...

    @property
    def built(self) -> Mapping[str, BuiltText]: ...

    def segments(self) -> list[Segment]: ...

    def untouched(self, lang: str, translations: Mapping[str, str]) -> bool: ...


MessageT = TypeVar("MessageT", bound=CatalogMessage)


@dataclass
class CatalogEntry(Generic[MessageT]):
    """One value of the file: its message, the span it replaces, how it is written."""

    message: MessageT
    start: int
    end: int
    #: (target code, translations) -> the replacement text of ``start:end`` (raises Missing).
    render: Callable[[str, Mapping[str, str]], str]
    #: The span holds the source value itself (JSON, YAML), so a value that comes back
    #: unchanged keeps its bytes; False where the translation goes elsewhere (a PO msgstr).
    in_place: bool = True
    #: target code -> what the span holds when the value cannot be written (None: its
    #: source bytes). A PO plural entry needs the target's number of empty msgstr[n].
    fallback: Callable[[str], str] | None = None


@dataclass
class Edit:
    """A change the file needs in each language besides its values (a root key, a header)."""

    start: int
    end: int
    #: target code -> replacement text
    text: Callable[[str], str]


class CatalogDocument(Document, Generic[MessageT]):
    """A string catalogue: entries spliced back into the decoded text (see the module docstring)."""

    model_context = True    # a value's key, comments and descriptions
    #: How characters the file's encoding cannot hold are written ("strict": an error;
    #: XML formats write a character reference).
    encode_errors = "strict"

    def __init__(self, path: Path, text: str, entries: list[CatalogEntry[MessageT]], *, encoding: str = "utf-8", bom: str = "",
                 edits: Sequence[Edit] = ()):
        super().__init__(path)
        self.text, self.entries, self.encoding, self.bom, self.edits = text, entries, encoding, bom, list(edits)
        self._wanted: dict[str, set[str]] = {}
        for entry in entries:
            for sid, langs in entry.message.wanted.items():
                if sid in self._wanted:
                    raise ValueError(f"segment id {sid!r} appears twice")
                self._wanted[sid] = langs

    def segments(self) -> Sequence[Segment]:
        return [seg for entry in self.entries for seg in entry.message.segments()]

    def needs(self, lang: Language) -> set[str]:
        """A plural form is sent only to the languages that have its category."""
        return {sid for sid, langs in self._wanted.items() if lang.code in langs}

    def inline_markup(self, segment_id: str) -> Mapping[int, tuple[str, str]]:
        """Each placeholder tag's source bytes (``%s``, ``{{name}}``, ``<b>``)."""
        for entry in self.entries:
            built = entry.message.built.get(segment_id)
            if built is not None:
                return {num: (p.text, "") for num, p in built.payloads.items() if isinstance(p, Literal)}
        return {}

    def rebuild(self, lang: Language, translations: Mapping[str, str]) -> bytes:
        self.fallbacks = {}
        edits = [(e.start, e.end, e.text(lang.code)) for e in self.edits]
        for entry in self.entries:
            msg = entry.message
            if entry.in_place and msg.untouched(lang.code, translations):
                continue
            try:
                edits.append((entry.start, entry.end, entry.render(lang.code, translations)))
            except Missing as exc:
                self._fall_back(msg, lang.code, translations, exc)
                if entry.fallback is not None:
                    edits.append((entry.start, entry.end, entry.fallback(lang.code)))
        return self._splice(edits)

    def _fall_back(self, msg: MessageT, code: str, translations: Mapping[str, str], exc: Missing) -> None:
        """Every translated segment of a value kept in the source is reported once."""
        for sid in msg.order:
            if code in msg.wanted[sid] and sid in translations:
                why = str(exc) if sid == exc.segment_id else f"segment {exc.segment_id} {exc}"
                self.fallbacks[sid] = f"{msg.key}: {why}; the source value is kept"

    def _splice(self, edits: list[tuple[int, int, str]]) -> bytes:
        out, pos = [], 0
        for start, end, text in sorted(edits, key=lambda e: (e[0], e[1])):
            if start < pos:
                raise ValueError("overlapping edits")
            out += [self.text[pos:start], text]
            pos = end
        out.append(self.text[pos:])
        return (self.bom + "".join(out)).encode(self.encoding, errors=self.encode_errors)


# --- key selection --------------------------------------------------------------------


def key_selected(key: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    """``include_keys``/``exclude_keys``: shell globs over the dotted key path (``*`` spans dots)."""
    flags = fnmatch.CASE
    if include and not fnmatch.fnmatch(key, list(include), flags=flags):
        return False
    return not (exclude and fnmatch.fnmatch(key, list(exclude), flags=flags))


# --- languages and output names -------------------------------------------------------

_TAG_RE = r"[a-z]{2,3}(?:[-_](?:[A-Za-z]{4}|[A-Za-z]{2}|\d{3}))?"


def _name_spans(name: str) -> list[tuple[int, int]]:
    """Where a language tag may sit in a file name: the end of its stem, after a ``.``,
    ``_`` or ``-`` (``en.json``, ``app_en.arb``, ``devise.en.yml``, ``strings_en_US.json``),
    shortest first."""
    stem_end = name.rfind(".")
    if stem_end <= 0:
        return []
    starts = [0] + [m.end() for m in re.finditer(r"[._-]", name[:stem_end])]
    return [(start, stem_end) for start in reversed(starts)]


def language_token(token: str, source: Language | None) -> bool:
    """Whether ``token`` names the source language (any language when the job says "auto")."""
    if not re.fullmatch(_TAG_RE, token):
        return False
    if source is not None:
        base = source.code.split("_")[0]
        tok = token.replace("-", "_").lower()
        return tok == source.code.lower() or tok.split("_")[0] == base
    lang = lookup(token)
    # The token must spell the language's own code ("en", "pt-BR"), not an old alias:
    # a folder named "in" is not Indonesian.
    return lang is not None and lang.code.split("_")[0] == token.replace("-", "_").lower().split("_")[0]


def target_tag(code: str, like: str = "", sep: str = "-") -> str:
    """``code`` ("zh_tw") as a tag spelt like ``like`` ("en_US" -> "zh_TW", "en-US" ->
    "zh-TW"), else with ``sep``."""
    lang, _, region = code.partition("_")
    if not region:
        return lang
    sep = "_" if "_" in like else "-" if "-" in like else sep
    return f"{lang}{sep}{region.upper() if len(region) == 2 else region.title()}"


def source_code(ctx_lang: Language | None, relpath: str, found: str = "") -> str:
    """The language plural examples are read in: the job's, else one the file names
    (its root key, its name or folder), else English."""
    if ctx_lang is not None:
        return ctx_lang.code
    for token in [found, *_path_tokens(relpath)]:
        if token and (lang := lookup(token)) is not None:
            return lang.code
    return "en"


def _path_tokens(relpath: str) -> list[str]:
    parts = relpath.split("/")
    tokens = [parts[-1][a:b] for a, b in _name_spans(parts[-1])]
    return tokens + list(reversed(parts[:-1]))


def names_language(path: Path) -> bool:
    """Whether the file's name or one of its nearest folders names a language
    (``en.json``, ``app_en.arb``, ``locales/en/common.json``, ``config/locales/devise.en.yml``):
    what makes a JSON or YAML file a string catalogue rather than data or configuration."""
    name_tokens = [path.name[a:b] for a, b in _name_spans(path.name)]
    folders = [path.parent.name] + ([path.parents[1].name] if path.parent.name == "LC_MESSAGES" else [])
    return any(language_token(t, None) for t in [*name_tokens, *folders])


def swap_language(relpath: str, source: Language | None, target: str, sep: str = "-") -> str | None:
    """``relpath`` with the source language in its file name or folders replaced by
    ``target`` (a qmt code, spelt like the source's tag, else with ``sep``); None when
    the path names no language."""
    parts = relpath.split("/")
    name = parts[-1]
    span = next(((a, b) for a, b in _name_spans(name) if language_token(name[a:b], source)), None)
    token = name[span[0] : span[1]] if span else next((p for p in reversed(parts[:-1]) if language_token(p, source)),
                                                     None)
    if token is None:
        return None
    tag = target_tag(target, token, sep)
    parts = [tag if p == token else p for p in parts[:-1]]
    if span:
        name = name[: span[0]] + tag + name[span[1] :]
    return "/".join([*parts, name])


__all__ = ["CatalogDocument", "CatalogEntry", "Edit", "key_selected", "language_token", "names_language", "source_code",
           "swap_language",
           "target_tag"]
