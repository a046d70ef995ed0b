"""A DOCX with an altChunk (embedded HTML): its text is reported, never silently English (issue 11)."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

from support import EMULATOR_KEY

from pipeline.config import load_job, with_overrides
from pipeline.job.progress import Progress
from pipeline.job.run import EXIT_PARTIAL, run_job
from pipeline.translate.qwen_backend import QwenBackend

REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/aFChunk"
HTML = b"<html><body><p>Embedded HTML paragraph in English.</p></body></html>"
BODY = '<w:p><w:r><w:t>An ordinary paragraph.</w:t></w:r></w:p><w:altChunk r:id="rIdHtml"/>'


def with_altchunk(make_docx) -> bytes:
    data = make_docx(BODY, rels=f'<Relationship Id="rIdHtml" Type="{REL}" Target="afchunk.htm"/>')
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as z:
        z.writestr("word/afchunk.htm", HTML)
    return out.getvalue()


def test_an_altchunk_is_listed_with_its_part_and_text(make_docx, load_docx):
    doc = load_docx(with_altchunk(make_docx))
    assert [s.text for s in doc.segments()] == ["An ordinary paragraph."]
    (problem,) = doc.problems
    assert "word/afchunk.htm" in problem and "HTML" in problem and "Embedded HTML paragraph" in problem
    assert "not translated" in problem


def test_a_run_with_an_altchunk_is_partial_and_says_why(make_docx, tmp_path: Path, server):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.docx").write_bytes(with_altchunk(make_docx))
    (tmp_path / "job.toml").write_text('input = "in"\noutput = "out/{lang}"\nsource_lang = "en"\n'
                                       'target_langs = ["zh"]\n[run]\nrpm = 0\ntpm = 0\n', encoding="utf-8")
    job = with_overrides(load_job(tmp_path / "job.toml"), base_url=server.base_url)
    result = run_job(job, backend=QwenBackend(api_key=EMULATOR_KEY, base_url=server.base_url, timeout=5),
                     progress=Progress(interactive=False))
    assert result.exit_code == EXIT_PARTIAL
    (report,) = result.files
    assert report.status == "partial" and any("altChunk" in p.reason for p in report.problems)
    assert (tmp_path / "out" / "zh" / "a.docx").is_file()   # the rest is translated and written
