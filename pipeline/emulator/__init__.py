"""A local emulator of the Qwen-MT service, for tests and offline demos.

It speaks the OpenAI-compatible protocol of the real service and fails the way the
service fails (errors, throttling, dropped connections, broken streams), but it does
not translate: output is a visible pseudo-translation or the input unchanged.

The server's classes (``Emulator``, ``EmulatorConfig``, ``EmulatorServer``) are named
here but loaded, with aiohttp, when first used (:func:`__getattr__`): ``qmt --help``
builds the ``qmt emulator`` flags from this package and must not start a web stack.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipeline.emulator.billing import BillingRecord, Ledger
from pipeline.emulator.faults import Action, FaultPlan, parse_action
from pipeline.emulator.pseudo import pseudo_translate, reverse_pseudo
from pipeline.translate.packing import PACK_MARKER_RE

if TYPE_CHECKING:
    from pipeline.emulator.server import Emulator, EmulatorConfig, EmulatorServer

_SERVER_NAMES = ("Emulator", "EmulatorConfig", "EmulatorServer")


def __getattr__(name: str) -> Any:
    """``from pipeline.emulator import EmulatorServer``: the server module, loaded on first use."""
    if name in _SERVER_NAMES:
        from pipeline.emulator import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Action", "BillingRecord", "Emulator", "EmulatorConfig", "EmulatorServer", "FaultPlan", "Ledger",
    "PACK_MARKER_RE", "parse_action", "pseudo_translate", "reverse_pseudo",
]
