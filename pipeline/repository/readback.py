"""Reading an output back as segments, with the same format module that wrote it.

Two users need what an output holds, segment by segment: the coverage check (every
accepted translation reached the file) and the lock file (what qmt wrote, so that a
later run can tell a reviewer's edit from its own text, and reuse what is committed).
Both read the output with the format's own extractor, the walk that made the source's
segments, so an output's segments line up with its source's by id for as long as
nobody changed its structure.

A format whose outputs are not documents of their own kind (a CSV filled in place holds
the translations beside the source column) reads them itself
(:meth:`~pipeline.formats.base.Document.read_written`).
"""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from pipeline.formats import Document, FormatHandler, LoadContext
from pipeline.languages import Language
from pipeline.memory.text import tag_order
from pipeline.segments import TAG_RE, Segment


def read_written(handler: FormatHandler, ctx: LoadContext, doc: Document, output: Path, lang: Language,
                 reopened: Document | None = None) -> list[Segment]:
    """The segments ``output`` (an output of ``doc`` holding ``lang``) holds, in document
    order; ``reopened``: the output as the format's own check already re-opened it.
    Raises FileError (the output cannot be read as its format) and OSError."""
    return read_back(handler, ctx, doc, output, lang, reopened)[0]


def read_back(handler: FormatHandler, ctx: LoadContext, doc: Document, output: Path, lang: Language,
              reopened: Document | None = None) -> tuple[list[Segment], Document | None]:
    """:func:`read_written`, and the output re-opened as a document of its format (None
    for a format that reads its outputs its own way): what else it holds, such as the
    code of each paragraph (:meth:`~pipeline.formats.base.Document.verbatim`)."""
    own = doc.read_written(output, lang)
    if own is not None:
        return own, None
    if reopened is None:
        reopened = handler.load(replace(ctx, data=output.read_bytes(), rebuilt=True))
    return list(reopened.segments()), reopened


def relabel(text: str, order: str) -> str:
    """``text`` (tags numbered by the output's extractor, in order of appearance) with its
    tags given the ids of ``order`` ("2,1": the translation's ids in order of appearance)."""
    if not order:
        return text
    wanted = [int(n) for n in order.split(",")]
    mapping = dict(zip(tag_order(text), wanted))

    def repl(m: re.Match[str]) -> str:
        closing, name, num, selfclose = m.groups()
        return f"<{closing}{name}{mapping.get(int(num), int(num))}{selfclose}>"

    return TAG_RE.sub(repl, text)


def tags_note(translation: str, written: str) -> str:
    """What a lock entry must say to get ``translation`` back from ``written``: "" when
    the extractor numbers the tags as the translation does, else the translation's order."""
    want, got = tag_order(translation), tag_order(written)
    if want == got:
        return ""
    return ",".join(str(n) for n in want)


__all__ = ["read_back", "read_written", "relabel", "tags_note"]
