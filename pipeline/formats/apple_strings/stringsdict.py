"""Apple ``.stringsdict`` plural rules: each ``NSStringPluralRuleType`` dictionary gets the
target's CLDR categories, every other byte of the property list kept.

The plist is scanned for its ``<dict>``, ``<key>`` and ``<string>`` elements with their
offsets (comments masked). In each format entry the ``NSStringLocalizedFormatKey`` text
is translated (its ``%#@files@`` variables are placeholders); each variable dictionary
whose ``NSStringFormatSpecTypeKey`` is ``NSStringPluralRuleType`` is one plural value,
its category keys (``zero`` … ``other``) rewritten for the target language, written with
the spacing of the source's. plistlib reads every output back.
"""
from __future__ import annotations

import plistlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from pipeline.errors import FileError, FormatError
from pipeline.formats.apple_strings import AppleStringsHandler
from pipeline.formats.base import LoadContext
from pipeline.formats.options import AppleStringsOptions
from pipeline.formats.strings.catalog import CatalogDocument, CatalogEntry, key_selected, source_code
from pipeline.formats.strings.message import Message, Plural, count_placeholder, split_placeholders
from pipeline.formats.strings.plurals import CLDR_ORDER

_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
_TOKEN_RE = re.compile(r"<(/?)(dict|key|string|array|integer|real|true|false|date|data)\s*(/?)>")
_RULE_KEYS = {"NSStringFormatSpecTypeKey", "NSStringFormatValueTypeKey"}


@dataclass
class PNode:
    """A plist element: a dict's (key, value) members with offsets, or a string's text."""

    kind: str
    start: int                       # the element's first character
    end: int                         # after its closing tag
    inner: tuple[int, int] = (0, 0)  # a string's content span
    members: list[tuple[str, int, "PNode"]] = field(default_factory=list)   # (key, key element start, value)


class _PlistParser:
    def __init__(self, text: str):
        self.text = text
        self.masked = _COMMENT_RE.sub(lambda m: " " * len(m.group(0)), text)
        self.pos = 0

    def next(self) -> re.Match[str]:
        m = _TOKEN_RE.search(self.masked, self.pos)
        if m is None:
            raise ValueError("unexpected end of the property list")
        self.pos = m.end()
        return m

    def element(self, m: re.Match[str]) -> PNode:
        closing, tag, empty = m.groups()
        if closing:
            raise ValueError(f"unexpected </{tag}>")
        if empty:
            return PNode(tag, m.start(), m.end(), (m.end(), m.end()))
        if tag == "dict":
            return self.dict(m)
        if tag == "array":
            while (inner := self.next()).group(1) != "/":
                self.element(inner)
            return PNode("array", m.start(), self.pos)
        end = self.masked.find(f"</{tag}>", m.end())
        if end < 0:
            raise ValueError(f"<{tag}> not closed")
        self.pos = end + len(tag) + 3
        return PNode(tag, m.start(), self.pos, (m.end(), end))

    def dict(self, m: re.Match[str]) -> PNode:
        node = PNode("dict", m.start(), m.start())
        while True:
            key = self.next()
            if key.group(1) == "/" and key.group(2) == "dict":
                node.end = self.pos
                return node
            if key.group(2) != "key" or key.group(1):
                raise ValueError(f"expected <key> in a dict, found <{key.group(1)}{key.group(2)}>")
            end = self.masked.find("</key>", key.end())
            if end < 0:
                raise ValueError("<key> not closed")
            self.pos = end + 6
            name = _unxml(self.text[key.end() : end])
            node.members.append((name, key.start(), self.element(self.next())))


def _unxml(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'") \
        .replace("&amp;", "&")


def _xml_escape(text: str, following: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def parse_plist(text: str) -> PNode:
    parser = _PlistParser(text)
    first = parser.next()
    while first.group(2) != "dict":
        first = parser.next()
    return parser.element(first)


class StringsdictDocument(CatalogDocument[Message]):
    def __init__(self, path: Path, text: str, entries: list[CatalogEntry[Message]], shape: Any):
        super().__init__(path, text, entries)
        self.shape = shape

    def verify(self, data: bytes) -> None:
        try:
            got = plistlib.loads(data)     # the independent reader
        except Exception as exc:  # noqa: BLE001 - plistlib raises several kinds
            raise FormatError(self.path, f"rebuilt file is not a property list plistlib reads: {exc}") from exc
        if _shape(got) != self.shape:
            raise FormatError(self.path, "rebuilt file's keys differ from the source's")


def _shape(data: Any) -> Any:
    """Keys of the plist, plural categories left out (they change with the language)."""
    if isinstance(data, dict):
        return {k: _shape(v) for k, v in data.items() if k not in CLDR_ORDER}
    return type(data).__name__


class _StringsdictWalk:
    def __init__(self, text: str, ctx: LoadContext, options: AppleStringsOptions):
        self.text, self.options = text, options
        lproj = next((p[:-6] for p in reversed(Path(ctx.relpath or ctx.path.name).parts) if p.endswith(".lproj")), "")
        self.source = source_code(ctx.source_lang, ctx.relpath or ctx.path.name, lproj)
        self.targets = tuple(lang.code for lang in ctx.target_langs)
        self.entries: list[CatalogEntry[Message]] = []
        for key, _, value in parse_plist(text).members:
            if value.kind == "dict" and key_selected(key, options.include_keys, options.exclude_keys):
                self.format_entry(key, value)

    def string(self, key: str, node: PNode) -> None:
        start, end = node.inner
        message = Message(key, split_placeholders(_unxml(self.text[start:end])), self.source, self.targets,
                          f"key {key}", _xml_escape)
        self.entries.append(CatalogEntry(message, start, end, message.render))

    def format_entry(self, key: str, node: PNode) -> None:
        for name, _, value in node.members:
            if name == "NSStringLocalizedFormatKey" and value.kind == "string":
                self.string(key, value)
            elif value.kind == "dict":
                self.variable(f"{key}.{name}", value)

    def variable(self, key: str, node: PNode) -> None:
        kinds = {name: self.text[v.inner[0] : v.inner[1]] for name, _, v in node.members if v.kind == "string"}
        forms = [(name, start, v) for name, start, v in node.members if name in CLDR_ORDER and v.kind == "string"]
        if kinds.get("NSStringFormatSpecTypeKey") != "NSStringPluralRuleType" or not forms:
            return
        rest = [name for name, _, _ in node.members if name not in CLDR_ORDER and name not in _RULE_KEYS]
        contiguous = node.members[-len(forms):] == forms
        if "other" not in {f[0] for f in forms} or rest or not contiguous:
            for name, _, value in forms:
                self.string(f"{key}.{name}", value)
            return
        raws = {name: _unxml(self.text[v.inner[0] : v.inner[1]]) for name, _, v in forms}
        count = count_placeholder(raws["other"])
        message = Message(key, Plural(f"{key}#p", {n: split_placeholders(r, count) for n, r in raws.items()}),
                          self.source, self.targets, f"key {key}", _xml_escape)
        first_name, first_start, first_value = forms[0]
        key_end = self.text.index("</key>", first_start) + 6
        inner_sep = self.text[key_end : first_value.start]
        sep = self.text[first_value.end : forms[1][1]] if len(forms) > 1 else "\n" + " " * 12

        def render(code: str, tr: Mapping[str, str]) -> str:
            return sep.join(f"<key>{cat}</key>{inner_sep}<string>{text}</string>"
                            for cat, text in message.render_forms(code, tr))

        self.entries.append(CatalogEntry(message, first_start, forms[-1][2].end, render))


class StringsdictHandler(AppleStringsHandler):
    """``.stringsdict``: named like ``.strings`` (``en.lproj`` -> ``zh-Hans.lproj``), the same
    ``[apple_strings]`` options."""

    extensions = (".stringsdict",)

    def load(self, ctx: LoadContext) -> StringsdictDocument:
        try:
            text = ctx.content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileError(ctx.path, f"not UTF-8 (byte {exc.start}); a .stringsdict is an XML property list") from exc
        options = ctx.options if isinstance(ctx.options, AppleStringsOptions) else AppleStringsOptions()
        try:
            walk = _StringsdictWalk(text, ctx, options)
            shape = _shape(plistlib.loads(ctx.content))
        except (ValueError, plistlib.InvalidFileException) as exc:
            raise FileError(ctx.path, f"not a valid .stringsdict: {exc}") from exc
        return StringsdictDocument(ctx.path, text, walk.entries, shape)


HANDLER = StringsdictHandler()

__all__ = ["HANDLER", "StringsdictDocument", "StringsdictHandler", "parse_plist"]
