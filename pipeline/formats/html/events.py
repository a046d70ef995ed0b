"""An HTML file as a flat list of events, each with its exact range of the source text.

The standard library's tokenizer (:class:`html.parser.HTMLParser`) reads tags, text,
character references and comments the way browsers split them, and says where each
starts; an event ends where the next one starts, so the events cover the file exactly
and any of them can be copied through, or replaced, by its range. Character references
are kept as events of their own (``convert_charrefs=False``) so that text and markup
are never mixed up. lxml, which builds the tree, gives no character positions, so it
only checks what was written (:meth:`~pipeline.formats.html.HtmlDocument.verify`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Attribute and value inside a raw start tag: name, then ="v", ='v' or =v (or none).
ATTR_RE = re.compile(r"""[\s/]+([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")


@dataclass
class Event:
    """One piece of the file: kind is start, end, startend (``<br/>``), data, ref
    (``&amp;``), comment or other (doctype, processing instruction)."""

    kind: str
    start: int
    end: int = -1
    tag: str = ""
    attrs: dict[str, str] = field(default_factory=dict)


class _HtmlReader(HTMLParser):
    def __init__(self, text: str):
        super().__init__(convert_charrefs=False)
        self.events: list[Event] = []
        self._line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]

    def _at(self) -> int:
        line, col = self.getpos()
        return self._line_starts[line - 1] + col

    def _add(self, kind: str, tag: str = "", attrs: list[tuple[str, str | None]] | None = None) -> None:
        values = {k.lower(): (v if v is not None else "") for k, v in attrs or []}
        self.events.append(Event(kind, self._at(), tag=tag.lower(), attrs=values))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._add("start", tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._add("startend", tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self._add("end", tag)

    def handle_data(self, data: str) -> None:
        self._add("data")

    def handle_entityref(self, name: str) -> None:
        self._add("ref")

    def handle_charref(self, name: str) -> None:
        self._add("ref")

    def handle_comment(self, data: str) -> None:
        self._add("comment")

    def handle_decl(self, decl: str) -> None:
        self._add("other")

    def handle_pi(self, data: str) -> None:
        self._add("other")

    def unknown_decl(self, data: str) -> None:
        self._add("other")


def read_events(text: str) -> list[Event]:
    """Every event of ``text`` in order, each with its [start, end) range."""
    reader = _HtmlReader(text)
    reader.feed(text)
    reader.close()
    # Each event ends where the next one starts.
    merged: list[Event] = []
    for e in reader.events:
        if merged and merged[-1].start == e.start:
            merged[-1] = e   # the first report there covered nothing
            continue
        merged.append(e)
    for a, b in zip(merged, merged[1:]):
        a.end = b.start
    if merged:
        merged[-1].end = len(text)
    if not merged or merged[0].start != 0:
        merged.insert(0, Event("data", 0, merged[0].start if merged else len(text)))
    return merged


def attr_spans(raw: str) -> dict[str, tuple[int, int, str]]:
    """Each attribute of a raw start tag: (value start, value end, quote) relative to the
    tag; quote is '"', "'" or "" (unquoted). A repeated attribute: the first, as browsers."""
    out: dict[str, tuple[int, int, str]] = {}
    m0 = re.match(r"<[^\s/>]+", raw)
    pos = m0.end() if m0 else 0
    for m in ATTR_RE.finditer(raw, pos):
        name = m.group(1).lower()
        for g, quote in ((2, '"'), (3, "'"), (4, "")):
            if m.group(g) is not None:
                out.setdefault(name, (m.start(g), m.end(g), quote))
                break
    return out


__all__ = ["Event", "attr_spans", "read_events"]
