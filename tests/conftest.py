"""Shared fixtures: paths to the shared corpus and a factory for small job files.

Tests that need ``../shared`` are marked ``needs_shared`` (or take the ``corpus``
fixture): without it they are skipped with one reason (:data:`support.SHARED_MISSING`),
unless ``QMT_REQUIRE_SHARED`` is set (CI), where they fail.
"""
from __future__ import annotations

import gc
from collections import Counter
from pathlib import Path

import pytest

from pipeline.cli import COLLECTOR_THRESHOLDS
from pipeline.emulator import EmulatorServer
from pipeline.translate.engines import text_backend
from support import CORPUS, EMULATOR_KEY, SHARED_MISSING, shared_present, shared_required


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_shared: needs ../shared (corpus, seeds) beside the clone")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On xdist's workers, the whole-corpus acceptance tests (marked slow) first; without
    ../shared, every test marked needs_shared is skipped with the same reason (prepended,
    so it also replaces pytest's "empty parameter set" for corpus lists)."""
    if hasattr(config, "workerinput"):  # a worker of make test (one process: the usual order)
        _slow_files_first(items)
    if shared_present():
        return
    if shared_required():
        raise pytest.UsageError(f"{SHARED_MISSING} (QMT_REQUIRE_SHARED is set)")
    mark = pytest.mark.skip(reason=SHARED_MISSING)
    for item in items:
        if item.get_closest_marker("needs_shared") is not None:
            item.add_marker(mark, append=False)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection imported (the package, the SDKs, every test module: some 265,000
    objects) lives as long as the process: frozen out of the garbage collector's sight, so
    that each full collection (the one after every module that used an emulator below, and
    Python's own) looks only at what the tests made since (0.11 s of CPU each without)."""
    gc.collect()
    gc.freeze()
    # The workers run what qmt runs, so they collect as a qmt process does
    # (pipeline.cli.main_entry says why): about 4% off the suite's CPU.
    gc.set_threshold(*COLLECTOR_THRESHOLDS)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Thawed for what runs after the tests: gc.get_referrers does not see frozen objects,
    and Hypothesis, imported by its plugin's summary where no test imported it, asks it
    whether trio's random generator is referenced (and warns, an error here, if not)."""
    gc.unfreeze()


def _slow_files_first(items: list[pytest.Item]) -> None:
    """make test hands whole files to its workers in collection order
    (``--no-loadscope-reorder``): a file that takes half a minute, handed out last, would
    end the suite on one worker while the others idle. So the slow files first, then the
    files with most tests (xdist's own order); a file's tests stay together and in their
    order (the sort is stable)."""
    per_file = Counter(item.path for item in items)
    items.sort(key=lambda item: (item.get_closest_marker("slow") is None, -per_file[item.path]))


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not shared_present():
        pytest.skip(SHARED_MISSING)
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
    gc.collect()    # a client socket this module left open fails here, not in a later module's test


@pytest.fixture(scope="module")
def chat_emu():
    """The emulator in generic chat mode (``engine = "llm"``), shared by one test module."""
    with EmulatorServer(mode="pseudo", chat=True) as srv:
        yield srv
    gc.collect()


# The service's two protocols: the service tests run against both (one parametrized set).
PROTOCOLS = ("openai", "dashscope")


@pytest.fixture(params=PROTOCOLS)
def protocol(request) -> str:
    """The protocol a service test speaks: "openai" (compatible mode) or "dashscope" (native)."""
    return request.param


@pytest.fixture
def backend_for(server, protocol):
    """The production backend of ``protocol`` at the shared emulator:
    ``backend_for(key, timeout=..., stream=..., http_client=...)``. The default timeout is
    one no answer of the in-process emulator needs, however loaded the machine: a test that
    wants a timeout to expire passes a short one against a longer hang."""

    def make(key: str = EMULATOR_KEY, *, timeout: float = 30.0, stream: bool = False, http_client=None):
        return text_backend(protocol, api_key=key, base_url=server.url_for(protocol), timeout=timeout, stream=stream,
                            http_client=http_client)

    return make
