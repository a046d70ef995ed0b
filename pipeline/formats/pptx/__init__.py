"""PowerPoint (.pptx), in place: every text a reader sees, one segment per ``a:p``.

Like :mod:`pipeline.formats.docx`, the package's XML parts are edited directly (never
re-serialized through a document model) and every part without translated text is
written back byte for byte. The package is read with the shared guards
(:mod:`pipeline.formats.ooxml.package`), paragraphs use the shared DrawingML model
(:mod:`pipeline.formats.ooxml.drawing`: runs as tags, fields as isolated tags, target
language and East Asian / complex-script fonts on translated runs).

Parts, in slide order: each slide (shapes, placeholders, groups, tables), its speaker
notes, its charts (titles and labels stored as rich text; series and categories that
are cell references are never touched), its SmartArt (the data model and its cached
drawing), its comments; with ``[pptx] layouts_masters``, the non-placeholder text of the
layouts and masters the slides use. A part shared by several slides is translated once.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from lxml import etree

from pipeline.errors import FileError, FormatError
from pipeline.formats.base import EXPANDED, NO_VERBATIM, Document, FormatHandler, LoadContext, Verbatim
from pipeline.formats.ooxml.drawing import DrawingParagraph, a, read_drawing_paragraph, rebuild_drawing_paragraph
from pipeline.formats.ooxml.protect import OFF, CodeRules
from pipeline.formats.ooxml.package import R_ID, ZipParts, fails_alone, natural
from pipeline.formats.options import PptxOptions
from pipeline.formats.pptx.expansion import BoxText, count, shrink_grown
from pipeline.formats.pptx.direction import inherited_alignment, mirror_tables
from pipeline.formats.pptx.leftovers import unextracted_paragraphs, unwalked_parts
from pipeline.languages import Language
from pipeline.formats.ooxml.runs import plain_segment, plain_translation
from pipeline.segments import Segment

P_NS = "http://schemas.openxmlformats.org/presentationml/2006/main"
WHAT = "a PowerPoint presentation"


def p_(tag: str) -> str:
    return f"{{{P_NS}}}{tag}"


@dataclass(frozen=True)
class SlidePart:
    """A part with text: its zip name, kind and the slide it belongs to (0: none)."""

    name: str
    kind: str       # slide | notes | chart | diagram | comments | layout | master
    slide: int


@dataclass(eq=False)
class TextUnit:
    """One paragraph (``a:p``) or plain comment text (``p:text``) with text."""

    id: str
    context: str
    paragraph: DrawingParagraph | None     # None for a plain-text comment
    element: etree._Element                # the a:p or the p:text

    @property
    def text(self) -> str:
        if self.paragraph is not None:
            return self.paragraph.text
        return plain_segment(self.element.text or "")

    @property
    def profile(self) -> tuple[tuple[str, int], ...]:
        return self.paragraph.profile if self.paragraph is not None else ()


def find_parts(package: ZipParts, options: PptxOptions) -> list[SlidePart]:
    """The parts to translate, slide by slide; FileError if this is no presentation."""
    main = package.main_part(WHAT)
    if package.xml(main).getroot().tag != p_("presentation"):
        raise FileError(package.path, f"not {WHAT}: main part {main} is not a presentation")
    parts: list[SlidePart] = []
    seen: set[str] = set()
    layouts: list[str] = []

    def add(name: str, kind: str, slide: int) -> None:
        if name not in seen:
            seen.add(name)
            parts.append(SlidePart(name, kind, slide))

    for n, slide in enumerate(_slides_in_order(package, main), start=1):
        add(slide, "slide", n)
        wanted = [("notesSlide", "notes", options.notes), ("chart", "chart", options.charts),
                  ("diagramData", "diagram", options.smartart), ("diagramDrawing", "diagram", options.smartart),
                  ("comments", "comments", options.comments)]
        for rel, kind, enabled in wanted:
            for target in package.related(slide, rel) if enabled else ():
                add(target, kind, n)
        layouts += [t for t in package.related(slide, "slideLayout") if t not in layouts]
    if options.layouts_masters:
        # A layout with showMasterSp="0" hides its master's shapes: their text is not seen through it.
        masters = [m for lay in layouts if package.xml(lay).getroot().get("showMasterSp") != "0"
                   for m in package.related(lay, "slideMaster")]
        for name in layouts:
            add(name, "layout", 0)
        for name in dict.fromkeys(masters):
            add(name, "master", 0)
    return parts


def _slides_in_order(package: ZipParts, main: str) -> list[str]:
    """Slides in the order the presentation lists them (``p:sldIdLst``)."""
    by_id = package.by_id(main)
    root = package.xml(main).getroot()
    ordered = [by_id.get(el.get(R_ID, "")) for el in root.iter(p_("sldId"))]
    slides = [s for s in ordered if s and s in package.entries]
    rest = sorted((t for t in package.related(main, "slide") if t not in slides), key=natural)
    return slides + rest


def walk_slide_part(root: etree._Element, part: SlidePart, rules: CodeRules = OFF,
                    kept: set[etree._Element] | None = None) -> Iterator[TextUnit]:
    """Every paragraph with text in ``root``, in document order, numbered by position.
    Paragraphs whose text is all code (``rules``) are added to ``kept``: not sent, on purpose."""
    if part.kind == "comments" and root.tag == p_("cmLst"):  # legacy comments: plain text
        for i, el in enumerate(root.iter(p_("text"))):
            if (el.text or "").strip():
                yield TextUnit(f"{part.name}#c{i}", _where(part, ""), None, el)
        return
    for i, p in enumerate(root.iter(a("p"))):
        if part.kind in ("layout", "master") and _in_placeholder(p):
            continue  # prompt text ("Click to edit ...") that no slide shows
        model = read_drawing_paragraph(p, rules)
        if kept is not None and model.all_code:
            kept.add(p)
        if model.translatable:
            yield TextUnit(f"{part.name}#{i}", _where(part, _context(p)), model, p)


def _context(p: etree._Element) -> str:
    for anc in p.iterancestors():
        if anc.tag == a("tc"):
            return "table"
    return ""


_LABELS = {"notes": "notes", "chart": "chart", "diagram": "SmartArt", "comments": "comment",
           "layout": "layout", "master": "master"}


def _where(part: SlidePart, inner: str) -> str:
    """A segment's context for reports: "slide 2, table", "notes (slide 1)", "layout"."""
    if part.kind == "slide":
        label = f"slide {part.slide}"
    else:
        label = f"{_LABELS[part.kind]} (slide {part.slide})" if part.slide else _LABELS[part.kind]
    return f"{label}, {inner}" if inner else label


def _in_placeholder(p: etree._Element) -> bool:
    for anc in p.iterancestors():
        if anc.tag == p_("sp"):
            nv = anc.find(f"{p_('nvSpPr')}/{p_('nvPr')}/{p_('ph')}")
            return nv is not None
    return False


def code_rules(fonts: tuple[str, ...]) -> CodeRules:
    """The code rules of a job's ``protect_fonts`` (tests measure the corpus without
    protection by replacing this)."""
    return CodeRules.of(fonts)


class PptxDocument(Document):
    """A loaded .pptx: the package bytes and the parts with text; rebuilds re-read the parts."""

    def __init__(self, path: Path, package: ZipParts, options: PptxOptions):
        super().__init__(path)
        self.package = package
        self.options = options
        self.parts = find_parts(package, options)
        self.rules = code_rules(options.protect_fonts)
        self._segments: list[Segment] = []
        self._profiles: dict[str, tuple[tuple[str, int], ...]] = {}
        self._verbatim: dict[str, Verbatim] = {}
        for part in self.parts:
            for unit in walk_slide_part(package.xml(part.name).getroot(), part, self.rules):
                self._profiles[unit.id] = unit.profile
                self._segments.append(Segment(unit.id, unit.text, unit.context))
                if unit.paragraph is not None:
                    self._verbatim[unit.id] = unit.paragraph.verbatim

    def segments(self) -> Sequence[Segment]:
        return self._segments

    def verbatim(self, segment_id: str) -> Verbatim:
        """The code of the segment's paragraph (:mod:`pipeline.formats.ooxml.protect`)."""
        return self._verbatim.get(segment_id, NO_VERBATIM)

    def unextracted(self) -> list[str]:
        """Text the walk did not extract, found by :mod:`.leftovers` reading the XML itself."""
        out: list[str] = []
        for part in self.parts:
            root = self.package.xml(part.name).getroot()
            kept: set[etree._Element] = set()
            extracted = {u.element for u in walk_slide_part(root, part, self.rules, kept)} | kept
            skipped = ({p for p in root.iter(a("p")) if _in_placeholder(p)}
                       if part.kind in ("layout", "master") else set())
            out += unextracted_paragraphs(part.name, root, extracted, skipped)
        return out + unwalked_parts(self.package, {p.name for p in self.parts}, self.options)

    def rebuild(self, lang: Language, translations: Mapping[str, str]) -> bytes:
        with fails_alone(self.path, FormatError, "rebuild failed"):
            return self._rebuild(lang, translations)

    def _rebuild(self, lang: Language, translations: Mapping[str, str]) -> bytes:
        replaced: dict[str, bytes] = {}
        self.notices = []   # text boxes whose translation grew much: set to shrink, reported as warnings
        for part in self.parts:
            tree = self.package.xml(part.name)
            translated: list[etree._Element] = []
            boxes: dict[etree._Element, BoxText] = {}
            for unit in list(walk_slide_part(tree.getroot(), part, self.rules)):
                text = translations.get(unit.id)
                if text is None:
                    continue
                translated.append(unit.element)
                count(boxes, unit.element, unit.id, unit.text, text)
                if unit.paragraph is None:
                    unit.element.text = plain_translation(text, unit.element.text or "")
                else:
                    algn = inherited_alignment(self.package, part.name, part.kind, unit.element) if lang.rtl else None
                    rebuild_drawing_paragraph(unit.paragraph, text, lang, algn)
            if lang.rtl:
                mirror_tables(translated)
            self.notices += [(sid, EXPANDED, why) for sid, why in shrink_grown(boxes).items()]
            if translated:
                replaced[part.name] = self.package.dump(tree)
        return self.package.write(replaced)

    def verify(self, data: bytes) -> "PptxDocument":
        """Re-open the rebuilt bytes: the same paragraphs with text, the same non-text elements.
        Returns the re-opened presentation (the coverage check reads its segments)."""
        try:
            again = PptxDocument(self.path, ZipParts.open(self.path, data, WHAT, rebuilt=True), self.options)
        except FileError as exc:
            raise FormatError(self.path, f"rebuilt presentation does not re-open: {exc.reason}") from exc
        if list(again._profiles) != list(self._profiles):
            missing = sorted(set(self._profiles) - set(again._profiles))
            raise FormatError(self.path, f"rebuilt presentation has different paragraphs (missing {missing[:5]})")
        for uid, profile in self._profiles.items():
            if again._profiles[uid] != profile:
                raise FormatError(self.path, f"paragraph {uid} lost or gained elements: {profile} -> "
                                             f"{again._profiles[uid]}")
        return again


class PptxHandler(FormatHandler):
    name = "pptx"
    extensions = (".pptx",)

    def load(self, ctx: LoadContext) -> PptxDocument:
        options = ctx.options if isinstance(ctx.options, PptxOptions) else PptxOptions()
        package = ZipParts.open(ctx.path, ctx.data or b"", WHAT, rebuilt=ctx.rebuilt)
        with fails_alone(ctx.path, FileError, "cannot read the presentation structure"):
            return PptxDocument(ctx.path, package, options)


HANDLER = PptxHandler()

__all__ = ["HANDLER", "PptxDocument", "PptxHandler", "find_parts", "walk_slide_part"]
