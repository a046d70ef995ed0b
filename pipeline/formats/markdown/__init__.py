"""Markdown: translate the text, keep every other byte.

Docs teams review translations as git diffs, so a rebuilt file must differ from its
source only where translated text sits. Nothing is re-rendered: one walk over the
markdown-it-py parse (:mod:`.blocks`) finds each block with inline content and turns it
into a :class:`~pipeline.formats.markdown.inline.InlineUnit` holding the segment, the exact
document range it covers and the source bytes of every tag. Rebuild splices each
changed unit's translation into that range; an unchanged unit keeps its bytes, and so
does everything between units (container prefixes, code, HTML, front matter keys,
line endings, the final newline).

Before a rebuilt file is written, :meth:`MarkdownDocument.verify` parses it again with
the same parser and compares block structures, and re-reads translated front matter.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from markdown_it.token import Token

from pipeline.errors import FileError, FormatError
from pipeline.formats.base import NO_VERBATIM, Document, FormatHandler, LoadContext, Verbatim
from pipeline.formats.markdown import frontmatter
from pipeline.formats.markdown.blocks import split_lines, walk_blocks
from pipeline.formats.links import LinkSource, page_links
from pipeline.formats.markdown.links import destinations, splice_links
from pipeline.formats.markdown.unread import unread_text
from pipeline.formats.markdown.inline import (MAX_LEVEL, LinkClose, DelimiterPair, InlineUnit, changed, is_verbatim,
                                              markup_signature, render, render_title)
from pipeline.formats.markdown.parser import BlockSignature, block_lines, block_signature, parse_blocks
from pipeline.formats.options import MarkdownOptions
from pipeline.languages import Language
from pipeline.segments import TAG_RE, Literal, Segment, TagError

_BOM = "\ufeff"


class MarkdownDocument(Document):
    """A parsed Markdown file: its units, and the text they are spliced back into."""

    #: The parser flavour (:func:`~pipeline.formats.markdown.parser.make_parser`).
    flavour = "markdown"
    #: Characters a translation must escape besides Markdown's own (MDX: braces).
    extra_escapes = ""

    def __init__(self, path: Path, text: str, options: MarkdownOptions, links: "LinkSource | None" = None):
        super().__init__(path)
        self.options = options
        #: (the job's links, this page's relpath) when ``rewrite_links`` is on.
        self.links = links if options.rewrite_links else None
        #: Segment id -> why its translation was not used (filled by :meth:`rebuild`).
        self.fallbacks: dict[str, str] = {}
        #: The last rebuild's output and its parse, for :meth:`verify` (see :meth:`_parsed_output`).
        self._parsed: tuple[bytes, MarkdownDocument | None] | None = None
        self.bom = _BOM if text.startswith(_BOM) else ""
        self.text = text[len(self.bom) :]
        self.lines = lines = split_lines(self.text)
        self.front_matter = frontmatter.find(self.text, lines)
        #: What the parser reads: the text itself (MDX: JSX and expressions masked).
        self.view = self.masked(self.text, self.front_matter)
        tokens, env = parse_blocks(_blank_front_matter(self.view, self.front_matter), self.flavour, record=True)
        self._tokens = tokens
        self.signature = block_signature(tokens)
        self.block_lines = block_lines(tokens)
        walk = walk_blocks(self.text, lines, tokens, env, view=self.view if self.view != self.text else "")
        fm_units = []
        if self.front_matter is not None:
            fm_units = frontmatter.units(self.text, lines, self.front_matter, options.front_matter_keys)
        self.units: list[InlineUnit] = sorted(fm_units + walk.units + self.extra_units(), key=lambda u: u.start)
        #: Blocks left untranslated because their text could not be located exactly.
        self.problems = walk.problems

    def masked(self, text: str, fm: "frontmatter.FrontMatter | None") -> str:
        """The text the parser reads: Markdown reads it all (MDX masks JSX, see mdx/)."""
        return text

    def extra_units(self) -> list[InlineUnit]:
        """Units outside Markdown's inline content (MDX: JSX props); Markdown has none."""
        return []

    def unextracted(self) -> list[str]:
        """Prose the walk did not extract, found by :mod:`.unread` (independent of it)."""
        skip = self.front_matter.last + 1 if self.front_matter is not None else 0
        return unread_text(self.view, self.lines, self._tokens, self.units, skip)

    def segments(self) -> Sequence[Segment]:
        out = []
        for unit in self.units:
            if unit.translatable:
                out.append(Segment(unit.id, unit.text, unit.context))
            out.extend(Segment(t.id, t.text, t.context) for t in unit.titles)
        return out

    def rebuild(self, lang: Language | None, translations: Mapping[str, str]) -> bytes:
        """Splice each changed unit's translation into the source text.

        The result is re-parsed and checked unit by unit: a unit whose markup did not
        survive (see :func:`~pipeline.formats.markdown.inline.markup_signature`) is
        rendered again with its emphasis delimiters re-spaced; a unit that still
        fails, or whose translation changes the block structure, keeps its source
        text and is listed in :attr:`fallbacks` with the reason.
        """
        attempt = _Attempt()
        data = self._splice(translations, attempt)
        parsed: tuple[bytes, MarkdownDocument | None] = (b"", None)
        for _ in range(_MAX_ROUNDS):
            again = self._reparse(data)
            parsed = (data, again)
            if again is None or not self._repair(again, translations, attempt):
                break
            data = self._splice(translations, attempt)
        self.fallbacks = attempt.fallbacks
        if self.links is not None and lang is not None:
            data = self._with_links(data, lang, self.links)
        # The last round parsed what is returned (unless links were rewritten after it, or
        # the rounds ran out): verify() and the read-back use that parse instead of two more.
        self._parsed = parsed if parsed[0] is data and parsed[1] is not None else None
        return data

    def _with_links(self, data: bytes, lang: Language, source: LinkSource) -> bytes:
        """``data`` with its relative links read from the output's place (``rewrite_links``)."""
        jobs, relpath = source
        text = data.decode("utf-8")
        bom = _BOM if text.startswith(_BOM) else ""
        text = text[len(bom):]
        lines = split_lines(text)
        fm = frontmatter.find(text, lines)
        spans = self.link_spans(text, _blank_front_matter(self.masked(text, fm), fm), lines)
        return (bom + splice_links(text, spans, jobs.for_page(relpath, lang.code).rewrite)).encode("utf-8")

    def link_spans(self, text: str, view: str, lines: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
        """Where ``text``'s link destinations are (MDX adds its JSX ``href`` and ``src``)."""
        return destinations(view, lines, self.flavour)

    def _parsed_output(self, data: bytes) -> "MarkdownDocument | None":
        """The last rebuild's output parsed, if ``data`` is that output (taken: used once).

        It is the document :meth:`MarkdownHandler.load` would make of ``data``: the same
        class, text and options, and no page links (kept only when links are not
        rewritten, the one thing ``load`` would give it besides)."""
        parsed, self._parsed = self._parsed, None
        if parsed is None or self.links is not None or parsed[0] != data:
            return None
        return parsed[1]

    def _reparse(self, data: bytes) -> "MarkdownDocument | None":
        try:
            return type(self)(self.path, data.decode("utf-8"), self.options)
        except (UnicodeDecodeError, RecursionError):
            return None

    def _repair(self, again: "MarkdownDocument", translations: Mapping[str, str], attempt: "_Attempt") -> bool:
        """Raise levels or fall back for the units to blame; False when nothing is to blame."""
        if again.signature != self.signature:
            uid = _culprit(self.signature, again, attempt.spans)
            if uid is None or uid in attempt.fallbacks:
                return False  # verify() reports the file
            attempt.fallbacks[uid] = "translation would change the block structure; source text kept"
            return True
        if len(again.units) != len(self.units):
            return False
        bad = [
            before.id
            for before, after in zip(self.units, again.units)
            if before.kind != "front matter"
            and before.id not in attempt.fallbacks
            and changed(before, translations)
            and markup_signature(before) != markup_signature(after)
        ]
        for uid in bad:
            attempt.levels[uid] = attempt.levels.get(uid, 0) + 1
            if attempt.levels[uid] > MAX_LEVEL:
                attempt.fallbacks[uid] = "inline markup would not survive the translation; source text kept"
        return bool(bad)

    def _splice(self, translations: Mapping[str, str], attempt: "_Attempt") -> bytes:
        out, pos, size = [], 0, 0
        attempt.spans = []
        for start, end, replacement, uid in self._edits(translations, attempt):
            out += [self.text[pos:start], replacement]
            size += start - pos
            attempt.spans.append((size, size + len(replacement), uid))
            size += len(replacement)
            pos = end
        out.append(self.text[pos:])
        return (self.bom + "".join(out)).encode("utf-8")

    def _edits(self, translations: Mapping[str, str], attempt: "_Attempt") -> list[tuple[int, int, str, str]]:
        edits = []
        for unit in self.units:
            if unit.id in attempt.fallbacks:
                continue
            try:
                edits += [(*e, unit.id) for e in self._unit_edits(unit, translations, attempt.levels.get(unit.id, 0))]
            except (TagError, KeyError, AttributeError) as exc:
                # Translations arrive validated; one that is not cannot be spliced.
                attempt.fallbacks[unit.id] = f"translation does not match the source tags ({exc}); source text kept"
        return edits

    def _unit_edits(self, unit: InlineUnit, translations: Mapping[str, str], level: int) -> list[tuple[int, int, str]]:
        if unit.kind == "front matter":
            if not changed(unit, translations):
                return []
            return [(unit.start, unit.end, frontmatter.render(unit, translations[unit.id]))]
        if unit.kind == "title":   # a reference definition's title
            return [(unit.start, unit.end, render_title(unit, translations, self.text))] if changed(
                unit, translations) else []
        if changed(unit, translations):
            return [(unit.start, unit.end, render(unit, translations, self.text, level, self.extra_escapes))]
        return [
            (t.start, t.end, render_title(t, translations, self.text))
            for t in unit.titles
            if changed(t, translations)
        ]

    def verify(self, data: bytes) -> "MarkdownDocument | None":
        """Raise FormatError unless ``data`` parses to this file's block structure.

        When ``data`` is what the last :meth:`rebuild` returned, its parse there is read
        (the same parser over the same text) and returned as the re-opened output, so
        the read-back does not parse it a third time; else None."""
        reopened = self._parsed_output(data)
        if reopened is not None:
            text, fm = reopened.text, reopened.front_matter
            self._verify_front_matter(text, fm)
            tokens, got = reopened._tokens, reopened.signature
        else:
            try:
                text = data.decode("utf-8").removeprefix(_BOM)
            except UnicodeDecodeError as exc:
                raise FormatError(self.path, f"rebuilt file is not UTF-8: {exc}") from exc
            fm = frontmatter.find(text, split_lines(text))
            self._verify_front_matter(text, fm)
            tokens, _ = parse_blocks(_blank_front_matter(self.masked(text, fm), fm), self.flavour)
            got = block_signature(tokens)
        if _loose(got, self.links) != _loose(self.signature, self.links):
            raise FormatError(self.path, _signature_diff(self.signature, got, tokens))
        # A NUL is refused by load(): the read-back loads such an output itself, to say so.
        return reopened if reopened is not None and "\x00" not in text else None

    def _verify_front_matter(self, text: str, fm: frontmatter.FrontMatter | None) -> None:
        src = self.front_matter
        if (src is None) != (fm is None) or (src and fm and src.lang != fm.lang):
            raise FormatError(self.path, "front matter block lost or changed kind after rebuild")
        if src is None or fm is None:
            return
        try:
            before = frontmatter.load(self.text[src.start : src.end], src.lang)
            after = frontmatter.load(text[fm.start : fm.end], fm.lang)
        except ValueError as exc:
            raise FormatError(self.path, f"front matter no longer parses: {exc}") from exc
        if isinstance(before, dict) and (not isinstance(after, dict) or list(before) != list(after)):
            raise FormatError(self.path, "front matter keys changed after rebuild")

    def inline_markup(self, segment_id: str) -> Mapping[int, tuple[str, str]]:
        """Each tag's source bytes: ``**`` and ``**``, ``[`` and ``](url)``, `` `code` ``."""
        unit = self._unit(segment_id)
        return {num: _markup(payload) for num, payload in unit.payloads.items()} if unit else {}

    def verbatim(self, segment_id: str) -> Verbatim:
        """The segment's inline code spans and bare URLs, in its Markdown source."""
        unit = self._unit(segment_id)
        if unit is None:
            return NO_VERBATIM
        parts: list[str] = []
        spans: list[tuple[str, int, int]] = []
        offset = pos = 0
        for m in TAG_RE.finditer(unit.text):
            closing, num = m.group(1), int(m.group(3))
            payload = unit.payloads.get(num)
            opening, close = _markup(payload) if payload is not None else ("", "")
            markup = close if closing else opening
            if isinstance(payload, str) and is_verbatim(payload):
                spans.append((payload, num, offset + m.start() - pos))
            parts += [unit.text[pos:m.start()], markup]
            offset += m.start() - pos + len(markup)
            pos = m.end()
        parts.append(unit.text[pos:])
        return Verbatim("".join(parts), tuple(spans))

    def _unit(self, segment_id: str) -> InlineUnit | None:
        if not hasattr(self, "_units_by_id"):
            self._units_by_id = {u.id: u for unit in self.units for u in (unit, *unit.titles)}
        return self._units_by_id.get(segment_id)


def _markup(payload: object) -> tuple[str, str]:
    if isinstance(payload, DelimiterPair):
        close = payload.close
        if isinstance(close, LinkClose):
            return payload.open, close.before_title + (close.title.text if close.title else "") + close.after_title
        return payload.open, close
    if isinstance(payload, Literal):
        return payload.text, ""
    return (payload if isinstance(payload, str) else ""), ""


_MAX_ROUNDS = 8


@dataclass
class _Attempt:
    """One rebuild's state: repair levels, fallbacks, where each edit landed."""

    levels: dict[str, int] = field(default_factory=dict)
    fallbacks: dict[str, str] = field(default_factory=dict)
    spans: list[tuple[int, int, str]] = field(default_factory=list)  # (out start, out end, unit id)


def _culprit(want: BlockSignature, again: "MarkdownDocument", spans: list[tuple[int, int, str]]) -> str | None:
    """The edited unit nearest before the first block that parses differently."""
    k = next((i for i, (a, b) in enumerate(zip(want, again.signature)) if a != b), min(len(want), len(again.signature)))
    lines = again.block_lines
    line = lines[min(k, len(lines) - 1)] if lines else 0
    bound = again.lines[min(line, len(again.lines) - 1)][1] if again.lines else 0
    before = [uid for start, _, uid in spans if start <= bound]
    return before[-1] if before else None


def _loose(signature: list[Any], links: object) -> list[Any]:
    """The signature with reference definitions' URLs left out when links are rewritten."""
    if links is None:
        return signature
    return [(t, tag, n, m, info.rsplit(" ", 1)[0] if t == "definition" else info)
            for t, tag, n, m, info in signature]


def _blank_front_matter(text: str, fm: frontmatter.FrontMatter | None) -> str:
    """The text with front matter lines emptied, so block line numbers stay the same."""
    if fm is None:
        return text
    lines = split_lines(text)
    head = "\n" * (fm.last + 1)
    return head + text[lines[fm.last + 1][0] :] if fm.last + 1 < len(lines) else head


def _signature_diff(want: BlockSignature, got: BlockSignature, tokens: list[Token]) -> str:
    blocks = [t for t in tokens if t.type != "inline"]
    for k, (a, b) in enumerate(zip(want, got)):
        if a != b:
            line = next((t.map[0] + 1 for t in blocks[k:] if t.map), "?")
            return f"rebuilt file parses differently near line {line}: {a[0]} became {b[0]}"
    return f"rebuilt file has {len(got)} block tokens instead of {len(want)}"


#: Where Docusaurus reads a locale's pages, below ``i18n/LANG/`` (the job's output folder).
DOCUSAURUS_FOLDERS = {"docusaurus": "docusaurus-plugin-content-docs/current", "docusaurus-blog": "docusaurus-plugin-content-blog"}


class MarkdownHandler(FormatHandler):
    name = "markdown"
    extensions: tuple[str, ...] = (".md", ".markdown")

    def output_relpath(self, relpath: str, lang_code: str, options: Any, source_lang: Language | None) -> str:
        """``naming = "docusaurus"``: ``guides/x.md`` -> ``docusaurus-plugin-content-docs/current/guides/x.md``
        (the job's output being ``site/i18n/{lang}``); "docusaurus-blog": the blog plugin's folder."""
        folder = DOCUSAURUS_FOLDERS.get(getattr(options, "naming", "keep"))
        return f"{folder}/{relpath}" if folder else relpath

    #: What :meth:`load` makes, and the name its messages give the format (MDX reuses both).
    document_class: type[MarkdownDocument] = MarkdownDocument
    options_class: type[MarkdownOptions] = MarkdownOptions
    label = "Markdown"

    def load(self, ctx: LoadContext) -> MarkdownDocument:
        try:
            text = ctx.content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileError(ctx.path, f"not UTF-8 text (byte {exc.start}); {self.label} must be UTF-8") from exc
        if (nul := text.find("\x00")) >= 0:
            # The parser would turn it into U+FFFD and the rebuilt file would differ from
            # the source outside any translation: a NUL means a binary or damaged file.
            line = text.count("\n", 0, nul) + 1
            raise FileError(ctx.path, f"holds a NUL byte on line {line}: not a text file; nothing translated")
        options = ctx.options if isinstance(ctx.options, self.options_class) else self.options_class()
        try:
            return self.document_class(ctx.path, text, options, page_links(ctx))
        except RecursionError as exc:
            raise FileError(ctx.path, f"{self.label} nesting too deep to parse") from exc
        except Exception as exc:  # noqa: BLE001 - one odd file must not stop the job
            raise FileError(ctx.path, f"cannot read as {self.label} ({type(exc).__name__}: {exc})") from exc

HANDLER = MarkdownHandler()

__all__ = ["HANDLER", "MarkdownDocument", "MarkdownHandler"]
