"""Where a CSV file's table is: its width, its header, and the records kept as they are.

Exports do not always start with the header nor keep every row to its width: a bank
statement opens with an account summary, a report with "Exported 2026-01-03" and a
blank line, a spreadsheet pads its title line with delimiters, a summary line closes
the table, a row lacks its trailing empty field. Such records are neither refused nor
read: they are copied through byte for byte and reported (:func:`kept_report`).

The rule (:func:`find_shape`), from the first :data:`SAMPLE_RECORDS` non-blank records:

1. The table's **width** is the commonest field count (on a tie, the larger) among the
   records of the biggest block, a block being the records between blank lines and the
   biggest the one holding the most cells (on a tie, the later): the table, not a bank
   statement's block of two-field summary lines above it.
2. The **header** is the first record of that width, except a title padded with
   delimiters (only its first field holds text, and the table has three or more
   columns): spreadsheets save a title line that way.
3. One exception: a record above that one, in the same unbroken run of records (no
   blank line between), that has more fields than the width, or at least two fields
   and half the width and ends with a delimiter (``When,Notes,`` above rows of four
   fields), is the header (the topmost such record): a header naming fewer or more
   columns than its rows have, as some exports write it (and Excel, which drops the
   trailing empty fields of rows past the sixteenth). Unnamed columns are read as
   "column N"; names beyond the width are dropped. The rows between it and the first
   full-width row are ragged rows. Excel's delimiter line (``sep=;``) is never a header.
4. Every record above the header is a title line; every record below it of another
   width is a ragged row. Both are kept as they are. Blank lines are kept and never
   reported. Without a header (``[csv] header = false``), only rule 1 applies.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from pipeline.formats.csv.records import CsvRecord

#: Non-blank records looked at to find the width and the header.
SAMPLE_RECORDS = 1000
#: Kept stretches reported one by one; the rest are summed up in one line.
MAX_REPORTED = 20

HEADER, ROW, KEPT, BLANK = "header", "row", "kept", "blank"


@dataclass(frozen=True, slots=True)
class Shape:
    """The table of a file: ``width`` fields a row, the header's record number (counting
    every record from 0, blank ones included; None without a header) and its width."""

    width: int
    header: int | None
    header_width: int
    #: The header record's raw fields and line (empty and 0 without a header).
    header_fields: tuple[str, ...] = ()
    header_line: int = 0

    def kind(self, n: int, rec: CsvRecord) -> str:
        """What record number ``n`` is: HEADER, ROW, KEPT (read no further) or BLANK."""
        if self.header is not None and n <= self.header:
            return HEADER if n == self.header else (BLANK if rec.blank else KEPT)
        if rec.blank:
            return BLANK
        return ROW if len(rec.fields) == self.width else KEPT


def find_shape(records: Iterable[CsvRecord], has_header: bool) -> Shape | None:
    """The shape of the table the records make up (None: no non-blank record).
    Reads at most SAMPLE_RECORDS non-blank records; the caller closes the iterator."""
    sample: list[tuple[int, CsvRecord]] = []
    for n, rec in enumerate(records):
        if not rec.blank:
            sample.append((n, rec))
            if len(sample) >= SAMPLE_RECORDS:
                break
    if not sample:
        return None
    width = _width(sample)
    if not has_header:
        return Shape(width, None, width)
    full = [(n, rec) for n, rec in sample if len(rec.fields) == width]
    n, rec = next(((n, rec) for n, rec in full if not _padded_title(rec, width)), full[0])
    n, rec = _header_above(sample, n, rec, width)
    return Shape(width, n, len(rec.fields), tuple(rec.fields), rec.line)


def _width(sample: list[tuple[int, CsvRecord]]) -> int:
    """The commonest field count (on a tie, the larger) among the records of the biggest
    block: records between blank lines, the biggest holding the most cells (on a tie, the
    later one)."""
    blocks: list[list[CsvRecord]] = []
    previous = -2
    for n, rec in sample:
        if n != previous + 1:
            blocks.append([])
        blocks[-1].append(rec)
        previous = n
    biggest = max(reversed(blocks), key=lambda block: sum(len(rec.fields) for rec in block))
    counts: dict[int, int] = {}
    for rec in biggest:
        counts[len(rec.fields)] = counts.get(len(rec.fields), 0) + 1
    return max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0]


def _header_above(sample: list[tuple[int, CsvRecord]], n: int, rec: CsvRecord, width: int
                  ) -> tuple[int, CsvRecord]:
    """The header for the first full-width record ``rec`` (record number ``n``): the topmost
    record of the unbroken run of records (no blank line) leading down to it that reads as a
    header of another width (:func:`_odd_header`), else ``rec`` itself."""
    found = (n, rec)
    index = next(i for i, (m, _) in enumerate(sample) if m == n)
    while index > 0 and sample[index - 1][0] == sample[index][0] - 1:
        index -= 1
        if _odd_header(sample[index][1].fields, width):
            found = sample[index]
    return found


def _odd_header(fields: list[str], width: int) -> bool:
    """Whether a first record right above the rows is their header though its width differs:
    more fields than the rows, or at least half as many ending with a delimiter (``a,b,c,``)."""
    if fields[0].strip().casefold().startswith("sep="):
        return False  # Excel's delimiter line (sep=; or sep=,): a title line, never a header
    if len(fields) > width:
        return True
    return 2 <= len(fields) < width and 2 * len(fields) >= width and not fields[-1].strip()


def _padded_title(rec: CsvRecord, width: int) -> bool:
    """A title line a spreadsheet padded with delimiters: ``KNAB EXPORT;;;;;;``."""
    return width >= 3 and bool(rec.fields[0].strip()) and not any(f.strip() for f in rec.fields[1:])


def _lines(first: int, last: int) -> str:
    return f"line {first}" if first == last else f"lines {first}-{last}"


class KeptReport:
    """The records kept as they are, in file order, as one report line per stretch; only
    the first MAX_REPORTED stretches are held (then a count): nothing is kept per row."""

    def __init__(self, shape: Shape, header_line: int | None):
        self._shape = shape
        self._header_line = header_line
        self._above = False                              # a non-blank record above the header
        self._runs: list[tuple[int, int, int]] = []      # ragged stretches: first line, last line, fields
        self._open: tuple[int, int, int] | None = None   # the stretch still growing
        self._rest: tuple[int, int, int] | None = None   # past MAX_REPORTED: first line, last line, stretches

    def add(self, rec: CsvRecord) -> None:
        """Note one KEPT record."""
        if self._header_line is not None and rec.line < self._header_line:
            self._above = True
            return
        count, last = len(rec.fields), rec.line + _extra_lines(rec)
        run = self._open
        if run is not None and run[2] == count and run[1] + 1 == rec.line:
            self._open = (run[0], last, count)
            return
        self._close()
        self._open = (rec.line, last, count)

    def _close(self) -> None:
        run, self._open = self._open, None
        if run is None:
            return
        if len(self._runs) < MAX_REPORTED:
            self._runs.append(run)
        else:
            first, _, stretches = self._rest or (run[0], run[1], 0)
            self._rest = (first, run[1], stretches + 1)

    def lines(self) -> list[str]:
        """One "where: what" line per stretch (at most MAX_REPORTED, then one line for the rest)."""
        self._close()
        out: list[str] = []
        if self._above and self._header_line is not None:
            out.append(f"{_lines(1, self._header_line - 1)}: above the header (a title or summary), kept as is")
        for first, last, count in self._runs:
            out.append(f"{_lines(first, last)}: {count} field{'' if count == 1 else 's'} where "
                       f"{self._where()}, kept as is")
        if self._rest is not None:
            first, last, stretches = self._rest
            out.append(f"{_lines(first, last)}: {stretches} more stretches of rows of another width, kept as is")
        return out

    def _where(self) -> str:
        shape = self._shape
        if shape.header is None:
            return f"the table has {shape.width}"
        if shape.header_width == shape.width:
            return f"the header has {shape.width}"
        return f"the table's rows have {shape.width}"


def _extra_lines(rec: CsvRecord) -> int:
    """Physical lines a record spans beyond its first (quoted line breaks)."""
    body = "".join(rec.fields)
    return body.count("\n") + body.count("\r") - body.count("\r\n")
