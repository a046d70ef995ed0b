"""Tiny .docx packages built inline, and the shared corpus location."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from pipeline.formats.base import LoadContext
from pipeline.formats.docx import HANDLER, DocxDocument
from pipeline.formats.options import DocxOptions

from support import CORPUS as SHARED_CORPUS, SHARED_MISSING

CORPUS = SHARED_CORPUS / "docx"
SAMPLE = Path(__file__).resolve().parents[3] / "sample_docs" / "guide.docx"

NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:v="urn:schemas-microsoft-com:vml" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'
)
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
CT = "application/vnd.openxmlformats-officedocument.wordprocessingml."


def build_docx(body: str, parts: dict[str, str] | None = None, rels: str = "", styles: str | None = None) -> bytes:
    """A minimal package: ``body`` is the inside of ``w:body``; ``parts`` maps
    kind (header1, footnotes, endnotes, comments) to the inside of its root element."""
    parts = parts or {}
    roots = {"footnotes": "footnotes", "endnotes": "endnotes", "comments": "comments"}
    overrides, doc_rels, files = [], [rels], {}
    for i, (kind, inner) in enumerate(parts.items()):
        base = kind.rstrip("0123456789")
        root = roots.get(base, "hdr" if base == "header" else "ftr")
        files[f"word/{kind}.xml"] = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:{root} {NS}>{inner}</w:{root}>'
        overrides.append(f'<Override PartName="/word/{kind}.xml" ContentType="{CT}{base}+xml"/>')
        doc_rels.append(f'<Relationship Id="rIdP{i}" Type="{REL}{base}" Target="{kind}.xml"/>')
    if styles is not None:
        files["word/styles.xml"] = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles {NS}>{styles}</w:styles>'
        overrides.append(f'<Override PartName="/word/styles.xml" ContentType="{CT}styles+xml"/>')
        doc_rels.append(f'<Relationship Id="rIdS" Type="{REL}styles" Target="styles.xml"/>')
    files["[Content_Types].xml"] = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/word/document.xml" ContentType="{CT}document.main+xml"/>{"".join(overrides)}</Types>'
    )
    files["_rels/.rels"] = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL}officeDocument" Target="word/document.xml"/></Relationships>'
    )
    files["word/_rels/document.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'{"".join(doc_rels)}</Relationships>'
    )
    files["word/document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {NS}><w:body>{body}</w:body></w:document>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return out.getvalue()


def load(data: bytes, options: DocxOptions | None = None, name: str = "t.docx") -> DocxDocument:
    return HANDLER.load(LoadContext(Path(name), data, options or DocxOptions(), None, ()))


@pytest.fixture
def corpus_files() -> list[Path]:
    files = sorted(CORPUS.glob("*.docx"))
    if not files:
        pytest.skip(SHARED_MISSING)
    return files


@pytest.fixture
def make_docx():
    """The inline package builder (tests cannot import conftest under importlib mode)."""
    return build_docx


@pytest.fixture
def load_docx():
    return load


@pytest.fixture
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(SHARED_MISSING)
    return CORPUS


@pytest.fixture
def sample_docx() -> Path:
    return SAMPLE
