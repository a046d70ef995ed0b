"""Excel (.xlsx), in place: the text a reader sees, never a value a formula depends on.

Like :mod:`pipeline.formats.pptx`, the package's XML parts are edited directly and every
part without translated text is written back byte for byte (shared guards and
relationships: :mod:`pipeline.formats.ooxml.package`).

What is translated: text cells of the columns chosen per sheet (:mod:`.sheets`; shared
strings and inline strings, rich text runs as tags: :mod:`.strings`), cell notes and
comment threads, chart titles and labels stored as text, text boxes and shapes on sheets
(DrawingML: :mod:`pipeline.formats.ooxml.drawing`, with the target language and fonts).
Never: formulas or their cached results, numbers, dates, booleans, error values, sheet
names, defined names, data validations, table header cells, nor a cell whose text a
formula, an autofilter or a validation list tests for (``=IF(E2="open", …)``).

A shared string used both by a translated cell and by one that is not (a header, a
kept column, another sheet) is split: the translated cells point to a new string
appended to the table, the others keep the original, so each keeps its meaning.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from lxml import etree

from pipeline.errors import FileError, FormatError
from pipeline.formats.base import Document, FormatHandler, LoadContext, text_preview
from pipeline.formats.ooxml.drawing import DrawingParagraph, a, read_drawing_paragraph, rebuild_drawing_paragraph
from pipeline.formats.ooxml.package import R_ID, ZipParts, fails_alone
from pipeline.formats.ooxml.runs import plain_segment, plain_translation
from pipeline.formats.options import XlsxOptions
from pipeline.formats.xlsx.sheets import (SheetChoice, TextCell, choose_sheet_columns, literals_in_use, string_value,
                                          table_headers, text_cells)
from pipeline.formats.xlsx.direction import mirror_alignment, mirror_sheet
from pipeline.formats.xlsx.strings import RichString, read_string, rebuild_string, x
from pipeline.languages import Language
from pipeline.segments import Segment, has_translatable_text

WHAT = "an Excel workbook"
THREADED_NS = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"


@dataclass(frozen=True)
class Sheet:
    name: str
    part: str           # the worksheet or chartsheet part
    chart_only: bool    # a chartsheet: charts, no cells


class XlsxDocument(Document):
    """A loaded .xlsx: its segments, and which cells each shared string serves."""

    def __init__(self, path: Path, package: ZipParts, options: XlsxOptions, relpath: str,
                 source: Language | None = None):
        super().__init__(path)
        self.package = package
        self.options = options
        self.source = source  # the job's source language: a column named by another one is kept
        main = package.main_part(WHAT)
        root = package.xml(main).getroot()
        if root.tag != x("workbook"):
            raise FileError(path, f"not {WHAT}: main part {main} is not a workbook")
        self.sheets = _sheets(package, main, root)
        shared = package.related(main, "sharedStrings")
        self.sst_part = shared[0] if shared else None
        #: How many strings the shared table holds (counted while it is streamed).
        self.sst_count = 0
        self._segments: list[Segment] = []
        #: shared string index -> translated cells (sheet part, ref); split when used elsewhere too.
        self.split: dict[int, list[tuple[str, str]]] = {}
        self.shared_ids: dict[int, str] = {}
        self.inline_ids: dict[tuple[str, str], str] = {}
        self._cells(package, relpath)
        self.drawing_parts = self._drawing_parts()
        for part, kind in self.drawing_parts:
            self._segments += [Segment(uid, text, context) for uid, text, context, _ in self._walk_extra(
                package.xml(part).getroot(), part, kind)]

    # -- reading ------------------------------------------------------------------------

    def _read_shared(self, needed: set[int]) -> dict[int, etree._Element]:
        """The shared strings that ``needed`` names, streamed (lxml's iterparse): the table is
        never a whole tree, only the strings the sheets' text cells use are kept."""
        kept: dict[int, etree._Element] = {}
        if self.sst_part is None:
            return kept
        for index, item in enumerate(self.package.stream(self.sst_part, x("si"))):
            if index in needed:
                kept[index] = item
            self.sst_count = index + 1
        return kept

    def _cells(self, package: ZipParts, relpath: str) -> None:
        translated: dict[int, list[tuple[str, str]]] = {}
        untranslated: set[int] = set()
        roots = {s.part: package.xml(s.part).getroot() for s in self.sheets if not s.chart_only}
        # Formulas on any sheet may test text on any other: one set for the workbook.
        self.in_use = set().union(*(literals_in_use(root) for root in roots.values()))
        sheet_cells = {part: text_cells(root) for part, root in roots.items()}
        sst_items = self._read_shared({c.shared for cells in sheet_cells.values() for c in cells
                                       if c.shared is not None})
        for sheet in self.sheets:
            if sheet.chart_only:
                continue
            cells = sheet_cells[sheet.part]
            headers = table_headers([package.xml(t).getroot() for t in package.related(sheet.part, "table")])
            cells_in = [c for c in cells if c.ref not in headers]
            untranslated.update(c.shared for c in cells if c.ref in headers and c.shared is not None)
            choice = choose_sheet_columns(sheet.name, cells_in, lambda c: string_value(c, sst_items),
                                          self.options.rule_for(relpath, sheet.name), self.source)
            if cells_in:
                self.decisions.append(choice.describe())
            for cell in cells_in:
                self._cell_segment(sheet, cell, choice, sst_items, translated, untranslated)
        self.split = {i: refs for i, refs in translated.items() if i in untranslated}

    def _cell_segment(self, sheet: Sheet, cell: TextCell, choice: SheetChoice, sst_items: dict[int, etree._Element],
                      translated: dict[int, list[tuple[str, str]]], untranslated: set[int]) -> None:
        value = string_value(cell, sst_items)
        if not choice.translates(cell, value) or value in self.in_use:
            if cell.shared is not None:
                untranslated.add(cell.shared)
            return
        context = f"{sheet.name}!{cell.ref}"
        if cell.shared is None:
            model = read_string(cell.holder)
            if model.translatable:
                uid = f"{sheet.part}#{cell.ref}"
                self.inline_ids[(sheet.part, cell.ref)] = uid
                self._segments.append(Segment(uid, model.text, context))
            return
        if cell.shared not in sst_items:
            return
        translated.setdefault(cell.shared, []).append((sheet.part, cell.ref))
        if cell.shared not in self.shared_ids:
            model = read_string(sst_items[cell.shared])
            if model.translatable:
                uid = f"{self.sst_part}#{cell.shared}"
                self.shared_ids[cell.shared] = uid
                self._segments.append(Segment(uid, model.text, context))

    def _drawing_parts(self) -> list[tuple[str, str]]:
        """(part, kind) of comments, drawings and charts the options ask for, each once."""
        out: list[tuple[str, str]] = []
        for sheet in self.sheets:
            if self.options.comments:
                out += [(p, "comments") for p in self.package.related(sheet.part, "comments")]
                out += [(p, "threaded") for p in self.package.related(sheet.part, "threadedComment")]
            for drawing in self.package.related(sheet.part, "drawing"):
                if self.options.drawings:
                    out.append((drawing, "drawing"))
                if self.options.charts:
                    out += [(p, "chart") for p in self.package.related(drawing, "chart")]
        return list(dict.fromkeys(out))

    def _walk_extra(self, root: etree._Element, part: str, kind: str
                    ) -> Iterator[tuple[str, str, str, etree._Element | RichString | DrawingParagraph]]:
        """(id, text, context, model) of each comment or DrawingML paragraph with text: the
        model is a thread comment's plain ``text`` element, a comment's rich string or an
        ``a:p`` paragraph."""
        if kind == "threaded":  # comment threads: plain text (the legacy comment holds a copy)
            for i, comment in enumerate(root.iter(f"{{{THREADED_NS}}}threadedComment")):
                text = comment.find(f"{{{THREADED_NS}}}text")
                if text is not None and text.text is not None and text.text.strip():
                    yield f"{part}#{i}", plain_segment(text.text), f"comment {comment.get('ref', '')}", text
            return
        if kind == "comments":
            for i, comment in enumerate(root.iter(x("comment"))):
                text = comment.find(x("text"))
                model = read_string(text) if text is not None else None
                if model is not None and model.translatable:
                    yield f"{part}#{i}", model.text, f"comment {comment.get('ref', '')}", model
            return
        for i, p in enumerate(root.iter(a("p"))):
            paragraph = read_drawing_paragraph(p)
            if paragraph.translatable:
                yield f"{part}#{i}", paragraph.text, kind, paragraph

    def segments(self) -> Sequence[Segment]:
        return self._segments

    def unextracted(self) -> list[str]:
        """Comment, drawing and chart parts no sheet uses (read by path, not through the
        sheets' relationships), and walked ones holding text that was not extracted."""
        walked = dict(self.drawing_parts)
        extracted = {s.id.rsplit("#", 1)[0] for s in self._segments}
        out = []
        for name in self.package.entries:
            kind = next((k for prefix, k, option in _EXTRA_PARTS if name.startswith(prefix)
                         and getattr(self.options, option)), None)
            if kind is None or not name.endswith(".xml") or name in extracted:
                continue
            pieces = _visible_text(self.package.xml(name).getroot())
            if pieces:
                why = "not extracted" if name in walked else "no sheet uses this part"
                out.append(f"{name}: {len(pieces)} pieces of text not translated ({why}), "
                           f"e.g. {text_preview(pieces[0])}")
        return out

    # -- rebuild ------------------------------------------------------------------------

    def rebuild(self, lang: Language, translations: Mapping[str, str]) -> bytes:
        with fails_alone(self.path, FormatError, "rebuild failed"):
            return self._rebuild(lang, translations)

    def _rebuild(self, lang: Language, translations: Mapping[str, str]) -> bytes:
        replaced: dict[str, bytes] = {}
        moved = self._rebuild_shared(translations, replaced)
        for sheet in self.sheets:
            if not sheet.chart_only:
                self._rebuild_sheet(sheet, translations, moved, replaced, lang)
        if lang.rtl:
            self._mirror_styles(replaced)
        for part, kind in self.drawing_parts:
            tree = self.package.xml(part)
            changed = False
            for uid, _, _, model in list(self._walk_extra(tree.getroot(), part, kind)):
                text = translations.get(uid)
                if text is None:
                    continue
                changed = True
                if isinstance(model, RichString):           # a comment
                    rebuild_string(model, text)
                elif isinstance(model, DrawingParagraph):
                    rebuild_drawing_paragraph(model, text, lang)
                else:                                       # a thread comment's plain text
                    model.text = plain_translation(text, model.text or "")
            if changed:
                replaced[part] = self.package.dump(tree)
        return self.package.write(replaced)

    def _rebuild_shared(self, translations: Mapping[str, str], replaced: dict[str, bytes]) -> dict[int, int]:
        """Translate the shared strings, streaming the table (never its whole tree); return
        old index -> new index of the split ones (their copies appended to the table)."""
        texts = {index: translations[uid] for index, uid in self.shared_ids.items() if uid in translations}
        if self.sst_part is None or not texts:
            return {}
        moved = {index: self.sst_count + n for n, index in enumerate(i for i in texts if i in self.split)}
        copies: dict[int, etree._Element] = {}
        position = iter(range(self.sst_count))

        def edit(item: etree._Element) -> None:
            index = next(position, -1)
            if index not in texts:
                return
            if index in moved:
                item = copies.setdefault(index, copy.deepcopy(item))
            rebuild_string(read_string(item), texts[index])

        attributes = {"uniqueCount": str(self.sst_count + len(moved))} if moved else {}
        replaced[self.sst_part] = self.package.rewrite(self.sst_part, x("si"), edit, lambda: [copies[i] for i in moved],
                                                       attributes)
        return moved

    def _rebuild_sheet(self, sheet: Sheet, translations: Mapping[str, str], moved: dict[int, int],
                       replaced: dict[str, bytes], lang: Language) -> None:
        repoint = {ref: moved[i] for i, refs in self.split.items() if i in moved
                   for part, ref in refs if part == sheet.part}
        inline = {ref: uid for (part, ref), uid in self.inline_ids.items() if part == sheet.part and uid in translations}
        if not repoint and not inline and not lang.rtl:
            return
        tree = self.package.xml(sheet.part)
        for cell in text_cells(tree.getroot()):
            if cell.ref in repoint:
                cell.holder.text = str(repoint[cell.ref])
            elif cell.ref in inline:
                rebuild_string(read_string(cell.holder), translations[inline[cell.ref]])
        if lang.rtl:
            mirror_sheet(tree.getroot())
        replaced[sheet.part] = self.package.dump(tree)

    def _mirror_styles(self, replaced: dict[str, bytes]) -> None:
        """Right-to-left targets: left and right cell alignment exchanged (see :mod:`.direction`)."""
        for name in self.package.related(self.package.main_part(WHAT), "styles"):
            tree = self.package.xml(name)
            if mirror_alignment(tree.getroot()):
                replaced[name] = self.package.dump(tree)

    # -- check before writing -----------------------------------------------------------

    def verify(self, data: bytes) -> None:
        """Re-open the rebuilt bytes: every cell that is not text unchanged, same segments."""
        try:
            again = ZipParts.open(self.path, data, WHAT, rebuilt=True)
        except FileError as exc:
            raise FormatError(self.path, f"rebuilt workbook does not re-open: {exc.reason}") from exc
        for sheet in self.sheets:
            if sheet.chart_only:
                continue
            old, new = _fixed_cells(self.package, sheet.part), _fixed_cells(again, sheet.part)
            if old != new:
                changed = next(ref for ref in old if old.get(ref) != new.get(ref))
                raise FormatError(self.path, f"cell {sheet.name}!{changed} changed in the rebuilt workbook")


#: (path prefix, kind, option) of the parts with text besides the cells.
_EXTRA_PARTS = (("xl/comments", "comments", "comments"), ("xl/threadedComments/", "threaded", "comments"),
                ("xl/drawings/drawing", "drawing", "drawings"), ("xl/charts/chart", "chart", "charts"))


def _visible_text(root: etree._Element) -> list[str]:
    """Run text of DrawingML paragraphs and comment texts in a part, pieces with letters."""
    pieces = ["".join(t.text or "" for r in p.iter(a("r")) for t in r.iter(a("t"))) for p in root.iter(a("p"))]
    pieces += ["".join(t.text or "" for t in el.iter(x("t"))) for el in root.iter(x("text"))]
    pieces += [el.text or "" for el in root.iter(f"{{{THREADED_NS}}}text")]
    return [t for t in pieces if has_translatable_text(t)]


def _fixed_cells(package: ZipParts, part: str) -> dict[str, bytes]:
    """Every cell that is not a translatable string, as bytes: what a rebuild must keep."""
    root = package.xml(part).getroot()
    data = root.find(x("sheetData"))
    out = {}
    for c in data.iter(x("c")) if data is not None else ():
        if c.get("t") in ("s", "inlineStr") and c.find(x("f")) is None:
            continue
        out[c.get("r", "")] = etree.tostring(c, method="c14n")
    return out


def _sheets(package: ZipParts, main: str, root: etree._Element) -> list[Sheet]:
    by_id = package.by_id(main)
    kinds = {t: rtype.rsplit("/", 1)[-1] for rtype, t, ext in package.rels(main) if not ext}
    out = []
    for el in root.iter(x("sheet")):
        part = by_id.get(el.get(R_ID, ""))
        if part in package.entries and kinds.get(part) in ("worksheet", "chartsheet"):
            out.append(Sheet(el.get("name", ""), part, kinds[part] == "chartsheet"))
    return out


class XlsxHandler(FormatHandler):
    name = "xlsx"
    extensions = (".xlsx",)

    def load(self, ctx: LoadContext) -> XlsxDocument:
        options = ctx.options if isinstance(ctx.options, XlsxOptions) else XlsxOptions()
        package = ZipParts.open(ctx.path, ctx.data or b"", WHAT, rebuilt=ctx.rebuilt)
        with fails_alone(ctx.path, FileError, "cannot read the workbook structure"):
            return XlsxDocument(ctx.path, package, options, ctx.relpath or ctx.path.name, ctx.source_lang)


HANDLER = XlsxHandler()

__all__ = ["HANDLER", "XlsxDocument", "XlsxHandler"]
