"""Count tokens the way Qwen does, offline.

Qwen's BPE vocabulary (``pipeline/data/qwen.tiktoken``, see ``pipeline/data/README.md`` for
where it comes from and its licence) run by ``tiktoken`` with Qwen's pre-tokenisation
pattern and special tokens: the same counts as the dashscope SDK's local tokenizer (a test
compares them over the shared corpus when the SDK is installed) without the SDK's 26
packages. We count instead of using a character heuristic so that estimates, budgets and
the emulator's ``usage`` agree with what the service bills to within a few percent.
"""
from __future__ import annotations

import binascii
import math
import unicodedata
from functools import lru_cache
from importlib.resources import files
from typing import Iterable, Iterator, Mapping, Protocol

import tiktoken

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


# Qwen's tokenizer (as the dashscope SDK's ``QwenTokenizer`` and Qwen's own
# ``tokenization_qwen.py`` define it): the pre-tokenisation regex, and the special tokens
# numbered after the 151,643 merges. Special tokens written in a text count as one token.
QWEN_PATTERN = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
                r"""|\s*[\r\n]+|\s+(?!\S)|\s+""")
QWEN_SPECIAL_START = 151643
QWEN_SPECIALS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>", *(f"<|extra_{i}|>" for i in range(205)))

# tiktoken merges recursively and can overflow its stack on one very long input, so texts
# longer than this are encoded in chunks cut at line starts (as the SDK does, for equal counts).
CHUNK_CHARS = 100_000


@lru_cache(maxsize=1)
def _encoding() -> tiktoken.Encoding:
    # One "<base64 token> <rank>" pair a line: every other field is a token, then its rank.
    fields = files("pipeline").joinpath("data", "qwen.tiktoken").read_bytes().split()
    ranks = dict(zip(map(binascii.a2b_base64, fields[0::2]), map(int, fields[1::2]), strict=True))
    specials = {token: QWEN_SPECIAL_START + i for i, token in enumerate(QWEN_SPECIALS)}
    return tiktoken.Encoding("qwen", pat_str=QWEN_PATTERN, mergeable_ranks=ranks, special_tokens=specials)


def _chunks(text: str) -> list[str]:
    """``text`` cut before line breaks (or every CHUNK_CHARS within a longer line) into
    runs of at most CHUNK_CHARS characters."""
    parts: list[str] = []
    for i, line in enumerate(text.split("\n")):
        piece = line if i == 0 else "\n" + line
        parts.extend(piece[j:j + CHUNK_CHARS] for j in range(0, max(len(piece), 1), CHUNK_CHARS))
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for part in parts:
        if current and size + len(part) > CHUNK_CHARS:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(part)
        size += len(part)
    if current:
        chunks.append("".join(current))
    return chunks


def _encoded(text: str) -> Iterator[list[int]]:
    """Qwen's token ids of ``text`` (NFC-normalised first, as the service's tokenizer does),
    piece by piece."""
    text = unicodedata.normalize("NFC", text)
    encoding = _encoding()
    for piece in [text] if len(text) <= CHUNK_CHARS else _chunks(text):
        # Every special token is written "<|...|>": a piece without "<|" holds none, and
        # encode_ordinary gives the same ids without tiktoken taking in the 208 allowed
        # specials on each call (a third of the time, on a segment's few hundred characters).
        yield encoding.encode(piece, allowed_special="all") if "<|" in piece else encoding.encode_ordinary(piece)


def encode(text: str) -> list[int]:
    """Qwen's token ids of ``text`` (NFC-normalised first, as the service's tokenizer does)."""
    return [token for ids in _encoded(text) for token in ids]


@lru_cache(maxsize=65536)  # a text is counted when planned, packed and sent; bounded for long runs
def count_tokens(text: str) -> int:
    """Number of Qwen tokens in ``text``."""
    if not text:
        return 0
    return sum(map(len, _encoded(text)))


class PairLike(Protocol):
    """A term or TM example sent with a request (both sides are billed as input)."""

    @property
    def source(self) -> str: ...

    @property
    def target(self) -> str: ...


def prompt_tokens(text: str, terms: Iterable[PairLike] = (), tm_list: Iterable[PairLike] = (),
                  domains: str | None = None) -> int:
    """Our model of a request's billed prompt tokens: overhead, text, and every term,
    TM example and domain hint sent with it (all count as input, per the service docs).
    The emulator bills with this function and the estimator predicts with it."""
    extra = sum(count_tokens(p.source) + count_tokens(p.target) + 4 for p in (*terms, *tm_list))
    return REQUEST_OVERHEAD_TOKENS + count_tokens(text) + extra + count_tokens(domains or "")


# A chat message costs its text plus the template around it (``<|im_start|>role\n`` ...
# ``<|im_end|>\n``), and the reply starts after ``<|im_start|>assistant\n``.
CHAT_MESSAGE_OVERHEAD_TOKENS = 4
CHAT_REPLY_OVERHEAD_TOKENS = 3


def chat_prompt_tokens(messages: Iterable[Mapping[str, str]]) -> int:
    """Our count of a chat request's prompt tokens (engine llm, and the emulator's generic
    chat mode): used when a model server sends no ``usage``, and marked estimated then."""
    return CHAT_REPLY_OVERHEAD_TOKENS + sum(CHAT_MESSAGE_OVERHEAD_TOKENS + count_tokens(m["content"]) for m in messages)
