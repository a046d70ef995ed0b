"""Right-to-left cues carry the direction marks players need, on every line, once.

The fixtures in pseudo-translation to Arabic and Hebrew: each translated line is wrapped
in U+202B ... U+202C with the markup at its ends outside (Subtitle Edit's "Fix RTL via
Unicode control characters"), Chinese and German outputs have no mark, the files still
parse with srt and webvtt-py, read back as the translations written, and translating the
marked output again gives the same bytes. The media pipeline's writer uses the same function.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import srt
import webvtt

from pipeline.emulator.pseudo import pseudo_translate
from pipeline.formats import handler_for
from pipeline.formats.base import LoadContext
from pipeline.formats.options import SubtitleOptions
from pipeline.formats.subtitles.direction import PDF, RLE, RLM, mark_rtl, unmark
from pipeline.languages import RTL_CODES, lookup
from pipeline.media.subtitles import SpeechCue, marked, parse_srt, to_srt, to_vtt
from pipeline.segments import has_translatable_text

FIXTURES = Path(__file__).parent / "fixtures"
FILES = sorted(FIXTURES.iterdir())
MARKS = (RLE, PDF, RLM)


def load(path: Path, data: bytes):
    return handler_for(path).load(LoadContext(path, data, SubtitleOptions(), None, ()))


def translated(path: Path, code: str, data: bytes | None = None) -> tuple[dict[str, str], bytes]:
    data = path.read_bytes() if data is None else data
    doc = load(path, data)
    lang = lookup(code)
    translations = {s.id: pseudo_translate(s.text, lang.name) for s in doc.segments() if has_translatable_text(s.text)}
    out = doc.rebuild(lang, translations)
    assert doc.fallbacks == {}
    doc.verify(out)
    return translations, out


def cue_texts(path: Path, data: bytes) -> list[str]:
    """Each cue's text as an independent reader (srt, webvtt-py) reads it."""
    text = data.decode("utf-8-sig")
    if path.suffix == ".srt":
        return [s.content for s in srt.parse(text)]
    return [c.raw_text for c in webvtt.from_string(text)]


def test_every_rtl_language_of_the_table_is_marked():
    assert {"ar", "he", "fa", "ur"} <= RTL_CODES
    assert all(lookup(code).rtl for code in RTL_CODES if lookup(code) is not None)


@pytest.mark.parametrize("code", ["ar", "he"])
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_rtl_outputs_mark_every_translated_line_once(path: Path, code: str) -> None:
    translations, out = translated(path, code)
    lines = [line for text in cue_texts(path, out) for line in text.split("\n")]
    rtl = [line for line in lines if any("\u0590" <= c <= "\u06ff" for c in line)]
    assert rtl and all(line.count(RLE) == 1 and line.count(PDF) == 1 for line in rtl)
    for line in rtl:    # the embedding holds the text; markup at the line's ends stays outside it
        body = line[line.index(RLE) + 1:line.index(PDF)]
        assert mark_rtl(unmark(line)) == line and body and not body.startswith("<")
    again = {s.id: s.text for s in load(path, out).segments()}
    assert {sid: again[sid] for sid in translations} == translations     # read back as written
    assert load(path, out).rebuild(lookup(code), translations) == out     # the marked file as a source: as it is
    _, twice = translated(path, code, out)                                 # translated again: marked once
    assert all(line.count(RLE) == 1 and line.count(PDF) == 1
               for text in cue_texts(path, twice) for line in text.split("\n") if RLE in line)


@pytest.mark.parametrize("code", ["zh", "de"])
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_ltr_outputs_have_no_mark(path: Path, code: str) -> None:
    _, out = translated(path, code)
    assert not any(m in out.decode("utf-8") for m in MARKS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_identity_into_an_rtl_language_stays_byte_identical(path: Path) -> None:
    doc = load(path, path.read_bytes())
    assert doc.rebuild(lookup("ar"), {s.id: s.text for s in doc.segments()}) == path.read_bytes()


def test_a_mixed_line_keeps_its_logical_order_and_markup_stays_outside():
    line = "جرّب Acme Cloud 2.0 اليوم!"
    assert mark_rtl(line) == RLE + line + PDF                  # nothing inside moves
    assert mark_rtl("<i>" + line + "</i>") == "<i>" + RLE + line + PDF + "</i>"
    assert mark_rtl("{\\an8}שלום, world?") == "{\\an8}" + RLE + "שלום, world?" + PDF
    assert mark_rtl("Acme Cloud 2.0!") == "Acme Cloud 2.0!"    # no RTL letter: left as it is
    assert mark_rtl(RLM + line) == RLE + line + PDF            # a mark already there is replaced
    assert mark_rtl(mark_rtl(line)) == mark_rtl(line)


def test_the_media_writer_marks_rtl_cues_with_the_same_function():
    cues = [SpeechCue(0.5, 2.0, "مرحبا بكم في Acme Cloud.\nهل أنتم مستعدون؟"), SpeechCue(3.0, 4.0, "OK!")]
    ar = marked(cues, "ar")
    assert ar[0].text == "\n".join(mark_rtl(x) for x in cues[0].text.split("\n")) and ar[1].text == "OK!"
    assert marked(cues, "de") == cues and marked(cues, "zh") == cues
    assert [c.text for c in parse_srt(to_srt(ar))] == [c.text for c in ar]
    assert [c.content for c in srt.parse(to_srt(ar))] == [c.text for c in ar]
    assert [c.text for c in webvtt.from_string(to_vtt(ar))] == [c.text for c in ar]
    assert marked(ar, "ar") == ar
