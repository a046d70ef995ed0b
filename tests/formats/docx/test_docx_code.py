"""Code stays code in Word: monospace runs, code styles, URLs, paths and commands go back as they were."""
from __future__ import annotations

import io
import zipfile

from pipeline.emulator.pseudo import pseudo_translate
from pipeline.formats.options import DocxOptions
from pipeline.languages import lookup

STYLES = (
    '<w:style w:type="character" w:styleId="HTMLCode"><w:name w:val="HTML Code"/></w:style>'
    '<w:style w:type="character" w:styleId="Mine"><w:name w:val="My Code"/><w:basedOn w:val="HTMLCode"/></w:style>'
    '<w:style w:type="character" w:styleId="Shell"><w:name w:val="Shell"/>'
    '<w:rPr><w:rFonts w:ascii="Menlo" w:hAnsi="Menlo"/></w:rPr></w:style>'
    '<w:style w:type="character" w:styleId="Term"><w:name w:val="Terminal Output"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="SourceCode"><w:name w:val="Source Code"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="Normal"><w:name w:val="Normal"/>'
    '<w:rPr><w:rFonts w:ascii="Courier New" w:hAnsi="Courier New"/></w:rPr></w:style>'
)


def run(text: str, rpr: str = "") -> str:
    return f'<w:r>{f"<w:rPr>{rpr}</w:rPr>" if rpr else ""}<w:t xml:space="preserve">{text}</w:t></w:r>'


def para(*runs: str, style: str = "") -> str:
    ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{ppr}{''.join(runs)}</w:p>"


BODY = "".join((
    para(run("Call "), run("print(x)", '<w:rFonts w:ascii="Consolas" w:hAnsi="Consolas"/>'), run(" to print.")),
    para(run("Use "), run("git log", '<w:rStyle w:val="Mine"/>'), run(" or "),
         run("ls -la", '<w:rStyle w:val="Shell"/>'), run(" then.")),
    para(run("for line in open(path):"), style="SourceCode"),
    para(run("Mail help@example.com or see https://example.com/help.")),
    para(run("export DASHSCOPE_API_KEY=sk-...")),
    para(run("Output: "), run("Done.", '<w:rStyle w:val="Term"/>')),
    para(run("Plain prose in a typewriter look."), style="Normal"),
    para(run("Status "), run("OK 200", '<w:rFonts w:ascii="Corp Type" w:hAnsi="Corp Type"/>'), run(" shown.")),
))


def load(make_docx, load_docx, **options):
    return load_docx(make_docx(BODY, styles=STYLES), DocxOptions(**options))


def texts(doc) -> list[str]:
    return [s.text for s in doc.segments()]


def test_code_travels_as_isolated_tags_and_code_paragraphs_are_not_sent(make_docx, load_docx):
    assert texts(load(make_docx, load_docx)) == [
        "Call <x1/> to print.",
        "Use <x1/> or <x2/> then.",
        "Mail <x1/> or see <x2/>.",
        "Output: <g1>Done.</g1>",
        "Plain prose in a typewriter look.",
        "Status <g1>OK 200</g1> shown.",
    ]


def test_job_keys_add_styles_and_fonts(make_docx, load_docx):
    doc = load(make_docx, load_docx, protect_styles=("Terminal Output",), protect_fonts=("corp type",))
    assert texts(doc)[3:] == ["Output: ", "Plain prose in a typewriter look.", "Status <x1/> shown."]


def test_pseudo_translation_brings_code_back_byte_identical(make_docx, load_docx):
    doc = load(make_docx, load_docx)
    out = doc.rebuild(lookup("ar"), {s.id: pseudo_translate(s.text, "ar") for s in doc.segments()})
    doc.verify(out)
    xml = zipfile.ZipFile(io.BytesIO(out)).read("word/document.xml").decode()
    for code in ("print(x)", "git log", "ls -la", "for line in open(path):", "help@example.com",
                 "https://example.com/help", "export DASHSCOPE_API_KEY=sk-..."):
        assert f">{code}</w:t>" in xml
    assert "Call" not in xml and "Plain prose" not in xml      # the prose was translated


def test_code_runs_keep_their_properties_without_target_language_marks(make_docx, load_docx):
    doc = load_docx(make_docx(para(run("See https://example.com/a today", '<w:b/>'))))
    out = doc.rebuild(lookup("ar"), {s.id: pseudo_translate(s.text, "ar") for s in doc.segments()})
    xml = zipfile.ZipFile(io.BytesIO(out)).read("word/document.xml").decode()
    assert '<w:r><w:rPr><w:b/></w:rPr><w:t>https://example.com/a</w:t></w:r>' in xml


def test_a_paragraph_of_code_alone_is_not_reported_as_missed(make_docx, load_docx):
    assert load(make_docx, load_docx).unextracted() == []
