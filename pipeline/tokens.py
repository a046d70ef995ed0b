"""Count tokens the way Qwen does, offline.

The ``dashscope`` package ships Qwen's BPE vocabulary (``qwen.tiktoken``) and a local
tokenizer; we use it instead of a character heuristic so that estimates, budgets and the
emulator's ``usage`` agree with what the service bills to within a few percent.
"""
from __future__ import annotations

import math
from functools import lru_cache

# The chat template around the one user message and the translation instruction cost
# tokens that are not in the text: the documented example bills a 7-token Chinese
# sentence (source auto, target English) as 53 prompt tokens.
REQUEST_OVERHEAD_TOKENS = 46

# Completion tokens per token of text sent, before a run has seen real answers: a
# translation is about as long as its source in Qwen's tokens (CJK targets from English
# a little shorter, English from CJK longer). The estimate, the budget and the pacing
# start from it; a run then learns the real ratio from usage.
OUTPUT_RATIO = 1.0


def estimate_completion(text_tokens: int, ratio: float = OUTPUT_RATIO) -> int:
    """The one completion-token estimate: ``ratio`` times the tokens of the text sent
    (``qmt estimate``, the budget's reservation, the pacing and lost answers all use it)."""
    return math.ceil(text_tokens * ratio)


@lru_cache(maxsize=1)
def _tokenizer():
    from dashscope.tokenizers import get_tokenizer

    return get_tokenizer("qwen-turbo")


@lru_cache(maxsize=65536)  # a text is counted when planned, packed and sent; bounded for long runs
def count_tokens(text: str) -> int:
    """Number of Qwen tokens in ``text``."""
    if not text:
        return 0
    return len(_tokenizer().encode(text))


def prompt_tokens(text: str, terms=(), tm_list=(), domains: str | None = None) -> int:
    """Our model of a request's billed prompt tokens: overhead, text, and every term,
    TM example and domain hint sent with it (all count as input, per the service docs).
    The emulator bills with this function and the estimator predicts with it."""
    extra = sum(count_tokens(p.source) + count_tokens(p.target) + 4 for p in (*terms, *tm_list))
    return REQUEST_OVERHEAD_TOKENS + count_tokens(text) + extra + count_tokens(domains or "")


# A chat message costs its text plus the template around it (``<|im_start|>role\n`` ...
# ``<|im_end|>\n``), and the reply starts after ``<|im_start|>assistant\n``.
CHAT_MESSAGE_OVERHEAD_TOKENS = 4
CHAT_REPLY_OVERHEAD_TOKENS = 3


def chat_prompt_tokens(messages) -> int:
    """Our count of a chat request's prompt tokens (engine llm, and the emulator's generic
    chat mode): used when a model server sends no ``usage``, and marked estimated then."""
    return CHAT_REPLY_OVERHEAD_TOKENS + sum(CHAT_MESSAGE_OVERHEAD_TOKENS + count_tokens(m["content"]) for m in messages)
