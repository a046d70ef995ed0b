"""Which text cells of a worksheet are translated: its string cells, column by column.

Only cells whose type is text are ever candidates: shared strings (``t="s"``) and
inline strings (``t="inlineStr"``). Formulas and their cached results (``t="str"``),
numbers, dates, booleans and error values are never touched, nor are sheet names,
defined names or data validation formulas (other formulas refer to them), nor the
header cells of tables (their text is the table's column name, used in structured
references).

Each sheet's columns are chosen like a CSV data export's
(:mod:`pipeline.formats.prose_columns`) from their text values below the first row (which
names them, and is translated with its column); a sheet of one row is judged on that
row. A workbook's text is mostly labels, so single words count as text here (a CSV
export needs several words), and in a column of mixed values (labels among codes) each
cell that reads as prose is translated on its own. A ``[[xlsx.files]]`` rule for the file and sheet overrides
the choice.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

from lxml import etree

from pipeline.formats.options import XlsxFileRule
from pipeline.formats.prose_columns import ColumnChoice, choose_columns, keep_language_columns, kind_of, summarize
from pipeline.formats.xlsx.strings import plain_value, x
from pipeline.languages import Language

_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")
_RANGE = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?$")


@dataclass(eq=False)
class TextCell:
    """A text cell: where it is and where its text lives."""

    ref: str
    column: str
    row: int
    el: etree._Element                 # the ``c`` element
    shared: int | None                 # shared string index, or None for an inline string
    holder: etree._Element             # the ``v`` holding that index, or the inline string's ``is``


@dataclass
class SheetChoice:
    """The columns of one sheet that are translated, and why (for reports)."""

    sheet: str
    columns: set[str] = field(default_factory=set)
    choices: list[ColumnChoice] = field(default_factory=list)
    named: bool = False                # a [[xlsx.files]] rule named the columns
    #: Columns of mixed values (labels among codes): their cells that read as prose are translated.
    mixed: set[str] = field(default_factory=set)

    def translates(self, cell: TextCell, value: str) -> bool:
        """Whether this cell's text is translated."""
        return cell.column in self.columns or (cell.column in self.mixed and kind_of(value) == "prose")

    def describe(self) -> str:
        if self.named:
            return f"sheet {self.sheet!r}: columns translated (named by the job): {', '.join(sorted(self.columns))}"
        line = summarize(self.choices, f"sheet {self.sheet!r}")
        if self.mixed:
            line += f"; cells reading as prose in {', '.join(sorted(self.mixed, key=column_number))} are translated too"
        return line


def split_ref(ref: str) -> tuple[str, int] | None:
    m = _REF.match(ref or "")
    return (m.group(1), int(m.group(2))) if m else None


def column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def text_cells(root: etree._Element) -> list[TextCell]:
    """Every shared or inline string cell of a worksheet, in sheet order."""
    out: list[TextCell] = []
    data = root.find(x("sheetData"))
    if data is None:
        return out
    for c in data.iter(x("c")):
        kind = c.get("t")
        if kind not in ("s", "inlineStr") or c.find(x("f")) is not None:
            continue
        where = split_ref(c.get("r", ""))
        if where is None:
            continue
        if kind == "s":
            v = c.find(x("v"))
            if v is None or v.text is None or not v.text.strip().isdigit():
                continue
            out.append(TextCell(c.get("r", ""), where[0], where[1], c, int(v.text), v))
        elif (inline := c.find(x("is"))) is not None:
            out.append(TextCell(c.get("r", ""), where[0], where[1], c, None, inline))
    return out


def table_headers(tables: list[etree._Element]) -> set[str]:
    """Cell references of the header rows of a sheet's tables (``xl/tables/*.xml`` roots)."""
    refs: set[str] = set()
    for table in tables:
        m = _RANGE.match(table.get("ref", ""))
        if not m or table.get("headerRowCount", "1") == "0":
            continue
        first, row, last = column_number(m.group(1)), int(m.group(2)), column_number(m.group(3) or m.group(1))
        refs.update(f"{_letters(n)}{row}" for n in range(first, last + 1))
    return refs


def _letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def choose_sheet_columns(sheet: str, cells: list[TextCell], value_of: Callable[[TextCell], str],
                         rule: XlsxFileRule | None, source: Language | None = None) -> SheetChoice:
    """The translated columns of one sheet: a rule's, else detected from the values; a
    detected column whose first row names a language other than ``source`` is kept."""
    columns = sorted({c.column for c in cells}, key=column_number)
    first_row = min((c.row for c in cells), default=0)
    header = {c.column: value_of(c) for c in cells if c.row == first_row}
    names = [f"{col} ({header[col]})" if col in header else col for col in columns]
    keep = set(_resolve(rule.keep, columns, header)) if rule else set()
    if rule and rule.columns:
        chosen = set(_resolve(rule.columns, columns, header)) - keep
        return SheetChoice(sheet, chosen, [], named=True)
    # With rows below it, the first row names the columns and is not evidence of their content.
    body = [c for c in cells if c.row > first_row] or cells
    by_column: dict[str, list[str]] = {col: [] for col in columns}
    for c in body:
        by_column[c.column].append(value_of(c))
    longest = max((len(v) for v in by_column.values()), default=0)
    rows = [[by_column[col][i] if i < len(by_column[col]) else "" for col in columns] for i in range(longest)]
    hints = [header.get(col, "") for col in columns]
    choices = keep_language_columns(choose_columns(hints, rows, min_words=1.0), hints, source)
    choices = [ColumnChoice(i, names[i], False, "kept by the job", "job") if columns[i] in keep
               else ColumnChoice(i, names[i], ch.translate, ch.reason, ch.basis) for i, ch in enumerate(choices)]
    mixed = {columns[ch.index] for ch in choices if not ch.translate and ch.basis == "values"}
    return SheetChoice(sheet, {columns[ch.index] for ch in choices if ch.translate}, choices, mixed=mixed)


def _resolve(wanted: tuple[str, ...], columns: list[str], header: dict[str, str]) -> list[str]:
    """Columns named by letter ("C") or by their first-row text ("Comment")."""
    out = []
    for name in wanted:
        if name.upper() in columns:
            out.append(name.upper())
        else:
            out += [col for col, text in header.items() if text.strip().casefold() == name.strip().casefold()]
    return out


_QUOTED = re.compile(r'"((?:[^"]|"")*)"')


def literals_in_use(root: etree._Element) -> set[str]:
    """Text a worksheet's logic depends on: string literals in formulas (``=IF(E2="open",…)``),
    autofilter values and data validation lists. A cell holding such text keeps it, or the
    formula, the filter or the validation would stop matching."""
    found: set[str] = set()
    for f in root.iter(x("f"), x("formula1"), x("formula2")):
        for m in _QUOTED.finditer(f.text or ""):
            value = m.group(1).replace('""', '"')
            found.add(value)
            if f.tag != x("f"):  # a list validation: "open,closed"
                found.update(v.strip() for v in value.split(","))
    found.update(el.get("val", "") for el in root.iter(x("filter")))
    return {v for v in found if v.strip()}


def string_value(cell: TextCell, shared: Mapping[int, etree._Element]) -> str:
    """The text of a cell: its shared string (by index; the table read holds those the cells
    use) or its inline string."""
    if cell.shared is None:
        return plain_value(cell.holder)
    item = shared.get(cell.shared)
    return plain_value(item) if item is not None else ""


__all__ = ["SheetChoice", "TextCell", "choose_sheet_columns", "literals_in_use", "split_ref", "string_value",
           "table_headers", "text_cells"]
