"""Excel test material: a workbook written by openpyxl (a second writer and reader)."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from pipeline.formats.base import LoadContext
from pipeline.formats.options import XlsxOptions
from pipeline.formats.xlsx import HANDLER, XlsxDocument


def _load(data: bytes, name: str = "book.xlsx", **options) -> XlsxDocument:
    return HANDLER.load(LoadContext(Path(name), data, XlsxOptions(**options), None, (), relpath=name))


@pytest.fixture
def load_xlsx():
    """load_xlsx(data, name="book.xlsx", **options) -> XlsxDocument."""
    return _load


def build_book() -> bytes:
    """Two sheets of records: prose beside IDs, numbers, dates, formulas, booleans, an error
    value, a URL column, an enumeration; a defined name, a data validation, a comment.
    The phrase "Call the customer back" is both a note (translated) and a code-like status
    elsewhere (kept), so its shared string must be split."""
    import datetime

    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "Tickets"
    ws.append(["Ticket ID", "Opened", "Amount", "Note", "Status", "Link", "Urgent"])
    notes = ["Customer cannot log in after the update", "Invoice shows the wrong amount",
             "Call the customer back", "Package arrived damaged and late", "Refund approved by the manager",
             "Password reset email never arrives"]
    for i in range(24):
        ws.append([f"T-{1000 + i}", datetime.date(2024, 1, 1 + i), 19.5 * i, notes[i % len(notes)],
                   ("open", "closed")[i % 2], f"https://example.com/t/{i}", i % 3 == 0])
    ws["C27"] = "=SUM(C2:C25)"
    ws["D27"] = "=\"Total for \"&A2"
    ws["E27"] = "#N/A"
    ws["F27"] = "Call the customer back"  # the same text in a kept column
    ws["D2"].comment = Comment("Check this one with the billing team", "Ana")
    wb.defined_names["Totals"] = DefinedName("Totals", attr_text="Tickets!$C$27")
    dv = DataValidation(type="list", formula1='"open,closed"')
    ws.add_data_validation(dv)
    dv.add("E2:E25")
    other = wb.create_sheet("Summary")
    other["A1"] = "This sheet sums up the tickets of the quarter"
    other["B1"] = "=Tickets!C27"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture(scope="session")
def book() -> bytes:
    return build_book()
