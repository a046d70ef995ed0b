"""The OpenAI-compatible Qwen-MT protocol: request validation and reply bodies.

Validation follows the service's documented rules (docs/qwen-mt.md): one user message
with string content and no system message, a known model, ``translation_options`` with
languages the model knows, no ``domains`` for qwen-mt-lite, input of 1..8,192 tokens,
and every sampling parameter within its documented range. The ranges are read from
:mod:`pipeline.service_facts`, the table the job loader checks first. Over raw HTTP
``translation_options``, ``top_k`` and ``repetition_penalty`` are top-level body fields,
which is also where the SDK's ``extra_body`` puts them.
"""
from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipeline.emulator.faults import ErrorSpec, invalid_parameter, model_not_found
from pipeline.languages import LITE_MODEL_PREFIX, Language, all_languages
from pipeline.service_facts import MAX_INPUT_TOKENS, MAX_OUTPUT_TOKENS, MODELS, RANGES, out_of_range
from pipeline.tokens import count_tokens, prompt_tokens

# Streaming semantics differ by model and cannot be switched off (see the API reference).
CUMULATIVE_MODELS = frozenset({"qwen-mt-plus", "qwen-mt-turbo"})


class RequestRejected(Exception):
    """Validation failed; ``spec`` is the error reply to send."""

    def __init__(self, spec: ErrorSpec):
        super().__init__(spec.message)
        self.spec = spec


@dataclass(frozen=True, slots=True)
class EmulatedPair:
    """A term or TM entry as received (has ``.source``/``.target`` for prompt_tokens)."""

    source: str
    target: str


@dataclass(frozen=True)
class ChatRequest:
    model: str
    content: str
    source_lang: str
    target_lang: str          # the value as sent
    target: Language          # what it names
    terms: tuple[EmulatedPair, ...]
    tm_list: tuple[EmulatedPair, ...]
    domains: str | None
    stream: bool
    include_usage: bool
    max_tokens: int
    send_usage: bool = True   # False: answers carry no usage (a generic server that counts nothing)

    @property
    def cumulative(self) -> bool:
        return self.model in CUMULATIVE_MODELS

    @property
    def prompt_tokens(self) -> int:
        return prompt_tokens(self.content, self.terms, self.tm_list, self.domains)


def reject(message: str) -> RequestRejected:
    return RequestRejected(invalid_parameter(message))


def parse_chat_request(raw: bytes) -> ChatRequest:
    """Validate a request body the way the service does; raise RequestRejected."""
    return chat_request_from(load_body(raw))


def load_body(raw: bytes) -> dict[str, Any]:
    """The JSON object of a request body; RequestRejected if it is not one."""
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise reject("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise reject("The request body must be a JSON object.")
    return body


def chat_request_from(body: dict[str, Any]) -> ChatRequest:
    """Validate the fields of a request in the compatible protocol's (flat) shape; the
    native protocol's requests are flattened to it first (:mod:`pipeline.emulator.native`)."""
    model = _model(body)
    content = _content(body)
    opts = body.get("translation_options")
    if not isinstance(opts, dict):
        raise reject("translation_options is required and must be an object with source_lang and target_lang.")
    source = opts.get("source_lang", "auto")
    if source != "auto":
        _language(model, source, "source_lang")
    target_lang = _named(opts.get("target_lang"), "target_lang")
    target = _language(model, target_lang, "target_lang")
    domains = opts.get("domains")
    if domains is not None and not isinstance(domains, str):
        raise reject("translation_options.domains must be a string.")
    if domains and model.startswith(LITE_MODEL_PREFIX):
        raise reject(f"The model {model} does not support translation_options.domains.")
    _check_length(content)
    stream = body.get("stream") is True
    stream_options = body.get("stream_options") or {}
    _check_sampling(body)
    return ChatRequest(
        model=model,
        content=content,
        source_lang=source,
        target_lang=target_lang,
        target=target,
        terms=_pairs(opts.get("terms"), "terms"),
        tm_list=_pairs(opts.get("tm_list"), "tm_list"),
        domains=domains or None,
        stream=stream,
        include_usage=stream and isinstance(stream_options, dict) and stream_options.get("include_usage") is True,
        max_tokens=_max_tokens(body),
    )


def _model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise reject("model is required.")
    if model not in MODELS:
        raise RequestRejected(model_not_found(model))
    return model


def _content(body: dict[str, Any]) -> str:
    messages = body.get("messages")
    if isinstance(messages, list) and any(isinstance(m, dict) and m.get("role") == "system" for m in messages):
        raise reject(f"The model {body.get('model')} does not support system messages: the instruction goes in "
                     "translation_options, the text in one user message.")
    if not isinstance(messages, list) or len(messages) != 1:
        raise reject("messages must hold exactly one user message.")
    msg = messages[0]
    if not isinstance(msg, dict) or msg.get("role") != "user":
        raise reject("Only a single message with role user is supported.")
    content = msg.get("content")
    if not isinstance(content, str):
        raise reject("The message content must be a string.")
    return content


def _named(value: Any, param: str) -> str:
    """A language parameter's value: a string, not empty."""
    if not isinstance(value, str) or not value:
        raise reject(f"translation_options.{param} is required.")
    return value


def _language(model: str, value: Any, param: str) -> Language:
    """Exact English name (lite: its own names) or code; nothing looser, like the service."""
    value = _named(value, param)
    lite = model.startswith(LITE_MODEL_PREFIX)
    for lang in all_languages():
        if lite and not lang.lite_name:
            continue
        if value == lang.code or value == (lang.lite_name if lite else lang.name):
            return lang
    raise reject(f"translation_options.{param} '{value}' is not a language {model} supports.")


def _pairs(value: Any, param: str) -> tuple[EmulatedPair, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise reject(f"translation_options.{param} must be a list of {{source, target}} objects.")
    out: list[EmulatedPair] = []
    for item in value:
        if not (isinstance(item, dict) and isinstance(item.get("source"), str) and isinstance(item.get("target"), str)):
            raise reject(f"Every entry of translation_options.{param} needs string source and target.")
        out.append(EmulatedPair(item["source"], item["target"]))
    return tuple(out)


def _check_length(content: str) -> None:
    n = count_tokens(content)
    if not 1 <= n <= MAX_INPUT_TOKENS:
        raise reject(f"Range of input length should be [1, {MAX_INPUT_TOKENS}]")


def _max_tokens(body: dict[str, Any]) -> int:
    value = body.get("max_tokens")
    if value is None:
        return MAX_OUTPUT_TOKENS
    if not RANGES["max_tokens"].accepts(value):
        raise reject(RANGES["max_tokens"].message)
    return int(value)           # an integer: the range accepts no other number


def _check_sampling(body: dict[str, Any]) -> None:
    """Every sampling parameter within its documented range (pipeline.service_facts)."""
    bad = out_of_range(body)
    if bad is not None:
        raise reject(bad.message)


# The same checks for every endpoint that takes chat messages (pipeline.emulator.chat).
check_length, check_sampling, max_tokens_of = _check_length, _check_sampling, _max_tokens


# --- output ---------------------------------------------------------------------------


def truncate_to_tokens(text: str, limit: int, count: Callable[[str], int] | None = None) -> str:
    """The longest prefix of ``text`` within ``limit`` tokens (whole characters, so the
    result never ends in half a UTF-8 sequence). ``count`` measures a text (default:
    :func:`count_tokens` without its cache, which would keep every probe string)."""
    count = count or uncached_count_tokens
    if count(text) <= limit:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo]


def uncached_count_tokens(text: str) -> int:
    return getattr(count_tokens, "__wrapped__", count_tokens)(text)


def new_request_id() -> str:
    return str(uuid.uuid4())


def error_body(spec: ErrorSpec, request_id: str) -> dict[str, Any]:
    return {"error": {"code": spec.code, "message": spec.message, "param": None, "type": spec.type},
            "request_id": request_id}


def usage(prompt: int, completion: int) -> dict[str, Any]:
    return {"completion_tokens": completion, "prompt_tokens": prompt, "total_tokens": prompt + completion,
            "completion_tokens_details": None, "prompt_tokens_details": None}


def completion_body(request_id: str, model: str, content: str, finish: str, prompt: int, completion: int) -> dict[str, Any]:
    message = {"content": content, "refusal": None, "role": "assistant", "annotations": None, "audio": None,
               "function_call": None, "tool_calls": None}
    return {"id": f"chatcmpl-{request_id}", "choices": [{"finish_reason": finish, "index": 0, "logprobs": None,
                                                         "message": message}],
            "created": int(time.time()), "model": model, "object": "chat.completion", "service_tier": None,
            "system_fingerprint": None, "usage": usage(prompt, completion)}


def chunk_body(request_id: str, model: str, content: str | None, finish: str | None, *,
               role: str | None = None, usage_: dict[str, Any] | None = None, created: int) -> dict[str, Any]:
    choices = [] if usage_ is not None else [{
        "delta": {"content": content, "function_call": None, "refusal": None, "role": role, "tool_calls": None},
        "finish_reason": finish, "index": 0, "logprobs": None}]
    return {"id": f"chatcmpl-{request_id}", "choices": choices, "created": created, "model": model,
            "object": "chat.completion.chunk", "service_tier": None, "system_fingerprint": None, "usage": usage_}


def split_for_stream(text: str) -> list[str]:
    """Pieces of a few tokens each (up to 4 non-space characters with the whitespace
    before them); they concatenate back to ``text`` exactly."""
    return re.findall(r"\s*\S{1,4}|\s+", text)


def sse_event(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n"


class CompatibleDialect:
    """How the OpenAI-compatible endpoint words its answers (the server shares the rest)."""

    name = "openai"
    bare_key = False            # "Authorization: Bearer KEY" only
    key_optional = False        # a request without a key is refused (the generic chat mode takes none)

    def parse(self, raw: bytes, headers: Any) -> ChatRequest:
        return parse_chat_request(raw)

    def error(self, spec: ErrorSpec, request_id: str) -> dict[str, Any]:
        return error_body(spec, request_id)

    def reply(self, request_id: str, chat: ChatRequest, output: str, finish: str, completion: int) -> dict[str, Any]:
        return completion_body(request_id, chat.model, output, finish, chat.prompt_tokens, completion)

    def stream(self, request_id: str, chat: ChatRequest) -> "CompatibleStream":
        return CompatibleStream(request_id, chat)


class CompatibleStream:
    """The events of one compatible-mode stream: ``data: {chunk}`` lines, ``[DONE]`` last."""

    running_usage = False       # usage comes once, at the end (if asked for)

    def __init__(self, request_id: str, chat: ChatRequest):
        self.rid, self.chat, self.created = request_id, chat, int(time.time())

    def _event(self, content: str | None, finish: str | None, **kw: Any) -> bytes:
        return sse_event(chunk_body(self.rid, self.chat.model, content, finish, created=self.created, **kw))

    def start(self) -> bytes:
        return self._event("", None, role="assistant")

    def chunk(self, content: str, completion_so_far: int) -> bytes:
        return self._event(content, None)

    def end(self, output: str, finish: str, completion: int) -> bytes:
        # The service sends the final chunk twice (seen for both semantics).
        final = self._event(output if self.chat.cumulative else "", finish)
        tail = self._event(None, None, usage_=usage(self.chat.prompt_tokens, completion)) \
            if self.chat.include_usage else b""
        return final + final + tail + b"data: [DONE]\n\n"

    def broken(self) -> bytes:
        return b'data: {"id": "chatcmpl-' + self.rid.encode() + b'", "choices": [{"delta": \n\n'
