"""Issue 11's acceptance on the shared corpus (Markdown and DOCX), through whole runs.

Pseudo mode: every segment with letters in every written output carries the pseudo
marker, unless the run reported its file. Identity mode, three runs in a row on the same
job (the first sends, the next two answer from memory): every Markdown output is
byte-identical to its input and every output has the same bytes in all three runs.
The three identity runs share one emulator: a run's engine is named by its service URL,
so a new emulator (a new port) for each run made every run send everything again, and
"from memory" went untested.
"""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from support import EMULATOR_KEY

from pipeline.config import load_job, with_overrides
from pipeline.emulator import EmulatorServer
from pipeline.formats import handler_for
from pipeline.formats.base import LoadContext
from pipeline.languages import lookup
from pipeline.job.progress import Progress
from pipeline.job.run import run_job
from pipeline.segments import has_translatable_text
from pipeline.translate.qwen_backend import QwenBackend

pytestmark = [pytest.mark.needs_shared, pytest.mark.slow]   # three runs over the corpus: about 20 s
JOB = 'input = "in"\noutput = "out/{lang}"\nsource_lang = "en"\ntarget_langs = ["zh"]\n[run]\nrpm = 0\ntpm = 0\n'


@pytest.fixture(scope="module")
def job(corpus, tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    for sub in ("markdown", "docx"):
        shutil.copytree(corpus / sub, root / "in" / sub)
    (root / "job.toml").write_text(JOB, encoding="utf-8")
    return load_job(root / "job.toml")


def run(job, srv: EmulatorServer):
    job = with_overrides(job, base_url=srv.base_url)
    return run_job(job, backend=QwenBackend(api_key=EMULATOR_KEY, base_url=srv.base_url, timeout=30),
                   progress=Progress(interactive=False))


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_pseudo_then_identity_three_times(job):
    src, out = job.input_dir, job.input_dir.parent / "out" / "zh"
    with EmulatorServer(mode="pseudo", api_key=EMULATOR_KEY) as srv:
        result = run(job, srv)
    reported = {f.relpath for f in result.files if f.status != "written" or f.problems}
    left = []
    for f in result.files:
        if f.relpath in reported:
            continue
        path = out / f.relpath
        doc = handler_for(path).load(LoadContext(path, path.read_bytes(), None, lookup("en"), (lookup("zh"),)))
        left += [(f.relpath, s.id) for s in doc.segments() if has_translatable_text(s.text) and "⟦zh⟧" not in s.text]
    assert left == [], "untranslated and unreported"
    assert all(f.reason or f.problems for f in result.files if f.relpath in reported)   # each says why

    runs, sent = [], []
    with EmulatorServer(mode="identity", api_key=EMULATOR_KEY) as srv:
        for _ in range(3):
            sent.append(run(job, srv).requests)
            runs.append(digest(out))
    assert sent[0] > 0 and sent[1:] == [0, 0]      # the first sends, the next two answer from memory
    assert runs[0] == runs[1] == runs[2]
    source = digest(src)
    assert [k for k in runs[0] if k.endswith(".md") and source[k] != runs[0][k]] == []
    assert sum(1 for k in runs[0] if k.endswith(".md")) == 57
