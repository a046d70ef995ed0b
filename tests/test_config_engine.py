"""The engine key: qwen-mt (default) or llm, and what engine llm requires or refuses."""
from __future__ import annotations

import pytest

from pipeline.config import LLM, QWEN_MT, job_from_flags, load_job
from pipeline.errors import ConfigError

BASE = 'input = "in"\noutput = "out/{lang}"\ntarget_langs = ["zh", "ja"]\n'
LLM_JOB = BASE + 'engine = "llm"\nbase_url = "http://127.0.0.1:8000/v1/"\nmodel = "qwen2.5:7b-instruct"\n'


def error_of(path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_job(path)
    return info.value


def test_the_default_engine_is_qwen_mt(write_job):
    job = load_job(write_job(BASE))
    assert job.engine == QWEN_MT and job.tokens_per_minute == 35_000


def test_an_llm_job_takes_any_model_name_and_its_own_endpoint(write_job, monkeypatch):
    monkeypatch.setenv("DASHSCOPE_BASE_URL", "http://elsewhere/compatible-mode/v1")
    job = load_job(write_job(LLM_JOB + 'domains = "Legal contracts."\n'))
    assert (job.engine, job.model, job.base_url) == (LLM, "qwen2.5:7b-instruct", "http://127.0.0.1:8000/v1")
    assert job.tokens_per_minute is None            # no region limit for a generic server
    assert job.domains == "Legal contracts."


@pytest.mark.parametrize("body,key,words", [
    (BASE + 'engine = "llm"\nmodel = "m"\n', "base_url", "is required"),
    (BASE + 'engine = "llm"\nbase_url = "localhost:8000"\nmodel = "m"\n', "base_url", "http"),
    (BASE + 'engine = "llm"\nbase_url = "http://h/v1"\n', "model", "is required"),
    (BASE + 'engine = "llm"\nbase_url = "http://h/v1"\nmodel = ""\n', "model", "is required"),
    (LLM_JOB + '[run]\nbudget_usd = 5.0\n', "run.budget_usd", "budget_tokens"),
    (BASE + 'engine = "gpt"\n', "engine", "known: qwen-mt, llm"),
])
def test_llm_job_errors_name_the_file_and_key(write_job, body, key, words):
    path = write_job(body)
    err = error_of(path)
    assert err.key == key and words in str(err) and str(path) in str(err)
    assert "\n" not in str(err)


def test_the_engine_flag_needs_base_url_and_model_too(tmp_path):
    (tmp_path / "in").mkdir()
    flags = {"input": "in", "output": "out/{lang}", "target_langs": ["fr"], "engine": "llm"}
    with pytest.raises(ConfigError) as info:
        job_from_flags(flags, cwd=tmp_path)
    assert info.value.key == "base_url"
    job = job_from_flags(flags | {"base_url": "http://h:1/v1", "model": "llama3"}, cwd=tmp_path)
    assert (job.engine, job.model) == (LLM, "llama3")
