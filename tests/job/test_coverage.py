"""The coverage invariant through whole runs (pseudo emulator over HTTP).

Exit 0 only when every extracted segment is translated or reported and the independent
look finds nothing left; each protection is checked by taking it away.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from support import EMULATOR_KEY

from pipeline.config import load_job, with_overrides
from pipeline.job.coverage import NOT_EXTRACTED, NOT_WRITTEN
from pipeline.formats.markdown import MarkdownDocument
from pipeline.formats.markdown import parser
from pipeline.formats.markdown.parser import make_parser
from pipeline.job.progress import Progress
from pipeline.job.run import EXIT_OK, EXIT_PARTIAL, RunResult, run_job
from pipeline.translate.qwen_backend import QwenBackend

DEEP = "\n".join("  " * i + f"- level {i} item" for i in range(10)) + "\n\n" + \
    "".join(f"## Section {s}\n\nParagraph of section {s}.\n\n" for s in range(5))


def run(tmp_path: Path, server, files: dict[str, str]) -> RunResult:
    (tmp_path / "in").mkdir(exist_ok=True)
    for name, text in files.items():
        (tmp_path / "in" / name).write_text(text, encoding="utf-8")
    (tmp_path / "job.toml").write_text('input = "in"\noutput = "out/{lang}"\nsource_lang = "en"\n'
                                       'target_langs = ["zh"]\n[run]\nrpm = 0\ntpm = 0\n', encoding="utf-8")
    job = with_overrides(load_job(tmp_path / "job.toml"), base_url=server.base_url)
    return run_job(job, backend=QwenBackend(api_key=EMULATOR_KEY, base_url=server.base_url, timeout=5),
                   progress=Progress(interactive=False))


def prose_lines_left(text: str) -> list[str]:
    """Lines with English words that the pseudo translation did not mark."""
    return [line for line in text.splitlines() if any(c.isalpha() for c in line) and "⟦zh⟧" not in line]


def test_deep_nesting_then_sections_is_translated_in_full(tmp_path, server):
    result = run(tmp_path, server, {"deep.md": DEEP})
    assert result.exit_code == EXIT_OK, result.files
    assert prose_lines_left((tmp_path / "out" / "zh" / "deep.md").read_text(encoding="utf-8")) == []


def test_a_parser_that_stops_early_is_found_by_the_independent_look(tmp_path, server, monkeypatch):
    # Put back markdown-it's default nesting limit: the tail is dropped by the parser,
    # so the walk never sees it; the independent look must.
    monkeypatch.setitem(make_parser().options, "maxNesting", 20)
    monkeypatch.setattr(parser, "KEPT_PARSES", parser.KeptParses(parser.KEPT_PARSES.limit))   # parses of the default parser
    result = run(tmp_path, server, {"deep.md": DEEP})
    assert result.exit_code == EXIT_PARTIAL
    (report,) = result.files
    found = [p for p in report.problems if p.status == NOT_EXTRACTED]
    assert report.status == "partial" and len(found) == 1
    assert "line 10: not read by the Markdown parser: '- level 9 item'" in found[0].reason


def test_a_translation_that_never_reaches_the_file_is_found(tmp_path, server, monkeypatch):
    rebuild = MarkdownDocument.rebuild

    def drops_one(self, lang, translations):   # a format bug: one translation is lost
        lost = {s.id for s in self.segments() if s.text.startswith("Second")}
        return rebuild(self, lang, {k: v for k, v in translations.items() if k not in lost})

    monkeypatch.setattr(MarkdownDocument, "rebuild", drops_one)
    result = run(tmp_path, server, {"a.md": "# Title\n\nFirst paragraph.\n\nSecond paragraph.\n"})
    assert result.exit_code == EXIT_PARTIAL
    (problem,) = [p for p in result.files[0].problems if p.status == NOT_WRITTEN]
    assert "'Second paragraph.'" in problem.reason and problem.lang == "zh"


def test_a_docx_translation_that_never_reaches_the_file_is_found(tmp_path, server, monkeypatch):
    """The DOCX check re-opens the output once; the coverage check reads that document."""
    import docx

    from pipeline.formats.docx import DocxDocument

    rebuild = DocxDocument.rebuild

    def drops_one(self, lang, translations):   # a format bug: one translation is lost
        lost = {s.id for s in self.segments() if s.text.startswith("Second")}
        return rebuild(self, lang, {k: v for k, v in translations.items() if k not in lost})

    monkeypatch.setattr(DocxDocument, "rebuild", drops_one)
    (tmp_path / "in").mkdir()
    word = docx.Document()
    for text in ("First paragraph.", "Second paragraph."):
        word.add_paragraph(text)
    word.save(tmp_path / "in" / "a.docx")
    result = run(tmp_path, server, {})
    assert result.exit_code == EXIT_PARTIAL
    (problem,) = [p for p in result.files[0].problems if p.status == NOT_WRITTEN]
    assert "'Second paragraph.'" in problem.reason and problem.lang == "zh"


@pytest.mark.parametrize("text", ["Same.\n\nSame.\n", "# 42\n\nText.\n\n`code` only\n"])
def test_identical_and_untranslatable_segments_are_not_false_alarms(tmp_path, server, text):
    result = run(tmp_path, server, {"a.md": text})
    assert result.exit_code == EXIT_OK and not result.files[0].problems


def test_the_cli_names_what_was_left_and_exits_1(tmp_path, server, monkeypatch, capsys):
    from pipeline.cli import main

    monkeypatch.setitem(make_parser().options, "maxNesting", 20)
    monkeypatch.setattr(parser, "KEPT_PARSES", parser.KeptParses(parser.KEPT_PARSES.limit))   # parses of the default parser
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "deep.md").write_text(DEEP, encoding="utf-8")
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    assert main(["translate", str(tmp_path / "in"), "--to", "zh", "--from", "en", "--out", str(tmp_path / "out"),
                 "--base-url", server.base_url, "--rpm", "0"]) == EXIT_PARTIAL
    err = capsys.readouterr().err
    assert "qmt: partial: deep.md" in err
    assert "qmt:   not_extracted: line 10: not read by the Markdown parser: '- level 9 item'" in err
