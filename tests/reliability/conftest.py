"""Shared pieces of the reliability suite: an emulated service and real jobs over real files.

Every test here runs a whole job (``load_job`` + ``run_job``, or the ``qmt`` command in a
subprocess) against the in-process emulator over HTTP, on fixture files the tests build
themselves. Test modules cannot import this file under ``--import-mode=importlib``, so
the helpers are handed over as fixtures.
"""
from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from support import EMULATOR_KEY, is_output

from pipeline.config import Job, load_job, with_overrides
from pipeline.emulator import EmulatorServer
from pipeline.job.progress import Progress
from pipeline.job.run import RunResult, run_job
from pipeline.translate.engines import text_backend

KEY = EMULATOR_KEY

# Fast jobs: no pacing, short backoff, retries enough for a fault mix.
RUN_TABLE = """[run]
concurrency = {concurrency}
timeout = {timeout}
max_attempts = {max_attempts}
backoff_initial = 0.01
backoff_max = 0.05
rpm = 0
tpm = 0
stream = {stream}
pack_tokens = {pack_tokens}
"""


@pytest.fixture(autouse=True)
def _fresh_service(request):
    """Each test starts with a healthy service and an empty bill."""
    if "server" in request.fixturenames:
        srv = request.getfixturevalue("server")
        srv.wait_idle()   # a request the previous test's stopped run left on the way is not this test's
        srv.reset()
        srv.set_account_state("ok")
        srv.set_error_rates({})
        srv.set_latency(0)
    yield


@dataclass
class JobFactory:
    tmp_path: Path
    server: EmulatorServer

    def __call__(self, files: dict[str, bytes], *, targets: tuple[str, ...] = ("zh",), concurrency: int = 3,
                 timeout: float = 5.0, max_attempts: int = 6, stream: bool = False, pack_tokens: int = -1,
                 extra: str = "", folder: str = "", protocol: str = "openai") -> Job:
        root = self.tmp_path / folder if folder else self.tmp_path
        src = root / "in"
        src.mkdir(parents=True, exist_ok=True)
        for rel, data in files.items():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            (src / rel).write_bytes(data)
        langs = ", ".join(f'"{t}"' for t in targets)
        body = (f'input = "in"\noutput = "out/{{lang}}"\nsource_lang = "en"\ntarget_langs = [{langs}]\n'
                f'protocol = "{protocol}"\n{extra}\n'
                + RUN_TABLE.format(concurrency=concurrency, timeout=timeout, max_attempts=max_attempts,
                                   stream=str(stream).lower(), pack_tokens=pack_tokens))
        (root / "job.toml").write_text(body, encoding="utf-8")
        return with_overrides(load_job(root / "job.toml"), base_url=self.server.url_for(protocol))


@pytest.fixture
def make_job(tmp_path, server) -> JobFactory:
    return JobFactory(tmp_path, server)


@pytest.fixture
def run(server) -> Callable[..., RunResult]:
    def _run(job: Job, *, key: str = KEY) -> RunResult:
        # The job's protocol at the emulator's endpoint for it (engines chooses the backend).
        backend = text_backend(job.protocol, api_key=key, base_url=server.url_for(job.protocol),
                               timeout=job.run.timeout, stream=job.run.stream)
        return run_job(job, backend=backend, progress=Progress(interactive=False))

    return _run


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if is_output(p)}


@pytest.fixture(name="digest")
def _digest_fixture():
    """Hashes of every output file under a folder (the job's state folder left out)."""
    return _digest


# --- fixture files -------------------------------------------------------------------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/></Relationships>')


def document_xml(body_text: str, prolog: str = "") -> str:
    """A minimal word/document.xml with one paragraph (``body_text`` is raw XML content)."""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
            f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>{body_text}</w:t></w:r></w:p>'
            '</w:body></w:document>')


def docx_bytes(doc_xml: str, extra: dict[str, bytes] | None = None) -> bytes:
    """A real (minimal) .docx package around ``doc_xml``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("word/document.xml", doc_xml)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return out.getvalue()


@pytest.fixture(name="docx_bytes", scope="session")
def _docx_bytes_fixture():
    return docx_bytes


@pytest.fixture(name="document_xml", scope="session")
def _document_xml_fixture():
    return document_xml
