"""The HTML report as a reader gets it: one file, filters, direction and language per cell,
the exact span highlighted (never a digit inside a tag). Parsed with lxml, not a browser."""
from __future__ import annotations

from lxml import html as lxml_html

from pipeline.languages import resolve
from pipeline.review.qa.checks import Checker
from pipeline.review.qa.options import QaOptions
from pipeline.review.qa.report import to_html
from pipeline.review.qa.snapshot import Row
from pipeline.segments import Segment

EN = resolve("en")
ROWS = [
    Row("guide.md", resolve("ar"), Segment("p1", "Open <g1>5</g1> files on page 12.", "paragraph 1"),
        "افتح <g1>٥</g1> ملفات في الصفحة ١٣.", "mt"),
    Row("guide.md", resolve("ja"), Segment("p2", "Press <x1/> to save {name}.", "paragraph 2"),
        "<x1/> を押して保存します。", "mt"),
    Row("ui.csv", resolve("ja"), Segment("r3", "Revenue grew 1.2 million in Q2.", "row 3, column text"),
        "第二季度收入增长了 120 万。", "mt"),
]


def page():
    checker = Checker(QaOptions())
    findings = [f for row in ROWS for f in checker.segment(row, EN)]
    return findings, lxml_html.fromstring(to_html("demo", findings, ["guide.md", "ui.csv"], "error"))


def test_cells_carry_language_and_direction():
    _, root = page()
    rows = root.xpath("//table[@class='findings']/tbody/tr")
    by_lang = {r.get("data-lang"): r for r in rows}
    source, target = by_lang["ar"].xpath("td[@class='seg']")
    assert (source.get("lang"), source.get("dir")) == ("en", "ltr")
    assert (target.get("lang"), target.get("dir")) == ("ar", "rtl")
    assert by_lang["ja"].xpath("td[@class='seg']")[1].get("dir") == "ltr"


def test_the_exact_span_is_highlighted_never_a_digit_of_a_tag():
    findings, root = page()
    numbers = [f for f in findings if f.check == "numbers"]
    assert sorted(f.excerpt for f in numbers) == ["12", "١٣"]      # the 5 in <g1> is the same number
    marks = [m.text_content() for m in root.xpath("//tr[@data-check='numbers']//mark")]
    assert sorted(marks) == ["12", "١٣"]
    for mark in root.xpath("//mark"):
        assert mark.getparent().get("class") != "tag" and "<" not in mark.text_content()
    placeholder = root.xpath("//tr[@data-check='placeholders']//mark")
    assert [m.text_content() for m in placeholder] == ["{name}"]
    assert not [f for f in findings if f.lang == "ja" and f.check == "numbers"]  # 1.2 million = 120 万, Q2 = 第二


def test_filters_by_check_file_language_and_severity_without_script():
    findings, root = page()
    assert not root.xpath("//script|//link|//img|//iframe")            # self-contained, readable without JS
    boxes = {(b.get("name"), b.get("value")) for b in root.xpath("//form[@id='filters']//input[@type='checkbox']")}
    assert {("check", f.check) for f in findings} <= boxes
    assert {("lang", "ar"), ("lang", "ja"), ("file", "guide.md"), ("severity", "error")} <= boxes
    style = root.xpath("//style")[0].text
    for box in root.xpath("//form[@id='filters']//input"):
        assert f'#{box.get("id")}:not(:checked)) tr[data-{box.get("name")}="' in style
    assert all(r.get("data-file") and r.get("data-check") for r in root.xpath("//tbody/tr"))


def test_where_the_segment_lives_is_shown():
    _, root = page()
    assert not root.xpath("//tr[@data-file='ui.csv']")                 # nothing wrong there
    ar = root.xpath("//tr[@data-lang='ar']")[0].text_content()
    assert "p1" in ar and "paragraph 1" in ar
