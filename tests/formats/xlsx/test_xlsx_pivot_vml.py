"""Pivot table captions and legacy VML text (form controls): translated where they are
display text, never where they name source data or copy a note."""
from __future__ import annotations

import io
import zipfile

from pipeline.emulator.pseudo import pseudo_translate
from pipeline.languages import lookup

from xlsx_extras import build_extras_book

PIVOT = "xl/pivotTables/pivotTable1.xml"
CACHE = "xl/pivotCache/pivotCacheDefinition1.xml"
VML = "xl/drawings/commentsDrawing1.vml"


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def _replace(data: bytes, name: str, old: bytes, new: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            part = zin.read(info)
            zout.writestr(info, part.replace(old, new) if info.filename == name else part)
    return out.getvalue()


def _pseudo(doc, code: str = "de") -> dict[str, str]:
    return {s.id: pseudo_translate(s.text, code) for s in doc.segments()}


def test_pivot_captions_are_segments_and_the_cache_is_not(load_xlsx):
    doc = load_xlsx(build_extras_book())
    captions = {s.id.rsplit("#pivot/", 1)[1]: s.text for s in doc.segments() if "#pivot/" in s.id}
    assert captions == {"rowHeaderCaption": "Sales area", "grandTotalCaption": "All areas together",
                        "dataCaption": "Values", "dataField/0": "Sum of Hours"}
    assert not any(s.id.startswith(CACHE) for s in doc.segments())
    # The pivot cache's fields are named by the source headers: those stay, even in a translated column.
    assert ("sheet 'Data': header labels kept untranslated: A1 'Region' (a pivot cache field is named by it); "
            "B1 'Hours' (a pivot cache field is named by it)") in doc.decisions


def test_pivot_cells_follow_their_captions_and_items_stay(load_xlsx):
    from openpyxl import load_workbook

    data = build_extras_book()
    doc = load_xlsx(data)
    out = doc.rebuild(lookup("de"), _pseudo(doc))
    doc.verify(out)
    before, after = _parts(data), _parts(out)
    assert after[CACHE] == before[CACHE]
    assert pseudo_translate("Sum of Hours", "de").encode() in after[PIVOT]
    assert b'name="PivotTable1"' in after[PIVOT]
    report = load_workbook(io.BytesIO(out))["Report"]
    assert report["A3"].value == pseudo_translate("Sales area", "de")
    assert report["B3"].value == pseudo_translate("Sum of Hours", "de")
    assert report["A6"].value == pseudo_translate("All areas together", "de")
    data_sheet = load_workbook(io.BytesIO(out))["Data"]
    assert (data_sheet["A1"].value, data_sheet["B1"].value) == ("Region", "Hours")   # the cache's field names
    # Items follow the sheet's rules, as the source cells a refresh takes them from do.
    assert (report["A4"].value, report["A5"].value) == (data_sheet["A2"].value, data_sheet["A3"].value)


def test_a_pivot_cell_showing_a_cache_field_name_is_kept(load_xlsx):
    """A compact pivot table shows its row field's name where no caption is stored."""
    data = build_extras_book()
    data = _replace(data, PIVOT, b' rowHeaderCaption="Sales area"', b"")
    data = _replace(data, "xl/worksheets/sheet2.xml", b"<t>Sales area</t>", b"<t>Region</t>")
    doc = load_xlsx(data)
    assert "xl/worksheets/sheet2.xml#A3" not in {s.id for s in doc.segments()}
    assert "xl/worksheets/sheet2.xml#A6" in {s.id for s in doc.segments()}      # "All areas together"


def test_a_caption_translated_into_a_field_name_keeps_its_source(load_xlsx):
    doc = load_xlsx(build_extras_book())
    field = f"{PIVOT}#pivot/dataField/0"
    out = doc.rebuild(lookup("de"), {field: "Hours", f"{PIVOT}#pivot/rowHeaderCaption": "Verkaufsgebiet"})
    assert "name of a field of the pivot cache" in doc.fallbacks[field]
    pivot = _parts(out)[PIVOT]
    assert b'name="Sum of Hours"' in pivot and b'rowHeaderCaption="Verkaufsgebiet"' in pivot


def test_a_caption_a_formula_quotes_is_kept(load_xlsx):
    data = _replace(build_extras_book(), "xl/worksheets/sheet2.xml", b"</sheetData>",
                    b'<row r="9"><c r="A9"><f>GETPIVOTDATA("Sum of Hours",$A$3)</f><v>10</v></c></row></sheetData>')
    doc = load_xlsx(data)
    assert f"{PIVOT}#pivot/dataField/0" not in {s.id for s in doc.segments()}


def test_form_control_text_is_translated_and_a_note_box_is_not(load_xlsx):
    data = _replace(build_extras_book(), VML, b'<div style="text-align:left"/>',
                    b'<div style="text-align:left"><font face="Tahoma">Numbers come from the booking system</font></div>')
    doc = load_xlsx(data)
    vml = {s.id: s.text for s in doc.segments() if "#vml/" in s.id}
    assert sorted(vml.values()) == ["Print this page<x1/>and send it", "Refresh the report"]
    out = doc.rebuild(lookup("de"), _pseudo(doc))
    part = _parts(out)[VML].decode()
    assert pseudo_translate("Refresh the report", "de") in part and "<br/>" in part
    assert "Numbers come from the booking system" in part        # the note's copy: Excel draws the note's own
    again = load_xlsx(out)
    assert {s.text for s in again.segments() if "#vml/" in s.id} == {pseudo_translate(t, "de") for t in vml.values()}


def test_identity_keeps_the_vml_text_and_a_broken_part_is_reported(load_xlsx):
    data = build_extras_book()
    doc = load_xlsx(data)
    out = doc.rebuild(lookup("en"), {s.id: s.text for s in doc.segments()})
    assert {s.text for s in load_xlsx(out).segments()} == {s.text for s in doc.segments()}
    broken = load_xlsx(_replace(data, VML, b"</xml>", b"<div></xml>"))
    assert broken.problems and broken.problems[0].startswith(f"{VML}: form controls and text boxes not translated")
    assert "Refresh the report" not in {s.text for s in broken.segments()}
    assert "Sales area" in {s.text for s in broken.segments()}


def test_an_output_is_read_back_where_each_segment_was_written(load_xlsx, tmp_path):
    """Its translated headers would make a second column detection differ, so an output is
    read by place: every segment (cells, headers, footers, captions, buttons, notes) once."""
    doc = load_xlsx(build_extras_book())
    translations = _pseudo(doc)
    path = tmp_path / "out.xlsx"
    path.write_bytes(doc.rebuild(lookup("de"), translations))
    written = doc.read_written(path, lookup("de"))
    assert [s.id for s in written] == [s.id for s in doc.segments()]
    assert {s.id: s.text for s in written} == translations
