"""Excel in place: prose cells translated; formulas, numbers, dates, booleans, errors, names kept."""
from __future__ import annotations

import io

import pytest

from pipeline.emulator.pseudo import pseudo_translate
from pipeline.errors import FileError
from pipeline.formats.options import XlsxFileRule
from pipeline.languages import lookup

from ooxml_support import ole


def pseudo(doc, code="zh"):
    return {s.id: pseudo_translate(s.text, code) for s in doc.segments()}


def cells(data: bytes) -> dict[tuple[str, str], tuple[object, str]]:
    """(sheet, ref) -> (value, openpyxl data type) of every stored cell."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    # ws._cells holds only stored cells: iterating rows would walk a sheet's whole used range.
    return {(ws.title, c.coordinate): (c.value, c.data_type) for ws in wb.worksheets for c in ws._cells.values()}


def test_only_prose_columns_are_segments_and_the_decision_is_reported(book, load_xlsx):
    doc = load_xlsx(book)
    texts = {s.text for s in doc.segments()}
    assert "Invoice shows the wrong amount" in texts
    assert "This sheet sums up the tickets of the quarter" in texts
    assert "Check this one with the billing team" in texts  # the comment
    assert not texts & {"T-1000", "open", "closed", "https://example.com/t/0", "Tickets", "Summary", "Totals"}
    decision = doc.decisions[0]
    assert decision.startswith("sheet 'Tickets': columns translated (detected): D (Note)")
    assert "A (Ticket ID) (header names data: 'id')" in decision and "F (Link) (header names data: 'link')" in decision
    assert "E (Status) (header names data: 'status')" in decision and "B (Opened) (empty)" in decision


def test_pseudo_keeps_every_non_text_cell_and_splits_a_shared_string(book, load_xlsx):
    doc = load_xlsx(book)
    out = doc.rebuild(lookup("zh"), pseudo(doc))
    doc.verify(out)
    before, after = cells(book), cells(out)
    assert before.keys() == after.keys()
    for key, (value, kind) in before.items():
        header = key[0] == "Tickets" and key[1][1:] == "1"
        if kind != "s" or key[1][0] != "D" and key != ("Summary", "A1") and not header:
            assert after[key] == (value, kind), key  # numbers, dates, formulas, booleans, errors, kept text
    assert after[("Tickets", "D4")] == (pseudo_translate("Call the customer back", "zh"), "s")
    assert after[("Tickets", "F27")] == ("Call the customer back", "s")  # the split string keeps its meaning
    assert after[("Tickets", "D1")] == (pseudo_translate("Note", "zh"), "s")  # a header goes with its column
    # the headers of kept columns are labels too: nothing finds those columns by their text
    for ref, label in (("A1", "Ticket ID"), ("B1", "Opened"), ("E1", "Status"), ("F1", "Link")):
        assert after[("Tickets", ref)] == (pseudo_translate(label, "zh"), "s")
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(out))
    assert wb.sheetnames == ["Tickets", "Summary"] and "Totals" in wb.defined_names
    assert wb["Tickets"].data_validations.dataValidation[0].formula1 == '"open,closed"'
    assert wb["Tickets"]["D2"].comment.text == pseudo_translate("Check this one with the billing team", "zh")


def test_identity_keeps_every_cell(book, load_xlsx):
    doc = load_xlsx(book)
    out = doc.rebuild(lookup("en"), {s.id: s.text for s in doc.segments()})
    doc.verify(out)
    assert cells(out) == cells(book)


def test_rules_name_columns_per_file_and_sheet(book, load_xlsx):
    rule = XlsxFileRule(match="reports/*.xlsx", sheet="Tickets", columns=("Status",))
    doc = load_xlsx(book, name="reports/q1.xlsx", files=(rule,))
    # the header goes with its column; "open" and "closed" stay: the validation list allows only them
    assert {s.text for s in doc.segments() if s.context.startswith("Tickets!")} == {"Status"}
    assert "sheet 'Tickets': columns translated (named by the job): E" in doc.decisions
    other = load_xlsx(book, name="elsewhere/q1.xlsx", files=(rule,))
    assert "open" not in {s.text for s in other.segments()}
    kept = load_xlsx(book, files=(XlsxFileRule(match="*.xlsx", keep=("D",)),))
    assert "Invoice shows the wrong amount" not in {s.text for s in kept.segments()}


def test_not_a_workbook_fails_with_a_reason(load_xlsx):
    for data, reason in ((b"plain text", "not a valid zip"), (ole("Workbook"), "legacy Excel"),
                         (ole("EncryptedPackage"), "encrypted")):
        with pytest.raises(FileError, match=reason):
            load_xlsx(data)


def test_comment_threads_are_translated_as_plain_text(book, load_xlsx):
    """A thread (Excel 365) beside the legacy note: both are read and written back as plain text."""
    import zipfile

    ns = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
    thread = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><ThreadedComments xmlns="{ns}">'
              '<threadedComment ref="D2" id="{1}"><text>Please check the &lt;b&gt; tag in this note</text>'
              '</threadedComment></ThreadedComments>').encode()
    src, out = io.BytesIO(book), io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/_rels/sheet1.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdT" Type="http://schemas.microsoft.com/'
                                    b'office/2017/10/relationships/threadedComment" Target="../threadedComments/'
                                    b'threadedComment1.xml"/></Relationships>')
            zout.writestr(info, data)
        zout.writestr("xl/threadedComments/threadedComment1.xml", thread)
    data = out.getvalue()
    doc = load_xlsx(data)
    seg = next(s for s in doc.segments() if s.id.startswith("xl/threadedComments/"))
    assert seg.context == "comment D2" and "tag in this note" in seg.text
    rebuilt = doc.rebuild(lookup("zh"), pseudo(doc))
    with zipfile.ZipFile(io.BytesIO(rebuilt)) as z:
        text = z.read("xl/threadedComments/threadedComment1.xml").decode()
    from xml.sax.saxutils import escape

    assert escape(pseudo_translate("Please check the <b> tag in this note", "zh")) in text


def test_text_that_formulas_filters_or_validation_lists_test_for_is_kept(load_xlsx):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Note", "Check"])
    notes = ["Waiting for the parts", "Ready to ship today", "Customer asked for a refund"]
    for i, note in enumerate(notes, start=2):
        ws.append([note, f'=IF(A{i}="Ready to ship today",1,0)'])
    out = io.BytesIO()
    wb.save(out)
    doc = load_xlsx(out.getvalue())
    texts = {s.text for s in doc.segments()}
    assert "Waiting for the parts" in texts and "Ready to ship today" not in texts


def test_an_independent_look_lists_parts_with_text_no_sheet_uses(book, load_xlsx):
    import zipfile

    assert load_xlsx(book).unextracted() == []
    a = "http://schemas.openxmlformats.org/drawingml/2006/main"
    orphan = (f'<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" xmlns:a="{a}">'
              '<c:chart><c:title><c:tx><c:rich><a:p><a:r><a:t>Tickets by week</a:t></a:r></a:p></c:rich></c:tx>'
              '</c:title></c:chart></c:chartSpace>')
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        zout.writestr("xl/charts/chart7.xml", orphan)
    found = load_xlsx(out.getvalue()).unextracted()
    assert found == ["xl/charts/chart7.xml: 1 pieces of text not translated (no sheet uses this part), "
                     "e.g. 'Tickets by week'"]
    assert load_xlsx(out.getvalue(), charts=False).unextracted() == []
