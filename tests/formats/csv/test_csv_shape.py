"""Exports as they come (issue 27): title lines above the header, ragged rows and summary
lines below the table are kept byte for byte and reported; the rest is translated."""
from __future__ import annotations

import codecs
import csv as stdcsv
import io

import pytest

from pipeline.errors import FileError, FormatError
from pipeline.formats.csv.records import Dialect, walk
from pipeline.formats.csv.shape import SAMPLE_RECORDS, find_shape

REPORT = (
    "Exported 2026-01-03\r\n"
    "\r\n"
    "id,name,description\r\n"
    "1,Widget,A small widget for the kitchen\r\n"
    "2,Gadget,\"Another useful thing, to have\"\r\n"
    "3,Thing\r\n"
    "4,Doohickey,Fits every drawer in the house\r\n"
    "Total,3,,\r\n"
    "Printed by the shop,\r\n"
)


def shape_of(text: str, has_header: bool = True):
    from pathlib import Path
    return find_shape(walk(text, Dialect(",", '"'), Path("t.csv")), has_header)


def test_title_lines_ragged_rows_and_summary_lines_are_kept_and_reported(load_csv, pseudo, identity, lang):
    doc = load_csv(REPORT, mode="per-language", columns=("description",))
    assert [s.text for s in doc.segments()] == ["A small widget for the kitchen", "Another useful thing, to have",
                                                "Fits every drawer in the house"]
    assert doc.warnings == ["lines 1-2: above the header (a title or summary), kept as is",
                            "line 6: 2 fields where the header has 3, kept as is",
                            "line 8: 4 fields where the header has 3, kept as is",
                            "line 9: 2 fields where the header has 3, kept as is"]
    assert doc.rows == 3
    raw = REPORT.encode()
    assert doc.rebuild(lang("zh"), identity(doc)) == raw
    out = doc.rebuild(lang("zh"), pseudo(doc))
    doc.verify(out)
    expected = (REPORT.replace("A small widget for the kitchen", "«A small widget for the kitchen»")
                .replace('"Another useful thing, to have"', '"«Another useful thing, to have»"')
                .replace("Fits every drawer in the house", "«Fits every drawer in the house»"))
    assert out == expected.encode()


def test_ragged_rows_of_one_width_in_a_row_are_one_stretch(load_csv):
    text = "a,b,c\n1,2,Hello there\n" + "x,y\n" * 3 + "4,5,Good day\n" + "z\n"
    doc = load_csv(text, mode="per-language", columns=("c",))
    assert doc.warnings == ["lines 3-5: 2 fields where the header has 3, kept as is",
                            "line 7: 1 field where the header has 3, kept as is"]


def test_many_ragged_stretches_are_summed_up(load_csv):
    text = "a,b\n" + "1,Hello there\nshort\n" * 30
    doc = load_csv(text, mode="per-language", columns=("b",))
    assert len(doc.warnings) == 21
    assert doc.warnings[-1] == "lines 43-61: 10 more stretches of rows of another width, kept as is"


def test_a_title_padded_with_delimiters_is_not_the_header(load_csv, pseudo, lang):
    text = "KNAB EXPORT;;;\nDate;Account;Note;\n01-02;NL99;Paid the rent for March;\n02-02;NL98;Groceries and bread;\n"
    doc = load_csv(text, mode="per-language", columns=("Note",))
    assert doc.warnings == ["line 1: above the header (a title or summary), kept as is"]
    out = doc.rebuild(lang("zh"), pseudo(doc)).decode()
    assert out.splitlines()[0] == "KNAB EXPORT;;;" and out.splitlines()[2] == "01-02;NL99;«Paid the rent for March»;"


def test_a_header_naming_fewer_columns_than_its_rows_have(load_csv, pseudo, lang):
    text = "When,Notes,\n2017-09-29,Bought a little bitcoin,false,10.00\n2017-10-04,Coinbase fee,false,0.99\n"
    doc = load_csv(text, mode="per-language", columns=("Notes",))
    assert doc.warnings == []
    assert doc.decisions[0] == "the header on line 1 names 3 columns where the rows have 4"
    out = doc.rebuild(lang("zh"), pseudo(doc))
    doc.verify(out)
    assert out.decode().splitlines() == ["When,Notes,", "2017-09-29,«Bought a little bitcoin»,false,10.00",
                                         "2017-10-04,«Coinbase fee»,false,0.99"]
    with pytest.raises(FileError, match="names 3 columns where the rows have 4: no column can be added"):
        load_csv(text, mode="add", columns=("Notes",))


def test_a_header_naming_more_columns_than_its_rows_have(load_csv, identity, lang):
    text = "a,b,c,d\n1,Hello there,3\n2,Good day,4\n"
    doc = load_csv(text, mode="per-language", columns=("b",))
    assert [s.text for s in doc.segments()] == ["Hello there", "Good day"]
    assert doc.rebuild(lang("zh"), identity(doc)) == text.encode()


@pytest.mark.parametrize(("text", "width", "header", "header_width"), [
    ("a,b\n1,2\n", 2, 0, 2),
    ("\n\nTitle\n\na,b,c\n1,2,3\n", 3, 4, 3),                  # blank lines and a title
    ("Report, Q1\n\nDate,Text,Amount\n1,x,2\n3,y,4\n", 3, 2, 3),   # a title with a comma
    ("Report, Q1\nDate,Text,Amount\n1,x,2\n3,y,4\n", 3, 1, 3),     # ... directly above: under half the width
    ("h1,h2,h3,\n1,2,3,4,5\n5,6,7,8,9\n", 5, 0, 4),            # a short header ending with a delimiter
    ("h1,h2,h3\n1,2,3,4\n5,6,7,8\n", 4, 1, 4),                  # ... not ending so: a title line
    ("a,b,c,d\n1,2,3\n4,5,6\n", 3, 0, 4),                      # a wider header directly above the rows
    ("a,b,c,d\n1,2,3,\n1,2,3\n4,5,6\n7,8,9\n", 3, 0, 4),      # ... with rows of its width below it
    ("Report,Q1,x\n\nh1,h2,h3,\n1,2,3,4,5\n6,7,8,9,0\n", 5, 2, 4),  # a blank line ends the run
    ("a,b\nonly\n", 2, 0, 2),                                   # a tie: the wider
    ("Konto;1\nIBAN;DE1\nBank;ING\nKunde;Max\n\nA;B;C;D\n1;2;3;4\n5;6;7;8\n".replace(";", ","), 4, 5, 4),
    # ... four two-field summary lines above two rows of four: the table's block holds the most cells
    ("en,zh\nSave changes,\nCancel,x,y,z\n", 2, 0, 2),          # one ragged row does not make the width
    ("sep=,\nDate,Text,Amount\n1,a,2\n3,b,4\n", 3, 1, 3),       # Excel's delimiter line is a title line
    ("Summary,,x\nCredits,,2\nDebits,,8\n\nDate,Text,Amount,Balance\n1,a,2,3\n4,b,5,6\n7,c,8,9\n", 4, 4, 4),
])
def test_the_header_rule(text, width, header, header_width):
    shape = shape_of(text)
    assert (shape.width, shape.header, shape.header_width) == (width, header, header_width)


def test_without_a_header_every_record_of_another_width_is_kept(load_csv, identity, lang):
    text = "Title line\n1,Hello there friend\n2,Good morning to you\n"
    doc = load_csv(text, header=False, source=None, mode="per-language", columns=("2",))
    assert [s.text for s in doc.segments()] == ["Hello there friend", "Good morning to you"]
    assert doc.warnings == ["line 1: 1 field where the table has 2, kept as is"]
    assert shape_of(text, has_header=False).header is None


def test_a_file_of_blank_lines_has_nothing_to_translate(load_csv, lang):
    doc = load_csv("\n\r\n\n", mode="per-language", columns=("a",))
    assert doc.segments() == [] and doc.warnings == []
    assert doc.rebuild(lang("zh"), {}) == b"\n\r\n\n"


def test_the_width_is_read_from_a_sample_of_the_first_records(monkeypatch):
    import pipeline.formats.csv.shape as shape_module

    monkeypatch.setattr(shape_module, "SAMPLE_RECORDS", 3)
    text = "a,b\n1,2\n3,4\n" + "x,y,z\n" * 10  # the three-field rows come after the sample
    assert (shape_of(text).width, shape_of(text).header) == (2, 0)
    assert SAMPLE_RECORDS == 1000


def test_fill_mode_keeps_title_lines_and_ragged_rows(load_csv, pseudo, lang):
    text = codecs.BOM_UTF8.decode("utf-8") + "UI strings, exported 2026-01-03\r\n\r\nkey,en,zh\r\nhi,Hello,\r\nbye\r\n"
    raw = codecs.BOM_UTF8 + text[1:].encode()
    doc = load_csv(raw, targets=("zh", "ja"))
    out = doc.rebuild_combined({lang("zh"): pseudo(doc, "zh:"), lang("ja"): pseudo(doc, "ja:")})
    doc.verify(out)
    assert out == codecs.BOM_UTF8 + ("UI strings, exported 2026-01-03\r\n\r\nkey,en,zh,ja\r\n"
                                     "hi,Hello,«zh:Hello»,«ja:Hello»\r\nbye\r\n").encode()
    assert doc.warnings == ["lines 1-2: above the header (a title or summary), kept as is",
                            "line 5: 1 field where the header has 3, kept as is"]


def test_verify_refuses_a_kept_line_that_changed(load_csv, identity, lang):
    doc = load_csv(REPORT, mode="per-language", columns=("description",))
    good = doc.rebuild(lang("zh"), identity(doc))
    with pytest.raises(FormatError, match="line 6, kept as is, changed"):
        doc.verify(good.replace(b"3,Thing", b"3,Thang"))
    with pytest.raises(FormatError, match="line 1, kept as is, changed"):
        doc.verify(good.replace(b"Exported", b"exported"))


def test_pseudo_changes_only_the_translated_fields_of_read_rows(load_csv, pseudo, lang):
    """The standard library's reader as the oracle: title and ragged lines identical."""
    doc = load_csv(REPORT, mode="per-language", columns=("description",))
    before = list(stdcsv.reader(io.StringIO(REPORT, newline="")))
    after = list(stdcsv.reader(io.StringIO(doc.rebuild(lang("zh"), pseudo(doc)).decode(), newline="")))
    changed = [(i, j) for i, (a, b) in enumerate(zip(before, after, strict=True))
               for j, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    assert changed == [(3, 2), (4, 2), (6, 2)]


def test_estimate_lists_what_would_be_kept_as_is(tmp_path, capsys):
    from pipeline.cli import main

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "report.csv").write_text(REPORT, encoding="utf-8", newline="")
    job = tmp_path / "job.toml"
    job.write_text(f'input = "{tmp_path / "in"}"\noutput = "{tmp_path}/out/{{lang}}"\ntarget_langs = ["zh"]\n'
                   '[csv]\nmode = "per-language"\ncolumns = ["description"]\n', encoding="utf-8")
    assert main(["estimate", str(job)]) == 0
    out = capsys.readouterr().out
    assert "report.csv: warning: lines 1-2: above the header (a title or summary), kept as is" in out
    assert "report.csv: warning: line 6: 2 fields where the header has 3, kept as is" in out


def test_a_wider_header_of_a_filled_table_is_kept_as_it_was(load_csv, pseudo, lang):
    text = "key,en,zh,note,\nhi,Hello there,\nbye,Goodbye,\n"
    doc = load_csv(text, targets=("zh",))
    assert doc.shape.header_width == 5 and doc.shape.width == 3
    out = doc.rebuild_combined({lang("zh"): pseudo(doc)})
    doc.verify(out)
    assert out.decode() == "key,en,zh,note,\nhi,Hello there,«Hello there»\nbye,Goodbye,«Goodbye»\n"

