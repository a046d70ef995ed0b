"""Parts read and rewritten child by child (lxml's iterparse), never as a whole tree: the
result is byte for byte what editing the whole tree and serializing it gives."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
from lxml import etree

from pipeline.errors import FileError
from pipeline.formats.ooxml.package import iter_children, rewrite_children, serialize

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SI = f"{{{NS}}}si"
PATH = Path("book.xlsx")


def table(items: int, *, prefix: str = "", standalone: str = ' standalone="yes"') -> bytes:
    """A shared-strings table with tails, comments, a rich string, non-ASCII text and an extLst."""
    p = f"{prefix}:" if prefix else ""
    decl = f'xmlns:{prefix}="{NS}"' if prefix else f'xmlns="{NS}"'
    body = []
    for i in range(items):
        if i % 700 == 5:
            body.append(f"<!-- note {i} -->")
        if i % 3 == 0:
            body.append(f'<{p}si><{p}r><{p}rPr><{p}b/></{p}rPr><{p}t xml:space="preserve">Bold {i} </{p}t></{p}r>'
                        f"<{p}r><{p}t>naïve &amp; café</{p}t></{p}r></{p}si>\n")
        else:
            body.append(f"<{p}si><{p}t>Item {i} &lt;x&gt;</{p}t></{p}si>")
    return (f'<?xml version="1.0" encoding="UTF-8"{standalone}?>\n<{p}sst {decl} count="{items}" '
            f'uniqueCount="{items}">\n{"".join(body)}<{p}extLst><{p}ext uri="u"/></{p}extLst></{p}sst>').encode()


def edit_text(item: etree._Element) -> None:
    for t in item.iter(f"{{{NS}}}t"):
        t.text = (t.text or "") + " ✓"


@pytest.mark.parametrize("items", [0, 1, 1023, 1024, 2500])
@pytest.mark.parametrize("prefix", ["", "x"])
@pytest.mark.parametrize("standalone", [' standalone="yes"', ""])
def test_a_streamed_rewrite_is_the_whole_tree_rewrite_byte_for_byte(items, prefix, standalone):
    data = table(items, prefix=prefix, standalone=standalone)
    tree = etree.ElementTree(etree.fromstring(data))
    root = tree.getroot()
    extra = []
    for i, item in enumerate(root.findall(SI)):
        edit_text(item)
        if i % 500 == 1:
            extra.append(copy.deepcopy(item))
    root.set("uniqueCount", "7")
    root.extend(extra)
    expected = serialize(tree)

    kept: list[etree._Element] = []
    position = iter(range(items))

    def edit(item: etree._Element) -> None:
        edit_text(item)
        if next(position) % 500 == 1:
            kept.append(copy.deepcopy(item))

    got = rewrite_children(data, PATH, "xl/sharedStrings.xml", SI, edit, lambda: kept, {"uniqueCount": "7"})
    assert got == expected


def test_children_come_one_by_one_and_the_kept_ones_stay_whole():
    data = table(3000)
    kept = {}
    for i, item in enumerate(iter_children(data, PATH, "xl/sharedStrings.xml", SI)):
        # The items before it are gone (the parser may have read ahead: later ones may be there).
        assert [s for s in item.itersiblings(preceding=True) if isinstance(s.tag, str)] == []
        if i in (0, 1500, 2999):
            kept[i] = item
    assert i == 2999
    assert {i: "".join(el.itertext()) for i, el in kept.items()} == {
        0: "Bold 0 naïve & café", 1500: "Bold 1500 naïve & café", 2999: "Item 2999 <x>"}


def test_a_streamed_part_is_refused_like_a_parsed_one():
    doctype = b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaa">]><sst xmlns="' + NS.encode() + b'"/>'
    with pytest.raises(FileError, match="DOCTYPE"):
        list(iter_children(doctype, PATH, "xl/sharedStrings.xml", SI))
    with pytest.raises(FileError, match="DOCTYPE"):
        rewrite_children(doctype, PATH, "xl/sharedStrings.xml", SI, edit_text, list, {})
    broken = table(5)[:-30]
    with pytest.raises(FileError, match="xl/sharedStrings.xml is not well-formed"):
        list(iter_children(broken, PATH, "xl/sharedStrings.xml", SI))
    with pytest.raises(FileError, match="xl/sharedStrings.xml is not well-formed"):
        rewrite_children(broken, PATH, "xl/sharedStrings.xml", SI, edit_text, list, {})
