"""MDX (Docusaurus, Nextra, Astro): the Markdown splice, with JSX, ESM and expressions kept.

An MDX file is read by the Markdown module on a *view* of it (:mod:`.scan`): ESM blocks
and JSX alone on their lines are blanked, so the prose between ``<Admonition>`` and
``</Admonition>`` (or inside ``:::note``) reads as the paragraphs MDX reads it as; JSX
and ``{expressions}`` inside a line read as HTML tags, so the walk sends them as tags
holding the source's bytes. Nothing of ESM, JSX or an expression is ever sent, but for
the string values of the JSX props a job names (``TabItem.label``): each is a segment
of its own, written back inside its quotes.

:meth:`MdxDocument.verify` adds a byte-exact check to the Markdown one: the rebuilt
file's ESM, JSX and expressions, prop values aside, are the source's, in order. A
translation that moves a JSX tag relative to another keeps its source text (an element
closed before it opens would not compile).
"""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

from pipeline.errors import FormatError
from pipeline.formats.links import LinkSource
from pipeline.formats.markdown import MarkdownDocument, MarkdownHandler, frontmatter
from pipeline.formats.markdown.blocks import split_lines
from pipeline.formats.markdown.inline import InlineUnit, changed
from pipeline.formats.mdx.scan import MdxScan, Span, scan
from pipeline.formats.options import MdxOptions
from pipeline.segments import Isolated, SegmentBuilder, has_translatable_text, text_with_literals, tokenize

_BOM = "\ufeff"
PROP = "jsx prop"


class MdxDocument(MarkdownDocument):
    """A parsed MDX file: Markdown units on the masked view, plus JSX prop units."""

    flavour = "mdx"
    extra_escapes = "{}"

    options: MdxOptions

    def __init__(self, path: Path, text: str, options: MdxOptions, links: "LinkSource | None" = None):
        self._scans: dict[str, MdxScan] = {}
        super().__init__(path, text, options, links)

    def _scan(self, text: str, fm: "frontmatter.FrontMatter | None") -> MdxScan:
        """The constructs of ``text`` (cached: the view and the props read the same scan)."""
        if text not in self._scans:
            lines = split_lines(text)
            start = 0
            if fm is not None:
                start = lines[fm.last + 1][0] if fm.last + 1 < len(lines) else len(text)
            self._scans = {text: scan(text, start)}
        return self._scans[text]

    def masked(self, text: str, fm: "frontmatter.FrontMatter | None") -> str:
        return self._scan(text, fm).view

    @property
    def spans(self) -> list[Span]:
        """The source's ESM blocks, JSX tags and expressions, in order."""
        return self._scan(self.text, self.front_matter).spans

    def extra_units(self) -> list[InlineUnit]:
        """A unit for each string prop the job names (``TabItem.label``) holding text."""
        rules = self.options.props
        out: list[InlineUnit] = []
        for span in self.spans:
            for prop in span.props:
                if not _named(rules, prop.element, prop.name):
                    continue
                raw = self.text[prop.start:prop.end]
                if not has_translatable_text(raw) or "\n" in raw:
                    continue
                b = SegmentBuilder()
                b.text(raw)
                line = self.text.count("\n", 0, prop.start) + 1
                out.append(InlineUnit(f"{line}.{prop.element}.{prop.name}", f"{prop.element} {prop.name}", b.build(),
                                prop.start, prop.end, payloads=b.payloads, kind=PROP, quote=prop.quote))
        return _unique_ids(out)

    def link_spans(self, text: str, view: str, lines: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
        """Markdown's destinations, and the ``href`` and ``src`` string props of JSX tags."""
        fm = frontmatter.find(text, lines)
        jsx = [(p.start, p.end, text[p.start:p.end]) for span in self._scan(text, fm).spans for p in span.props
               if p.name in ("href", "src")]
        return super().link_spans(text, view, lines) + jsx

    def _unit_edits(self, unit: InlineUnit, translations: Mapping[str, str], level: int) -> list[tuple[int, int, str]]:
        if unit.kind == PROP:
            return [(unit.start, unit.end, self._prop(unit, translations))] if changed(unit, translations) else []
        if unit.kind == "block" and changed(unit, translations):
            unit = self._with_props(unit, translations)
        return super()._unit_edits(unit, translations, level)

    def _is_prop(self, uid: str) -> bool:
        unit = self._unit(uid)
        return unit is not None and unit.kind == PROP

    def _edits(self, translations: Mapping[str, str], attempt: Any) -> list[tuple[int, int, str, str]]:
        """A prop inside a tag of a paragraph the translation rewrites is written by that
        paragraph's tag (see :meth:`_with_props`), not a second time."""
        edits = super()._edits(translations, attempt)
        blocks = [(start, end) for start, end, _, uid in edits if not self._is_prop(uid)]
        return [e for e in edits if not self._is_prop(e[3])
                or not any(start <= e[0] and e[1] <= end for start, end in blocks)]

    def _repair(self, again: MarkdownDocument, translations: Mapping[str, str], attempt: Any) -> bool:
        """Markdown's repair, comparing tags with their string props blanked (a translated
        label is a wanted change of the tag's bytes)."""
        units, again_units = self.units, again.units
        self.units = [_blank_props(u) for u in units]
        again.units = [_blank_props(u) for u in again_units]
        try:
            return super()._repair(again, translations, attempt)
        finally:
            # ``again`` is the output as read back (verify() reuses it): its own units.
            self.units, again.units = units, again_units

    def _prop(self, unit: InlineUnit, translations: Mapping[str, str]) -> str:
        if not changed(unit, translations):
            return self.text[unit.start:unit.end]
        return _prop_value(text_with_literals(translations[unit.id], unit.payloads), unit.quote)

    def _with_props(self, unit: InlineUnit, translations: Mapping[str, str]) -> InlineUnit:
        """The unit with its JSX tags' named props translated in their payloads."""
        tags: dict[str, str] = {}
        for span in self.spans:
            inner = [p for p in self._props if span.start <= p.start and p.end <= span.end]
            if not inner or not (unit.start <= span.start and span.end <= unit.end):
                continue
            src, cut = [], span.start
            for prop in inner:
                src += [self.text[cut:prop.start], self._prop(prop, translations)]
                cut = prop.end
            tags[self.text[span.start:span.end]] = "".join(src) + self.text[cut:span.end]
        if not tags:
            return unit
        payloads = {num: tags.get(p, p) if isinstance(p, str) else p for num, p in unit.payloads.items()}
        return replace(unit, payloads=payloads)

    @property
    def _props(self) -> list[InlineUnit]:
        return [u for u in self.units if u.kind == PROP]

    def rebuild(self, lang: Any, translations: Mapping[str, str]) -> bytes:
        """The Markdown splice, without translations that reorder JSX tags (kept in the source)."""
        kept = {uid: t for uid, t in translations.items() if not self._reorders(uid, t)}
        data = super().rebuild(lang, kept)
        for uid in translations.keys() - kept.keys():
            self.fallbacks[uid] = "translation moves JSX tags against each other; source text kept"
        return data

    def _reorders(self, uid: str, translation: str) -> bool:
        unit = self._unit(uid)
        if unit is None:
            return False
        jsx = {num for num, payload in unit.payloads.items() if isinstance(payload, str) and payload[:1] in "<{"}
        if len(jsx) < 2:
            return False
        order = [tok.id for tok in tokenize(unit.text) if isinstance(tok, Isolated) and tok.id in jsx]
        try:
            got = [tok.id for tok in tokenize(translation) if isinstance(tok, Isolated) and tok.id in jsx]
        except ValueError:
            return False   # the Markdown rebuild reports a translation it cannot read
        return got != order

    def _unit(self, uid: str) -> InlineUnit | None:
        if not hasattr(self, "_by_id"):
            self._by_id = {u.id: u for unit in self.units for u in (unit, *unit.titles)}
        return self._by_id.get(uid)

    def verify(self, data: bytes) -> MarkdownDocument | None:
        """The Markdown check, and the rebuilt file's ESM, JSX and expressions byte for byte."""
        reopened = super().verify(data)
        text = data.decode("utf-8").removeprefix(_BOM)
        if isinstance(reopened, MdxDocument):   # the output as the rebuild scanned it
            spans = reopened.spans
        else:
            spans = self._scan(text, frontmatter.find(text, split_lines(text))).spans
        want, got = structure(self.text, self.spans), structure(text, spans)
        if want != got:
            k = next((i for i, (a, b) in enumerate(zip(want, got)) if a != b), min(len(want), len(got)))
            what = want[k][1][:40] if k < len(want) else got[k][1][:40]
            raise FormatError(self.path, f"rebuilt file's JSX/ESM differs from the source's at {what!r}")
        return reopened


def structure(text: str, spans: list[Span]) -> list[tuple[str, str]]:
    """Each ESM block, JSX tag and expression as (kind, bytes), string prop values blanked
    (they may be translated): what a rebuild must leave exactly as it was."""
    out = []
    for span in spans:
        src, cut = [], span.start
        for prop in span.props:
            src += [text[cut:prop.start], "…"]
            cut = prop.end
        src.append(text[cut:span.end])
        out.append((span.kind, "".join(src)))
    return out


_STRING_PROP_RE = re.compile(r"""=(\s*)(["'])[^"']*\2""")


def _blank_props(unit: InlineUnit) -> InlineUnit:
    payloads = {num: _STRING_PROP_RE.sub(r"=\1\2…\2", p) if isinstance(p, str) and p.startswith("<") else p
                for num, p in unit.payloads.items()}
    return replace(unit, payloads=payloads) if payloads != unit.payloads else unit


def _named(rules: tuple[str, ...], element: str, prop: str) -> bool:
    return f"{element}.{prop}" in rules or f"*.{prop}" in rules


def _unique_ids(units: list[InlineUnit]) -> list[InlineUnit]:
    seen: dict[str, int] = {}
    for unit in units:
        n = seen[unit.id] = seen.get(unit.id, 0) + 1
        if n > 1:
            unit.id = f"{unit.id}.{n}"
    return units


def _prop_value(value: str, quote: str) -> str:
    """A translated prop value that stays inside its quotes: JSX strings have no
    backslash escapes, but read character references (``&quot;``)."""
    value = " ".join(value.split("\n"))
    return value.replace(quote, "&quot;" if quote == '"' else "&#39;")


class MdxHandler(MarkdownHandler):
    name = "mdx"
    extensions = (".mdx",)

    document_class = MdxDocument
    options_class = MdxOptions
    label = "MDX"


HANDLER = MdxHandler()

__all__ = ["HANDLER", "MdxDocument", "MdxHandler", "structure"]
