"""Which engine produced an answer, so emulated output never passes for a real translation.

Every stored answer (cache entry, TM addition, ledger row) carries an *engine* string:

* ``qwen:<region>`` (``qwen:beijing`` ...) or ``qwen:<base url>`` for any other endpoint:
  the Qwen-MT service, when the answer carries no emulator mark;
* ``llm:<base url>#<model>``: a generic OpenAI-compatible model server (``engine =
  "llm"``), named by where it is and which model it serves;
* ``emulator:<mode>`` (``emulator:pseudo``, ``emulator:identity``): the local emulator,
  which marks every response it sends with the :data:`ENGINE_HEADER` header
  (``emulator:chat-<mode>`` from its generic chat mode, standing in for a model server);
* ``""``: unknown (rows written before qmt recorded engines); never reused, never
  exported by default, never shown as spending.

The engine of an answer is read from the answer itself (the header), not from the job's
configuration: an emulator started by hand and given as ``--base-url`` still marks its
output. A run reuses only answers of the engine it expects (``MemoryLookup.engine``, ``Journal.engine``): the one that
last answered at its endpoint (remembered in the state store), else the one its backend
names (``--emulator``: the emulator), else the Qwen service of that endpoint. Which
engine last answered is remembered per :func:`endpoint_of` the job, not per URL alone:
a Qwen-MT job and an llm job pointed at one URL (DashScope's compatible mode serves
both kinds of model) never take each other's engine, so neither reuses the other's
translations and each keeps reusing its own.
"""
from __future__ import annotations

from typing import Any, Mapping

ENGINE_HEADER = "x-qmt-engine"
EMULATOR_PREFIX = "emulator:"
QWEN_PREFIX = "qwen:"
LLM_PREFIX = "llm:"
TM_FILE_ENGINE = "tm-file"      # an exact match from the job's TM file (the user's memory)
HUMAN_ENGINE = "human"          # a reviewed translation imported from XLIFF (qmt xliff import)

# The Qwen-MT regions' endpoints (the same table as pipeline.config.REGIONS, which
# imports nothing from here; kept in one place by test_provenance).
_REGION_URLS = {
    "https://dashscope.aliyuncs.com/compatible-mode/v1": "beijing",
    "https://dashscope-intl.aliyuncs.com/compatible-mode/v1": "singapore",
    "https://dashscope-us.aliyuncs.com/compatible-mode/v1": "us",
    # The same service over its native protocol (pipeline.config.NATIVE_REGIONS): the same engine.
    "https://dashscope.aliyuncs.com/api/v1": "beijing",
    "https://dashscope-intl.aliyuncs.com/api/v1": "singapore",
    "https://dashscope-us.aliyuncs.com/api/v1": "us",
}


def emulator_engine(mode: str) -> str:
    """The engine string the emulator puts in :data:`ENGINE_HEADER`."""
    return f"{EMULATOR_PREFIX}{mode}"


def service_engine(base_url: str) -> str:
    """The Qwen-MT service at ``base_url``: its region's name, or the URL itself."""
    url = (base_url or "").rstrip("/")
    return QWEN_PREFIX + _REGION_URLS.get(url, url)


def answer_engine(headers: Mapping[str, Any] | None, base_url: str) -> str:
    """The engine that produced a response: the emulator's mark, else the service."""
    mark = headers.get(ENGINE_HEADER) if headers is not None else None
    return str(mark) if mark else service_engine(base_url)


def llm_engine(base_url: str, model: str) -> str:
    """A generic model server (engine llm): ``llm:<base url>#<model>``."""
    return f"{LLM_PREFIX}{(base_url or '').rstrip('/')}#{model}"


def llm_answer_engine(headers: Mapping[str, Any] | None, base_url: str, model: str) -> str:
    """The engine of an llm answer: the emulator's mark, else the model server."""
    mark = headers.get(ENGINE_HEADER) if headers is not None else None
    return str(mark) if mark else llm_engine(base_url, model)


def job_engine(job: Any) -> str:
    """The engine a job expects when nothing has answered it yet."""
    if getattr(job, "engine", "") == "llm":
        return llm_engine(job.base_url, job.model)
    return service_engine(job.base_url)


def endpoint_of(job: Any) -> str:
    """The key under which the state store remembers who last answered the job: the base
    URL for Qwen-MT (as stored before there were engines), the llm engine id otherwise."""
    return llm_engine(job.base_url, job.model) if getattr(job, "engine", "") == "llm" else job.base_url


def is_emulated(engine: str | None) -> bool:
    return engine is not None and engine.startswith(EMULATOR_PREFIX)


def is_real(engine: str | None) -> bool:
    """An answer of the Qwen service or a model server (or the user's own TM file, or a
    reviewer): a real translation."""
    return engine is not None and (engine.startswith((QWEN_PREFIX, LLM_PREFIX))
                                   or engine in (TM_FILE_ENGINE, HUMAN_ENGINE))


__all__ = ["ENGINE_HEADER", "HUMAN_ENGINE", "LLM_PREFIX", "TM_FILE_ENGINE", "answer_engine", "emulator_engine",
           "endpoint_of", "is_emulated", "is_real", "job_engine", "llm_answer_engine", "llm_engine", "service_engine"]
