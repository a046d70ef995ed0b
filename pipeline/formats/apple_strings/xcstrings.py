"""Xcode string catalogs (``Localizable.xcstrings``): one JSON file holding every language.

Each string's source (its ``sourceLanguage`` localization, or its key when it has none)
is translated into each target language whose localization is missing or not in state
``translated``; a ``translated`` localization (reviewed, or written by a person) is kept
and never sent, and ``shouldTranslate: false`` strings are skipped. New localizations
are written with state ``needs_review`` (machine output for a reviewer to accept in
Xcode), as a ``stringUnit`` or, for a plural source, a ``variations.plural`` with the
target's CLDR categories. They are spliced into the ``localizations`` object in Xcode's
layout (two-space indentation, ``" : "``, keys in order); every other byte is kept. The
json module reads the output back.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

from pipeline.errors import FileError, FormatError
from pipeline.formats.apple_strings import AppleStringsHandler
from pipeline.formats.base import Document, LoadContext
from pipeline.formats.json_i18n.scanner import JNode, JsonSyntaxError, scan
from pipeline.formats.options import AppleStringsOptions
from pipeline.formats.strings.catalog import key_selected
from pipeline.formats.strings.message import Message, Missing, Plural, count_placeholder, split_placeholders
from pipeline.formats.strings.plurals import CLDR_ORDER
from pipeline.languages import Language
from pipeline.segments import Segment, has_translatable_text

_APPLE_TAGS = {"zh": "zh-Hans", "zh_tw": "zh-Hant"}
NEW_STATE = "needs_review"


def apple_tag(code: str) -> str:
    return _APPLE_TAGS.get(code) or code.replace("_", "-")


def _member(node: JNode, key: str) -> JNode | None:
    return next((m.value for m in node.members if m.key == key), None) if node.kind == "object" else None


class _XcString:
    """One string of the catalog: its message, and where its localizations go."""

    def __init__(self, key: str, node: JNode, message: Message, langs: dict[str, str]):
        self.key, self.node, self.message, self.langs = key, node, message, langs   # langs: code -> tag


class XcstringsDocument(Document):
    combined = True

    def __init__(self, path: Path, text: str, strings: list[_XcString], keys: list[str]):
        super().__init__(path)
        self.text, self.strings, self.keys = text, strings, keys
        self._wanted = {sid: langs for s in strings for sid, langs in s.message.wanted.items()}

    def segments(self) -> Sequence[Segment]:
        return [seg for s in self.strings for seg in s.message.segments()]

    def needs(self, lang: Language) -> set[str]:
        """A language whose localization is reviewed already needs nothing; a plural form
        only the languages with its category."""
        return {sid for sid, langs in self._wanted.items() if lang.code in langs}

    def rebuild_combined(self, translations: Mapping[Language, Mapping[str, str]]) -> bytes:
        self.fallbacks = {}
        edits: list[tuple[int, int, str]] = []
        for string in self.strings:
            units = {}
            for lang, per in translations.items():
                if lang.code not in string.langs:
                    continue
                try:
                    units[string.langs[lang.code]] = self._unit(string.message, lang.code, per)
                except Missing as exc:
                    for sid in string.message.order:
                        if sid in per:
                            self.fallbacks[sid] = f"{string.key}: {exc}; no {lang.code} localization written"
            if units:
                edits += _insert(self.text, string.node, units)
        out, pos = [], 0
        for start, end, text in sorted(edits):
            out += [self.text[pos:start], text]
            pos = end
        out.append(self.text[pos:])
        return "".join(out).encode("utf-8")

    def _unit(self, message: Message, code: str, per: Mapping[str, str]) -> dict[str, Any]:
        if message.is_plural():
            forms = message.render_forms(code, per)
            return {"variations": {"plural": {cat: {"stringUnit": {"state": NEW_STATE, "value": text}}
                                              for cat, text in forms}}}
        return {"stringUnit": {"state": NEW_STATE, "value": message.render(code, per)}}

    def verify(self, data: bytes) -> None:
        try:
            got = json.loads(data)
        except ValueError as exc:
            raise FormatError(self.path, f"rebuilt catalog is not JSON: {exc}") from exc
        if list(got.get("strings", {})) != self.keys:
            raise FormatError(self.path, "rebuilt catalog's strings differ from the source's")


def _indent_of(text: str, pos: int) -> str:
    line_start = text.rfind("\n", 0, pos) + 1
    line = text[line_start:pos]
    return line[: len(line) - len(line.lstrip(" "))]


def _dump(value: Any, indent: str) -> str:
    """``value`` in Xcode's JSON layout, its lines after the first at ``indent``."""
    text = json.dumps(value, indent=2, ensure_ascii=False, separators=(",", " : "))
    return text.replace("\n", "\n" + indent)


def _insert(text: str, node: JNode, units: dict[str, dict[str, Any]]) -> list[tuple[int, int, str]]:
    """Edits putting ``units`` (tag -> localization) into the string's ``localizations``."""
    locs = _member(node, "localizations")
    if locs is None:
        return [_add_member(text, node, "localizations", dict(sorted(units.items())))]
    edits = []
    existing = {m.key: m for m in locs.members}
    for tag, unit in units.items():
        if tag in existing:
            m = existing[tag]
            edits.append((m.value.start, m.value.end, _dump(unit, _indent_of(text, m.key_start))))
        else:
            edits.append(_add_member(text, locs, tag, unit))
    return edits


def _add_member(text: str, obj: JNode, key: str, value: Any) -> tuple[int, int, str]:
    """An edit adding ``"key" : value`` to ``obj`` in key order, in the file's layout."""
    if not obj.members:
        indent = _indent_of(text, obj.start) + "  "
        outer = _indent_of(text, obj.start)
        return (obj.start, obj.end, "{\n" + indent + json.dumps(key, ensure_ascii=False) + " : " +
                _dump(value, indent) + "\n" + outer + "}")
    after = [m for m in obj.members if m.key < key]
    indent = _indent_of(text, obj.members[0].key_start)
    member = json.dumps(key, ensure_ascii=False) + " : " + _dump(value, indent)
    if after:
        at = after[-1].value.end
        return (at, at, ",\n" + indent + member)
    at = obj.members[0].key_start
    return (at, at, member + ",\n" + indent)


class XcstringsHandler(AppleStringsHandler):
    """``.xcstrings``: one file for every language, written once (``[apple_strings]`` options)."""

    extensions = (".xcstrings",)
    combined = True     # one output holds every language (the job's {lang} is "all" with several targets)

    def output_relpath(self, relpath: str, lang_code: str, options: Any, source_lang: Language | None) -> str:
        return relpath

    def load(self, ctx: LoadContext) -> XcstringsDocument:
        try:
            text = ctx.content.decode("utf-8")
            data = json.loads(text)
            root = scan(text).root
        except (UnicodeDecodeError, ValueError, JsonSyntaxError) as exc:
            raise FileError(ctx.path, f"not a string catalog (JSON): {exc}") from exc
        options = ctx.options if isinstance(ctx.options, AppleStringsOptions) else AppleStringsOptions()
        strings_node = _member(root, "strings")
        if not isinstance(data, dict) or strings_node is None or strings_node.kind != "object":
            raise FileError(ctx.path, "not a string catalog: no \"strings\" object")
        source = str(data.get("sourceLanguage") or (ctx.source_lang.code if ctx.source_lang else "en"))
        strings: list[_XcString] = []
        decisions: list[str] = []
        for m in strings_node.members:
            entry = data["strings"][m.key]
            if entry.get("shouldTranslate") is False or not key_selected(m.key, options.include_keys,
                                                                         options.exclude_keys):
                continue
            made = _string(m.key, m.value, entry, source, ctx.target_langs, decisions)
            if made is not None:
                strings.append(made)
        doc = XcstringsDocument(ctx.path, text, strings, list(data["strings"]))
        doc.decisions = decisions
        return doc


def _string(key: str, node: JNode, entry: dict[str, Any], source: str, targets: tuple[Language, ...],
            decisions: list[str]) -> _XcString | None:
    locs = entry.get("localizations", {})
    src = locs.get(source, {})
    need = {lang.code: apple_tag(lang.code) for lang in targets if not _done(locs.get(apple_tag(lang.code)))}
    if not need:
        return None
    if "variations" in src:
        plural = src["variations"].get("plural")
        if not plural or set(src["variations"]) != {"plural"} or not set(plural) <= set(CLDR_ORDER) \
                or "other" not in plural:
            decisions.append(f"{key}: variations other than plural are not translated")
            return None
        raws = {cat: v.get("stringUnit", {}).get("value", "") for cat, v in plural.items()}
        count = count_placeholder(raws["other"])
        root: Any = Plural(f"{key}#p", {cat: split_placeholders(raw, count) for cat, raw in raws.items()})
    else:
        root = split_placeholders(src.get("stringUnit", {}).get("value", key))
    context = f"key {key}" + (f" ({entry['comment']})" if entry.get("comment") else "")
    message = Message(key, root, source, tuple(need), context)
    if not any(has_translatable_text(seg.text) for seg in message.segments()):
        return None         # "" or "%@": nothing to translate, no localization to add
    return _XcString(key, node, message, need)


def _done(loc: dict[str, Any] | None) -> bool:
    """A localization in state ``translated`` (all its plural forms) is kept."""
    if not loc:
        return False
    if "stringUnit" in loc:
        return bool(loc["stringUnit"].get("state") == "translated")
    forms = loc.get("variations", {}).get("plural", {})
    return bool(forms) and all(f.get("stringUnit", {}).get("state") == "translated" for f in forms.values())


HANDLER = XcstringsHandler()

__all__ = ["HANDLER", "XcstringsDocument", "XcstringsHandler", "apple_tag"]
