"""JSON string catalogues (and JSONC, JSON5): i18next, ICU (FormatJS, vue-i18n), Flutter
ARB, flat or nested.

Only string values are translated; keys, numbers, booleans, ARB ``@key`` metadata and
every byte between values stay as they are (:mod:`.scanner` records each literal's
offsets, :class:`~pipeline.formats.strings.catalog.CatalogDocument` splices). A value
with an ICU ``plural``/``select`` argument (every value of an ARB file) is read as an
ICU message; i18next plural keys (``items_one``/``items_other``) are one plural value
whose keys are rewritten for the target's CLDR categories (``items_zero`` …
``items_other`` in Arabic, ``items_other`` alone in Japanese). A root key naming the
source language (``{"en": {…}}``) and ARB's ``@@locale`` become the target's.

A ``.json`` file is read as a catalogue only when its path names a language
(``en.json``, ``locales/en/common.json``, ``messages.en.json``); other JSON is data and
is not touched. The output is checked with the json module (an independent reader; the
scanner itself for JSONC and JSON5) before it is written: same keys, same nesting. JSON5
literals keep their quotes; an unquoted key stays unquoted.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable, Mapping

from pipeline.errors import FileError, FormatError
from pipeline.formats.base import FormatHandler, LoadContext
from pipeline.formats.json_i18n.scanner import JNode, JsonSyntaxError, Member, scan
from pipeline.formats.options import JsonOptions
from pipeline.formats.strings.catalog import (CatalogDocument, Edit, CatalogEntry, key_selected, language_token,
                                              names_language, source_code, swap_language, target_tag)
from pipeline.formats.strings.icu import IcuError, icu_escape, looks_icu, parse_icu
from pipeline.formats.strings.message import Message, Plural, split_placeholders
from pipeline.languages import Language

_BOM = "\ufeff"
_IDENTIFIER_RE = re.compile(r"[A-Za-z_$][\w$]*")
_PLURAL_KEY_RE = re.compile(r"^(.+)_(zero|one|two|few|many|other)$")
_I18NEXT_COUNT_RE = re.compile(r"\{\{-?\s*count\s*(?:,[^{}]*)?\}\}")
_NON_ASCII_ESCAPE_RE = re.compile(
    r"\\u(?:00[89a-fA-F][0-9a-fA-F]|0[1-9a-fA-F][0-9a-fA-F]{2}|[1-9a-fA-F][0-9a-fA-F]{3})")


class JsonCatalogDocument(CatalogDocument[Message]):
    """A JSON catalogue; :meth:`verify` re-reads the output with the json module."""

    def __init__(self, path: Path, text: str, bom: str, walk: "_JsonWalk"):
        super().__init__(path, text, walk.entries, bom=bom, edits=walk.edits)
        self.jsonc = walk.jsonc
        self.skeleton = skeleton(walk.root, bool(walk.root_lang))
        self.decisions = walk.decisions

    def verify(self, data: bytes) -> None:
        try:
            text = data.decode("utf-8").removeprefix(_BOM)
            result = scan(text)
            if not self.jsonc:
                json.loads(text)        # the independent reader
        except (UnicodeDecodeError, ValueError) as exc:
            raise FormatError(self.path, f"rebuilt file is not valid JSON: {exc}") from exc
        root_lang = bool(self.skeleton) and self.skeleton[0] == "<lang>"
        if skeleton(result.root, root_lang) != self.skeleton:
            raise FormatError(self.path, "rebuilt file's keys differ from the source's")


def skeleton(root: JNode, root_lang: bool) -> list[str]:
    """The key paths of a document, plural keys as ``base_*`` and a language root key as
    ``<lang>``: what must not change between a source and its translation."""
    out: list[str] = ["<lang>"] if root_lang else []

    def walk(node: JNode, path: str) -> None:
        if node.kind == "object":
            for m in node.members:
                pm = _PLURAL_KEY_RE.match(m.key)
                key = f"{pm.group(1)}_*" if pm and m.value.kind == "string" else m.key
                sub = f"{path}/{key}"
                if not out or out[-1] != sub:
                    out.append(sub)
                walk(m.value, sub)
        elif node.kind == "array":
            for i, item in enumerate(node.items):
                walk(item, f"{path}/{i}")

    if root_lang and root.kind == "object" and len(root.members) == 1:
        walk(root.members[0].value, "")
    else:
        walk(root, "")
    return out


class _JsonWalk:
    """One walk of the scanned file: its entries (values) and edits (root key, ``@@locale``)."""

    def __init__(self, text: str, ctx: LoadContext, options: JsonOptions, arb: bool):
        self.text, self.ctx, self.options, self.arb = text, ctx, options, arb
        result = scan(text)
        self.root, self.jsonc = result.root, result.comments
        self.entries: list[CatalogEntry[Message]] = []
        self.edits: list[Edit] = []
        self.decisions: list[str] = []
        self.notes: dict[str, str] = {}
        self.targets = tuple(lang.code for lang in ctx.target_langs)
        self.ascii = bool(_NON_ASCII_ESCAPE_RE.search(text)) and text.isascii()
        self.slash = "\\/" in text
        self.root_lang = ""
        start = self._root_language()
        self.source = source_code(ctx.source_lang, ctx.relpath or ctx.path.name, self.root_lang)
        self.node(start, [])

    def _root_language(self) -> JNode:
        root = self.root
        if root.kind == "object" and len(root.members) == 1 and root.members[0].value.kind == "object":
            member = root.members[0]
            if language_token(member.key, self.ctx.source_lang) and not self.arb:
                self.root_lang = member.key
                self.edits.append(Edit(member.key_start, member.key_end,
                                       self._tag_literal(member.key, self._quote(member.key_start))))
                return member.value
        return root

    def _quote(self, start: int) -> str:
        """A literal's quote: ``"``, ``'`` (JSON5) or "" (a JSON5 unquoted key)."""
        c = self.text[start]
        return c if c in "\"'" else ""

    def encode(self, value: str, quote: str = '"') -> str:
        """``value`` as a literal in the file's style: its quote, ``\\uXXXX`` and ``\\/``
        escapes where the file uses them; a key unquoted where it was and still can be."""
        out = json.dumps(value, ensure_ascii=self.ascii)
        if self.slash:
            out = out.replace("/", "\\/")
        if quote == "" and _IDENTIFIER_RE.fullmatch(value):
            return value
        if quote == "'":
            inner = out[1:-1].replace('\\"', '"').replace("'", "\\'")
            return f"'{inner}'"
        return out

    def _tag_literal(self, like: str, quote: str = '"') -> Callable[[str], str]:
        """Target code -> the literal of its language tag, written like ``like``."""
        return lambda code: self.encode(target_tag(code, like), quote)

    def node(self, node: JNode, path: list[str]) -> None:
        if node.kind == "object":
            self.obj(node, path)
        elif node.kind == "array":
            for i, item in enumerate(node.items):
                self.node(item, [*path, str(i)])
        elif node.kind == "string":
            self.value(node, path)

    def obj(self, node: JNode, path: list[str]) -> None:
        if self.arb:
            self._descriptions(node, path)
        groups = _plural_groups(node.members)
        done: set[int] = set()
        for i, member in enumerate(node.members):
            if i in done:
                continue
            if self.arb and member.key.startswith("@"):
                if member.key == "@@locale" and member.value.kind == "string":
                    self.edits.append(Edit(member.value.start, member.value.end,
                                           self._tag_literal(member.value.text())))
                continue
            if i in groups:
                base, run = groups[i]
                done.update(range(i, i + len(run)))
                self.plural(node, base, run, path)
                continue
            self.node(member.value, [*path, member.key])

    def _selected(self, key: str) -> bool:
        return key_selected(key, self.options.include_keys, self.options.exclude_keys)

    def _descriptions(self, node: JNode, path: list[str]) -> None:
        """ARB ``@key`` metadata: its description is the value's context (never translated)."""
        for m in node.members:
            if m.key.startswith("@") and not m.key.startswith("@@") and m.value.kind == "object":
                for field in m.value.members:
                    if field.key == "description" and isinstance(field.value.value, str):
                        self.notes[".".join([*path, m.key[1:]])] = field.value.value

    def _context(self, key: str) -> str:
        note = self.notes.get(key)
        return f"key {key}" + (f" ({note})" if note else "")

    def value(self, node: JNode, path: list[str]) -> None:
        key = ".".join(path)
        text = node.value
        if not isinstance(text, str) or not self._selected(key):
            return
        message = self._message(key, text)
        quote = node.quote
        self.entries.append(CatalogEntry(message, node.start, node.end,
                                         lambda code, tr: self.encode(message.render(code, tr), quote)))

    def _message(self, key: str, text: str) -> Message:
        if self.arb or looks_icu(text):
            try:
                return Message(key, parse_icu(text, key), self.source, self.targets, self._context(key), icu_escape)
            except IcuError as exc:
                self.decisions.append(f"{key}: not read as ICU ({exc}); its placeholders are kept as they are")
        return Message(key, split_placeholders(text), self.source, self.targets, self._context(key))

    def plural(self, obj: JNode, base: str, run: list[Member], path: list[str]) -> None:
        key = ".".join([*path, base])
        if not self._selected(key):
            return
        forms = {_plural_category(m.key): split_placeholders(m.value.text(), _I18NEXT_COUNT_RE) for m in run}
        message = Message(key, Plural(f"{key}#p", forms), self.source, self.targets, self._context(key))
        first, last = run[0], run[-1]
        colon = self.text[first.key_end : first.value.start]
        key_quote, value_quote = self._quote(first.key_start), first.value.quote
        sep = _separator(self.text, obj, run)
        render: Callable[[str, Mapping[str, str]], str] = lambda code, tr: sep.join(  # noqa: E731
            self.encode(f"{base}_{cat}", key_quote) + colon + self.encode(text, value_quote)
            for cat, text in message.render_forms(code, tr))
        self.entries.append(CatalogEntry(message, first.key_start, last.value.end, render))


def _plural_category(key: str) -> str:
    """The CLDR category of a key in a plural run (``BASE_few`` -> ``few``)."""
    m = _PLURAL_KEY_RE.match(key)
    assert m is not None        # _plural_groups puts only matching keys in a run
    return m.group(2)


def _plural_groups(members: list[Member]) -> dict[int, tuple[str, list[Member]]]:
    """i18next plural keys: runs of adjacent ``BASE_category`` string members holding ``_other``."""
    groups: dict[int, tuple[str, list[Member]]] = {}
    i = 0
    while i < len(members):
        m = _PLURAL_KEY_RE.match(members[i].key)
        if m is None or members[i].value.kind != "string" or m.group(1).endswith("_ordinal"):
            i += 1
            continue
        base, j = m.group(1), i
        while j < len(members) and members[j].value.kind == "string" and \
                (mj := _PLURAL_KEY_RE.match(members[j].key)) is not None and mj.group(1) == base:
            j += 1
        run = members[i:j]
        if any(r.key == f"{base}_other" for r in run):
            groups[i] = (base, run)
        i = j
    return groups


def _separator(text: str, obj: JNode, run: list[Member]) -> str:
    """What separates members in this object (",\\n    "), to write added plural keys like their neighbours."""
    if len(run) > 1:
        return text[run[0].value.end : run[1].key_start]
    members = obj.members
    k = members.index(run[0])
    if k + 1 < len(members):
        return text[run[0].value.end : members[k + 1].key_start]
    if k > 0:
        return text[members[k - 1].value.end : run[0].key_start]
    return ", "


class JsonHandler(FormatHandler):
    name = "json"
    extensions = (".json", ".jsonc", ".json5", ".arb")

    def takes(self, path: Path) -> bool:
        return path.suffix.lower() == ".arb" or names_language(path)

    def output_relpath(self, relpath: str, lang_code: str, options: Any, source_lang: Language | None) -> str:
        if getattr(options, "naming", "auto") == "keep":
            return relpath
        return swap_language(relpath, source_lang, lang_code) or relpath

    def load(self, ctx: LoadContext) -> JsonCatalogDocument:
        try:
            text = ctx.content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileError(ctx.path, f"not UTF-8 (byte {exc.start}); JSON must be UTF-8") from exc
        bom = _BOM if text.startswith(_BOM) else ""
        text = text[len(bom) :]
        options = ctx.options if isinstance(ctx.options, JsonOptions) else JsonOptions()
        arb = ctx.path.suffix.lower() == ".arb" or '"@@locale"' in text[:2000]
        try:
            walk = _JsonWalk(text, ctx, options, arb)
        except JsonSyntaxError as exc:
            raise FileError(ctx.path, f"not valid JSON: {exc}") from exc
        except RecursionError as exc:
            raise FileError(ctx.path, "JSON nesting too deep") from exc
        return JsonCatalogDocument(ctx.path, text, bom, walk)


HANDLER = JsonHandler()

__all__ = ["HANDLER", "JsonCatalogDocument", "JsonHandler", "skeleton"]
