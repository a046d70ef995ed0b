"""Benchmark: a one-hour media file through the real pipeline, against the local emulator.

    .venv/bin/python bench/bench_media.py                 # one hour (a few minutes of work)
    QMT_BENCH_MINUTES=5 .venv/bin/python bench/bench_media.py   # a quick check

The file is speech-like sound with pauses (``tests/mediasynth.py``: voiced
bursts, phrases of 1.5-6 s, pauses of 0.35-1.2 s), written as a 16 kHz mono FLAC
phrase by phrase (``write_long_flac``), so making it needs no memory either. Three measurements, each in a
fresh child process so its peak memory (``ru_maxrss``) is its own:

* **cut**: decode (PyAV) and cut at pauses, nothing sent: the real-time factor of
  cutting (seconds of work per minute of media) and the memory it needs;
* **run**: ``qmt translate`` of the file into one language with ``dub = true``
  against ``qmt emulator`` (a separate process): subtitles, dubbed track, ledger;
  its wall time and peak memory (base = the process with its imports, before the run);
* **assemble**: the dubbed track alone (:func:`pipeline.media.dub.assemble`)
  from the run's speech, 10% of cues sped up: seconds of work per minute of media.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))   # mediasynth: the test-data generator

from mediasynth import write_long_flac  # noqa: E402  (found through tests/, inserted above)
PY = sys.executable
MINUTES = float(os.environ.get("QMT_BENCH_MINUTES", "60"))


CUT = """
import json, resource, sys, time
from pathlib import Path
from pipeline.media.cut import CutSettings, cut_pieces
from pipeline.media.decode import RATE, pcm_blocks
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
pieces = longest = 0
for p in cut_pieces(pcm_blocks(Path(sys.argv[1])), RATE, CutSettings()):
    pieces += 1
    longest = max(longest, p.seconds)
print(json.dumps({"seconds": time.perf_counter() - t, "pieces": pieces, "longest": longest,
                  "base_mb": base / 1024, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

ASSEMBLE = """
import json, sys, time, io, numpy as np
from pipeline.media.dub import Placement, assemble
from pipeline.service_facts import SPEECH_RATE
from pipeline.media.subtitles import parse_srt
cues = parse_srt(open(sys.argv[1], encoding="utf-8").read())
total = float(sys.argv[2])
def speech(seconds, k):
    n = round(seconds * (1.2 if k % 10 == 0 else 1.0) * SPEECH_RATE)
    return (np.sin(np.arange(n) / 20) * 8000).astype("<i2").tobytes()
places = [Placement(c.start, c.end, cues[i + 1].start if i + 1 < len(cues) else total,
                    lambda d=c.end - c.start, k=i: speech(d, k)) for i, c in enumerate(cues)]
t = time.perf_counter()
with open(sys.argv[3], "wb") as out:
    report = assemble(out, total, places)
print(json.dumps({"seconds": time.perf_counter() - t, "sped_up": report.sped_up, "overruns": len(report.overruns)}))
"""


def child_json(args: list[str]) -> dict:
    done = subprocess.run([PY, *args], capture_output=True, text=True, cwd=REPO, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_job(tmp: Path, media: Path) -> tuple[float, float, dict]:
    """qmt translate against a qmt emulator process; wall seconds, peak MB, the run report."""
    port = free_port()
    emu = subprocess.Popen([PY, "-m", "pipeline", "emulator", "--port", str(port)], cwd=REPO,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2.0)
        job = tmp / "job.toml"
        job.write_text(f'input = "{media.parent}"\noutput = "{tmp}/out/{{lang}}"\nsource_lang = "en"\n'
                       'target_langs = ["zh"]\n[run]\nconcurrency = 4\nrpm = 0\ntpm = 0\n[media]\ndub = true\n')
        env = os.environ | {"DASHSCOPE_API_KEY": "sk-bench", "DASHSCOPE_BASE_URL": f"http://127.0.0.1:{port}/compatible-mode/v1"}
        started = time.perf_counter()
        proc = subprocess.Popen([PY, "-m", "pipeline", "translate", str(job)], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"qmt translate failed ({proc.returncode}): {proc.stderr.read().decode()[-2000:]}")
        report = json.loads(sorted((tmp / "out" / ".qmt" / "job" / "reports").glob("*.json"))[-1].read_text())
        return wall, usage.ru_maxrss / 1024, report
    finally:
        emu.send_signal(signal.SIGTERM)
        emu.wait()


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        (tmp / "in").mkdir()
        media = tmp / "in" / "talk.flac"
        t = time.perf_counter()
        seconds = write_long_flac(media, MINUTES)
        print(f"made {seconds / 60:.1f} min of speech-like audio ({media.stat().st_size / 1e6:.0f} MB FLAC) "
              f"in {time.perf_counter() - t:.0f} s")
        minutes = seconds / 60
        cut = child_json(["-c", CUT, str(media)])
        wall, peak, report = run_job(tmp, media)
        srt = tmp / "out" / "zh" / "talk.zh.srt"
        assembled = child_json(["-c", ASSEMBLE, str(srt), str(seconds), str(tmp / "track.wav")])
        print()
        print("| step | media | pieces | work | s of work per min of media | peak MB |")
        print("|---|---|---|---|---|---|")
        print(f"| decode + cut (PyAV, 16 kHz) | {minutes:.0f} min | {cut['pieces']} (longest {cut['longest']:.1f} s) "
              f"| {cut['seconds']:.1f} s | {cut['seconds'] / minutes:.2f} | {cut['peak_mb']:.0f} "
              f"(imports {cut['base_mb']:.0f}) |")
        print(f"| assemble dubbed track (24 kHz) | {minutes:.0f} min | {assembled['sped_up']} sped up | "
              f"{assembled['seconds']:.1f} s | {assembled['seconds'] / minutes:.2f} | - |")
        print(f"| qmt translate, dub, emulator | {minutes:.0f} min | {report['requests']} requests | {wall:.1f} s | "
              f"{wall / minutes:.2f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
