"""Java ``.properties`` resource bundles: values translated, every other byte kept.

The grammar is ``java.util.Properties.load``'s: ``#`` and ``!`` comment lines, a key up to
the first unescaped ``=``, ``:`` or whitespace, logical lines continued by an odd number
of trailing backslashes, escapes ``\\t \\n \\r \\f \\uXXXX`` and ``\\X`` for X. Each value's
span (to the end of its logical line) is replaced with the translation, escaped the way
``Properties.store`` would; a file that is ASCII with ``\\uXXXX`` escapes (the ISO-8859-1
convention before Java 9) gets its new non-ASCII characters as ``\\uXXXX`` too, a UTF-8
file gets them as they are. MessageFormat arguments (``{0}``, ``{1,number}``) are
placeholders.

A ``.properties`` file is a bundle when its name names a language (``messages_en``) or is
a bundle's (``messages``, ``strings``, ``labels``, ``*Bundle``, ``*Resources``); other
``.properties`` files are configuration and are not touched. Output: ``messages_en`` ->
``messages_zh_TW``, ``messages`` -> ``messages_zh_TW``.
"""
from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

from pipeline.errors import FileError, FormatError
from pipeline.formats.base import FormatHandler, LoadContext
from pipeline.formats.options import PropertiesOptions
from pipeline.formats.strings.catalog import (CatalogDocument, CatalogEntry, key_selected, names_language, source_code,
                                              swap_language, target_tag)
from pipeline.formats.strings.icu import IcuError, parse_icu
from pipeline.formats.strings.message import Message, split_placeholders
from pipeline.languages import Language

_BUNDLE_RE = re.compile(r"(messages|strings|labels|text|texts|i18n|l10n|lang|language|.*bundle|.*resources?)$", re.I)
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


class PropertiesDocument(CatalogDocument[Message]):
    """A bundle; :meth:`verify` reads the output back key by key."""

    def __init__(self, path: Path, text: str, entries: list[CatalogEntry[Message]], keys: list[str], encoding: str):
        super().__init__(path, text, entries, encoding=encoding)
        self.keys = keys

    def verify(self, data: bytes) -> None:
        try:
            pairs = parse_properties(data.decode(self.encoding))
        except (UnicodeDecodeError, ValueError) as exc:
            raise FormatError(self.path, f"rebuilt file does not read back: {exc}") from exc
        if [p.key for p in pairs] != self.keys:
            raise FormatError(self.path, "rebuilt file's keys differ from the source's")


class PropertyPair:
    __slots__ = ("key", "value", "start", "end", "comment")

    def __init__(self, key: str, value: str, start: int, end: int, comment: str):
        self.key, self.value, self.start, self.end, self.comment = key, value, start, end, comment


def _unescape(raw: str) -> str:
    out, i = [], 0
    while i < len(raw):
        c = raw[i]
        if c != "\\" or i + 1 >= len(raw):
            out.append(c)
            i += 1
            continue
        nxt = raw[i + 1]
        if nxt == "u":
            code = raw[i + 2 : i + 6]
            if not re.fullmatch(r"[0-9A-Fa-f]{4}", code):
                raise ValueError(f"malformed \\u escape {raw[i:i + 6]!r}")
            out.append(chr(int(code, 16)))
            i += 6
        elif nxt in "\r\n":     # a continuation: the break and the next line's leading blanks go
            i += 2
            if nxt == "\r" and raw[i : i + 1] == "\n":
                i += 1
            while i < len(raw) and raw[i] in " \t\f":
                i += 1
        else:
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
    return "".join(out)


def _logical_lines(text: str) -> Iterator[tuple[int, int, str, str]]:
    """(start, end, raw) per logical line, continuation lines joined; comments and blanks skipped."""
    lines = text.splitlines(keepends=True)
    pos, i = 0, 0
    comment: list[str] = []
    while i < len(lines):
        start = pos
        line = lines[i]
        stripped = line.lstrip(" \t\f")
        if not stripped.strip() or stripped[0] in "#!":
            comment = comment + [stripped[1:].strip()] if stripped.strip() and stripped[0] in "#!" else []
            pos += len(line)
            i += 1
            continue
        raw = line
        while _continues(raw.rstrip("\r\n")) and i + 1 < len(lines):
            i += 1
            raw += lines[i]
        pos += len(raw)
        i += 1
        body = raw.rstrip("\r\n")
        yield start, start + len(body), body, " ".join(comment)
        comment = []


def _continues(line: str) -> bool:
    return (len(line) - len(line.rstrip("\\"))) % 2 == 1


_KEY_END_RE = re.compile(r"(?:\\.|[^\\=:\s])*")
_SEP_RE = re.compile(r"[ \t\f]*[=:]?[ \t\f]*")


def parse_properties(text: str) -> list[PropertyPair]:
    pairs = []
    for start, end, body, comment in _logical_lines(text):
        lead = len(body) - len(body.lstrip(" \t\f"))
        key_m = _KEY_END_RE.match(body, lead)
        assert key_m is not None            # both patterns match the empty string
        sep = _SEP_RE.match(body, key_m.end())
        assert sep is not None
        value_start = sep.end()
        pairs.append(PropertyPair(_unescape(key_m.group(0)), _unescape(body[value_start:]), start + value_start, end,
                                  comment))
    return pairs


def escape_value(value: str, ascii_only: bool) -> str:
    out = []
    for i, c in enumerate(value):
        if c == "\\":
            out.append("\\\\")
        elif c in "\t\n\r\f":
            out.append({"\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f"}[c])
        elif c == " " and i == 0:
            out.append("\\ ")
        elif ascii_only and ord(c) > 126:
            out.append("".join(f"\\u{u:04x}" for u in _utf16(c)))
        else:
            out.append(c)
    return "".join(out)


def _utf16(c: str) -> list[int]:
    data = c.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def _messageformat_escape(text: str, following: str) -> str:
    """Java's MessageFormat reads every single apostrophe as a quote: each is doubled."""
    return re.sub(r"([{}])", r"'\1'", text.replace("'", "''"))


def _message(key: str, value: str, source: str, targets: tuple[str, ...], context: str) -> Message:
    """A value with MessageFormat arguments (``{0}``) is read like ICU (its apostrophes
    quote, ``''`` is one), so a translated "l'utilisateur {0}" is written "l''utilisateur {0}"."""
    if re.search(r"\{\s*\d", value):
        try:
            return Message(key, parse_icu(value, key), source, targets, context, _messageformat_escape)
        except IcuError:
            pass
    return Message(key, split_placeholders(value), source, targets, context)


class PropertiesHandler(FormatHandler):
    name = "properties"
    extensions = (".properties",)

    def takes(self, path: Path) -> bool:
        stem = path.stem
        base = re.sub(r"_[a-z]{2,3}(?:_[A-Za-z]{2,4})?$", "", stem)
        return names_language(path) or bool(_BUNDLE_RE.fullmatch(base))

    def output_relpath(self, relpath: str, lang_code: str, options: Any, source_lang: Language | None) -> str:
        if getattr(options, "naming", "auto") == "keep":
            return relpath
        swapped = swap_language(relpath, source_lang, lang_code, "_")
        if swapped is not None:
            return swapped
        path = PurePosixPath(relpath)
        return str(path.with_name(f"{path.stem}_{target_tag(lang_code, '_', '_')}{path.suffix}"))

    def load(self, ctx: LoadContext) -> PropertiesDocument:
        data = ctx.content
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = data.decode("latin-1"), "latin-1"
        ascii_only = encoding == "latin-1" or (text.isascii() and "\\u" in text)
        options = ctx.options if isinstance(ctx.options, PropertiesOptions) else PropertiesOptions()
        try:
            pairs = parse_properties(text)
        except ValueError as exc:
            raise FileError(ctx.path, f"not a valid .properties file: {exc}") from exc
        source = source_code(ctx.source_lang, ctx.relpath or ctx.path.name)
        targets = tuple(lang.code for lang in ctx.target_langs)
        entries, seen = [], set()
        for pair in pairs:
            if pair.key in seen or not pair.value.strip() or \
                    not key_selected(pair.key, options.include_keys, options.exclude_keys):
                continue
            seen.add(pair.key)
            context = f"key {pair.key}" + (f" ({pair.comment})" if pair.comment else "")
            message = _message(pair.key, pair.value, source, targets, context)
            render = lambda code, tr, m=message: escape_value(m.render(code, tr), ascii_only)  # noqa: E731
            entries.append(CatalogEntry(message, pair.start, pair.end, render))
        doc = PropertiesDocument(ctx.path, text, entries, [p.key for p in pairs], encoding)
        if encoding == "latin-1":
            doc.decisions.append("read as ISO-8859-1 (not UTF-8); new characters written as \\uXXXX")
        return doc


HANDLER = PropertiesHandler()

__all__ = ["HANDLER", "PropertiesDocument", "PropertiesHandler", "escape_value", "parse_properties"]
