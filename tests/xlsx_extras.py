"""A workbook with the text Excel keeps outside cells: a pivot table with stored captions,
page headers and footers, a legacy form-control button (VML) beside a note, headers of
kept columns. openpyxl writes the cells, the note and the header; the pivot table and the
button are added as Excel writes them (openpyxl round-trips them, LibreOffice reads them)."""
from __future__ import annotations

import io
import re
import zipfile

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"

PIVOT_CACHE = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<pivotCacheDefinition xmlns="{MAIN}" xmlns:r="{REL}" saveData="0" refreshOnLoad="1" createdVersion="6"
 refreshedVersion="6" minRefreshableVersion="3" recordCount="4"><cacheSource type="worksheet">
<worksheetSource ref="A1:B5" sheet="Data"/></cacheSource><cacheFields count="2">
<cacheField name="Region" numFmtId="0"><sharedItems count="2"><s v="North"/><s v="South"/></sharedItems></cacheField>
<cacheField name="Hours" numFmtId="0"><sharedItems containsSemiMixedTypes="0" containsString="0" containsNumber="1"
 containsInteger="1" minValue="1" maxValue="4"/></cacheField></cacheFields></pivotCacheDefinition>"""

PIVOT_TABLE = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<pivotTableDefinition xmlns="{MAIN}" name="PivotTable1" cacheId="1" applyNumberFormats="0" applyBorderFormats="0"
 applyFontFormats="0" applyPatternFormats="0" applyAlignmentFormats="0" applyWidthHeightFormats="1"
 dataCaption="Values" rowHeaderCaption="Sales area" grandTotalCaption="All areas together" updatedVersion="6"
 minRefreshableVersion="3" createdVersion="6" useAutoFormatting="1" itemPrintTitles="1" indent="0" outline="1"
 outlineData="1" multipleFieldFilters="0"><location ref="A3:B6" firstHeaderRow="1" firstDataRow="1"
 firstDataCol="1"/><pivotFields count="2"><pivotField axis="axisRow" showAll="0"><items count="3"><item x="0"/>
<item x="1"/><item t="default"/></items></pivotField><pivotField dataField="1" showAll="0"/></pivotFields>
<rowFields count="1"><field x="0"/></rowFields><rowItems count="3"><i><x/></i><i><x v="1"/></i><i t="grand"><x/></i>
</rowItems><colItems count="1"><i/></colItems><dataFields count="1"><dataField name="Sum of Hours" fld="1"
 baseField="0" baseItem="0"/></dataFields></pivotTableDefinition>"""

BUTTON = """<v:shapetype id="_x0000_t201" coordsize="21600,21600" o:spt="201" path="m,l,21600r21600,l21600,xe">
 <v:stroke joinstyle="miter"/><v:path shadowok="f" o:extrusionok="f" strokeok="f" fillok="f" o:connecttype="rect"/>
 <o:lock v:ext="edit" shapetype="t"/></v:shapetype><v:shape id="_x0000_s2049" type="#_x0000_t201" style='position:absolute;margin-left:300pt;
 margin-top:20pt;width:96pt;height:30pt;z-index:2' o:button="t" fillcolor="buttonFace [67]" strokecolor="windowText [64]"
 o:insetmode="auto"><v:fill color2="buttonFace [67]" o:detectmouseclick="t"/><o:lock v:ext="edit" rotation="t"/>
 <v:textbox style='mso-direction-alt:auto' o:singleclick="f"><div style='text-align:center'><font face="Calibri"
 size="220" color="#000000">Refresh the report</font></div><div style='text-align:center'><font face="Calibri"
 size="220" color="#000000">Print this page<br>and send it</font></div></v:textbox>
 <x:ClientData ObjectType="Button"><x:Anchor>5, 0, 1, 0, 6, 40, 3, 0</x:Anchor><x:PrintObject>False</x:PrintObject>
 <x:AutoFill>False</x:AutoFill><x:TextHAlign>Center</x:TextHAlign><x:TextVAlign>Center</x:TextVAlign>
 </x:ClientData></v:shape>"""


def build_extras_book() -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment

    wb = Workbook()
    data = wb.active
    data.title = "Data"
    data.append(["Region", "Hours"])
    for region, hours in (("North", 1), ("South", 2), ("North", 3), ("South", 4)):
        data.append([region, hours])
    data["D1"] = "The hours booked by each sales region this week"
    data["D1"].comment = Comment("Numbers come from the booking system", "Ana")
    data.oddHeader.center.text = "Weekly hours"
    data.oddFooter.right.text = "Page &P of &N"
    report = wb.create_sheet("Report")
    report["A1"] = "Hours by region"
    for i, row in enumerate((("Sales area", "Sum of Hours"), ("North", 4), ("South", 6), ("All areas together", 10))):
        report.cell(3 + i, 1, row[0])
        report.cell(3 + i, 2, row[1])
    out = io.BytesIO()
    wb.save(out)
    return _add_pivot_and_button(out.getvalue())


def _add_pivot_and_button(data: bytes) -> bytes:
    src, out = io.BytesIO(data), io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        names = zin.namelist()
        for info in zin.infolist():
            part = zin.read(info)
            name = info.filename
            if name == "[Content_Types].xml":
                part = part.replace(b"</Types>", (
                    f'<Override PartName="/xl/pivotCache/pivotCacheDefinition1.xml" '
                    f'ContentType="{CT}.pivotCacheDefinition+xml"/><Override '
                    f'PartName="/xl/pivotTables/pivotTable1.xml" ContentType="{CT}.pivotTable+xml"/></Types>').encode())
            elif name == "xl/workbook.xml":
                part = re.sub(rb"(<calcPr[^>]*/>)", rb'\1<pivotCaches><pivotCache xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" cacheId="1" r:id="rIdPc"/></pivotCaches>',
                              part)
                if b"<pivotCaches>" not in part:
                    part = part.replace(b"</sheets>", b'</sheets><pivotCaches><pivotCache xmlns:r="' + REL.encode()
                                        + b'" cacheId="1" r:id="rIdPc"/></pivotCaches>')
            elif name == "xl/_rels/workbook.xml.rels":
                part = part.replace(b"</Relationships>", (
                    f'<Relationship Id="rIdPc" Type="{REL}/pivotCacheDefinition" '
                    f'Target="pivotCache/pivotCacheDefinition1.xml"/></Relationships>').encode())
            elif name.startswith("xl/drawings/") and name.endswith(".vml"):
                part = part.replace(b"</xml>", BUTTON.encode() + b"</xml>").replace(b"<xml>", (
                    b'<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
                    b'xmlns:x="urn:schemas-microsoft-com:office:excel">'), 1)
            zout.writestr(info, part)
        rels = "xl/worksheets/_rels/sheet2.xml.rels"
        sheet_rels = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships '
                      f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rIdPt" '
                      f'Type="{REL}/pivotTable" Target="../pivotTables/pivotTable1.xml"/></Relationships>')
        assert rels not in names
        zout.writestr(rels, sheet_rels)
        zout.writestr("xl/pivotTables/pivotTable1.xml", PIVOT_TABLE)
        zout.writestr("xl/pivotTables/_rels/pivotTable1.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships '
            'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{REL}/pivotCacheDefinition" Target="../pivotCache/pivotCacheDefinition1.xml"/></Relationships>'))
        zout.writestr("xl/pivotCache/pivotCacheDefinition1.xml", PIVOT_CACHE)
    return out.getvalue()
