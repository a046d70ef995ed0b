"""Helpers shared by the OOXML format tests (DOCX, PPTX, XLSX): hostile packages, and a
deck and a workbook written by second writers (python-pptx, openpyxl, test-only)."""
from __future__ import annotations

import functools
import io

from pipeline.formats.ooxml.package import OLE_MAGIC


def ole(stream_name: str) -> bytes:
    """An OLE compound file header followed by a directory entry name (UTF-16LE)."""
    return OLE_MAGIC + b"\0" * 504 + stream_name.encode("utf-16-le") + b"\0" * 64


A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"


# Built once per process (bytes: nothing can change them): python-pptx and openpyxl take
# 0.1 s for each, and the loop tests build a project of them in each of their ten tests.
@functools.cache
def build_deck() -> bytes:
    """Title slide, a text box with a bold word, a link and a slide-number field, a table,
    a group, speaker notes, a chart with a title, and a footer line on the layout."""
    from lxml import etree
    from pptx import Presentation
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    slide.shapes.title.text = "Quarterly results"
    slide.placeholders[1].text = "Prepared for the board"
    slide.notes_slide.notes_text_frame.text = "Remember to thank the team."

    second = prs.slides.add_slide(prs.slide_layouts[6])
    box = second.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(1)).text_frame
    para = box.paragraphs[0]
    for text, bold in (("Sales grew ", False), ("strongly", True), (" this year", False)):
        run = para.add_run()
        run.text, run.font.bold = text, bold
    link = box.add_paragraph().add_run()
    link.text = "Read the full report"
    link.hyperlink.address = "https://example.com/report"
    field_p = box.add_paragraph()
    field_p.add_run().text = "Slide "
    fld = etree.SubElement(field_p._p, f"{{{A_NS}}}fld", id="{B6F15528-21DE-4FAA-801E-634DDDAF4B2B}", type="slidenum")
    etree.SubElement(fld, f"{{{A_NS}}}t").text = "2"
    table = second.shapes.add_table(2, 2, Inches(1), Inches(3), Inches(6), Inches(1)).table
    table.cell(0, 0).text, table.cell(0, 1).text = "Region", "Comment"
    table.cell(1, 0).text, table.cell(1, 1).text = "North", "Best quarter so far"
    group = second.shapes.add_group_shape()
    group.shapes.add_textbox(Inches(1), Inches(5), Inches(3), Inches(1)).text_frame.text = "Inside a group"
    data = CategoryChartData()
    data.categories = ["East", "West"]
    data.add_series("Revenue", (1.5, 2.5))
    chart = second.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(7), Inches(1), Inches(3), Inches(3),
                                    data).chart
    chart.has_title = True
    chart.chart_title.text_frame.text = "Revenue by region"
    footer = second.shapes.add_textbox(Inches(0), Inches(7), Inches(4), Inches(0.4))
    footer.text_frame.text = "Company confidential"
    prs.slide_layouts[6].shapes._spTree.append(footer._element)  # moved: the layout shows it on the slide
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


@functools.cache
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
