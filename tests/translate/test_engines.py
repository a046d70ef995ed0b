"""Choosing the engine: the job's protocol and base URL pick the backend, in one place."""
from __future__ import annotations

import pytest
from support import EMULATOR_KEY

from pipeline.config import NATIVE_REGIONS, REGIONS, load_job, with_overrides
from pipeline.errors import ConfigError
from pipeline.translate.dashscope_backend import DashScopeBackend
from pipeline.translate.engines import make_backend, make_media_backend, media_base_url
from pipeline.translate.qwen_backend import QwenBackend

BASE = 'input = "in"\noutput = "out/{lang}"\ntarget_langs = ["zh"]\n'


@pytest.mark.parametrize(("protocol", "cls"), [("openai", QwenBackend), ("dashscope", DashScopeBackend)])
def test_the_job_protocol_picks_the_backend(write_job, monkeypatch, protocol, cls):
    monkeypatch.delenv("DASHSCOPE_BASE_URL", raising=False)
    monkeypatch.delenv("DASHSCOPE_HTTP_BASE_URL", raising=False)
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    job = load_job(write_job(BASE + f'protocol = "{protocol}"\nregion = "singapore"\n'))
    backend = make_backend(job)
    assert type(backend) is cls
    assert backend.engine == "qwen:singapore"          # the same service over either protocol
    media = make_media_backend(job)
    assert media.engine == "qwen:singapore"            # LiveTranslate: the compatible endpoint of that service
    assert media_base_url(job) == REGIONS["singapore"]


def test_without_a_key_nothing_is_built(write_job, monkeypatch):
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    job = load_job(write_job(BASE + 'protocol = "dashscope"\n'))
    with pytest.raises(ConfigError, match="DASHSCOPE_API_KEY"):
        make_backend(job)
    with pytest.raises(ConfigError, match="DASHSCOPE_API_KEY"):
        make_media_backend(job)


def test_media_go_to_the_compatible_endpoint_of_a_native_job(write_job):
    job = load_job(write_job(BASE + 'protocol = "dashscope"\n'))
    assert job.base_url == NATIVE_REGIONS["beijing"]
    assert media_base_url(job) == REGIONS["beijing"]
    local = with_overrides(job, base_url="http://127.0.0.1:8000/api/v1")
    assert media_base_url(local) == "http://127.0.0.1:8000/compatible-mode/v1"


def test_native_answers_carry_the_emulator_mark_and_are_reused_at_the_same_endpoint(tmp_path, monkeypatch, capsys):
    """The native backend reads the engine from the answer (the emulator's x-qmt-engine),
    as the compatible one does: its answers are stored as emulated, and reused by the next
    run at that endpoint. (Across protocols the real service is one engine, qwen:<region>:
    see test_the_job_protocol_picks_the_backend.)"""
    from pipeline.cli import main
    from pipeline.emulator import EmulatorServer
    from pipeline.ledger.usage import read_ledger

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.md").write_text("# Title\n\nOne paragraph to translate.\n", encoding="utf-8")
    job = tmp_path / "job.toml"
    job.write_text('input = "in"\noutput = "out/{lang}"\nsource_lang = "en"\ntarget_langs = ["zh"]\n'
                   'protocol = "dashscope"\n[run]\nrpm = 0\ntpm = 0\n', encoding="utf-8")
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    with EmulatorServer(mode="pseudo", api_key=EMULATOR_KEY) as srv:
        assert main(["translate", str(job), "--base-url", srv.native_url]) == 0
        first = srv.billing.received
        assert first >= 1 and all("input" in body for body in srv.billing.bodies())   # the native shape was sent
        assert main(["translate", str(job), "--base-url", srv.native_url]) == 0
        assert srv.billing.received == first                                            # reused, nothing sent
    assert "answered by emulator:pseudo (EMULATED" in capsys.readouterr().err
    assert "⟦zh⟧" in (tmp_path / "out" / "zh" / "a.md").read_text(encoding="utf-8")
    ledger = read_ledger(tmp_path / "out" / ".qmt" / "job" / "ledger")
    assert set(ledger["engine"].to_list()) == {"emulator:pseudo"}


def test_a_native_job_is_priced_in_its_region(write_job):
    from pipeline.job.run import region_of

    job = load_job(write_job(BASE + 'protocol = "dashscope"\nregion = "singapore"\n'))
    assert region_of(job) == "singapore"
    assert region_of(with_overrides(job, base_url=NATIVE_REGIONS["us"])) == "us"   # the endpoint decides
