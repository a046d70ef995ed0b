"""XLIFF 1.2 and 2.x as an input (what Angular, Xcode and CAT tools exchange): each unit's
``<source>`` translated into its ``<target>``, every other byte kept.

* 1.2: each ``<trans-unit>`` is a segment; its ``<target>`` is written (replaced, or
  added after ``<source>``/``<seg-source>`` with the source's indentation) with
  ``state="translated"``; ``<file target-language>`` is set.
* 2.x: each ``<segment>`` of a ``<unit>`` is a segment; its ``<target>`` is written after
  ``<source>`` and the segment gets ``state="translated"`` (its ``subState`` dropped: it
  described the old state); the root's ``trgLang`` is set.
* Not sent: units with ``translate="no"`` (on the unit or inherited from a ``<group>`` or
  2.x ``<file>``), empty sources, and targets already approved (1.2 ``approved="yes"``,
  or a target ``state`` of ``final``/``signed-off``; 2.x segment ``state`` ``final`` or
  ``reviewed``) when the file's target language is the output's (an approved German
  target is no French translation). Those keep their bytes.
* Inline codes are the file's own and are copied byte for byte (:mod:`.inline`);
  notes, ``resname``/``name`` and Angular's descriptions and meanings are the segment's
  context (what the model is told about the string).

``<alt-trans>``, ``<ignorable>`` and module elements are never touched. lxml reads the
file first (a malformed file is one FileError line) and reads every output back: same
units, each written target where it belongs. Output names follow Angular's and Xcode's
conventions: ``messages.xlf`` -> ``messages.fr.xlf``, ``en.xliff`` -> ``fr.xliff``.
"""
from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any, Mapping

from pipeline.errors import FileError, FormatError
from pipeline.formats.base import FormatHandler, LoadContext
from pipeline.formats.options import XliffOptions
from pipeline.formats.strings.catalog import (CatalogDocument, CatalogEntry, Edit, key_selected, source_code,
                                              swap_language, target_tag)
from pipeline.formats.strings.icu import icu_escape
from pipeline.formats.strings.message import Body, Message
from pipeline.formats.xliff_file import inline
from pipeline.formats.xliff_file.scan import XliffScan, Tag, XliffScanError, XUnit, scan
from pipeline.languages import Language, lookup
from pipeline.segments import Segment

_DECL_ENCODING_RE = re.compile(rb"""^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_ATTR_VALUE_RE = r"""(\s{name}\s*=\s*)(["'])[^"']*\2"""
_ID_HEX_RE = re.compile(r"[0-9a-f]{8,}|\d{6,}", re.I)


class XliffMessage:
    """One segment of a unit, shaped as :class:`~pipeline.formats.strings.catalog.CatalogDocument`
    expects a message (key, wanted languages, segments, the built text)."""

    def __init__(self, unit: XUnit, sid: str, built: inline.XliffBuilt, context: str, wanted: set[str]):
        self.unit, self.key, self.context = unit, sid, context
        self.built = {sid: built}
        self.order = [sid]
        self.wanted = {sid: wanted}

    def segments(self) -> list[Segment]:
        return [Segment(self.key, self.built[self.key].text, self.context)]

    def untouched(self, lang: str, translations: Mapping[str, str]) -> bool:
        return False        # the translation goes to the target: always written

    def content(self, code: str, translations: Mapping[str, str]) -> str:
        return inline.render(self.key, self.built[self.key], translations)


class XliffIcuMessage(Message):
    """A unit whose source is an ICU message (Angular's plurals and selects): one segment
    per option, a plural in the target's CLDR categories, the file's codes kept."""

    def __init__(self, unit: XUnit, sid: str, body: Body, source: str, targets: tuple[str, ...], context: str):
        super().__init__(sid, body, source, targets, context, _icu_xml_escape)
        self.unit = unit

    def content(self, code: str, translations: Mapping[str, str]) -> str:
        return self.render(code, translations)


def _icu_xml_escape(text: str, following: str) -> str:
    """Translated text as ICU text, then as XML element content."""
    return inline.escape(icu_escape(text, following))


def set_attr(tag_text: str, name: str, value: str) -> str:
    """``tag_text`` (a start tag) with attribute ``name`` set to ``value`` (its quoting kept)."""
    pattern = re.compile(_ATTR_VALUE_RE.format(name=re.escape(name)))
    if pattern.search(tag_text):
        return pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{value}{m.group(2)}", tag_text, count=1)
    end = len(tag_text) - (2 if tag_text.endswith("/>") else 1)
    body = tag_text[:end].rstrip()
    return f'{body} {name}="{value}"{tag_text[len(body):]}'


def drop_attr(tag_text: str, name: str) -> str:
    return re.sub(_ATTR_VALUE_RE.format(name=re.escape(name)), "", tag_text, count=1)


def _opened(tag_text: str) -> str:
    """An empty element's tag (``<target/>``) as a start tag."""
    return tag_text[:-2].rstrip() + ">" if tag_text.endswith("/>") else tag_text


class XliffDocument(CatalogDocument["XliffMessage | XliffIcuMessage"]):
    """An XLIFF file; :meth:`verify` reads the output back with lxml."""

    encode_errors = "xmlcharrefreplace"     # a character the declared encoding lacks: &#NNNN;

    def __init__(self, path: Path, text: str, encoding: str, bom: str, found: XliffScan, entries: list[CatalogEntry[XliffMessage | XliffIcuMessage]],
                 edits: list[Edit]):
        super().__init__(path, text, entries, encoding=encoding, bom=bom, edits=edits)
        self.found = found

    def inline_markup(self, segment_id: str) -> Mapping[int, tuple[str, str]]:
        for entry in self.entries:
            if segment_id in entry.message.built:
                return inline.markup(entry.message.built[segment_id])
        return {}

    def read_written(self, output: Path, lang: Language) -> list[Segment]:
        """What an output holds for ``lang``: each written unit's target, by this document's ids."""
        data = output.read_bytes()
        text, _, _ = _decode(data, output)
        units = _scan(text, output).units
        by_key = {u.key: u for u in units}
        out = []
        for entry in self.entries:
            msg = entry.message
            unit = by_key.get(msg.unit.key)
            if unit is None or unit.target is None:
                continue
            raw = text[unit.target.content_start : unit.target.content_end]
            if isinstance(msg, XliffIcuMessage):
                # Read as a source is (the JSON and YAML catalogues' ICU read-back): the
                # target's options under the same ids, its plural forms by their examples.
                # A nested argument repeated in each target form is read once, under the source's ids.
                body = inline.icu_body(raw, self.found.version, msg.key)
                if body is not None:
                    out += [s for s in XliffIcuMessage(unit, msg.key, body, msg.source, (lang.code,), msg.context)
                            .segments() if s.id in msg.built]
                continue
            out.append(Segment(msg.key, inline.build(raw, self.found.version).text, msg.context))
        return out

    def verify(self, data: bytes) -> None:
        from lxml import etree   # the independent reader

        try:
            root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False))
        except etree.XMLSyntaxError as exc:
            raise FormatError(self.path, f"rebuilt file is not well-formed XML: {exc}") from exc
        units = [u for u in root.iter() if isinstance(u.tag, str) and etree.QName(u).localname in ("trans-unit", "unit")]
        ids = [u.get("id") for u in units]
        source_ids = _unit_ids(self.found)
        if ids != source_ids:
            raise FormatError(self.path, "rebuilt file's units differ from the source's")
        text, _, _ = _decode(data, self.path)
        written = _scan(text, self.path)
        if [u.key for u in written.units] != [u.key for u in self.found.units]:
            raise FormatError(self.path, "rebuilt file's segments differ from the source's")


def _unit_ids(found: XliffScan) -> list[str | None]:
    """The ids of the file's units in order (a 2.x unit once, however many segments it has)."""
    ids: list[str | None] = []
    for u in found.units:
        uid = u.key.split("/")[0] if found.version == "2" else u.key
        if found.version == "1.2" or not ids or ids[-1] != uid or u.key == uid:
            ids.append(uid)
    return ids


def _decode(data: bytes, path: Path) -> tuple[str, str, str]:
    """The file's text, its encoding and BOM (UTF-8 unless a BOM or the XML declaration says otherwise)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16", ""      # the codec writes the BOM back
    m = _DECL_ENCODING_RE.match(data[:200])
    encoding = m.group(1).decode("ascii").lower() if m else "utf-8"
    bom = "\ufeff" if data.startswith(b"\xef\xbb\xbf") else ""
    try:
        text = data.decode(encoding)
    except LookupError:
        raise FileError(path, f"declares an unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        raise FileError(path, f"not valid {encoding} (byte {exc.start})") from None
    return text[len(bom):], encoding, bom


def _scan(text: str, path: Path) -> XliffScan:
    try:
        return scan(text)
    except XliffScanError as exc:
        raise FileError(path, f"not an XLIFF file qmt reads: {exc}") from None


def _well_formed(data: bytes, path: Path) -> None:
    from lxml import etree

    try:
        etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise FileError(path, f"not well-formed XML: {exc}") from None


def _file_name(tag: Tag, index: int) -> str:
    """What tells a unit's ``<file>`` apart in a segment id (2.x ``id``, 1.2 ``original``)."""
    return tag.attrs.get("id") or tag.attrs.get("original") or str(index)


class _XliffBuilder:
    """The entries and edits of one file (see the module docstring)."""

    def __init__(self, ctx: LoadContext, text: str, found: XliffScan, options: XliffOptions):
        self.ctx, self.text, self.found, self.options = ctx, text, found, options
        self.targets = tuple(lang.code for lang in ctx.target_langs)
        self.source = source_code(ctx.source_lang, ctx.relpath or ctx.path.name, found.source_lang)
        self.entries: list[CatalogEntry[XliffMessage | XliffIcuMessage]] = []
        self.edits: list[Edit] = []
        self._lang_edits()
        seen: set[str] = set()
        for unit in found.units:
            self.add(unit, seen)

    def _lang_edits(self) -> None:
        like = self.found.source_lang
        if self.found.version == "2":
            self.edits.append(self._attr_edit(self.found.root, "trgLang", like))
        else:
            self.edits += [self._attr_edit(f, "target-language", f.attrs.get("source-language", like))
                           for f in self.found.files]

    def _attr_edit(self, tag: Tag, name: str, like: str) -> Edit:
        raw = self.text[tag.start : tag.end]
        return Edit(tag.start, tag.end, lambda code: set_attr(raw, name, target_tag(code, like)))

    def _kept_for(self, unit: XUnit) -> set[str]:
        """The languages whose output keeps this unit's approved target."""
        if not unit.final:
            return set()
        file_lang = lookup(self.found.target_lang) if self.found.target_lang else None
        if file_lang is None:
            return set(self.targets) if not self.found.target_lang else set()
        return {code for code in self.targets if code == file_lang.code}

    def add(self, unit: XUnit, seen: set[str]) -> None:
        raw = self.text[unit.source.content_start : unit.source.content_end]
        if not unit.translate or not raw.strip() or not key_selected(unit.name, self.options.include_keys,
                                                                     self.options.exclude_keys):
            return
        sid = f"{_file_name(self.found.files[unit.file_index], unit.file_index)}|{unit.key}" \
            if len(self.found.files) > 1 else unit.key
        base, n = sid, 1
        while sid in seen:
            n += 1
            sid = f"{base}#{n}"
        seen.add(sid)
        kept = self._kept_for(unit)
        if not set(self.targets) - kept:
            return
        message = self.message(unit, sid, raw, kept)
        start = unit.holder.start if self.found.version == "2" and unit.holder is not None else \
            (unit.target.tag.start if unit.target is not None else unit.insert_at)
        end = unit.target.end if unit.target is not None else unit.insert_at
        self.entries.append(CatalogEntry(message, start, end, lambda code, tr: self.render(message, start, code, tr),
                                         in_place=False))

    def message(self, unit: XUnit, sid: str, raw: str, kept: set[str]) -> "XliffMessage | XliffIcuMessage":
        """The unit's message: ICU when its source is an ICU plural or select, else its text and codes."""
        body = inline.icu_body(raw, self.found.version, sid)
        if body is None:
            return XliffMessage(unit, sid, inline.build(raw, self.found.version), self._context(unit),
                                set(self.targets) - kept)
        message = XliffIcuMessage(unit, sid, body, self.source, self.targets, self._context(unit))
        for langs in message.wanted.values():
            langs -= kept
        return message

    def _context(self, unit: XUnit) -> str:
        """The unit's name when it reads as one (not a hash), and its notes."""
        parts = [] if _ID_HEX_RE.fullmatch(unit.name) else [f"key {unit.name}"]
        return " | ".join([*parts, *(n for n in unit.notes if n)])

    def render(self, msg: "XliffMessage | XliffIcuMessage", start: int, code: str, translations: Mapping[str, str]) -> str:
        """The span from ``start`` (2.x: the segment's start tag; 1.2: the target, or
        where it goes) with the target written, its state set and its ``xml:lang``, if it
        has one, made the output's."""
        unit, content = msg.unit, msg.content(code, translations)
        out = []
        if self.found.version == "2" and unit.holder is not None:
            seg = self.text[unit.holder.start : unit.holder.end]
            out.append(drop_attr(set_attr(seg, "state", "translated"), "subState"))
            out.append(self.text[unit.holder.end : unit.target.tag.start if unit.target else unit.insert_at])
        prefix = unit.source.tag.qname[: -len("source")]
        if unit.target is not None:
            tag = self.text[unit.target.tag.start : unit.target.tag.end]
            if self.found.version == "1.2":
                tag = set_attr(tag, "state", "translated")
            if re.search(r"\sxml:lang\s*=", tag):
                tag = set_attr(tag, "xml:lang", target_tag(code, self.found.source_lang))
            closing = self.text[unit.target.content_end : unit.target.end] if not unit.target.tag.empty else \
                f"</{unit.target.tag.qname}>"
            out.append(f"{_opened(tag)}{content}{closing}")
        else:
            state = ' state="translated"' if self.found.version == "1.2" else ""
            out.append(f"{unit.indent}<{prefix}target{state}>{content}</{prefix}target>")
        return "".join(out)


class XliffHandler(FormatHandler):
    name = "xliff"
    extensions = (".xlf", ".xliff")

    def output_relpath(self, relpath: str, lang_code: str, options: Any, source_lang: Language | None) -> str:
        if getattr(options, "naming", "auto") == "keep":
            return relpath
        swapped = swap_language(relpath, source_lang, lang_code)
        if swapped is not None:
            return swapped
        path = PurePosixPath(relpath)
        return str(path.with_name(f"{path.stem}.{target_tag(lang_code)}{path.suffix}"))

    def load(self, ctx: LoadContext) -> XliffDocument:
        assert ctx.data is not None
        _well_formed(ctx.data, ctx.path)
        text, encoding, bom = _decode(ctx.data, ctx.path)
        found = _scan(text, ctx.path)
        options = ctx.options if isinstance(ctx.options, XliffOptions) else XliffOptions()
        built = _XliffBuilder(ctx, text, found, options)
        return XliffDocument(ctx.path, text, encoding, bom, found, built.entries, built.edits)


HANDLER = XliffHandler()

__all__ = ["HANDLER", "XliffDocument", "XliffHandler", "drop_attr", "set_attr"]
