"""Media files in a job, end to end through ``qmt`` against the emulator over HTTP."""
from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import wave
from pathlib import Path

import polars as pl
import pytest
import srt
import webvtt
from support import EMULATOR_KEY

from pipeline.cli import main
from pipeline.media.subtitles import parse_srt
from mediasynth import (SAMPLE_PAUSES, SAMPLE_PHRASES, speechlike, write_audio,
                                          write_unknown_codec_wav, write_video, write_video_only, write_wav)
from pipeline.ledger.usage import OUTCOME_UNKNOWN, read_ledger

REPO = Path(__file__).resolve().parents[2]
LIVE = "qwen3-livetranslate-flash"


@pytest.fixture(autouse=True)
def emulator_env(server, monkeypatch):
    server.reset()
    server.set_account_state("ok")
    server.emulator.config.speech_ratio = 1.0
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    monkeypatch.setenv("DASHSCOPE_BASE_URL", server.base_url)
    yield


def talk(folder: Path, name: str = "talk.wav") -> list[tuple[float, float]]:
    pcm, spans = speechlike(SAMPLE_PHRASES, SAMPLE_PAUSES)
    folder.mkdir(parents=True, exist_ok=True)
    (write_wav if name.endswith(".wav") else write_audio)(folder / name, pcm)
    return spans


def job_file(tmp_path: Path, extra: str = "", targets: str = '["zh", "ja"]', top: str = "") -> Path:
    body = (f'input = "in"\noutput = "out/{{lang}}"\nsource_lang = "en"\ntarget_langs = {targets}\n{top}'
            '[run]\nconcurrency = 3\nbackoff_initial = 0.01\nbackoff_max = 0.05\nrpm = 0\ntpm = 0\n' + extra)
    path = tmp_path / "job.toml"
    path.write_text(body)
    return path


def media_rows(tmp_path: Path) -> pl.DataFrame:
    ledger = read_ledger(tmp_path / "out" / ".qmt" / "job" / "ledger")
    return ledger.filter(pl.col("model") == LIVE)


def test_a_folder_with_media_and_documents(tmp_path, server, capsys):
    spans = talk(tmp_path / "in")
    (tmp_path / "in" / "notes.md").write_text("# Notes\n\nThe talk is in the same folder.\n")
    job = job_file(tmp_path, "[media]\ndub = true\n")

    assert main(["estimate", str(job)]) == 0
    estimate = capsys.readouterr().out
    assert main(["translate", str(job)]) == 0

    out = tmp_path / "out"
    for lang in ("zh", "ja"):
        cues = parse_srt((out / lang / f"talk.{lang}.srt").read_text(encoding="utf-8"))
        assert len(cues) == len(spans)
        for cue, (start, end) in zip(cues, spans):
            assert abs(cue.start - start) <= 0.3 and abs(cue.end - end) <= 0.3
            assert cue.text.startswith(f"⟦{lang}⟧")
        assert (out / lang / f"talk.{lang}.vtt").read_text(encoding="utf-8").startswith("WEBVTT")
        with wave.open(str(out / lang / f"talk.{lang}.wav")) as w:
            seconds = w.getnframes() / w.getframerate()
        assert abs(seconds - 14.4) <= 0.01 * 14.4
        assert (out / lang / "notes.md").is_file()

    rows = media_rows(tmp_path)
    billed = {r.request_id: r for r in server.billing.records if r.model == LIVE}
    assert rows.height == len(billed) == 2 * len(spans)
    for row in rows.iter_rows(named=True):   # the ledger holds what the service billed, request by request
        bill = billed[row["request_id"]]
        assert (row["prompt_tokens"], row["completion_tokens"], row["audio_tokens"]) == \
               (bill.prompt_tokens, bill.completion_tokens, bill.audio_tokens)
    assert f"audio tokens          {rows['audio_tokens'].sum()}" in estimate

    # unchanged: nothing is sent again, and the estimate says so
    server.reset()
    assert main(["translate", str(job)]) == 0
    assert not [r for r in server.billing.records if r.model == LIVE]
    assert main(["estimate", str(job)]) == 0
    assert "media requests        0" in capsys.readouterr().out


def test_bad_media_fails_alone_with_one_line_each(tmp_path, capsys):
    talk(tmp_path / "in")
    bad = tmp_path / "in" / "bad"
    bad.mkdir()
    (bad / "readme.mp3").write_text("# A text file renamed .mp3\n")
    (bad / "empty.wav").write_bytes(b"")
    pcm, _ = speechlike((1.0,), ())
    write_wav(bad / "silent.wav", pcm[:0])
    write_wav(bad / "cut.wav", pcm)
    (bad / "cut.wav").write_bytes((bad / "cut.wav").read_bytes()[:2000])
    write_video_only(bad / "mute.mp4")
    write_unknown_codec_wav(bad / "odd.wav", pcm)
    assert main(["translate", str(job_file(tmp_path)), "--to", "zh"]) == 1
    err = capsys.readouterr().err
    assert (tmp_path / "out" / "zh" / "talk.zh.srt").is_file()
    for name, reason in [("readme.mp3", "not a media file"), ("empty.wav", "empty file"),
                         ("silent.wav", "0 seconds"), ("cut.wav", "truncated"), ("mute.mp4", "no audio stream"),
                         ("odd.wav", "codec")]:
        line = next(text for text in err.splitlines() if f"bad/{name}" in text)
        assert line.startswith("qmt: failed:") and reason in line
        assert not list((tmp_path / "out").rglob(f"{Path(name).stem}.*"))
    assert "Traceback" not in err


def test_two_inputs_writing_the_same_outputs_are_refused_before_sending(tmp_path, server, capsys):
    pcm, _ = speechlike((1.5,), ())
    (tmp_path / "in").mkdir()
    write_audio(tmp_path / "in" / "talk.mp3", pcm)
    write_video(tmp_path / "in" / "talk.mp4", pcm)
    talk(tmp_path / "in", "other.wav")
    assert main(["translate", str(job_file(tmp_path))]) == 1
    err = capsys.readouterr().err
    assert err.count("talk.mp3 and talk.mp4 would write the same") == 2
    assert len([r for r in server.billing.records if r.model == LIVE]) == 2 * len(SAMPLE_PHRASES)  # other.wav only


def test_overrunning_speech_is_absorbed_or_reported_per_cue(tmp_path, server, capsys):
    server.emulator.config.speech_ratio = 1.6
    # 1.6x speech sped up 1.4x is 1.14x its slot: the 1.2 s pause after the first cue absorbs it,
    # the 0.4 s pause after the 4 s cue does not (it would need 0.57 s)
    pcm, spans = speechlike((2.0, 4.0, 2.0), (1.2, 0.4))
    (tmp_path / "in").mkdir()
    write_wav(tmp_path / "in" / "tight.wav", pcm)
    code = main(["translate", str(job_file(tmp_path)), "--to", "en", "--dub"])
    err = capsys.readouterr().err
    problems = [text for text in err.splitlines() if "too long for its slot" in text]
    assert code == 1 and len(problems) == 1, err
    at = float(re.search(r"cue at ([0-9.]+) s", problems[0]).group(1))
    assert abs(at - spans[1][0]) <= 0.07, problems[0]      # the second cue (with the cutter's margin)
    with wave.open(str(tmp_path / "out" / "en" / "tight.en.wav")) as w:
        assert abs(w.getnframes() / w.getframerate() - pcm.size / 16000) < 0.01 * pcm.size / 16000


def test_media_config_follows_the_seed(tmp_path, capsys):
    talk(tmp_path / "in")
    assert main(["translate", str(job_file(tmp_path, "[media]\ndub = true\n", '["zh", "th"]'))]) == 2
    assert "media.dub" in capsys.readouterr().err
    assert main(["translate", str(job_file(tmp_path)), "--to", "zh", "--dub", "--voice", "Kiki"]) == 2
    err = capsys.readouterr().err
    assert "media.voice" in err and "does not speak zh" in err
    assert main(["translate", str(job_file(tmp_path, "[media]\nvoices = 1\n"))]) == 2
    assert "media.voices" in capsys.readouterr().err


def test_a_glossary_applies_to_documents_only_and_the_run_says_so_once(tmp_path, capsys):
    talk(tmp_path / "in")
    talk(tmp_path / "in", "second.wav")
    (tmp_path / "terms.csv").write_text("source,target\ntalk,讲座\n")
    assert main(["translate", str(job_file(tmp_path, targets='["zh"]', top='terms = "terms.csv"\n'))]) == 0
    assert capsys.readouterr().err.count("apply to documents only") == 1


def test_the_token_budget_covers_media(tmp_path, server):
    talk(tmp_path / "in")
    assert main(["translate", str(job_file(tmp_path)), "--to", "zh", "--budget-tokens", "150"]) == 5
    assert sum(r.total_tokens for r in server.billing.records) <= 150


def test_a_killed_run_resumes_without_paying_twice(tmp_path, server):
    talk(tmp_path / "in")
    job = job_file(tmp_path, targets='["zh"]')
    text = job.read_text().replace("concurrency = 3", "concurrency = 1")
    job.write_text(text)
    done = 2
    server.script(*(["ok"] * done), "timeout")      # the third request hangs until the run is killed
    env = os.environ | {"PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "translate", str(job)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while server.stats["received"] < done + 1:
            assert proc.poll() is None, "the run ended before it was killed"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    state = tmp_path / "out" / ".qmt" / "job" / "state.sqlite"
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT count(*) FROM media_cache").fetchone()[0] == done
        # The request in flight at the kill was journaled before it left: pending, never nothing.
        assert db.execute("SELECT status FROM ledger WHERE model = ? ORDER BY id", (LIVE,)).fetchall() == \
            [("ok",)] * done + [("pending",)]
    server.clear_script()
    assert main(["translate", str(job)]) == 0
    billed = [r for r in server.billing.records if r.model == LIVE]
    assert len(billed) == len(SAMPLE_PHRASES)          # every piece paid for exactly once
    rows = media_rows(tmp_path)
    assert rows.filter(pl.col("status") == "ok").height == len(SAMPLE_PHRASES)
    assert rows.filter(pl.col("status") == OUTCOME_UNKNOWN).height == 1    # may have been billed: kept


def test_a_target_the_model_does_not_take_is_reported_not_dropped(tmp_path, capsys):
    talk(tmp_path / "in")
    assert main(["translate", str(job_file(tmp_path, targets='["zh", "sv"]'))]) == 1
    err = capsys.readouterr().err
    assert "does not translate into Swedish" in err
    assert (tmp_path / "out" / "zh" / "talk.zh.srt").is_file()
    assert not (tmp_path / "out" / "sv").exists()


def test_the_sample_job_writes_subtitles_dub_and_video_beside_the_documents(tmp_path, server):
    from pipeline.config import load_job, with_overrides
    from pipeline.job.progress import Progress
    from pipeline.job.run import run_job
    from pipeline.translate.qwen_backend import QwenBackend

    job = load_job(REPO / "jobs" / "sample.toml", {"run": {"rpm": 0, "tpm": 0}})
    job = with_overrides(job, output=str(tmp_path / "out" / "{lang}"), base_url=server.base_url)
    backend = QwenBackend(api_key=EMULATOR_KEY, base_url=server.base_url, timeout=5)
    result = run_job(job, backend=backend, progress=Progress(interactive=False))
    assert result.exit_code == 0, [(f.relpath, f.status, f.reason, f.problems) for f in result.files]
    for lang in ("zh", "ja"):
        media = tmp_path / "out" / lang / "media"
        assert {p.name for p in media.iterdir()} >= {f"talk.{lang}.srt", f"talk.{lang}.vtt", f"talk.{lang}.wav",
                                                     f"demo.{lang}.srt", f"demo.{lang}.wav", f"demo.{lang}.mp4"}
        assert (tmp_path / "out" / lang / "getting-started.md").is_file()


def test_service_faults_on_media_are_retried_and_the_ledger_matches_the_bill(tmp_path, server):
    talk(tmp_path / "in")
    job = job_file(tmp_path, "[media]\ndub = true\n", '["zh"]')
    assert main(["translate", str(job)]) == 0
    clean = (tmp_path / "out" / "zh" / "talk.zh.srt").read_bytes(), (tmp_path / "out" / "zh" / "talk.zh.wav").read_bytes()
    server.reset()
    # every fault once, in the order the pieces go out: throttled, server error, dropped before and
    # in the middle of the answer, a stream cut short, a broken event
    server.script("429:retry_after=0.01", "500", "drop", "drop_mid", "cut", "malformed")
    assert main(["translate", str(job), "--force"]) == 0
    assert ((tmp_path / "out" / "zh" / "talk.zh.srt").read_bytes(),
            (tmp_path / "out" / "zh" / "talk.zh.wav").read_bytes()) == clean
    billed = {r.request_id: r for r in server.billing.records}     # the second run's bill only
    rows = media_rows(tmp_path)
    assert len(billed) == len(SAMPLE_PHRASES) + 3          # drop_mid, cut and malformed were billed too
    for row in rows.filter(pl.col("request_id").is_in(list(billed))).iter_rows(named=True):
        bill = billed[row["request_id"]]
        assert (row["prompt_tokens"], row["completion_tokens"]) == (bill.prompt_tokens, bill.completion_tokens)
    assert rows.filter(pl.col("request_id").is_in(list(billed))).height == len(billed)


def test_a_fatal_error_on_a_media_request_stops_the_job(tmp_path, server, capsys):
    talk(tmp_path / "in")
    (tmp_path / "in" / "notes.md").write_text("# Notes\n\nOne paragraph.\n")
    server.script("arrearage")
    job = job_file(tmp_path, targets='["zh"]').read_text().replace("concurrency = 3", "concurrency = 1")
    (tmp_path / "job.toml").write_text(job)
    assert main(["translate", str(tmp_path / "job.toml"), "--include", "**/*.wav"]) == 3
    assert "Arrearage" in capsys.readouterr().err
    assert not (tmp_path / "out" / "zh" / "talk.zh.srt").exists()
    assert len(server.billing.bodies()) == 1               # nothing sent after the fatal answer


def test_video_context_sends_clips_and_bills_video_tokens_as_estimated(tmp_path, server, capsys):
    pcm, spans = speechlike((1.8, 2.4), (0.8,), seed=21)
    (tmp_path / "in").mkdir()
    write_video(tmp_path / "in" / "demo.mp4", pcm)
    job = job_file(tmp_path, "[media]\nvideo_context = true\nmux = true\n", '["en"]')
    assert main(["estimate", str(job)]) == 0
    estimate = capsys.readouterr().out
    assert main(["translate", str(job)]) == 0
    bodies = server.billing.bodies()
    assert bodies and all(b["messages"][0]["content"][0]["type"] == "video_url" for b in bodies)
    assert all(b["messages"][0]["content"][0]["video_url"]["url"].startswith("data:video/mp4;base64,") for b in bodies)
    rows = media_rows(tmp_path)
    assert rows["video_tokens"].sum() == sum(r.video_tokens for r in server.billing.records) > 0
    assert f"video tokens          {rows['video_tokens'].sum()}" in estimate
    assert f"audio tokens          {rows['audio_tokens'].sum()}" in estimate
    assert (tmp_path / "out" / "en" / "demo.en.mp4").is_file()


def test_a_dollar_budget_cannot_price_media_and_says_so_before_sending(tmp_path, server, capsys):
    talk(tmp_path / "in")
    (tmp_path / "in" / "notes.md").write_text("# Notes\n\nOne paragraph.\n")
    assert main(["translate", str(job_file(tmp_path, targets='["zh"]')), "--budget-usd", "5"]) == 1
    err = capsys.readouterr().err
    assert "talk.wav: run.budget_usd cannot price qwen3-livetranslate-flash" in err
    assert not [r for r in server.billing.records if r.model == LIVE]
    assert (tmp_path / "out" / "zh" / "notes.md").is_file()


def test_emulated_media_answers_never_serve_a_run_against_the_service(tmp_path, server, capsys, monkeypatch):
    talk(tmp_path / "in")
    job = job_file(tmp_path, targets='["zh"]')
    assert main(["translate", str(job)]) == 0
    assert main(["estimate", str(job)]) == 0          # the same (emulated) endpoint: all from the cache
    assert f"pieces x languages    {len(SAMPLE_PHRASES)} ({len(SAMPLE_PHRASES)} from the cache)" in capsys.readouterr().out
    monkeypatch.delenv("DASHSCOPE_BASE_URL")
    assert main(["estimate", str(job), "--region", "singapore"]) == 0   # the real service: nothing cached
    assert f"media requests        {len(SAMPLE_PHRASES)}" in capsys.readouterr().out
    rows = media_rows(tmp_path)
    assert set(rows["engine"]) == {"emulator:pseudo"}


def test_speech_without_a_pause_is_cut_at_its_quietest_point_and_the_report_says_so(tmp_path, server, capsys):
    pcm, _ = speechlike((20.0,), (), lead=0.3, tail=0.3)
    (tmp_path / "in").mkdir()
    write_wav(tmp_path / "in" / "rush.wav", pcm)
    code = main(["translate", str(job_file(tmp_path)), "--to", "en"])
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if "no pause within 15 s" in line]
    assert code == 0 and len(warnings) == 1 and "qmt: warning: rush.wav" in warnings[0], err
    cues = parse_srt((tmp_path / "out" / "en" / "rush.en.srt").read_text(encoding="utf-8"))
    assert len(cues) >= 2 and all(b.start - a.end >= 0.08 - 1e-9 for a, b in zip(cues, cues[1:]))


def test_a_file_without_speech_is_reported_and_writes_no_dub_or_empty_subtitles(tmp_path, server, capsys):
    import numpy as np

    from mediasynth import background

    (tmp_path / "in").mkdir()
    hum = (background("hum", 30 * 16000, seed=2) * 0.02 * 32767).astype(np.int16)   # a room with a hum, no one talks
    write_wav(tmp_path / "in" / "empty.wav", hum)
    code = main(["translate", str(job_file(tmp_path)), "--to", "en", "--dub"])
    err = capsys.readouterr().err
    assert code == 0 and "qmt: skipped: empty.wav: no speech found in 30.0 s of audio" in err, err
    assert not (tmp_path / "out" / "en").exists() or not any((tmp_path / "out" / "en").iterdir())
    if (tmp_path / "out" / ".qmt" / "job" / "ledger").exists():
        assert media_rows(tmp_path).height == 0                        # and nothing was sent


@pytest.mark.parametrize("seconds, tokens", [(0.4, 13), (3.2, 40), (61.7, 772)])
def test_estimate_equals_the_runs_audio_tokens_and_the_emulators_bill(tmp_path, server, capsys, seconds, tokens):
    from pipeline.service_facts import audio_tokens

    pcm, _ = speechlike((seconds,), (), lead=0.0, tail=0.0, seed=int(seconds * 10))
    (tmp_path / "in").mkdir()
    write_wav(tmp_path / "in" / "clip.wav", pcm)
    job = job_file(tmp_path, targets='["en"]')
    assert main(["estimate", str(job)]) == 0
    estimate = capsys.readouterr().out
    assert main(["translate", str(job)]) == 0
    rows = media_rows(tmp_path)
    billed = sum(r.audio_tokens for r in server.billing.records)
    assert rows["audio_tokens"].sum() == billed == rows["prompt_tokens"].sum()
    assert f"audio tokens          {billed}" in estimate
    assert audio_tokens(seconds) == tokens          # the seed's rule on the clip's own length
    if seconds < 15:      # one piece, the whole clip: 0.4 s is billed as one second, 3.2 s as 3.2 s (not 4)
        assert len(rows) == 1 and billed == tokens


def test_frozen_counts_media_stale_until_its_answers_are_in_the_state(tmp_path, server, capsys):
    talk(tmp_path / "in")
    job = job_file(tmp_path, targets='["zh"]')
    assert main(["translate", str(job), "--frozen"]) == 8           # no subtitles yet
    assert "talk.zh.srt does not exist" in capsys.readouterr().err
    assert main(["translate", str(job)]) == 0
    assert main(["translate", str(job), "--frozen"]) == 0
    shutil.rmtree(tmp_path / "out" / ".qmt")                          # a fresh runner: media would be sent again
    sent = server.billing.received
    assert main(["translate", str(job), "--frozen"]) == 8
    assert "media pieces to translate" in capsys.readouterr().err
    assert server.billing.received == sent


def test_mux_flags_override_the_jobs_media_mux(tmp_path, server):
    """``--mux`` writes the muxed video a job without ``mux`` would not; ``--no-mux`` drops it."""
    pcm, _ = speechlike((1.8, 2.4), (0.8,), seed=21)
    (tmp_path / "in").mkdir()
    write_video(tmp_path / "in" / "demo.mp4", pcm)
    job = job_file(tmp_path, targets='["zh"]')
    assert main(["translate", str(job), "--out", str(tmp_path / "plain" / "{lang}")]) == 0
    assert main(["translate", str(job), "--mux", "--out", str(tmp_path / "muxed" / "{lang}")]) == 0
    assert sorted(p.name for p in (tmp_path / "plain" / "zh").iterdir()) == ["demo.zh.srt", "demo.zh.vtt"]
    assert sorted(p.name for p in (tmp_path / "muxed" / "zh").iterdir()) == ["demo.zh.mp4", "demo.zh.srt", "demo.zh.vtt"]

    job.write_text(job.read_text() + "[media]\nmux = true\n")
    assert main(["translate", str(job), "--no-mux", "--out", str(tmp_path / "unmuxed" / "{lang}")]) == 0
    assert not (tmp_path / "unmuxed" / "zh" / "demo.zh.mp4").exists()
    assert (tmp_path / "unmuxed" / "zh" / "demo.zh.srt").is_file()


def test_subtitles_in_a_right_to_left_language_carry_direction_marks(tmp_path):
    """Each line of an Arabic cue in a right-to-left embedding (the convention SRT and
    WebVTT inputs get, :mod:`pipeline.formats.subtitles.direction`); German has none."""
    talk(tmp_path / "in")
    assert main(["translate", str(job_file(tmp_path, targets='["ar", "de"]'))]) == 0
    out = tmp_path / "out"
    for lang in ("ar", "de"):
        for suffix in (".srt", ".vtt"):
            text = (out / lang / f"talk.{lang}{suffix}").read_text(encoding="utf-8")
            texts = [c.content for c in srt.parse(text)] if suffix == ".srt" else \
                [c.text for c in webvtt.from_string(text)]
            lines = [line for t in texts for line in t.split("\n")]
            assert lines
            if lang == "ar":
                assert all(line.startswith("\u202b") and line.endswith("\u202c") and line.count("\u202b") == 1
                           for line in lines if any("\u0600" <= c <= "\u06ff" for c in line))
            else:
                assert not any(m in text for m in ("\u202b", "\u202c", "\u200f"))
