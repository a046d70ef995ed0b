"""Files that cannot be handled fail with a specific reason; unsafe input is refused early."""
from __future__ import annotations

import io
import zipfile

import pytest

from pipeline.errors import FileError, FormatError
from pipeline.languages import lookup
from pipeline.formats.docx.package import OLE_MAGIC
from pipeline.formats.options import DocxOptions


def ole(stream_name: str) -> bytes:
    return OLE_MAGIC + b"\0" * 504 + stream_name.encode("utf-16-le") + b"\0" * 64


@pytest.mark.parametrize(
    "data, reason",
    [
        (ole("EncryptedPackage"), "encrypted"),
        (ole("WordDocument"), "legacy Word 97-2003"),
        (b"", "empty file"),
        (b"plain text, not a zip", "not a valid zip"),
    ],
)
def test_unreadable_files_fail_with_a_reason(load_docx, data, reason):
    with pytest.raises(FileError) as err:
        load_docx(data, name="report.docx")
    assert reason in err.value.reason and "report.docx" in str(err.value)


def test_zip_without_a_word_document(load_docx):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(FileError, match="Content_Types"):
        load_docx(buf.getvalue())


def test_corrupt_part_is_named(make_docx, load_docx):
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(make_docx("<w:p/>"))) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            blob = src.read(info)
            dst.writestr(info, b"<w:document><unclosed>" if info.filename == "word/document.xml" else blob)
    with pytest.raises(FileError, match="word/document.xml is not well-formed"):
        load_docx(buf.getvalue())


def test_zip_bomb_is_refused_before_expanding(make_docx, load_docx):
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(make_docx("<w:p/>"))) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("word/media/padding.bin", b"\0" * (40 * 1024 * 1024))
    with pytest.raises(FileError, match="zip bomb"):
        load_docx(buf.getvalue())


def test_external_entities_are_never_resolved(make_docx, load_docx, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    body = "<w:p><w:r><w:t>&xxe;</w:t></w:r></w:p>"
    data = make_docx(body)
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            blob = src.read(info)
            if info.filename == "word/document.xml":
                blob = blob.replace(
                    b"?>", f'?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file://{secret}">]>'.encode(), 1
                )
            dst.writestr(info, blob)
    with pytest.raises(FileError, match="DOCTYPE"):
        load_docx(buf.getvalue())


def test_strict_ooxml_round_trips_in_its_own_namespaces(corpus_dir, load_docx):
    path = corpus_dir / "mammoth__strict-format.docx"
    doc = load_docx(path.read_bytes())
    assert [s.text for s in doc.segments()] == ["Test"]
    out = doc.rebuild(lookup("de"), {doc.segments()[0].id: "Prüfung"})
    doc.verify(out)
    part = zipfile.ZipFile(io.BytesIO(out)).read("word/document.xml")
    assert b"http://purl.oclc.org/ooxml/wordprocessingml/main" in part
    assert b"schemas.openxmlformats.org/wordprocessingml" not in part
    assert "Prüfung".encode() in part


def test_a_header_shared_by_sections_is_one_set_of_segments(make_docx, load_docx):
    rel = '<Relationship Id="rIdH2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/>'
    body = (
        '<w:p><w:pPr><w:sectPr><w:headerReference w:type="default" r:id="rIdP0"/></w:sectPr></w:pPr>'
        '<w:r><w:t>one</w:t></w:r></w:p><w:p><w:r><w:t>two</w:t></w:r></w:p>'
        '<w:sectPr><w:headerReference w:type="default" r:id="rIdH2"/></w:sectPr>'
    )
    doc = load_docx(make_docx(body, {"header1": "<w:p><w:r><w:t>Shared header</w:t></w:r></w:p>"}, rels=rel))
    assert [s.text for s in doc.segments()].count("Shared header") == 1


def test_verify_refuses_a_document_that_lost_paragraphs_or_elements(make_docx, load_docx):
    doc = load_docx(make_docx('<w:p><w:r><w:t>a</w:t><w:tab/><w:t>b</w:t></w:r></w:p><w:p><w:r><w:t>c</w:t></w:r></w:p>'))
    with pytest.raises(FormatError, match="different paragraphs"):
        doc.verify(make_docx('<w:p><w:r><w:t>a</w:t><w:tab/><w:t>b</w:t></w:r></w:p>'))
    with pytest.raises(FormatError, match="lost or gained"):
        doc.verify(make_docx('<w:p><w:r><w:t>ab</w:t></w:r></w:p><w:p><w:r><w:t>c</w:t></w:r></w:p>'))
    with pytest.raises(FormatError, match="does not re-open"):
        doc.verify(b"garbage")


def test_segment_ids_are_stable_for_the_same_source(sample_docx, load_docx):
    data = sample_docx.read_bytes()
    first, second = load_docx(data).segments(), load_docx(data).segments()
    assert [(s.id, s.text) for s in first] == [(s.id, s.text) for s in second]
    assert len({s.id for s in first}) == len(first)


def test_parts_follow_the_job_options(make_docx, load_docx):
    parts = {
        "header1": "<w:p><w:r><w:t>head</w:t></w:r></w:p>",
        "footnotes": '<w:footnote w:id="1"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t>note</w:t></w:r></w:p></w:footnote>',
        "endnotes": '<w:endnote w:id="1"><w:p><w:r><w:t>end</w:t></w:r></w:p></w:endnote>',
        "comments": '<w:comment w:id="0"><w:p><w:r><w:t>remark</w:t></w:r></w:p></w:comment>',
    }
    data = make_docx("<w:p><w:r><w:t>body</w:t></w:r></w:p>", parts)
    everything = load_docx(data).segments()
    assert [(s.text, s.context) for s in everything] == [
        ("body", "body"), ("head", "header1.xml"), ("note", "footnote"), ("end", "endnote"), ("remark", "comment"),
    ]
    only_body = load_docx(data, DocxOptions(headers_footers=False, notes=False, comments=False)).segments()
    assert [s.text for s in only_body] == ["body"]
