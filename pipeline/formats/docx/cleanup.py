"""Clean a part before extraction, as Okapi does, so runs are not split at random points.

Word splits runs at spell-check marks and editing sessions (``rsid``), so a word can sit
in three runs with identical formatting. We drop what carries no content (proofing
marks, revision-session ids, the ``_GoBack`` bookmark, rendered page-break hints) and
merge adjacent sibling runs whose formatting is equal. Only runs that hold nothing but
text are merged, and only when they are direct neighbours: a field character, a
bookmark, a comment range or a revision wrapper between two runs keeps them apart.
"""
from __future__ import annotations

import copy

from lxml import etree

from pipeline.formats.docx.ooxml import local, w
from pipeline.formats.ooxml.runs import set_spaced_text

RSID_ATTRS = frozenset(
    w(a) for a in ("rsidR", "rsidRPr", "rsidRDefault", "rsidP", "rsidDel", "rsidTr", "rsidSect", "rsidRDel")
)
#: Run properties that do not change what a reader sees; ignored when comparing runs.
INVISIBLE_RPR = frozenset(("lang", "noProof"))


def cleanup(root: etree._Element) -> None:
    """Clean ``root`` (a part's root element) in place."""
    _drop_noise(root)
    for parent in {r.getparent() for r in root.iter(w("r"))}:
        if parent is not None:
            merge_runs(parent)


def _drop_noise(root: etree._Element) -> None:
    goback_ids: set[str] = set()
    doomed: list[etree._Element] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for attr in RSID_ATTRS.intersection(el.attrib):
            del el.attrib[attr]
        name = local(el)
        if name in ("proofErr", "lastRenderedPageBreak"):
            doomed.append(el)
        elif name == "bookmarkStart" and el.get(w("name")) == "_GoBack":
            goback_ids.add(el.get(w("id"), ""))
            doomed.append(el)
    if goback_ids:
        doomed += [e for e in root.iter(w("bookmarkEnd")) if e.get(w("id")) in goback_ids]
    for el in doomed:
        _remove(el)


def _remove(el: etree._Element) -> None:
    parent = el.getparent()
    if parent is not None:
        parent.remove(el)


def rpr_key(rpr: etree._Element | None) -> bytes:
    """Canonical bytes of run properties, less the ones a reader cannot see."""
    if rpr is None or len(rpr) == 0 and not rpr.attrib:
        return b""
    if any(local(c) in INVISIBLE_RPR for c in rpr):
        rpr = copy.deepcopy(rpr)
        for c in [c for c in rpr if local(c) in INVISIBLE_RPR]:
            rpr.remove(c)
        if len(rpr) == 0 and not rpr.attrib:
            return b""
    return etree.tostring(rpr, method="c14n")


def _text_only(run: etree._Element) -> bool:
    """A run holding only its properties and text: the only kind that merges."""
    kids = [c for c in run if isinstance(c.tag, str)]
    return bool(kids) and all(local(c) in ("rPr", "t") for c in kids) and not run.attrib


def merge_runs(parent: etree._Element) -> None:
    """Merge neighbouring text-only runs of ``parent`` whose properties are equal."""
    prev: etree._Element | None = None
    prev_key = b""
    for child in list(parent):
        if child.tag != w("r") or not _text_only(child):
            prev = None
            continue
        key = rpr_key(child.find(w("rPr")))
        if prev is not None and key == prev_key:
            _append_text(prev, child)
            parent.remove(child)
            continue
        prev, prev_key = child, key


def _append_text(into: etree._Element, run: etree._Element) -> None:
    texts = into.findall(w("t"))
    joined = "".join(t.text or "" for t in texts) + "".join(t.text or "" for t in run.findall(w("t")))
    for extra in texts[1:]:
        into.remove(extra)
    set_spaced_text(texts[0], joined)


__all__ = ["cleanup", "merge_runs", "rpr_key"]
