"""A translated copy of a video: the original streams copied, dub and subtitles added.

``[media] mux = true`` writes ``NAME.LANG.mp4`` (MP4 and MOV inputs) or
``NAME.LANG.mkv`` (Matroska and WebM inputs): the original video stream is copied
packet for packet (never re-encoded, so it stays bit-identical), the original sound
too; with dubbing the dubbed track is added as a second audio stream (AAC), and the
subtitles as a soft track (``mov_text`` in MP4, SubRip in Matroska) tagged with the
language. Packets are copied as they are read, so a long video is never held whole.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

import av
from av.audio.stream import AudioStream
from av.container import InputContainer, OutputContainer
from av.packet import Packet
from av.stream import Stream
from av.subtitles.stream import SubtitleStream

from pipeline.errors import FileError

# ISO 639-2 (terminology) codes, which is what MP4 and Matroska language tags hold. Cantonese
# has no code of its own in 639-2: it is tagged Chinese and named "Cantonese" in the title.
ISO639_2 = {"en": "eng", "zh": "zho", "ru": "rus", "fr": "fra", "de": "deu", "pt": "por", "es": "spa",
            "it": "ita", "ko": "kor", "ja": "jpn", "yue": "zho", "id": "ind", "vi": "vie", "th": "tha",
            "ar": "ara", "hi": "hin", "el": "ell", "tr": "tur"}
NAMES = {"en": "English", "zh": "Chinese", "ru": "Russian", "fr": "French", "de": "German", "pt": "Portuguese",
         "es": "Spanish", "it": "Italian", "ko": "Korean", "ja": "Japanese", "yue": "Cantonese",
         "id": "Indonesian", "vi": "Vietnamese", "th": "Thai", "ar": "Arabic", "hi": "Hindi", "el": "Greek",
         "tr": "Turkish"}


def tag(stream: Stream, code: str | None, title: str) -> None:
    """Language (ISO 639-2, ``und`` when unknown) and a title a player shows in its track menu;
    MP4 players read the title from the handler name, which would otherwise be "SoundHandler"."""
    stream.metadata["language"] = ISO639_2.get(code or "", "und")
    stream.metadata["title"] = title
    stream.metadata["handler_name"] = title


def track_title(code: str | None, what: str) -> str:
    """``Chinese (dubbed)``, ``English (original)``; ``Original`` when the language is unknown."""
    name = NAMES.get(code or "")
    return f"{name} ({what})" if name else what.capitalize()


def mux_suffix(source: Path) -> str:
    return ".mkv" if source.suffix.lower() in (".mkv", ".webm") else ".mp4"


def remux(source: Path, out: BinaryIO, suffix: str, *, srt_text: str, lang: str, dubbed_wav: Path | None,
          source_lang: str | None = None) -> None:
    """Write the muxed copy of ``source`` to ``out`` (a seekable file); FileError when the
    container cannot take the source's streams as they are. With a dub, the dubbed track is
    the default audio stream (a player opens the translation); every audio and subtitle
    stream carries its language and a title."""
    try:
        _remux(source, out, suffix, srt_text, lang, dubbed_wav, source_lang)
    except (av.FFmpegError, ValueError) as exc:  # PyAV says "format does not support codec" as ValueError
        raise FileError(source, f"cannot write the {suffix} copy with the streams copied as they are: "
                                f"{' '.join(str(exc).split())}") from None


def _remux(source: Path, out: BinaryIO, suffix: str, srt_text: str, lang: str, dubbed_wav: Path | None,
           source_lang: str | None) -> None:
    from av.stream import Disposition

    matroska = suffix == ".mkv"
    srt = av.open(io.BytesIO(srt_text.encode("utf-8")), "r", format="srt")
    with srt, av.open(str(source)) as src, av.open(out, "w", format="matroska" if matroska else "mp4") as dst:
        vin = src.streams.video[0]
        copies: dict[int, Stream] = {vin.index: dst.add_stream_from_template(vin)}
        if src.streams.audio:
            ain = src.streams.audio[0]
            copies[ain.index] = original = dst.add_stream_from_template(ain)
            tag(original, source_lang, track_title(source_lang, "original"))
            original.disposition = Disposition(0) if dubbed_wav is not None else Disposition.default
        sin = srt.streams.subtitles[0]
        cues = _subtitle_packets(srt, sin, matroska)
        sout = dst.add_stream_from_template(sin) if matroska else dst.add_stream("mov_text")
        if not matroska:
            sout.codec_context.subtitle_header = sin.codec_context.subtitle_header
            base = sin.time_base
            assert base is not None         # the SubRip demuxer sets it
            sout.codec_context.time_base = sout.time_base = base
        tag(sout, lang, track_title(lang, "subtitles"))
        dub = None
        if dubbed_wav is not None:
            dub = dst.add_stream("aac", rate=24_000, layout="mono")
            tag(dub, lang, track_title(lang, "dubbed"))
            dub.disposition = Disposition.default
        for packet in src.demux(*(s for s in src.streams if s.index in copies)):
            if packet.dts is None:
                continue
            packet.stream = copies[packet.stream.index]
            dst.mux(packet)
        if dub is not None and dubbed_wav is not None:
            _encode_wav(dst, dub, dubbed_wav)
        for cue in cues:
            cue.stream = sout
            dst.mux(cue)


def check_remux(source: Path, muxed: Path, *, dubbed: bool) -> str | None:
    """Why the muxed copy is not right (None when it is): every video packet of the
    source, byte for byte, one more audio stream with dubbing, one subtitle stream."""
    with av.open(str(source)) as a, av.open(str(muxed)) as b:
        if len(b.streams.subtitles) != 1:
            return "the subtitle track is missing"
        if len(b.streams.audio) != len(a.streams.audio) + (1 if dubbed else 0):
            return "the dubbed audio stream is missing"
        original = (bytes(p) for p in a.demux(a.streams.video[0]) if p.size)
        copied = (bytes(p) for p in b.demux(b.streams.video[0]) if p.size)
        for x, y in zip(original, copied, strict=False):
            if x != y:
                return "the video stream was not copied as it is"
        if next(original, None) is not None or next(copied, None) is not None:
            return "the video stream was not copied whole"
    return None


def _subtitle_packets(srt: InputContainer, stream: SubtitleStream, matroska: bool
                      ) -> list[Packet[SubtitleStream]]:
    """SubRip packets as they are (Matroska), or re-encoded as mov_text (MP4)."""
    packets = [p for p in srt.demux(stream) if p.size]
    if matroska:
        return packets
    decoded = [(p, stream.codec_context.decode2(p)) for p in packets]  # opens the decoder: its header is set
    base = stream.time_base
    assert base is not None             # the SubRip demuxer sets it
    encoder = av.CodecContext.create("mov_text", "w")
    encoder.subtitle_header = stream.codec_context.subtitle_header
    encoder.time_base = base
    out: list[Packet[SubtitleStream]] = []
    for packet, subtitle in decoded:
        if subtitle is None:
            continue
        encoded = encoder.encode_subtitle(subtitle)
        encoded.pts = encoded.dts = packet.pts
        encoded.duration = packet.duration
        encoded.time_base = base
        out.append(encoded)
    return out


def _encode_wav(dst: OutputContainer, stream: AudioStream, wav: Path) -> None:
    with av.open(str(wav)) as src:
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=24_000)
        for frame in src.decode(src.streams.audio[0]):
            for piece in resampler.resample(frame):
                for packet in stream.encode(piece):
                    dst.mux(packet)
        for piece in resampler.resample(None):
            for packet in stream.encode(piece):
                dst.mux(packet)
    for packet in stream.encode(None):
        dst.mux(packet)
