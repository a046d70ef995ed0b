"""Header labels of kept columns: translated, unless something finds the column by its text."""
from __future__ import annotations

import datetime
import io

import pytest

from pipeline.emulator.pseudo import pseudo_translate
from pipeline.formats.xlsx.labels import formula_references
from pipeline.languages import lookup

from support import corpus_files


def _book() -> bytes:
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.filters import CustomFilter, CustomFilters, FilterColumn
    from openpyxl.worksheet.table import Table

    wb = Workbook()
    ws = wb.active
    ws.title = "Log"
    ws.append(["Hours", "Opened", "mail link", "Region", "Owner", "Priority", "Note", "ticket_id", "Shift"])
    notes = ["Waiting for the parts", "Ready to ship today", "Customer asked for a refund", "Printer is jammed again"]
    for i in range(12):
        ws.append([i * 1.5, datetime.date(2024, 2, 1 + i), f"mailto:a{i}@example.com", ("North", "South")[i % 2],
                   f"OW-{i}", ("High", "Low")[i % 2], notes[i % 4], f"T{i}", ("Shift", "Day")[i % 2]])
    ws["K1"] = '=INDEX(A2:A13, MATCH("Region", A1:I1, 0))'     # quotes the header "Region"
    dv = DataValidation(type="list", formula1='"Priority,Other"')
    ws.add_data_validation(dv)
    dv.add("L1")
    ws.auto_filter.ref = "A1:I13"
    ws.auto_filter.filterColumn.append(FilterColumn(colId=4, customFilters=CustomFilters(
        customFilter=[CustomFilter(operator="notEqual", val="Owner")])))
    data = wb.create_sheet("Costs")
    data.append(["Cost", "Day"])
    for i in range(6):
        data.append([i * 10, datetime.date(2024, 3, 1 + i)])
    data.add_table(Table(displayName="Costs", ref="A1:B7"))
    data["D1"] = "=SUM(Costs[Cost])"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_structured_references_and_quoted_texts_are_read_from_formulas():
    quoted, names = formula_references(['=SUM(Table1[Hours])+Table1[[#Totals],[Cost]]', '=[@[Due \'[date\']]]',
                                        '=MATCH("Region [x]", 1:1, 0)'])
    assert quoted == {"Region [x]"} and names >= {"Hours", "Cost", "Due [date]"}
    assert "#Totals" not in names


def test_headers_of_kept_columns_are_translated_unless_something_finds_them_by_text(load_xlsx):
    doc = load_xlsx(_book())
    texts = {s.text for s in doc.segments()}
    assert {"Hours", "Opened", "mail link", "Note"} <= texts
    assert not texts & {"Region", "Owner", "Priority", "ticket_id", "Cost", "Day"}
    kept = next(line for line in doc.decisions if line.startswith("sheet 'Log': header labels kept"))
    assert "D1 'Region' (a formula quotes it)" in kept
    assert "E1 'Owner' (an autofilter's custom filter tests for it)" in kept
    assert "F1 'Priority' (a formula, filter or validation list tests for it)" in kept
    assert "I1 'Shift' (also a value of its column: not a header)" in kept
    costs = next(line for line in doc.decisions if line.startswith("sheet 'Costs': header labels kept"))
    assert "A1 'Cost' (a table's column name: structured references use it)" in costs


def test_the_job_can_keep_every_header_and_a_rule_is_followed_to_the_letter(load_xlsx):
    from pipeline.formats.options import XlsxFileRule

    assert "Hours" not in {s.text for s in load_xlsx(_book(), header_labels=False).segments()}
    kept = load_xlsx(_book(), files=(XlsxFileRule(match="*.xlsx", keep=("Hours",)),))
    assert "Opened" in {s.text for s in kept.segments()} and "Hours" not in {s.text for s in kept.segments()}


def test_translated_headers_leave_every_value_and_the_table_intact(load_xlsx):
    from openpyxl import load_workbook

    data = _book()
    doc = load_xlsx(data)
    out = doc.rebuild(lookup("zh"), {s.id: pseudo_translate(s.text, "zh") for s in doc.segments()})
    doc.verify(out)
    wb = load_workbook(io.BytesIO(out))
    assert wb["Log"]["A1"].value == pseudo_translate("Hours", "zh")
    assert wb["Log"]["D1"].value == "Region" and wb["Log"]["I1"].value == "Shift"
    assert wb["Log"]["I2"].value == "Shift"
    assert wb["Costs"]["A1"].value == "Cost" and wb["Costs"].tables["Costs"].tableColumns[0].name == "Cost"
    identity = doc.rebuild(lookup("en"), {s.id: s.text for s in doc.segments()})
    before = load_workbook(io.BytesIO(data))
    again = load_workbook(io.BytesIO(identity))
    assert [[c.value for c in row] for ws in again for row in ws.iter_rows()] == \
        [[c.value for c in row] for ws in before for row in ws.iter_rows()]


@pytest.mark.needs_shared
def test_the_shared_corpus_headers_of_kept_columns_are_translated(load_xlsx):
    """rust_xlsxwriter's autofilter workbooks: Region, Item, Volume, Month head columns of
    codes, numbers and months; the filters test the values, never the headers."""
    from openpyxl import load_workbook

    files = corpus_files("xlsx", "*autofilter0*.xlsx")
    assert len(files) == 4
    for path in files:
        doc = load_xlsx(path.read_bytes(), name=path.name)
        out = doc.rebuild(lookup("zh"), {s.id: pseudo_translate(s.text, "zh") for s in doc.segments()})
        row = [c.value for c in load_workbook(io.BytesIO(out)).active[1]]
        assert row == [pseudo_translate(h, "zh") for h in ("Region", "Item", "Volume", "Month")], path.name


def test_a_validation_list_taken_from_cells_keeps_their_texts(load_xlsx):
    """A list fed by a range (or a defined name for one) offers those cells' texts: translating
    them would leave every cell chosen from the list outside it."""
    from openpyxl import Workbook
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "Tasks"
    ws.append(["Task", "Priority", "Team", "Size"])
    tasks = ["Replace the broken fan", "Order new paper for the printer", "Call the landlord about heating"]
    for i, task in enumerate(tasks):
        ws.append([task, ("Urgent work", "Quiet week")[i % 2], "Night shift crew", i])
    lists = wb.create_sheet("Lists")
    for value in ("Urgent work", "Quiet week", "Night shift crew", "Day shift crew"):
        lists.append([value])
    by_range = DataValidation(type="list", formula1="Lists!$A$1:$A$2")
    wb.defined_names["Crews"] = DefinedName("Crews", attr_text="Lists!$A$3:$A$4")
    by_name = DataValidation(type="list", formula1="Crews")
    headers = DataValidation(type="list", formula1="$C$1:$D$1")      # a choice among the headers
    for dv, where in ((by_range, "B2:B4"), (by_name, "C2:C4"), (headers, "F2")):
        ws.add_data_validation(dv)
        dv.add(where)
    out = io.BytesIO()
    wb.save(out)
    doc = load_xlsx(out.getvalue())
    texts = {s.text for s in doc.segments()}
    assert "Replace the broken fan" in texts
    assert not texts & {"Urgent work", "Quiet week", "Night shift crew", "Day shift crew", "Team", "Size"}
    kept = next(line for line in doc.decisions if line.startswith("sheet 'Tasks': header labels kept"))
    assert "C1 'Team' (a validation list offers it)" in kept


def test_list_sources_read_excel_2010_validations_and_quoted_sheet_names():
    from lxml import etree

    from pipeline.formats.xlsx.labels import ListSource, list_sources

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    x14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
    xm = "http://schemas.microsoft.com/office/excel/2006/main"
    root = etree.fromstring(
        f'<worksheet xmlns="{main}" xmlns:x14="{x14}" xmlns:xm="{xm}"><dataValidations>'
        '<dataValidation type="list" sqref="A2"><formula1>$B$1:$D$1</formula1></dataValidation>'
        '<dataValidation type="whole" sqref="A3"><formula1>$B$1:$D$1</formula1></dataValidation></dataValidations>'
        '<extLst><ext><x14:dataValidations><x14:dataValidation type="list"><x14:formula1>'
        "<xm:f>'My lists'!$A$2:$A$9</xm:f></x14:formula1></x14:dataValidation></x14:dataValidations></ext></extLst>"
        "</worksheet>")
    assert list_sources(root, {}) == [ListSource(None, (2, 1), (4, 1)), ListSource("My lists", (1, 2), (1, 9))]
