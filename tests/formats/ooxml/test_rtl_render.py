"""Right to left as a reader sees it: LibreOffice renders translated DOCX, PPTX and XLSX files
to PDF and the word boxes (``pdftotext -bbox``) show paragraphs on the right and tables
mirrored for Arabic and Hebrew, and the source's left-to-right layout for Chinese.

Skipped where LibreOffice or poppler-utils is not installed (``.ci/run`` installs both)."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.emulator.pseudo import pseudo_translate
from pipeline.formats.base import LoadContext
from pipeline.languages import lookup

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
pytestmark = pytest.mark.skipif(SOFFICE is None or PDFTOTEXT is None,
                                reason="LibreOffice (soffice) and pdftotext (poppler-utils) are not installed")
W_NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
WORD_RE = re.compile(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>')


def build_docx() -> bytes:
    from docx import Document

    doc = Document()
    doc.add_paragraph("Alpha")
    table = doc.add_table(rows=1, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Bravo", "Charlie"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def build_pptx() -> bytes:
    from pptx import Presentation
    from pptx.enum.text import MSO_AUTO_SIZE
    from pptx.util import Inches

    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    frame = slide.shapes.add_textbox(Inches(0.5), Inches(0.5), Inches(9), Inches(1)).text_frame
    frame.word_wrap, frame.auto_size = True, MSO_AUTO_SIZE.NONE
    frame.paragraphs[0].text = "Alpha"
    table = slide.shapes.add_table(1, 2, Inches(0.5), Inches(3), Inches(9), Inches(1)).table
    table.cell(0, 0).text, table.cell(0, 1).text = "Bravo", "Charlie"
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def build_xlsx() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Comment", "Remark"])
    ws.append([FIRST, SECOND])
    ws.column_dimensions["A"].width = ws.column_dimensions["B"].width = 30
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


FIRST, SECOND = "The first column, a quarter", "The second column, a note"


# Every (format, language) the tests read, rendered by one LibreOffice start (a start costs
# more than a small file's conversion).
RENDERS = [("docx", "ar"), ("docx", "he"), ("docx", "zh"), ("pptx", "ar"), ("pptx", "he"), ("pptx", "zh"),
           ("xlsx", "ar"), ("xlsx", "zh")]
Page = tuple[float, dict[str, tuple[float, float]]]


def translated(kind: str, data: bytes, code: str) -> bytes:
    """``data`` translated (pseudo) into ``code`` by qmt, checked as a run checks it."""
    from pipeline.formats import docx, pptx, xlsx

    handler = {"docx": docx.HANDLER, "pptx": pptx.HANDLER, "xlsx": xlsx.HANDLER}[kind]
    doc = handler.load(LoadContext(Path(f"t.{kind}"), data, None, None, (), relpath=f"t.{kind}"))
    out = doc.rebuild(lookup(code), {s.id: pseudo_translate(s.text, code) for s in doc.segments()})
    doc.verify(out)
    return out


def words_of(pdf: Path) -> Page:
    """The page width and each word's first box."""
    html = subprocess.run([PDFTOTEXT, "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    width = float(re.search(r'<page width="([\d.]+)"', html).group(1))
    words: dict[str, tuple[float, float]] = {}
    for x0, x1, text in WORD_RE.findall(html):
        words.setdefault(text, (float(x0), float(x1)))
    return width, words


@pytest.fixture(scope="module")
def render(tmp_path_factory):
    """``render(kind, code)``: the page of the source of ``kind`` translated into ``code``,
    as LibreOffice renders it to PDF (all of :data:`RENDERS` converted in one call)."""
    folder = tmp_path_factory.mktemp("render")
    sources = {"docx": build_docx(), "pptx": build_pptx(), "xlsx": build_xlsx()}
    files = []
    for kind, code in RENDERS:
        files.append(folder / f"{code}-{kind}.{kind}")
        files[-1].write_bytes(translated(kind, sources[kind], code))
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{folder}/lo", "--convert-to", "pdf",
                    "--outdir", str(folder), *map(str, files)], check=True, capture_output=True, timeout=600)
    pages = {(kind, code): words_of(folder / f"{code}-{kind}.pdf") for kind, code in RENDERS}
    return lambda kind, code: pages[(kind, code)]


def box(words: dict[str, tuple[float, float]], code: str, source: str) -> tuple[float, float]:
    word = pseudo_translate(source, code).split()[-1]
    # pseudo text is in the target's script, and pdftotext -bbox gives a right-to-left word in
    # visual order: its letters reversed (these words have no lam-alef ligature).
    return words[word[::-1] if lookup(code).rtl else word]


def test_word_paragraphs_sit_on_the_right_and_tables_are_mirrored(render):
    for code in ("ar", "he"):
        width, words = render("docx", code)
        x0, x1 = box(words, code, "Alpha")
        assert x0 > width / 2 and width - x1 < width / 4, (code, x0, x1, width)   # right-aligned
        assert box(words, code, "Bravo")[0] > box(words, code, "Charlie")[0]      # first column on the right
    width, words = render("docx", "zh")
    assert box(words, "zh", "Alpha")[1] < width / 2                                # left-aligned, as the source
    assert box(words, "zh", "Bravo")[0] < box(words, "zh", "Charlie")[0]


def test_slide_paragraphs_and_table_cells_sit_on_the_right(render):
    """LibreOffice (7.4) does not mirror a slide table's columns (``a:tblPr rtl="1"``, which
    PowerPoint honours); the text in each cell is right-aligned."""
    first_cell_middle = (0.5 + 4.5 / 2) / 10   # the first column spans 0.5 to 5 inches of a 10-inch slide
    for code in ("ar", "he"):
        width, words = render("pptx", code)
        x0, x1 = box(words, code, "Alpha")
        assert x0 > width / 2 and width - x1 < width / 4, (code, x0, x1, width)
        assert box(words, code, "Bravo")[0] > width * first_cell_middle
    width, words = render("pptx", "zh")
    assert box(words, "zh", "Alpha")[1] < width / 2
    assert box(words, "zh", "Bravo")[1] < width * first_cell_middle


def test_sheets_read_from_the_right(render):
    _, words = render("xlsx", "ar")
    assert box(words, "ar", FIRST)[0] > box(words, "ar", SECOND)[0]               # column A on the right
    _, words = render("xlsx", "zh")
    assert box(words, "zh", FIRST)[0] < box(words, "zh", SECOND)[0]
