"""Text that grew: boxes whose translation is much longer get "shrink text on overflow" and a warning."""
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


def filled_deck() -> bytes:
    """Fixed boxes filled with text (one set to no autofit, one plain), one that grows with its
    text, a short label, and a table."""
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
    assert sorted(why for _, status, why in doc.notices if status == "expanded") == [
        "text box 'Box 0': translation 1.6x the source's length; set to shrink text on overflow",
        "text box 'Box 1': translation 1.6x the source's length; set to shrink text on overflow",
    ]


def test_a_translation_of_about_the_same_length_changes_nothing(load_pptx):
    doc, _, fits, _ = rebuilt(load_pptx, 1.2)
    assert "normAutofit" not in str(fits) and doc.notices == []


def test_the_run_report_lists_grown_boxes_as_warnings(tmp_path, server):
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
    assert report.status == "written" and len(grown) == 2
    assert all("set to shrink text on overflow" in p.reason and p.lang == "de" for p in grown)


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
WORD_RE = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">')


@pytest.mark.skipif(SOFFICE is None or PDFTOTEXT is None,
                    reason="LibreOffice (soffice) and pdftotext (poppler-utils) are not installed")
@pytest.mark.parametrize("shrink", [True, False], ids=["translated", "without-autofit"])
def test_libreoffice_keeps_grown_text_inside_its_box(load_pptx, tmp_path, shrink):
    """Rendered to PDF, the words of the two fixed boxes stay inside their frames (0.5 in from
    the top, 0.8 in high, 1.5 in apart); the same output with the autofit setting taken back
    out overflows, which shows the check can fail."""
    doc = load_pptx(filled_deck())
    out = doc.rebuild(lookup("de"), {s.id: longer(s.text, 1.6) for s in doc.segments()})
    if not shrink:
        out = _without_autofit(out)
    (tmp_path / "deck.pptx").write_bytes(out)
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(tmp_path / "deck.pptx")], check=True, capture_output=True,
                   timeout=300)
    html = subprocess.run([PDFTOTEXT, "-bbox", str(tmp_path / "deck.pdf"), "-"], check=True, capture_output=True,
                          text=True).stdout
    frames = [(36 + 108 * i, 36 + 108 * i + 57.6) for i in range(2)]   # points: top and bottom of Box 0 and Box 1
    left_column = [(float(y0), float(y1)) for x0, y0, x1, y1 in WORD_RE.findall(html) if float(x1) < 4.6 * 72]
    outside = [(y0, y1) for y0, y1 in left_column if y1 < 36 + 108 * 2
               and not any(top - 2 <= y0 and y1 <= bottom + 2 for top, bottom in frames)]
    assert left_column and (outside == []) is shrink, outside


def _without_autofit(data: bytes) -> bytes:
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = src.read(info.filename)
            z.writestr(info, body.replace(b"<a:normAutofit/>", b"") if info.filename.endswith("slide1.xml") else body)
    return out.getvalue()
