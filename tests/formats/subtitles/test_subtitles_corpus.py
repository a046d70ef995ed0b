"""Acceptance over real subtitle files in tests/corpus/subtitles: 119 SRT files of the
Morevna Project's films and courses (CC BY 4.0, seven languages) and the 267 WebVTT
files of mozilla/vtt.js's parser tests (Apache-2.0: cue settings, tags, regions, odd
layouts, some deliberately not WebVTT).

Identity: every file qmt reads rebuilds byte for byte. Pseudo: a visible translation
leaves every byte outside cue text as it was (the format's check), the same cues with
the same timings as an independent reader (srt, webvtt-py) reads them, and the text the
translation sent. A file qmt refuses is refused with one line saying why.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import srt
import webvtt

from pipeline.emulator.pseudo import pseudo_translate
from pipeline.errors import FileError
from pipeline.formats.base import LoadContext
from pipeline.formats.subtitles import HANDLER, SubtitleDocument
from pipeline.languages import lookup

CORPUS = Path(__file__).parents[2] / "corpus" / "subtitles"
FILES = sorted(CORPUS.rglob("*.srt")) + sorted(CORPUS.rglob("*.vtt"))
ZH = lookup("zh")


@pytest.fixture(scope="module")
def read() -> tuple[list[tuple[Path, bytes, SubtitleDocument]], dict[Path, str]]:
    docs, refused = [], {}
    for path in FILES:
        data = path.read_bytes()
        try:
            docs.append((path, data, HANDLER.load(LoadContext(path, data, None, None, ()))))
        except FileError as exc:
            refused[path] = exc.reason
    return docs, refused


def test_over_a_hundred_files_of_each_kind_are_read(read) -> None:
    docs, refused = read
    assert sum(p.suffix == ".srt" for p, _, _ in docs) >= 100 and sum(p.suffix == ".vtt" for p, _, _ in docs) >= 100
    # Refused: vtt.js's files that are not WebVTT by the spec, and cue-less drafts.
    assert all("\n" not in reason and ("WEBVTT" in reason or "no subtitle cue" in reason) for reason in refused.values())
    assert len(refused) <= len(FILES) // 20


def test_identity_is_byte_identical(read) -> None:
    for path, data, doc in read[0]:
        assert doc.rebuild(ZH, {s.id: s.text for s in doc.segments()}) == data, path


def _cues(path: Path, text: str) -> list[tuple] | None:
    """Timings and identifiers as an independent reader reads them (None: it cannot)."""
    try:
        if path.suffix == ".srt":
            return [(s.index, s.start, s.end) for s in srt.parse(text)]
        return [(c.identifier, c.start, c.end) for c in webvtt.from_string(text)]
    except Exception:  # noqa: BLE001 - the reader refuses what the spec tests break on purpose
        return None


def test_pseudo_translation_keeps_every_cue_and_timing_and_changes_only_text(read) -> None:
    checked = 0
    for path, data, doc in read[0]:
        translations = {s.id: pseudo_translate(s.text, "Chinese") for s in doc.segments()}
        out = doc.rebuild(ZH, translations)
        assert doc.fallbacks == {}, path
        again = doc.verify(out)           # every byte outside cue text, and the cue count
        assert [s.id for s in again.segments()] == [s.id for s in doc.segments()], path
        before = _cues(path, data.decode("utf-8-sig"))
        if before is not None:
            assert _cues(path, out.decode("utf-8-sig")) == before, path
            checked += 1
    assert checked >= 200
