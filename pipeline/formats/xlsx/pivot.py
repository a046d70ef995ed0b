"""Pivot tables: the captions a reader sees, never the names that match the source data.

A pivot table (``xl/pivotTables/pivotTableN.xml``) stores display text of its own:

* ``rowHeaderCaption``, ``colHeaderCaption``, ``grandTotalCaption``, ``dataCaption``,
  ``errorCaption`` and ``missingCaption`` (each only when the file stores it);
* ``dataField/@name`` ("Sum of Hours") and ``pivotField/@name`` (a field's caption, set
  when the user renamed the field in the pivot table).

Its cache (``pivotCacheDefinition``: ``cacheField`` names, shared items; the records) is
the source data's own text, matched against the source range at every refresh: never
translated. Nor is a caption that a formula quotes (``GETPIVOTDATA("Sum of Hours", …)``).

Excel renders "Row Labels", "Column Labels", "Grand Total" and "Values" in the reader's
own language when no caption is stored, so none is added: a stored caption would
override the reader's locale. A translated caption must stay unique: a data field or
field caption equal to a cache field's name or to another caption of its kind makes
Excel repair the file, so such a translation keeps its source (reported as a fallback).

The pivot table's cells in the sheet are what Excel showed when it last refreshed: a cell
showing a caption (or one of the default labels above) is translated like the caption,
and a cell showing a cache field's name is kept (the source header it names is kept too),
so the sheet agrees with the table it shows until the next refresh. Other cells (items,
which a refresh takes from the source cells, a subtotal's label such as "North Total", a
default label written in another language) follow the sheet's own rules, as before.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping

from lxml import etree

from pipeline.formats.ooxml.package import ZipParts
from pipeline.formats.ooxml.runs import plain_segment, plain_translation
from pipeline.formats.xlsx.sheets import column_number, split_ref
from pipeline.formats.xlsx.strings import x

#: Captions of the whole pivot table, as attributes of ``pivotTableDefinition``.
TABLE_CAPTIONS = ("rowHeaderCaption", "colHeaderCaption", "grandTotalCaption", "dataCaption", "errorCaption",
                  "missingCaption")
#: The labels Excel writes in the cells when no caption is stored (English source only).
DEFAULT_LABELS = frozenset({"row labels", "column labels", "grand total", "values"})


@dataclass(frozen=True)
class Caption:
    """One caption: where it is (an element and its attribute) and its group of unique names."""

    id: str
    el: etree._Element
    attr: str
    group: str          # "table", "dataField", "pivotField"

    @property
    def text(self) -> str:
        return self.el.get(self.attr, "")


@dataclass
class Pivot:
    """One pivot table: its part, its captions, its cache's field names, its cells."""

    part: str
    captions: list[Caption]
    cache_fields: set[str]          # case-folded
    area: tuple[int, int, int, int] | None      # first column, first row, last column, last row

    def covers(self, ref: str) -> bool:
        where = split_ref(ref)
        if where is None or self.area is None:
            return False
        col, row = column_number(where[0]), where[1]
        c1, r1, c2, r2 = self.area
        return c1 <= col <= c2 and r1 <= row <= r2


@dataclass
class PivotCells:
    """The cells of a sheet's pivot tables: those showing a caption, and the rest."""

    captions: set[str] = field(default_factory=set)
    kept: set[str] = field(default_factory=set)


def read_pivots(package: ZipParts, sheet_part: str, quoted: Callable[[str], bool]) -> list[Pivot]:
    """The pivot tables of a sheet; ``quoted(text)``: a formula finds something by this text."""
    out = []
    for part in package.related(sheet_part, "pivotTable"):
        root = package.xml(part).getroot()
        caches = package.related(part, "pivotCacheDefinition")
        roots = [package.xml(cache).getroot() for cache in caches]
        names = {c.get("name", "").casefold() for cache in roots for c in cache.iter(x("cacheField"))}
        captions = [c for c in _captions(part, root) if c.text.strip() and not quoted(c.text)]
        location = root.find(x("location"))
        out.append(Pivot(part, captions, names,
                         _area(location.get("ref", "")) if location is not None else None))
    return out


def _captions(part: str, root: etree._Element) -> Iterator[Caption]:
    for attr in TABLE_CAPTIONS:
        if root.get(attr) is not None:
            yield Caption(f"{part}#pivot/{attr}", root, attr, "table")
    for group, parent in (("pivotField", "pivotFields"), ("dataField", "dataFields")):
        holder = root.find(x(parent))
        for i, el in enumerate(holder.findall(x(group)) if holder is not None else ()):
            if el.get("name") is not None:
                yield Caption(f"{part}#pivot/{group}/{i}", el, "name", group)


def _area(ref: str) -> tuple[int, int, int, int] | None:
    first, _, last = ref.partition(":")
    a, b = split_ref(first), split_ref(last or first)
    if a is None or b is None:
        return None
    return column_number(a[0]), a[1], column_number(b[0]), b[1]


def pivot_cells(pivots: list[Pivot], refs_and_values: list[tuple[str, str]]) -> PivotCells:
    """Sort a sheet's text cells inside its pivot tables: showing a caption (translated),
    showing a cache field's name (kept, as the source header it comes from is), or neither
    (an item, a subtotal's label, a default label in another language: the sheet's rules)."""
    out = PivotCells()
    for ref, value in refs_and_values:
        inside = [p for p in pivots if p.covers(ref)]
        key = value.strip().casefold()
        if not inside:
            continue
        if key in {c.text.strip().casefold() for p in inside for c in p.captions} | DEFAULT_LABELS:
            out.captions.add(ref)
        elif any(key in p.cache_fields for p in inside):
            out.kept.add(ref)
    return out


def caption_segments(pivot: Pivot) -> list[tuple[str, str]]:
    """(id, segment) of each caption of a pivot table."""
    return [(c.id, plain_segment(c.text)) for c in pivot.captions]


def caption_texts(pivot: Pivot, root: etree._Element) -> dict[str, str]:
    """id -> segment of this pivot table's captions as ``root`` (an output's copy) holds them."""
    wanted = {c.id for c in pivot.captions}
    return {c.id: plain_segment(c.text) for c in _captions(pivot.part, root) if c.id in wanted}


def rebuild_captions(pivot: Pivot, root: etree._Element, translations: Mapping[str, str]
                     ) -> tuple[bool, dict[str, str]]:
    """Write translated captions into ``root`` (the pivot table part parsed afresh);
    (changed, fallbacks: id -> why the source was kept)."""
    wanted = {c.id for c in pivot.captions}
    captions = [c for c in _captions(pivot.part, root) if c.id in wanted]
    new = {c.id: plain_translation(translations[c.id], c.text) for c in captions if c.id in translations}
    final = {c.id: new.get(c.id, c.text) for c in captions}
    fallbacks: dict[str, str] = {}
    for c in captions:
        if c.id not in new:
            continue
        why = _clash(c, captions, final, pivot.cache_fields)
        if why is not None:
            fallbacks[c.id] = why
            final[c.id] = c.text
    for c in captions:
        if c.id in new and c.id not in fallbacks:
            c.el.set(c.attr, new[c.id])
    return any(c.id in new and c.id not in fallbacks for c in captions), fallbacks


def _clash(caption: Caption, captions: list[Caption], final: Mapping[str, str], cache_fields: set[str]) -> str | None:
    """Why a translated field caption cannot be written: Excel wants them unique."""
    if caption.group == "table":
        return None
    text = final[caption.id].strip().casefold()
    if text in cache_fields and text != caption.text.strip().casefold():
        return f"the translation {final[caption.id]!r} is the name of a field of the pivot cache"
    if any(c.group == caption.group and c.id != caption.id and final[c.id].strip().casefold() == text
           for c in captions):
        return f"the translation {final[caption.id]!r} is another {caption.group} caption's too"
    return None


__all__ = ["Caption", "DEFAULT_LABELS", "Pivot", "PivotCells", "TABLE_CAPTIONS", "caption_segments", "caption_texts", "pivot_cells",
           "read_pivots", "rebuild_captions"]
