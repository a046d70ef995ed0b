"""gettext PO and POT catalogues: msgstr filled in place, every other line kept.

Re-serialising with polib rewraps lines and reorders comments: on Django's 1,226 PO
files it leaves 8 byte-identical and changes 22,364 lines. So :mod:`.parse` records
where each entry's ``msgstr`` lines sit and rebuild splices the translation there;
comments (translator ``#``, extracted ``#.``, references ``#:``, flags ``#,``, previous
``#|``), ``msgctxt`` and obsolete ``#~`` entries are never touched. polib reads the
output back as the independent check (same entries, the target's number of forms).

What is sent: each ``msgid`` (its ``msgctxt`` and comments are the segment's context);
for a plural entry, one sentence per CLDR category of the target built from
``msgid``/``msgid_plural`` with the count as a number of that category, written to
``msgstr[0..n-1]`` in the order of the ``Plural-Forms`` the header gets (Babel's CLDR
rule as a gettext expression). The header's ``Language``, ``Plural-Forms`` and
``Content-Type`` charset are set for the target (the output is UTF-8), and the
template's ``fuzzy`` header flag is dropped.
"""
from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Mapping

from pipeline.errors import FileError, FormatError
from pipeline.formats.base import FormatHandler, LoadContext
from pipeline.formats.options import PoOptions
from pipeline.formats.po.parse import PoEntry, PoSyntaxError, encode_block, parse_po
from pipeline.formats.strings import plurals
from pipeline.formats.strings.catalog import (CatalogDocument, Edit, CatalogEntry, key_selected, source_code,
                                              swap_language, target_tag)
from pipeline.formats.strings.message import Message, Plural, build, count_placeholder, split_placeholders
from pipeline.languages import Language
from pipeline.segments import Segment

_CHARSET_RE = re.compile(rb"charset=([A-Za-z0-9._-]+)")
class PoDocument(CatalogDocument[Message]):
    """A PO/POT file; :meth:`verify` reads the output back with polib."""

    def __init__(self, path: Path, text: str, entries: list[CatalogEntry[Message]], edits: list[Edit], po_entries: list[PoEntry],
                 source_is_utf8: bool, counts: dict[str, re.Pattern[str] | None]):
        super().__init__(path, text, entries, edits=edits)
        self.counts = counts
        self.origins = {key: (e.msgctxt, e.msgid) for e in po_entries if not e.header
                        for key in [f"{e.msgctxt}|{e.msgid}" if e.msgctxt is not None else e.msgid]}
        self.keys = [(e.msgctxt, e.msgid, e.msgid_plural is not None) for e in po_entries if not e.header]
        if not source_is_utf8:
            self.decisions.append("read in its declared charset; written as UTF-8 (header says so)")

    def read_written(self, output: Path, lang: Language) -> list[Segment]:
        """What an output holds, by this document's segment ids: each entry's msgstr (the
        msgid stays the source), a plural entry's msgstr[n] as the form of the n-th
        category with the count as that form's number, as it was sent."""
        written = {(e.msgctxt, e.msgid): e for e in parse_po(output.read_bytes().decode("utf-8")) if not e.header}
        out = []
        for entry in self.entries:
            msg = entry.message
            found = written.get(self.origins[msg.key])
            if found is None or not any(found.msgstrs):
                continue
            if not isinstance(msg.root, Plural):
                out.append(Segment(msg.key, build(split_placeholders(found.msgstrs[0]), None).text, msg.context))
                continue
            for i, (_, sid, _, n) in enumerate(msg.root.examples(lang.code, msg.source)):
                if i < len(found.msgstrs) and found.msgstrs[i]:
                    body = split_placeholders(found.msgstrs[i], self.counts.get(msg.key))
                    out.append(Segment(sid, build(body, n).text, msg.context))
        return out

    def verify(self, data: bytes) -> None:
        import polib   # the independent reader

        try:
            po = polib.pofile(data.decode("utf-8"))
        except (UnicodeDecodeError, OSError, ValueError) as exc:
            raise FormatError(self.path, f"rebuilt file is not a PO file polib reads: {exc}") from exc
        got = [(e.msgctxt, e.msgid, bool(e.msgid_plural)) for e in po if not e.obsolete and e.msgid != ""]
        if got != [(c, i, p) for c, i, p in self.keys]:
            raise FormatError(self.path, "rebuilt file's entries differ from the source's")
        forms = re.search(r"nplurals\s*=\s*(\d+)", po.metadata.get("Plural-Forms", ""))
        if forms:
            n = int(forms.group(1))
            bad = next((e.msgid for e in po if e.msgid_plural and not e.obsolete and e.msgstr_plural
                        and len(e.msgstr_plural) != n), None)
            if bad is not None:
                raise FormatError(self.path, f"plural entry {bad!r} does not have the {n} forms Plural-Forms says")


def _decode(ctx: LoadContext) -> tuple[str, bool]:
    data = ctx.content
    m = _CHARSET_RE.search(data[:4000])
    charset = m.group(1).decode("ascii") if m else "utf-8"
    if charset.upper() == "CHARSET":
        charset = "utf-8"
    try:
        text = data.decode(charset)
    except LookupError:
        raise FileError(ctx.path, f"declares an unknown charset {charset!r}") from None
    except UnicodeDecodeError as exc:
        raise FileError(ctx.path, f"not valid {charset} (byte {exc.start}), the charset its header declares") from None
    return text.removeprefix("\ufeff"), charset.lower().replace("_", "-") in ("utf-8", "utf8")


class _Builder:
    def __init__(self, ctx: LoadContext, text: str, options: PoOptions):
        self.ctx, self.text, self.options = ctx, text, options
        self.targets = tuple(lang.code for lang in ctx.target_langs)
        self.entries: list[CatalogEntry[Message]] = []
        self.counts: dict[str, re.Pattern[str] | None] = {}     # plural entry id -> its count placeholder
        self.edits: list[Edit] = []
        self.po = parse_po(text)
        header = next((e for e in self.po if e.header), None)
        self.source = source_code(ctx.source_lang, ctx.relpath or ctx.path.name, header.language if header else "")
        seen: set[str] = set()
        for entry in self.po:
            if entry.header:
                self.edits += header_edits(text, entry)
            elif not entry.msgid:
                continue
            elif ctx.rebuilt:
                self.written(entry)
            else:
                self.add(entry, seen)

    def written(self, entry: PoEntry) -> None:
        """qmt's own output re-read for the coverage check: what it holds is the msgstr
        (the msgid is the source and stays by design)."""
        for i, text in enumerate(entry.msgstrs):
            if text:
                message = Message(f"{entry.line}/{i}", split_placeholders(text), self.source, self.targets)
                self.entries.append(CatalogEntry(message, entry.msgstr_start, entry.msgstr_start, _unwritable))

    def add(self, entry: PoEntry, seen: set[str]) -> None:
        key = f"{entry.msgctxt}|{entry.msgid}" if entry.msgctxt is not None else entry.msgid
        if key in seen or not key_selected(key, self.options.include_keys, self.options.exclude_keys):
            return
        seen.add(key)
        sid = key      # msgctxt and msgid: the same entry has the same id in every version of the file
        context = " | ".join(x for x in (entry.msgctxt, *entry.comments) if x)
        if entry.msgid_plural is None:
            message = Message(sid, split_placeholders(entry.msgid), self.source, self.targets, context)
            render = lambda code, tr, m=message, e=entry: encode_block("msgstr", m.render(code, tr), e)  # noqa: E731
        else:
            count = count_placeholder(entry.msgid_plural)
            self.counts[sid] = count
            forms = {"one": split_placeholders(entry.msgid, count),
                     "other": split_placeholders(entry.msgid_plural, count)}
            message = Message(sid, Plural(f"{sid}#p", forms), self.source, self.targets, context)
            render = lambda code, tr, m=message, e=entry: "".join(  # noqa: E731
                encode_block(f"msgstr[{i}]", text, e) for i, (_, text) in enumerate(m.render_forms(code, tr)))
        fallback = None
        if entry.msgid_plural is not None:
            # untranslated, in the target's number of forms (what Plural-Forms promises)
            fallback = lambda code, e=entry: "".join(  # noqa: E731
                encode_block(f"msgstr[{i}]", "", e) for i in range(len(plurals.categories(code))))
        self.entries.append(CatalogEntry(message, entry.msgstr_start, entry.msgstr_end, render, in_place=False,
                                         fallback=fallback))


def _unwritable(code: str, translations: Mapping[str, str]) -> str:
    raise AssertionError("a re-read output is checked, never rebuilt")


def header_edits(text: str, header: PoEntry) -> list[Edit]:
    """The header's ``Language``, ``Plural-Forms`` and charset for the target; its
    ``fuzzy`` flag (set on every template) dropped."""
    edits = []
    fields: dict[str, Callable[[str], str]] = {
        "Language": lambda code: target_tag(code, "_"),
        "Plural-Forms": lambda code: plurals.gettext_plural_forms(code),
        "Content-Type": lambda code: "text/plain; charset=UTF-8"}
    for name, value in fields.items():
        span = header.field_spans.get(name)
        if span is not None:
            edits.append(Edit(span[0], span[1], value))
    missing = tuple(n for n in ("Language", "Plural-Forms") if n not in header.field_spans)
    if missing:
        at = header.msgstr_end_of_text
        edits.append(Edit(at, at, lambda code: "".join(f'"{n}: {fields[n](code)}\\n"\n' for n in missing)))
    if header.fuzzy_span is not None:
        start, end, replacement = header.fuzzy_span
        edits.append(Edit(start, end, lambda code: replacement))
    return edits


class PoHandler(FormatHandler):
    name = "po"
    extensions = (".po", ".pot")

    def output_relpath(self, relpath: str, lang_code: str, options: Any, source_lang: Language | None) -> str:
        naming = getattr(options, "naming", "auto")
        if naming == "keep":
            return relpath
        path = PurePosixPath(relpath)
        if naming == "auto" and path.suffix.lower() == ".po":
            swapped = swap_language(relpath, source_lang, lang_code, "_")
            if swapped is not None:
                return swapped
        tag = target_tag(lang_code, "_")
        if naming == "auto":
            naming = "lang" if path.parent.name.lower() == "po" else "lc-messages"
        if naming == "lang":
            return str(path.parent / f"{tag}.po") if str(path.parent) != "." else f"{tag}.po"
        folder = path.parent / tag / "LC_MESSAGES" / f"{path.stem}.po"
        return str(folder)

    def load(self, ctx: LoadContext) -> PoDocument:
        text, utf8 = _decode(ctx)
        options = ctx.options if isinstance(ctx.options, PoOptions) else PoOptions()
        try:
            built = _Builder(ctx, text, options)
        except PoSyntaxError as exc:
            raise FileError(ctx.path, f"not a valid PO file: {exc}") from exc
        return PoDocument(ctx.path, text, built.entries, built.edits, built.po, utf8, built.counts)


HANDLER = PoHandler()

__all__ = ["HANDLER", "PoDocument", "PoHandler"]
