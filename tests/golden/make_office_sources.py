"""Remake the three Office sources of the golden tests (committed, so the tests need nothing).

    .venv/bin/python tests/golden/make_office_sources.py

They are written with python-docx, python-pptx and openpyxl (test extras): independent
writers, so the goldens show what qmt does to a file it did not write itself. Only the
parts the goldens compare matter; the libraries' timestamps in docProps do not.
"""
from __future__ import annotations

from pathlib import Path

import docx
import openpyxl
import pptx
from pptx.util import Inches

HERE = Path(__file__).resolve().parent


def make_docx(path: Path) -> None:
    document = docx.Document()
    document.add_heading("Installing the printer", level=1)
    para = document.add_paragraph("Connect the cable, then press ")
    para.add_run("Power").bold = True
    para.add_run(" for two seconds.")
    document.add_paragraph("Load paper in the lower tray.", style="List Bullet")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Light"
    table.rows[0].cells[1].text = "Ready to print"
    document.save(path)


def make_pptx(path: Path) -> None:
    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Quarterly results"
    body = slide.placeholders[1].text_frame
    body.text = "Revenue grew in every region."
    run = body.add_paragraph().add_run()
    run.text = "Costs stayed flat."
    run.font.italic = True
    slide.shapes.add_textbox(Inches(1), Inches(6), Inches(4), Inches(1)).text_frame.text = "Source: finance team"
    slide.notes_slide.notes_text_frame.text = "Pause here for questions."
    deck.save(path)


def make_xlsx(path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Prices"
    sheet.append(["Item", "Description", "Price"])
    sheet.append(["Kettle", "Boils a litre in three minutes.", 29.9])
    sheet.append(["Toaster", "Two slots, six settings.", 24.5])
    sheet["D2"] = "=C2*1.2"
    book.save(path)


if __name__ == "__main__":
    make_docx(HERE / "docx" / "source" / "manual.docx")
    make_pptx(HERE / "pptx" / "source" / "results.pptx")
    make_xlsx(HERE / "xlsx" / "source" / "prices.xlsx")
