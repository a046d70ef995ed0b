"""Acceptance over ../shared/corpus/xlsx (files saved by Excel, from rust_xlsxwriter's tests):
identity keeps every cell's value and type; pseudo translates the prose cells and changes no
formula, number, date, sheet name or defined name (openpyxl is the independent reader)."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from pipeline.emulator.pseudo import pseudo_translate, reverse_pseudo
from pipeline.formats.prose_columns import kind_of
from pipeline.languages import lookup

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "xlsx"
FILES = sorted(CORPUS.glob("*.xlsx")) if CORPUS.is_dir() else []
pytestmark = pytest.mark.needs_shared


def workbook(data: bytes):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(data))


def cells(wb) -> dict[tuple[str, str], tuple[object, str]]:
    # ws._cells holds only stored cells: iterating rows would walk a sheet's whole used range.
    return {(ws.title, c.coordinate): (c.value, c.data_type) for ws in wb.worksheets for c in ws._cells.values()}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_identity_keeps_every_cell_value_and_type(path, load_xlsx):
    data = path.read_bytes()
    doc = load_xlsx(data, name=path.name)
    out = doc.rebuild(lookup("en"), {s.id: s.text for s in doc.segments()})
    doc.verify(out)
    before, after = workbook(data), workbook(out)
    assert cells(after) == cells(before)
    assert after.sheetnames == before.sheetnames


def test_pseudo_translates_prose_cells_and_keeps_every_other_value(load_xlsx):
    prose = translated = 0
    for path in FILES:
        data = path.read_bytes()
        doc = load_xlsx(data, name=path.name)
        out = doc.rebuild(lookup("zh"), {s.id: pseudo_translate(s.text, "zh") for s in doc.segments()})
        doc.verify(out)
        before_wb, after_wb = workbook(data), workbook(out)
        assert after_wb.sheetnames == before_wb.sheetnames
        assert list(after_wb.defined_names) == list(before_wb.defined_names)
        before, after = cells(before_wb), cells(after_wb)
        assert before.keys() == after.keys()
        for key, (value, kind) in before.items():
            if kind != "s":  # numbers, dates, formulas, booleans, errors
                assert after[key] == (value, kind), (path.name, key)
                continue
            assert after[key][1] == "s"
            if after[key][0] != value:
                assert reverse_pseudo(after[key][0], "zh") == value, (path.name, key)
            if kind_of(value) == "prose":
                prose += 1
                translated += after[key][0] != value
    assert prose >= 5 and translated / prose >= 0.98, (translated, prose)
