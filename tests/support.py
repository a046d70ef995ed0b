"""Shared test constants (importable because pytest puts tests/ on the path).

The shared corpus and seeds live in ``../shared`` beside the clone: CI has them, a fresh
clone does not. Tests that need them are marked ``needs_shared`` (or use the ``corpus``
fixture) and are skipped with :data:`SHARED_MISSING` when the folder is absent, so
``make test`` on a clone is green. CI sets ``QMT_REQUIRE_SHARED=1`` (``.ci/run``): there
a missing ``../shared`` fails the run instead of skipping the corpus tests silently.
"""
from __future__ import annotations

import os
from pathlib import Path

# The key the shared emulator fixture requires; deliberately key-shaped, so that any
# leak would also be caught by the redaction tests.
EMULATOR_KEY = "sk-testsuite0123456789abcdef"

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
SEEDS = SHARED / "seeds"
SHARED_MISSING = f"needs ../shared (corpus and seeds), not found at {SHARED}; CI keeps it beside the clone"
REQUIRE_SHARED_ENV = "QMT_REQUIRE_SHARED"


def shared_present() -> bool:
    return CORPUS.is_dir()


def shared_required() -> bool:
    """CI asks for the shared corpus: its absence is then an error, not a skip."""
    return os.environ.get(REQUIRE_SHARED_ENV, "") not in ("", "0")


def corpus_files(sub: str, pattern: str) -> list[Path]:
    """The corpus files ``sub/pattern`` (sorted), or [] when ../shared is absent."""
    folder = CORPUS / sub
    return sorted(folder.glob(pattern)) if folder.is_dir() else []


def requests_in(ledger) -> int:
    """The requests a ledger frame records: a request packed across files has one row per
    file, whose shares add up to 1 (exact-TM-hit rows have share 0)."""
    return round(float(ledger["share"].sum()))


def is_output(path: Path) -> bool:
    """A translated output: not in the job's state folder (``.qmt``) nor its lock files
    (``<job>.qmtlock``), which live beside the outputs but are not outputs."""
    return path.is_file() and not any(part == ".qmt" or part.endswith(".qmtlock") for part in path.parts)
