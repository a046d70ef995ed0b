"""The dubbed track: each cue's speech at its start time, on a track as long as the source.

The model speaks PCM16 mono at 24 kHz. A cue's speech should fit its slot (the cue's
own span on the source). Longer speech is first sped up, without changing its pitch
(FFmpeg's ``atempo`` through PyAV), by at most ``max_speed`` (anchors use 1.0-1.4x);
what is still too long may run into the pause after the cue, up to the next cue's
start (or the end of the source, for the last cue). A few milliseconds over
(``ABSORB_SECONDS``: an encoder's padding, a rounding of the speed-up) are trimmed with a
short fade and counted in ``DubReport.trimmed``; a real overrun is cut there and
**reported** for that cue with its size (never silently). The track is written as it is assembled, cue by cue,
so memory holds one cue's speech at a time.
"""
from __future__ import annotations

import wave
from dataclasses import dataclass, field
from fractions import Fraction
from typing import BinaryIO, Callable, Iterable, NamedTuple

import av
import numpy as np

from pipeline.service_facts import SPEECH_RATE  # the model's speech: PCM16 mono at 24 kHz
MAX_SPEED = 1.4
ABSORB_SECONDS = 0.05           # an overrun this small is no one's concern: trimmed, not reported
FADE_SECONDS = 0.01


class Overrun(NamedTuple):
    start: float                # the cue on the source timeline
    seconds: float              # how much speech was cut
    last: bool                  # cut at the end of the source (no next cue), not where the next cue starts


@dataclass(frozen=True)
class Placement:
    start: float                # the cue on the source timeline
    end: float
    next_start: float           # where the next cue starts (the track's end for the last)
    speech: Callable[[], bytes]  # the cue's PCM16 speech, read when placed


@dataclass
class DubReport:
    sped_up: int = 0            # cues sped up to fit
    into_pause: int = 0         # cues that ran into the following pause
    trimmed: int = 0            # cues a few milliseconds too long, trimmed with a fade
    overruns: list[Overrun] = field(default_factory=list)
    samples: int = 0


def assemble(out: BinaryIO, total_seconds: float, placements: Iterable[Placement],
             max_speed: float = MAX_SPEED) -> DubReport:
    """Write the track as WAV to ``out`` (seekable); what had to be done, per cue."""
    report = DubReport()
    total = round(total_seconds * SPEECH_RATE)
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SPEECH_RATE)
        pos = 0
        for p in placements:
            speech = np.frombuffer(p.speech(), dtype="<i2")
            if speech.size == 0:
                continue
            start = max(pos, round(p.start * SPEECH_RATE))
            slot = max(1, round(p.end * SPEECH_RATE) - start)
            limit = min(total, round(p.next_start * SPEECH_RATE))
            room = max(0, limit - start)
            if speech.size > slot:
                factor = min(max_speed, speech.size / slot)
                if factor > 1.001:
                    speech = tempo(speech, factor)
                    report.sped_up += 1
                if speech.size > slot:
                    report.into_pause += 1
            if speech.size > room:
                over = speech.size - room
                if over <= ABSORB_SECONDS * SPEECH_RATE:
                    report.trimmed += 1
                else:
                    report.overruns.append(Overrun(p.start, round(over / SPEECH_RATE, 3), limit >= total))
                speech = _fade_out(speech[:room])
            if start > pos:
                w.writeframes(bytes(2 * (start - pos)))
            w.writeframes(speech.astype("<i2").tobytes())
            pos = start + speech.size
        if total > pos:
            w.writeframes(bytes(2 * (total - pos)))
            pos = total
        report.samples = pos
    return report


def _fade_out(pcm: np.ndarray) -> np.ndarray:
    """``pcm`` ending in a short fade, so a cut does not click."""
    n = min(pcm.size, int(FADE_SECONDS * SPEECH_RATE))
    if n == 0:
        return pcm
    out = pcm.astype(np.float64)
    out[-n:] *= np.linspace(1, 0, n)
    return out.astype(np.int16)


def tempo(pcm: np.ndarray, factor: float, rate: int = SPEECH_RATE) -> np.ndarray:
    """``pcm`` played ``factor`` times faster at the same pitch (FFmpeg atempo)."""
    graph = av.filter.Graph()
    src = graph.add_abuffer(format="s16", sample_rate=rate, layout="mono", time_base=Fraction(1, rate))
    stretch = graph.add("atempo", f"{factor:.4f}")
    sink = graph.add("abuffersink")
    src.link_to(stretch)
    stretch.link_to(sink)
    graph.configure()
    frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1).astype(np.int16), format="s16", layout="mono")
    frame.sample_rate, frame.pts = rate, 0
    graph.push(frame)
    graph.push(None)
    out = []
    while True:
        try:
            out.append(graph.pull().to_ndarray().reshape(-1))
        except (av.error.BlockingIOError, av.error.EOFError):
            break
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int16)
