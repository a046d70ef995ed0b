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
