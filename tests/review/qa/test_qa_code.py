"""Code stays code, checked: the QA check ``code`` finds every protected span of a source
(a monospace run, a code style, a URL, a command line, Markdown inline code) byte for byte
in each output, and its tag in each translation.

A job of one Word, one PowerPoint and one Markdown file is translated with the emulator
(``qmt translate --emulator``, pseudo mode); then a reviewer edits the outputs the way
reviewers do: a command line and a URL changed in the Word file, a URL in the slide, a
code span in the Markdown. ``qmt check --emulator`` reads the outputs back (the one
loader) and names each span and its segment; chatter pasted into an output is found the
same way (the check ``chatter``).
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import docx
import pptx
import pytest
from docx.shared import Pt

from pipeline.cli import main
from pipeline.formats.base import Verbatim
from pipeline.languages import resolve
from pipeline.review.qa.checks import Checker, check_verbatim
from pipeline.review.qa.options import QaOptions
from pipeline.review.qa.snapshot import Row
from pipeline.segments import Segment

from support import EMULATOR_KEY

COMMAND = "pip install qmt --upgrade"
URL = "https://example.com/docs/setup"
MARKDOWN = f"""# Setup

Run `{COMMAND}` and read {URL} before you start.

Plain prose with no code at all, long enough to be a sentence.
"""


def _word(path: Path) -> None:
    document = docx.Document()
    p = document.add_paragraph("Install it with ")
    run = p.add_run(COMMAND)
    run.font.name = "Consolas"
    run.font.size = Pt(10)
    p.add_run(" and then restart the service.")
    document.add_paragraph(f"The guide at {URL} explains each setting in detail.")
    document.add_paragraph("Plain prose with no code at all, long enough to be a sentence.")
    document.save(str(path))


def _slides(path: Path) -> None:
    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Getting started"
    box = slide.shapes.add_textbox(0, 0, 100, 100).text_frame
    box.text = f"Read {URL} for the details of each option."
    deck.save(str(path))


@pytest.fixture
def job(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    _word(tmp_path / "in" / "guide.docx")
    _slides(tmp_path / "in" / "deck.pptx")
    (tmp_path / "in" / "setup.md").write_text(MARKDOWN, encoding="utf-8")
    path = tmp_path / "job.toml"
    path.write_text('input = "in"\noutput = "out/{lang}"\nsource_lang = "en"\ntarget_langs = ["fr", "ar"]\n',
                    encoding="utf-8")
    assert main(["translate", str(path), "--emulator"]) == 0
    return path


def _edit_zip(path: Path, part: str, old: str, new: str) -> None:
    with zipfile.ZipFile(path) as z:
        files = {i: z.read(i) for i in z.namelist()}
    xml = files[part].decode("utf-8")
    assert old in xml, (part, old)
    files[part] = xml.replace(old, new).encode("utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    path.write_bytes(buf.getvalue())


def code_findings(tmp_path: Path) -> list[dict]:
    report = json.loads((tmp_path / "out" / ".qmt" / "job" / "qa" / "check.json").read_text(encoding="utf-8"))
    return [f for f in report["findings"] if f["check"] == "code"]


def test_a_correct_run_keeps_every_span_and_passes(job, tmp_path):
    assert main(["check", str(job), "--emulator"]) == 0
    assert code_findings(tmp_path) == []


def test_edited_commands_urls_and_code_in_the_outputs_are_named(job, tmp_path):
    out = tmp_path / "out"
    _edit_zip(out / "fr" / "guide.docx", "word/document.xml", COMMAND, "pip install qmt")
    _edit_zip(out / "ar" / "guide.docx", "word/document.xml", URL, URL + "s")
    _edit_zip(out / "fr" / "deck.pptx", "ppt/slides/slide1.xml", URL, "https://example.org/docs/setup")
    md = out / "ar" / "setup.md"
    md.write_text(md.read_text(encoding="utf-8").replace(f"`{COMMAND}`", "`pip install qmt`"), encoding="utf-8")
    assert main(["check", str(job), "--emulator"]) == 1
    found = {(f["file"], f["lang"], f["message"]) for f in code_findings(tmp_path)}
    assert found == {
        ("guide.docx", "fr", f"code {COMMAND!r} missing or changed in the output; the output has 'pip install qmt'"),
        ("guide.docx", "ar", f"code {URL!r} missing or changed in the output; the output has {URL + 's'!r}"),
        ("deck.pptx", "fr", f"code {URL!r} missing or changed in the output; the output has "
                            "'https://example.org/docs/setup'"),
        ("setup.md", "ar", f"code {'`' + COMMAND + '`'!r} missing or changed in the output; the output has "
                           "'`pip install qmt`'"),
    }
    by_file = {f["file"]: f for f in code_findings(tmp_path)}
    assert by_file["guide.docx"]["segment"] == "word/document.xml#0"      # the segment that holds it
    assert by_file["setup.md"]["excerpt"] == "<x1/>"                      # the tag that carries it


def test_a_dropped_tag_names_the_code_it_carried():
    code = Verbatim(f"Install it with {COMMAND} and restart.", ((COMMAND, 1, 16),))
    hits = check_verbatim(code, "Installez-le et redémarrez.", None)
    assert hits == [(f"code {COMMAND!r} dropped from the translation (its tag <x1/> is missing)", "source", "<x1/>")]
    assert check_verbatim(code, "Installez-le avec <x1/> et redémarrez.", None) == []
    row = Row("guide.docx", resolve("fr"), Segment("p1", "Install it with <x1/> and restart."),
              "Installez-le et redémarrez.", "mt", verbatim=code)
    assert {f.check for f in Checker(QaOptions(tags="off")).segment(row, resolve("en"))} == {"code"}
    assert Checker(QaOptions(tags="off", code="off")).segment(row, resolve("en")) == []


@pytest.mark.parametrize("written,flagged", [
    (f"请运行{COMMAND}然后重启。", False),                 # not read as code next to CJK: still whole
    (f"Lancez {COMMAND}.", False),
    (f"Lancez {COMMAND}-beta.", True),                     # part of a longer command
    (f"Lancez {COMMAND}.x", True),
    ("Lancez pip install qmt.", True),
])
def test_code_the_output_no_longer_reads_as_code_is_found_when_whole(written, flagged):
    code = Verbatim(f"Run {COMMAND}.", ((COMMAND, 1, 4),))
    hits = check_verbatim(code, "Lancez <x1/>.", Verbatim(written))
    assert bool(hits) == flagged, hits


@pytest.mark.parametrize("written,flagged", [
    (Verbatim(f"请访问{URL}了解详情。"), False),                              # not read as a URL at all
    (Verbatim(f"请访问{URL}了解详情。", ((f"{URL}了解详情。", 0, 3),)), False),  # read on into the Chinese
    (Verbatim(f"请访问 {URL}/v2 了解。", ((f"{URL}/v2", 0, 4),)), True),       # a longer URL
    (Verbatim("请访问 https://example.org 了解。", (("https://example.org", 0, 4),)), True),
])
def test_a_url_next_to_another_script_is_found_whole(written, flagged):
    code = Verbatim(f"See {URL} for details.", ((URL, 1, 4),))
    assert bool(check_verbatim(code, "请访问<x1/>了解详情。", written)) == flagged


def test_prose_is_never_code():
    row = Row("guide.docx", resolve("fr"), Segment("p1", "Plain prose, long enough."), "Prose simple, assez longue.",
              "mt", written=Verbatim("Prose simple, assez longue."))
    assert Checker(QaOptions()).segment(row, resolve("en")) == []


def test_chatter_a_reviewer_pasted_into_an_output_is_found(job, tmp_path):
    """Chatter checked where ``qmt check`` reads it: a reviewer pasted a model's whole answer
    over a paragraph of the Markdown output, which the next reading takes in as theirs."""
    md = tmp_path / "out" / "fr" / "setup.md"
    lines = md.read_text(encoding="utf-8").split("\n")
    last = max(i for i, line in enumerate(lines) if line.strip())
    lines[last] = "Sure! Here is the French translation: " + lines[last] + " Let me know if you need anything else!"
    md.write_text("\n".join(lines), encoding="utf-8")
    assert main(["check", str(job), "--emulator"]) == 1
    report = json.loads((tmp_path / "out" / ".qmt" / "job" / "qa" / "check.json").read_text(encoding="utf-8"))
    found = [(f["file"], f["lang"], f["message"]) for f in report["findings"] if f["check"] == "chatter"]
    assert found == [("setup.md", "fr", "a preamble ('Sure! Here is the French translation:')")]
