"""Audio and video files in a run: cut at pauses, one LiveTranslate request per piece.

A media file found by the job's globs goes through the same run as the documents:
same folders, same state store (cache and ledger journal), the same progress bar and
exit codes, and the same sender: each request goes through the run's worker pool
(:mod:`pipeline.translate.pool`), so it is paced under the account's requests and
tokens per minute, budgeted, journaled as ``pending`` before it leaves, retried by the
one error table, and stops the job on a fatal error, a sustained outage (exit 6) or a
state that cannot be written (exit 7). This module keeps only what is media. Per file:

1. the sound is decoded as a stream (:mod:`pipeline.media.decode`) and cut at
   pauses (:mod:`pipeline.media.cut`); each piece is one request per target
   language and one subtitle cue, on the source timeline;
2. each (piece, language) is answered from the media cache (keyed by the piece's
   audio, its video clip with ``video_context``, every option that changes the answer
   and the engine that answered) or sent as a unit (:class:`~pipeline.translate.units.
   Unit` with ``media``); the journal stores a clean answer in the same SQLite
   transaction as the ledger row that paid for it, so a killed run resumes without
   paying twice;
3. the outputs are written beside each other under the language's output folder,
   named as players look for them (``talk.mp4`` -> ``talk.zh.srt``, ``talk.zh.vtt``,
   with dubbing ``talk.zh.wav``, with ``mux`` ``talk.zh.mp4``): every output of a file
   is written to a temporary name and checked before any is renamed into place.

Memory stays bounded on long files: at most ``concurrency`` pieces per language are
in flight, and dubbed speech waits in a temporary spool file, not in memory.
"""
from __future__ import annotations

import asyncio
import hashlib
import io
import json
import tempfile
import wave
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Awaitable, BinaryIO, Callable, Generator

from pipeline.errors import FileError
from pipeline.formats.base import Found
from pipeline.ledger.store import StateStore, media_key
from pipeline.media import is_media
from pipeline.languages import Language
from pipeline.output import atomic_writer, output_path
from pipeline.service_facts import LIVETRANSLATE_LANGS as LANGS, SPEECH_RATE, audio_tokens
from pipeline.translate.backend import MediaRequest, expected_completion
from pipeline.translate.units import FAILED, JobStopped, Unit

if TYPE_CHECKING:
    from pipeline.job.progress import Progress
    from pipeline.media.cut import AudioPiece, PauseCutter
    from pipeline.translate.pool import WorkerPool

if TYPE_CHECKING:
    from pipeline.config import Job

#: (language code, suffix) -> an output's stream and its temporary path.
OpenOutput = Callable[[str, str], tuple[BinaryIO, Path]]

MEDIA_FORMAT_VERSION = 2        # bump when what is sent for the same piece changes (2: adaptive pauses)
FORCED_CUT = "forced_cut"       # a problem status that is a warning: the file is still written in full
NO_SPEECH = "no speech found"


@dataclass
class PieceResult:
    index: int
    start: float
    end: float
    text: str = ""
    speech: tuple[int, int] = (0, 0)    # offset and length in the file's speech spool
    problem: str = ""                   # why this piece has no translation
    forced: bool = False                # cut at max_cue_seconds: no pause was found


@dataclass
class MediaShared:
    """What the media files of a run share with the rest of it (owned by the run)."""

    pool: "WorkerPool"          # the run's one sender (pacing, budget, retries, journal)
    store: StateStore           # the media cache, read here (the journal writes it)
    engine: str                 # the engine whose stored answers this run reuses
    progress: "Progress"
    gate: asyncio.Semaphore     # pieces waiting or in flight, all media files together
    cache_hits: int = 0         # (piece, language) pairs answered by the media cache

    def stopped(self) -> str | None:
        return str(self.pool.fatal) if self.pool.fatal is not None else None


SUBTITLE_SUFFIXES = (".srt", ".vtt")     # text inputs whose outputs are named like media subtitles


def split_media(found: list[Found]) -> tuple[list[Found], list[Found], list[tuple[str, str]]]:
    """Documents, media files, and files refused before anything is sent because two of
    them would write the same outputs (``talk.mp3`` and ``talk.mp4``; ``talk.srt`` and
    ``talk.mp4``, which would both write ``talk.zh.srt``)."""
    docs = [f for f in found if not is_media(f.path)]
    media = [f for f in found if is_media(f.path)]
    by_name: dict[str, list[Found]] = {}
    for f in media:
        rel = PurePosixPath(f.relpath)
        by_name.setdefault(str(rel.parent / rel.stem).lower(), []).append(f)
    refused: list[tuple[str, str]] = []
    keep: list[Found] = []
    for group in by_name.values():
        if len(group) == 1:
            keep.extend(group)
            continue
        names = " and ".join(g.relpath for g in group)
        for g in group:
            refused.append((g.relpath, f"{names} would write the same subtitle and audio files; rename one"))
    keep.sort(key=lambda f: f.relpath)
    clash = [f for f in docs if PurePosixPath(f.relpath).suffix.lower() in SUBTITLE_SUFFIXES
             and str(PurePosixPath(f.relpath).with_suffix("")).lower() in by_name]
    for f in clash:  # talk.srt beside talk.mp4: both would write talk.zh.srt
        refused.append((f.relpath, f"would write the same subtitle files as the video or audio file beside it "
                                   f"({by_name[str(PurePosixPath(f.relpath).with_suffix('')).lower()][0].relpath}); "
                                   "move one to another folder"))
    return [f for f in docs if f not in clash], keep, refused


def media_targets(job: Job) -> tuple[list[Language], list[Language]]:
    """The job's targets LiveTranslate takes, and those it does not."""
    ok = [lang for lang in job.target_langs if lang.code in LANGS]
    return ok, [lang for lang in job.target_langs if lang.code not in LANGS]


def media_problem(job: Job) -> str | None:
    """Why no media file of this job can be translated at all, or None."""
    if job.engine == "llm":
        return ("audio and video need Qwen3-LiveTranslate, which a generic model server (engine = \"llm\") "
                "does not serve: translate media with engine = \"qwen-mt\"")
    if job.source_lang is not None and job.source_lang.code not in LANGS:
        return f"{job.media.model} does not take {job.source_lang.name} as a source language"
    if not media_targets(job)[0]:
        return f"{job.media.model} translates into none of the job's target languages (it takes {', '.join(LANGS)})"
    if job.run.budget_usd:
        return (f"run.budget_usd cannot price {job.media.model} (no price in the price list): "
                "use run.budget_tokens for jobs with media")
    return None


def glossary_notice(job: Job) -> str | None:
    used = [name for name, value in (("terms", job.terms_file), ("tm", job.tm_file), ("domains", job.domains))
            if value]
    if not used:
        return None
    return (f"qmt: note: {', '.join(used)} apply to documents only: {job.media.model} takes no glossary, "
            "translation memory or domain hint")


def piece_identity(job: Job, lang: Language, pcm: bytes, clip_digest: str = "") -> str:
    """A piece's cache identity: its audio (and clip) and everything sent with it. The
    cache key binds it to the engine that answered (:func:`pipeline.ledger.store.media_key`;
    pipeline.provenance: an emulated answer never serves a real run)."""
    payload = {"v": MEDIA_FORMAT_VERSION, "model": job.media.model, "target": lang.code,
               "source": job.source_lang.code if job.source_lang else "auto",
               "speech": job.media.dub, "voice": job.media.voice if job.media.dub else "",
               "audio": hashlib.sha256(pcm).hexdigest(), "clip": clip_digest}
    return json.dumps(payload, sort_keys=True)


def wav_bytes(pcm: bytes, rate: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return buf.getvalue()


class SpeechSpool:
    """Dubbed speech of one file, in a temporary file until the track is assembled."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()
        self._size = 0

    def add(self, data: bytes) -> tuple[int, int]:
        self._file.seek(self._size)
        self._file.write(data)
        ref = (self._size, len(data))
        self._size += len(data)
        return ref

    def reader(self, ref: tuple[int, int]) -> Callable[[], bytes]:
        """A call that reads ``ref``'s speech when it is placed."""
        return lambda: self.read(ref)

    def read(self, ref: tuple[int, int]) -> bytes:
        self._file.seek(ref[0])
        return self._file.read(ref[1])

    def close(self) -> None:
        self._file.close()


@dataclass
class _FileRun:
    job: Job
    path: Path
    relpath: str
    shared: MediaShared
    spool: SpeechSpool = field(default_factory=SpeechSpool)
    results: dict[str, list[PieceResult]] = field(default_factory=dict)
    seconds: float = 0.0


async def process_media(job: Job, found: Found, shared: MediaShared) -> dict[str, Any]:
    """Translate one media file; a dict of FileReport fields (the runner builds the report)."""
    from pipeline.media.decode import probe

    run = _FileRun(job, found.path, found.relpath, shared)
    try:
        if (stopped := shared.stopped()) is not None:
            return {"status": "stopped", "reason": f"not started: {stopped}"}
        if found.path.stat().st_size == 0:
            return {"status": "failed", "reason": "empty file (0 bytes): nothing to translate; nothing written"}
        info = await asyncio.to_thread(probe, found.path)
        clips = None
        if job.media.video_context and info.has_video:
            from pipeline.media.clips import ClipMaker
            clips = ClipMaker(found.path)
        await _translate_pieces(run, clips)
        if not any(run.results.values()):  # nothing to subtitle or dub: a silent dub would be all zeros
            return {"status": "skipped", "reason": f"{NO_SPEECH} in {run.seconds:.1f} s of audio: "
                                                   "no subtitles or dub written"}
        return await asyncio.to_thread(_write_outputs, run, info)
    except FileError as exc:
        return {"status": "failed", "reason": exc.reason}
    except JobStopped as exc:
        return {"status": "stopped", "reason": f"not written: {exc}"}
    except OSError as exc:
        return {"status": "failed", "reason": f"cannot read: {exc.strerror or exc}"}
    finally:
        run.spool.close()


def _pieces(path: Path, job: Job) -> tuple[Generator[AudioPiece, None, None], PauseCutter]:
    from pipeline.media.cut import CutSettings, PauseCutter
    from pipeline.media.decode import RATE, pcm_blocks

    m = job.media
    cutter = PauseCutter(RATE, CutSettings(m.min_cue_seconds, m.max_cue_seconds, m.pause_seconds, m.silence_db))

    def pieces() -> Generator[AudioPiece, None, None]:
        for block in pcm_blocks(path):
            yield from cutter.feed(block)
        yield from cutter.finish()

    return pieces(), cutter


async def _translate_pieces(run: _FileRun, clips: Any) -> None:
    targets, _ = media_targets(run.job)
    run.results = {lang.code: [] for lang in targets}
    pieces, cutter = _pieces(run.path, run.job)
    tasks: list[asyncio.Task[None]] = []
    try:
        while (piece := await asyncio.to_thread(next, pieces, None)) is not None:
            run.shared.progress.add_total(len(targets))
            pcm = piece.pcm.astype("<i2").tobytes()
            clip = await asyncio.to_thread(clips.clip, piece.start, piece.end, piece.pcm) if clips else None
            for lang in targets:
                await run.shared.gate.acquire()
                if (stopped := run.shared.stopped()) is not None:
                    run.shared.gate.release()
                    raise JobStopped(stopped)
                result = PieceResult(piece.index, piece.start, piece.end, forced=piece.forced)
                run.results[lang.code].append(result)
                tasks.append(asyncio.create_task(_guarded(run, _translate_piece(run, lang, pcm, clip, result))))
        run.seconds = cutter.samples / cutter.rate
    finally:
        pieces.close()  # the decoder's file, also when the run stops early
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
    for task in tasks:
        if (exc := task.exception()) is not None:
            raise exc


async def _guarded(run: _FileRun, coro: Awaitable[None]) -> None:
    try:
        await coro
    finally:
        run.shared.gate.release()


async def _translate_piece(run: _FileRun, lang: Language, pcm: bytes, clip: bytes | None, result: PieceResult) -> None:
    """One (piece, language): from the media cache, or sent through the run's pool."""
    job, shared = run.job, run.shared
    identity = piece_identity(job, lang, pcm, hashlib.sha256(clip).hexdigest() if clip else "")
    hit = shared.store.media_cached(media_key(identity, shared.engine)) if job.cache and not job.force else None
    if hit is not None:
        shared.cache_hits += 1
        result.text, speech = hit
    else:
        unit = _piece_unit(run, lang, pcm, clip, identity)
        future = shared.pool.expect(unit)
        shared.pool.send([unit])
        outcome = await future          # JobStopped: the job stopped, the file is not written
        unit.outcome = replace(outcome, speech=b"")   # the speech goes to the spool, not the record
        if outcome.status == FAILED:
            result.problem = outcome.reason
            shared.progress.advance(1)
            return
        result.text, speech = outcome.text, outcome.speech
    if not result.text:
        result.problem = "the service returned no text for this piece"
    elif job.media.dub and not speech:
        result.problem = "the service returned no speech for this piece"
    if speech:
        result.speech = run.spool.add(speech)
    shared.progress.advance(1)


def _piece_unit(run: _FileRun, lang: Language, pcm: bytes, clip: bytes | None, identity: str) -> Unit:
    """The record of one (piece, language) as the pool sends it and the journal stores it."""
    from pipeline.media.decode import RATE

    job = run.job
    data, mime = (clip, "video/mp4") if clip else (wav_bytes(pcm, RATE), "audio/wav")
    seconds, visual = _input_measure(pcm, clip, RATE)
    request = MediaRequest(data, mime, lang.code, job.source_lang.code if job.source_lang else None,
                           speech=job.media.dub, voice=job.media.voice, video=clip is not None,
                           model=job.media.model, billed_prompt=audio_tokens(seconds) + visual)
    return Unit("", lang, origin=run.relpath, cache_key=identity, media=request, seconds=seconds)


# --- outputs --------------------------------------------------------------------------------


def output_names(relpath: str, lang: str, suffixes: tuple[str, ...]) -> list[str]:
    """``videos/talk.mp4`` -> ``videos/talk.zh.srt`` ...: the names players pick up."""
    rel = PurePosixPath(relpath)
    return [str(rel.parent / f"{rel.stem}.{lang}{suffix}") for suffix in suffixes]


def _write_outputs(run: _FileRun, info: Any) -> dict[str, Any]:
    """Every output of the file to temporary names, checked, then renamed (all or none)."""
    problems: list[tuple[str, str, str, str]] = []     # (where, lang, status, reason)
    outputs: list[str] = []
    with ExitStack() as stack:
        def open_output(code: str, suffix: str) -> tuple[BinaryIO, Path]:
            name = output_names(run.relpath, code, (suffix,))[0]
            target = output_path(run.job.output_dir(code), name)
            outputs.append(str(target))
            return stack.enter_context(atomic_writer(target))

        problems += [("", lang.code, "unsupported", f"{run.job.media.model} does not translate into {lang.name}: "
                      "no subtitles or speech for it") for lang in media_targets(run.job)[1]]
        forced = [r for r in next(iter(run.results.values()), []) if r.forced]
        problems += [(f"piece {r.index + 1} ({r.start:.2f}-{r.end:.2f} s)", ", ".join(run.results), FORCED_CUT,
                      f"no pause within {run.job.media.max_cue_seconds:g} s: cut at its quietest point")
                     for r in sorted(forced, key=lambda r: r.index)]
        for code, results in run.results.items():
            results.sort(key=lambda r: r.index)
            problems += [(f"piece {r.index + 1} ({r.start:.2f}-{r.end:.2f} s)", code, "failed", r.problem)
                         for r in results if r.problem]
            srt = _write_subtitles(run, code, results, open_output)
            wav = _write_dub(run, code, results, open_output, problems) if run.job.media.dub else None
            if run.job.media.mux and info.has_video:
                from pipeline.media.mux import check_remux, mux_suffix, remux

                out, tmp = open_output(code, mux_suffix(run.path))
                remux(run.path, out, mux_suffix(run.path), srt_text=srt, lang=code, dubbed_wav=wav,
                      source_lang=run.job.source_lang.code if run.job.source_lang else None)
                out.flush()
                if (wrong := check_remux(run.path, tmp, dubbed=wav is not None)) is not None:
                    raise FileError(run.relpath, f"the {code} video copy is wrong: {wrong}; nothing written")
    status = "partial" if any(p[2] != FORCED_CUT for p in problems) else "written"
    return {"status": status, "outputs": outputs, "segments": _count(run), "problems": problems}


def _write_subtitles(run: _FileRun, code: str, results: list[PieceResult], open_output: OpenOutput) -> str:
    from pipeline.media.subtitles import SpeechCue, layout, marked, parse_srt, to_srt, to_vtt

    cues = marked(layout([SpeechCue(r.start, r.end, r.text) for r in results if r.text], code, run.seconds), code)
    srt = to_srt(cues)
    if len(parse_srt(srt)) != len(cues):
        raise FileError(run.relpath, f"the {code} subtitles did not read back as written")
    for suffix, text in ((".srt", srt), (".vtt", to_vtt(cues))):
        out, _ = open_output(code, suffix)
        out.write(text.encode("utf-8"))
    return srt


def _write_dub(run: _FileRun, code: str, results: list[PieceResult], open_output: OpenOutput,
               problems: list[tuple[str, str, str, str]]) -> Path:
    from pipeline.media.dub import Placement, assemble

    voiced = [r for r in results if r.speech[1]]
    placements = [Placement(r.start, r.end, voiced[i + 1].start if i + 1 < len(voiced) else run.seconds,
                            run.spool.reader(r.speech)) for i, r in enumerate(voiced)]
    out, tmp = open_output(code, ".wav")
    report = assemble(out, run.seconds, placements, run.job.media.max_speedup)
    out.flush()
    if abs(report.samples - run.seconds * SPEECH_RATE) > 0.01 * run.seconds * SPEECH_RATE + 1:
        raise FileError(run.relpath, f"the {code} dubbed track is not as long as the source")
    problems += [(f"cue at {o.start:.2f} s", code, "overrun", f"dubbed speech {o.seconds:.2f} s too long for its slot "
                  f"even at {run.job.media.max_speedup}x and the pause after it: cut "
                  + ("at the end of the source" if o.last else "where the next cue starts"))
                 for o in report.overruns]
    return tmp


def _count(run: _FileRun) -> int:
    return max((len(r) for r in run.results.values()), default=0)


__all__ = ["MediaShared", "glossary_notice", "media_problem",
           "process_media", "split_media"]


# --- estimate -----------------------------------------------------------------------------


@dataclass
class MediaEstimate:
    files: int = 0
    pieces: int = 0             # (piece, language) pairs
    cached: int = 0
    requests: int = 0
    audio_tokens: int = 0       # billed input audio, by the seed's rule, as a run sends it
    video_tokens: int = 0
    completion_tokens: int = 0  # estimated: text, and speech as long as the input
    failed: list[tuple[str, str]] = field(default_factory=list)


def estimate_media(job: Job, media: list[Found], store: Any, engine: str) -> MediaEstimate:
    """What the media files would cost: each file cut exactly as a run cuts it, each
    piece looked up in the media cache, input tokens from the pieces' durations."""
    from pipeline.media.decode import RATE, probe

    est = MediaEstimate()
    targets, _ = media_targets(job)
    problem = media_problem(job)
    for found in media:
        if problem:
            est.failed.append((found.relpath, problem))
            continue
        try:
            info = probe(found.path)
            clips = None
            if job.media.video_context and info.has_video:
                from pipeline.media.clips import ClipMaker
                clips = ClipMaker(found.path)
            pieces, _ = _pieces(found.path, job)
            for piece in pieces:
                pcm = piece.pcm.astype("<i2").tobytes()
                clip = clips.clip(piece.start, piece.end, piece.pcm) if clips else None
                _estimate_piece(job, targets, pcm, clip, store, est, RATE, engine)
            est.files += 1
        except FileError as exc:
            est.failed.append((found.relpath, exc.reason))
    return est


def _input_measure(pcm: bytes, clip: bytes | None, rate: int) -> tuple[float, int]:
    """Seconds of audio and visual tokens the service will measure in what is sent."""
    if clip is None:
        return len(pcm) / 2 / rate, 0
    from pipeline.media.clips import clip_tokens
    return clip_tokens(clip)


def _estimate_piece(job: Job, targets: list[Language], pcm: bytes, clip: bytes | None, store: Any,
                    est: MediaEstimate, rate: int, engine: str) -> None:
    seconds, visual = _input_measure(pcm, clip, rate)
    digest = hashlib.sha256(clip).hexdigest() if clip else ""
    for lang in targets:
        est.pieces += 1
        if job.cache and not job.force and store.media_cached(media_key(piece_identity(job, lang, pcm, digest), engine)):
            est.cached += 1
            continue
        est.requests += 1
        est.audio_tokens += audio_tokens(seconds)
        est.video_tokens += visual
        est.completion_tokens += expected_completion(seconds, job.media.dub)
