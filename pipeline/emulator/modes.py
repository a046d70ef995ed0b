"""The emulator's modes and switches, as its command line offers them.

Apart from the server (:mod:`pipeline.emulator.server`, which loads aiohttp), so that
``qmt --help`` and ``qmt emulator --help`` list the choices without loading a web stack;
the server and the generic chat mode check their settings against the same tuples.
"""
from __future__ import annotations

MODES = ("pseudo", "identity")
# How completion tokens are counted: "actual" = tokens of the text sent back; "source" =
# tokens of the pseudo-translation with its letters swapped back, i.e. about what a real
# translation of that length would cost (pseudo text needs 2.5 to 5 times the tokens of
# plain English, which would distort TPM benchmarks and cost comparisons).
OUTPUT_TOKEN_MODES = ("actual", "source")
# How a chatty instruct model wraps its answer (the generic chat mode, pipeline.emulator.chat).
CHATTER_KINDS = ("preamble", "pleasantry", "fence", "quotes", "all")

__all__ = ["CHATTER_KINDS", "MODES", "OUTPUT_TOKEN_MODES"]
