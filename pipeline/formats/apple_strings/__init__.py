"""Apple ``.strings`` files (``Localizable.strings``, ``InfoPlist.strings``): values
translated, keys, comments and every other byte kept, in the file's own encoding
(UTF-16 with its byte order mark, or UTF-8).

The grammar is the old-style property list's: ``"key" = "value";`` pairs, ``/* … */`` and
``//`` comments (the comment before a pair is its context), quoted strings with
``\\" \\\\ \\n \\t \\r \\U1234`` escapes, unquoted keys and values of plain characters.
Each value's literal is replaced by the translation, quoted and escaped. ``%@``,
``%1$@``, ``%lld`` and ``%#@var@`` are placeholders.

Output: ``en.lproj/Localizable.strings`` -> ``zh-Hans.lproj/Localizable.strings``
(Xcode's folder names for Chinese: ``zh-Hans``, ``zh-Hant``).
"""
from __future__ import annotations

import codecs
import re
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Mapping

from pipeline.errors import FileError, FormatError
from pipeline.formats.base import Document, FormatHandler, LoadContext
from pipeline.formats.options import AppleStringsOptions
from pipeline.formats.strings.catalog import CatalogDocument, CatalogEntry, key_selected, language_token, source_code
from pipeline.formats.strings.message import Message, split_placeholders
from pipeline.languages import Language

_WS_RE = re.compile(r"(?:\s+|/\*.*?\*/|//[^\n]*)*", re.S)
_QUOTED_RE = re.compile(r'"((?:[^"\\]|\\.)*)"', re.S)
_BARE_RE = re.compile(r"[A-Za-z0-9_$+/:.\-]+")
_ESCAPE_RE = re.compile(r"\\(U[0-9A-Fa-f]{4}|u[0-9A-Fa-f]{4}|[0-7]{1,3}|.)", re.S)
_APPLE_TAGS = {"zh": "zh-Hans", "zh_tw": "zh-Hant"}


class StringsSyntaxError(ValueError):
    pass


class StringsPair:
    __slots__ = ("key", "value", "start", "end", "comment")

    def __init__(self, key: str, value: str, start: int, end: int, comment: str):
        self.key, self.value, self.start, self.end, self.comment = key, value, start, end, comment


def _unescape(raw: str) -> str:
    def one(m: re.Match[str]) -> str:
        s = m.group(1)
        if s[0] in "Uu" and len(s) == 5:
            return chr(int(s[1:], 16))
        if s[0].isdigit():
            return chr(int(s, 8))
        return {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}.get(s, s)

    return _ESCAPE_RE.sub(one, raw)


def escape(value: str) -> str:
    return '"' + (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
                  .replace("\r", "\\r")) + '"'


def _space(text: str, pos: int) -> re.Match[str]:
    """The whitespace and comments at ``pos`` (the pattern matches the empty string)."""
    m = _WS_RE.match(text, pos)
    assert m is not None
    return m


def parse_strings(text: str) -> list[StringsPair]:
    """The pairs of a .strings file, each with its value literal's span."""
    pairs: list[StringsPair] = []
    pos = 0
    while True:
        ws = _space(text, pos)
        comments = re.findall(r"/\*(.*?)\*/|//([^\n]*)", ws.group(0), re.S)
        comment = " ".join((a or b).strip() for a, b in comments[-1:])
        pos = ws.end()
        if pos >= len(text):
            return pairs
        key, _, _, pos = _token(text, pos)
        pos = _space(text, pos).end()
        if text[pos : pos + 1] != "=":
            raise StringsSyntaxError(f"expected '=' after key {key!r} at line {text.count(chr(10), 0, pos) + 1}")
        pos = _space(text, pos + 1).end()
        value, start, end, pos = _token(text, pos)
        pos = _space(text, pos).end()
        if text[pos : pos + 1] != ";":
            raise StringsSyntaxError(f"expected ';' after the value of {key!r} at line "
                                     f"{text.count(chr(10), 0, pos) + 1}")
        pairs.append(StringsPair(key, value, start, end, comment))
        pos += 1


def _token(text: str, pos: int) -> tuple[str, int, int, int]:
    m = _QUOTED_RE.match(text, pos)
    if m:
        return _unescape(m.group(1)), m.start(), m.end(), m.end()
    m = _BARE_RE.match(text, pos)
    if m:
        return m.group(0), m.start(), m.end(), m.end()
    raise StringsSyntaxError(f"expected a quoted string at line {text.count(chr(10), 0, pos) + 1}")


def _decode(data: bytes) -> tuple[str, str, bytes]:
    """The text, the codec to write it back with, and its byte order mark."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                       (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom) :].decode(codec), codec, bom
    return data.decode("utf-8"), "utf-8", b""


class AppleStringsDocument(CatalogDocument[Message]):
    def __init__(self, path: Path, text: str, entries: list[CatalogEntry[Message]], keys: list[str], codec: str, bom: bytes):
        super().__init__(path, text, entries, encoding=codec)
        self.keys, self.bom_bytes = keys, bom

    def _splice(self, edits: list[tuple[int, int, str]]) -> bytes:
        return self.bom_bytes + super()._splice(edits)

    def verify(self, data: bytes) -> None:
        try:
            text, _, _ = _decode(data)
            keys = [p.key for p in parse_strings(text)]
        except (UnicodeDecodeError, StringsSyntaxError) as exc:
            raise FormatError(self.path, f"rebuilt file does not read back: {exc}") from exc
        if keys != self.keys:
            raise FormatError(self.path, "rebuilt file's keys differ from the source's")


def _escaped(message: Message) -> Callable[[str, Mapping[str, str]], str]:
    """(target code, translations) -> ``message`` rendered as a .strings literal."""
    return lambda code, tr: escape(message.render(code, tr))


class AppleStringsHandler(FormatHandler):
    name = "apple_strings"
    extensions = (".strings",)

    def output_relpath(self, relpath: str, lang_code: str, options: Any, source_lang: Language | None) -> str:
        if getattr(options, "naming", "auto") == "keep":
            return relpath
        path = PurePosixPath(relpath)
        tag = _APPLE_TAGS.get(lang_code) or lang_code.replace("_", "-")
        parts = list(path.parts)
        for i in range(len(parts) - 2, -1, -1):
            name = parts[i]
            if name.endswith(".lproj") and (name == "Base.lproj" or language_token(name[:-6], source_lang)):
                parts[i] = f"{tag}.lproj"
                return "/".join(parts)
        return relpath

    def load(self, ctx: LoadContext) -> Document:
        """A .strings file (the .stringsdict and .xcstrings handlers, sharing its options and
        naming, return their own documents)."""
        try:
            text, codec, bom = _decode(ctx.content)
            pairs = parse_strings(text)
        except UnicodeDecodeError as exc:
            raise FileError(ctx.path, f"not UTF-8 or UTF-16 with a byte order mark (byte {exc.start})") from exc
        except StringsSyntaxError as exc:
            raise FileError(ctx.path, f"not a valid .strings file: {exc}") from exc
        options = ctx.options if isinstance(ctx.options, AppleStringsOptions) else AppleStringsOptions()
        lproj = next((p[:-6] for p in reversed(Path(ctx.relpath or ctx.path.name).parts) if p.endswith(".lproj")), "")
        source = source_code(ctx.source_lang, ctx.relpath or ctx.path.name, lproj)
        targets = tuple(lang.code for lang in ctx.target_langs)
        entries, seen = [], set()
        for pair in pairs:
            if pair.key in seen or not key_selected(pair.key, options.include_keys, options.exclude_keys):
                continue
            seen.add(pair.key)
            context = f"key {pair.key}" + (f" ({pair.comment})" if pair.comment else "")
            message = Message(pair.key, split_placeholders(pair.value), source, targets, context)
            entries.append(CatalogEntry(message, pair.start, pair.end, _escaped(message)))
        return AppleStringsDocument(ctx.path, text, entries, [p.key for p in pairs], codec, bom)


HANDLER = AppleStringsHandler()

__all__ = ["HANDLER", "AppleStringsDocument", "AppleStringsHandler", "escape", "parse_strings"]
