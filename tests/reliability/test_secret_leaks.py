"""The API key never leaves the process's memory: not in logs, progress, reports, the
ledger, the state store, exception messages or anything saved about requests, even
when the service echoes a rejected key back in its error message.

Each test then searches every byte qmt wrote (the whole job folder, outputs and state)
and everything it printed for the key.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.emulator import EmulatorServer
from pipeline.job.progress import Progress
from pipeline.job.run import EXIT_FATAL, EXIT_PARTIAL, run_job
from pipeline.translate.engines import text_backend

RIGHT_KEY = "sk-theRightKey0123456789abcdef"
SHAPED_KEY = "sk-wrongButShaped0123456789xyz"       # looks like a DashScope key
PLAIN_KEY = "plain-secret-4f8e2a9c71d0b6"           # does not: only registration can mask it
FILES = {"a.md": b"# Title\n\nFirst paragraph.\n\nA [[BLOCKED]] paragraph.\n", "b.md": b"Second file.\n"}


@pytest.fixture
def echoing():
    """A service that quotes a rejected key in its 401 message, as some gateways do."""
    with EmulatorServer(mode="pseudo", api_key=RIGHT_KEY, echo_key=True) as srv:
        yield srv


def _files_holding(root: Path, secret: str) -> list[str]:
    needles = (secret.encode(), secret.encode("utf-16-le"))
    return [str(p.relative_to(root)) for p in root.rglob("*")
            if p.is_file() and p.name != "job.toml" and any(n in p.read_bytes() for n in needles)]


def _job_file(tmp_path: Path) -> Path:
    (tmp_path / "in").mkdir()
    for name, data in FILES.items():
        (tmp_path / "in" / name).write_bytes(data)
    path = tmp_path / "job.toml"
    path.write_text('input = "in"\noutput = "out/{lang}"\nsource_lang = "en"\ntarget_langs = ["zh"]\n'
                    '[run]\nbackoff_initial = 0.01\nbackoff_max = 0.02\nrpm = 0\ntpm = 0\nmax_attempts = 2\n',
                    encoding="utf-8")
    return path


def test_echoed_key_never_reaches_output_of_the_command(echoing, tmp_path, protocol):
    key = SHAPED_KEY
    env = {**os.environ, "DASHSCOPE_API_KEY": key, "DASHSCOPE_BASE_URL": echoing.base_url,
           "DASHSCOPE_HTTP_BASE_URL": echoing.native_url, "QMT_DEBUG": "1"}
    proc = subprocess.run([sys.executable, "-m", "pipeline", "translate", str(_job_file(tmp_path)),
                           "--protocol", protocol],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == EXIT_FATAL, proc.stderr
    assert echoing.billing.errors["invalid_api_key"] >= 1          # the service did echo it ...
    assert "401" in proc.stderr and "DASHSCOPE_API_KEY" in proc.stderr
    assert key not in proc.stdout + proc.stderr                    # ... and qmt never repeated it
    assert "sk-***" in proc.stderr
    assert _files_holding(tmp_path, key) == []


def test_key_stays_out_of_logs_reports_ledger_and_state(echoing, tmp_path, caplog, capsys, protocol):
    """A run with retries, a refused segment and an internal error, all with the key around."""
    from pipeline.config import load_job, with_overrides

    job = with_overrides(load_job(_job_file(tmp_path)), base_url=echoing.url_for(protocol), protocol=protocol)
    echoing.script("500", "drop_mid", "malformed")
    caplog.set_level(logging.DEBUG)
    result = run_job(job, backend=text_backend(protocol, api_key=RIGHT_KEY, base_url=job.base_url, timeout=5),
                     progress=Progress(interactive=False))
    assert result.exit_code == EXIT_PARTIAL                        # the blocked paragraph
    printed = capsys.readouterr()
    assert RIGHT_KEY not in printed.out + printed.err
    assert RIGHT_KEY not in caplog.text
    assert RIGHT_KEY not in repr(result)
    assert _files_holding(tmp_path, RIGHT_KEY) == []
    # What the service received holds no key either (it travels only in the header).
    assert all(RIGHT_KEY not in str(body) for body in echoing.billing.bodies())


def test_exception_messages_mask_a_key_the_service_echoes(echoing, tmp_path, caplog, protocol):
    from pipeline.config import load_job, with_overrides

    job = with_overrides(load_job(_job_file(tmp_path)), base_url=echoing.url_for(protocol), protocol=protocol)
    caplog.set_level(logging.DEBUG)
    result = run_job(job, backend=text_backend(protocol, api_key=PLAIN_KEY, base_url=job.base_url, timeout=5),
                     progress=Progress(interactive=False))
    assert result.exit_code == EXIT_FATAL
    assert PLAIN_KEY not in (result.fatal or "") and "sk-***" in (result.fatal or "")
    assert all(PLAIN_KEY not in f.reason for f in result.files)
    assert PLAIN_KEY not in caplog.text
    assert _files_holding(tmp_path, PLAIN_KEY) == []
