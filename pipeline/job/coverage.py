"""The coverage invariant: every extracted segment is translated or reported, and text
that was never extracted is found by a second, independent look.

A run that exits 0 promises that every piece of text qmt found was translated. Two
checks per input file back that promise (the runner lists what they find as problems,
so the file is *partial* and the exit code 1):

* :func:`source_leftovers` asks the format's independent reader
  (:meth:`~pipeline.formats.base.Document.unextracted`) for source text its walk did not
  extract (a parser that stopped early, a paragraph the walk skipped, an embedded part
  qmt does not translate);
* :func:`not_written` re-extracts each written output with the same format module and
  checks that no segment whose translation differs from its source still reads as the
  source: a translation that was accepted but never reached the file is found.

Streaming formats (CSV larger than memory) are not re-read: their columns are chosen
by the job and every row is written by the one streaming walk.
"""
from __future__ import annotations

from collections import Counter
from typing import Mapping, Sequence

from pipeline.formats.base import Document, text_preview
from pipeline.segments import Segment

NOT_EXTRACTED = "not_extracted"   # report status: source text the walk never extracted
NOT_WRITTEN = "not_written"       # report status: a translation the written file does not hold


def source_leftovers(doc: Document) -> list[str]:
    """The independent reader's findings for the source document (one line each)."""
    return list(doc.unextracted())


def not_written(segments: Sequence[Segment], accepted: Mapping[str, str], rebuilt: Sequence[Segment]) -> list[str]:
    """Source texts still present in the written output (``rebuilt``: its segments, read
    back with the format's extractor) more often than the segments left in the source
    language (untranslated, or translated to the same text) explain."""
    kept = Counter(s.text for s in segments if accepted.get(s.id, s.text) == s.text)
    sources = {s.text for s in segments}
    found = Counter(r.text for r in rebuilt if r.text in sources)
    return [f"translated, but the written file still holds the source text {text_preview(text)}"
            + (f" ({count - kept[text]} times)" if count - kept[text] > 1 else "")
            for text, count in found.items() if count > kept[text]]


__all__ = ["NOT_EXTRACTED", "NOT_WRITTEN", "not_written", "source_leftovers"]
