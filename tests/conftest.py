"""Shared fixtures: paths to the shared corpus and a factory for small job files."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.emulator import EmulatorServer
from support import EMULATOR_KEY

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"shared corpus not found at {CORPUS} (CI keeps shared/ beside the clone)")
    return CORPUS


@pytest.fixture
def write_job(tmp_path: Path):
    """Write a job file (TOML text) with an existing input folder; return its path."""

    def make(body: str, name: str = "job.toml") -> Path:
        (tmp_path / "in").mkdir(exist_ok=True)
        path = tmp_path / name
        path.write_text(body, encoding="utf-8")
        return path

    return make


@pytest.fixture(scope="module")
def server():
    """A pseudo-mode emulator on a free local port, shared by one test module."""
    with EmulatorServer(mode="pseudo", api_key=EMULATOR_KEY) as srv:
        yield srv
