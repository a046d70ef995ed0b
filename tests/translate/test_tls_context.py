"""The backends' HTTP clients share one TLS context per process (translate.backend):
making a backend loads no CA certificates once the process has it, and the context
verifies the service's certificate and host name."""
from __future__ import annotations

import asyncio
import ssl

from support import EMULATOR_KEY

from pipeline.translate.backend import tls_context
from pipeline.translate.dashscope_backend import DashScopeBackend
from pipeline.translate.livetranslate_backend import LiveTranslateBackend
from pipeline.translate.llm_backend import LlmBackend
from pipeline.translate.qwen_backend import QwenBackend

URL = "http://127.0.0.1:9/v1"   # never connected to: the backends are only made and closed


def test_making_backends_loads_no_certificates_once_the_process_has_its_context(monkeypatch):
    tls_context()
    loads = []
    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", lambda self, *a, **k: loads.append(a))
    backends = [QwenBackend(api_key=EMULATOR_KEY, base_url=URL), DashScopeBackend(api_key=EMULATOR_KEY, base_url=URL),
                LlmBackend(base_url=URL, model="m"), LiveTranslateBackend(api_key=EMULATOR_KEY, base_url=URL)]
    assert loads == []

    async def close_all():
        for backend in backends:
            await backend.aclose()

    asyncio.run(close_all())


def test_the_shared_context_verifies_certificates_and_host_names():
    ctx = tls_context()
    assert ctx is tls_context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
