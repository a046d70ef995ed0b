"""Generate sample_docs/guide.docx: a short, realistic user guide to try qmt on.

It holds what Word users expect to survive translation: headings, bold and italic
spans inside sentences, a hyperlink, a table, a header and a footer, a footnote, a
tab and a PAGE field. python-docx writes the body; it has no API for hyperlinks or
footnotes, so those are added as WordprocessingML with lxml.

    python sample_docs/make_sample_docx.py      # writes sample_docs/guide.docx
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

OUT = Path(__file__).resolve().parent / "guide.docx"
FIXED_TIME = (2026, 1, 1, 0, 0, 0)
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

FOOTNOTES_XML = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:footnotes xmlns:w="{W_NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>
<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>
<w:footnote w:id="1"><w:p><w:pPr><w:pStyle w:val="FootnoteText"/></w:pPr>
<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteRef/></w:r>
<w:r><w:t xml:space="preserve"> The key is shown only once. Store it in a </w:t></w:r>
<w:r><w:rPr><w:b/></w:rPr><w:t>password manager</w:t></w:r>
<w:r><w:t>, never in the job file.</w:t></w:r></w:p></w:footnote>
</w:footnotes>"""


def add_hyperlink(paragraph, text: str, url: str) -> None:
    """A w:hyperlink with one run in the Hyperlink look (blue, underlined)."""
    r_id = paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    color = OxmlElement("w:color")
    color.set(qn("w:val"), "0563C1")
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    rpr.append(color)
    rpr.append(underline)
    run.append(rpr)
    t = OxmlElement("w:t")
    t.text = text
    run.append(t)
    link.append(run)
    paragraph._p.append(link)


def add_footnote_reference(paragraph) -> None:
    run = paragraph.add_run()
    rpr = OxmlElement("w:rPr")
    va = OxmlElement("w:vertAlign")
    va.set(qn("w:val"), "superscript")
    rpr.append(va)
    run._r.append(rpr)
    ref = OxmlElement("w:footnoteReference")
    ref.set(qn("w:id"), "1")
    run._r.append(ref)


def add_page_field(paragraph) -> None:
    """PAGE as a complex field: begin, instruction, separate, result, end."""
    for kind, instr in (("begin", None), (None, " PAGE "), ("separate", None), (None, None), ("end", None)):
        run = paragraph.add_run()
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
        elif instr:
            it = OxmlElement("w:instrText")
            it.set(qn("xml:space"), "preserve")
            it.text = instr
            run._r.append(it)
        else:
            run.text = "1"


def build() -> bytes:
    d = docx.Document()
    d.core_properties.title = "qmt quick start"
    d.core_properties.subject = "Translating documents with Qwen-MT"

    section = d.sections[0]
    section.header.paragraphs[0].text = "qmt User Guide"
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Page ")
    add_page_field(footer)

    d.add_heading("Getting started with qmt", level=1)
    p = d.add_paragraph("qmt translates ")
    p.add_run("Word, Markdown and CSV files").bold = True
    p.add_run(" in one batch and keeps their formatting. It is ")
    p.add_run("not").italic = True
    p.add_run(" a chat tool: every request is a translation.")

    d.add_heading("Before you begin", level=2)
    p = d.add_paragraph("You need an API key from Alibaba Cloud Model Studio")
    add_footnote_reference(p)
    p.add_run(". Read the ")
    add_hyperlink(p, "Model Studio documentation", "https://www.alibabacloud.com/help/en/model-studio/")
    p.add_run(" to create one.")
    p = d.add_paragraph("Set the key in your shell:\t")
    code = p.add_run("export DASHSCOPE_API_KEY=sk-...")
    code.font.name = "Consolas"
    code.font.size = Pt(10)

    d.add_heading("Choosing a model", level=2)
    d.add_paragraph("Pick the model that fits your budget:")
    table = d.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("Model", "Best for", "Speed")):
        cell.paragraphs[0].add_run(text).bold = True
    for row in (
        ("qwen-mt-plus", "Contracts and manuals", "Slower"),
        ("qwen-mt-flash", "Everyday documents", "Fast"),
        ("qwen-mt-lite", "Large batches of short text", "Fastest"),
    ):
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = text

    d.add_heading("Checking the result", level=2)
    p = d.add_paragraph("Open the translated file and check that ")
    warn = p.add_run("headings, links and footnotes")
    warn.bold = True
    warn.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    p.add_run(" are where you left them. Run ")
    p.add_run("qmt report").italic = True
    p.add_run(" to see what each file cost.")
    d.add_paragraph("Keep the source files: qmt never overwrites them.", style="List Bullet")
    d.add_paragraph("Translate again only what changed: unchanged text comes from the cache.", style="List Bullet")

    buf = io.BytesIO()
    d.save(buf)
    return add_footnotes_part(buf.getvalue())


def add_footnotes_part(data: bytes) -> bytes:
    """python-docx cannot create footnotes: add the part, its relationship and content type.

    Entries get a fixed timestamp so that running the script again gives the same bytes.
    """
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info)
            info = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            if info.filename == "[Content_Types].xml":
                blob = blob.replace(
                    b"</Types>",
                    b'<Override PartName="/word/footnotes.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>',
                )
            elif info.filename == "word/_rels/document.xml.rels":
                blob = blob.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdFootnotes" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/></Relationships>',
                )
            dst.writestr(info, blob, compress_type=zipfile.ZIP_DEFLATED)
        note = zipfile.ZipInfo("word/footnotes.xml", date_time=FIXED_TIME)
        dst.writestr(note, FOOTNOTES_XML.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


if __name__ == "__main__":
    OUT.write_bytes(build())
    print(f"wrote {OUT}")
