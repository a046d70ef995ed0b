"""Subtitles within the norms, the dubbed track on the source timeline, the muxed video."""
from __future__ import annotations

import io
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from pipeline.media.clips import encode_pcm
from pipeline.media.dub import Placement, assemble
from pipeline.service_facts import SPEECH_RATE
from pipeline.media.mux import check_remux, mux_suffix, remux
from pipeline.media.subtitles import SpeechCue, layout, limits, parse_srt, to_srt, to_vtt
from mediasynth import speechlike, write_video


def test_long_cue_text_is_split_into_two_line_cues_sharing_the_time():
    text = " ".join(["translation"] * 30)      # 359 characters: far more than two lines of 42
    cues = layout([SpeechCue(1.0, 13.0, text)], "en", 20.0)
    assert len(cues) > 1
    assert cues[0].start == 1.0 and 13.0 <= cues[-1].end <= 20.0   # read too fast: stays up into the pause
    width, _ = limits("en")
    for cue in cues:
        lines = cue.text.split("\n")
        assert len(lines) <= 2 and all(len(line) <= width for line in lines)
    assert " ".join(c.text.replace("\n", " ") for c in cues) == text     # nothing lost


def test_unspaced_text_wraps_at_sixteen_characters_and_fast_cues_stay_up_into_the_pause():
    cues = layout([SpeechCue(0.0, 1.0, "模" * 30), SpeechCue(6.0, 8.0, "拟")], "zh", 10.0)
    assert all(len(line) <= 16 for c in cues for line in c.text.split("\n"))
    assert cues[0].end > 1.0 and cues[0].end < 6.0          # 30 characters need more than a second


def test_srt_and_vtt_round_trip():
    cues = [SpeechCue(0.52, 2.46, "one\ntwo"), SpeechCue(3661.5, 3662.0, "three")]
    srt = to_srt(cues)
    assert "00:00:00,520 --> 00:00:02,460" in srt and "01:01:01,500 --> 01:01:02,000" in srt
    assert parse_srt(srt) == cues
    vtt = to_vtt(cues)
    assert vtt.startswith("WEBVTT\n\n") and "01:01:01.500 --> 01:01:02.000" in vtt


def _tone(seconds: float) -> bytes:
    t = np.arange(round(seconds * SPEECH_RATE)) / SPEECH_RATE
    return (0.3 * np.sin(2 * np.pi * 200 * t) * 32767).astype("<i2").tobytes()


def _track(buf: io.BytesIO) -> np.ndarray:
    buf.seek(0)
    with wave.open(buf) as w:
        assert w.getframerate() == SPEECH_RATE and w.getnchannels() == 1
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def test_dubbed_track_is_as_long_as_the_source_with_speech_at_cue_starts():
    cues = [(0.5, 2.5), (3.3, 6.5), (7.5, 9.1)]
    total = 10.0
    buf = io.BytesIO()
    report = assemble(buf, total, [Placement(s, e, cues[i + 1][0] if i + 1 < len(cues) else total,
                                             lambda d=e - s: _tone(d)) for i, (s, e) in enumerate(cues)])
    track = _track(buf)
    assert abs(track.size / SPEECH_RATE - total) <= 0.01 * total
    def loud(at: float) -> bool:  # any sample of the 20 ms from ``at`` is well above silence
        i = round(at * SPEECH_RATE)
        return bool(np.abs(track[i:i + SPEECH_RATE // 50]).max() > 1000)

    for start, end in cues:
        assert not loud(start - 0.05) and loud(start) and loud(end - 0.03) and not loud(end + 0.01)
    assert report.overruns == [] and report.sped_up == 0


def test_overrun_of_1_6_is_sped_up_then_runs_into_the_pause_or_is_reported():
    # cue 1 has a long pause after it: 1.6x speech is absorbed (1.4x faster, the rest in the pause);
    # cue 2 is followed at once by cue 3: what does not fit is cut at cue 3 and reported.
    cues = [(0.0, 2.0, 4.0), (4.0, 6.0, 6.1), (6.1, 8.0, 10.0)]
    buf = io.BytesIO()
    report = assemble(buf, 10.0, [Placement(s, e, n, lambda d=e - s: _tone(1.6 * d)) for s, e, n in cues])
    assert report.sped_up == 3
    assert [(round(o.start, 1), o.last) for o in report.overruns] == [(4.0, False)]
    lost = report.overruns[0].seconds
    assert lost == pytest.approx(2.0 * 1.6 / 1.4 - 2.1, abs=0.02)
    assert abs(_track(buf).size / SPEECH_RATE - 10.0) < 0.1


@pytest.mark.parametrize("source_suffix, outputs", [(".mp4", (".mp4", ".mkv")), (".webm", (".mkv",))])
def test_muxed_video_keeps_the_original_video_stream_bit_identical(tmp_path, source_suffix, outputs):
    pcm, _ = speechlike((1.8, 2.4), (0.8,), seed=21)
    source = tmp_path / f"demo{source_suffix}"
    write_video(source, pcm)
    assert mux_suffix(source) == outputs[0]
    dub = tmp_path / "dub.wav"
    with dub.open("wb") as fh:
        assemble(fh, pcm.size / 16000, [Placement(0.5, 2.3, 3.1, lambda: _tone(1.5))])
    srt = to_srt([SpeechCue(0.5, 2.3, "hello"), SpeechCue(3.1, 5.5, "world")])
    for suffix in outputs:
        out = tmp_path / f"demo.zh{suffix}"
        with out.open("wb") as fh:
            remux(source, fh, suffix, srt_text=srt, lang="zh", dubbed_wav=dub)
        assert _video_packets(out) == _video_packets(source)
        assert check_remux(source, out, dubbed=True) is None
        assert check_remux(source, out, dubbed=False) == "the dubbed audio stream is missing"
        with av.open(str(out)) as c:
            kinds = [(s.type, s.codec_context.name) for s in c.streams]
            assert [k for k, _ in kinds].count("audio") == 2 and ("audio", "aac") in kinds   # original + dub
            assert sum(1 for k, _ in kinds if k == "subtitle") == 1
            sub = c.streams.subtitles[0]
            texts = [bytes(p) for p in c.demux(sub) if p.size]
        assert any(b"hello" in t for t in texts) and any(b"world" in t for t in texts)


def _video_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(c.streams.video[0]) if p.size]


def test_long_text_is_split_at_the_end_of_a_sentence_where_it_can_be():
    text = ("The folder is synchronised every minute, and changes appear on every device. "
            "Conflicts keep both copies so nothing is lost.")
    cues = layout([SpeechCue(0.0, 12.0, text)], "en", 12.0)
    assert len(cues) == 2
    assert cues[0].text.replace("\n", " ").endswith("every device.")
    assert " ".join(c.text.replace("\n", " ") for c in cues) == text


def test_a_source_the_container_cannot_take_fails_with_a_reason(tmp_path):
    from pipeline.errors import FileError

    source = tmp_path / "raw.mov"
    with av.open(str(source), "w") as out:          # a MOV with a video codec MP4 does not carry
        stream = out.add_stream("rawvideo", rate=5)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        audio = out.add_stream("aac", rate=16000, layout="mono")
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), dtype=np.uint8), format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
        pcm, _ = speechlike((0.5,), (), lead=0.0, tail=0.0)
        encode_pcm(out, audio, pcm, 16000)
    with (tmp_path / "out.mp4").open("wb") as fh, pytest.raises(FileError) as err:
        remux(source, fh, ".mp4", srt_text=to_srt([SpeechCue(0.0, 0.5, "x")]), lang="en", dubbed_wav=None)
    assert "cannot write the .mp4 copy" in err.value.reason


def test_cues_keep_the_least_gap_and_duration_and_start_on_the_speech():
    from pipeline.media.subtitles import GAP, MIN_SECONDS

    # a short word, then two pieces cut without a pause (end of one = start of the next)
    cues = layout([SpeechCue(1.0, 1.3, "Yes."), SpeechCue(4.0, 9.0, "a b c"), SpeechCue(9.0, 12.0, "d e f")], "en", 20.0)
    assert [c.start for c in cues] == [1.0, 4.0, 9.0]        # starts stay where the speech starts
    assert cues[0].end - cues[0].start >= MIN_SECONDS
    for a, b in zip(cues, cues[1:]):
        assert b.start - a.end >= GAP - 1e-9
    assert all(c.end - c.start >= MIN_SECONDS for c in cues)


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_the_dubbed_track_is_the_default_and_every_stream_says_its_language_and_title(tmp_path, suffix):
    from av.stream import Disposition

    pcm, _ = speechlike((1.8, 2.4), (0.8,), seed=21)
    source = tmp_path / "demo.mp4"
    write_video(source, pcm)
    dub = tmp_path / "dub.wav"
    with dub.open("wb") as fh:
        assemble(fh, pcm.size / 16000, [Placement(0.5, 2.3, 3.1, lambda: _tone(1.5))])
    out = tmp_path / f"demo.ja{suffix}"
    with out.open("wb") as fh:
        remux(source, fh, suffix, srt_text=to_srt([SpeechCue(0.5, 2.3, "hello")]), lang="ja", dubbed_wav=dub,
              source_lang="en")
    with av.open(str(out)) as c:
        original, dubbed = c.streams.audio
        sub = c.streams.subtitles[0]
        assert (original.metadata.get("language"), _title(original)) == ("eng", "English (original)")
        assert (dubbed.metadata.get("language"), _title(dubbed)) == ("jpn", "Japanese (dubbed)")
        assert (sub.metadata.get("language"), _title(sub)) == ("jpn", "Japanese (subtitles)")
        if suffix == ".mp4":   # what MP4 players show as the track's name (it was "SoundHandler")
            assert dubbed.metadata.get("handler_name") == "Japanese (dubbed)"
        assert dubbed.disposition & Disposition.default and not original.disposition & Disposition.default
    _ffprobe_agrees(out)


def _title(stream) -> str | None:
    """A stream's title as FFmpeg reads it back: ``title`` in Matroska, the ``name`` atom in MP4."""
    return stream.metadata.get("title") or stream.metadata.get("name")


def _ffprobe_agrees(path: Path) -> None:
    """ffprobe's view of the same file, where ffprobe is installed (it is not required)."""
    import json
    import shutil
    import subprocess

    if shutil.which("ffprobe") is None:
        return
    shown = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
                                      capture_output=True, text=True, check=True).stdout)["streams"]
    audio = [s for s in shown if s["codec_type"] == "audio"]
    assert [s["disposition"]["default"] for s in audio] == [0, 1]
    assert all(s.get("tags", {}).get("language") not in (None, "und") for s in shown if s["codec_type"] != "video")


def test_a_few_milliseconds_over_at_the_end_are_absorbed_and_a_real_overrun_there_names_no_next_cue():
    buf = io.BytesIO()
    # the last cue's speech is 10 ms longer than what is left of the source, even sped up
    report = assemble(buf, 4.0, [Placement(1.0, 4.0, 4.0, lambda: _tone(3.0 * 1.4 + 0.01))])
    assert report.overruns == [] and report.trimmed == 1
    assert abs(_track(buf).size / SPEECH_RATE - 4.0) < 1e-3
    report = assemble(io.BytesIO(), 4.0, [Placement(1.0, 4.0, 4.0, lambda: _tone(3.0 * 1.4 + 0.5))])
    assert [(o.start, o.last) for o in report.overruns] == [(1.0, True)]
    assert report.overruns[0].seconds == pytest.approx(0.5 / 1.4, abs=0.02)
