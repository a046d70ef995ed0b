"""A local emulator of the Qwen-MT service, for tests and offline demos.

It speaks the OpenAI-compatible protocol of the real service and fails the way the
service fails (errors, throttling, dropped connections, broken streams), but it does
not translate: output is a visible pseudo-translation or the input unchanged.
"""
from pipeline.emulator.billing import BillingRecord, Ledger
from pipeline.emulator.faults import Action, FaultPlan, parse_action
from pipeline.emulator.pseudo import pseudo_translate, reverse_pseudo
from pipeline.emulator.server import Emulator, EmulatorConfig, EmulatorServer
from pipeline.translate.packing import PACK_MARKER_RE

__all__ = [
    "Action", "BillingRecord", "Emulator", "EmulatorConfig", "EmulatorServer", "FaultPlan", "Ledger",
    "PACK_MARKER_RE", "parse_action", "pseudo_translate", "reverse_pseudo",
]
