"""Acceptance over real workbooks in tests/corpus/xlsx/poi (Apache POI's test files, saved
by Excel): pivot tables, page headers and footers with their codes, a form-control button
in VML with Excel's unclosed ``<br>``, tables with structured references.

Identity keeps every cell's value and type and every header string; pseudo mode translates
the display text and never a pivot cache, a table column name or a header's ``&`` code
(openpyxl is the independent reader)."""
from __future__ import annotations

import io
import re
import warnings
import zipfile
from pathlib import Path

import pytest

from pipeline.emulator.pseudo import pseudo_translate
from pipeline.languages import lookup

FOLDER = Path(__file__).resolve().parents[2] / "corpus" / "xlsx" / "poi"
FILES = sorted(FOLDER.glob("*.xlsx"))
_CODE = re.compile(r'&(?:"[^"]*"|K[0-9A-Fa-f]{6}|\d+|[A-Za-z])')


def _cells(data: bytes) -> dict[tuple[str, str], tuple[object, str]]:
    from openpyxl import load_workbook

    with warnings.catch_warnings():
        # openpyxl says it drops an extension it does not know (headerFooterTest.xlsx): its loss, not ours.
        warnings.filterwarnings("ignore", "Unknown extension", UserWarning)
        wb = load_workbook(io.BytesIO(data))
    return {(ws.title, c.coordinate): (c.value, c.data_type) for ws in wb.worksheets for c in ws._cells.values()}


def _parts(data: bytes, prefix: str) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist() if n.startswith(prefix)}


def _headers(data: bytes) -> list[str]:
    found = []
    for part in _parts(data, "xl/worksheets/sheet").values():
        found += re.findall(rb"<(?:odd|even|first)(?:Header|Footer)>(.*?)</", part, re.S)
    return [h.decode() for h in found]


def test_the_set_is_there():
    assert len(FILES) == 8 and (FOLDER / "LICENSE").is_file()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_identity_keeps_every_value_and_header(path, load_xlsx):
    data = path.read_bytes()
    doc = load_xlsx(data, name=path.name)
    out = doc.rebuild(lookup("en"), {s.id: s.text for s in doc.segments()})
    doc.verify(out)
    assert _cells(out) == _cells(data)
    assert _headers(out) == _headers(data)
    assert _parts(out, "xl/pivotCache/") == _parts(data, "xl/pivotCache/")
    assert doc.fallbacks == {} and doc.problems == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_pseudo_translates_display_text_and_keeps_what_data_depends_on(path, load_xlsx):
    data = path.read_bytes()
    doc = load_xlsx(data, name=path.name)
    out = doc.rebuild(lookup("zh"), {s.id: pseudo_translate(s.text, "zh") for s in doc.segments()})
    doc.verify(out)
    assert doc.fallbacks == {}
    assert _parts(out, "xl/pivotCache/") == _parts(data, "xl/pivotCache/")
    assert _parts(out, "xl/tables/") == _parts(data, "xl/tables/")
    before, after = _cells(data), _cells(out)
    assert before.keys() == after.keys()
    assert all(after[k] == v for k, v in before.items() if v[1] != "s")   # numbers, dates, formulas
    for old, new in zip(_headers(data), _headers(out)):
        assert _CODE.findall(new.replace("&amp;", "&")) == _CODE.findall(old.replace("&amp;", "&"))


def test_what_the_set_now_translates(load_xlsx):
    texts = {p.name: {s.text for s in load_xlsx(p.read_bytes(), name=p.name).segments()} for p in FILES}
    assert "Multi<x1/>\n      Line<x2/>\n      Text" in texts["BrNotClosed.xlsx"]       # a button, <br> unclosed
    assert {"top left", "top center", "bottom right"} <= texts["headerFooterTest.xlsx"]
    assert "one & two &&" in texts["AmpersandHeader.xlsx"]
    assert {"Werte", "Summe von Field2"} <= texts["ExcelPivotTableSample.xlsx"]
    assert {"Sum of Latitude", "Sum of Population"} <= texts["DataTableCities.xlsx"]
    doc = load_xlsx((FOLDER / "StructuredReferences.xlsx").read_bytes())
    assert any("B1 'Name' (a table's column name: structured references use it)" in line for line in doc.decisions)
