"""LlmBackend (engine llm) against the emulator's generic chat mode, over real HTTP."""
from __future__ import annotations

import asyncio

import httpx2
import pytest

from pipeline import errors
from pipeline.emulator import EmulatorServer, pseudo_translate
from pipeline.tokens import chat_prompt_tokens, count_tokens
from pipeline.translate.backend import Sampling, TermPair, TranslationRequest
from pipeline.translate.llm_backend import LlmBackend
from pipeline.translate.llm_prompt import messages

KEY = "sk-llm-backend-0123456789abcdef"
TEXT = "Open the <g1>folder</g1> and sync it."
REQUEST = TranslationRequest(text=TEXT, model="llama3", source_lang="English", target_lang="French",
                             terms=(TermPair("folder", "dossier"),), sampling=Sampling(temperature=0.2, top_k=20))


@pytest.fixture(autouse=True)
def fresh(chat_emu):
    chat_emu.reset()
    chat_emu.emulator.config.chat_usage = True
    chat_emu.emulator.config.api_key = None
    chat_emu.set_mode("pseudo")
    yield


def translate(server: EmulatorServer, request: TranslationRequest = REQUEST, **kw):
    async def go():
        backend = LlmBackend(base_url=server.chat_base_url, model="llama3", timeout=5, **kw)
        try:
            return await backend.translate(request)
        finally:
            await backend.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize("stream", [False, True])
def test_translates_with_the_servers_usage(chat_emu, stream):
    response = translate(chat_emu, stream=stream)
    assert response.text == pseudo_translate(TEXT, "French", [("folder", "dossier")])
    assert response.finish_reason == "stop" and response.engine == "emulator:chat-pseudo"
    assert not response.estimated
    assert (response.prompt_tokens, response.completion_tokens) == \
        (chat_emu.billing.prompt_tokens, chat_emu.billing.completion_tokens)
    body = chat_emu.billing.bodies()[-1]
    assert body["temperature"] == 0.2 and body["top_k"] == 20 and "translation_options" not in body


@pytest.mark.parametrize("stream", [False, True])
def test_without_usage_qmt_counts_and_says_so(chat_emu, stream):
    chat_emu.emulator.config.chat_usage = False
    response = translate(chat_emu, stream=stream)
    assert response.estimated
    assert response.prompt_tokens == chat_prompt_tokens(messages(REQUEST)) == chat_emu.billing.prompt_tokens
    # The server bills the whole answer, its frame markers included: qmt counts the same.
    assert response.completion_tokens == chat_emu.billing.completion_tokens > count_tokens(response.text)


def test_no_key_means_no_authorization_header(chat_emu):
    seen: list[str | None] = []

    async def hook(request) -> None:
        seen.append(request.headers.get("authorization"))

    translate(chat_emu, http_client=httpx2.AsyncClient(event_hooks={"request": [hook]}))
    translate(chat_emu, api_key=KEY, http_client=httpx2.AsyncClient(event_hooks={"request": [hook]}))
    assert seen == [None, f"Bearer {KEY}"]


def test_a_server_that_wants_a_key_refuses_without_one(chat_emu):
    chat_emu.emulator.config.api_key = KEY
    with pytest.raises(errors.AuthenticationFailed):
        translate(chat_emu)
    assert translate(chat_emu, api_key=KEY).text


@pytest.mark.parametrize("fault,cls,billed", [
    ("429:retry_after=3", errors.RateLimited, False),
    ("500", errors.ServerError, False),
    ("drop", errors.ConnectionDropped, False),
    ("malformed", errors.MalformedResponse, True),
    ("drop_mid", errors.ConnectionDropped, True),
])
@pytest.mark.parametrize("stream", [False, True])
def test_the_error_tree_is_qwen_mts(chat_emu, fault, cls, billed, stream):
    chat_emu.script(fault)
    with pytest.raises(cls) as caught:
        translate(chat_emu, stream=stream)
    assert (caught.value.billed is not None) == billed
    if cls is errors.RateLimited:
        assert caught.value.retry_after == 3


def test_a_reasoning_models_thinking_is_not_part_of_the_translation(chat_emu):
    chat_emu.set_mode(lambda content, target, terms: f"<think>\nThe user wants {target}.\n</think>\n\n{content}")
    assert translate(chat_emu).text == TEXT


def test_pacing_and_budgets_count_the_prompt_as_sent(chat_emu):
    """The sender asks the backend (count_prompt): the system prompt is part of what is billed."""
    backend = LlmBackend(base_url=chat_emu.chat_base_url, model="llama3")
    assert backend.count_prompt(REQUEST) == translate(chat_emu).prompt_tokens == chat_emu.billing.prompt_tokens
    asyncio.run(backend.aclose())


def test_a_key_the_server_echoes_never_reaches_a_message(chat_emu):
    secret = "llm-secret-not-sk-shaped-42"
    chat_emu.emulator.config.api_key = KEY
    chat_emu.emulator.config.echo_key = True
    try:
        with pytest.raises(errors.AuthenticationFailed) as caught:
            translate(chat_emu, api_key=secret)
    finally:
        chat_emu.emulator.config.echo_key = False
    assert secret not in str(caught.value) and "Key: " in str(caught.value)
