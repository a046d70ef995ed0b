"""Cutting speech at pauses into pieces of about 1-15 seconds, as the audio streams by.

The signal is looked at in 20 ms frames. A frame is silent when its level is below
``silence_db`` (dBFS). A piece starts at the first sound and ends where a pause of at
least ``pause_seconds`` begins, once it holds ``min_seconds`` of sound (a short phrase
followed by a long pause stands alone). A piece that reaches ``max_seconds`` without
such a pause is cut at the quietest point of its second half: the middle of its
longest silent run, else its quietest frame, so a cut never falls inside a word when
the speaker draws breath at all. Pause frames are trimmed from both ends, so a piece's
start and end are where sound starts and stops on the source timeline.

Only the current piece is kept in memory (at most ``max_seconds`` of 16 kHz PCM).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np

FRAME_SECONDS = 0.02
LONG_PAUSE_SECONDS = 1.0        # a pause this long ends even a piece shorter than min_seconds
MIN_SOUND_FRAMES = 3            # a trailing blip shorter than this (60 ms) is noise, not a piece


@dataclass(frozen=True)
class Piece:
    index: int
    start: float                # seconds on the source timeline
    end: float
    pcm: np.ndarray             # int16 mono at the cutter's rate

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class CutSettings:
    min_seconds: float = 1.0
    max_seconds: float = 15.0
    pause_seconds: float = 0.3
    silence_db: float = -40.0


class PauseCutter:
    """Feed PCM blocks, get :class:`Piece` objects as pauses are found."""

    def __init__(self, rate: int, settings: CutSettings):
        self.rate = rate
        self.s = settings
        self.frame = int(rate * FRAME_SECONDS)
        self._threshold = 32768.0 * 10 ** (settings.silence_db / 20)
        self._carry = np.zeros(0, dtype=np.int16)
        self._frames: list[np.ndarray] = []   # the current piece's frames
        self._loud: list[float] = []          # their RMS levels
        self._start = 0                       # frame index of the piece's first frame
        self._at = 0                          # frames seen so far
        self._count = 0
        self.samples = 0                      # samples fed (the source's length)

    def feed(self, block: np.ndarray) -> list[Piece]:
        self.samples += block.size
        data = np.concatenate([self._carry, block]) if self._carry.size else block
        whole = data.size // self.frame * self.frame
        self._carry = data[whole:].copy()
        out: list[Piece] = []
        for frame in data[:whole].reshape(-1, self.frame):
            out.extend(self._step(frame))
        return out

    def finish(self) -> list[Piece]:
        """The last piece, once the stream has ended."""
        out: list[Piece] = []
        if self._carry.size:  # a partial last frame, padded with silence
            frame = np.concatenate([self._carry, np.zeros(self.frame - self._carry.size, dtype=np.int16)])
            self._carry = np.zeros(0, dtype=np.int16)
            out.extend(self._step(frame))
        piece = self._emit(len(self._frames))
        return out + ([piece] if piece else [])

    def _step(self, frame: np.ndarray) -> list[Piece]:
        level = float(np.sqrt(np.mean(frame.astype(np.float64) ** 2)))
        self._at += 1
        silent = level < self._threshold
        if not self._frames:
            if silent:
                return []
            self._start = self._at - 1
        self._frames.append(frame)
        self._loud.append(level)
        run = self._silent_run()
        sound = len(self._frames) - run
        fs = 1 / FRAME_SECONDS
        if run >= self.s.pause_seconds * fs and (sound >= self.s.min_seconds * fs or run >= LONG_PAUSE_SECONDS * fs):
            piece = self._emit(len(self._frames))
            return [piece] if piece else []
        if len(self._frames) >= self.s.max_seconds * fs:
            piece = self._emit(self._forced_cut())
            return [piece] if piece else []
        return []

    def _silent_run(self) -> int:
        run = 0
        for level in reversed(self._loud):
            if level >= self._threshold:
                break
            run += 1
        return run

    def _forced_cut(self) -> int:
        """Where to cut a piece that reached the maximum: in its second half, at the
        middle of the longest silent run, else at the quietest frame."""
        half = len(self._loud) // 2
        levels = self._loud[half:]
        best, best_len, i = None, 0, 0
        while i < len(levels):
            if levels[i] < self._threshold:
                j = i
                while j < len(levels) and levels[j] < self._threshold:
                    j += 1
                if j - i > best_len:
                    best, best_len = (i + j) // 2, j - i
                i = j
            else:
                i += 1
        if best is None:
            best = int(np.argmin(levels))
        return max(1, half + best)

    def _emit(self, upto: int) -> Piece | None:
        """The piece of frames [0, upto), trimmed of silence; the rest starts the next."""
        frames, levels, start = self._frames[:upto], self._loud[:upto], self._start
        rest, rest_levels = self._frames[upto:], self._loud[upto:]
        self._frames, self._loud = [], []
        # what follows the cut begins the next piece (from its first sound)
        lead = next((k for k, lv in enumerate(rest_levels) if lv >= self._threshold), None)
        if lead is not None:
            self._frames, self._loud = rest[lead:], rest_levels[lead:]
            self._start = start + upto + lead
        loud = [k for k, lv in enumerate(levels) if lv >= self._threshold]
        if len(loud) < MIN_SOUND_FRAMES:
            return None
        first, last = loud[0], loud[-1] + 1
        pcm = np.concatenate(frames[first:last])
        begin = (start + first) * self.frame / self.rate
        piece = Piece(self._count, round(begin, 3), round(begin + pcm.size / self.rate, 3), pcm)
        self._count += 1
        return piece


def cut_pieces(blocks: Iterable[np.ndarray], rate: int, settings: CutSettings) -> Iterator[Piece]:
    """Pieces of the speech in ``blocks`` (a stream), in order."""
    cutter = PauseCutter(rate, settings)
    for block in blocks:
        yield from cutter.feed(block)
    yield from cutter.finish()
