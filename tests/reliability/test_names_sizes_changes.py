"""Decided before paying: hostile file names, package sizes, inputs that change mid-run."""
from __future__ import annotations

import json
import os

import pytest
from support import EMULATOR_KEY

from pipeline.cli import main
from pipeline.emulator import pseudo_translate
from pipeline.formats.docx import package
from pipeline.formats.ooxml import package as ooxml_package
from pipeline.job.run import EXIT_OK, EXIT_PARTIAL

FORGED = "qmt: 9 of 9 files written in full"
LONG = "a" * 245 + ".md"                      # a valid input name; its output's temporary name is not


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)


def translate(job, server, capsys) -> tuple[int, str]:
    code = main(["translate", job.source, "--base-url", server.base_url])
    return code, capsys.readouterr().err


def test_hostile_names_fail_alone_with_one_escaped_line_before_anything_is_sent(make_job, server, tmp_path,
                                                                                capsys):
    job = make_job({"good.md": b"Good text.\n", f"x\n{FORGED}.md": b"Forged text.\n", LONG: b"Long text.\n"},
                   pack_tokens=0)
    os.makedirs(os.fsencode(tmp_path / "in"), exist_ok=True)
    with open(os.fsencode(tmp_path / "in") + b"/bad\xff\xfe.md", "wb") as fh:
        fh.write(b"Undecodable name text.\n")

    code, err = translate(job, server, capsys)
    assert code == EXIT_PARTIAL, err
    lines = err.splitlines()
    assert not any(line.startswith(FORGED) for line in lines), "a file name forged a log line"
    failed = [line for line in lines if line.startswith("qmt: failed:")]
    assert len(failed) == 3, failed
    assert any("bad\\xff\\xfe.md" in line and "not valid UTF-8" in line for line in failed)
    assert any("x\\nqmt: 9 of 9" in line and "control characters" in line for line in failed)
    assert any("too long" in line for line in failed)
    assert "Traceback" not in err and "OSError" not in err
    sent = "\n".join(m["content"] for b in server.billing.bodies() if b for m in b["messages"])
    assert "Good text" in sent and not any(t in sent for t in ("Forged", "Long text", "Undecodable"))
    report = json.loads(next((job.state_dir / "reports").glob("run-*.json")).read_text(encoding="utf-8"))
    assert report["exit_code"] == EXIT_PARTIAL and len(report["files"]) == 4
    # A rerun pays for nothing: what was translated is cached, the bad names still fail first.
    before = server.billing.received
    assert translate(job, server, capsys)[0] == EXIT_PARTIAL
    assert server.billing.received == before


def _big_docx(docx_bytes, paragraphs: int) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>Paragraph {i} says something about item {i * 7} and its use.</w:t></w:r></w:p>"
                   for i in range(paragraphs))
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{package.W_NS}">'
           f"<w:body>{body}</w:body></w:document>")
    return docx_bytes(xml)


def test_package_limits_are_checked_at_load_never_after_the_translation_is_bought(make_job, server, docx_bytes,
                                                                                  monkeypatch, capsys):
    # The same cause as a 209 MB document.xml against the 512 MB limit, at a smaller scale:
    # an input under the limit whose translation expands past it.
    small, large = _big_docx(docx_bytes, 1500), _big_docx(docx_bytes, 4000)
    monkeypatch.setattr(ooxml_package, "MAX_EXPANDED", 250_000)
    job = make_job({"under.docx": small, "over.docx": large}, pack_tokens=2000)
    code, err = translate(job, server, capsys)
    assert code == EXIT_PARTIAL, err
    assert (job.output_dir("zh") / "under.docx").is_file(), err     # translated and written
    assert not (job.output_dir("zh") / "over.docx").exists()
    assert "over.docx: zip package declares" in err
    sent = "\n".join(m["content"] for b in server.billing.bodies() if b for m in b["messages"])
    assert "Paragraph 3999" not in sent                              # the refused file cost nothing
    assert "Paragraph 1499" in sent


def test_an_input_replaced_during_its_run_is_not_written_from_the_old_content(make_job, server, run, tmp_path):
    job = make_job({"changing.md": b"# Old title\n\nOld paragraph.\n", "steady.md": b"Steady text.\n"},
                   pack_tokens=0, concurrency=1)
    target = tmp_path / "in" / "changing.md"

    def replace_input_while_translating(content: str, lang: str, terms: tuple) -> str:
        if "Old" in content:
            target.write_bytes(b"# New title\n\nNew paragraph.\n")
        return pseudo_translate(content, lang, terms)

    server.set_mode(replace_input_while_translating)
    try:
        result = run(job)
    finally:
        server.set_mode("pseudo")
    reports = {f.relpath: f for f in result.files}
    assert reports["changing.md"].status == "failed"
    assert "input changed during the run" in reports["changing.md"].reason
    assert not (job.output_dir("zh") / "changing.md").exists()
    assert reports["steady.md"].status == "written" and result.exit_code == EXIT_PARTIAL
    server.reset()
    again = run(job)                                                 # the new content is translated
    assert again.exit_code == EXIT_OK and (job.output_dir("zh") / "changing.md").is_file()
    sent = [m["content"] for b in server.billing.bodies() if b for m in b["messages"]]
    assert "New paragraph." in sent and not any("Old" in t for t in sent)
