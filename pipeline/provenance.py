"""Which engine produced an answer, so emulated output never passes for a real translation.

Every stored answer (cache entry, TM addition, ledger row) carries an *engine* string:

* ``qwen:<region>`` (``qwen:beijing`` ...) or ``qwen:<base url>`` for any other endpoint:
  the Qwen-MT service, when the answer carries no emulator mark;
* ``emulator:<mode>`` (``emulator:pseudo``, ``emulator:identity``): the local emulator,
  which marks every response it sends with the :data:`ENGINE_HEADER` header;
* ``""``: unknown (rows written before qmt recorded engines); never reused, never
  exported by default, never shown as spending.

The engine of an answer is read from the answer itself (the header), not from the job's
configuration: an emulator started by hand and given as ``--base-url`` still marks its
output. A run reuses only answers of the engine it expects (``MemoryLookup.engine``, ``Journal.engine``): the one that
last answered at its endpoint (remembered in the state store), else the one its backend
names (``--emulator``: the emulator), else the Qwen service of that endpoint.
"""
from __future__ import annotations

from typing import Any, Mapping

ENGINE_HEADER = "x-qmt-engine"
EMULATOR_PREFIX = "emulator:"
QWEN_PREFIX = "qwen:"
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


def is_emulated(engine: str | None) -> bool:
    return bool(engine) and engine.startswith(EMULATOR_PREFIX)


def is_real(engine: str | None) -> bool:
    """An answer of the Qwen service (or the user's own TM file, or a reviewer): a real translation."""
    return bool(engine) and (engine.startswith(QWEN_PREFIX) or engine in (TM_FILE_ENGINE, HUMAN_ENGINE))


__all__ = ["ENGINE_HEADER", "HUMAN_ENGINE", "TM_FILE_ENGINE", "answer_engine", "emulator_engine", "is_emulated", "is_real",
           "service_engine"]
