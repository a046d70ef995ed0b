"""Speech detection over background noise: cues fall on the true pauses and never inside a word.

The test set: 24 clips (6 per background: white noise, pink noise, 50 Hz mains hum, a music
bed) of five phrases each, at 10, 15 and 20 dB SNR, with every phrase's and every burst's
(word's) start and end known (``tests/mediasynth.py``). The issue's bar: at 15 dB and above,
at least 95% of cue boundaries within 0.3 s of the true pauses and no cue starting inside a
word. 10 dB is measured too (the README's table); there the bar is 90%.
"""
from __future__ import annotations

import numpy as np
import pytest

from mediasynth import BACKGROUNDS, CutScore, noisy_clip, noisy_clips, score_cuts, speechlike
from pipeline.media.cut import CutSettings, cut_pieces
from pipeline.media.decode import RATE
from pipeline.media.vad import LevelGate, band_levels

CLIPS_PER_BACKGROUND = 6
BAR = {20: 0.95, 15: 0.95, 10: 0.90}


def _cues(pcm: np.ndarray) -> list[tuple[float, float]]:
    blocks = [pcm[i:i + 4000] for i in range(0, pcm.size, 4000)]   # as the decoder streams it
    return [(p.start, p.end) for p in cut_pieces(blocks, RATE, CutSettings())]


@pytest.fixture(scope="module")
def scored() -> dict[int, dict[str, list[CutScore]]]:
    """snr -> background -> each clip's score. A clip at the three levels is the same speech
    over the same background, scaled: each is made once for the three (making them was
    two thirds of this file's time)."""
    out: dict[int, dict[str, list[CutScore]]] = {snr: {kind: [] for kind in BACKGROUNDS} for snr in BAR}
    for kind in BACKGROUNDS:
        for seed in range(CLIPS_PER_BACKGROUND):
            for clip in noisy_clips(kind, tuple(BAR), seed):
                out[int(clip.snr_db)][kind].append(score_cuts(_cues(clip.pcm), clip))
    return out


@pytest.mark.parametrize("snr", [20, 15, 10])
def test_cue_boundaries_fall_on_the_true_pauses_over_noise_hum_and_music(scored, snr):
    scores = scored[snr]
    every = [s for per_kind in scores.values() for s in per_kind]
    assert len(every) >= 20
    share = sum(s.within for s in every) / sum(s.boundaries for s in every)
    assert share >= BAR[snr], {kind: [round(s.share, 2) for s in per] for kind, per in scores.items()}
    assert sum(s.starts_in_word for s in every) == 0
    assert sum(s.ends_in_word for s in every) == 0


def test_the_issues_room_recording_is_cut_at_its_pauses():
    """Pauses at about -39 dBFS under speech at about -20 dBFS: a fixed -40 dBFS threshold saw no pause."""
    clip = noisy_clip("pink", 19, seed=11)
    scale = 10 ** (-20 / 20) / np.sqrt(np.mean((clip.pcm / 32768.0) ** 2))
    pcm = np.clip(clip.pcm * scale, -32768, 32767).astype(np.int16)
    levels = band_levels(pcm[: int(clip.phrases[0][0] * RATE) // 320 * 320].reshape(-1, 320), RATE)
    assert -45 < float(np.median(levels)) < -35            # the pause really is near -39 dBFS
    cues = _cues(pcm)
    assert len(cues) == len(clip.phrases)
    assert score_cuts(cues, clip).share == 1.0


def test_a_quiet_clean_speaker_is_not_taken_for_silence():
    pcm, spans = speechlike((2.0, 2.5), (0.8,))
    quiet = (pcm * 10 ** (-38 / 20)).astype(np.int16)      # speech peaks near -50 dBFS
    cues = _cues(quiet)
    assert len(cues) == len(spans)
    assert all(abs(a - s) <= 0.3 and abs(b - e) <= 0.3 for (a, b), (s, e) in zip(cues, spans))


def test_steady_background_alone_is_no_speech():
    """Noise and hum alone are all floor. (A music bed alone is not: struck chords stand out of
    it as speech does, and an energy detector cannot tell them apart; such pieces are sent.)"""
    from mediasynth import background

    for kind in ("white", "pink", "hum"):
        pcm = (background(kind, 10 * RATE, seed=5) * 0.05 * 32767).astype(np.int16)
        assert _cues(pcm) == [], kind


def test_hysteresis_keeps_a_syllables_soft_middle_in_the_speech():
    gate = LevelGate(-60.0)
    levels = [-50.0] * 100 + [-20.0, -30.0, -38.0, -30.0, -20.0] + [-50.0] * 200
    marks = [m for level in levels for m in gate.push(level)] + gate.finish()
    speech = [m.index for m in marks if m.speech]
    # on at -20 (above floor + 45% of the rise), held through -38 (above the 30% off level)
    assert speech == list(range(100, 105))
