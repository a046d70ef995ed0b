"""Ctrl-C while a request to a slow model server is in flight (issue 28): ``qmt translate``
(a subprocess) exits, and the request it paid for is in the ledger as ``outcome_unknown``
(docs/reliability.md, "Ledger equals bill"): at the end of the run after one Ctrl-C, at
the next start after two.

The server is the emulator's slot server at 20 output tokens a second in real time: a
pack takes it about a minute, so the request is still in its slot when the signal comes.
Only the run's calibration request (the one sentence it sends first to measure the
server) is answered in a word and its prompt taken at once, so that the wait before the
pack is short (it took 6.5 s at the pack's speed). Nothing waits on a clock: the test
waits for the emulator to hold the request, and the only bound on time is a generous one
on the exit.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.emulator import EmulatorServer
from pipeline.emulator.pseudo import pseudo_translate
from pipeline.emulator.slots import SlotSettings
from pipeline.ledger.usage import read_ledger
from pipeline.translate.model_server import CALIBRATION_TEXT

EXIT_BOUND = 60.0      # seconds; a clean exit takes a few
QMT = [sys.executable, "-m", "pipeline"]


def _job(tmp_path: Path, base_url: str) -> Path:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.md").write_text("\n\n".join(f"Paragraph {i}: the sync client checks every path in the build "
                                          "folder before it starts." for i in range(30)) + "\n", encoding="utf-8")
    job = tmp_path / "job.toml"
    job.write_text(f'input = "in"\noutput = "out/{{lang}}"\nsource_lang = "en"\ntarget_langs = ["fr"]\n'
                   f'engine = "llm"\nmodel = "local"\nbase_url = "{base_url}"\n[run]\nrpm = 0\n', encoding="utf-8")
    return job


def _translate(text: str, lang: str, terms: tuple) -> str:
    """The emulator's pseudo translation, but a one-word answer to the calibration sentence:
    the pack's answer stays a minute long at 20 tokens a second, the calibration's (101
    tokens in pseudo text) would take 5 s of it."""
    return "D'accord." if text.strip() == CALIBRATION_TEXT else pseudo_translate(text, lang, terms)


# Prompts are taken at once (the calibration's 176 tokens took 1.5 s at the default 120 a
# second); the output's 20 tokens a second keeps the pack in its slot for about 50 s.
SLOW_SERVER = SlotSettings(1, rate=20.0, prompt_rate=100_000.0)


def _wait_for(condition, what: str) -> None:
    """Wait for the emulator's state (polled; the bound only stops a broken test)."""
    deadline = time.monotonic() + 120
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_with_a_request_in_flight_exits_and_records_it(tmp_path, presses):
    with EmulatorServer(mode=_translate, chat=True, slots=SLOW_SERVER) as emu:
        slots = emu.emulator.slots
        assert slots is not None
        job = _job(tmp_path, emu.chat_base_url)
        env = os.environ | {"PYTHONUNBUFFERED": "1"}
        with subprocess.Popen([*QMT, "translate", str(job)], cwd=tmp_path, env=env, stderr=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, text=True) as proc:
            try:
                # The calibration (its one-token warm-up, then itself) answered, and a pack of
                # the run is in the server's slot.
                _wait_for(lambda: slots.served >= 2 and slots.active >= 1 or proc.poll() is not None,
                          "a request in flight")
                assert proc.poll() is None
                for _ in range(presses):
                    proc.send_signal(signal.SIGINT)
                code = proc.wait(EXIT_BOUND)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            err = proc.stderr.read() if proc.stderr else ""
        if presses == 1:
            assert code == 130 and "qmt: interrupted" in err, err
        else:   # the second press ends it at once, wherever it was
            assert code in (130, -signal.SIGINT), (code, err)
            # The next start settles what the interrupted run left pending; the server is fast now.
            # (In this process: what is tested is the start, not a third interpreter's imports.)
            emu.set_time_scale(0.001)
            assert main(["translate", str(job)]) == 0
    ledger = read_ledger(tmp_path / "out" / ".qmt" / "job" / "ledger")
    unknown = ledger.filter(ledger["status"] == "outcome_unknown")
    assert unknown.height >= 1 and unknown["prompt_tokens"].min() > 0 and unknown["estimated"].all()
    assert "pending" not in set(ledger["status"])
