"""A job end to end: files found, translated over HTTP by the emulator, written back."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from support import EMULATOR_KEY, requests_in

from pipeline.config import load_job, with_overrides
from pipeline.emulator import pseudo_translate
from pipeline.job.progress import Progress
from pipeline.job.run import EXIT_FATAL, EXIT_OK, EXIT_PARTIAL, run_job
from pipeline.translate.engines import make_media_backend
from pipeline.translate.qwen_backend import QwenBackend
from pipeline.ledger.usage import read_ledger

REPO = Path(__file__).resolve().parents[2]
KEY = EMULATOR_KEY


@pytest.fixture(autouse=True)
def clean(server):
    server.reset()
    server.set_account_state("ok")
    yield


def make_job(tmp_path: Path, server, files: dict[str, bytes], **extra) -> object:
    src = tmp_path / "in"
    for rel, data in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    body = ('input = "in"\noutput = "out/{lang}"\nsource_lang = "en"\ntarget_langs = ["zh", "ja"]\n'
            '[run]\nconcurrency = 3\nbackoff_initial = 0.01\nbackoff_max = 0.05\nrpm = 0\ntpm = 0\n')
    (tmp_path / "job.toml").write_text(body)
    job = load_job(tmp_path / "job.toml")
    return with_overrides(job, base_url=server.base_url, **extra)


def run(job, server, key=KEY):
    backend = QwenBackend(api_key=key, base_url=server.base_url, timeout=5)
    # Media (the sample's talk and demo) go to LiveTranslate at the job's service, with the same key.
    return run_job(job, backend=backend, progress=Progress(interactive=False),
                   media_backend=make_media_backend(job, api_key=key))


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_sample_documents_end_to_end(tmp_path, server):
    shutil.copytree(REPO / "sample_docs", tmp_path / "in")
    before = digest(tmp_path / "in")
    job = load_job(REPO / "jobs" / "sample.toml", {"run": {"rpm": 0, "tpm": 0}})
    job = with_overrides(job, input_dir=tmp_path / "in", output=str(tmp_path / "out" / "{lang}"),
                         base_url=server.base_url)
    result = run(job, server)
    assert result.exit_code == EXIT_OK, [(f.relpath, f.status, f.reason) for f in result.files]
    out = tmp_path / "out"
    for lang in ("zh", "ja"):
        assert (out / lang / "getting-started.md").is_file()
        assert (out / lang / "guide.docx").is_file()
    assert (out / "all" / "ui_strings.csv").is_file()
    assert digest(tmp_path / "in") == before, "inputs must never be modified"
    ledger = read_ledger(job.state_dir / "ledger")
    assert ledger["prompt_tokens"].sum() == server.billing.prompt_tokens
    assert ledger["completion_tokens"].sum() == server.billing.completion_tokens
    assert requests_in(ledger) == server.billing.received == result.requests
    md = (out / "ja" / "getting-started.md").read_text(encoding="utf-8")
    assert pseudo_translate("Install the client", "Japanese", []) in md
    assert "pip install acme-sync" in md


def test_rejected_segment_stays_in_source_and_file_is_partial(tmp_path, server):
    job = make_job(tmp_path, server, {"a.md": b"# Title\n\nGood text.\n\nBad [[BLOCKED]] text.\n"})
    result = run(job, server)
    assert result.exit_code == EXIT_PARTIAL
    (report,) = result.files
    assert report.status == "partial"
    assert {p.lang for p in report.problems} == {"zh", "ja"}
    assert all(p.status == "failed" and "data_inspection" in p.reason for p in report.problems)
    text = (tmp_path / "out" / "zh" / "a.md").read_text(encoding="utf-8")
    assert "Bad [[BLOCKED]] text." in text
    assert pseudo_translate("Good text.", "Chinese", []) in text


def test_bad_key_stops_job_and_writes_nothing(tmp_path, server):
    files = {f"doc{i}.md": f"# Heading {i}\n\nParagraph {i}.\n".encode() for i in range(6)}
    job = make_job(tmp_path, server, files)
    result = run(job, server, key="sk-wrongkey0123456789abcdef")
    assert result.exit_code == EXIT_FATAL
    assert "DASHSCOPE_API_KEY" in (result.fatal or "")
    assert server.billing.received <= job.run.concurrency
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.md"))
    assert all(f.status == "stopped" for f in result.files)


def test_one_bad_file_does_not_stop_the_others(tmp_path, server):
    job = make_job(tmp_path, server, {"broken.docx": b"this is not a zip file", "ok.md": b"Hello world.\n",
                                      "notes.txt": b"plain text"})
    result = run(job, server)
    by_name = {f.relpath: f for f in result.files}
    assert by_name["broken.docx"].status == "failed" and by_name["broken.docx"].reason
    assert by_name["notes.txt"].status == "skipped" and "unsupported" in by_name["notes.txt"].reason
    assert by_name["ok.md"].status == "written"
    assert result.exit_code == EXIT_PARTIAL


def test_identical_text_across_files_is_requested_once_per_language(tmp_path, server):
    job = make_job(tmp_path, server, {"a.md": b"Shared sentence.\n", "b.md": b"Shared sentence.\n"})
    result = run(job, server)
    assert result.exit_code == EXIT_OK
    assert server.billing.received == 2


def test_run_report_is_written(tmp_path, server):
    job = make_job(tmp_path, server, {"a.md": b"Hello.\n"})
    result = run(job, server)
    reports = list((job.state_dir / "reports").glob("run-*.json"))
    assert len(reports) == 1 and result.run_id in reports[0].name
    assert KEY not in reports[0].read_text()


def test_malformed_csv_skips_file_by_default_and_stops_job_when_asked(tmp_path, server):
    files = {"a_bad.csv": b'key,en\nk1,"unclosed\n', "b_ok.md": b"Hello.\n"}
    job = make_job(tmp_path, server, files)
    result = run(job, server)
    by_name = {f.relpath: f for f in result.files}
    assert by_name["a_bad.csv"].status == "failed" and "line 2" in by_name["a_bad.csv"].reason
    assert by_name["b_ok.md"].status == "written"

    from dataclasses import replace
    stopping = with_overrides(job, csv=replace(job.csv, on_malformed="stop"))
    stopping = with_overrides(stopping, run=replace(job.run, concurrency=1))
    import pipeline.job.run as run_module
    old = run_module.FILES_IN_FLIGHT
    run_module.FILES_IN_FLIGHT = 1  # files one at a time, so the stop is seen before b_ok.md starts
    try:
        result = run(stopping, server)
    finally:
        run_module.FILES_IN_FLIGHT = old
    by_name = {f.relpath: f for f in result.files}
    assert by_name["a_bad.csv"].status == "failed"
    assert by_name["b_ok.md"].status == "stopped"
    assert result.stopped_by and "a_bad.csv" in result.stopped_by
    assert result.exit_code == EXIT_PARTIAL


def test_progress_counts_rows_for_tables(tmp_path, server):
    rows = "".join(f"k{i},{'Same text' if i % 2 else 'Other text'},\n" for i in range(50))
    job = make_job(tmp_path, server, {"t.csv": ("key,en,zh\n" + rows).encode()})
    job = with_overrides(job, target_langs=job.target_langs[:1])
    progress = Progress(interactive=False)
    backend = QwenBackend(api_key=KEY, base_url=server.base_url, timeout=5)
    result = run_job(job, backend=backend, progress=progress)
    assert result.exit_code == EXIT_OK
    assert progress.total == 50 and progress.done == 50
    (body,) = server.billing.bodies()  # two distinct values, packed into one request
    content = body["messages"][0]["content"]
    assert "Same text" in content and "Other text" in content
