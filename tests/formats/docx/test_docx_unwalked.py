"""The independent look at a .docx: text the walk did not extract is listed (issue 11)."""
from __future__ import annotations

import io
import zipfile

import pipeline.formats.docx.walk as walk
from pipeline.formats.options import DocxOptions

DIAGRAM = ('<dgm:dataModel xmlns:dgm="http://schemas.openxmlformats.org/drawingml/2006/diagram" '
           'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><dgm:ptLst><dgm:pt><dgm:t>'
           '<a:p><a:r><a:t>Diagram box text</a:t></a:r></a:p></dgm:t></dgm:pt></dgm:ptLst></dgm:dataModel>')
BODY = ('<w:p><w:r><w:t>Extracted paragraph.</w:t></w:r></w:p>'
        '<w:p><w:fldSimple w:instr=" PAGE "><w:r><w:t>Page one</w:t></w:r></w:fldSimple></w:p>')


def with_entry(data: bytes, name: str, text: str) -> bytes:
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as z:
        z.writestr(name, text)
    return out.getvalue()


def test_a_diagram_part_is_listed_and_field_results_are_not(make_docx, load_docx):
    doc = load_docx(with_entry(make_docx(BODY), "word/diagrams/data1.xml", DIAGRAM))
    (found,) = doc.unextracted()
    assert found.startswith("word/diagrams/data1.xml: 1 pieces of text not translated") and "Diagram box" in found


def test_parts_the_job_turned_off_are_not_listed(make_docx, load_docx):
    data = make_docx(BODY, {"header1": "<w:p><w:r><w:t>Header text</w:t></w:r></w:p>"})
    assert load_docx(data, DocxOptions(headers_footers=False)).unextracted() == []


def test_a_paragraph_the_walk_skipped_is_listed(make_docx, load_docx, monkeypatch):
    read = walk.read_paragraph

    def blind(p, code):   # a walk bug: the paragraph about "skipped" is not seen as text
        model = read(p, code)
        if "skipped" in "".join(p.itertext()):
            monkeypatch.setattr(type(model), "translatable", property(lambda self: "skipped" not in self.text))
        return model

    monkeypatch.setattr(walk, "read_paragraph", blind)
    doc = load_docx(make_docx(BODY + "<w:p><w:r><w:t>A skipped paragraph.</w:t></w:r></w:p>"))
    assert doc.unextracted() == ["word/document.xml paragraph 2: not extracted: 'A skipped paragraph.'"]
