"""Speech-like test media with known pauses: the sample clips and the tests' fixtures.

No voice is recorded or synthesised here: a "phrase" is a run of syllable-like voiced
bursts (a harmonic tone under a smooth envelope, 40-60 ms apart, so no pause inside a
phrase reaches the cutter's 0.3 s), and phrases are separated by silences of known
length. That is what the cutter sees in real speech, with the pauses known exactly.

Test data, not part of the package: the media tests and ``bench/bench_media.py`` import it.
``python tests/mediasynth.py OUT_DIR`` writes the sample clip
(``talk.wav``, mono 16 kHz, about 15 s) and a short video (``demo.mp4``: 160x120
H.264 at 10 fps, AAC audio) into OUT_DIR; ``make sample-media`` runs it for
``sample_docs/media/``.
"""
from __future__ import annotations

import sys
import wave
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np

from pipeline.media.clips import encode_pcm

RATE = 16_000
SAMPLE_PHRASES = (2.0, 3.2, 1.6, 4.0)       # seconds of "speech"
SAMPLE_PAUSES = (0.8, 1.0, 0.7)             # seconds of silence between them
LEAD, TAIL = 0.5, 0.6


def phrase(seconds: float, seed: int, rate: int = RATE) -> np.ndarray:
    """One phrase: voiced bursts of 150-260 ms with 40-60 ms gaps, float in [-1, 1]."""
    return phrase_with_words(seconds, seed, rate)[0]


def phrase_with_words(seconds: float, seed: int, rate: int = RATE) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """:func:`phrase`, and the (start, end) of each burst (a "word") from the phrase's start."""
    rng = np.random.default_rng(seed)
    out: list[np.ndarray] = []
    words: list[tuple[float, float]] = []
    total = int(seconds * rate)
    at = 0
    while at < total:
        n = int(rng.uniform(0.15, 0.26) * rate)
        t = np.arange(n) / rate
        f0 = rng.uniform(110, 210)
        tone = sum(np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6.28)) / k for k in range(1, 6))
        out.append(0.25 * tone * np.hanning(n))
        words.append((at / rate, min(at + n, total) / rate))
        gap = int(rng.uniform(0.04, 0.06) * rate)
        out.append(np.zeros(gap))
        at += n + gap
    signal = np.concatenate(out)[:total]
    signal[-int(0.01 * rate):] *= np.linspace(1, 0, int(0.01 * rate))  # end on silence
    return signal, words


def speechlike(phrases: tuple[float, ...], pauses: tuple[float, ...], *, lead: float = LEAD, tail: float = TAIL,
               rate: int = RATE, seed: int = 7) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """PCM16 mono of ``phrases`` separated by ``pauses``, and each phrase's (start, end)."""
    parts = [np.zeros(int(lead * rate))]
    spans, at = [], lead
    for i, seconds in enumerate(phrases):
        parts.append(phrase(seconds, seed + i, rate))
        spans.append((round(at, 3), round(at + seconds, 3)))
        at += seconds
        gap = pauses[i] if i < len(pauses) else tail
        parts.append(np.zeros(int(gap * rate)))
        at += gap
    pcm = np.clip(np.concatenate(parts) * 32767, -32768, 32767).astype(np.int16)
    return pcm, spans


# --- speech over background: the detector's test set --------------------------------------

BACKGROUNDS = ("white", "pink", "hum", "music")


@dataclass(frozen=True)
class NoisyClip:
    """A clip of speech-like phrases over a background, with the truth to score against."""

    pcm: np.ndarray                         # int16 mono at RATE
    phrases: list[tuple[float, float]]      # each phrase's (start, end): the true pauses lie between
    words: list[tuple[float, float]]        # each burst's (start, end), on the clip's timeline
    background: str
    snr_db: float


def background(kind: str, n: int, seed: int, rate: int = RATE) -> np.ndarray:
    """``n`` samples of a background at unit power: white or pink noise, mains hum (50 Hz and
    its odd harmonics, as a buzzing transformer sounds) or a music bed (chords of sustained
    notes changing every 0.4-0.9 s, each struck with a soft attack and decaying)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate
    if kind == "white":
        x = rng.standard_normal(n)
    elif kind == "pink":  # 1/f power: white noise shaped in the frequency domain
        spectrum = np.fft.rfft(rng.standard_normal(n))
        f = np.fft.rfftfreq(n, 1 / rate)
        spectrum[1:] /= np.sqrt(f[1:])
        spectrum[0] = 0
        x = np.fft.irfft(spectrum, n)
    elif kind == "hum":
        x = sum(np.sin(2 * np.pi * 50 * k * t + rng.uniform(0, 6.28)) / k for k in (1, 3, 5, 7))
        x = x + 0.05 * rng.standard_normal(n)
    elif kind == "music":
        x = np.zeros(n)
        at = 0
        while at < n:
            length = min(n - at, int(rng.uniform(0.4, 0.9) * rate))
            tt = np.arange(length) / rate
            root = 110 * 2 ** (rng.integers(0, 12) / 12)
            chord = sum(np.sin(2 * np.pi * root * r * h * tt) / h for r in (1, 1.26, 1.5) for h in (1, 2, 3))
            envelope = np.minimum(1, tt / 0.03) * (0.6 + 0.4 * np.exp(-tt / 0.3))
            x[at:at + length] = chord * envelope
            at += length
    else:
        raise ValueError(f"unknown background {kind!r} (known: {', '.join(BACKGROUNDS)})")
    return x / np.sqrt(np.mean(x ** 2))


def noisy_clip(kind: str, snr_db: float, seed: int, *, phrases: int = 5, rate: int = RATE) -> NoisyClip:
    """Phrases of 1.2-4 s with pauses of 0.4-1.2 s over the background ``kind`` at ``snr_db``
    (speech power over the phrases against the background's power)."""
    return noisy_clips(kind, (snr_db,), seed, phrases=phrases, rate=rate)[0]


def noisy_clips(kind: str, snrs: tuple[float, ...], seed: int, *, phrases: int = 5,
                rate: int = RATE) -> list[NoisyClip]:
    """:func:`noisy_clip` at each of ``snrs``: the same clips, the speech and the background
    made once for all of them (most of a clip's cost; the mix is a scaling)."""
    rng = np.random.default_rng(1000 + seed)
    lead = float(rng.uniform(0.5, 1.0))
    parts, spans, words = [np.zeros(int(lead * rate))], [], []
    for i in range(phrases):
        seconds = float(rng.uniform(1.2, 4.0))
        signal, bursts = phrase_with_words(seconds, seed * 100 + i, rate)
        signal *= 10 ** (rng.uniform(-4, 2) / 20)       # speakers are not all equally loud
        parts.append(signal)
        start = sum(p.size for p in parts[:-1]) / rate
        spans.append((start, start + signal.size / rate))
        words += [(start + a, start + b) for a, b in bursts]
        parts.append(np.zeros(int(rng.uniform(0.4, 1.2) * rate if i < phrases - 1 else 0.8 * rate)))
    speech = np.concatenate(parts)
    active = np.concatenate([speech[int(a * rate):int(b * rate)] for a, b in spans])
    unit = background(kind, speech.size, seed, rate)
    phrase_spans = [(round(a, 4), round(b, 4)) for a, b in spans]
    clips = []
    for snr_db in snrs:
        noise = unit * np.sqrt(np.mean(active ** 2)) * 10 ** (-snr_db / 20)
        mixed = speech + noise
        mixed *= 0.5 / max(1e-9, float(np.max(np.abs(mixed))))   # peaks at -6 dBFS, as a recorder's gain would
        pcm = np.clip(mixed * 32767, -32768, 32767).astype(np.int16)
        clips.append(NoisyClip(pcm, phrase_spans, list(words), kind, snr_db))
    return clips


WORD_EDGE = 0.02     # a burst's first and last 20 ms are below -20 dB of its peak (its Hann envelope)


@dataclass(frozen=True)
class CutScore:
    """How cues (start, end) fall against a :class:`NoisyClip`'s truth."""

    within: int             # true phrase boundaries with a cue boundary of the same kind within the tolerance
    boundaries: int         # boundaries counted: the truth's or the cues', whichever are more
    starts_in_word: int     # cues that start inside a burst
    ends_in_word: int       # cues that end before a burst's speech has ended

    @property
    def share(self) -> float:
        return self.within / self.boundaries if self.boundaries else 1.0


def score_cuts(cues: list[tuple[float, float]], clip: NoisyClip, tolerance: float = 0.3) -> CutScore:
    starts, ends = [a for a, _ in cues], [b for _, b in cues]
    within = sum(any(abs(s - a) <= tolerance for s in starts) for a, _ in clip.phrases)
    within += sum(any(abs(e - b) <= tolerance for e in ends) for _, b in clip.phrases)
    inside_start = sum(any(a + WORD_EDGE < s < b for a, b in clip.words) for s in starts)
    inside_end = sum(any(a < e < b - WORD_EDGE for a, b in clip.words) for e in ends)
    return CutScore(within, 2 * max(len(clip.phrases), len(cues)), inside_start, inside_end)


def write_wav(path: Path | BinaryIO, pcm: np.ndarray, rate: int = RATE) -> None:
    with wave.open(path if hasattr(path, "write") else str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())


def write_audio(path: Path, pcm: np.ndarray, rate: int = RATE) -> None:
    """Encode ``pcm`` in the format the suffix names (.mp3, .flac, .ogg, .m4a ...)."""
    codec = {".mp3": "libmp3lame", ".flac": "flac", ".ogg": "libopus", ".opus": "libopus",
             ".m4a": "aac", ".aac": "aac"}[path.suffix.lower()]
    out_rate = 48_000 if codec == "libopus" else rate
    with av.open(str(path), "w", format="mp4" if path.suffix.lower() == ".m4a" else None) as out:
        stream = out.add_stream(codec, rate=out_rate, layout="mono")
        encode_pcm(out, stream, pcm, rate)


def write_video(path: Path, pcm: np.ndarray, rate: int = RATE, *, size: tuple[int, int] = (160, 120),
                fps: int = 10) -> None:
    """A small video (moving colour bars) carrying ``pcm``: H.264 and AAC, or VP9 and Opus for .webm."""
    seconds = pcm.size / rate
    webm = path.suffix.lower() == ".webm"
    with av.open(str(path), "w") as out:
        video = out.add_stream("libvpx-vp9" if webm else "libx264", rate=fps)
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        video.codec_context.time_base = Fraction(1, fps)
        audio = out.add_stream("libopus", rate=48_000, layout="mono") if webm else \
            out.add_stream("aac", rate=rate, layout="mono")
        for i in range(int(seconds * fps)):
            img = np.zeros((size[1], size[0], 3), dtype=np.uint8)
            img[:, :, 0] = (np.arange(size[0]) * 2 + i * 8) % 256
            img[:, :, 1] = 96
            img[:, :, 2] = (i * 16) % 256
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
        encode_pcm(out, audio, pcm, rate)


def write_video_only(path: Path, *, seconds: float = 1.0, fps: int = 10) -> None:
    """A video without an audio stream (for the "no audio stream" case)."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(int(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 20 % 256, dtype=np.uint8), format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def write_unknown_codec_wav(path: Path, pcm: np.ndarray) -> None:
    """A WAV whose format tag no decoder knows (the "unknown codec" case)."""
    write_wav(path, pcm)
    data = bytearray(path.read_bytes())
    data[20:22] = (0x7777).to_bytes(2, "little")
    path.write_bytes(bytes(data))


def write_long_flac(path: Path, minutes: float, seed: int = 3) -> float:
    """``minutes`` of phrases (1.5-6 s) and pauses (0.35-1.2 s) as a 16 kHz FLAC, written
    phrase by phrase (no memory needed); its length in seconds."""
    rng = np.random.default_rng(seed)
    total, i = 0.0, 0
    with av.open(str(path), "w") as out:
        stream = out.add_stream("flac", rate=RATE, layout="mono")
        while total < minutes * 60:
            seconds, pause = float(rng.uniform(1.5, 6.0)), float(rng.uniform(0.35, 1.2))
            pcm = np.concatenate([phrase(seconds, seed + i), np.zeros(int(pause * RATE))])
            frame = av.AudioFrame.from_ndarray((pcm * 32767).astype(np.int16).reshape(1, -1), format="s16",
                                               layout="mono")
            frame.sample_rate = RATE
            for packet in stream.encode(frame):
                out.mux(packet)
            total += pcm.size / RATE
            i += 1
        for packet in stream.encode(None):
            out.mux(packet)
    return total


def write_samples(folder: Path) -> list[Path]:
    """The sample clip and video of ``sample_docs/media/``."""
    folder.mkdir(parents=True, exist_ok=True)
    pcm, _ = speechlike(SAMPLE_PHRASES, SAMPLE_PAUSES)
    write_wav(folder / "talk.wav", pcm)
    short, _ = speechlike((1.8, 2.4), (0.8,), seed=21)
    write_video(folder / "demo.mp4", short)
    return [folder / "talk.wav", folder / "demo.mp4"]


if __name__ == "__main__":  # pragma: no cover - a maintenance script
    for written in write_samples(Path(sys.argv[1] if len(sys.argv) > 1 else "sample_docs/media")):
        print(f"wrote {written} ({written.stat().st_size} bytes)")
