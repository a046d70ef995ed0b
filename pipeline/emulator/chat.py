"""The emulator's generic chat mode: a stand-in for any OpenAI-compatible model server.

With ``chat`` on (``qmt emulator --chat``, ``EmulatorServer(chat=True)``) the emulator
also serves ``POST /v1/chat/completions`` the way a vLLM, Ollama or llama.cpp server does
for ``engine = "llm"``: any model name, no ``translation_options``, the instruction in a
system prompt. It checks what qmt sends (:func:`parse_generic_request`) and answers in
the emulator's mode (pseudo or identity), through the same faults, limits, latency,
streaming and billing as the Qwen-MT endpoint (:meth:`Emulator.handle_chat
<pipeline.emulator.server.Emulator.handle_chat>` with ``generic=True``):

* exactly two messages: a system prompt, then the user message (the segment, or the
  packed segments); ``translation_options`` is refused (a generic model would ignore it,
  so sending it is a bug);
* the system prompt names the target language on its ``Target language:`` line and the
  source on its ``Source language:`` line (:mod:`pipeline.translate.llm_prompt` writes
  them and says why they are fixed lines); its glossary lines are what pseudo mode
  applies, so a test sees the terms reach the server;
* a text with placeholder tags needs the prompt's tag rule, a packed text its marker rule;
* usage is sent as by the Qwen-MT endpoint (counted by
  :func:`pipeline.tokens.chat_prompt_tokens`), unless ``chat_usage`` is off
  (``--chat-no-usage``), as some servers do: then qmt's estimated path is what runs;
* a key is checked only when the emulator has one (``--api-key``), as a local model
  server started without a key accepts every request;
* as DashScope's compatible mode serves general models beside Qwen-MT at one URL, a body
  with several messages and no ``translation_options`` sent to the Qwen-MT endpoint is
  answered by the generic mode too (with the key that endpoint always requires).

* a chatty server (``chatter``, ``--chat-chatter KIND``) wraps every answer, plain or
  streamed, the way instruct models do when they ignore "reply with the translation
  only" (:func:`chatter`): a preamble ("Sure! Here is the French translation:"), a
  closing pleasantry, a code fence or quotes, or all of them; the chatter is billed as
  output, as a real server bills it.

Answers are marked ``emulator:chat-<mode>`` (:mod:`pipeline.provenance`): emulated, and
never the same engine as the emulated Qwen-MT.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from pipeline.emulator.modes import CHATTER_KINDS
from pipeline.emulator.protocol import (ChatRequest, CompatibleDialect, EmulatedPair, check_length, check_sampling,
                                       completion_body, load_body, max_tokens_of, reject)
from pipeline.languages import lookup
from pipeline.tokens import chat_prompt_tokens
from pipeline.translate.llm_prompt import AUTO_SOURCE, has_markers, has_tags, read_system_prompt

CHAT_PREFIX = "/v1"             # where a generic server's OpenAI-compatible API lives
GENERIC = web.RequestKey("qmt_generic_chat", bool)  # this request is answered by the generic chat mode


# How a chatty instruct model wraps its answer (CHATTER_KINDS; ``{lang}``: the target language's name).
PREAMBLE = "Sure! Here is the {lang} translation:\n\n"
PLEASANTRY = "\n\nLet me know if you need anything else!"


def chatter(answer: str, kind: str, lang: str) -> str:
    """``answer`` wrapped as a chatty model wraps it (kind from :data:`CHATTER_KINDS`)."""
    if kind not in CHATTER_KINDS:
        raise ValueError(f"unknown chatter {kind!r}; known: {', '.join(CHATTER_KINDS)}")
    if kind in ("fence", "all"):
        answer = f"```\n{answer}\n```"
    if kind == "quotes":
        answer = f'"{answer}"'
    if kind in ("preamble", "all"):
        answer = PREAMBLE.format(lang=lang) + answer
    if kind in ("pleasantry", "all"):
        answer += PLEASANTRY
    return answer


def is_generic_body(raw: bytes) -> bool:
    """A body for a general model rather than Qwen-MT: chat messages and no
    ``translation_options``. DashScope's compatible mode serves both kinds at one URL, so
    in chat mode the emulator's Qwen-MT endpoint passes such bodies to the generic mode."""
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(body, dict) and "translation_options" not in body and isinstance(body.get("messages"), list) \
        and len(body["messages"]) > 1


@dataclass(frozen=True)
class GenericChatRequest(ChatRequest):
    """A checked generic chat request: the Qwen-MT request's fields, read from the prompt."""

    system: str = ""

    @property
    def prompt_tokens(self) -> int:
        return chat_prompt_tokens([{"content": self.system}, {"content": self.content}])

    @property
    def cumulative(self) -> bool:  # generic servers stream increments, whatever the model's name
        return False


class GenericDialect(CompatibleDialect):
    """The compatible protocol as a generic model server speaks it: requests checked by
    :func:`parse_generic_request`, any key or none (``key_optional``), and answers without
    usage when ``send_usage()`` says so. Streams, errors and faults are the compatible ones."""

    name = "llm"
    key_optional = True         # a key is checked only when the emulator has one

    def __init__(self, send_usage: Callable[[], bool] = lambda: True):
        self._send_usage = send_usage

    def parse(self, raw: bytes, headers: Any) -> ChatRequest:
        return parse_generic_request(raw, send_usage=self._send_usage())

    def reply(self, request_id: str, chat: ChatRequest, output: str, finish: str, completion: int) -> dict[str, Any]:
        document = completion_body(request_id, chat.model, output, finish, chat.prompt_tokens, completion)
        if not chat.send_usage:
            del document["usage"]
        return document


def parse_generic_request(raw: bytes, *, send_usage: bool = True) -> GenericChatRequest:
    """Check a generic chat request (see the module docstring); raise RequestRejected."""
    body = load_body(raw)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise reject("model is required.")
    if "translation_options" in body:
        raise reject("translation_options is not a parameter of a generic model: the instruction belongs "
                     "in the system prompt.")
    system, content = _messages(body)
    try:
        fields = read_system_prompt(system)
    except ValueError as exc:
        raise reject(f"system prompt: {exc}") from None
    target = lookup(fields.target_lang) if fields.target_lang else None
    if target is None:
        raise reject("The system prompt names no known target language (a 'Target language: <name>' line).")
    if fields.source_lang != AUTO_SOURCE and lookup(fields.source_lang) is None:
        raise reject("The system prompt names no source language (a 'Source language: <name>' line, or "
                     f"'{AUTO_SOURCE}').")
    if has_tags(content) and not fields.tag_rule:
        raise reject("The text holds placeholder tags and the system prompt does not say to keep them.")
    if has_markers(content) and not fields.pack_rule:
        raise reject("The text holds pack markers and the system prompt does not say to keep them.")
    check_length(content)
    check_sampling(body)
    stream = body.get("stream") is True
    stream_options = body.get("stream_options") or {}
    asked_usage = stream and isinstance(stream_options, dict) and stream_options.get("include_usage") is True
    return GenericChatRequest(
        model=model, content=content, source_lang=fields.source_lang, target_lang=fields.target_lang, target=target,
        terms=tuple(EmulatedPair(p.source, p.target) for p in fields.terms),
        tm_list=tuple(EmulatedPair(p.source, p.target) for p in fields.examples),
        domains=fields.domains or None, stream=stream, include_usage=asked_usage and send_usage,
        max_tokens=max_tokens_of(body), send_usage=send_usage, system=system,
    )


def _messages(body: dict[str, Any]) -> tuple[str, str]:
    messages = body.get("messages")
    if not isinstance(messages, list) or len(messages) != 2 or not all(isinstance(m, dict) for m in messages):
        raise reject("messages must be a system prompt and one user message (the text to translate).")
    (system, user) = messages
    if system.get("role") != "system" or not isinstance(system.get("content"), str) or not system["content"].strip():
        raise reject("The first message must be the system prompt (role system, string content).")
    if user.get("role") != "user" or not isinstance(user.get("content"), str):
        raise reject("The second message must be the text to translate (role user, string content).")
    return system["content"], user["content"]
