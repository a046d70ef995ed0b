"""HTML pages: translate text and a few attributes, keep every other byte.

Like Markdown, the rebuilt page differs from its source only where translated text
sits: nothing is re-serialised. :mod:`.events` splits the page into tags, text,
character references and comments with their exact ranges; one walk over them makes
the segments:

* a run of text and inline elements (``<a>``, ``<b>``, ``<em>``, ``<span>``, ``<br>``,
  ``<img>`` …) between two block boundaries (any other tag) is one segment, inline
  elements sent as tags (paired when they close inside the run) and written back with
  their source bytes;
* ``<script>``, ``<style>``, ``<pre>``, ``<textarea>``, ``<template>``, ``<svg>``,
  ``<math>`` and elements with ``translate="no"`` or the ``[html] skip_class`` class are
  never read; ``<code>``, ``<kbd>``, ``<samp>`` (and a skipped inline element) inside a
  sentence are one isolated tag each;
* the attributes a reader sees (``title``, ``alt``, ``placeholder``, ``aria-label``,
  ``<meta name="description">``'s ``content``) are segments of their own;
* the root's ``lang`` (and ``dir`` for right-to-left targets) is set to the target.

Before a page is written, :meth:`HtmlDocument.verify` parses it with lxml and compares
its elements and their attributes with the source's.
"""
from __future__ import annotations

import html as htmlmod
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from pipeline.errors import FileError, FormatError
from pipeline.formats.base import Document, FormatHandler, LoadContext, text_preview
from pipeline.formats.html.events import Event, attr_spans, read_events
from pipeline.formats.links import LinkSource, page_links
from pipeline.formats.options import HtmlOptions
from pipeline.languages import Language
from pipeline.segments import Close, Isolated, Literal, Open, Segment, SegmentBuilder, TagError, Text, parse
from pipeline.segments import has_translatable_text, text_with_literals

INLINE = frozenset("a abbr b bdi bdo big cite data del dfn em font i ins label mark nobr q s small span strong "
                   "sub sup time tt u var".split())
VOID_INLINE = frozenset({"br", "img", "wbr"})
VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
OPAQUE = frozenset("script style pre textarea template svg math iframe object noscript".split())
OPAQUE_INLINE = frozenset({"code", "kbd", "samp"})
_WS_RE = re.compile(r"[ \t\n\r\f]+")


@dataclass
class _Run:
    """One segment of running text: events [first, last], text range [start, end)."""

    id: str
    text: str
    start: int
    end: int
    payloads: dict[int, Any]
    context: str


@dataclass
class _Attr:
    id: str
    text: str
    event: int
    name: str
    context: str


@dataclass
class _Walk:
    runs: list[_Run] = field(default_factory=list)
    attrs: list[_Attr] = field(default_factory=list)


class HtmlDocument(Document):
    """A parsed HTML page: its events, runs and attribute segments."""

    def __init__(self, path: Path, text: str, options: HtmlOptions, links: "LinkSource | None" = None):
        super().__init__(path)
        self.text, self.options = text, options
        #: (the job's links, this page's relpath) when ``rewrite_links`` is on.
        self.links = links if options.rewrite_links else None
        self.events = read_events(text)
        self._spans: dict[int, dict[str, tuple[int, int, str]]] = {}
        walk = _walk(self)
        order = sorted([(r.start, 0, r) for r in walk.runs] + [(self.events[a.event].start, 1, a) for a in walk.attrs],
                       key=lambda t: (t[0], t[1]))
        self.items: list[_Run | _Attr] = []
        for n, (_, _, item) in enumerate(order, 1):
            item.id = str(n)
            self.items.append(item)
        self.root = next((i for i, e in enumerate(self.events) if e.kind == "start" and e.tag == "html"), None)

    def spans(self, i: int) -> dict[str, tuple[int, int, str]]:
        if i not in self._spans:
            e = self.events[i]
            self._spans[i] = attr_spans(self.text[e.start:e.end])
        return self._spans[i]

    def segments(self) -> Sequence[Segment]:
        return [Segment(item.id, item.text, item.context) for item in self.items]

    # --- writing ----------------------------------------------------------------------

    def rebuild(self, lang: Language, translations: Mapping[str, str]) -> bytes:
        self.fallbacks = {}
        attr_edits: dict[int, dict[str, str]] = {}
        for item in self.items:
            if isinstance(item, _Attr) and translations.get(item.id, item.text) != item.text:
                attr_edits.setdefault(item.event, {})[item.name] = translations[item.id]
        if self.links is not None and lang is not None:
            self._link_edits(lang, attr_edits)
        edits: list[tuple[int, int, str]] = []
        covered: list[tuple[int, int]] = []
        for item in self.items:
            if not isinstance(item, _Run) or translations.get(item.id, item.text) == item.text:
                continue
            try:
                edits.append((item.start, item.end, self._render(item, translations[item.id], attr_edits)))
                covered.append((item.start, item.end))
            except (TagError, KeyError) as exc:
                self.fallbacks[item.id] = f"translation does not match the source tags ({exc}); source text kept"
        for i, e in enumerate(self.events):
            if e.kind not in ("start", "startend") or any(a <= e.start < b for a, b in covered):
                continue
            if i in attr_edits or i == self.root:
                new = self._tag(i, attr_edits, lang)
                if new != self.text[e.start:e.end]:
                    edits.append((e.start, e.end, new))
        out, pos = [], 0
        for start, end, new in sorted(edits):
            out += [self.text[pos:start], new]
            pos = end
        out.append(self.text[pos:])
        return "".join(out).encode("utf-8")

    def _link_edits(self, lang: Language, attr_edits: dict[int, dict[str, str]]) -> None:
        """Relative ``href``/``src`` values read from the output's place (``rewrite_links``)."""
        jobs, relpath = self.links
        links = jobs.for_page(relpath, lang.code)
        for i, e in enumerate(self.events):
            if e.kind not in ("start", "startend"):
                continue
            for name in ("href", "src"):
                if name in e.attrs and (new := links.rewrite(e.attrs[name])) != e.attrs[name]:
                    attr_edits.setdefault(i, {})[name] = new

    def _render(self, run: _Run, translation: str, attr_edits: dict[int, dict[str, str]]) -> str:
        out = []
        for tok in parse(translation):
            if isinstance(tok, Text):
                out.append(_escape_text(tok.text))
                continue
            payload = run.payloads[tok.id]
            if isinstance(payload, Literal):
                out.append(payload.text)
            elif isinstance(payload, tuple) and payload[0] == "pair":
                index = payload[1] if isinstance(tok, Open) else payload[2]
                out.append(self._tag(index, attr_edits, None))
            elif isinstance(payload, tuple) and payload[0] == "tag":
                out.append(self._tag(payload[1], attr_edits, None))
            elif isinstance(payload, tuple) and payload[0] == "raw":
                out.append(self.text[payload[1]:payload[2]])
            elif isinstance(tok, (Close, Isolated)):
                raise KeyError(tok.id)
        return "".join(out)

    def _tag(self, i: int, attr_edits: dict[int, dict[str, str]], lang: Language | None) -> str:
        """Event ``i``'s bytes with its translated attributes (and the root's lang/dir)."""
        e = self.events[i]
        raw = self.text[e.start:e.end]
        if e.kind not in ("start", "startend"):
            return raw
        values = dict(attr_edits.get(i, {}))
        if lang is not None and i == self.root:
            values["lang"] = _bcp47(lang)
            if lang.rtl:
                values["dir"] = "rtl"
            elif e.attrs.get("dir", "").lower() == "rtl":
                values["dir"] = "ltr"
        if not values:
            return raw
        spans = self.spans(i)
        pieces: list[tuple[int, int, str]] = []
        add = ""
        for name, value in values.items():
            if name in spans:
                start, end, quote = spans[name]
                q = quote or '"'
                new = _escape_attr(value, q)
                pieces.append((start, end, new) if quote else (start, end, f'"{new}"'))
            else:
                add += f' {name}="{_escape_attr(value, chr(34))}"'
        out, pos = [], 0
        for start, end, new in sorted(pieces):
            out += [raw[pos:start], new]
            pos = end
        out.append(raw[pos:])
        text = "".join(out)
        if add:
            m = re.match(r"<[^\s/>]+", text)
            cut = m.end() if m else 0
            text = text[:cut] + add + text[cut:]
        return text

    def unextracted(self) -> list[str]:
        """Text lxml finds outside skipped elements that no segment holds: an independent
        look at the page (the walk reads the tokenizer's events; this reads lxml's tree)."""
        from lxml import etree

        try:
            root = _lxml_root(self.text)
        except (etree.LxmlError, ValueError):
            return []
        held = "|".join(_letters(text_with_literals(item.text, getattr(item, "payloads", {}))) for item in self.items)
        found = []
        for el in root.iter():
            if not isinstance(el.tag, str) or _lxml_skipped(el, self.options):
                continue
            for piece in (el.text, *(child.tail for child in el)):   # a child's tail is this element's text
                if piece and has_translatable_text(piece) and _letters(piece) not in held:
                    found.append(f"<{el.tag}>: not extracted: {text_preview(piece)}")
        return found

    def verify(self, data: bytes) -> None:
        """Raise FormatError unless lxml reads the same elements and untranslated
        attribute values in ``data`` as in the source."""
        from lxml import etree

        try:
            want = _elements(self.text, self.options)
        except (etree.LxmlError, ValueError):
            return None   # lxml reads no document from the source (a lone comment): nothing to compare
        try:
            got = _elements(data.decode("utf-8"), self.options)
        except (UnicodeDecodeError, ValueError, etree.LxmlError) as exc:
            raise FormatError(self.path, f"rebuilt page does not parse: {exc}") from exc
        if got != want:
            k = next((i for i, (a, b) in enumerate(zip(want, got)) if a != b), min(len(want), len(got)))
            where = want[k][0] if k < len(want) else "the end"
            raise FormatError(self.path, f"rebuilt page has other elements or attributes than its source near <{where}>")


def _letters(text: str) -> str:
    """Letters and digits only: what two readers of one text agree on whatever their
    whitespace and entity handling."""
    return re.sub(r"[\W_]+", "", text)


def _lxml_root(text: str) -> Any:
    import lxml.html

    if not text.strip():
        raise ValueError("empty page")
    return lxml.html.document_fromstring(text.encode("utf-8"))


def _lxml_skipped(el: Any, options: HtmlOptions) -> bool:
    """The element or an ancestor is one the walk never reads."""
    for node in (el, *el.iterancestors()):
        if not isinstance(node.tag, str):
            return True
        if node.tag in OPAQUE or node.tag in OPAQUE_INLINE or node.get("translate", "").lower() == "no" or (
                options.skip_class and options.skip_class in (node.get("class") or "").split()):
            return True
    return False


def _elements(text: str, options: HtmlOptions) -> list[tuple[str, tuple[tuple[str, str | None], ...]]]:
    """Each element's tag and attributes as lxml reads them; translated attribute values
    and the root's lang/dir are left out (they are what a rebuild may change)."""
    if not text.strip():
        return []
    root = _lxml_root(text)
    out = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        attrs: list[tuple[str, str | None]] = []
        for k, v in sorted(el.attrib.items()):
            if el.getparent() is None and k in ("lang", "dir"):
                continue   # set for the target
            if k in options.attributes or (el.tag == "meta" and k == "content") or (
                    options.rewrite_links and k in ("href", "src")):
                attrs.append((k, None))
            else:
                attrs.append((k, v))
        out.append((el.tag, tuple(attrs)))
    return out


def _bcp47(lang: Language) -> str:
    parts = lang.code.split("_")
    return parts[0] if len(parts) == 1 else f"{parts[0]}-{parts[1].upper()}"


def _escape_text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\xa0", "&nbsp;")


def _escape_attr(s: str, quote: str) -> str:
    s = s.replace("&", "&amp;").replace("\xa0", "&nbsp;")
    return s.replace(quote, "&quot;" if quote == '"' else "&#39;")


# --- the walk ------------------------------------------------------------------------------


def _excluded(e: Event, options: HtmlOptions) -> bool:
    """Marked not to translate: ``translate="no"`` or the skip class (attributes too)."""
    return e.attrs.get("translate", "").lower() == "no" or (
        options.skip_class != "" and options.skip_class in e.attrs.get("class", "").split())


def _skipped(e: Event, options: HtmlOptions) -> bool:
    """An element whose content is never read (code, scripts, preformatted text)."""
    return e.tag in OPAQUE or e.tag in OPAQUE_INLINE or _excluded(e, options)


def _match_end(events: list[Event], i: int) -> int:
    """The index of the end tag closing the element started at ``i`` (the last event
    when it is never closed: what is not known to be outside is not touched)."""
    tag, depth = events[i].tag, 0
    for j in range(i, len(events)):
        e = events[j]
        if e.tag == tag and e.kind == "start":
            depth += 1
        elif e.tag == tag and e.kind == "end":
            depth -= 1
            if depth == 0:
                return j
    return len(events) - 1


def _walk(doc: HtmlDocument) -> _Walk:
    events, options = doc.events, doc.options
    walk = _Walk()
    run: list[tuple[str, int, int]] = []   # ("ev", i, i) or ("skip", i, j)
    context = ["page text"]
    i = 0
    while i < len(events):
        e = events[i]
        if e.kind in ("start", "startend"):
            if e.kind == "start" and e.tag not in VOID and _skipped(e, options):
                if not _excluded(e, options) and e.tag not in OPAQUE_INLINE:
                    _attrs(doc, i, walk)   # a <textarea>'s placeholder, a <pre>'s title
                j = _match_end(events, i)
                if e.tag in INLINE or e.tag in OPAQUE_INLINE:
                    run.append(("skip", i, j))
                else:
                    _flush(doc, run, walk, context[-1])
                    run = []
                i = j + 1
                continue
            _attrs(doc, i, walk)
            if e.tag in INLINE or e.tag in VOID_INLINE:
                run.append(("ev", i, i))
            else:
                _flush(doc, run, walk, context[-1])
                run = []
                if e.kind == "start" and e.tag in _CONTEXTS:
                    context.append(_CONTEXTS[e.tag])
        elif e.kind == "end":
            if e.tag in INLINE:
                run.append(("ev", i, i))
            else:
                _flush(doc, run, walk, context[-1])
                run = []
                if len(context) > 1 and e.tag in _CONTEXTS and context[-1] == _CONTEXTS[e.tag]:
                    context.pop()
        elif e.kind in ("data", "ref", "comment"):
            run.append(("ev", i, i))
        else:
            _flush(doc, run, walk, context[-1])
            run = []
        i += 1
    _flush(doc, run, walk, context[-1])
    return walk


_CONTEXTS = {"title": "page title", "h1": "heading", "h2": "heading", "h3": "heading", "h4": "heading",
             "h5": "heading", "h6": "heading", "li": "list item", "td": "table cell", "th": "table cell",
             "p": "paragraph", "button": "button", "caption": "caption", "figcaption": "caption",
             "blockquote": "blockquote", "option": "option", "summary": "summary", "dt": "term", "dd": "definition"}
_ATTR_CONTEXT = "{} attribute"


def _attrs(doc: HtmlDocument, i: int, walk: _Walk) -> None:
    e = doc.events[i]
    names = [n for n in doc.options.attributes if n in e.attrs]
    if e.tag == "meta" and e.attrs.get("name", "").lower() in ("description", "og:description") or \
            e.tag == "meta" and e.attrs.get("property", "").lower() in ("og:title", "og:description"):
        names.append("content")
    for name in names:
        value = e.attrs[name]
        if has_translatable_text(value) and name in doc.spans(i):
            walk.attrs.append(_Attr("", _WS_RE.sub(" ", value).strip(), i, name, _ATTR_CONTEXT.format(name)))


def _flush(doc: HtmlDocument, run: list[tuple[str, int, int]], walk: _Walk, context: str) -> None:
    """One segment from a run, unless it holds no translatable text."""
    events, text = doc.events, doc.text
    if not any(kind == "ev" and events[i].kind in ("data", "ref") and
               has_translatable_text(_event_text(doc, events[i])) for kind, i, _ in run):
        return
    # Edges: whitespace (and comments) before the first and after the last text stay outside.
    sig = [k for k, (kind, i, _) in enumerate(run)
           if kind == "skip" or events[i].kind != "comment" and (events[i].kind != "data" or
                                                                 text[events[i].start:events[i].end].strip())]
    first, last = sig[0], sig[-1]
    part = run[first:last + 1]
    fe, le = events[part[0][1]], events[part[-1][2]]
    start = fe.start + (len(text[fe.start:fe.end]) - len(text[fe.start:fe.end].lstrip()) if fe.kind == "data" else 0)
    end = le.end - (len(text[le.start:le.end]) - len(text[le.start:le.end].rstrip()) if le.kind == "data" else 0)
    partner = _pairs(events, part)
    b = SegmentBuilder()
    open_ids: dict[int, int] = {}
    for k, (kind, i, j) in enumerate(part):
        e = events[i]
        if kind == "skip":
            b.isolated(("raw", e.start, events[j].end))
        elif e.kind == "data":
            s = text[max(e.start, start):min(e.end, end)]
            b.text(_WS_RE.sub(" ", s))
        elif e.kind == "ref":
            raw = text[e.start:e.end]
            char = htmlmod.unescape(raw)
            b.text(char) if char != raw else b.isolated(Literal(raw))
        elif e.kind == "comment":
            b.isolated(("raw", e.start, e.end))
        elif k in partner and partner[k] > k:
            open_ids[partner[k]] = b.open(("pair", i, part[partner[k]][1]), "a" if e.tag == "a" else "g")
        elif k in partner:
            b.close(open_ids.pop(k))
        else:
            b.isolated(("tag", i))
    walk.runs.append(_Run("", b.build(), start, end, b.payloads, context))


def _event_text(doc: HtmlDocument, e: Event) -> str:
    raw = doc.text[e.start:e.end]
    return htmlmod.unescape(raw) if e.kind == "ref" else raw


def _pairs(events: list[Event], part: list[tuple[str, int, int]]) -> dict[int, int]:
    """Inline start and end tags of the run that match and nest, both ways (by run position)."""
    stack: list[tuple[str, int]] = []
    out: dict[int, int] = {}
    for k, (kind, i, _) in enumerate(part):
        e = events[i]
        if kind != "ev" or e.tag not in INLINE:
            continue
        if e.kind == "start":
            stack.append((e.tag, k))
        elif e.kind == "end" and stack and stack[-1][0] == e.tag:
            _, j = stack.pop()
            out[k], out[j] = j, k
        elif e.kind == "end":
            stack.clear()   # crossed markup: the rest stays isolated
    return out


class HtmlHandler(FormatHandler):
    name = "html"
    extensions = (".html", ".htm")

    def load(self, ctx: LoadContext) -> HtmlDocument:
        try:
            text = ctx.content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileError(ctx.path, f"not UTF-8 text (byte {exc.start}); HTML must be UTF-8") from exc
        if "\x00" in text:
            raise FileError(ctx.path, "holds a NUL byte: not a text file; nothing translated")
        options = ctx.options if isinstance(ctx.options, HtmlOptions) else HtmlOptions()
        return HtmlDocument(ctx.path, text, options, page_links(ctx))


HANDLER = HtmlHandler()

__all__ = ["HANDLER", "HtmlDocument", "HtmlHandler"]
