"""Shared pieces for the emulator tests: a running emulator and request helpers."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from openai import OpenAI

from pipeline.emulator import EmulatorServer

API_KEY = "sk-emulator-test"


@pytest.fixture
def emu():
    with EmulatorServer(mode="pseudo", api_key=API_KEY) as server:
        yield server


@pytest.fixture
def client(emu) -> OpenAI:
    # No SDK retries: each call is exactly one request, so counts are exact.
    return OpenAI(api_key=API_KEY, base_url=emu.base_url, max_retries=0, timeout=5.0)


def chat_kwargs(content: str = "Hello world, this is a test.", model: str = "qwen-mt-flash",
                target: str = "Japanese", **options: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": content}],
            "extra_body": {"translation_options": {"source_lang": "auto", "target_lang": target, **options}}}


def raw_post(server: EmulatorServer, body: Any, *, key: str | None = API_KEY, timeout: float = 5.0
             ) -> tuple[int, dict[str, str], bytes]:
    """POST with urllib, to see status, headers and body exactly as sent."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(f"{server.base_url}/chat/completions", data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    if key is not None:
        req.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, dict(err.headers), err.read()


def raw_body(content: str = "Hello world", model: str = "qwen-mt-flash", target: str = "Japanese",
             **top: Any) -> dict[str, Any]:
    body = {"model": model, "messages": [{"role": "user", "content": content}],
            "translation_options": {"source_lang": "auto", "target_lang": target}}
    body.update(top)
    return body


# Test modules cannot import conftest under --import-mode=importlib: hand the helpers
# over as fixtures.
@pytest.fixture(name="chat_kwargs")
def _chat_kwargs():
    return chat_kwargs


@pytest.fixture(name="raw_body")
def _raw_body():
    return raw_body


@pytest.fixture
def post(emu):
    def _post(body: Any, **kw: Any) -> tuple[int, dict[str, str], bytes]:
        return raw_post(emu, body, **kw)

    return _post
