"""Where things are in an XLIFF file: the root and ``<file>`` start tags, and each unit's
``<source>``, ``<target>`` and (2.x) ``<segment>``, as character offsets.

Rebuild splices targets in at these offsets (every other byte is kept), so the file is
scanned as text: comments, CDATA and processing instructions masked first (a
commented-out unit is not a unit), then start and end tags matched with a stack. Only a
``<source>``/``<target>`` whose parent is a 1.2 ``<trans-unit>`` or a 2.x ``<segment>``
counts: those in 1.2 ``<alt-trans>``, 2.x ``<ignorable>`` or a matches module's
``<mtc:match>`` are someone's suggestions and are left alone. lxml (an independent
reader) has parsed the file before the scan, so the scan can trust it is well-formed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pipeline.formats.xliff_file.inline import attrs_of, local, plain_text

_MASK_RE = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!DOCTYPE(?:[^\[>]|\[.*?\])*>", re.S)
_TAG_RE = re.compile(r"<(/?)([A-Za-z_][\w:.-]*)((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(/?)>")

XLIFF12_NS = "urn:oasis:names:tc:xliff:document:1.2"
XLIFF2_NS = "urn:oasis:names:tc:xliff:document:2.0"
# What a kept target says: approved (1.2) or final/reviewed (2.x, 1.2 state values).
FINAL_STATES_12 = ("final", "signed-off")
FINAL_STATES_2 = ("final", "reviewed")


class XliffScanError(ValueError):
    """The file is not XLIFF as qmt reads it (the message names what)."""


@dataclass
class Tag:
    """A start tag: where it is, its qualified name and attributes."""

    start: int
    end: int
    qname: str
    attrs: dict[str, str]
    empty: bool

    @property
    def name(self) -> str:
        return local(self.qname)


@dataclass
class Element:
    """An element's start tag, where its content ends and where it ends."""

    tag: Tag
    content_end: int
    end: int

    @property
    def content_start(self) -> int:
        return self.tag.end


@dataclass
class XUnit:
    """One translatable piece: a 1.2 ``<trans-unit>`` or a 2.x ``<segment>``."""

    key: str                    # the unit's id (2.x: and the segment's)
    name: str                   # the name include_keys/exclude_keys match (resname/name, else id)
    source: Element
    target: Element | None
    holder: Tag | None          # the tag whose ``state`` is set: 1.2 the target, 2.x the segment (None: none yet)
    insert_at: int              # where a new target goes (after the source, or 1.2 seg-source)
    indent: str                 # the white space before the source (a new target gets it too)
    translate: bool
    final: bool                 # the target is approved/final: kept when in the file's target language
    file_index: int
    notes: list[str] = field(default_factory=list)


@dataclass
class XliffScan:
    version: str                # "1.2" or "2"
    root: Tag
    files: list[Tag]
    units: list[XUnit]
    source_lang: str            # srcLang / source-language of the first file
    target_lang: str            # trgLang / target-language ("" when none)


def mask(text: str) -> str:
    return _MASK_RE.sub(lambda m: " " * len(m.group(0)), text)


class _XliffScanner:
    def __init__(self, text: str):
        self.text, self.masked = text, mask(text)
        self.stack: list[tuple[Tag, bool]] = []      # open elements, and whether translate="no" applies
        self.units: list[XUnit] = []
        self.files: list[Tag] = []
        self.root: Tag | None = None
        self.version = ""
        self.unit: dict[str, Any] | None = None      # the open trans-unit / unit being read

    def run(self) -> XliffScan:
        pos = 0
        while (m := _TAG_RE.search(self.masked, pos)) is not None:
            pos = self.tag(m)
        if self.root is None:
            raise XliffScanError("no <xliff> root element")
        src = self.root.attrs.get("srcLang", "") if self.version == "2" else \
            (self.files[0].attrs.get("source-language", "") if self.files else "")
        trg = self.root.attrs.get("trgLang", "") if self.version == "2" else \
            (self.files[0].attrs.get("target-language", "") if self.files else "")
        return XliffScan(self.version, self.root, self.files, self.units, src, trg)

    def tag(self, m: re.Match[str]) -> int:
        if m.group(1):                  # an end tag
            if self.stack:
                closed, _ = self.stack.pop()
                if closed.name in ("trans-unit", "unit"):
                    self.unit = None
            return m.end()
        tag = Tag(m.start(), m.end(), m.group(2), attrs_of(m.group(3)), bool(m.group(4)))
        if self.root is None:
            return self.open_root(tag)
        parent = self.stack[-1][0].name if self.stack else ""
        no = (self.stack[-1][1] if self.stack else False) or tag.attrs.get("translate") == "no"
        if tag.name == "file":
            self.files.append(tag)
        elif tag.name in ("trans-unit", "unit"):
            self.unit = {"tag": tag, "no": no, "notes": [], "segments": 0, "pending": None}
        if self.unit is not None and tag.name in ("source", "target", "seg-source") and not tag.empty \
                and parent in ("trans-unit", "segment"):
            return self.content(tag, parent)
        if self.unit is not None and tag.name in ("source", "target") and tag.empty and parent in ("trans-unit", "segment"):
            self.empty_part(tag, parent)
        if self.unit is not None and tag.name == "note" and not tag.empty:
            end = self.masked.find(f"</{tag.qname}>", tag.end)
            if end > 0:
                self.unit["notes"].append(plain_text(self.text[tag.end:end]))
        if tag.name == "segment" and self.unit is not None:
            self.unit["segment"] = tag
            self.unit["segments"] += 1
        if not tag.empty:
            self.stack.append((tag, no))
        return m.end()

    def open_root(self, tag: Tag) -> int:
        if tag.name != "xliff":
            raise XliffScanError(f"the root element is <{tag.qname}>, not <xliff>")
        version = tag.attrs.get("version", "")
        if version.startswith("2"):
            self.version = "2"
        elif version.startswith("1."):
            self.version = "1.2"
        else:
            raise XliffScanError(f"XLIFF version {version!r} (qmt reads 1.2 and 2.x)")
        self.root = tag
        self.stack.append((tag, False))
        return tag.end

    def content(self, tag: Tag, parent: str) -> int:
        """A source/target/seg-source with content: skipped whole (its inline codes are not structure)."""
        close = re.compile(rf"</{re.escape(tag.qname)}\s*>")
        m = close.search(self.masked, tag.end)
        if m is None:
            raise XliffScanError(f"<{tag.qname}> at offset {tag.start} is not closed")
        self.part(Element(tag, m.start(), m.end()), parent)
        return m.end()

    def empty_part(self, tag: Tag, parent: str) -> None:
        self.part(Element(tag, tag.end, tag.end), parent)

    def part(self, el: Element, parent: str) -> None:
        u = self.unit
        assert u is not None
        if el.tag.name == "source":
            u["pending"] = {"source": el, "target": None, "after": el.end}
        elif el.tag.name == "seg-source" and u["pending"] is not None:
            u["pending"]["after"] = el.end
        elif el.tag.name == "target" and u["pending"] is not None:
            u["pending"]["target"] = el
        self._emit_when_done(parent)

    def _emit_when_done(self, parent: str) -> None:
        """Record the unit (1.2) or segment (2.x) read so far: at its source, and again
        (replacing that record) at its seg-source or target, so the record holds all three."""
        u = self.unit
        if u is None:           # only called inside a unit
            return
        pending = u["pending"]
        unit_tag: Tag = u["tag"]
        if parent == "segment":
            seg = u.get("segment")
            holder = seg
            seg_id = seg.attrs.get("id") if seg is not None else None
            key = unit_tag.attrs.get("id", "") + (f"/{seg_id or u['segments']}" if u["segments"] > 1 or seg_id else "")
            final = seg is not None and seg.attrs.get("state") in FINAL_STATES_2
        else:
            holder = pending["target"].tag if pending["target"] is not None else None
            key = unit_tag.attrs.get("id", "")
            final = unit_tag.attrs.get("approved") == "yes" or (
                holder is not None and holder.attrs.get("state") in FINAL_STATES_12)
        name = unit_tag.attrs.get("resname" if self.version == "1.2" else "name") or unit_tag.attrs.get("id", "")
        unit = XUnit(key, name, pending["source"], pending["target"], holder, pending["after"],
                     _indent(self.text, pending["source"].tag.start), not u["no"], final and pending["target"] is not None,
                     len(self.files) - 1, u["notes"])
        if self.units and self.units[-1].source is unit.source:
            self.units[-1] = unit
        else:
            self.units.append(unit)


def _indent(text: str, pos: int) -> str:
    """The white space between the previous tag and ``pos`` (a new target is laid out like the source)."""
    start = text.rfind(">", 0, pos) + 1
    gap = text[start:pos]
    return gap if not gap.strip() else ""


def scan(text: str) -> XliffScan:
    """Raises XliffScanError naming what is wrong."""
    return _XliffScanner(text).run()


__all__ = ["FINAL_STATES_12", "FINAL_STATES_2", "XLIFF12_NS", "XLIFF2_NS", "Element", "XliffScan", "Tag", "XUnit",
           "XliffScanError", "mask", "scan"]
