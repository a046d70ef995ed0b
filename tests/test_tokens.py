"""Our Qwen token counts (tiktoken with the shipped vocabulary) against the dashscope SDK's
tokenizer, on every segment qmt extracts from the shared corpus.

The SDK is a test extra, not a runtime dependency: the comparison runs where it is
installed (``make setup`` installs it) and is skipped, with the reason, where it is not.
"""
from __future__ import annotations

import hashlib
from importlib.resources import files

import pytest

from pipeline.config import load_job
from pipeline.job.discover import discover
from pipeline.memory.lookup import MemoryLookup
from pipeline.job.plan import Planner
from pipeline.job.run import pool_settings
from pipeline.tokens import CHUNK_CHARS, QWEN_SPECIAL_START, count_tokens, encode

# The vocabulary shipped in pipeline/data is the dashscope 2.0.2 wheel's qwen.tiktoken, byte for byte
# (pipeline/data/README.md says where it comes from; a changed file must say so there too).
VOCAB_SHA256 = "b2b1b8dfb5cc5f024bafc373121c6aba3f66f9a5a0269e243470a1de16a33186"

EDGE_CASES = [
    "",
    "Hello, world!",
    "你好，世界！これは日本語です。",
    "e\u0301 cafe\u0301",                                      # NFD: normalised to NFC first
    "<|im_start|>user\nhi<|im_end|>\n<|endoftext|><|extra_204|>",  # special tokens in text
    "x" * (CHUNK_CHARS * 2 + 17),                               # one long line: chunked
    "line of text\n" * (CHUNK_CHARS // 6) + "\n\n\r\n  end",     # many lines past a chunk
]


def _corpus_segments(corpus, tmp_path) -> list[str]:
    """Every segment text the planner loads from the whole corpus (as a run loads it)."""
    (tmp_path / "job.toml").write_text(f'input = "{corpus.as_posix()}"\noutput = "out/{{lang}}"\n'
                                       'source_lang = "en"\ntarget_langs = ["zh"]\n', encoding="utf-8")
    job = load_job(tmp_path / "job.toml")
    lookup = MemoryLookup.open(job)
    try:
        planner = Planner(job, lookup, pool_settings(job))
        found, _ = discover(job.input_dir, job.include, job.exclude)
        return [seg.text for item in found for seg in planner.load(item.path, item.relpath).segments]
    finally:
        lookup.close()


def test_shipped_vocabulary_is_the_sdks_file():
    data = files("pipeline").joinpath("data", "qwen.tiktoken").read_bytes()
    assert hashlib.sha256(data).hexdigest() == VOCAB_SHA256
    assert len(data.splitlines()) == QWEN_SPECIAL_START     # the specials are numbered after the merges


def test_special_tokens_are_one_token_each():
    assert encode("<|im_start|>") == [QWEN_SPECIAL_START + 1]
    assert count_tokens("<|im_start|>user<|im_end|>") == 3


@pytest.fixture(scope="module")
def sdk_tokenizer():
    tokenizers = pytest.importorskip("dashscope.tokenizers", reason="the dashscope SDK (a test extra) is not installed")
    return tokenizers.get_tokenizer("qwen-turbo")


@pytest.mark.parametrize("text", EDGE_CASES, ids=range(len(EDGE_CASES)))
def test_edge_cases_match_the_sdk(sdk_tokenizer, text):
    assert encode(text) == sdk_tokenizer.encode(text)


@pytest.mark.needs_shared
def test_every_corpus_segment_counts_as_the_sdk_counts(sdk_tokenizer, corpus, tmp_path):
    texts = _corpus_segments(corpus, tmp_path)
    assert len(texts) > 1000                                   # the whole corpus, all five formats
    differ = [t[:60] for t in texts if count_tokens(t) != len(sdk_tokenizer.encode(t))]
    assert differ == []
    assert sum(map(count_tokens, texts)) == sum(len(sdk_tokenizer.encode(t)) for t in texts)
