"""One owner per output file (pipeline/job/ownership.py), and ad-hoc runs with their own state."""
from __future__ import annotations

from pathlib import Path

import pytest
from support import EMULATOR_KEY

from pipeline.cli import main
from pipeline.config import job_from_flags
from pipeline.job.runlock import job_lock
from pipeline.job.run import EXIT_OK, EXIT_USAGE

JOB = """name = "{name}"
input = "{input}"
output = "out/{{lang}}"
source_lang = "en"
target_langs = ["zh"]
[run]
rpm = 0
tpm = 0
"""


@pytest.fixture
def env(monkeypatch, server, tmp_path):
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    monkeypatch.setenv("DASHSCOPE_BASE_URL", server.base_url)
    monkeypatch.chdir(tmp_path)
    server.reset()
    for folder, text in (("a", "Text of job a."), ("b", "Text of job b.")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "same.md").write_text(f"# {text}\n", encoding="utf-8")
        (tmp_path / folder / f"only-{folder}.md").write_text(f"{text}\n", encoding="utf-8")
    return tmp_path


def job_file(root: Path, name: str, input_dir: str) -> str:
    path = root / f"{name}.toml"
    path.write_text(JOB.format(name=name, input=input_dir), encoding="utf-8")
    return str(path)


def test_a_second_job_writing_the_same_file_is_refused_before_anything_is_sent(env, server, capsys):
    assert main(["translate", job_file(env, "docs-a", "a")]) == EXIT_OK
    written = (env / "out" / "zh" / "same.md").read_bytes()
    sent = server.billing.received
    capsys.readouterr()

    assert main(["translate", job_file(env, "docs-b", "b")]) == EXIT_USAGE
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("qmt: error")]
    assert len(err) == 1, err
    assert "'docs-a'" in err[0] and "'docs-b'" in err[0] and "same.md" in err[0] and "docs-a.toml" in err[0]
    assert server.billing.received == sent                          # nothing sent
    assert (env / "out" / "zh" / "same.md").read_bytes() == written  # job a's output untouched
    assert not (env / "out" / "zh" / "only-b.md").exists()           # not even the files it alone writes

    # An ad-hoc run into the same folder is another owner too.
    assert main(["translate", "b", "--to", "zh", "--from", "en", "--out", "out/{lang}"]) == EXIT_USAGE
    assert "'docs-a'" in capsys.readouterr().err
    # The owner itself runs again freely.
    assert main(["translate", job_file(env, "docs-a", "a")]) == EXIT_OK


def test_unrelated_ad_hoc_runs_have_their_own_state_and_never_block_each_other(env, server, capsys):
    a = job_from_flags({"input": "a", "target_langs": ["zh"], "output": "build/a"}, cwd=env)
    b = job_from_flags({"input": "a", "target_langs": ["zh"], "output": "build/b"}, cwd=env)
    assert a.state_dir != b.state_dir and a.name.startswith("adhoc-a-")
    with job_lock(a.state_dir, a.name):            # run a is in progress ...
        code = main(["translate", "a", "--to", "zh", "--from", "en", "--out", "build/b", "--rpm", "0"])
    assert code == EXIT_OK, capsys.readouterr().err  # ... and run b is not "already running"
    assert (env / "build" / "b" / "same.md").is_file()
    # The same ad-hoc run again is the same run: its state (and lock) is found again.
    again = job_from_flags({"input": "a", "target_langs": ["zh"], "output": "build/b"}, cwd=env)
    assert again.state_dir == b.state_dir
