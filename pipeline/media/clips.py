"""Video clips of single pieces, for ``[media] video_context = true``.

The model then sees the picture while it hears the piece (the seed's example: "mask"
as a face mask or a costume mask). A clip is the piece's span of the source video,
re-encoded small (H.264, at most ``MAX_SIDE`` pixels on the long side, at most
``MAX_FPS`` frames a second; the service samples 2 frames a second anyway) with the
piece's own sound as AAC, so it stays far below the request size limit.
:func:`clip_tokens` measures a clip the way the service bills it (the seed's formula),
for the emulator and ``qmt estimate`` alike.
"""
from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.audio.stream import AudioStream
from av.container import InputContainer, OutputContainer
from av.video.stream import VideoStream

from pipeline.errors import FileError
from pipeline.service_facts import video_tokens

MAX_SIDE = 640
MAX_FPS = 10
CLIP_RATE = 16_000


class ClipMaker:
    """Cuts clips out of one video file (one open per clip: seeks are cheap)."""

    def __init__(self, path: Path):
        self.path = path

    def clip(self, start: float, end: float, pcm: np.ndarray) -> bytes:
        """An MP4 of [start, end) of the video with ``pcm`` (16 kHz mono) as its sound."""
        buf = io.BytesIO()
        try:
            with av.open(str(self.path)) as src, av.open(buf, "w", format="mp4") as out:
                vin = src.streams.video[0]
                fps = min(MAX_FPS, round(float(vin.average_rate or MAX_FPS)) or MAX_FPS)
                width, height = _scaled(vin.codec_context.width, vin.codec_context.height)
                vout = out.add_stream("libx264", rate=fps, options={"preset": "veryfast", "crf": "30"})
                vout.width, vout.height, vout.pix_fmt = width, height, "yuv420p"
                vout.codec_context.time_base = Fraction(1, fps)
                aout = out.add_stream("aac", rate=CLIP_RATE, layout="mono")
                _copy_frames(src, vin, vout, out, start, end, fps, width, height)
                encode_pcm(out, aout, pcm, CLIP_RATE)
        except av.FFmpegError as exc:
            raise FileError(self.path, f"cannot cut a video clip at {start:.1f} s: {' '.join(str(exc).split())}") from None
        return buf.getvalue()


def _scaled(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, MAX_SIDE / max(width, height, 1))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def _copy_frames(src: InputContainer, vin: VideoStream, vout: VideoStream, out: OutputContainer, start: float, end: float, fps: int, width: int, height: int) -> None:
    if start > 0 and vin.time_base:
        src.seek(int(start / vin.time_base), stream=vin, backward=True)
    n = 0
    for frame in src.decode(vin):
        t = frame.time if frame.time is not None else 0.0
        if t < start - 1e-3:
            continue
        if t >= end or n >= (end - start) * fps + 1:
            break
        if t < start + n / fps - 0.5 / fps:
            continue  # drop frames above the clip's rate
        image = frame.reformat(width=width, height=height, format="yuv420p")
        image.pts, image.time_base = n, Fraction(1, fps)
        for packet in vout.encode(image):
            out.mux(packet)
        n += 1
    for packet in vout.encode(None):
        out.mux(packet)


def encode_pcm(out: OutputContainer, stream: AudioStream, pcm: np.ndarray, rate: int) -> None:
    """Encode mono PCM16 ``pcm`` at ``rate`` into ``stream`` of ``out`` (resampled to its
    format and rate), flushing the encoder."""
    frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1).astype(np.int16), format="s16", layout="mono")
    frame.sample_rate = rate
    resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="mono", rate=stream.rate)
    for piece in (*resampler.resample(frame), *resampler.resample(None)):
        for packet in stream.encode(piece):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)


def clip_tokens(blob: bytes) -> tuple[float, int]:
    """Seconds of sound and visual tokens of a clip, as the service measures them."""
    with av.open(io.BytesIO(blob), "r") as c:
        if not c.streams.audio:
            raise ValueError("the clip has no audio stream")
        a = c.streams.audio[0]
        seconds = sum(f.samples for f in c.decode(a)) / a.codec_context.sample_rate
    with av.open(io.BytesIO(blob), "r") as c:
        if not c.streams.video:
            return seconds, 0
        v = c.streams.video[0]
        frames = sum(1 for packet in c.demux(v) if packet.size)
        fps = float(v.average_rate or 0) or (frames / seconds if seconds else 0)
        return seconds, video_tokens(v.codec_context.width, v.codec_context.height, frames, fps)
