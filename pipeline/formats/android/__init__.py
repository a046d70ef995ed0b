"""Android string resources (``res/values/strings.xml``): ``string``, ``plurals`` and
``string-array`` translated in place, every other byte kept.

Re-serialising with an XML library would rewrite attribute quoting, entities and
whitespace, so the file is scanned for its resources (comments masked first, so a
commented-out ``<string>`` is left alone) and each value's content is replaced. Values
keep Android's escaping: ``\\'`` ``\\"`` ``\\n`` ``\\@`` ``\\?`` are read as the characters
they stand for and written back escaped; inline markup (``<b>``, ``<xliff:g>…</xliff:g>``
whole), ``CDATA`` markers, entities and format arguments (``%1$s``, ``%d``) are
placeholders. ``translatable="false"`` resources are never sent. ``plurals`` get the
target's CLDR quantities. lxml (an independent XML reader) reads each output back.

Output: ``res/values/strings.xml`` -> ``res/values-zh-rTW/strings.xml``
(``values-en`` -> ``values-zh``).
"""
from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any, Mapping

from pipeline.errors import FileError, FormatError
from pipeline.formats.base import FormatHandler, LoadContext
from pipeline.formats.options import AndroidOptions
from pipeline.formats.strings.catalog import CatalogDocument, CatalogEntry, key_selected, language_token, source_code
from pipeline.formats.strings.message import (PLACEHOLDER_RE, Body, Count, Escape, Message, Ph, Plural,
                                              count_placeholder)
from pipeline.formats.strings.plurals import CLDR_ORDER
from pipeline.languages import Language

_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
_RESOURCE_RE = re.compile(r"<(string-array|plurals|string)(?=[\s/>])([^>]*?)(/?)>", re.S)
_ITEM_RE = re.compile(r"<item(?=[\s/>])([^>]*?)(/?)>", re.S)
_ATTR_RE = re.compile(r"([\w:.-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_TOKEN_RE = re.compile(r"(?P<cdata><!\[CDATA\[|\]\]>)|(?P<xliff><xliff:g\b[^>]*>.*?</xliff:g>)"
                       r"|(?P<esc>\\u[0-9A-Fa-f]{4}|\\.)|(?P<quote>\")|(?P<ph>" + PLACEHOLDER_RE.pattern + ")",
                       re.S | re.X)
_UNESCAPE = {"n": "\n", "t": "\t"}
_VALUES_RE = re.compile(r"values(?:-([a-z]{2,3})(?:-r([A-Z]{2}))?)?((?:-[^/]*)?)")


def _attrs(text: str) -> dict[str, str]:
    return {m.group(1): m.group(2) if m.group(2) is not None else m.group(3) for m in _ATTR_RE.finditer(text)}


def android_body(raw: str, count: re.Pattern[str] | None = None) -> Body:
    """A value's content as a body: escapes decoded, markup and arguments as placeholders."""
    parts: list[Any] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            parts.append("".join(buf))
            buf.clear()

    pos = 0
    for m in _TOKEN_RE.finditer(raw):
        buf.append(raw[pos : m.start()])
        pos = m.end()
        token = m.group(0)
        if m.group("esc"):
            buf.append(chr(int(token[2:], 16)) if token[1] == "u" else _UNESCAPE.get(token[1], token[1]))
            continue
        flush()
        parts.append(Count(token) if m.group("ph") and count is not None and count.fullmatch(token) else Ph(token))
    buf.append(raw[pos:])
    flush()
    return Body(parts)


def _escaper(xml_text: bool) -> Escape:
    """How translated text is written into a value: Android's escapes, and XML's where
    the value is not inside a CDATA section."""
    def escape(text: str, following: str) -> str:
        text = (text.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"')
                .replace("\n", "\\n").replace("\t", "\\t"))
        if xml_text:
            text = text.replace("&", "&amp;").replace("<", "&lt;")
        return text
    return escape


def _value(rendered: str) -> str:
    """A value that starts with ``@`` or ``?`` would be read as a reference: escaped."""
    return "\\" + rendered if rendered[:1] in ("@", "?") else rendered


class AndroidDocument(CatalogDocument[Message]):
    def __init__(self, path: Path, text: str, entries: list[CatalogEntry[Message]], names: list[str]):
        super().__init__(path, text, entries)
        self.names = names

    def verify(self, data: bytes) -> None:
        from lxml import etree   # the independent reader

        try:
            root = etree.fromstring(data)
        except etree.XMLSyntaxError as exc:
            raise FormatError(self.path, f"rebuilt file is not well-formed XML: {exc}") from exc
        names = [f"{el.tag}:{el.get('name')}" for el in root if isinstance(el.tag, str)
                 and el.tag in ("string", "plurals", "string-array")]
        if names != self.names:
            raise FormatError(self.path, "rebuilt file's resources differ from the source's")


class _Scan:
    def __init__(self, text: str, ctx: LoadContext, options: AndroidOptions):
        self.text, self.options = text, options
        self.masked = _COMMENT_RE.sub(lambda m: " " * len(m.group(0)), text)
        folder = _VALUES_RE.fullmatch(Path(ctx.relpath or ctx.path.name).parent.name or "values")
        self.source = source_code(ctx.source_lang, "", folder.group(1) if folder and folder.group(1) else "")
        self.targets = tuple(lang.code for lang in ctx.target_langs)
        self.entries: list[CatalogEntry[Message]] = []
        self.names: list[str] = []
        pos = 0
        while (m := _RESOURCE_RE.search(self.masked, pos)) is not None:
            pos = self.resource(m)

    def _close(self, tag: str, start: int) -> int:
        end = self.masked.find(f"</{tag}>", start)
        if end < 0:
            raise FileError("", f"<{tag}> not closed")
        return end

    def resource(self, m: re.Match[str]) -> int:
        """Read one resource; where its element ends."""
        tag, attrs = m.group(1), _attrs(m.group(2))
        name = attrs.get("name", "")
        self.names.append(f"{tag}:{name}")
        if m.group(3):
            return m.end()
        end = self._close(tag, m.end())
        if attrs.get("translatable") == "false" or (tag != "string-array" and not self._selected(name)):
            return end
        if tag == "string":
            self.string(name, m.end(), end)
        else:
            items = [(im, im.end(), self.masked.find("</item>", im.end()))
                     for im in _ITEM_RE.finditer(self.masked, m.end(), end) if not im.group(2)]
            if tag == "plurals":
                self.plurals(name, items)
            else:
                for i, (_, start, stop) in enumerate(items):
                    if self._selected(f"{name}.{i}"):
                        self.string(f"{name}.{i}", start, stop)
        return end

    def _selected(self, key: str) -> bool:
        return key_selected(key, self.options.include_keys, self.options.exclude_keys)

    def string(self, key: str, start: int, end: int) -> None:
        raw = self.text[start:end]
        if not raw.strip():
            return
        message = Message(key, android_body(raw), self.source, self.targets, f"{key}",
                          _escaper("<![CDATA[" not in raw))
        self.entries.append(CatalogEntry(message, start, end, lambda code, tr: _value(message.render(code, tr))))

    def plurals(self, name: str, items: list[tuple[re.Match[str], int, int]]) -> None:
        quantities = [_attrs(im.group(1)).get("quantity", "") for im, _, _ in items]
        if not items or "other" not in quantities or not set(quantities) <= set(CLDR_ORDER):
            for i, (_, start, stop) in enumerate(items):
                self.string(f"{name}.{i}", start, stop)
            return
        raws = {q: self.text[start:stop] for q, (_, start, stop) in zip(quantities, items)}
        count = count_placeholder(raws["other"])
        forms = {q: android_body(raw, count) for q, raw in raws.items()}
        xml_text = not any("<![CDATA[" in raw for raw in raws.values())
        message = Message(name, Plural(f"{name}#p", forms), self.source, self.targets, name, _escaper(xml_text))
        first, last = items[0], items[-1]
        open_tag = self.text[first[0].start() : first[0].end()]
        sep = self.text[items[0][2] + len("</item>") : items[1][0].start()] if len(items) > 1 else "\n        "

        def render(code: str, tr: Mapping[str, str]) -> str:
            return sep.join(re.sub(r"quantity\s*=\s*([\"'])[^\"']*\1", f'quantity="{cat}"', open_tag)
                            + _value(text) + "</item>" for cat, text in message.render_forms(code, tr))

        self.entries.append(CatalogEntry(message, first[0].start(), last[2] + len("</item>"), render))


class AndroidHandler(FormatHandler):
    name = "android"
    extensions = (".xml",)

    def takes(self, path: Path) -> bool:
        return path.suffix.lower() == ".xml" and _VALUES_RE.fullmatch(path.parent.name) is not None

    def output_relpath(self, relpath: str, lang_code: str, options: Any, source_lang: Language | None) -> str:
        if getattr(options, "naming", "auto") == "keep":
            return relpath
        path = PurePosixPath(relpath)
        m = _VALUES_RE.fullmatch(path.parent.name)
        if m is None or (m.group(1) and not language_token(m.group(1), source_lang)):
            return relpath
        lang, _, region = lang_code.partition("_")
        qualifier = lang + (f"-r{region.upper()}" if region else "")
        return str(path.parent.with_name(f"values-{qualifier}{m.group(3)}") / path.name)

    def load(self, ctx: LoadContext) -> AndroidDocument:
        try:
            text = ctx.content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileError(ctx.path, f"not UTF-8 (byte {exc.start})") from exc
        options = ctx.options if isinstance(ctx.options, AndroidOptions) else AndroidOptions()
        try:
            scan = _Scan(text.removeprefix("\ufeff"), ctx, options)
        except FileError as exc:
            raise FileError(ctx.path, f"not a valid resources file: {exc.reason}") from exc
        bom = "\ufeff" if text.startswith("\ufeff") else ""
        doc = AndroidDocument(ctx.path, text[len(bom) :], scan.entries, scan.names)
        doc.bom = bom
        return doc


HANDLER = AndroidHandler()

__all__ = ["HANDLER", "AndroidDocument", "AndroidHandler", "android_body"]
