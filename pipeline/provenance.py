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

from typing import Any, Mapping, Protocol

from pipeline.service_facts import PROTOCOLS

ENGINE_HEADER = "x-qmt-engine"
EMULATOR_PREFIX = "emulator:"
QWEN_PREFIX = "qwen:"
LLM_PREFIX = "llm:"
TM_FILE_ENGINE = "tm-file"      # an exact match from the job's TM file (the user's memory)
HUMAN_ENGINE = "human"          # a reviewed translation imported from XLIFF (qmt xliff import)

# The Qwen-MT regions' endpoints, over both protocols: the same service, the same engine.
_REGION_URLS = {url: region for table in PROTOCOLS.values() for region, url in table.items()}


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


class JobEndpoint(Protocol):
    """What provenance reads of a job (a :class:`~pipeline.config.Job`; provenance sits below it)."""

    @property
    def engine(self) -> str: ...        # qwen-mt | llm

    @property
    def base_url(self) -> str: ...

    @property
    def model(self) -> str: ...


def job_engine(job: JobEndpoint) -> str:
    """The engine a job expects when nothing has answered it yet."""
    if job.engine == "llm":
        return llm_engine(job.base_url, job.model)
    return service_engine(job.base_url)


def endpoint_of(job: JobEndpoint) -> str:
    """The key under which the state store remembers who last answered the job: the base
    URL for Qwen-MT (as stored before there were engines), the llm engine id otherwise."""
    return llm_engine(job.base_url, job.model) if job.engine == "llm" else job.base_url


def is_emulated(engine: str | None) -> bool:
    return engine is not None and engine.startswith(EMULATOR_PREFIX)


def is_real(engine: str | None) -> bool:
    """An answer of the Qwen service or a model server (or the user's own TM file, or a
    reviewer): a real translation."""
    return engine is not None and (engine.startswith((QWEN_PREFIX, LLM_PREFIX))
                                   or engine in (TM_FILE_ENGINE, HUMAN_ENGINE))


__all__ = ["ENGINE_HEADER", "HUMAN_ENGINE", "JobEndpoint", "LLM_PREFIX", "TM_FILE_ENGINE", "answer_engine", "emulator_engine",
           "endpoint_of", "is_emulated", "is_real", "job_engine", "llm_answer_engine", "llm_engine", "service_engine"]
