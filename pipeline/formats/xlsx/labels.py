"""Header labels of kept columns: "Hours", "Opened", "mail link" are words a reader sees.

(The header of a translated column goes with its column, under the same exception.)

A column kept as data (dates, amounts, links, an enumeration) still has a header cell
naming it, and that name is a label like any other. It is translated, except when
something finds the column *by that text*, which would stop finding it:

* a formula: a structured reference (``Table1[Hours]``, ``[@Hours]``), or any formula that
  quotes the text (``MATCH("Hours", 1:1, 0)``, ``INDEX(…, MATCH("Hours", …))``), in a
  cell, a defined name, a conditional format or a data validation;
* an autofilter (a filter value or a custom filter's value) or a data-validation list,
  written out (``"Hours,Days"``) or taken from cells (``Lists!$A$1:$D$1``, a defined name);
* a conditional format testing for the text (``containsText``);
* a table: its header cells *are* its ``tableColumn`` names. They are never translated:
  translating both the cell and the column name consistently would also need every
  structured reference rewritten, here and in workbooks, queries and macros that point
  at this table and that we cannot see, so both are left as they are;
* a pivot cache: its ``cacheField`` names are the source range's header texts, matched
  again at every refresh (a renamed header drops the field from the pivot table).

Texts are compared without case (Excel's lookups and structured references ignore it).
A sheet of translations (a column whose header names a language is kept:
:func:`pipeline.formats.prose_columns.keep_language_columns`) keeps its whole header row:
the tools that read it find their columns by those names. A ``[[xlsx.files]]`` rule is
followed to the letter: with ``columns``, only those
columns (and their headers) are translated; a ``keep`` column keeps its header too.
Only the first row with text is a header row, and only when rows follow it; a cell is a
label when it reads as words (not a code such as ``ticket_id``) and its text is not also
one of the column's values (a sheet without a header row starts with data). The job key
``[xlsx] header_labels = false`` keeps every header of a kept column.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from lxml import etree

from pipeline.formats.ooxml.package import ZipParts
from pipeline.formats.prose_columns import kind_of
from pipeline.formats.xlsx.sheets import SheetChoice, TextCell, column_number, literals_in_use, text_cells
from pipeline.formats.xlsx.strings import x

_QUOTED = re.compile(r'"((?:[^"]|"")*)"')
#: A structured reference's column: ``[Hours]``, ``[@Hours]``, ``[[#Data],[Hours]]``; ``'`` escapes ``[]#'@``.
_BRACKETED = re.compile(r"\[@?((?:'.|[^\[\]'])+)\]")


@dataclass
class References:
    """Texts something in the workbook finds a column by (case-folded), with why."""

    why: dict[str, str] = field(default_factory=dict)

    def add(self, texts: Iterable[str], reason: str) -> None:
        for text in texts:
            key = text.strip().casefold()
            if key:
                self.why.setdefault(key, reason)

    def reason(self, text: str) -> str | None:
        return self.why.get(text.strip().casefold())


def formula_references(formulas: Iterable[str]) -> tuple[set[str], set[str]]:
    """(quoted strings, structured-reference column names) in formulas."""
    quoted: set[str] = set()
    names: set[str] = set()
    for f in formulas:
        quoted.update(m.group(1).replace('""', '"') for m in _QUOTED.finditer(f))
        bare = _QUOTED.sub("", f)
        for m in _BRACKETED.finditer(bare):
            name = re.sub(r"'(.)", r"\1", m.group(1))
            if not name.startswith("#"):
                names.add(name)
    return quoted, names


def sheet_references(root: etree._Element, refs: References) -> None:
    """What a worksheet's formulas, filters, validations and conditional formats refer to."""
    formulas = [el.text or "" for el in root.iter(x("f"), x("formula"), x("formula1"), x("formula2"))]
    quoted, names = formula_references(formulas)
    refs.add(names, "a structured reference names it")
    refs.add(quoted, "a formula quotes it")
    refs.add(literals_in_use(root), "a formula, filter or validation list tests for it")
    refs.add((el.get("val", "") for el in root.iter(x("customFilter"))), "an autofilter's custom filter tests for it")
    refs.add((el.get("text", "") for el in root.iter(x("cfRule"))), "a conditional format tests for it")


def workbook_references(workbook: etree._Element, refs: References) -> None:
    """Defined names' formulas (``MATCH("Hours", …)`` in a named formula)."""
    quoted, names = formula_references(el.text or "" for el in workbook.iter(x("definedName")))
    refs.add(names, "a structured reference in a defined name names it")
    refs.add(quoted, "a defined name's formula quotes it")


def all_references(package: ZipParts, main: str, sheet_roots: Mapping[str, etree._Element]) -> References:
    """Everything in the workbook that finds a column by its header text."""
    refs = References()
    for part, root in sheet_roots.items():
        sheet_references(root, refs)
        for table in package.related(part, "table"):
            table_references(package.xml(table).getroot(), refs)
    workbook_references(package.xml(main).getroot(), refs)
    for cache in package.related(main, "pivotCacheDefinition"):
        pivot_cache_references(package.xml(cache).getroot(), refs)
    return refs


def table_references(table: etree._Element, refs: References) -> None:
    refs.add((c.get("name", "") for c in table.iter(x("tableColumn"))), "a table's column name")


def pivot_cache_references(cache: etree._Element, refs: References) -> None:
    refs.add((c.get("name", "") for c in cache.iter(x("cacheField"))), "a pivot cache field is named by it")


@dataclass
class HeaderLabels:
    """The header cells of kept columns that are translated, and those kept with why."""

    translated: set[str] = field(default_factory=set)
    #: Headers of translated columns kept all the same: something finds the column by them.
    blocked: set[str] = field(default_factory=set)
    kept: list[tuple[str, str, str]] = field(default_factory=list)   # (ref, text, why)
    #: Why no header of a kept column is translated on this sheet, if none is.
    whole_row: str = ""

    def describe(self, sheet: str) -> str | None:
        """One line for the run report: the header labels left in the source, and why."""
        if self.whole_row:
            return f"sheet {sheet!r}: header labels of kept columns kept untranslated ({self.whole_row})"
        if not self.kept:
            return None
        kept = "; ".join(f"{ref} {text!r} ({why})" for ref, text, why in self.kept)
        return f"sheet {sheet!r}: header labels kept untranslated: {kept}"


def last_row(root: etree._Element) -> int:
    """The last row of a worksheet holding a value of any kind (a number under "Hours")."""
    data = root.find(x("sheetData"))
    rows = [int(r.get("r", "0")) for r in data.iter(x("row")) if r.get("r", "").isdigit()
            and any(c.find(x("v")) is not None or c.find(x("is")) is not None for c in r)] if data is not None else []
    return max(rows, default=0)


def header_labels(cells: list[TextCell], table_headers: set[str], choice: SheetChoice,
                  value_of: Callable[[TextCell], str], refs: References, last: int) -> HeaderLabels:
    """The first-row cells of the columns ``choice`` keeps that are labels to translate
    (``last``: the sheet's last row with a value, :func:`last_row`)."""
    out = HeaderLabels()
    if not cells or choice.named:
        return out      # the job named the columns to translate: exactly those
    if any(ch.basis == "language" for ch in choice.choices):
        # A sheet of translations (a column per language): tools find its columns by these names.
        out.whole_row = "the sheet holds translations in columns its header row names by language"
        return out
    # Columns a [[xlsx.files]] rule keeps are kept whole, header included.
    by_job = {ch.name.split(" ", 1)[0] for ch in choice.choices if ch.basis == "job"}
    first_row = min(c.row for c in cells)
    body: dict[str, set[str]] = {}
    for c in cells:
        if c.row > first_row:
            body.setdefault(c.column, set()).add(value_of(c).strip().casefold())
    if last <= first_row:
        return out      # one row: no header row to speak of
    for cell in sorted((c for c in cells if c.row == first_row), key=lambda c: column_number(c.column)):
        text = value_of(cell)
        if not text.strip() or kind_of(text) not in ("word", "prose"):
            continue    # not words: a code, a number, a date
        if cell.column in by_job:
            continue    # kept by the job
        if cell.ref not in table_headers and choice.translates(cell, text):
            # Translated with its column, unless something finds the column by this text.
            if (found := refs.reason(text)) is not None:
                out.blocked.add(cell.ref)
                out.kept.append((cell.ref, text, found))
            continue
        why = _kept_because(cell, text, table_headers, body, refs)
        if why is None:
            out.translated.add(cell.ref)
        else:
            out.kept.append((cell.ref, text, why))
    return out


def _kept_because(cell: TextCell, text: str, table_headers: set[str], body: dict[str, set[str]],
                  refs: References) -> str | None:
    if cell.ref in table_headers:
        return "a table's column name: structured references use it"
    if text.strip().casefold() in body.get(cell.column, set()):
        return "also a value of its column: not a header"
    return refs.reason(text)




_RANGE_REF = re.compile(r"^=?(?:(?:'((?:[^']|'')+)'|([^'!:\s]+))!)?\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?$")


@dataclass(frozen=True)
class ListSource:
    """The cells a list validation offers: a range on a sheet (None: the validation's own)."""

    sheet: str | None
    first: tuple[int, int]      # column number, row
    last: tuple[int, int]

    def holds(self, column: str, row: int) -> bool:
        n = column_number(column)
        return self.first[0] <= n <= self.last[0] and self.first[1] <= row <= self.last[1]


def list_sources(root: etree._Element, names: Mapping[str, str]) -> list[ListSource]:
    """The ranges a worksheet's list validations take their values from (``$A$2:$A$9``,
    ``Lists!$A$2:$A$9``, a defined name for one; Excel 2010's ``x14`` validations too).
    Their cells' texts are values other cells were chosen from: a translated list would
    no longer offer them."""
    out = []
    for el in root.iter():
        if not isinstance(el.tag, str) or etree.QName(el).localname != "dataValidation" or el.get("type") != "list":
            continue
        for f in el.iter():
            if not isinstance(f.tag, str) or etree.QName(f).localname not in ("formula1", "f"):
                continue
            text = (f.text or "").strip()
            source = _range(names.get(text.casefold(), text))
            if source is not None:
                out.append(source)
    return out


def _range(text: str) -> ListSource | None:
    m = _RANGE_REF.match(text.strip())
    if not m:
        return None
    sheet = m.group(1).replace("''", "'") if m.group(1) else m.group(2)
    first = (column_number(m.group(3)), int(m.group(4)))
    last = (column_number(m.group(5)), int(m.group(6))) if m.group(5) else first
    return ListSource(sheet, first, last)


def defined_ranges(workbook: etree._Element) -> dict[str, str]:
    """Workbook-level defined names (case-folded) -> their formula: ``Choices`` -> ``Lists!$A$2:$A$9``."""
    return {el.get("name", "").casefold(): el.text or "" for el in workbook.iter(x("definedName"))
            if el.get("localSheetId") is None}


def validation_list_texts(sheets: Mapping[str, etree._Element], names: Mapping[str, str],
                          value_of: Callable[[TextCell], str]) -> set[str]:
    """The texts of the cells list validations take their values from (``sheets``: sheet
    name -> worksheet root), kept wherever they are, as a literal list's values are."""
    out: set[str] = set()
    for name, root in sheets.items():
        for source in list_sources(root, names):
            target = sheets.get(source.sheet or name)
            if target is not None:
                out.update(value_of(c) for c in text_cells(target) if source.holds(c.column, c.row))
    return {t for t in out if t.strip()}


__all__ = ["HeaderLabels", "ListSource", "References", "all_references", "defined_ranges", "formula_references",
           "header_labels", "last_row", "list_sources", "pivot_cache_references", "sheet_references",
           "table_references", "validation_list_texts", "workbook_references"]
