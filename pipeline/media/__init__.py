"""Audio and video files: cut at pauses, translated by Qwen3-LiveTranslate, written as
subtitles (SRT, WebVTT), a dubbed track and optionally a remuxed video.

``decode`` reads media with PyAV as a stream; ``cut`` finds the pieces; ``subtitles``,
``dub`` and ``mux`` write the outputs; ``options`` is the ``[media]`` job table. The
run of a media file is :mod:`pipeline.media.run`. This package imports no decoder on
import, so a job without media never loads FFmpeg.
"""
from __future__ import annotations

from pathlib import Path

AUDIO_EXTENSIONS = (".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".opus")
VIDEO_EXTENSIONS = (".mp4", ".mov", ".mkv", ".webm")


def is_media(path: Path) -> bool:
    """Whether ``path`` is an audio or video file by its extension."""
    return path.suffix.lower() in AUDIO_EXTENSIONS + VIDEO_EXTENSIONS
