"""What a reviewer does to an exported XLIFF file in a CAT tool, done with lxml.

Version-agnostic (2.x ``pc``/``ph``, 1.2 ``g``/``x``): tests pick units, edit their
targets like a person would, and save the file.
"""
from __future__ import annotations

from pathlib import Path

from lxml import etree

from pipeline.translate.packing import PACK_MARKER_RE

PAIRED = ("pc", "g")
ISOLATED = ("ph", "x")


def local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


class ReviewedFile:
    def __init__(self, path: Path):
        self.path = path
        self.tree = etree.parse(str(path))
        self.ns = etree.QName(self.tree.getroot()).namespace

    def units(self) -> list[etree._Element]:
        return [u for u in self.tree.iter() if local(u) in ("unit", "trans-unit")]

    def target(self, unit) -> etree._Element:
        return next(el for el in unit.iter() if local(el) == "target")

    def source(self, unit) -> etree._Element:
        return next(el for el in unit.iter() if local(el) == "source")

    def codes(self, unit, kinds: tuple[str, ...]) -> list[etree._Element]:
        return [el for el in self.source(unit).iter() if local(el) in kinds]

    def pick(self, predicate, exclude=()) -> etree._Element:
        return next(u for u in self.units() if u not in exclude and predicate(u))

    def save(self) -> None:
        self.tree.write(str(self.path), xml_declaration=True, encoding="UTF-8")


def _detach(el) -> None:
    """Remove ``el`` keeping its tail text where it was."""
    parent, prev = el.getparent(), el.getprevious()
    if el.tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    el.tail = None
    parent.remove(el)


def change_words(target, text: str) -> None:
    """Replace a target without inline codes by ``text``."""
    assert len(target) == 0
    target.text = text


def move_pair(target, words: str) -> None:
    """Move the first paired code to the front, with new words inside (before the codes it
    holds, such as a link whose text is a URL kept as code)."""
    pair = next(el for el in target.iter() if local(el) in PAIRED)
    _detach(pair)
    for code in pair:
        code.tail = None
    pair.text = words + (" " if len(pair) else "")
    pair.tail = " " + (target.text or "")
    target.text = ""
    target.insert(0, pair)


def delete_code(target) -> None:
    """Delete the first standalone code (a placeholder)."""
    _detach(next(el for el in target.iter() if local(el) in ISOLATED))


def sent_segments(bodies: list, target_lang: str) -> set[str]:
    """The segments sent for ``target_lang`` (packed requests split at their markers)."""
    out = set()
    for body in bodies:
        if body["translation_options"]["target_lang"] == target_lang:
            out.update(p.strip() for p in PACK_MARKER_RE.split(body["messages"][0]["content"]) if p.strip())
    return out
