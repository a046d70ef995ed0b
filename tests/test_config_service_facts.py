"""The job loader refuses what the service would refuse, first: the sampling ranges of
:mod:`pipeline.service_facts` (the table the emulator checks too), a Qwen-MT model with
engine = "llm"; a model server's fatal answers advise its own key, and the price table
says where each row comes from."""
from __future__ import annotations

import asyncio
import tomllib
from importlib import resources

import pytest

from pipeline import errors
from pipeline.config import load_job
from pipeline.emulator.protocol import RequestRejected, chat_request_from
from pipeline.errors import ConfigError
from pipeline.service_facts import MAX_SEED, RANGES
from pipeline.translate.backend import TranslationRequest
from pipeline.translate.llm_backend import LlmBackend

BASE = 'input = "in"\noutput = "out/{lang}"\ntarget_langs = ["fr"]\n'
OUTSIDE = [("temperature", "2.0"), ("temperature", "-0.5"), ("top_p", "0.0"), ("top_p", "1.5"), ("top_k", "-1"),
           ("repetition_penalty", "0.0"), ("repetition_penalty", "-1.0"), ("seed", "-1"),
           ("seed", str(MAX_SEED + 1)), ("max_tokens", "0"), ("max_tokens", "8193")]
INSIDE = [("temperature", "1.99"), ("top_p", "1.0"), ("top_k", "0"), ("top_k", "150"),
          ("repetition_penalty", "3.5"), ("seed", str(MAX_SEED)), ("max_tokens", "8192")]


@pytest.mark.parametrize("name, value", OUTSIDE, ids=[f"{n}={v}" for n, v in OUTSIDE])
def test_a_value_the_service_refuses_is_refused_first_in_one_line(write_job, name, value):
    path = write_job(BASE + f"[sampling]\n{name} = {value}\n")
    with pytest.raises(ConfigError) as info:
        load_job(path)
    message = str(info.value)
    assert message.startswith(f"{path}: sampling.{name}: must be ") and "\n" not in message
    assert RANGES[name].message in message
    # The emulator, reading the same table, would answer this value with the service's 400.
    body = {"model": "qwen-mt-flash", "messages": [{"role": "user", "content": "Hi"}],
            "translation_options": {"source_lang": "auto", "target_lang": "French"},
            name: tomllib.loads(f"v = {value}")["v"]}
    with pytest.raises(RequestRejected) as refused:
        chat_request_from(body)
    assert refused.value.spec.status == 400 and refused.value.spec.message == RANGES[name].message


@pytest.mark.parametrize("name, value", INSIDE, ids=[f"{n}={v}" for n, v in INSIDE])
def test_the_edges_of_the_documented_ranges_load(write_job, name, value):
    job = load_job(write_job(BASE + f"[sampling]\n{name} = {value}\n"))
    assert getattr(job.sampling, name) == tomllib.loads(f"v = {value}")["v"]


def test_engine_llm_with_a_qwen_mt_model_is_refused(write_job):
    path = write_job(BASE + 'engine = "llm"\nbase_url = "http://127.0.0.1:8000/v1"\nmodel = "qwen-mt-flash"\n')
    with pytest.raises(ConfigError) as info:
        load_job(path)
    message = str(info.value)
    assert message.startswith(f"{path}: model: qwen-mt-flash is a Qwen-MT model") and "\n" not in message
    assert 'engine = "qwen-mt"' in message


def test_a_model_server_refusing_the_key_points_at_qmt_llm_api_key(chat_emu):
    chat_emu.emulator.config.api_key = "sk-the-right-one-0123456789"
    request = TranslationRequest(text="Hello.", model="llama3", source_lang="English", target_lang="French")

    async def go():
        backend = LlmBackend(base_url=chat_emu.chat_base_url, model="llama3", api_key="sk-wrong-0123456789abc",
                             timeout=5)
        try:
            return await backend.translate(request)
        finally:
            await backend.aclose()

    try:
        with pytest.raises(errors.AuthenticationFailed) as info:
            asyncio.run(go())
    finally:
        chat_emu.emulator.config.api_key = None
    message = str(info.value)
    assert "QMT_LLM_API_KEY" in message and "DASHSCOPE_API_KEY" not in message
    assert "DASHSCOPE_API_KEY" in str(errors.AuthenticationFailed("HTTP 401"))   # Qwen-MT's advice is unchanged


def test_every_price_row_names_its_source_or_says_unverified():
    data = tomllib.loads(resources.files("pipeline").joinpath("data/prices.toml").read_text(encoding="utf-8"))
    for model, regions in data["models"].items():
        for region, row in regions.items():
            assert row["basis"] in ("documented", "unverified"), (model, region)
            assert row["source"].strip(), (model, region)
    turbo_us = data["models"]["qwen-mt-turbo"]["us"]
    assert turbo_us["basis"] == "unverified" and "qwen-mt-lite" in turbo_us["source"]
