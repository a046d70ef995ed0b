"""A workbook whose shared-strings table is large and compresses well (a few hundred KB of
zip holding tens of MB of ``xl/sharedStrings.xml``), generated deterministically for the
memory tests (tests/formats/xlsx/test_xlsx_memory.py) and bench/bench_xlsx_memory.py."""
from __future__ import annotations

import io
import zipfile

X_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml."
#: A number shared by 20 strings in a row and three sentences: deflate packs the table about
#: 110 to 1 (like the 0.95 MB workbook of 104 MB of shared strings in issue #27), inside the
#: package guard's 200 to 1.
SENTENCES = ("the customer asks for a refund of the second invoice",
             "the parcel arrived late and the box was damaged",
             "please call back after the holidays about the renewal")


def shared_item(i: int) -> str:
    return f"<si><t>Note {i // 20}: {SENTENCES[i % len(SENTENCES)]}</t></si>"


#: Transitional namespace -> Strict (ISO/IEC 29500 Strict), for ``big_book(strict=True)``.
STRICT = {X_NS: "http://purl.oclc.org/ooxml/spreadsheetml/main",
          R_NS: "http://purl.oclc.org/ooxml/officeDocument/relationships"}


def big_book(strings: int, used: int, *, strict: bool = False) -> bytes:
    """A one-sheet workbook: ``strings`` shared strings, the first ``used`` of them in
    column B below a header row (column A numbers the rows); Strict Open XML if ``strict``."""
    rows = ['<row r="1"><c r="A1" t="inlineStr"><is><t>Id</t></is></c>'
            '<c r="B1" t="inlineStr"><is><t>Comment</t></is></c></row>']
    rows += [f'<row r="{n + 2}"><c r="A{n + 2}"><v>{n + 1}</v></c><c r="B{n + 2}" t="s"><v>{n}</v></c></row>'
             for n in range(used)]
    sheet = f'<worksheet xmlns="{X_NS}"><sheetData>{"".join(rows)}</sheetData></worksheet>'
    sst = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{X_NS}" count="{used}" '
           f'uniqueCount="{strings}">' + "".join(shared_item(i) for i in range(strings)) + "</sst>")
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{CT}sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{CT}worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{CT}sharedStrings+xml"/></Types>',
        "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL}officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{X_NS}" xmlns:r="{R_NS}"><sheets>'
        '<sheet name="Notes" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{REL}worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{REL}sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet,
        "xl/sharedStrings.xml": sst,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, text in parts.items():
            for transitional, strict_ns in STRICT.items() if strict else ():
                text = text.replace(transitional, strict_ns)
            z.writestr(name, text.encode())
    return out.getvalue()
