"""Word (.docx): every part a reader sees, one segment per paragraph, formatting as tags.

Modules: :mod:`.package` (open the zip safely, find the parts), :mod:`.cleanup` (drop
proofing noise, merge runs), :mod:`.walk` (the one walk over parts and paragraphs),
:mod:`.paragraph` (paragraph <-> tagged segment), :mod:`.language` (target-language
settings), :mod:`.formatting` (per-character formatting, for identity checks).

Parts: the body (tables, nested tables, text boxes, content controls, tracked
insertions), every header and footer part once (sections that share one share its
translation), footnotes, endnotes, comments, and optionally the core title and subject.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

from lxml import etree

from pipeline.errors import FileError, FormatError
from pipeline.formats.base import NO_VERBATIM, Document, FormatHandler, LoadContext, Verbatim
from pipeline.formats.docx.altchunk import altchunk_problems
from pipeline.formats.docx.code import WordCode
from pipeline.formats.docx.unwalked import unextracted_paragraphs, unwalked_parts
from pipeline.formats.docx.language import mark_defaults, mark_layout, mark_paragraph, mark_runs
from pipeline.formats.docx.package import Package, Part, open_package
from pipeline.formats.docx.paragraph import rebuild_paragraph
from pipeline.formats.docx.walk import DocxUnit, walk_part
from pipeline.formats.ooxml.package import fails_alone
from pipeline.formats.ooxml.protect import CodeRules
from pipeline.formats.ooxml.runs import plain_translation
from pipeline.formats.options import DocxOptions
from pipeline.languages import Language
from pipeline.segments import Segment, SegmentBuilder

DC_NS = "http://purl.org/dc/elements/1.1/"
CORE_FIELDS = ("title", "subject")


class DocxDocument(Document):
    """A loaded .docx. Holds the package bytes; each rebuild re-reads the parts it changes."""

    def __init__(self, path: Path, package: Package, options: DocxOptions):
        super().__init__(path)
        self.package = package
        self.options = options
        self.parts = [p for p in package.parts if _wanted(p, options)]
        self.code = _code(package, options)
        self._segments, self._profiles = self._extract(package)
        #: Content left in the source language, with the reason (the run reports it).
        self.problems = altchunk_problems(package, self.parts)

    # -- extraction ------------------------------------------------------------------

    def _extract(self, package: Package) -> tuple[list[Segment], dict[str, tuple[tuple[str, int], ...]]]:
        segments: list[Segment] = []
        profiles: dict[str, tuple[tuple[str, int], ...]] = {}
        self._unextracted: list[str] = []
        self._verbatim: dict[str, Verbatim] = {}
        for part in self.parts:
            root = package.xml(part.name).getroot()
            extracted: set[etree._Element] = set()
            for unit in walk_part(root, part, self.code, kept=extracted):
                extracted.add(unit.model.p)
                profiles[unit.id] = unit.model.profile
                if unit.is_segment:
                    segments.append(Segment(unit.id, unit.model.text, unit.context))
                    self._verbatim[unit.id] = unit.model.verbatim
            self._unextracted += unextracted_paragraphs(part.name, root, extracted)
        segments += self._core_segments(package)
        return segments, profiles

    def unextracted(self) -> list[str]:
        """Text the walk did not extract, found by :mod:`.unwalked` reading the XML itself."""
        refused = {p.name for p in self.package.parts if p not in self.parts}
        return self._unextracted + unwalked_parts(self.package, {p.name for p in self.parts}, refused)

    def _core_segments(self, package: Package) -> list[Segment]:
        if not (self.options.core_properties and package.core):
            return []
        root = package.xml(package.core).getroot()
        out = []
        for name in CORE_FIELDS:
            el = root.find(f"{{{DC_NS}}}{name}")
            if el is not None and el.text is not None and el.text.strip():
                builder = SegmentBuilder()
                builder.text(el.text)
                out.append(Segment(f"{package.core}#{name}", builder.build(), name))
        return out

    def segments(self) -> Sequence[Segment]:
        return self._segments

    def verbatim(self, segment_id: str) -> Verbatim:
        """The code of the segment's paragraph (:mod:`pipeline.formats.ooxml.protect`)."""
        return self._verbatim.get(segment_id, NO_VERBATIM)

    # -- rebuild ---------------------------------------------------------------------

    def rebuild(self, lang: Language, translations: Mapping[str, str]) -> bytes:
        with fails_alone(self.path, FormatError, "rebuild failed"):
            return self._rebuild(lang, translations)

    def _rebuild(self, lang: Language, translations: Mapping[str, str]) -> bytes:
        replaced: dict[str, bytes] = {}
        for part in self.parts:
            tree = self.package.xml(part.name)
            translated = [unit.model.p for unit in list(walk_part(tree.getroot(), part, self.code))
                          if _rebuild_unit(unit, translations, lang)]
            mark_layout(tree.getroot(), translated, lang)
            replaced[part.name] = self.package.dump(tree)
        if self.package.core and self.options.core_properties:
            replaced[self.package.core] = self._rebuild_core(self.package.core, translations)
        replaced.update(self._defaults(lang))
        return self.package.write(replaced)

    def _rebuild_core(self, core: str, translations: Mapping[str, str]) -> bytes:
        tree = self.package.xml(core)
        for name in CORE_FIELDS:
            el = tree.getroot().find(f"{{{DC_NS}}}{name}")
            text = translations.get(f"{core}#{name}")
            if el is not None and text is not None:
                el.text = plain_translation(text, el.text or "")
        return self.package.dump(tree)

    def _defaults(self, lang: Language) -> dict[str, bytes]:
        """Document defaults carry the target language (styles and settings parts)."""
        out: dict[str, bytes] = {}
        kinds = ("styles", "settings") if lang.east_asian or lang.rtl else ("styles",)
        for kind in kinds:
            name = self.package.related.get(kind)
            if name is None:
                continue
            tree = self.package.xml(name)
            if kind == "styles":
                mark_defaults(tree.getroot(), None, lang)
            else:
                mark_defaults(None, tree.getroot(), lang)
            out[name] = self.package.dump(tree)
        return out

    # -- check before writing --------------------------------------------------------

    def verify(self, data: bytes) -> "DocxDocument":
        """Re-open the rebuilt bytes: same paragraphs with text, same non-text elements.
        Returns the re-opened document (the coverage check reads its segments)."""
        try:
            package = open_package(self.path, data, rebuilt=True)
            again = DocxDocument(self.path, package, self.options)
        except FileError as exc:
            raise FormatError(self.path, f"rebuilt document does not re-open: {exc.reason}") from exc
        except Exception as exc:
            raise FormatError(self.path, f"rebuilt document does not re-open ({type(exc).__name__}: {exc})") from exc
        if list(again._profiles) != list(self._profiles):
            missing = sorted(set(self._profiles) - set(again._profiles))
            extra = sorted(set(again._profiles) - set(self._profiles))
            raise FormatError(
                self.path, f"rebuilt document has different paragraphs (missing {missing[:5]}, new {extra[:5]})"
            )
        for uid, profile in self._profiles.items():
            if again._profiles[uid] != profile:
                raise FormatError(
                    self.path, f"paragraph {uid} lost or gained elements: {profile} -> {again._profiles[uid]}"
                )
        return again


def code_rules(fonts: tuple[str, ...], styles: tuple[str, ...]) -> CodeRules:
    """The code rules of a job's ``protect_fonts`` and ``protect_styles`` (tests measure
    the corpus without protection by replacing this)."""
    return CodeRules.of(fonts, styles)


def _code(package: Package, options: DocxOptions) -> WordCode:
    styles = package.related.get("styles")
    root = package.xml(styles).getroot() if styles else None
    return WordCode.of(code_rules(options.protect_fonts, options.protect_styles), root)


def _wanted(part: Part, options: DocxOptions) -> bool:
    if part.kind in ("header", "footer"):
        return options.headers_footers
    if part.kind in ("footnotes", "endnotes"):
        return options.notes
    if part.kind == "comments":
        return options.comments
    return True


def _rebuild_unit(unit: DocxUnit, translations: Mapping[str, str], lang: Language) -> bool:
    """Write the unit's translation, if any; True when it was written."""
    text = translations.get(unit.translation_id)
    if text is None:
        return False
    runs = rebuild_paragraph(unit.model, text)
    mark_runs(runs, lang)
    mark_paragraph(unit.model.p, lang)
    return True


class DocxHandler(FormatHandler):
    name = "docx"
    extensions = (".docx",)

    def load(self, ctx: LoadContext) -> DocxDocument:
        options = ctx.options if isinstance(ctx.options, DocxOptions) else DocxOptions()
        package = open_package(ctx.path, ctx.content, rebuilt=ctx.rebuilt)
        with fails_alone(ctx.path, FileError, "cannot read the document structure"):
            return DocxDocument(ctx.path, package, options)


HANDLER = DocxHandler()

__all__ = ["HANDLER", "DocxHandler", "DocxDocument"]
