"""Reading media files with PyAV: what is in them, and their sound as a stream of PCM.

PyAV (the ``av`` wheels bundle FFmpeg, so nothing but the package index is needed, on
Python 3.11-3.13) decodes every format of the job's globs: wav, mp3, m4a/aac, flac,
ogg/opus, mp4, mov, mkv, webm. The sound is decoded packet by packet and resampled to
16 kHz mono PCM16 as it goes: a two-hour file is never held in memory whole.

Every way a file can be bad (not media at all, no audio stream, zero seconds, a codec
FFmpeg does not know, cut short) becomes a one-line :class:`FileError`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import av
import numpy as np
from av.audio.stream import AudioStream
from av.container import InputContainer

from pipeline.errors import FileError

RATE = 16_000                   # what pieces are cut and sent at
TRUNCATED_SHARE = 0.9           # decoding less than this share of the declared length: cut short
# Containers whose length FFmpeg only guesses from the bit rate (raw ADTS AAC): a declared
# length there proves nothing, so they are never called truncated.
GUESSED_LENGTH_FORMATS = frozenset({"aac"})


@dataclass(frozen=True)
class MediaInfo:
    duration: float             # seconds, as the container declares (0 when unknown)
    has_video: bool
    width: int = 0
    height: int = 0
    fps: float = 0.0


def _open(path: Path) -> InputContainer:
    try:
        return av.open(str(path))
    except av.error.InvalidDataError:
        raise FileError(path, "not a media file FFmpeg can read (damaged, or another kind of file renamed)") from None
    except av.FFmpegError as exc:
        raise FileError(path, f"cannot open as media: {_one_line(exc)}") from None


def probe(path: Path) -> MediaInfo:
    """What the file holds; FileError when it has no usable audio stream."""
    with _open(path) as container:
        audio = _audio_stream(container, path)
        video = next((s for s in container.streams.video if s.codec_context is not None), None)
        duration = _declared_seconds(container, audio)
        if video is None:
            return MediaInfo(duration, False)
        fps = float(video.average_rate or video.guessed_rate or 0)
        return MediaInfo(duration, True, video.codec_context.width, video.codec_context.height, fps)


def _audio_stream(container: InputContainer, path: Path) -> AudioStream:
    if not container.streams.audio:
        raise FileError(path, "no audio stream: nothing to translate")
    stream = container.streams.audio[0]
    if stream.codec_context is None or stream.codec_context.name in ("", "none"):
        raise FileError(path, "unknown audio codec: FFmpeg cannot decode this stream")
    return stream


def _declared_seconds(container: InputContainer, stream: AudioStream) -> float:
    if container.format.name in GUESSED_LENGTH_FORMATS:
        return 0.0
    riff = _wav_declared_seconds(Path(container.name))
    if riff is not None:
        return riff
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return 0.0


def pcm_blocks(path: Path, rate: int = RATE) -> Iterator[np.ndarray]:
    """The first audio stream as mono int16 blocks at ``rate``, decoded as a stream.

    Raises FileError for a file that decodes to nothing or stops well short of the
    length its container declares (a truncated download).
    """
    decoded = 0
    with _open(path) as container:
        stream = _audio_stream(container, path)
        declared = _declared_seconds(container, stream)
        resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    block = out.to_ndarray().reshape(-1)
                    decoded += block.size
                    yield block
            for out in resampler.resample(None):
                block = out.to_ndarray().reshape(-1)
                decoded += block.size
                yield block
        except av.error.InvalidDataError:
            raise FileError(path, f"damaged audio after {decoded / rate:.1f} s (truncated or corrupt file)") from None
        except av.FFmpegError as exc:
            raise FileError(path, f"cannot decode the audio: {_one_line(exc)}") from None
    seconds = decoded / rate
    if decoded == 0:
        raise FileError(path, "no audio (0 seconds): nothing to translate")
    if declared > 1.0 and seconds < declared * TRUNCATED_SHARE:
        raise FileError(path, f"truncated: the file declares {declared:.1f} s of audio, only {seconds:.1f} s decode")


def _wav_declared_seconds(path: Path) -> float | None:
    """The length a WAV header declares (FFmpeg measures WAV by its file size instead,
    so a cut-short WAV would otherwise look whole)."""
    if path.suffix.lower() != ".wav" or not path.is_file():
        return None
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    at, byte_rate = 12, 0
    while at + 8 <= len(head):
        kind, size = head[at:at + 4], int.from_bytes(head[at + 4:at + 8], "little")
        if kind == b"fmt " and at + 20 <= len(head):
            byte_rate = int.from_bytes(head[at + 16:at + 20], "little")
        if kind == b"data":
            return size / byte_rate if byte_rate and size < 0xFFFFFFF0 else None
        at += 8 + size + (size & 1)
    return None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
