"""Cutting speech at pauses into pieces of about 1-15 seconds, as the audio streams by.

The signal is looked at in 20 ms frames, and :mod:`pipeline.media.vad` says which
are speech, relative to the recording's own noise floor and speech level (so a room's
air-conditioning, mains hum or a music bed is not taken for speech, nor quiet speech for
silence). A piece starts at the first speech and ends where a pause of at least
``pause_seconds`` begins, once it holds ``min_seconds`` of sound (a short phrase
followed by a long pause stands alone). A piece that reaches ``max_seconds`` without
such a pause is cut at the quietest point of its second half (the middle of its
longest non-speech run, else its quietest frame) and marked ``forced``, so the file's
report can say so. Each piece is padded by ``PAD_FRAMES`` and widened over the *audible*
frames next to its speech (at most ``WIDEN_FRAMES``), so it starts where a word's sound begins and ends where the
speech stops, never inside a word: its start and end are the detected speech on the
source timeline, and subtitles are timed by them.

Only the current piece and the detector's lookahead are kept in memory (at most
``max_seconds`` plus three seconds of 16 kHz PCM).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np

from pipeline.media.vad import FRAME_SECONDS, Decision, LevelGate, band_levels

LONG_PAUSE_SECONDS = 1.0        # a pause this long ends even a piece shorter than min_seconds
MIN_SOUND_FRAMES = 3            # a blip of speech shorter than this (60 ms) is noise, not a piece
PAD_FRAMES = 3                  # 60 ms kept on each side of the speech: a soft onset is heard a frame or two late
WIDEN_FRAMES = 6                # and then at most 120 ms more of audible sound on each side


@dataclass(frozen=True)
class AudioPiece:
    index: int
    start: float                # seconds on the source timeline: where the detected speech starts
    end: float                  # ... and stops
    pcm: np.ndarray             # int16 mono at the cutter's rate
    forced: bool = False        # cut at max_seconds at its quietest point: no pause was found

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class CutSettings:
    min_seconds: float = 1.0
    max_seconds: float = 15.0
    pause_seconds: float = 0.3
    silence_db: float = -60.0   # quieter than this is a pause whatever the recording's level


class PauseCutter:
    """Feed PCM blocks, get :class:`AudioPiece` objects as pauses are found."""

    def __init__(self, rate: int, settings: CutSettings):
        self.rate = rate
        self.s = settings
        self.frame = int(rate * FRAME_SECONDS)
        self.gate = LevelGate(settings.silence_db)
        self._carry = np.zeros(0, dtype=np.int16)
        self._waiting: deque[np.ndarray] = deque()      # frames the detector has not decided yet
        self._before: deque[tuple[np.ndarray, Decision]] = deque(maxlen=PAD_FRAMES + WIDEN_FRAMES)
        self._frames: list[np.ndarray] = []             # the current piece's frames
        self._marks: list[Decision] = []                # and the detector's decisions on them
        self._count = 0
        self.samples = 0                                # samples fed (the source's length)

    def feed(self, block: np.ndarray) -> list[AudioPiece]:
        self.samples += block.size
        data = np.concatenate([self._carry, block]) if self._carry.size else block
        whole = data.size // self.frame * self.frame
        self._carry = data[whole:].copy()
        if not whole:
            return []
        frames = data[:whole].reshape(-1, self.frame)
        out: list[AudioPiece] = []
        for frame, level in zip(frames, band_levels(frames, self.rate)):
            self._waiting.append(frame)
            for mark in self.gate.push(float(level)):
                out.extend(self._step(self._waiting.popleft(), mark))
        return out

    def finish(self) -> list[AudioPiece]:
        """The last pieces, once the stream has ended."""
        out: list[AudioPiece] = []
        if self._carry.size:  # a partial last frame, padded with silence
            frame = np.concatenate([self._carry, np.zeros(self.frame - self._carry.size, dtype=np.int16)])
            self._carry = np.zeros(0, dtype=np.int16)
            self._waiting.append(frame)
            self.gate.push(float(band_levels(frame.reshape(1, -1), self.rate)[0]))
        for mark in self.gate.finish():
            out.extend(self._step(self._waiting.popleft(), mark))
        return out + self._emit(len(self._frames), forced=False)

    def _step(self, frame: np.ndarray, mark: Decision) -> list[AudioPiece]:
        if not self._frames:
            if not mark.speech:
                self._before.append((frame, mark))
                return []
            self._frames = [f for f, _ in self._before]
            self._marks = [m for _, m in self._before]
            self._before.clear()
        self._frames.append(frame)
        self._marks.append(mark)
        fs = 1 / FRAME_SECONDS
        run = self._pause_run()
        sound = len(self._frames) - run
        if run >= self.s.pause_seconds * fs and (sound >= self.s.min_seconds * fs or run >= LONG_PAUSE_SECONDS * fs):
            return self._emit(len(self._frames), forced=False)
        if len(self._frames) >= self.s.max_seconds * fs:
            return self._emit(self._forced_cut(), forced=True)
        return []

    def _pause_run(self) -> int:
        run = 0
        for mark in reversed(self._marks):
            if mark.speech:
                break
            run += 1
        return run

    def _forced_cut(self) -> int:
        """Where to cut a piece that reached the maximum: in its second half, at the
        middle of the longest non-speech run, else at the quietest frame."""
        half = len(self._marks) // 2
        marks = self._marks[half:]
        best, best_len, i = None, 0, 0
        while i < len(marks):
            if not marks[i].speech:
                j = i
                while j < len(marks) and not marks[j].speech:
                    j += 1
                if j - i > best_len:
                    best, best_len = (i + j) // 2, j - i
                i = j
            else:
                i += 1
        if best is None:
            best = int(np.argmin([m.level for m in marks]))
        return max(1, half + best)

    def _emit(self, upto: int, *, forced: bool) -> list[AudioPiece]:
        """The piece of frames [0, upto) trimmed to its speech (widened over audible sound
        next to it); the frames after the cut are stepped again to begin the next piece."""
        frames, marks = self._frames[:upto], self._marks[:upto]
        rest = list(zip(self._frames[upto:], self._marks[upto:]))
        self._frames, self._marks = [], []
        out: list[AudioPiece] = []
        speech = [k for k, m in enumerate(marks) if m.speech]
        if len(speech) >= MIN_SOUND_FRAMES:
            first, last = max(0, speech[0] - PAD_FRAMES), min(len(marks), speech[-1] + 1 + PAD_FRAMES)
            while first > 0 and speech[0] - first < PAD_FRAMES + WIDEN_FRAMES and marks[first - 1].audible:
                first -= 1
            while last < len(marks) and last - speech[-1] - 1 < PAD_FRAMES + WIDEN_FRAMES and marks[last].audible:
                last += 1
            pcm = np.concatenate(frames[first:last])
            begin = marks[first].index * self.frame / self.rate
            out.append(AudioPiece(self._count, round(begin, 3), round(begin + pcm.size / self.rate, 3), pcm, forced))
            self._count += 1
        for frame, mark in rest:
            out.extend(self._step(frame, mark))
        return out


def cut_pieces(blocks: Iterable[np.ndarray], rate: int, settings: CutSettings) -> Iterator[AudioPiece]:
    """Pieces of the speech in ``blocks`` (a stream), in order."""
    cutter = PauseCutter(rate, settings)
    for block in blocks:
        yield from cutter.feed(block)
    yield from cutter.finish()
