"""``qmt estimate`` against a real run, and the budget that stops a run in time."""
from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.config import load_job, with_overrides
from pipeline.emulator import EmulatorServer
from pipeline.job.discover import discover
from pipeline.emulator import pseudo_translate
from pipeline.job.estimate import estimate_job, format_estimate
from pipeline.memory.lookup import MemoryLookup
from pipeline.job.plan import Planner
from pipeline.tokens import count_tokens
from pipeline.job.progress import Progress
from pipeline.job.run import EXIT_BUDGET, EXIT_OK, pool_settings, region_of, run_job
from pipeline.translate.qwen_backend import QwenBackend
from support import CORPUS as SHARED_CORPUS

REPO = Path(__file__).resolve().parents[2]
CORPUS = SHARED_CORPUS / "markdown"
pytestmark = pytest.mark.needs_shared
PAGES = ("vite__guide__why.md", "vite__guide__features.md", "vite__guide__build.md", "vite__guide__ssr.md")
KEY = "sk-estimate0123456789abcdef"


@pytest.fixture
def job(tmp_path):
    src = tmp_path / "in"
    shutil.copytree(REPO / "sample_docs", src)
    for name in PAGES:
        shutil.copy(CORPUS / name, src / name)
    shutil.copy(CORPUS / PAGES[0], src / "copy-of-why.md")  # shared segments across files
    (tmp_path / "job.toml").write_text(
        'input = "in"\noutput = "out/{lang}"\nsource_lang = "en"\ntarget_langs = ["zh", "ja"]\n'
        'include = ["**/*.md", "**/*.docx", "**/*.csv"]\n[run]\nrpm = 0\ntpm = 0\nconcurrency = 4\n'
        'pack_tokens = 600\n[csv]\nkey_column = "key"\n')
    return load_job(tmp_path / "job.toml")


def run(job, server):
    backend = QwenBackend(api_key=KEY, base_url=server.base_url, timeout=10)
    return run_job(with_overrides(job, base_url=server.base_url), backend=backend,
                   progress=Progress(interactive=False))


def test_estimate_matches_a_real_run(job):
    est = estimate_job(job, pool_settings(job), region_of(job))
    assert not list(job.state_dir.parent.glob("**/state.sqlite")), "the estimate must write nothing"
    with EmulatorServer(mode="pseudo", output_tokens="source") as server:
        result = run(job, server)
        billed = server.billing
        assert result.exit_code == EXIT_OK
        assert est.requests == billed.received  # exactly
        real = billed.prompt_tokens + billed.completion_tokens
        assert abs(est.total_tokens - real) / real < 0.10, (est.total_tokens, real)
        assert abs(est.prompt_tokens - billed.prompt_tokens) / billed.prompt_tokens < 0.02
        assert est.cost_usd is not None and est.cost_usd > 0

    # After the run, at the same endpoint: all from memory. At the real service's endpoint
    # nothing is: the answers were the emulator's.
    same = with_overrides(job, base_url=server.base_url)
    again = estimate_job(same, pool_settings(same), region_of(same))
    assert again.requests == 0 and again.committed_hits + again.cache_hits + again.tm_hits > 0
    real = estimate_job(job, pool_settings(job), region_of(job))
    assert real.requests == est.requests and real.committed_hits + real.cache_hits + real.tm_hits == 0


def test_budget_stops_the_run_before_the_crossing_request(job):
    est = estimate_job(job, pool_settings(job), region_of(job))
    budget = est.total_tokens // 2
    limited = with_overrides(job, run=replace(job.run, budget_tokens=budget, concurrency=2))
    with EmulatorServer(mode="pseudo", output_tokens="source") as server:
        result = run(limited, server)
        billed = server.billing.prompt_tokens + server.billing.completion_tokens
        assert result.exit_code == EXIT_BUDGET
        assert "token budget" in result.budget_stop
        assert 0 < billed <= budget
        assert server.billing.received < est.requests
        assert any(f.status == "stopped" for f in result.files)

        # Run again with room to spare: what was done is not paid for twice.
        done_before = server.billing.received
        result = run(job, server)
        assert result.exit_code == EXIT_OK
        assert server.billing.received - done_before < est.requests


def test_cli_estimate_prints_a_summary(job, capsys):
    assert main(["estimate", str(Path(job.source))]) == 0
    out = capsys.readouterr().out
    assert "nothing was sent" in out and "requests" in out and "cost" in out


def test_the_completion_figure_says_how_much_longer_the_emulators_text_is():
    """The estimate's note ("2.5 to 5 times as long", in tokens) holds for the sample job's text
    in every script the emulator writes (its pseudo text is in the target's script)."""
    sample = load_job(REPO / "jobs" / "sample.toml")
    est = estimate_job(sample, pool_settings(sample), region_of(sample))
    lookup = MemoryLookup.open(sample)
    try:
        planner = Planner(sample, lookup, pool_settings(sample))
        found, _ = discover(sample.input_dir, sample.include, sample.exclude)
        texts = [s.text for f in found if f.path.suffix in (".md", ".docx", ".csv")
                 for s in planner.load(f.path, f.relpath).segments]
    finally:
        lookup.close()
    for lang in ("zh", "ja", "ko", "ar", "ru", "hi", "he", "el", "th", "de"):
        inflation = sum(count_tokens(pseudo_translate(t, lang)) for t in texts) / sum(map(count_tokens, texts))
        assert 2.5 <= inflation <= 5, (lang, inflation)
    assert "pseudo text is 2.5 to 5 times as long" in format_estimate(est)
