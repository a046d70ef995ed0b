"""Engines are told apart: a generic model server is its own engine, per URL and model."""
from __future__ import annotations

from types import SimpleNamespace

from pipeline.provenance import (ENGINE_HEADER, endpoint_of, is_emulated, is_real, job_engine, llm_answer_engine,
                                 llm_engine, service_engine)

URL = "https://dashscope.aliyuncs.com/compatible-mode/v1"


def test_one_url_serving_both_kinds_of_model_gives_two_engines():
    qwen = SimpleNamespace(engine="qwen-mt", base_url=URL, model="qwen-mt-flash")
    llm = SimpleNamespace(engine="llm", base_url=URL, model="qwen-plus")
    assert job_engine(qwen) == service_engine(URL) == "qwen:beijing"
    assert job_engine(llm) == llm_engine(URL + "/", "qwen-plus") == f"llm:{URL}#qwen-plus"
    assert endpoint_of(qwen) == URL and endpoint_of(llm) != endpoint_of(qwen)
    assert endpoint_of(SimpleNamespace(engine="llm", base_url=URL, model="qwen-max")) != endpoint_of(llm)


def test_a_model_servers_answers_are_real_unless_the_emulator_marks_them():
    assert is_real(llm_engine("http://gpu:8000/v1", "llama3")) and not is_emulated(llm_engine("http://h/v1", "m"))
    assert llm_answer_engine({}, "http://h/v1", "m") == "llm:http://h/v1#m"
    marked = llm_answer_engine({ENGINE_HEADER: "emulator:chat-pseudo"}, "http://h/v1", "m")
    assert is_emulated(marked) and not is_real(marked)
