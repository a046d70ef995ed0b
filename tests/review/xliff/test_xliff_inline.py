"""qmt tags <-> XLIFF inline codes, both versions, and what CAT tools write instead."""
from __future__ import annotations

import pytest
from lxml import etree

from pipeline.review.xliff.inline import XLIFF2_NS, XLIFF12_NS, InlineError, fill, original_data, read

TEXT = "Press <g1>Save <a2>now</a2></g1>,<x3/> then\x0bgo."


def element(xml: str, ns: str = XLIFF2_NS) -> etree._Element:
    return etree.fromstring(f'<target xmlns="{ns}">{xml}</target>')


@pytest.mark.parametrize("ns", [XLIFF2_NS, XLIFF12_NS])
def test_fill_and_read_are_inverse(ns):
    target = etree.Element(f"{{{ns}}}target")
    fill(target, TEXT, ns)
    assert read(etree.fromstring(etree.tostring(target))) == TEXT


def test_2x_codes_refer_to_original_data():
    target = etree.Element(f"{{{XLIFF2_NS}}}target", nsmap={None: XLIFF2_NS})
    fill(target, TEXT, XLIFF2_NS)
    xml = etree.tostring(target, encoding="unicode")
    assert '<pc id="g1" dataRefStart="d-g1" dataRefEnd="d-g1-end" canDelete="no" type="fmt">' in xml
    assert '<ph id="x3" dataRef="d-x3" canDelete="no"/>' in xml and '<cp hex="000B"/>' in xml
    assert original_data(TEXT) == [("d-g1", "<g1>"), ("d-a2", "<a2>"), ("d-a2-end", "</a2>"),
                                   ("d-g1-end", "</g1>"), ("d-x3", "<x3/>")]


def test_reads_what_cat_tools_write_instead():
    assert read(element('<sc id="g1"/>Save<ec startRef="g1"/> <mrk id="m1" type="term">now</mrk>'
                        '<ph id="x2"/><cp hex="0001"/>')) == "<g1>Save</g1> now<x2/>\x01"
    assert read(element('<bx id="b1" rid="g1"/>Save<ex id="e1" rid="g1"/>', XLIFF12_NS)) == "<g1>Save</g1>"


@pytest.mark.parametrize("xml, reason", [
    ('<pc id="7">x</pc>', "<pc> id '7' is not one of qmt's codes"),
    ('<foo/>', "unexpected inline element <foo>"),
    ('Press &lt;x1/&gt; now', "'<x1/>' typed as text; use the code"),
])
def test_unknown_codes_are_refused(xml, reason):
    with pytest.raises(InlineError, match=reason):
        read(element(xml))
