"""SRT and WebVTT as inputs: the splice keeps every byte outside cue text.

The fixtures are written by hand in the shapes editors and speech-to-text tools export
(CRLF SRT with coordinates, ``{\\an8}`` and ``<font>``; WebVTT with a header, STYLE,
REGION and NOTE blocks, identifiers, cue settings, voice spans, karaoke timestamps and
character references; a Chinese SRT with a BOM). What was written is read back with
independent readers (the ``srt`` and ``webvtt-py`` packages).
"""
from __future__ import annotations

from types import SimpleNamespace

import difflib
from dataclasses import replace
from pathlib import Path

import pytest
import srt
import webvtt
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.config import load_job
from pipeline.emulator.pseudo import pseudo_translate
from pipeline.errors import ConfigError, FileError, FormatError
from pipeline.formats import handler_for
from pipeline.formats.base import LINE_LENGTH, READING_SPEED, LoadContext
from pipeline.formats.options import SubtitleOptions
from pipeline.formats import output_relpath
from pipeline.formats.subtitles import output_name
from pipeline.formats.subtitles.text import joiner, cue_lines, render, visible
from pipeline.languages import lookup
from pipeline.segments import has_translatable_text

FIXTURES = Path(__file__).parent / "fixtures"
FILES = sorted(FIXTURES.iterdir())
ZH, FR = lookup("zh"), lookup("fr")


def load(path: Path, data: bytes | None = None, options: SubtitleOptions | None = None):
    data = path.read_bytes() if data is None else data
    return handler_for(path).load(LoadContext(path, data, options or SubtitleOptions(), None, ()))


def independent(path: Path, data: bytes) -> list[tuple]:
    """(start, end, settings, text lines) of each cue, read by another library."""
    text = data.decode("utf-8-sig")
    if path.suffix == ".srt":
        return [(s.start, s.end, s.proprietary, s.content.split("\n")) for s in srt.parse(text)]
    cues = webvtt.from_string(text)
    return [(c.start, c.end, c.identifier, c.raw_text.split("\n")) for c in cues]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_identity_is_byte_identical(path: Path) -> None:
    doc = load(path)
    assert doc.segments()
    for lang in (ZH, FR):
        out = doc.rebuild(lang, {s.id: s.text for s in doc.segments()})
        assert out == path.read_bytes()
        assert doc.notices == [] or all(n[1] in (READING_SPEED, LINE_LENGTH) for n in doc.notices)


@pytest.mark.parametrize("lang", [ZH, FR], ids=lambda lang: lang.code)
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_pseudo_changes_only_cue_text(path: Path, lang) -> None:
    source = path.read_bytes()
    doc = load(path)
    translations = {s.id: pseudo_translate(s.text, lang.name) for s in doc.segments() if has_translatable_text(s.text)}
    out = doc.rebuild(lang, translations)
    assert doc.fallbacks == {}
    doc.verify(out)

    before, after = independent(path, source), independent(path, out)
    assert [c[:3] for c in after] == [c[:3] for c in before]          # cues, timings, settings
    assert all(len(c[3]) <= 2 for c, b in zip(after, before) if len(b[3]) <= 2)
    cue_text = {line for c in before + after for line in c[3]}
    src_lines, out_lines = source.decode("utf-8").splitlines(True), out.decode("utf-8").splitlines(True)
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, src_lines, out_lines, autojunk=False).get_opcodes():
        if op != "equal":   # every changed line is cue text, line endings kept
            assert all(s.rstrip("\r\n") in cue_text for s in src_lines[i1:i2] + out_lines[j1:j2])
    assert all(s.endswith("\r\n") for s in out_lines) == all(s.endswith("\r\n") for s in src_lines)

    again = {s.id: s.text for s in load(path, out).segments()}
    assert {sid: again[sid] for sid in translations} == translations   # read back as written


def test_markup_becomes_tags_and_is_written_back_as_it_was() -> None:
    doc = load(FIXTURES / "tides.vtt")
    texts = {s.id: s.text for s in doc.segments()}
    assert texts["cue1"] == "<x1/>Good morning, everyone. Let's talk about the tides."      # <v Professor Lee>
    assert texts["cue3"] == "We <x1/>see <x2/>two <x3/>high <x4/>tides a day."           # karaoke timestamps
    assert texts["cue4"] == "<g1>Why two & not one?</g1>"                                 # &amp; read as "&"
    assert texts["cue5"] == "<g1>Marée</g1> is the French word <for tide>."
    assert doc.inline_markup("cue1") == {1: ("<v Professor Lee>", "")}
    assert doc.inline_markup("cue5")[1] == ("<lang fr>", "</lang>")
    out = doc.rebuild(FR, {"cue4": "<g1>Pourquoi deux & pas un ?</g1>", "cue1": "<x1/>Bonjour à tous."})
    text = out.decode("utf-8")
    assert "<v.loud Student>Pourquoi deux &amp; pas un ?</v>\n" in text
    assert "line:85%\n<v Professor Lee>Bonjour à tous.\n\n" in text

    srt_doc = load(FIXTURES / "workshop.srt")
    texts = {s.id: s.text for s in srt_doc.segments()}
    assert texts["cue3"] == "<x1/>[SAW WHIRRING]"                                         # {\an8}
    assert texts["cue6"] == "<g1>Always wear safety glasses</g1> when you use a power tool."
    assert texts["cue4"] == "- Did you sand the edges?<x1/>- Not yet, I will do it now."  # dialogue: lines kept


def test_dialogue_lines_stay_one_per_speaker() -> None:
    doc = load(FIXTURES / "workshop.srt")
    out = doc.rebuild(FR, {"cue4": "- Tu as poncé les bords ?<x1/>- Pas encore, je le fais maintenant."})
    assert "00:00:12,100\r\n- Tu as poncé les bords ?\r\n- Pas encore, je le fais maintenant.\r\n\r\n" in out.decode()


def test_lines_are_joined_without_space_between_cjk_and_broken_back_to_the_target_width() -> None:
    doc = load(FIXTURES / "cooking.srt")
    assert doc.segments()[0].text == "欢迎来到我们的烹饪节目，今天我们做红烧肉。"
    long_zh = "我们今天要用一块很长的雪松木板，来做一个漂亮的喂鸟器然后挂在花园里的树枝上。"
    wdoc = load(FIXTURES / "workshop.srt")
    out = wdoc.rebuild(ZH, {"cue9": long_zh})
    lines = out.decode().split("00:00:26,000\r\n")[1].split("\r\n\r\n")[0].split("\r\n")
    assert len(lines) == 2 and "".join(lines) == long_zh
    assert lines[0].endswith("，")   # at the comma (16 and 22 characters: both cannot fit 16)
    plain = long_zh.replace("，", "")   # 37 characters, no punctuation inside: the most even break
    assert cue_lines(render(plain, {}, False), 16) == [plain[:18], plain[18:]]
    assert [n for n in wdoc.notices if n[0] == "cue9" and n[1] == LINE_LENGTH]    # 40 characters > 2 x 16


def test_latin_breaks_at_punctuation_near_the_middle() -> None:
    chunks = render("Drill a hole of 8 mm near the top, so you can hang it from a branch.", {}, False)
    assert cue_lines(chunks, 42) == ["Drill a hole of 8 mm near the top,", "so you can hang it from a branch."]
    assert cue_lines(render("Careful!", {}, False), 42) == ["Careful!"]


WORD = st.one_of(st.text(alphabet="abcdéfxyz", min_size=1, max_size=9),
                 st.text(alphabet="潮汐月亮地球海洋，。", min_size=1, max_size=6))


@settings(max_examples=200, deadline=None)
@given(st.lists(WORD, min_size=1, max_size=30), st.sampled_from([16, 42]))
def test_written_lines_join_back_to_the_translation(words: list[str], width: int) -> None:
    text = " ".join(words)
    lines = cue_lines(render(text, {}, True), width)
    assert 1 <= len(lines) <= 2 and all(line.strip() for line in lines)
    joined = lines[0] if len(lines) == 1 else lines[0] + joiner(lines[0], lines[1]) + lines[1]
    assert joined == text.replace("&", "&amp;")
    if len(visible(text)) > width and len(lines) == 2:
        assert max(len(visible(line)) for line in lines) < len(visible(text))


def test_reading_speed_is_reported_per_target_script_with_configurable_limits() -> None:
    doc = load(FIXTURES / "workshop.srt")
    en = {s.id: s.text for s in doc.segments()}
    # Characters a viewer sees (markup and line breaks not counted) per second: cue1 65 in
    # 2.8 s (23.2), cue2 64 in 3.5 s (18.3), cue4 53 in 1.8 s (29.4), cue8 73 in 0.3 s,
    # cue9 67 in 3.6 s (18.6); cue5 "Careful!" 8 in 0.7 s (11.4) is fine.
    doc.rebuild(FR, en)
    fast = {sid for sid, status, _ in doc.notices if status == READING_SPEED}
    assert fast == {"cue1", "cue2", "cue4", "cue8", "cue9"}
    assert any("243.3 characters a second in 0.30 s (limit 17)" in reason for _, _, reason in doc.notices)
    doc.rebuild(ZH, en)   # CJK targets: 20 a second
    assert {sid for sid, status, _ in doc.notices if status == READING_SPEED} == {"cue1", "cue4", "cue8"}
    lax = load(FIXTURES / "workshop.srt", options=SubtitleOptions(max_cps_latin=300.0, line_chars_latin=80))
    lax.rebuild(FR, en)
    assert lax.notices == []


def test_a_translation_that_would_break_the_cue_keeps_the_source() -> None:
    doc = load(FIXTURES / "workshop.srt")
    out = doc.rebuild(FR, {"cue5": "Attention --> ici", "cue7": "<g9>Le toit</g9>"})
    assert out == (FIXTURES / "workshop.srt").read_bytes()
    assert set(doc.fallbacks) == {"cue5", "cue7"}


def test_verify_refuses_an_output_that_lost_or_moved_a_cue() -> None:
    path = FIXTURES / "workshop.srt"
    doc = load(path)
    text = path.read_bytes()
    with pytest.raises(FormatError, match="cues instead of"):
        doc.verify(text.replace(b"5\r\n00:00:12,500 --> 00:00:13,200\r\nCareful!\r\n\r\n", b""))
    with pytest.raises(FormatError, match="outside cue text"):
        doc.verify(text.replace(b"00:00:12,500", b"00:00:12,600"))


def test_unreadable_files_get_one_line_errors(tmp_path: Path) -> None:
    bad_vtt = tmp_path / "a.vtt"
    with pytest.raises(FileError, match="does not start with WEBVTT"):
        load(bad_vtt, b"00:00.000 --> 00:01.000\nHello\n")
    with pytest.raises(FileError, match="no subtitle cue"):
        load(tmp_path / "a.srt", b"Just some notes, not subtitles.\n")
    with pytest.raises(FileError, match="not UTF-8"):
        load(tmp_path / "a.srt", "1\n00:00:01,000 --> 00:00:02,000\nÉté\n".encode("latin-1"))
    assert load(tmp_path / "e.srt", b"").segments() == []


def test_outputs_are_named_as_players_look_for_them(tmp_path: Path) -> None:
    assert output_name("videos/talk.srt", "zh") == "videos/talk.zh.srt"
    assert output_name("talk.vtt", "pt_br") == "talk.pt_br.vtt"
    job = SimpleNamespace(format_options=lambda name: None, source_lang=None)
    assert output_relpath(job, Path("videos/talk.srt"), "videos/talk.srt", "zh") == "videos/talk.zh.srt"
    assert output_relpath(job, Path("docs/a.md"), "docs/a.md", "zh") == "docs/a.md"


def test_subtitles_table_is_strictly_validated(write_job) -> None:
    base = 'input = "in"\noutput = "out/{lang}"\ntarget_langs = ["zh"]\n'
    job = load_job(write_job(base + "[subtitles]\nmax_cps_latin = 15\nline_chars_cjk = 18\n"))
    assert job.subtitles == replace(SubtitleOptions(), max_cps_latin=15.0, line_chars_cjk=18)
    assert job.format_options("subtitles") is job.subtitles
    with pytest.raises(ConfigError, match="max_cps"):
        load_job(write_job(base + "[subtitles]\nmax_cps = 15\n"))
    with pytest.raises(ConfigError, match="subtitles.line_chars_latin"):
        load_job(write_job(base + "[subtitles]\nline_chars_latin = 0\n"))
    with pytest.raises(ConfigError, match="subtitles.max_cps_cjk"):
        load_job(write_job(base + '[subtitles]\nmax_cps_cjk = "fast"\n'))
