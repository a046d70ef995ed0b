"""Strict Open XML (ISO/IEC 29500 Strict) read and written in its own namespaces.

Real files saved as Strict by Office (tests/corpus/ooxml-strict: Apache POI's workbooks, the
Open XML SDK's documents and presentations): identity keeps every part (byte for byte, or the
same canonical XML), the output stays Strict, pseudo-translation reads the same text as the
Transitional twin, and LibreOffice opens the translated files."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from pipeline.emulator.pseudo import pseudo_translate
from pipeline.formats.base import Document, LoadContext
from pipeline.formats.docx import HANDLER as DOCX
from pipeline.formats.ooxml.conformance import STRICT, STRICT_NAMESPACES, TRANSITIONAL, conformance_of
from pipeline.formats.pptx import HANDLER as PPTX
from pipeline.formats.xlsx import HANDLER as XLSX
from pipeline.languages import lookup
from pipeline.segments import plain_text

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "ooxml-strict"
#: Real Transitional twins saved by the same application from the same content (POI's test data).
TWINS = {"SampleSS.strict.xlsx": "SampleSS.xlsx", "sample.strict.xlsx": "sample.xlsx"}
STRICT_FILES = sorted(p for p in CORPUS.glob("*/*") if p.suffix in (".docx", ".pptx", ".xlsx")
                      and p.name not in TWINS.values())
HANDLERS = {".docx": DOCX, ".pptx": PPTX, ".xlsx": XLSX}
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
TRANSITIONAL_URIS = [t.encode() for t in STRICT_NAMESPACES.values()]


def load(name: str, data: bytes) -> Document:
    return HANDLERS[Path(name).suffix].load(LoadContext(Path(name), data, None, None, (), relpath=name))


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def canonical(data: bytes) -> bytes:
    return etree.tostring(etree.fromstring(data), method="c14n")


def transitional_twin(data: bytes) -> bytes:
    """The package with every Strict URI replaced by its Transitional twin, byte for byte in
    every part (relationship types too): what qmt reads must not depend on the class."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            blob = zin.read(info)
            if info.filename.endswith((".xml", ".rels")):
                blob = blob.replace(b"http://purl.oclc.org/ooxml/officeDocument/relationships/",
                                    b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/")
                for strict, transitional in STRICT_NAMESPACES.items():
                    blob = blob.replace(strict.encode(), transitional.encode())
            zout.writestr(info, blob)
    return out.getvalue()


# -- the namespace map ------------------------------------------------------------------

def test_the_class_is_read_from_the_main_parts_root_namespace():
    assert conformance_of(b'<workbook xmlns="http://purl.oclc.org/ooxml/spreadsheetml/main"/>') is STRICT
    assert conformance_of(b'<x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>') \
        is TRANSITIONAL
    assert conformance_of(b"not xml") is TRANSITIONAL


def test_declarations_are_mapped_both_ways_and_nothing_else_moves():
    part = (b'<?xml version="1.0"?>\n<!-- xmlns:w="http://purl.oclc.org/ooxml/wordprocessingml/main" -->'
            b"<w:document xmlns:w='http://purl.oclc.org/ooxml/wordprocessingml/main' "
            b'xmlns:t="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            b'<w:t>xmlns:w="http://purl.oclc.org/ooxml/wordprocessingml/main"</w:t><t:x/></w:document>')
    read = STRICT.read(part)
    root = etree.fromstring(read)
    assert root.tag == "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}document"
    # A Transitional element in a Strict part stays apart from the Strict ones...
    assert root[1].tag != root.tag.replace("document", "x")
    # ...text and comments quoting a declaration are not declarations.
    assert root[0].text == 'xmlns:w="http://purl.oclc.org/ooxml/wordprocessingml/main"'
    assert read.startswith(part[:part.index(b"<w:document")])
    assert STRICT.write(read) == part
    assert TRANSITIONAL.read(part) is part


@pytest.mark.parametrize("path", STRICT_FILES, ids=lambda p: p.name)
def test_identity_keeps_every_part_as_for_the_transitional_twin_in_strict_namespaces(path):
    """A part the rebuild leaves alone is byte for byte the input's; a part it rewrites (the
    DOCX cleanup drops revision-session ids, PPTX joins runs of the same formatting) is,
    namespaces aside, exactly what the same rebuild makes of the Transitional twin, and
    declares no Transitional namespace the input did not."""
    data = path.read_bytes()
    doc, twin = load(path.name, data), load(path.name, transitional_twin(data))
    assert doc.segments(), "a corpus file with text"
    out = doc.rebuild(lookup("en"), {s.id: s.text for s in doc.segments()})
    doc.verify(out)
    twin_out = parts(twin.rebuild(lookup("en"), {s.id: s.text for s in twin.segments()}))
    before, after, after_as_twin = parts(data), parts(out), parts(transitional_twin(out))
    assert list(after) == list(before)
    for name, blob in before.items():
        if after[name] == blob:
            continue
        assert canonical(after_as_twin[name]) == canonical(twin_out[name]), name
        assert not any(uri in after[name] and uri not in blob for uri in TRANSITIONAL_URIS), name


@pytest.mark.parametrize("path", STRICT_FILES, ids=lambda p: p.name)
def test_pseudo_translates_the_same_text_as_the_transitional_twin(path):
    data = path.read_bytes()
    twin = (CORPUS / path.parent.name / TWINS[path.name]).read_bytes() if path.name in TWINS else \
        transitional_twin(data)
    doc, twin_doc = load(path.name, data), load(path.name, twin)
    assert [s.text for s in doc.segments()] == [s.text for s in twin_doc.segments()]
    translations = {s.id: pseudo_translate(s.text, "de") for s in doc.segments()}
    out = doc.rebuild(lookup("de"), translations)
    doc.verify(out)
    again = load(path.name, out)
    assert [s.text for s in again.segments()] == [translations[s.id] for s in doc.segments()]
    main = next(n for n in parts(out) if n.endswith(("/document.xml", "/workbook.xml", "/presentation.xml")))
    assert b"http://purl.oclc.org/ooxml/" in parts(out)[main]


@pytest.mark.skipif(SOFFICE is None or PDFTOTEXT is None, reason="LibreOffice or pdftotext is not installed")
def test_libreoffice_opens_the_translated_strict_files(tmp_path):
    written = {}
    for path in STRICT_FILES:
        doc = load(path.name, path.read_bytes())
        translations = {s.id: pseudo_translate(s.text, "de") for s in doc.segments()}
        (tmp_path / path.name).write_bytes(doc.rebuild(lookup("de"), translations))
        written[path.name] = [plain_text(t).replace("⟦de⟧ ", "") for t in translations.values()]
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path / "pdf"), *(str(tmp_path / n) for n in written)],
                   check=True, capture_output=True, timeout=300)
    for name, texts in written.items():
        pdf = tmp_path / "pdf" / (Path(name).stem + ".pdf")
        text = subprocess.run([str(PDFTOTEXT), str(pdf), "-"], check=True, capture_output=True).stdout.decode()
        words = {w for t in texts for w in t.split() if len(w) > 3}
        assert any(w in text for w in words), name


def test_the_office_formats_write_parts_through_their_package():
    """A part stored with ``serialize`` directly (``replaced[part] = serialize(tree)``) would
    leave a Strict package with Transitional namespaces: DOCX, PPTX and XLSX store the parts
    they read with ``package.xml`` through ``package.dump``."""
    formats = Path(__file__).resolve().parents[3] / "pipeline" / "formats"
    stored = re.compile(r"\]\s*=\s*serialize\(")
    direct = [f"{path.relative_to(formats)}:{n}" for name in ("docx", "pptx", "xlsx")
              for path in sorted((formats / name).glob("*.py"))
              for n, line in enumerate(path.read_text().splitlines(), start=1) if stored.search(line)]
    assert direct == []
