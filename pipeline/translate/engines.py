"""Choosing the engine: the one place where a job's ``protocol`` and ``base_url`` become backends.

* :func:`make_backend` — the text backend for a job: Qwen-MT over the OpenAI-compatible
  protocol (:class:`~pipeline.translate.qwen_backend.QwenBackend`, the ``openai`` SDK) or
  over DashScope's native protocol (:class:`~pipeline.translate.dashscope_backend.DashScopeBackend`,
  httpx2), at the job's ``base_url``; or (``engine = "llm"``) any OpenAI-compatible model
  server (:class:`~pipeline.translate.llm_backend.LlmBackend`, the ``openai`` SDK), whose
  key is optional (``QMT_LLM_API_KEY``; never ``DASHSCOPE_API_KEY``).
* :func:`make_media_backend` — LiveTranslate for the job's audio and video files. It
  speaks only the compatible protocol, so a native job's media go to the compatible
  endpoint of the same service (``.../api/v1`` -> ``.../compatible-mode/v1``).

The key comes from ``DASHSCOPE_API_KEY`` unless given (``qmt translate --emulator`` gives
the emulator's). Nothing here reads another backend's private state.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from pipeline.service_facts import API_KEY_ENV, LLM, LLM_API_KEY_ENV
from pipeline.errors import ConfigError
from pipeline.translate.backend import Backend

if TYPE_CHECKING:
    from pipeline.config import Job
    from pipeline.translate.livetranslate_backend import LiveTranslateBackend

NATIVE_ROOT, COMPATIBLE_ROOT = "/api/v1", "/compatible-mode/v1"


def make_backend(job: Job, *, api_key: str | None = None, engine: str = "") -> Backend:
    """The text backend of ``job``: its protocol at its base URL, with the key from the
    environment (or ``api_key``); ``engine``: the engine expected there (see provenance)."""
    if job.engine == LLM:
        from pipeline.translate.llm_backend import LlmBackend

        key = api_key or os.environ.get(LLM_API_KEY_ENV, "").strip() or None   # none: no Authorization header
        return LlmBackend(base_url=job.base_url, model=job.model, api_key=key, timeout=job.run.timeout,
                          stream=job.run.stream, engine=engine)
    return text_backend(job.protocol, api_key=api_key or environment_key(), base_url=job.base_url,
                        timeout=job.run.timeout, stream=job.run.stream, engine=engine)


def text_backend(protocol: str, *, api_key: str, base_url: str, timeout: float = 120.0, stream: bool = False,
                 engine: str = "", http_client: Any = None) -> Backend:
    """A Qwen-MT backend speaking ``protocol`` ("openai" or "dashscope") at ``base_url``."""
    if protocol == "dashscope":
        from pipeline.translate.dashscope_backend import DashScopeBackend

        return DashScopeBackend(api_key=api_key, base_url=base_url, timeout=timeout, stream=stream, engine=engine,
                                http_client=http_client)
    from pipeline.translate.qwen_backend import QwenBackend

    return QwenBackend(api_key=api_key, base_url=base_url, timeout=timeout, stream=stream, engine=engine,
                       http_client=http_client)


def make_media_backend(job: Job, *, api_key: str | None = None, engine: str = "") -> LiveTranslateBackend:
    """LiveTranslate at the compatible endpoint of the job's service, with the key from the
    environment (or ``api_key``)."""
    from pipeline.translate.livetranslate_backend import LiveTranslateBackend

    return LiveTranslateBackend(api_key=api_key or environment_key(), base_url=media_base_url(job),
                                timeout=job.run.timeout, engine=engine)


def media_base_url(job: Job) -> str:
    """The compatible endpoint of the job's service (LiveTranslate has no native protocol)."""
    url = job.base_url.rstrip("/")
    if job.protocol == "dashscope" and url.endswith(NATIVE_ROOT):
        return url[: -len(NATIVE_ROOT)] + COMPATIBLE_ROOT
    return url


def environment_key() -> str:
    key = os.environ.get(API_KEY_ENV, "").strip()
    if not key:
        raise ConfigError("is not set: export your Model Studio API key", key=API_KEY_ENV)
    return key


__all__ = ["environment_key", "make_backend", "make_media_backend", "media_base_url", "text_backend"]
