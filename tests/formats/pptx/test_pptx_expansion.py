"""Text that grew: boxes whose translation is much longer get "shrink text on overflow", table
cells a smaller size, and each a warning."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile

import pytest
from lxml import etree

from pipeline.formats.ooxml.drawing import a
from pipeline.languages import lookup
from pipeline.segments import TAG_RE

SOURCE = "Quarterly sales grew in every region we serve"
P_NS = "http://schemas.openxmlformats.org/presentationml/2006/main"


#: The table filled to its frame's edge: 2 x 2 cells of 14 pt text, EMU position and size:
EMU = 914400    # per inch
FILLED = (5 * EMU, int(4.5 * EMU), int(4.5 * EMU), int(1.7 * EMU))   # the source text ends 3 pt above its bottom


def filled_deck() -> bytes:
    """Fixed boxes filled with text (one set to no autofit, one plain), one that grows with its
    text, a short label, a table whose text states no size (the presentation's default text
    style says 20 pt), and a table "Filled" whose rows fill its frame."""
    from pptx import Presentation
    from pptx.enum.text import MSO_AUTO_SIZE
    from pptx.util import Inches, Pt

    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    for i, size in enumerate((MSO_AUTO_SIZE.NONE, None, MSO_AUTO_SIZE.SHAPE_TO_FIT_TEXT)):
        shape = slide.shapes.add_textbox(Inches(0.5), Inches(0.5 + 1.5 * i), Inches(4), Inches(0.8))
        shape.name = f"Box {i}"
        frame = shape.text_frame
        frame.word_wrap = True
        if size is not None:
            frame.auto_size = size
        else:   # no autofit setting at all
            for fit in list(frame._bodyPr):
                frame._bodyPr.remove(fit)
        frame.paragraphs[0].text = SOURCE
        frame.paragraphs[0].runs[0].font.size = Pt(28)
    slide.shapes.add_textbox(Inches(5), Inches(0.5), Inches(2), Inches(0.5)).text_frame.text = "Total"
    slide.shapes.add_table(1, 1, Inches(5), Inches(3), Inches(4), Inches(1)).table.cell(0, 0).text = SOURCE
    prs.part._element.find(".//{*}defaultTextStyle/{*}lvl1pPr/{*}defRPr").set("sz", "2000")
    filled = slide.shapes.add_table(2, 2, *FILLED)
    filled.name = "Filled"
    for row in range(2):
        for col in range(2):
            cell = filled.table.cell(row, col)
            cell.text = SOURCE
            cell.text_frame.paragraphs[0].runs[0].font.size = Pt(14)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def longer(text: str, ratio: float) -> str:
    """The text with its words repeated up to ``ratio`` times its length (tags kept once)."""
    plain = TAG_RE.sub("", text)
    return text + " " + (plain * 3)[: int(len(plain) * (ratio - 1)) - 1]


def rebuilt(load_pptx, ratio: float):
    doc = load_pptx(filled_deck())
    out = doc.rebuild(lookup("de"), {s.id: longer(s.text, ratio) for s in doc.segments()})
    doc.verify(out)
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(out)).read("ppt/slides/slide1.xml"))
    fits = {}
    for body in root.iter("{http://schemas.openxmlformats.org/presentationml/2006/main}txBody"):
        name = body.getparent().find(".//{*}cNvPr").get("name")
        fits[name] = [etree.QName(c).localname for c in body.find(a("bodyPr"))]
    cell = root.find(f".//{a('tc')}//{a('bodyPr')}")
    return doc, out, fits, cell


def test_boxes_that_grew_shrink_on_overflow_and_are_reported(load_pptx):
    doc, _, fits, cell = rebuilt(load_pptx, 1.6)
    assert fits["Box 0"] == ["normAutofit"] and fits["Box 1"] == ["normAutofit"]
    assert fits["Box 2"] == ["spAutoFit"]                     # grows with its text: no overflow
    assert all("normAutofit" not in f for name, f in fits.items() if not name.startswith("Box"))
    assert cell is None or cell.find(a("normAutofit")) is None
    assert sorted(why for _, status, why in doc.notices if status == "expanded" and why.startswith("text box")) == [
        "text box 'Box 0': translation 1.6x the source's length; set to shrink text on overflow",
        "text box 'Box 1': translation 1.6x the source's length; set to shrink text on overflow",
    ]


def cell_sizes(out: bytes) -> dict[str, list[list[set[str | None]]]]:
    """Table name -> rows -> cells -> the ``sz`` of the cell's runs and paragraph ends."""
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(out)).read("ppt/slides/slide1.xml"))
    return {frame.find(".//{*}cNvPr").get("name"): [
        [{r.get("sz") for r in tc.iter(a("rPr"), a("endParaRPr"))} for tc in tr.iter(a("tc"))]
        for tr in frame.iter(a("tr"))] for frame in root.iter(f"{{{P_NS}}}graphicFrame")}


def test_table_cells_that_grew_get_a_smaller_size_and_are_reported(load_pptx):
    """1/sqrt(1.6) of the size: 14 pt stated on the runs -> 11.07 pt; a table whose text
    states no size follows the presentation's default text style (20 pt here) -> 15.81 pt."""
    doc, out, _, _ = rebuilt(load_pptx, 1.6)
    sizes = cell_sizes(out)
    (inherited,) = [name for name in sizes if name != "Filled"]
    assert sizes["Filled"] == [[{"1107"}, {"1107"}], [{"1107"}, {"1107"}]]
    assert sizes[inherited] == [[{"1581"}]]
    assert sorted(why for _, status, why in doc.notices if status == "expanded" and why.startswith("table")) == [
        f"table 'Filled' cell (row {r}, column {c}): translation 1.6x the source's length; text set to 79% of its size"
        for r in (1, 2) for c in (1, 2)] + [
        f"table {inherited!r} cell (row 1, column 1): translation 1.6x the source's length; text set to 79% of its size"]


def test_cell_sizes_are_bounded_below():
    """Never under 60% of the size, nor under 10 pt unless the text was smaller already."""
    from pipeline.formats.pptx.expansion import cell_scale

    assert cell_scale(1.6, 1800) == 1423 and cell_scale(4.0, 2400) == 1440
    assert cell_scale(1.6, 1200) == 1000 and cell_scale(1.6, 800) == 800


def test_small_cell_text_is_left_at_its_size_and_a_paragraph_default_counts(load_pptx):
    """8 pt text is under the readable minimum already: left, and the report says so; a
    paragraph's own default size (``a:pPr/a:defRPr``) is the size its runs inherit."""
    from pptx import Presentation
    from pptx.util import Inches, Pt

    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    table = slide.shapes.add_table(1, 2, Inches(1), Inches(1), Inches(8), Inches(1)).table
    for col, size in enumerate((Pt(8), None)):
        table.cell(0, col).text = SOURCE
        if size is not None:
            table.cell(0, col).text_frame.paragraphs[0].runs[0].font.size = size
    table.cell(0, 1).text_frame.paragraphs[0].font.size = Pt(24)     # a:pPr/a:defRPr sz="2400"
    data = io.BytesIO()
    prs.save(data)
    doc = load_pptx(data.getvalue())
    out = doc.rebuild(lookup("de"), {s.id: longer(s.text, 1.6) for s in doc.segments()})
    ((small, default),) = next(iter(cell_sizes(out).values()))
    assert small == {"800"} and default == {"1897"}
    assert sorted(why.split(": ", 1)[1] for _, _, why in doc.notices) == [
        "translation 1.6x the source's length; text left at its size (under 10 pt already)",
        "translation 1.6x the source's length; text set to 79% of its size"]


def test_a_translation_of_about_the_same_length_changes_nothing(load_pptx):
    doc, out, fits, _ = rebuilt(load_pptx, 1.2)
    assert "normAutofit" not in str(fits) and doc.notices == []
    assert cell_sizes(out)["Filled"] == [[{"1400"}, {"1400"}], [{"1400"}, {"1400"}]]
    assert all(sizes == [[{None}]] for name, sizes in cell_sizes(out).items() if name != "Filled")


def test_the_run_report_lists_grown_boxes_and_cells_as_warnings(tmp_path, server):
    """A glossary whose target is much longer makes the emulator's pseudo-translation grow."""
    from support import EMULATOR_KEY

    from pipeline.config import load_job, with_overrides
    from pipeline.job.progress import Progress
    from pipeline.job.run import EXIT_OK, run_job
    from pipeline.translate.qwen_backend import QwenBackend

    server.reset()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "deck.pptx").write_bytes(filled_deck())
    (tmp_path / "terms.csv").write_text(
        "en,de\nQuarterly sales,Vierteljährliche Umsatzerlöse aller Geschäftsbereiche\n")
    (tmp_path / "job.toml").write_text(
        'input = "in"\noutput = "out/{lang}"\nsource_lang = "en"\ntarget_langs = ["de"]\n'
        'terms = "terms.csv"\n[run]\nrpm = 0\ntpm = 0\n')
    job = with_overrides(load_job(tmp_path / "job.toml"), base_url=server.base_url)
    result = run_job(job, backend=QwenBackend(api_key=EMULATOR_KEY, base_url=server.base_url, timeout=5),
                     progress=Progress(interactive=False))
    assert result.exit_code == EXIT_OK
    (report,) = result.files
    grown = [p for p in report.problems if p.status == "expanded"]
    boxes = [p for p in grown if p.reason.startswith("text box")]
    cells = [p for p in grown if p.reason.startswith("table")]
    assert report.status == "written" and len(boxes) == 2 and len(cells) == 5 and len(grown) == 7
    assert all("set to shrink text on overflow" in p.reason and p.lang == "de" for p in boxes)
    assert all("% of its size" in p.reason and p.lang == "de" for p in cells)


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
WORD_RE = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">')
Words = list[tuple[float, float, float, float]]
needs_renderer = pytest.mark.skipif(SOFFICE is None or PDFTOTEXT is None,
                                    reason="LibreOffice (soffice) and pdftotext (poppler-utils) are not installed")


def translated_deck(load_pptx) -> bytes:
    """The filled deck rebuilt with every text 1.6 times its length."""
    doc = load_pptx(filled_deck())
    return doc.rebuild(lookup("de"), {s.id: longer(s.text, 1.6) for s in doc.segments()})


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, Words]:
    """The translated deck, and the same output with the autofit setting taken out and with
    the table's cell sizes put back, rendered to PDF by LibreOffice: each word's box, in
    points from the top left. One soffice call for the three decks: the four tests below
    each started LibreOffice for one (the translated deck twice), and a start costs more
    than rendering a slide."""
    from formats.pptx.conftest import _load

    folder = tmp_path_factory.mktemp("rendered")
    out = translated_deck(_load)
    decks = {"translated": out, "without-autofit": _without_autofit(out),
             "without-smaller-size": _with_cell_sizes(out, "Filled", "1400")}
    for name, data in decks.items():
        (folder / f"{name}.pptx").write_bytes(data)
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{folder}/lo", "--convert-to", "pdf",
                    "--outdir", str(folder), *(str(folder / f"{name}.pptx") for name in decks)],
                   check=True, capture_output=True, timeout=300)
    return {name: _words(folder / f"{name}.pdf") for name in decks}


def _words(pdf) -> Words:
    html = subprocess.run([PDFTOTEXT, "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return [(float(x0), float(y0), float(x1), float(y1)) for x0, y0, x1, y1 in WORD_RE.findall(html)]


@needs_renderer
@pytest.mark.parametrize("shrink", [True, False], ids=["translated", "without-autofit"])
def test_libreoffice_keeps_grown_text_inside_its_box(rendered, shrink):
    """Rendered to PDF, the words of the two fixed boxes stay inside their frames (0.5 in from
    the top, 0.8 in high, 1.5 in apart); the same output with the autofit setting taken back
    out overflows, which shows the check can fail."""
    frames = [(36 + 108 * i, 36 + 108 * i + 57.6) for i in range(2)]   # points: top and bottom of Box 0 and Box 1
    words = rendered["translated" if shrink else "without-autofit"]
    left_column = [(y0, y1) for x0, y0, x1, y1 in words if x1 < 4.6 * 72]
    outside = [(y0, y1) for y0, y1 in left_column if y1 < 36 + 108 * 2
               and not any(top - 2 <= y0 and y1 <= bottom + 2 for top, bottom in frames)]
    assert left_column and (outside == []) is shrink, outside


@needs_renderer
@pytest.mark.parametrize("shrink", [True, False], ids=["translated", "without-smaller-size"])
def test_libreoffice_keeps_grown_table_text_inside_its_frame(load_pptx, rendered, shrink):
    """The words of the table "Filled" stay inside its frame (``a:off``/``a:ext`` of its
    graphicFrame) at 1.6 times the length; with the cells' sizes put back (14 pt) its rows
    grow past the frame's bottom, which shows the check can fail."""
    out = translated_deck(load_pptx)
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(out)).read("ppt/slides/slide1.xml"))
    frame = next(f for f in root.iter(f"{{{P_NS}}}graphicFrame") if f.find(".//{*}cNvPr").get("name") == "Filled")
    off, ext = frame.find(f"{{{P_NS}}}xfrm/{a('off')}"), frame.find(f"{{{P_NS}}}xfrm/{a('ext')}")
    left, top = int(off.get("x")) / 12700, int(off.get("y")) / 12700           # EMU -> points
    right, bottom = left + int(ext.get("cx")) / 12700, top + int(ext.get("cy")) / 12700
    words = [w for w in rendered["translated" if shrink else "without-smaller-size"] if w[0] >= left - 2 and w[1] >= top - 2]
    outside = [w for w in words if w[2] > right + 2 or w[3] > bottom + 2]
    assert len(words) > 20 and (outside == []) is shrink, (outside, bottom)


def _with_cell_sizes(data: bytes, table: str, size: str) -> bytes:
    """The rebuilt deck with every run of ``table`` set back to ``size``."""
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    root = etree.fromstring(src.read("ppt/slides/slide1.xml"))
    frame = next(f for f in root.iter(f"{{{P_NS}}}graphicFrame") if f.find(".//{*}cNvPr").get("name") == table)
    for rpr in frame.iter(a("rPr"), a("endParaRPr")):
        rpr.set("sz", size)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            slide = info.filename == "ppt/slides/slide1.xml"
            z.writestr(info, etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
                       if slide else src.read(info.filename))
    return out.getvalue()


def _without_autofit(data: bytes) -> bytes:
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = src.read(info.filename)
            z.writestr(info, body.replace(b"<a:normAutofit/>", b"") if info.filename.endswith("slide1.xml") else body)
    return out.getvalue()
