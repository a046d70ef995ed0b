"""SRT and WebVTT through whole runs against the emulator: cues stay aligned one to one
when answers come back with damaged pack markers, reading speed is reported as a
warning, the estimate matches the run, and committed outputs are reused."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import srt
import webvtt

from pipeline.config import load_job, with_overrides
from pipeline.job.discover import Found
from pipeline.emulator import EmulatorServer
from pipeline.job.estimate import estimate_job
from pipeline.formats.base import READING_SPEED
from pipeline.media.run import split_media
from pipeline.job.progress import Progress
from pipeline.job.run import EXIT_OK, pool_settings, region_of, run_job
from pipeline.translate.qwen_backend import QwenBackend

FIXTURES = Path(__file__).parent / "fixtures"
KEY = "sk-subtitles0123456789abcdef"
JOB = ('input = "in"\noutput = "out/{lang}"\nsource_lang = "en"\ntarget_langs = ["zh", "fr"]\n'
       '[run]\nrpm = 0\ntpm = 0\nconcurrency = 2\npack_tokens = 90\n')
THINGS = ["the hinge", "the lid", "the roof", "the perch", "the base", "the side panel", "the back wall",
          "the front edge", "the drain hole", "the seed tray"]
ACTIONS = ["Sand", "Glue", "Measure", "Paint", "Drill", "Clamp"]


def long_srt() -> str:
    """A 60-cue tutorial, two lines a cue, cues one after the other (every text distinct)."""
    blocks = []
    for n in range(60):
        start = 2000 * n
        action, thing = ACTIONS[n % len(ACTIONS)], THINGS[n % len(THINGS)]
        lines = f"<i>{action} {thing}</i> before step {n + 1},\nthen let it rest for {n + 2} minutes."
        blocks.append(f"{n + 1}\n{_stamp(start)} --> {_stamp(start + 1800)}\n{lines}\n")
    return "\n".join(blocks)


def _stamp(ms: int) -> str:
    return f"00:{ms // 60000:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


@pytest.fixture
def job(tmp_path: Path):
    src = tmp_path / "in"
    shutil.copytree(FIXTURES, src / "videos")
    (src / "videos" / "feeder.srt").write_text(long_srt(), encoding="utf-8")
    (tmp_path / "job.toml").write_text(JOB, encoding="utf-8")
    return load_job(tmp_path / "job.toml")


def run(job, server):
    backend = QwenBackend(api_key=KEY, base_url=server.base_url, timeout=10)
    return run_job(with_overrides(job, base_url=server.base_url), backend=backend,
                   progress=Progress(interactive=False))


def cues(path: Path) -> list[tuple]:
    """(start, end, settings or identifier, text) per cue, read by another library."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix == ".srt":
        return [(s.start, s.end, s.proprietary, s.content) for s in srt.parse(text)]
    return [(c.start, c.end, c.identifier, c.raw_text) for c in webvtt.from_string(text)]


def outputs(job) -> dict[Path, Path]:
    """Each input's output per language: ``videos/a.srt`` -> ``out/zh/videos/a.zh.srt``."""
    found = {}
    for lang in ("zh", "fr"):
        for path in sorted((job.input_dir / "videos").iterdir()):
            found[job.output_dir(lang) / "videos" / f"{path.stem}.{lang}{path.suffix}"] = path
    return found


def test_damaged_markers_never_shift_cues_and_fast_cues_are_warnings(job) -> None:
    with EmulatorServer(mode="pseudo", api_key=KEY, error_rates={"marker": 0.1}, seed=11) as server:
        result = run(job, server)
        damaged = server.billing.errors.get("marker", 0)
    assert damaged >= 2                                 # some packs did come back damaged
    assert result.exit_code == EXIT_OK
    assert all(f.status == "written" for f in result.files)
    for out, src in outputs(job).items():
        before, after = cues(src), cues(out)
        assert [c[:3] for c in after] == [c[:3] for c in before]          # same cues, same timings
        lang = out.suffixes[-2].strip(".")
        for cue, was in zip(after, before):
            if any(ch.isalpha() for ch in was[3]):
                assert f"⟦{lang}⟧" in cue[3], (out.name, cue)             # each cue its own answer
    feeder = {p.segment: p.reason for f in result.files if f.relpath == "videos/feeder.srt"
              for p in f.problems if p.status == READING_SPEED}
    assert feeder and all("characters a second" in why for why in feeder.values())


def test_estimate_agrees_with_the_run_and_committed_outputs_are_reused(job) -> None:
    est = estimate_job(job, pool_settings(job), region_of(job))
    with EmulatorServer(mode="pseudo", api_key=KEY, output_tokens="source") as server:
        result = run(job, server)
        assert result.exit_code == EXIT_OK
        assert est.requests == server.billing.received
        assert abs(est.prompt_tokens - server.billing.prompt_tokens) / server.billing.prompt_tokens < 0.02
        written = {p: p.read_bytes() for p in outputs(job)}

        shutil.rmtree(job.state_dir.parent)                # a fresh clone: outputs and lock files only
        again = run(job, server)
        assert again.exit_code == EXIT_OK
        assert server.billing.received == est.requests     # nothing more sent
        assert {p: p.read_bytes() for p in outputs(job)} == written

        # A reviewer rewrites one cue in place (on two lines of their own): kept, nothing sent.
        reviewed = job.output_dir("fr") / "videos" / "workshop.fr.srt"
        text = reviewed.read_bytes().decode()
        cue5 = text.split("00:00:13,200\r\n")[1].split("\r\n\r\n")[0]
        reviewed.write_bytes(text.replace(cue5, "Attention,\r\nc'est coupant !").encode())
        third = run(job, server)
        assert third.exit_code == EXIT_OK and server.billing.received == est.requests
    assert "00:00:13,200\r\nAttention, c'est coupant !\r\n\r\n" in reviewed.read_bytes().decode()


def test_a_subtitle_file_beside_a_video_of_the_same_name_is_refused(tmp_path: Path) -> None:
    found = [Found(tmp_path / rel, rel) for rel in ("a/talk.mp4", "a/talk.srt", "b/talk.srt", "a/other.vtt")]
    docs, media, refused = split_media(found)
    assert [f.relpath for f in docs] == ["b/talk.srt", "a/other.vtt"]
    assert [f.relpath for f in media] == ["a/talk.mp4"]
    assert [(rel, "a/talk.mp4" in why) for rel, why in refused] == [("a/talk.srt", True)]
