"""Cutting at pauses, with real decoding of every input format the job takes."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.errors import FileError
from pipeline.media.cut import CutSettings, cut_pieces
from pipeline.media.decode import RATE, pcm_blocks, probe
from mediasynth import (SAMPLE_PAUSES, SAMPLE_PHRASES, speechlike, write_audio,
                                          write_unknown_codec_wav, write_video, write_video_only, write_wav)

TOLERANCE = 0.3     # the bound: cue starts and ends within 0.3 s of the known pauses


@pytest.fixture(scope="module")
def clip():
    return speechlike(SAMPLE_PHRASES, SAMPLE_PAUSES)


@pytest.mark.parametrize("suffix", [".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".opus", ".mp4", ".mov", ".mkv", ".webm"])
def test_cues_fall_on_the_known_pauses(tmp_path, clip, suffix):
    pcm, spans = clip
    path = tmp_path / f"talk{suffix}"
    if suffix == ".wav":
        write_wav(path, pcm)
    elif suffix in (".mp4", ".mov", ".mkv", ".webm"):
        write_video(path, pcm)
    else:
        write_audio(path, pcm)
    pieces = list(cut_pieces(pcm_blocks(path), RATE, CutSettings()))
    assert len(pieces) == len(spans)
    for piece, (start, end) in zip(pieces, spans):
        assert abs(piece.start - start) <= TOLERANCE and abs(piece.end - end) <= TOLERANCE, (piece.start, piece.end)


def test_speech_without_pauses_is_cut_below_the_maximum_at_its_quietest_point():
    pcm, _ = speechlike((40.0,), (), lead=0.0, tail=0.0)
    settings = CutSettings(max_seconds=15.0)
    pieces = list(cut_pieces([pcm[i:i + 4000] for i in range(0, pcm.size, 4000)], RATE, settings))
    assert len(pieces) >= 3
    assert all(p.seconds <= settings.max_seconds + 0.02 for p in pieces)
    for piece in pieces[:-1]:  # each forced cut falls where the signal is quiet (between syllables)
        edge = piece.pcm[-int(0.02 * RATE):].astype(np.float64)
        assert np.sqrt(np.mean(edge ** 2)) < 0.25 * 32767
    # nothing lost: the pieces cover the speech from the first to the last sound
    assert pieces[0].start < 0.05 and pieces[-1].end > 39.9


def test_a_short_phrase_before_a_long_pause_stands_alone_and_short_gaps_do_not_split():
    pcm, spans = speechlike((0.6, 3.0), (1.5,))
    pieces = list(cut_pieces([pcm], RATE, CutSettings(min_seconds=1.0)))
    assert len(pieces) == len(spans)
    for piece, (start, end) in zip(pieces, spans):   # the speech, with at most the cutter's 60 ms margin
        assert start - 0.07 <= piece.start <= start and end <= piece.end <= end + 0.07, (piece.start, piece.end)


def test_pieces_are_far_below_the_model_and_request_limits(clip):
    from pipeline.media.run import wav_bytes
    from pipeline.service_facts import LIVETRANSLATE_MAX_INPUT_TOKENS as MAX_INPUT_TOKENS, MAX_PAYLOAD_BYTES, audio_tokens

    pcm, _ = speechlike((60.0,), (), lead=0.0, tail=0.0)
    for piece in cut_pieces([pcm], RATE, CutSettings(max_seconds=15.0)):
        assert audio_tokens(piece.seconds) < MAX_INPUT_TOKENS / 100
        assert len(wav_bytes(piece.pcm.tobytes(), RATE)) * 4 / 3 < MAX_PAYLOAD_BYTES / 10


def _truncated(tmp_path: Path, pcm) -> Path:
    whole = tmp_path / "whole.mp3"
    write_audio(whole, pcm)
    path = tmp_path / "cut.mp3"
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    return path


@pytest.mark.parametrize("case, expected", [
    ("text", "not a media file"),
    ("zero", "0 seconds"),
    ("no_audio", "no audio stream"),
    ("truncated_wav", "truncated"),
    ("truncated_mp3", "truncated"),
    ("unknown_codec", "codec"),
])
def test_bad_media_fails_with_a_one_line_reason(tmp_path, clip, case, expected):
    pcm, _ = clip
    path = tmp_path / ("x.mp4" if case == "no_audio" else "x.wav")
    if case == "truncated_mp3":
        path = _truncated(tmp_path, pcm)
    if case == "text":
        path.write_text("# Not audio\n\nA Markdown page renamed to .wav.\n")
    elif case == "zero":
        write_wav(path, pcm[:0])
    elif case == "no_audio":
        write_video_only(path)
    elif case == "truncated_wav":
        write_wav(path, pcm)
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    elif case == "unknown_codec":
        write_unknown_codec_wav(path, pcm)
    with pytest.raises(FileError) as err:
        probe(path)
        list(pcm_blocks(path))
    assert expected in err.value.reason and "\n" not in err.value.reason


def test_a_long_file_is_decoded_and_cut_as_a_stream(tmp_path):
    import tracemalloc

    from mediasynth import write_long_flac

    path = tmp_path / "long.flac"
    # 4 minutes: 7.7 MB as 16 kHz PCM16, over twice the peak allowed below, so holding the
    # decoded file fails the test as surely as 10 minutes would; bench/bench_media.py runs
    # the hour-long file.
    seconds = write_long_flac(path, 4.0)
    tracemalloc.start()
    try:
        covered = sum(p.seconds for p in cut_pieces(pcm_blocks(path), RATE, CutSettings()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert covered > 0.7 * seconds                 # the speech is all there ...
    assert peak < 3 * 1024 * 1024                  # ... and never more than a piece or two in memory
