"""The service misbehaving: a seeded mix of transient faults, and fatal account errors.

Faults mix: real corpus pages are translated once against a healthy emulator and once
against one that answers a third of all requests with 429s, 5xx, hangs, dropped
connections, truncated bodies, malformed JSON and (streaming) streams cut short. The
faulted run must write the same bytes, retry each request at most ``max_attempts``
times, and its Parquet ledger must account for every request the service received and
every token of every answer it delivered.

Fatal errors: the account turns bad in the middle of a run. The run stops at once
(exit 3) with advice, sends at most what was already in flight, and writes no file
that was not finished.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace

import polars as pl
import pytest

from pipeline.config import load_job, with_overrides
from pipeline.emulator import pseudo_translate
from pipeline.memory.session import TERM_MISSING
from pipeline.job.progress import Progress
from pipeline.job.run import EXIT_FATAL, EXIT_OK, EXIT_UNAVAILABLE, run_job
from pipeline.translate.engines import text_backend
from pipeline.translate.qwen_backend import QwenBackend
from pipeline.ledger.usage import read_ledger
from hang_transport import hang_client
from bill_match import check_ledger_against_bill
from support import requests_in

PAGES = ("vite__guide__why.md", "vite__guide__assets.md", "vite__guide__env-and-mode.md")
MAX_ATTEMPTS = 8
# A third of all requests fail; seeded, so a run's faults are reproducible at concurrency 1
# and statistically the same at higher concurrency.
NON_STREAM_FAULTS = {"429": 0.04, "500": 0.05, "502": 0.04, "503": 0.05, "timeout": 0.03, "drop": 0.05,
                     "drop_mid": 0.04, "malformed": 0.05}
STREAM_FAULTS = {"429": 0.04, "503": 0.06, "timeout": 0.03, "drop": 0.05, "drop_mid": 0.05, "cut": 0.06,
                 "malformed": 0.06}
DELIVERED = ("stop", "length")      # emulator billing statuses of answers the client received whole
SERVICE_FIGURES: dict[str, dict] = {}


def _pages(corpus) -> dict[str, bytes]:
    return {name: (corpus / "markdown" / name).read_bytes() for name in PAGES}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory, server, corpus):
    """Outputs of a fault-free run of the same job: what every faulted run must write."""
    tmp = tmp_path_factory.mktemp("baseline")
    (tmp / "in").mkdir()
    for name, data in _pages(corpus).items():
        (tmp / "in" / name).write_bytes(data)
    (tmp / "job.toml").write_text('input = "in"\noutput = "out/{lang}"\nsource_lang = "en"\ntarget_langs = ["zh", "ja"]\n'
                                  '[run]\nrpm = 0\ntpm = 0\npack_tokens = 150\n', encoding="utf-8")
    server.reset()
    job = with_overrides(load_job(tmp / "job.toml"), base_url=server.base_url)
    result = run_job(job, backend=QwenBackend(api_key=server.emulator.config.api_key, base_url=server.base_url),
                     progress=Progress(interactive=False))
    assert result.exit_code == EXIT_OK
    return tmp / "out"


@pytest.fixture
def fast_faults(server):
    """The emulator's hangs time out at once (tests/hang_transport.py) and its random
    throttles ask for 10 ms, so a fault mix waits on nothing but its own requests."""
    server.emulator.config.announce_hangs = True
    server.emulator.config.fault_retry_after = 0.01
    yield
    server.emulator.config.announce_hangs = False
    server.emulator.config.fault_retry_after = None


def _fault_run(server, make_job, corpus, *, stream: bool, rates: dict[str, float], seed: int, protocol: str):
    # A timeout no answer needs, however loaded the machine: the hangs time out at once
    # through the transport, and no healthy request may time out (it could have reached
    # the emulator, or been billed by it, or neither: the client cannot tell).
    job = make_job(_pages(corpus), targets=("zh", "ja"), concurrency=4, timeout=30.0, max_attempts=MAX_ATTEMPTS,
                   stream=stream, pack_tokens=150, protocol=protocol)
    server.set_seed(seed)
    # One of each kind first (so every kind is seen whatever the draws), then the random mix.
    server.script(*[step for kind in rates for step in (f"{kind}:retry_after=0.01" if kind == "429" else kind, "ok")])
    server.set_error_rates(rates)
    backend = text_backend(protocol, api_key=server.emulator.config.api_key, base_url=server.url_for(protocol),
                           timeout=job.run.timeout, stream=stream, http_client=hang_client())
    try:
        result = run_job(job, backend=backend, progress=Progress(interactive=False))
    finally:
        server.set_error_rates({})
    return job, result


def _figures(server, result, ledger: pl.DataFrame, n_langs: int) -> dict:
    records = server.billing.records
    broken = [r for r in records if r.status not in DELIVERED]
    statuses = Counter(ledger["status"].to_list())
    # Segments left in the source language (warnings such as a repaired tag are not losses).
    lost = sum(1 for f in result.files for p in f.problems if p.status not in ("repaired", TERM_MISSING))
    units = sum(f.segments for f in result.files) * n_langs      # (segment, language) pairs written
    return {
        "requests": server.billing.received,
        "retries": int(ledger.filter(pl.col("attempt") > 1).height),
        "429s": statuses.get("RateLimited", 0),
        "faults_by_kind": dict(server.billing.errors),
        "max_attempt": int(ledger["attempt"].max()),
        "segments_completed": units - lost,
        "segments_lost": lost,
        "billed_undelivered_requests": len(broken),
        "billed_undelivered_tokens": sum(r.total_tokens for r in broken),
    }


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streaming"])
def test_fault_mix_completes_every_segment_and_the_ledger_matches_the_bill(
        stream, server, make_job, corpus, baseline, digest, record_property, protocol, fast_faults):
    job, result = _fault_run(server, make_job, corpus, stream=stream,
                             rates=STREAM_FAULTS if stream else NON_STREAM_FAULTS, seed=20261121, protocol=protocol)
    ledger = read_ledger(job.state_dir / "ledger")
    figures = _figures(server, result, ledger, len(job.target_langs))
    record_property("figures", json.dumps(figures))
    SERVICE_FIGURES[f"{protocol} {'streaming' if stream else 'plain'}"] = figures
    print(f"\nfaults mix ({protocol}, {'streaming' if stream else 'plain'}): {json.dumps(figures)}")

    # Every segment translated, nothing lost or misaligned: the same bytes as a healthy run.
    assert result.exit_code == EXIT_OK, [(f.relpath, f.status, f.reason, f.problems[:2]) for f in result.files]
    assert digest(job.output_dir("zh").parent) == digest(baseline)
    assert figures["segments_lost"] == 0
    # The faults really happened (every kind), and retries stayed bounded.
    seen = set(server.billing.errors)
    kinds = {"429": "Throttling.RateQuota", "500": "internal_error", "502": "internal_error", "503": "internal_error"}
    assert {kinds.get(k, k) for k in (STREAM_FAULTS if stream else NON_STREAM_FAULTS)} <= seen, seen
    assert sum(server.billing.errors.values()) >= 15 and figures["429s"] >= 2
    assert figures["max_attempt"] <= MAX_ATTEMPTS
    assert requests_in(ledger) == result.requests
    # (a request packed across files has one row per file: one request id, one row per file)
    ids = ledger.filter(pl.col("request_id").is_not_null()).select("request_id", "file")
    assert ids.unique().height == ids.height
    # The ledger and the bill agree request by request (tests/bill_match.py): every request
    # received has its row, every billed one under the id it was billed under with its
    # tokens (estimated, and marked so, where an answer was lost after its headers), and
    # the rows without an id are exactly the requests the emulator dropped or hung ...
    check_ledger_against_bill(ledger, server.billing)
    assert ledger["prompt_tokens"].sum() == sum(r.prompt_tokens for r in server.billing.records)
    # ... so the ledger equals the bill, estimates included, within 2%.
    billed = sum(r.total_tokens for r in server.billing.records)
    recorded = int(ledger["prompt_tokens"].sum() + ledger["completion_tokens"].sum())
    figures["ledger_vs_bill"] = round(recorded / billed - 1, 4)
    print(f"ledger vs bill ({protocol}, {'streaming' if stream else 'plain'}): {recorded} vs {billed} tokens")
    assert abs(recorded - billed) <= 0.02 * billed


def test_a_sustained_outage_stops_the_job_cleanly_and_a_rerun_resumes(server, make_job, run, tmp_path, protocol):
    job = make_job({"a.md": b"# Title\n\nOne paragraph.\n", "b.md": b"Another file.\n"}, max_attempts=3,
                   pack_tokens=0, concurrency=1, protocol=protocol)
    job = with_overrides(job, run=replace(job.run, outage_seconds=0.2))
    server.set_error_rates({"503": 1.0})
    result = run(job)
    ledger = read_ledger(job.state_dir / "ledger")
    assert result.exit_code == EXIT_UNAVAILABLE == 6
    assert "service unavailable" in result.unavailable and "run again to resume" in result.unavailable
    assert {f.status for f in result.files} == {"stopped"}          # nothing half-translated written
    assert not (tmp_path / "out").joinpath("zh").exists() or not any((tmp_path / "out" / "zh").iterdir())
    assert ledger.height == server.billing.received and ledger["attempt"].max() <= 3
    server.set_error_rates({})
    again = run(job)
    assert again.exit_code == EXIT_OK and {f.status for f in again.files} == {"written"}


# --- fatal errors ---------------------------------------------------------------------

FATAL = {
    # how the account turns bad -> words the stop message must contain (what to do)
    "401": ("401", "DASHSCOPE_API_KEY"),
    "access_denied": ("403", "Model Studio console"),
    "arrearage": ("Arrearage", "top it up"),
    "free_quota_exhausted": ("Free allocated quota", "pay-as-you-go"),
}
GOOD_ANSWERS = 4


class TurnsBadAfter:
    """An emulator translator that serves ``n`` requests, then breaks the account for good."""

    def __init__(self, server, n: int, how: str):
        self.server, self.n, self.how, self.calls = server, n, how, 0

    def __call__(self, content: str, target: str, terms: tuple) -> str:
        self.calls += 1
        if self.calls == self.n:
            if self.how == "401":
                self.server.emulator.config.api_key = "sk-rotated0123456789abcdef"   # the key was revoked
            else:
                self.server.set_account_state(self.how)
        return pseudo_translate(content, target, terms)


@pytest.mark.parametrize("how", sorted(FATAL))
def test_fatal_error_mid_run_stops_at_once_and_writes_nothing_unfinished(how, server, make_job, run, tmp_path,
                                                                        protocol):
    files = {f"doc{i}.md": f"# Heading {i}\n\nFirst paragraph {i}.\n\nSecond paragraph {i}.\n".encode()
             for i in range(8)}
    job = make_job(files, pack_tokens=0, concurrency=2, protocol=protocol)
    key = server.emulator.config.api_key
    server.set_mode(TurnsBadAfter(server, GOOD_ANSWERS, how))
    try:
        result = run(job)
    finally:
        server.set_mode("pseudo")
        server.emulator.config.api_key = key
        server.set_account_state("ok")

    assert result.exit_code == EXIT_FATAL == 3
    for words in FATAL[how]:
        assert words in (result.fatal or ""), result.fatal
    # No burning through the remaining 24 segments: the first failure, plus what was in flight.
    assert server.billing.received <= GOOD_ANSWERS + job.run.concurrency
    written = [f for f in result.files if f.status == "written"]
    assert all(f.status in ("written", "stopped") for f in result.files)
    assert all(f.reason.startswith(("not written", "not started")) for f in result.files if f.status == "stopped")
    # Only whole files are on disk: each written one fully translated, the others absent.
    out = tmp_path / "out" / "zh"
    on_disk = sorted(p.name for p in out.glob("*.md")) if out.exists() else []
    assert on_disk == sorted(f.relpath for f in written)
    for name in on_disk:
        text = (out / name).read_text(encoding="utf-8")
        assert "First paragraph" not in text and "Second paragraph" not in text
    report = json.loads(next((job.state_dir / "reports").glob("run-*.json")).read_text(encoding="utf-8"))
    assert report["exit_code"] == 3 and report["fatal"] == result.fatal

