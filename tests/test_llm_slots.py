"""engine llm against a slow slot server (the emulator's llama.cpp-like mode): the run
learns the server's slots and speed and fits requests in flight, packs and timeouts to them.

The emulator serves 12 output tokens a second in emulated seconds on a scaled clock, and
says so in llama.cpp's ``timings``: what the run learns is the rule's, whatever the
machine's speed, and no assertion is about time.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import load_job
from pipeline.emulator import EmulatorServer
from pipeline.emulator.slots import SlotSettings
from pipeline.job.progress import Progress
from pipeline.job.run import EXIT_OK, RunResult, run_job
from pipeline.ledger.usage import read_ledger
from pipeline.translate.llm_backend import LlmBackend
from pipeline.translate.model_server import CALIBRATION_TOKENS, FILL

RATE, PROMPT_RATE, SCALE = 12.0, 120.0, 0.002
PARAGRAPH = ("Paragraph {n}: the sync client checks every path in the build folder before it starts, "
             "and writes a short summary to the log when it is done.")


def _job(tmp_path: Path, base_url: str, run: str = "") -> Path:
    src = tmp_path / "in"
    src.mkdir(exist_ok=True)
    for f in range(3):
        (src / f"p{f}.md").write_text("\n\n".join(PARAGRAPH.format(n=f * 20 + i) for i in range(20)) + "\n",
                                      encoding="utf-8")
    job = tmp_path / "job.toml"
    job.write_text(f'input = "in"\noutput = "out/{{lang}}"\nsource_lang = "en"\ntarget_langs = ["fr"]\n'
                   f'engine = "llm"\nmodel = "local"\nbase_url = "{base_url}"\n'
                   f'[run]\nrpm = 0\n{run}', encoding="utf-8")   # rpm 0: a local server has no account limits
    return job


def _run(tmp_path: Path, emu: EmulatorServer, run: str = "") -> tuple[RunResult, LlmBackend, list[str]]:
    job = load_job(_job(tmp_path, emu.chat_base_url, run))
    backend = LlmBackend(base_url=job.base_url, model=job.model, timeout=job.run.timeout)
    lines: list[str] = []
    progress = Progress(interactive=False)
    progress.message = lines.append   # type: ignore[method-assign]
    result = run_job(job, backend=backend, progress=progress)
    assert result.exit_code == EXIT_OK, [(f.relpath, f.status, f.reason) for f in result.files]
    statuses = set(read_ledger(job.state_dir / "ledger")["status"])
    assert statuses == {"ok"}, statuses          # no request timed out, none failed
    return result, backend, lines


def _server(slots: int, props: bool = True) -> EmulatorServer:
    return EmulatorServer(mode="pseudo", chat=True, time_scale=SCALE,
                          slots=SlotSettings(slots, RATE, PROMPT_RATE, props=props))


def test_one_slow_slot_one_request_in_flight_and_packs_that_fit_the_timeout(tmp_path):
    with _server(1) as emu:
        result, backend, lines = _run(tmp_path, emu)
        slots = emu.emulator.slots
        assert slots is not None and slots.peak == 1 and slots.peak_queued == 0     # nothing waited in a queue
        records = emu.billing.records
    pace = backend.pace
    assert pace is not None and pace.slots == 1 and pace.gate.limit == 1
    assert (pace.output_rate, pace.prompt_rate) == pytest.approx((RATE, PROMPT_RATE))   # the server's own timings
    # Every request's time in the slot fits the timeout with room: packs are cut to FILL of it
    # (a little more where the output ratio learned so far was below the request's own).
    seconds = [r.prompt_tokens / PROMPT_RATE + r.completion_tokens / RATE for r in records]
    assert max(seconds) <= 120.0 and sum(s > FILL * 120.0 * 1.25 for s in seconds) == 0
    assert result.packed_requests > 1
    # Every request of the run bounds its output (a runaway answer ends within the timeout),
    # and no answer came near the bound.
    sent = [b["max_tokens"] for b in emu.billing.bodies()]
    assert sent[:2] == [1, CALIBRATION_TOKENS] and all(m > 0 for m in sent[2:])
    assert all(r.completion_tokens < m for r, m in zip(records[2:], sent[2:]))
    first = lines[0]
    assert first.startswith("model server: 1 slot, ~12 tokens/s; 1 request in flight, packs of up to ")
    assert first.endswith(", timeout 120 s (longer for a request expected to need more)")
    assert result.notices[-1] == pace.summary()


def test_four_slots_four_requests_in_flight(tmp_path):
    with _server(4) as emu:
        result, backend, lines = _run(tmp_path, emu, "pack_max_segments = 5\n")
        slots = emu.emulator.slots
        assert slots is not None and slots.peak_queued == 0 and slots.peak <= 4
    assert backend.pace is not None and backend.pace.gate.limit == 4
    assert lines[0].startswith("model server: 4 slots, ~12 tokens/s; 4 requests in flight")


def test_a_concurrency_the_user_set_is_kept_and_queues_in_the_server(tmp_path):
    """The old default (8 in flight) against one slot: requests wait in the server's queue,
    which is what the run avoids when the user leaves concurrency alone."""
    with _server(1) as emu:
        _, backend, lines = _run(tmp_path, emu, "concurrency = 8\npack_max_segments = 5\n")
        slots = emu.emulator.slots
        assert slots is not None and slots.peak_queued > 0
    assert backend.pace is not None and backend.pace.gate.limit == 8
    assert "8 requests in flight (--concurrency/[run] concurrency)" in lines[0]


def test_a_server_that_does_not_say_its_slots_starts_with_one_request_and_no_calibration(tmp_path):
    with _server(1, props=False) as emu:
        result, backend, lines = _run(tmp_path, emu, "pack_max_segments = 5\n")
        # (how far probing goes depends on wall-clock rates: tests/translate/test_model_server.py has the rule)
        assert emu.billing.received == result.requests      # every request the server saw is in the ledger
    assert lines[0].startswith("model server: slots not announced (probing requests in flight), speed not "
                               "measured yet; 1 request in flight, packs as configured")
    assert backend.pace is not None and backend.pace.slots is None


@pytest.mark.parametrize("props", [True, False], ids=["props", "no-props"])
def test_the_emulators_properties_endpoint(props):
    import httpx2

    with _server(3, props=props) as emu:
        response = httpx2.get(f"{emu.url}/props")
    assert response.status_code == (200 if props else 404)
    if props:
        assert response.json()["total_slots"] == 3


def test_answers_with_their_markers_in_cjk_brackets_are_taken_whole(tmp_path):
    """Qwen2.5-Coder on llama.cpp wrote the markers of about half its en→zh answers as
    【§N】 (issue 28): each such pack was split in halves down to single segments, whose
    framed answers were refused as chatter. Every answer so written is taken whole here:
    no pack split, no segment sent twice, nothing of the brackets in the outputs."""
    with _server(1) as emu:
        emu.script(*["marker:kind=cjk"] * 200)
        result, _, _ = _run(tmp_path, emu)
        # every answer, the calibration's too (not its warm-up of one token, which has no markers)
        assert emu.billing.errors["marker"] == result.requests + 1 == emu.billing.received - 1
    assert result.packed_requests > 1 and result.batch_splits == 0 and result.misaligned == 0
    outputs = [p.read_text(encoding="utf-8") for p in sorted((tmp_path / "out" / "fr").glob("*.md"))]
    assert len(outputs) == 3 and not any("【" in text or "⟦§" in text for text in outputs)
    assert all(text.count("\n\n") == 19 for text in outputs)       # 20 paragraphs each, none merged


def test_a_system_prompt_the_server_keeps_in_its_cache_is_not_charged_to_packs(tmp_path):
    """A slow llama.cpp (issue 28: 2-4 output tokens a second, prompts little faster, on
    two loaded cores). Its slot keeps the last prompt, so the run's system prompt (~150
    tokens, 20 s here) is processed once, not per request (``timings.cache_n``): the
    packs are not cut for it, and the run takes fewer requests than against a server
    that processes every prompt whole. No request times out in either (``_run``)."""
    requests = {}
    for cache in (True, False):
        work = tmp_path / ("cache" if cache else "no-cache")
        work.mkdir()
        with EmulatorServer(mode="pseudo", chat=True, time_scale=SCALE,
                            slots=SlotSettings(1, 8.0, 8.0, cache_prompt=cache)) as emu:
            result, backend, _ = _run(work, emu)
        pace = backend.pace
        assert pace is not None and (pace.cached > 0 if cache else pace.cached == 0)
        requests[cache] = result.requests
    assert requests[False] == 60 and requests[True] == 30      # one paragraph a request when charged, else two
