"""Reassembling a file: each output staged as its languages come back, all renamed together."""
from __future__ import annotations

import threading
import time
from pathlib import Path

from support import EMULATOR_KEY, is_output

from pipeline.job.assemble import FileOutputs
from pipeline.config import load_job, with_overrides
from pipeline.errors import FormatError
from pipeline.formats.base import Document
from pipeline.memory.lookup import MemoryLookup
from pipeline.ledger.store import StateStore
from pipeline.output import Staging
from pipeline.job.plan import FilePlan, content_hash
from pipeline.job.progress import Progress
from pipeline.job.run import EXIT_OK, run_job
from pipeline.segments import Segment
from pipeline.translate.qwen_backend import QwenBackend
from pipeline.translate.units import TRANSLATED, Outcome


class _Doc(Document):
    """One segment; writes its language code and the translation; the check fails for ``bad``."""

    def __init__(self, path: Path, bad: str = ""):
        super().__init__(path)
        self.bad = bad

    def segments(self):
        return [Segment("s1", "Hello", "p1")]

    def rebuild(self, lang, translations):
        return f"{lang.code}:{translations.get('s1', 'Hello')}".encode()

    def verify(self, data):
        if data.startswith(self.bad.encode()) and self.bad:
            raise FormatError(self.path, "structure changed")


def _job(tmp_path: Path, langs: str = '["zh", "ja"]', run: str = ""):
    (tmp_path / "in").mkdir(exist_ok=True)
    (tmp_path / "job.toml").write_text(f'input = "in"\noutput = "out/{{lang}}"\nsource_lang = "en"\n'
                                       f'target_langs = {langs}\n[run]\nrpm = 0\ntpm = 0\n{run}')
    return load_job(tmp_path / "job.toml")


def _outputs(tmp_path: Path, bad: str = "") -> tuple[FileOutputs, Path]:
    job = _job(tmp_path)
    source = tmp_path / "in" / "a.txt"
    source.write_bytes(b"Hello\n")
    doc = _Doc(source, bad)
    fp = FilePlan("a.txt", source, doc=doc, segments=list(doc.segments()), digest=content_hash(source, None))
    return FileOutputs(job, fp, MemoryLookup(job, StateStore(tmp_path / "state.sqlite"))), tmp_path / "out"


def _answered(job_lang, text: str):
    seg = Segment("s1", "Hello", "p1")
    return {job_lang: {"s1": (seg, Outcome(text, TRANSLATED))}}


def _files(folder: Path) -> list[str]:
    """The outputs under ``folder`` (the state folder and lock files left out)."""
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if is_output(p))


def test_outputs_are_renamed_together_after_the_last_is_staged(tmp_path):
    outputs, out = _outputs(tmp_path)
    zh, ja = outputs.job.target_langs
    assert outputs.stage(1, _answered(ja, "konnichiwa")) is None   # languages come back in any order
    assert _files(out) == ["ja/.a.txt.qmt-staged"]                 # staged, not yet in place
    assert outputs.stage(0, _answered(zh, "nihao")) is None
    report = outputs.commit(outputs.prepare())
    assert report.status == "written"
    assert _files(out) == ["ja/a.txt", "zh/a.txt"]
    assert (out / "ja" / "a.txt").read_bytes() == b"ja:konnichiwa"
    assert [Path(o).parent.name for o in report.outputs] == ["zh", "ja"]   # the job's language order


def test_a_failed_check_on_one_output_leaves_no_output_at_all(tmp_path):
    outputs, out = _outputs(tmp_path, bad="ja")
    zh, ja = outputs.job.target_langs
    assert outputs.stage(0, _answered(zh, "nihao")) is None
    failed = outputs.stage(1, _answered(ja, "konnichiwa"))
    assert failed is not None and failed.status == "failed" and "structure changed" in failed.reason
    assert _files(out) == []                                       # the staged zh output is gone too


def test_an_input_changed_after_staging_is_not_written(tmp_path):
    outputs, out = _outputs(tmp_path)
    zh, ja = outputs.job.target_langs
    outputs.stage(0, _answered(zh, "nihao"))
    outputs.stage(1, _answered(ja, "konnichiwa"))
    (tmp_path / "in" / "a.txt").write_bytes(b"Hello again\n")
    report = outputs.commit(outputs.prepare())
    assert report.status == "failed" and "input changed during the run" in report.reason
    assert _files(out) == []


def test_discard_removes_what_was_staged(tmp_path):
    staging = Staging()
    target = tmp_path / "out" / "b.md"
    with staging.open(target) as (fh, tmp):
        fh.write(b"new")
    assert tmp.exists() and not target.exists()
    staging.discard()
    assert _files(tmp_path / "out") == []


def test_the_first_language_is_staged_while_the_next_is_still_translating(tmp_path, server):
    """Through a run: the zh answer comes first; ja's first attempt gets a 503 asking for
    1.5 s, and during that wait the zh output is already rebuilt, written and checked."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "doc.md").write_text("# Title\n\nA paragraph to translate.\n")
    # One request at a time, one segment per request: zh's two, then ja's two.
    job = with_overrides(_job(tmp_path, run="concurrency = 1\npack_tokens = 0\nbackoff_initial = 0.01\n"),
                         base_url=server.base_url)
    server.script("ok", "ok", "503:retry_after=1.5", "ok")
    staged = tmp_path / "out" / "zh" / ".doc.md.qmt-staged"
    seen: list[bool] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if staged.exists():
                seen.append(True)
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        backend = QwenBackend(api_key=EMULATOR_KEY, base_url=server.base_url, timeout=5)
        result = run_job(job, backend=backend, progress=Progress(interactive=False))
    finally:
        done.set()
        watcher.join()
    assert result.exit_code == EXIT_OK
    assert seen == [True]
    assert _files(tmp_path / "out") == ["ja/doc.md", "zh/doc.md"]
