"""Page headers and footers: text translated, ``&`` codes kept as tags."""
from __future__ import annotations

import io

import pytest

from pipeline.emulator.pseudo import pseudo_translate
from pipeline.formats.xlsx.headfoot import HfCode, sections
from pipeline.languages import lookup

HEADER = '&L&"Arial,Bold"&12Quarterly report&C&D&RPage &P of &N'
FOOTER = "&CConfidential && internal&R&F"


def test_sections_keep_their_codes_out_of_the_text():
    parts = sections(HEADER)
    assert "".join(p.raw for p in parts) == HEADER
    left, centre, right = parts
    assert (left.start, left.lead, left.segment, left.trail) == ("&L", '&"Arial,Bold"&12', "Quarterly report", "")
    assert not centre.translatable and centre.raw == "&C&D"
    assert right.segment == "Page <x1/> of <x2/>"
    assert right.payloads == {1: HfCode("&P"), 2: HfCode("&N")}
    assert right.write("Seite <x1/> von <x2/>") == "&RSeite &P von &N"
    assert right.write("<x2/> Seiten") == "&R&N Seiten&P"   # a lost code comes back
    (only,) = [p for p in sections(FOOTER) if p.translatable]
    assert only.segment == "Confidential & internal" and only.write("A & B") == "&CA && B"


def test_text_never_runs_into_a_code_before_it():
    (section,) = sections('&"Arial"&12Plan for the year')
    assert section.write("2024 plan") == '&"Arial"&12 2024 plan'
    (page,) = sections("Page &P now")
    assert page.write("Seite <x1/>+1 jetzt") == "Seite &P +1 jetzt"
    assert page.write("Seite <x1/> jetzt") == "Seite &P jetzt"


@pytest.mark.parametrize("value", ["&&L not a section", "Text before &Rright", "&KFF0000Red &K01+033theme",
                                   "&P+1 &14 &B&I&U &G &A &Z&F", "a lone & here &"])
def test_every_string_cuts_and_joins_back(value):
    assert "".join(p.raw for p in sections(value)) == value
    assert "".join(p.write(p.segment) if p.translatable else p.raw for p in sections(value)) == value


def _book(header: str = HEADER) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Note"])
    ws.append(["Waiting for the parts"])
    ws.oddHeader.left.text = "placeholder"
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue()
    return _with_header(data, header)


def _with_header(data: bytes, header: str) -> bytes:
    import re
    import zipfile
    from xml.sax.saxutils import escape

    src, out = io.BytesIO(data), io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            part = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                hf = f"<headerFooter><oddHeader>{escape(header)}</oddHeader><oddFooter>{escape(FOOTER)}</oddFooter>" \
                     "</headerFooter>"
                part = re.sub(rb"<headerFooter>.*?</headerFooter>", hf.encode(), part, flags=re.S)
            zout.writestr(info, part)
    return out.getvalue()


def test_headers_and_footers_are_translated_and_read_back_by_openpyxl(load_xlsx):
    from openpyxl import load_workbook

    doc = load_xlsx(_book())
    found = {s.text: s.context for s in doc.segments() if "#hf/" in s.id}
    assert found == {"Quarterly report": "Sheet page header", "Page <x1/> of <x2/>": "Sheet page header",
                     "Confidential & internal": "Sheet page footer"}
    out = doc.rebuild(lookup("zh"), {s.id: pseudo_translate(s.text, "zh") for s in doc.segments()})
    ws = load_workbook(io.BytesIO(out)).active
    assert ws.oddHeader.left.text == pseudo_translate("Quarterly report", "zh")
    assert ws.oddHeader.left.font == "Arial,Bold" and ws.oddHeader.left.size == 12
    right = pseudo_translate("Page <x1/> of <x2/>", "zh").replace("<x1/>", "&P").replace("<x2/>", "&N")
    assert ws.oddHeader.right.text == right and "&P" in right and "&N" in right
    identity = doc.rebuild(lookup("en"), {s.id: s.text for s in doc.segments()})
    assert load_workbook(io.BytesIO(identity)).active.oddFooter.center.text == "Confidential && internal"


def test_a_translation_too_long_for_excel_keeps_the_source(load_xlsx):
    doc = load_xlsx(_book())
    long = {s.id: "word " * 60 for s in doc.segments() if "#hf/oddHeader/" in s.id}
    out = doc.rebuild(lookup("de"), long)
    assert set(doc.fallbacks) == set(long) and "at most 255" in next(iter(doc.fallbacks.values()))
    import zipfile

    with zipfile.ZipFile(io.BytesIO(out)) as z:
        assert b"Quarterly report" in z.read("xl/worksheets/sheet1.xml")


@pytest.mark.needs_shared
def test_a_chartsheet_footer_is_translated(load_xlsx):
    """A chartsheet has no cells, but its printed page has a footer."""
    import zipfile

    from support import corpus_files

    (path,) = corpus_files("xlsx", "*chartsheet01.xlsx")
    src, out = io.BytesIO(path.read_bytes()), io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            part = zin.read(info)
            if info.filename == "xl/chartsheets/sheet1.xml":
                part = part.replace(b"<drawing ", b"<headerFooter><oddFooter>&amp;CSales chart &amp;P</oddFooter>"
                                    b"</headerFooter><drawing ")
            zout.writestr(info, part)
    doc = load_xlsx(out.getvalue())
    (seg,) = [s for s in doc.segments() if "#hf/" in s.id]
    assert seg.text == "Sales chart <x1/>" and seg.id.startswith("xl/chartsheets/")
    rebuilt = doc.rebuild(lookup("de"), {seg.id: "Verkaufsdiagramm <x1/>"})
    with zipfile.ZipFile(io.BytesIO(rebuilt)) as z:
        assert b"<oddFooter>&amp;CVerkaufsdiagramm &amp;P</oddFooter>" in z.read("xl/chartsheets/sheet1.xml")
