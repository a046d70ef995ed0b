"""Pseudo text in the target's script renders: LibreOffice turns pseudo-translated DOCX and
PPTX files into PDF on this machine's fonts, and no glyph is missing (no .notdef box in any
embedded font, every font embedded per ``pdffonts``) and ``pdftotext`` reads back what we wrote.

Needs LibreOffice, poppler-utils and the fonts ``.ci/run`` installs (fonts-noto-core for
Arabic, Devanagari and Thai, fonts-noto-cjk for Chinese, Japanese and Korean). Without them
the tests skip, except in CI (``QMT_REQUIRE_SHARED=1``), where they fail: CI installs them."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from pipeline.emulator.pseudo import pseudo_translate
from pipeline.formats.base import LoadContext
from pipeline.languages import lookup
from support import shared_required

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT, PDFFONTS, FC_LIST = shutil.which("pdftotext"), shutil.which("pdffonts"), shutil.which("fc-list")
LANGS = ("zh", "ja", "ko", "ar", "ru", "hi", "he", "el", "th")
# A font family of the CI image for each script that DejaVu (LibreOffice's own dependency) lacks.
FONTS = {"Noto Sans CJK": "fonts-noto-cjk", "Noto Sans Devanagari": "fonts-noto-core", "Noto Sans Thai": "fonts-noto-core"}
PROSE = ["Open the Settings menu and choose Save as to keep a copy of your report.",
         "Our team will review every request within 2 business days.",
         "The quick brown fox jumps over the lazy dog."]
PROBE = "Probe \U0010fffd"       # a private-use character no font has: must be seen as missing
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def missing_tools() -> str | None:
    if SOFFICE is None or PDFTOTEXT is None or PDFFONTS is None:
        return "LibreOffice (soffice) and poppler-utils (pdftotext, pdffonts) are not installed"
    families = subprocess.run([FC_LIST, ":", "family"], capture_output=True, text=True).stdout if FC_LIST else ""
    lacking = sorted({pkg for family, pkg in FONTS.items() if family not in families})
    return f"fonts not installed: {', '.join(lacking)}" if lacking else None


@pytest.fixture(scope="module", autouse=True)
def tools() -> None:
    reason = missing_tools()
    if reason and shared_required():
        pytest.fail(f"{reason} (.ci/run installs them; QMT_REQUIRE_SHARED is set)")
    if reason:
        pytest.skip(reason)


def build_docx() -> bytes:
    from docx import Document

    doc = Document()
    for text in PROSE:
        doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def build_pptx() -> bytes:
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    frame = slide.shapes.add_textbox(Inches(0.5), Inches(0.5), Inches(9), Inches(5)).text_frame
    frame.word_wrap = True
    frame.paragraphs[0].text = PROSE[0]
    for text in PROSE[1:]:
        frame.add_paragraph().text = text
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """name -> (its PDF, the text written into it); one LibreOffice run converts them all."""
    from pipeline.formats import docx, pptx

    folder = tmp_path_factory.mktemp("render")
    written: dict[str, str] = {}
    for kind, handler, data in (("docx", docx.HANDLER, build_docx()), ("pptx", pptx.HANDLER, build_pptx())):
        for code in LANGS:
            doc = handler.load(LoadContext(Path(f"t.{kind}"), data, None, None, (), relpath=f"t.{kind}"))
            translations = {s.id: pseudo_translate(s.text, code) for s in doc.segments()}
            out = doc.rebuild(lookup(code), translations)
            doc.verify(out)
            (folder / f"{code}-{kind}.{kind}").write_bytes(out)
            written[f"{code}-{kind}"] = "".join(translations.values())
    from docx import Document

    probe = Document()
    probe.add_paragraph(PROBE)
    probe.save(folder / "probe-docx.docx")
    written["probe-docx"] = PROBE
    sources = sorted(str(p) for p in folder.iterdir() if p.suffix in (".docx", ".pptx"))
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{folder}/lo", "--convert-to", "pdf",
                    "--outdir", str(folder), *sources], check=True, capture_output=True, timeout=600)
    return {name: (folder / f"{name}.pdf", text) for name, text in written.items()}


def notdef_glyphs(pdf: Path) -> list[str]:
    """Glyphs drawn as the missing-glyph box: in a TrueType subset, a glyph whose outline is
    that of glyph 0 (.notdef); in a Type 1 font (LibreOffice's form of CFF, the CJK fonts),
    a glyph named for CID 0."""
    from fontTools.t1Lib import T1Font
    from fontTools.ttLib import TTFont
    from pypdf import PdfReader

    missing: list[str] = []
    for page in PdfReader(pdf).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/FontDescriptor"].get_object()
            name = str(font["/BaseFont"])
            if "/FontFile2" in descriptor:
                tt = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
                glyf = tt["glyf"]
                order = tt.getGlyphOrder()
                outline = [glyf[g].compile(glyf) if glyf[g].numberOfContours else b"" for g in order]
                missing += [f"{name}:{g}" for g, o in zip(order[1:], outline[1:]) if outline[0] and o == outline[0]]
            elif "/FontFile" in descriptor:
                with tempfile.NamedTemporaryFile(suffix=".pfa") as tmp:
                    tmp.write(descriptor["/FontFile"].get_object().get_data())
                    tmp.flush()
                    t1 = T1Font(tmp.name)
                    t1.parse()
                    used = t1.font["Encoding"][1 : int(font["/LastChar"]) + 1]     # code 0 is never drawn
                    missing += [f"{name}:{g}" for g in used if g in ("cid0", ".notdef")]
            else:
                missing.append(f"{name}: not embedded")
    return missing


def extracted(pdf: Path, code: str) -> str:
    text = subprocess.run([PDFTOTEXT, str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return normalised(text, code, wrote=False)


def normalised(text: str, code: str, *, wrote: bool) -> str:
    """Without white space (lines wrap where the renderer chose). Right to left, also without
    bidi controls and the ``⟦ar⟧`` marker, whose brackets pdftotext reorders; and poppler
    reads a lam-alef ligature back alef first, which the written text is brought to."""
    text = re.sub(r"\s+", "", text)
    if lookup(code).rtl:
        text = re.sub(r"[⟦⟧a-z]", "", text.translate(BIDI_CONTROLS))
        if wrote:
            text = re.sub("ل([اآأإ])", r"\1ل", text)
    return text


@pytest.mark.parametrize("kind", ["docx", "pptx"])
@pytest.mark.parametrize("code", LANGS)
def test_no_glyph_is_missing_and_the_text_reads_back(rendered, code: str, kind: str) -> None:
    pdf, written = rendered[f"{code}-{kind}"]
    assert notdef_glyphs(pdf) == []
    fonts = subprocess.run([PDFFONTS, str(pdf)], check=True, capture_output=True, text=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts       # every font embedded
    assert extracted(pdf, code) == normalised(written, code, wrote=True)


def test_a_missing_glyph_is_seen(rendered) -> None:
    """The check above is not blind: a character no font has shows up as a .notdef glyph
    (while pdftotext still reads it back, which is why that alone proves nothing)."""
    pdf, written = rendered["probe-docx"]
    assert notdef_glyphs(pdf)
    assert extracted(pdf, "en") == normalised(written, "en", wrote=True)
