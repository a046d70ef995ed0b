"""The ``[media]`` table of a job file: audio and video through Qwen3-LiveTranslate.

Defaults live here, once; :func:`check_media` applies the seed's rules at load time,
so a job that asks for something the service cannot do fails before anything is sent
(exit code 2) with a one-line error naming the file and the key.
"""
from __future__ import annotations

from dataclasses import dataclass

from pipeline.errors import ConfigError
from pipeline.service_facts import LIVETRANSLATE_LANGS as LANGS
from pipeline.service_facts import LIVETRANSLATE_MODELS as MODELS
from pipeline.service_facts import TEXT_ONLY_LANGS, VOICES


@dataclass(frozen=True)
class MediaOptions:
    #: Ask for dubbed speech too (writes NAME.LANG.wav); --dub on the command line.
    dub: bool = False
    #: The voice of the dubbed speech (Cherry, Nofish, Jada, Dylan, Sunny, Peter, Eric, Kiki).
    voice: str = "Cherry"
    #: Send each piece of a video as a video clip, so the model sees the picture
    #: (costs visual tokens); false sends the sound only.
    video_context: bool = False
    #: For video inputs, also write NAME.LANG.mp4/.mkv: the original video stream copied,
    #: the dubbed track as a second audio stream (with dub) and the subtitles as a soft track.
    mux: bool = False
    #: Cue length bounds in seconds: pieces are cut at pauses within them.
    min_cue_seconds: float = 1.0
    max_cue_seconds: float = 15.0
    #: The shortest silence that counts as a pause between pieces. Pauses are found relative
    #: to the recording's own noise floor and speech level; anything quieter than
    #: ``silence_db`` (dBFS) is a pause whatever the recording.
    pause_seconds: float = 0.3
    silence_db: float = -60.0
    #: The most dubbed speech is sped up to fit its cue (1.0-1.4 is natural).
    max_speedup: float = 1.4
    #: The model that translates media.
    model: str = "qwen3-livetranslate-flash"


def check_media(m: MediaOptions, target_codes: tuple[str, ...], source: str) -> None:
    """The seed's rules for ``[media]`` against the job's target languages."""
    if m.model not in MODELS:
        raise ConfigError(f"unknown model {m.model!r} (known: {', '.join(MODELS)})", source=source, key="media.model")
    if m.voice not in VOICES:
        raise ConfigError(f"unknown voice {m.voice!r} (known: {', '.join(VOICES)})", source=source, key="media.voice")
    if not 0.5 <= m.min_cue_seconds <= m.max_cue_seconds <= 60:
        raise ConfigError("cue bounds must satisfy 0.5 <= min_cue_seconds <= max_cue_seconds <= 60",
                          source=source, key="media.max_cue_seconds")
    if not 0.1 <= m.pause_seconds <= 3:
        raise ConfigError("must be between 0.1 and 3 seconds", source=source, key="media.pause_seconds")
    if not -90 <= m.silence_db <= -10:
        raise ConfigError("must be between -90 and -10 (dBFS)", source=source, key="media.silence_db")
    if not 1.0 <= m.max_speedup <= 2.0:
        raise ConfigError("must be between 1.0 and 2.0", source=source, key="media.max_speedup")
    if not m.dub:
        return
    media_targets = [c for c in target_codes if c in LANGS]
    text_only = [c for c in media_targets if c in TEXT_ONLY_LANGS]
    if text_only:
        raise ConfigError(f"{m.model} gives text only for {', '.join(text_only)}: no dubbed speech; "
                          "set dub = false or drop those targets", source=source, key="media.dub")
    unspoken = [c for c in media_targets if c not in VOICES[m.voice]]
    if unspoken:
        speakers = sorted({v for v, langs in VOICES.items() if all(c in langs for c in unspoken)})
        hint = f" (voices that do: {', '.join(speakers)})" if speakers else ""
        raise ConfigError(f"voice {m.voice} does not speak {', '.join(unspoken)}{hint}", source=source,
                          key="media.voice")
