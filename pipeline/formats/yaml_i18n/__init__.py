"""YAML string catalogues (Rails ``config/locales/en.yml``, Symfony, Hugo i18n).

PyYAML composes the file into nodes that carry their character offsets; only string
scalars that are mapping values or sequence items are translated, and each is spliced
back in its own style (plain, single- or double-quoted, literal ``|`` or folded ``>``
block with its indentation and chomping). Keys, comments, anchors, aliases (an anchored
value is translated once; its aliases keep pointing at it), merge keys, tags and every
other byte stay. A root key naming the source language (``en:``) becomes the target's
(``zh:``). A mapping of plural categories (``one:``/``other:``, Rails' pluralization)
is one plural value, rewritten with the target's CLDR categories; ``%{count}`` is its count.

A ``.yml``/``.yaml`` file is read as a catalogue only when its path names a language
(``en.yml``, ``devise.en.yml``, ``locales/en/app.yml``); other YAML is configuration and
is not touched. PyYAML's ``safe_load`` reads each output back before it is written.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Mapping

import yaml

from pipeline.errors import FileError, FormatError
from pipeline.formats.base import FormatHandler, LoadContext
from pipeline.formats.options import YamlOptions
from pipeline.formats.strings.catalog import (CatalogDocument, Edit, CatalogEntry, key_selected, language_token,
                                              names_language, source_code, swap_language, target_tag)
from pipeline.formats.strings.message import Message, Plural, split_placeholders
from pipeline.formats.strings.plurals import CLDR_ORDER
from pipeline.languages import Language

_BOM = "\ufeff"
_STR = "tag:yaml.org,2002:str"
_RUBY_COUNT_RE = re.compile(r"%\{count\}|%<count>[-#0+]*\d*[a-z]")


class YamlCatalogDocument(CatalogDocument[Message]):
    """A YAML catalogue; :meth:`verify` reads the output back with PyYAML."""

    def __init__(self, path: Path, text: str, bom: str, walk: "_YamlWalk"):
        super().__init__(path, text, walk.entries, bom=bom, edits=walk.edits)
        self.skeleton = _skeleton(yaml.safe_load(text), bool(walk.root_lang))

    def verify(self, data: bytes) -> None:
        try:
            loaded = yaml.safe_load(data.decode("utf-8").removeprefix(_BOM))
        except (UnicodeDecodeError, yaml.YAMLError) as exc:
            raise FormatError(self.path, f"rebuilt file is not valid YAML: {exc}") from exc
        if _skeleton(loaded, self.skeleton[:1] == ["<lang>"]) != self.skeleton:
            raise FormatError(self.path, "rebuilt file's keys differ from the source's")


def _skeleton(data: Any, root_lang: bool) -> list[str]:
    out: list[str] = []

    def walk(node: Any, path: str, depth: int) -> None:
        if depth > 100:
            return
        if isinstance(node, dict):
            if node and set(map(str, node)) <= set(CLDR_ORDER) and "other" in node:
                out.append(f"{path}/<plural>")
                return
            for k, v in node.items():
                out.append(f"{path}/{k}")
                walk(v, f"{path}/{k}", depth + 1)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}/{i}", depth + 1)

    if root_lang and isinstance(data, dict) and len(data) == 1:
        out.append("<lang>")
        walk(next(iter(data.values())), "", 0)
    else:
        walk(data, "", 0)
    return out


class _YamlWalk:
    def __init__(self, text: str, ctx: LoadContext, options: YamlOptions):
        self.text, self.ctx, self.options = text, ctx, options
        self.targets = tuple(lang.code for lang in ctx.target_langs)
        self.entries: list[CatalogEntry[Message]] = []
        self.edits: list[Edit] = []
        self.seen: set[int] = set()
        docs = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        if len(docs) != 1 or docs[0] is None:
            raise FileError(ctx.path, f"holds {len(docs)} YAML documents; a catalogue is one document")
        root = docs[0]
        self.root_lang = ""
        if isinstance(root, yaml.MappingNode) and len(root.value) == 1:
            key, value = root.value[0]
            if key.tag == _STR and language_token(key.value, ctx.source_lang) and isinstance(value, yaml.MappingNode):
                self.root_lang = key.value
                self.edits.append(Edit(key.start_mark.index, key.end_mark.index,
                                       lambda code: _scalar(key, target_tag(code, key.value), False)))
                root = value
        self.source = source_code(ctx.source_lang, ctx.relpath or ctx.path.name, self.root_lang)
        self.node(root, [], False)

    def node(self, node: yaml.Node, path: list[str], flow: bool) -> None:
        if id(node) in self.seen:       # an alias: its anchor's value is translated once
            return
        self.seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            if _is_plural(node):
                self.plural(node, path)
                return
            for key, value in node.value:
                if key.tag == "tag:yaml.org,2002:merge":
                    continue
                self.node(value, [*path, str(key.value)], bool(node.flow_style))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.node(item, [*path, str(i)], bool(node.flow_style))
        elif isinstance(node, yaml.ScalarNode) and node.tag == _STR and node.value.strip():
            self.scalar(node, ".".join(path), flow)

    def _selected(self, key: str) -> bool:
        return key_selected(key, self.options.include_keys, self.options.exclude_keys)

    def scalar(self, node: yaml.ScalarNode, key: str, flow: bool) -> None:
        if not self._selected(key):
            return
        value = node.value
        block = node.style in ("|", ">")
        body_text = value.rstrip("\n") if block else value
        message = Message(key, split_placeholders(body_text), self.source, self.targets, f"key {key}")
        if block:
            start, end, indent = _block_span(self.text, node)
            render = lambda code, tr, m=message, i=indent, f=node.style == ">": \
                _block_lines(m.render(code, tr), i, f)  # noqa: E731
        else:
            start, end = node.start_mark.index, node.end_mark.index
            render = lambda code, tr, m=message, n=node, f=flow: _scalar(n, m.render(code, tr), f)  # noqa: E731
        self.entries.append(CatalogEntry(message, start, end, render))

    def plural(self, node: yaml.MappingNode, path: list[str]) -> None:
        key = ".".join(path)
        if not self._selected(key):
            return
        forms = {k.value: split_placeholders(v.value, _RUBY_COUNT_RE) for k, v in node.value}
        message = Message(key, Plural(f"{key}#p", forms), self.source, self.targets, f"key {key}")
        first_key, last_value = node.value[0][0], node.value[-1][1]
        other = dict((k.value, v) for k, v in node.value)["other"]
        if node.flow_style:
            sep = ", "
        else:
            col = first_key.start_mark.column
            sep = "\n" + " " * col
        colon = self.text[first_key.end_mark.index : node.value[0][1].start_mark.index]
        like = other if other.style not in ("|", ">") else None

        def render(code: str, tr: Mapping[str, str]) -> str:
            return sep.join(f"{cat}{colon}{_scalar(like, text, bool(node.flow_style))}"
                            for cat, text in message.render_forms(code, tr))

        end = _value_end(self.text, last_value)
        self.entries.append(CatalogEntry(message, first_key.start_mark.index, end, render))


def _is_plural(node: yaml.MappingNode) -> bool:
    keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
    return (len(keys) == len(node.value) and bool(keys) and set(keys) <= set(CLDR_ORDER) and "other" in keys
            and all(isinstance(v, yaml.ScalarNode) and v.tag == _STR for _, v in node.value))


def _value_end(text: str, node: yaml.Node) -> int:
    """Where a value's own text ends (a block scalar's mark runs past its trailing line breaks)."""
    end = node.end_mark.index
    if getattr(node, "style", None) in ("|", ">"):
        while end > node.start_mark.index and text[end - 1] in "\r\n ":
            end -= 1
    return end


def _block_span(text: str, node: yaml.ScalarNode) -> tuple[int, int, str]:
    """The content lines of a block scalar (after its ``|``/``>`` header line, without its
    trailing line breaks) and their indentation."""
    header_end = text.index("\n", node.start_mark.index) + 1
    end = _value_end(text, node)
    first = text[header_end:end]
    content = first.lstrip("\r\n")
    start = header_end + (len(first) - len(content))
    indent = content[: len(content) - len(content.lstrip(" "))]
    return start, end, indent


def _block_lines(value: str, indent: str, folded: bool) -> str:
    """A block scalar's content lines at ``indent`` (blank lines left empty); in a folded
    (``>``) scalar a line break is written as an empty line, the way it reads back."""
    if folded:
        value = value.replace("\n", "\n\n")
    return "\n".join((indent + line) if line.strip() else "" for line in value.split("\n"))


def _scalar(like: yaml.ScalarNode | None, value: str, flow: bool) -> str:
    """``value`` as a scalar in the style of ``like`` when that style can hold it, else double-quoted."""
    style = like.style if like is not None else None
    if style == "'" and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    if style is None and not flow and _plain_ok(value):
        return value
    return json.dumps(value, ensure_ascii=False)


def _plain_ok(value: str) -> bool:
    if not value or value != value.strip() or "\n" in value or "\t" in value:
        return False
    try:
        return bool(yaml.safe_load(f"k: {value}") == {"k": value})
    except yaml.YAMLError:
        return False


class YamlHandler(FormatHandler):
    name = "yaml"
    extensions = (".yml", ".yaml")

    def takes(self, path: Path) -> bool:
        return names_language(path)

    def output_relpath(self, relpath: str, lang_code: str, options: Any, source_lang: Language | None) -> str:
        if getattr(options, "naming", "auto") == "keep":
            return relpath
        return swap_language(relpath, source_lang, lang_code) or relpath

    def load(self, ctx: LoadContext) -> YamlCatalogDocument:
        try:
            text = ctx.content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileError(ctx.path, f"not UTF-8 (byte {exc.start}); YAML catalogues must be UTF-8") from exc
        bom = _BOM if text.startswith(_BOM) else ""
        text = text[len(bom) :]
        options = ctx.options if isinstance(ctx.options, YamlOptions) else YamlOptions()
        try:
            walk = _YamlWalk(text, ctx, options)
            return YamlCatalogDocument(ctx.path, text, bom, walk)
        except yaml.YAMLError as exc:
            raise FileError(ctx.path, f"not valid YAML: {' '.join(str(exc).split())}") from exc
        except RecursionError as exc:
            raise FileError(ctx.path, "YAML nesting too deep") from exc


HANDLER = YamlHandler()

__all__ = ["HANDLER", "YamlCatalogDocument", "YamlHandler"]
