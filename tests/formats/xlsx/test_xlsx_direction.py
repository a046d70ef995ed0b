"""Right-to-left workbooks: every worksheet reads from the right, left/right cell alignment mirrored."""
from __future__ import annotations

import io

from pipeline.emulator.pseudo import pseudo_translate
from pipeline.languages import lookup


def aligned_book() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    wb = Workbook()
    ws = wb.active
    ws.title = "Notes"
    ws.append(["Comment", "Amount"])
    ws.append(["The invoice shows the wrong amount for the quarter", 12.5])
    ws.append(["Check this one with the billing team before Friday", 7])
    ws["A2"].alignment = Alignment(horizontal="left")
    ws["B2"].alignment = Alignment(horizontal="right")
    ws["A3"].alignment = Alignment(horizontal="center")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def reread(load_xlsx, code: str):
    from openpyxl import load_workbook

    doc = load_xlsx(aligned_book())
    out = doc.rebuild(lookup(code), {s.id: pseudo_translate(s.text, code) for s in doc.segments()})
    doc.verify(out)
    return load_workbook(io.BytesIO(out))["Notes"]


def test_right_to_left_sheets_and_mirrored_alignment(load_xlsx):
    for code in ("ar", "he"):
        ws = reread(load_xlsx, code)
        assert ws.sheet_view.rightToLeft is True
        assert [ws[ref].alignment.horizontal for ref in ("A2", "B2", "A3")] == ["right", "left", "center"]
        assert ws["B2"].value == 12.5 and ws["A2"].value.startswith(f"⟦{code}⟧")


def test_chinese_keeps_the_layout(load_xlsx):
    ws = reread(load_xlsx, "zh")
    assert not ws.sheet_view.rightToLeft
    assert [ws[ref].alignment.horizontal for ref in ("A2", "B2", "A3")] == ["left", "right", "center"]
