"""The DashScope native protocol: how the emulator reads and answers it.

``POST /api/v1/services/aigc/text-generation/generation`` (the seeds' native examples,
digest in ``docs/qwen-mt.md``): ``{"model", "input": {"messages": [...]}, "parameters":
{"translation_options", "result_format": "message", sampling...}}``; the key in
``Authorization`` with or without ``Bearer`` (the seeds' curl sends it bare, the SDK
with the scheme); streaming when the header ``X-DashScope-SSE: enable`` is sent.

Only the wording differs from the compatible endpoint: the request is flattened to the
compatible shape and validated by the same code (:func:`pipeline.emulator.protocol.chat_request_from`),
and the server applies the same faults, limits and billing to both. Answers:

* ``{"request_id", "output": {"choices": [{"finish_reason", "message"}]}, "usage":
  {"input_tokens", "output_tokens", "total_tokens"}}``;
* errors ``{"code", "message", "request_id"}`` with the native codes (``InvalidApiKey``,
  ``DataInspectionFailed``, ``InternalError`` ...);
* stream events ``id:N`` / ``event:result`` / ``:HTTP_STATUS/200`` / ``data:{...}``, usage
  in every event, ``finish_reason`` the string ``"null"`` until the last one (as the
  service sends it); no ``[DONE]``.
"""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from pipeline.emulator.faults import ErrorSpec
from pipeline.emulator.protocol import ChatRequest, chat_request_from, load_body, reject

NATIVE_PREFIX = "/api/v1"
GENERATION_PATH = f"{NATIVE_PREFIX}/services/aigc/text-generation/generation"
SSE_HEADER = "X-DashScope-SSE"

# The native spelling of the compatible endpoint's error codes (docs/qwen-mt.md, "Errors").
NATIVE_CODES = {
    "invalid_parameter": "InvalidParameter",
    "data_inspection_failed": "DataInspectionFailed",
    "invalid_api_key": "InvalidApiKey",
    "access_denied": "AccessDenied",
    "model_not_found": "ModelNotFound",
    "internal_error": "InternalError",
    # The compatible endpoint's TPM throttle and the free quota's end share a code there;
    # natively both are the token quota's code, told apart by the message.
    "insufficient_quota": "Throttling.AllocationQuota",
    "rate_limit_exceeded": "Throttling.RateQuota",
}
# Request fields of the compatible shape that the native protocol does not take in ``parameters``.
_NOT_PARAMETERS = ("model", "messages", "stream", "stream_options")


def native_code(code: str) -> str:
    return NATIVE_CODES.get(code, code)


def parse_native_request(raw: bytes, headers: Any) -> ChatRequest:
    """Validate a native request the way the compatible one is validated; RequestRejected."""
    body = load_body(raw)
    given = body.get("input")
    if not isinstance(given, dict):
        raise reject("input is required and must be an object with messages.")
    params = body.get("parameters", {})
    if not isinstance(params, dict):
        raise reject("parameters must be an object.")
    if params.get("result_format", "message") != "message":
        raise reject("The emulator answers result_format 'message' only.")
    misplaced = [k for k in _NOT_PARAMETERS if k in params]
    if misplaced:
        raise reject(f"parameters.{misplaced[0]} is not a parameter of the native protocol.")
    flat = {k: v for k, v in params.items() if k not in ("result_format", "incremental_output")}
    chat = chat_request_from({**flat, "model": body.get("model"), "messages": given.get("messages")})
    # Streaming is the header's choice; the native stream carries usage in every event.
    sse = str(headers.get(SSE_HEADER, "")).strip().lower() == "enable"
    return replace(chat, stream=sse, include_usage=sse)


def native_usage(prompt: int, completion: int) -> dict[str, int]:
    return {"input_tokens": prompt, "output_tokens": completion, "total_tokens": prompt + completion}


def native_body(request_id: str, model: str, content: str, finish: str | None, prompt: int,
                completion: int) -> dict[str, Any]:
    """A native answer (or stream event); ``finish`` None is sent as the string ``"null"``."""
    reason = finish or "null"
    return {"output": {"text": None, "finish_reason": reason, "model_name": model,
                       "choices": [{"finish_reason": reason, "message": {"role": "assistant", "content": content}}]},
            "usage": native_usage(prompt, completion), "request_id": request_id}


class NativeDialect:
    """How the native endpoint words its answers (the server shares the rest)."""

    name = "dashscope"
    bare_key = True             # "Authorization: KEY" as the seeds' curl sends it, or with Bearer
    key_optional = False        # a request without a key is refused

    def parse(self, raw: bytes, headers: Any) -> ChatRequest:
        return parse_native_request(raw, headers)

    def error(self, spec: ErrorSpec, request_id: str) -> dict[str, Any]:
        return {"code": native_code(spec.code), "message": spec.message, "request_id": request_id}

    def reply(self, request_id: str, chat: ChatRequest, output: str, finish: str, completion: int) -> dict[str, Any]:
        return native_body(request_id, chat.model, output, finish, chat.prompt_tokens, completion)

    def stream(self, request_id: str, chat: ChatRequest) -> "NativeStream":
        return NativeStream(request_id, chat)


class NativeStream:
    """The events of one native stream; each carries the usage so far."""

    running_usage = True

    def __init__(self, request_id: str, chat: ChatRequest):
        self.rid, self.chat, self.seq = request_id, chat, 0

    def _event(self, content: str, finish: str | None, completion: int) -> bytes:
        self.seq += 1
        body = native_body(self.rid, self.chat.model, content, finish, self.chat.prompt_tokens, completion)
        return (f"id:{self.seq}\nevent:result\n:HTTP_STATUS/200\ndata:".encode()
                + json.dumps(body, ensure_ascii=False).encode() + b"\n\n")

    def start(self) -> bytes:
        return b""

    def chunk(self, content: str, completion_so_far: int) -> bytes:
        return self._event(content, None, completion_so_far)

    def end(self, output: str, finish: str, completion: int) -> bytes:
        return self._event(output if self.chat.cumulative else "", finish, completion)

    def broken(self) -> bytes:
        self.seq += 1
        return (f"id:{self.seq}\nevent:result\n:HTTP_STATUS/200\n".encode()
                + b'data:{"output": {"choices": [{"message": \n\n')


__all__ = ["GENERATION_PATH", "NATIVE_CODES", "NATIVE_PREFIX", "NativeDialect", "SSE_HEADER", "native_code",
           "parse_native_request"]
