"""SRT and WebVTT subtitles as text inputs: translate the cue text, keep every other byte.

A subtitle file is a list of cues on a timeline a video editor fixed; a translation
that merges, splits or shifts cues is useless. So each cue is one segment (its lines
joined, its markup as tags, see :mod:`.text`), segments go out in file order (the
packer sends neighbours together, which gives the model context, and its markers align
answers one to one), and the writer is a splice (:mod:`.cues` locates each cue's text
lines): cue numbers, identifiers, timings and their settings, the WebVTT header and its
``NOTE``, ``STYLE`` and ``REGION`` blocks, blank lines and line endings are copied from
the source. Only a translated cue's text lines change, re-broken into at most two lines
of the target script's width.

Libraries measured (pysubs2 1.8, srt 3.5, webvtt-py 0.6): none writes a file back as it
read it (all three drop CRLF endings or SRT coordinates; pysubs2 drops the WebVTT
header, NOTE and STYLE blocks, cue settings, ``<v>`` and ``{\\an8}``; webvtt-py reorders
STYLE and REGION blocks and rewrites short timestamps), hence the splice. The tests
use srt and webvtt-py as independent readers of what qmt wrote.

Each translated cue is checked against the reading speed and line width of its target
(``[subtitles]`` options); a cue over them is reported as a warning (exit code 0). In a
right-to-left target each translated line carries the direction marks players need
(:mod:`.direction`).

Outputs are named as players look for them, beside where ``NAME.srt`` would go:
``NAME.LANG.srt`` (the names qmt's media outputs use, :func:`pipeline.media.run.output_names`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Mapping, Sequence

from pipeline.errors import FileError, FormatError
from pipeline.formats.base import LINE_LENGTH, READING_SPEED, Document, FormatHandler, LoadContext
from pipeline.formats.options import SubtitleOptions
from pipeline.formats.subtitles.cues import TIMING_RE, Cue, CueError, read_cues, skeleton
from pipeline.formats.subtitles.direction import mark_rtl, unmark
from pipeline.formats.subtitles.text import Markup, build_segment, cue_lines, render, visible
from pipeline.languages import Language
from pipeline.segments import Literal, Segment, TagError

_BOM = "\ufeff"


@dataclass(frozen=True)
class _CueUnit:
    id: str
    text: str
    payloads: dict[int, object]
    cue: Cue
    context: str


class SubtitleDocument(Document):
    """A parsed SRT or WebVTT file: its cues and the text they are spliced back into."""

    def __init__(self, path: Path, text: str, vtt: bool, options: SubtitleOptions):
        super().__init__(path)
        self.options, self.vtt = options, vtt
        self.bom = _BOM if text.startswith(_BOM) else ""
        self.text = text[len(self.bom):]
        try:
            self.cues = read_cues(self.text, vtt)
        except CueError as exc:
            raise FileError(path, str(exc)) from None
        self.skeleton = skeleton(self.text, self.cues)
        self.units = [self._unit(cue) for cue in self.cues if cue.lines]

    def _unit(self, cue: Cue) -> _CueUnit:
        lines = [unmark(self.text[a:b]) for a, b in cue.lines]     # direction marks are the writer's
        text, payloads = build_segment(lines, self.vtt)
        stamp = self.text[cue.timing[0]:cue.timing[1]].split("-->")[0].strip()
        return _CueUnit(f"cue{cue.number}", text, payloads, cue, f"cue {cue.number} at {stamp}")

    def segments(self) -> Sequence[Segment]:
        return [Segment(u.id, u.text, u.context) for u in self.units]

    def inline_markup(self, segment_id: str) -> Mapping[int, tuple[str, str]]:
        unit = next((u for u in self.units if u.id == segment_id), None)
        if unit is None:
            return {}
        out = {}
        for num, p in unit.payloads.items():
            out[num] = (p.open, p.close) if isinstance(p, Markup) else (p.text, "") if isinstance(p, Literal) \
                else ("\n", "")
        return out

    def rebuild(self, lang: Language, translations: Mapping[str, str]) -> bytes:
        """Each translated cue's text lines replaced; everything else copied."""
        cjk = lang.east_asian
        width = self.options.line_chars_cjk if cjk else self.options.line_chars_latin
        max_cps = self.options.max_cps_cjk if cjk else self.options.max_cps_latin
        self.fallbacks, self.notices = {}, []
        out, pos = [], 0
        for unit in self.units:
            new = translations.get(unit.id)
            if new is None:
                continue
            lines = self._lines(unit, new, width)
            if lines is None:
                continue
            self._check(unit, lines, width, max_cps)
            if new == unit.text:
                continue  # the source's own lines, byte for byte
            if lang.rtl:
                lines = [mark_rtl(line) for line in lines]
            start, end = unit.cue.lines[0][0], unit.cue.lines[-1][1]
            out += [self.text[pos:start], self._eol(unit.cue).join(lines)]
            pos = end
        out.append(self.text[pos:])
        return (self.bom + "".join(out)).encode("utf-8")

    def _lines(self, unit: _CueUnit, translation: str, width: int) -> list[str] | None:
        if translation == unit.text:
            return [self.text[a:b] for a, b in unit.cue.lines]
        try:
            lines = cue_lines(render(translation, unit.payloads, self.vtt), width)
        except (TagError, KeyError) as exc:
            self.fallbacks[unit.id] = f"translation does not match the cue's tags ({exc}); source text kept"
            return None
        if any(not line.strip() or TIMING_RE.match(line) or "-->" in line for line in lines):
            self.fallbacks[unit.id] = "translation would end the cue or start another; source text kept"
            return None
        return lines

    def _check(self, unit: _CueUnit, lines: list[str], width: int, max_cps: float) -> None:
        """Note a cue a viewer cannot read in its time, or whose lines are too wide."""
        chars = sum(len(visible(line)) for line in lines)
        seconds = unit.cue.seconds
        if seconds > 0 and chars / seconds > max_cps:
            self.notices.append((unit.id, READING_SPEED, f"{chars / seconds:.1f} characters a second in "
                                 f"{seconds:.2f} s (limit {max_cps:g})"))
        wide = max(len(visible(line)) for line in lines)
        if wide > width:
            self.notices.append((unit.id, LINE_LENGTH, f"a line of {wide} characters (limit {width}, two lines)"))

    def _eol(self, cue: Cue) -> str:
        at = cue.lines[0][1] if len(cue.lines) > 1 else cue.timing[1]
        nxt = self.text[at:at + 2]
        return "\r\n" if nxt == "\r\n" else nxt[:1] if nxt[:1] in ("\r", "\n") else "\n"

    def verify(self, data: bytes) -> "SubtitleDocument":
        """Raise FormatError unless ``data`` has this file's cues, timings and every
        byte outside cue text; returns the re-read document (its segments are the output's)."""
        try:
            again = SubtitleDocument(self.path, data.decode("utf-8"), self.vtt, self.options)
        except (UnicodeDecodeError, FileError) as exc:
            raise FormatError(self.path, f"rebuilt subtitles do not read back: {exc}") from exc
        if again.bom != self.bom or len(again.cues) != len(self.cues):
            raise FormatError(self.path, f"rebuilt subtitles have {len(again.cues)} cues instead of {len(self.cues)}")
        if again.skeleton != self.skeleton:
            k = next(i for i, (a, b) in enumerate(zip(self.skeleton, again.skeleton)) if a != b)
            raise FormatError(self.path, f"rebuilt subtitles differ outside cue text after cue {k}")
        return again


def output_name(relpath: str, label: str) -> str:
    """``videos/talk.srt`` -> ``videos/talk.zh.srt``: the name players pick up beside the video."""
    rel = PurePosixPath(relpath)
    return str(rel.parent / f"{rel.stem}.{label}{rel.suffix}")


class SubtitleHandler(FormatHandler):
    name = "subtitles"
    extensions = (".srt", ".vtt")

    def output_relpath(self, relpath: str, lang_code: str, options: Any, source_lang: Language | None) -> str:
        return output_name(relpath, lang_code)

    def load(self, ctx: LoadContext) -> SubtitleDocument:
        try:
            text = ctx.content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileError(ctx.path, f"not UTF-8 text (byte {exc.start}); subtitles must be UTF-8") from exc
        if "\x00" in text:
            raise FileError(ctx.path, "holds a NUL byte: not a text file; nothing translated")
        options = ctx.options if isinstance(ctx.options, SubtitleOptions) else SubtitleOptions()
        return SubtitleDocument(ctx.path, text, ctx.path.suffix.lower() == ".vtt", options)


HANDLER = SubtitleHandler()

__all__ = ["HANDLER", "SubtitleDocument", "SubtitleHandler", "output_name"]
