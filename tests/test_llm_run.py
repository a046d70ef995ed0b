"""engine = "llm" end to end: jobs through the emulator's generic chat mode over HTTP."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bill_match import check_ledger_against_bill
from hang_transport import hang_client
from support import requests_in, is_output

from pipeline.cli import main
from pipeline.config import load_job, with_overrides
from pipeline.emulator.pseudo import pseudo_translate
from pipeline.job.progress import Progress
from pipeline.job.run import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, run_job
from pipeline.translate.llm_backend import LlmBackend
from pipeline.translate.qwen_backend import QwenBackend
from pipeline.ledger.usage import read_ledger

REPO = Path(__file__).resolve().parents[1]
SAMPLE_JOB = REPO / "jobs" / "llm-sample.toml"
KEY = "sk-any-key-0123456789"


@pytest.fixture(autouse=True)
def fresh(chat_emu, monkeypatch):
    chat_emu.reset()
    chat_emu.emulator.config.chat_usage = True
    monkeypatch.delenv("QMT_LLM_API_KEY", raising=False)
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    yield


def test_the_llm_sample_job_runs_offline_through_the_cli(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["translate", str(SAMPLE_JOB), "--emulator", "--out", str(out / "{lang}")]) == EXIT_OK
    assert "generic chat" in capsys.readouterr().err
    md = (out / "ja" / "getting-started.md").read_text(encoding="utf-8")
    assert "# ⟦ja⟧ " in md and "アクメシンク" in md                        # translated, glossary applied
    assert f"**{pseudo_translate('installation', 'ja').removeprefix('⟦ja⟧ ')}**" in md   # inline tags back in place
    assert "(https://docs.example.com/migrate" in md and "pip install acme-sync" in md
    assert (out / "zh" / "guide.docx").is_file() and (out / "all" / "ui_strings.csv").is_file()
    ledger = read_ledger(out / ".qmt" / "llm-sample" / "ledger")
    assert ledger.height > 0 and ledger["prompt_tokens"].min() > 0 and ledger["completion_tokens"].min() > 0
    assert set(ledger["engine"]) == {"emulator:chat-pseudo"} and not ledger["estimated"].any()


@pytest.mark.parametrize("usage", [True, False], ids=["usage", "no-usage"])
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_the_ledger_equals_the_bill_with_or_without_the_servers_usage(tmp_path, chat_emu, usage, stream):
    chat_emu.emulator.config.chat_usage = usage
    job = load_job(SAMPLE_JOB, {"run": {"stream": stream}})
    job = with_overrides(job, output=str(tmp_path / "out" / "{lang}"), base_url=chat_emu.chat_base_url)
    result = run_job(job, backend=LlmBackend(base_url=job.base_url, model=job.model, timeout=5, stream=stream),
                     progress=Progress(interactive=False))
    assert result.exit_code == EXIT_OK, [(f.relpath, f.status, f.reason) for f in result.files]
    ledger = read_ledger(job.state_dir / "ledger")
    assert requests_in(ledger) == chat_emu.billing.received == result.requests
    assert ledger["prompt_tokens"].sum() == chat_emu.billing.prompt_tokens
    assert ledger["completion_tokens"].sum() == chat_emu.billing.completion_tokens
    assert ledger["estimated"].all() if not usage else not ledger["estimated"].any()
    system = chat_emu.billing.bodies()[-1]["messages"][0]["content"]
    assert "Domain: The text is end-user documentation" in system and "Target language: " in system


def _docs(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.md").write_text("# Sync\n\nOpen the **folder** first.\n\nThen run `acme sync`.\n", encoding="utf-8")
    (src / "b.md").write_text("# Buckets\n\nA bucket holds files.\n", encoding="utf-8")
    (tmp_path / "job.toml").write_text(
        'input = "in"\noutput = "out/{lang}"\nsource_lang = "en"\ntarget_langs = ["fr", "de"]\n'
        'model = "qwen-mt-flash"\n[run]\nrpm = 0\ntpm = 0\n', encoding="utf-8")
    return tmp_path / "job.toml"


@pytest.mark.parametrize("where", ["own URL", "same URL"])
def test_switching_engines_never_reuses_another_engines_translations(tmp_path, chat_emu, where):
    """One job, one state store, the same model name for both engines: what Qwen-MT
    translated is sent again to the model server, and each engine then reuses its own,
    whether the model server has its own URL or shares Qwen-MT's (as DashScope's
    compatible mode serves general models beside Qwen-MT)."""
    qwen = with_overrides(load_job(_docs(tmp_path)), base_url=chat_emu.base_url)
    llm = with_overrides(qwen, engine="llm", base_url=chat_emu.chat_base_url if where == "own URL" else qwen.base_url)

    def run(job):
        backend = (LlmBackend(base_url=job.base_url, model=job.model, timeout=5, api_key=KEY) if job.engine == "llm"
                   else QwenBackend(api_key=KEY, base_url=job.base_url, timeout=5))
        chat_emu.reset()
        result = run_job(job, backend=backend, progress=Progress(interactive=False))
        assert result.exit_code == EXIT_OK
        assert result.requests == chat_emu.billing.received
        return result

    first = run(qwen)
    assert first.requests > 0 and first.answered_by == {"emulator:pseudo": first.requests}
    switched = run(llm)
    assert (switched.requests, switched.cache_hits, switched.tm_hits) == (first.requests, 0, 0)
    assert switched.answered_by == {"emulator:chat-pseudo": first.requests}
    for job in (qwen, llm, qwen):
        back = run(job)
        assert back.requests == 0 and back.cache_hits > 0
        assert back.engine == ("emulator:pseudo" if job.engine == "qwen-mt" else "emulator:chat-pseudo")


def test_llm_job_without_model_or_base_url_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    path = tmp_path / "job.toml"
    path.write_text('input = "in"\noutput = "out"\ntarget_langs = ["fr"]\nengine = "llm"\nbase_url = "http://h/v1"\n')
    assert main(["translate", str(path)]) == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert err == f"qmt: error: {path}: model: is required with engine = \"llm\": the model name the server serves"
    assert main(["translate", str(path), "--model", "m", "--engine", "llm", "--base-url", ""]) == EXIT_USAGE
    assert "base_url: is required" in capsys.readouterr().err


def test_media_files_are_refused_with_the_reason(tmp_path, chat_emu):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(REPO / "sample_docs" / "media" / "talk.wav", src / "talk.wav")
    (src / "a.md").write_text("Hello there.\n", encoding="utf-8")
    (tmp_path / "job.toml").write_text('input = "in"\noutput = "out/{lang}"\ntarget_langs = ["fr"]\nengine = "llm"\n'
                                       f'base_url = "{chat_emu.chat_base_url}"\nmodel = "m"\n[run]\nrpm = 0\n')
    job = load_job(tmp_path / "job.toml")
    result = run_job(job, backend=LlmBackend(base_url=job.base_url, model="m", timeout=5),
                     progress=Progress(interactive=False))
    assert result.exit_code == EXIT_PARTIAL
    status = {f.relpath: (f.status, f.reason) for f in result.files}
    assert status["a.md"][0] == "written"
    assert status["talk.wav"][0] == "failed" and "engine = \"qwen-mt\"" in status["talk.wav"][1]


FAULTS = {"plain": {"429": 0.05, "500": 0.05, "503": 0.05, "timeout": 0.03, "drop": 0.05, "drop_mid": 0.05,
                    "malformed": 0.05},
          "stream": {"429": 0.05, "503": 0.05, "timeout": 0.03, "drop": 0.05, "drop_mid": 0.05, "cut": 0.06,
                     "malformed": 0.06}}


def _digest(folder: Path) -> dict[str, str]:
    import hashlib

    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if is_output(p)}


@pytest.mark.parametrize("mode", ["plain", "stream"])
def test_a_fault_mix_writes_the_same_bytes_and_the_ledger_matches_the_bill(tmp_path, chat_emu, mode):
    stream = mode == "stream"

    def run(out: Path, http_client=None):
        # A timeout no answer needs: the hangs time out at once through the transport
        # (tests/hang_transport.py), and no healthy request may time out (tests/bill_match.py).
        job = load_job(SAMPLE_JOB, {"run": {"stream": stream, "max_attempts": 8, "timeout": 30.0, "concurrency": 4,
                                            "backoff_initial": 0.01, "backoff_max": 0.05, "pack_tokens": 150}})
        job = with_overrides(job, output=str(out / "{lang}"), base_url=chat_emu.chat_base_url)
        backend = LlmBackend(base_url=job.base_url, model=job.model, timeout=30.0, stream=stream,
                             http_client=http_client)
        result = run_job(job, backend=backend, progress=Progress(interactive=False))
        assert result.exit_code == EXIT_OK, [(f.relpath, f.status, f.reason) for f in result.files]
        return job, result

    run(tmp_path / "clean")
    chat_emu.reset()
    chat_emu.set_seed(20261127)
    chat_emu.set_error_rates(FAULTS[mode])
    config = chat_emu.emulator.config
    config.announce_hangs, config.fault_retry_after = True, 0.01     # throttles ask for 10 ms, not a second
    try:
        job, result = run(tmp_path / "faulted", http_client=hang_client())
    finally:
        chat_emu.set_error_rates({})
        config.announce_hangs, config.fault_retry_after = False, None
    assert _digest(tmp_path / "faulted") == _digest(tmp_path / "clean")
    print(f"\nllm fault mix ({mode}): {dict(chat_emu.billing.errors)}, {chat_emu.billing.received} requests")
    assert sum(chat_emu.billing.errors.values()) >= 3, chat_emu.billing.errors
    ledger = read_ledger(job.state_dir / "ledger")
    assert requests_in(ledger) == result.requests
    check_ledger_against_bill(ledger, chat_emu.billing)     # request by request
    records = chat_emu.billing.records
    billed = sum(r.total_tokens for r in records)
    recorded = int(ledger["prompt_tokens"].sum() + ledger["completion_tokens"].sum())
    assert abs(recorded - billed) <= 0.02 * billed, (recorded, billed)


def test_a_model_servers_ledger_rows_name_no_qwen_region(tmp_path, chat_emu):
    job = with_overrides(load_job(SAMPLE_JOB), output=str(tmp_path / "out" / "{lang}"),
                         base_url=chat_emu.chat_base_url, include=("**/*.md",))
    assert run_job(job, backend=LlmBackend(base_url=job.base_url, model=job.model, timeout=5),
                   progress=Progress(interactive=False)).exit_code == EXIT_OK
    assert set(read_ledger(job.state_dir / "ledger")["region"]) == {""}
    assert main(["usage", "--ledger", str(job.state_dir / "ledger")]) == 0


def test_tm_matches_are_reused_unsent_or_become_examples_in_the_system_prompt(tmp_path, chat_emu):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.md").write_text("Open the shared folder now.\n\nSync the bucket every day.\n", encoding="utf-8")
    (tmp_path / "tm.csv").write_text("en,fr\nOpen the shared folder today.,Ouvrez le dossier partagé aujourd'hui.\n"
                                     "Sync the bucket every day.,Synchronisez le bucket chaque jour.\n", encoding="utf-8")
    (tmp_path / "job.toml").write_text(
        'input = "in"\noutput = "out/{lang}"\nsource_lang = "en"\ntarget_langs = ["fr"]\ntm = "tm.csv"\n'
        f'engine = "llm"\nbase_url = "{chat_emu.chat_base_url}"\nmodel = "m"\n[run]\nrpm = 0\n', encoding="utf-8")
    job = load_job(tmp_path / "job.toml")
    result = run_job(job, backend=LlmBackend(base_url=job.base_url, model="m", timeout=5),
                     progress=Progress(interactive=False))
    assert result.exit_code == EXIT_OK and result.tm_hits == 1 and result.requests == 1
    (body,) = chat_emu.billing.bodies()
    assert body["messages"][1]["content"] == "⟦§1⟧ Open the shared folder now.\n\n⟦§2⟧"
    assert ('- "Open the shared folder today." → "Ouvrez le dossier partagé aujourd\'hui."'
            in body["messages"][0]["content"])
    out = (tmp_path / "out" / "fr" / "a.md").read_text(encoding="utf-8")
    assert "Synchronisez le bucket chaque jour." in out


def test_a_model_that_ignores_the_glossary_is_reported(tmp_path, chat_emu):
    from pipeline.emulator import pseudo_translate
    from pipeline.memory.session import TERM_MISSING

    chat_emu.set_mode(lambda content, target, terms: pseudo_translate(content, target, []))
    try:
        job = with_overrides(load_job(SAMPLE_JOB), output=str(tmp_path / "out" / "{lang}"),
                             base_url=chat_emu.chat_base_url, include=("**/*.md",))
        result = run_job(job, backend=LlmBackend(base_url=job.base_url, model=job.model, timeout=5),
                         progress=Progress(interactive=False))
    finally:
        chat_emu.set_mode("pseudo")
    problems = [p for f in result.files for p in f.problems]
    assert problems and {p.status for p in problems} == {TERM_MISSING}
    assert any("アクメシンク" in p.reason or "Acme Sync" in p.reason for p in problems), problems[:2]


def test_qmt_estimate_counts_the_prompt_a_model_server_is_sent(tmp_path, chat_emu):
    from pipeline.job.estimate import estimate_job
    from pipeline.job.run import pool_settings, region_of

    job = with_overrides(load_job(SAMPLE_JOB), output=str(tmp_path / "out" / "{lang}"),
                         base_url=chat_emu.chat_base_url)
    est = estimate_job(job, pool_settings(job), region_of(job))
    result = run_job(job, backend=LlmBackend(base_url=job.base_url, model=job.model, timeout=5),
                     progress=Progress(interactive=False))
    assert (est.requests, est.prompt_tokens) == (result.requests, result.prompt_tokens)
