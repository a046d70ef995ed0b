"""Which 20 ms frames are speech, judged against the recording's own noise floor and speech level.

A fixed threshold (``-40 dBFS``) sees no pause in a room recording whose pauses sit at
``-39 dBFS``, and cuts a quiet speaker into nothing. Here each frame's level is measured
in the speech band (150-4000 Hz, Hann-windowed FFT: mains hum at 50/60 Hz and rumble fall
outside it) and compared with two figures taken from the levels around it (the last
``HISTORY_SECONDS`` and the next ``LOOKAHEAD_SECONDS``): the **noise floor** (10th
percentile) and the **speech level** (95th percentile). A frame turns speech when it rises
``ON_SHARE`` of the way from floor to speech level (at least ``MIN_RISE_DB`` above the
floor) and stays speech until it falls below ``OFF_SHARE`` of the way (hysteresis, so a
syllable's soft middle does not flicker). Stationary noise, hum and a music bed all
become the floor; what stands out of it is speech.

A frame is also marked *audible* when it is a little above the floor
(``AUDIBLE_SHARE``): the cutter widens a piece over audible frames next to it, so a cue
starts where a word's sound begins, not where it became loud enough to be sure of.

Measured against webrtcvad (``webrtcvad-wheels``) on the test set of
``tests/media/test_media_vad.py``: see the README's "Audio and video" section.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

FRAME_SECONDS = 0.02
HISTORY_SECONDS = 20.0
LOOKAHEAD_SECONDS = 3.0
UPDATE_FRAMES = 25              # thresholds are recomputed every half second, not every frame
FLOOR_PERCENTILE, SPEECH_PERCENTILE = 10, 95
ON_SHARE, OFF_SHARE, AUDIBLE_SHARE = 0.45, 0.3, 0.12
MIN_RISE_DB = 6.0               # stationary noise never rises this far above its own 10th percentile
BAND_HZ = (150.0, 4000.0)
SILENT_DB = -100.0              # the level of digital silence (log of zero)


def band_levels(frames: np.ndarray, rate: int) -> np.ndarray:
    """Levels in dBFS of the speech band of each row of ``frames`` (int16 samples)."""
    n = frames.shape[1]
    window = np.hanning(n)
    spectrum = np.abs(np.fft.rfft(frames.astype(np.float64) / 32768.0 * window, axis=1)) ** 2
    freqs = np.fft.rfftfreq(n, 1 / rate)
    band = (freqs >= BAND_HZ[0]) & (freqs <= BAND_HZ[1])
    # scaled so a full-scale sine in the band reads about 0 dBFS (window power and one-sided spectrum)
    power = spectrum[:, band].sum(axis=1) * 2 / (n * np.sum(window ** 2))
    levels: np.ndarray = 10 * np.log10(np.maximum(power, 10 ** (SILENT_DB / 10)))
    return levels


@dataclass(frozen=True)
class Decision:
    index: int                  # frame number from the stream's start
    level: float                # dBFS in the speech band
    speech: bool
    audible: bool               # above the floor, if not surely speech


class LevelGate:
    """Levels in, speech decisions out, ``LOOKAHEAD_SECONDS`` behind (the lookahead).

    ``silence_db``: frames quieter than this are pauses whatever the recording (and a
    floor is never taken below it), so digital silence and near-silence do not make every
    breath look like speech.
    """

    def __init__(self, silence_db: float = -60.0):
        self.silence_db = silence_db
        self._history: deque[float] = deque(maxlen=int((HISTORY_SECONDS + LOOKAHEAD_SECONDS) / FRAME_SECONDS))
        self._pending: deque[float] = deque()
        self._ahead = int(LOOKAHEAD_SECONDS / FRAME_SECONDS)
        self._next = 0              # the next frame to decide
        self._since = UPDATE_FRAMES
        self._speech = False
        self.floor = silence_db
        self._on = self._off = self._audible = silence_db

    def push(self, level: float) -> list[Decision]:
        self._history.append(level)
        self._pending.append(level)
        return self._drain(self._ahead)

    def finish(self) -> list[Decision]:
        return self._drain(0)

    def _drain(self, keep: int) -> list[Decision]:
        out = []
        while len(self._pending) > keep:
            if self._since >= UPDATE_FRAMES:
                self._thresholds()
                self._since = 0
            self._since += 1
            level = self._pending.popleft()
            if level < self.silence_db:
                self._speech = False
            elif self._speech:
                self._speech = level >= self._off
            else:
                self._speech = level >= self._on
            out.append(Decision(self._next, level, self._speech, level >= self._audible))
            self._next += 1
        return out

    def _thresholds(self) -> None:
        levels = np.fromiter(self._history, dtype=np.float64)
        floor = max(float(np.percentile(levels, FLOOR_PERCENTILE)), self.silence_db)
        peak = max(float(np.percentile(levels, SPEECH_PERCENTILE)), floor)
        rise = peak - floor
        self.floor = floor
        self._on = floor + max(MIN_RISE_DB, ON_SHARE * rise)
        self._off = floor + max(MIN_RISE_DB * OFF_SHARE / ON_SHARE, OFF_SHARE * rise)
        self._audible = floor + max(1.5, AUDIBLE_SHARE * rise)
