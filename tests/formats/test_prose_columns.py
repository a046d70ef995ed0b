"""Prose column detection: what a cell value is, and which columns of a data table are prose."""
from __future__ import annotations

import pytest

from pipeline.formats.prose_columns import choose_columns, header_words, kind_of, summarize


@pytest.mark.parametrize("value,kind", [
    ("1,234.50", "number"), ("-$1,234.50", "number"), ("-987,88 €", "number"), ("42%", "number"), ("007", "number"),
    ("2024-01-02", "date"), ("5/19/2006 0:00:00", "date"), ("2024-03-01T10:00:00Z", "date"), ("12:30", "date"),
    ("https://example.com/a?b=1", "url"), ("www.example.org", "url"),
    ("user@example.org", "email"),
    ("/var/log/app.log", "path"), ("docs/q1/report.pdf", "path"), ("report.pdf", "path"), ("C:\\data\\x.txt", "path"),
    ("true", "boolean"), ("N/A", "boolean"),
    ("KEY_HELLO", "code"), ("SKU-0042", "code"), ("1005-00-073-9421", "code"), ("AL", "code"), ("0cbd7f93e1", "code"),
    ("Hello", "word"), ("ALABAMA", "word"),
    ("Hello there", "prose"), ("Where is my order?", "prose"), ("Guns, through 30 mm", "prose"),
    ("请在今天之前回复", "prose"), ("東京", "word"), ("東京に住んでいます", "prose"), ("猫", "word"), ("ขอบคุณมาก", "prose"), ("Привет мир", "prose"),
])
def test_kind_of_a_value(value, kind):
    assert kind_of(value) == kind


def test_header_words_split_case_and_separators():
    assert header_words("itemName") == ["item", "name"]
    assert header_words("Customer ID") == ["customer", "id"]
    assert header_words("ship_date") == ["ship", "date"]


def _decide(names, rows):
    return {c.name: (c.translate, c.reason) for c in choose_columns(names, rows)}


def test_prose_is_chosen_and_data_kept_with_reasons():
    rows = [[f"{i}", f"user{i}@example.org", f"Order {i} arrived late and damaged", ("open", "closed")[i % 2],
             f"{i * 3}.50", "https://x.example/" + str(i), f"{i} Main Street"] for i in range(40)]
    got = _decide(["ref", "reply to", "complaint", "state", "amount", "page", "address"], rows)
    assert got["complaint"][0] is True
    assert got["ref"] == (False, "header names data: 'ref'")
    assert got["reply to"] == (False, "e-mail addresses")
    assert got["state"] == (False, "enumeration: 2 distinct values in 40")
    assert got["amount"][0] is False and got["page"] == (False, "URLs")


def test_names_of_people_are_kept_but_names_of_things_are_not():
    rows = [["Jane Doe", "Compact kettle", "Ana Lima"], ["John Smith", "Wireless lamp", "Li Wei"]]
    got = _decide(["Full name", "Product name", "Author"], rows)
    assert got["Full name"] == (False, "header names people") and got["Author"] == (False, "header names people")
    assert got["Product name"][0] is True


def test_single_words_need_a_prose_header():
    rows = [["Save"], ["Open"], ["Close"]]
    assert _decide(["label"], rows)["label"][0] is True
    assert _decide(["thing"], rows)["thing"] == (False, "single words (1.0 words per value)")


def test_repeated_sentences_are_prose_not_an_enumeration():
    rows = [[("Ships in two days", "Made from recycled materials")[i % 2]] for i in range(100)]
    assert _decide(["blurb"], rows)["blurb"][0] is True


def test_empty_columns_and_the_summary_line():
    choices = choose_columns(["a", "b"], [["", "It rains a lot here"], ["", "Not today, thanks"]])
    assert summarize(choices) == ("columns translated (detected): b (prose: 4.0 words per value, 2 distinct)"
                                  "; kept: a (empty)")
