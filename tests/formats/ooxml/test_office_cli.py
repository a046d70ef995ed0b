"""``qmt translate FOLDER`` on presentations and workbooks beside each other, as a user runs it."""
from __future__ import annotations

import io

from pipeline.cli import main
from pipeline.emulator.pseudo import pseudo_translate


def test_translate_a_folder_of_slides_and_sheets(tmp_path, capsys):
    from openpyxl import load_workbook
    from pptx import Presentation

    from ooxml_support import build_book, build_deck

    folder = tmp_path / "docs"
    (folder / "decks").mkdir(parents=True)
    (folder / "decks" / "q1.pptx").write_bytes(build_deck())
    (folder / "q1.xlsx").write_bytes(build_book())
    out = tmp_path / "p" / "out"
    assert main(["translate", str(folder), "--to", "zh", "--out", str(out), "--emulator"]) == 0
    err = capsys.readouterr().err
    assert "q1.xlsx: sheet 'Tickets': columns translated (detected): D (Note)" in err
    slides = Presentation(io.BytesIO((out / "decks" / "q1.pptx").read_bytes())).slides
    assert slides[0].shapes.title.text == pseudo_translate("Quarterly results", "zh")
    sheet = load_workbook(io.BytesIO((out / "q1.xlsx").read_bytes()))["Tickets"]
    assert sheet["D3"].value == pseudo_translate("Invoice shows the wrong amount", "zh")
    assert sheet["A3"].value == "T-1001" and sheet["C27"].value == "=SUM(C2:C25)"

    identity = tmp_path / "i" / "out"
    assert main(["translate", str(folder), "--to", "zh", "--out", str(identity), "--emulator", "identity"]) == 0
    again = load_workbook(io.BytesIO((identity / "q1.xlsx").read_bytes()))["Tickets"]
    assert [[c.value for c in row] for row in again.iter_rows()] == [[c.value for c in row] for row in
                                                                       load_workbook(folder / "q1.xlsx")["Tickets"].iter_rows()]
