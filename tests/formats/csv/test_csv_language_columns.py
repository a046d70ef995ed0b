"""A table that already holds translations (issue 27): a column named by a language is
never translated in place nor written over without ``[csv] overwrite = true``."""
from __future__ import annotations

import csv as stdcsv
import io
import json

import pytest

from pipeline.cli import main
from pipeline.errors import FileError

TABLE = ("id,de,it\n"
         "1,Guten Morgen allerseits,Buongiorno a tutti\n"
         "2,Die Datei wurde gespeichert,\n"
         "3,Bitte warten Sie einen Moment,Attendere prego\n")


def rows(data: bytes) -> list[list[str]]:
    return list(stdcsv.reader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.mark.parametrize("header", ["de", "de-DE", "de_DE", "German", "DE"])
def test_every_way_of_naming_german_is_a_language_column(load_csv, header):
    text = f"key,en,{header}\nk1,Hello there,\nk2,Good day,Guten Tag\n"
    doc = load_csv(text, targets=("de",))
    assert doc.combined and doc.plan.targets[0].column == 2
    assert [s.text for s in doc.segments()] == ["Hello there"]  # the filled cell needs nothing


def test_id_de_it_is_a_table_of_german_and_italian_not_a_data_export(load_csv):
    with pytest.raises(FileError) as info:
        load_csv(TABLE, source="en", targets=("de",))
    message = str(info.value)
    assert message.startswith("t.csv: no column named for the source language English (en) in a table of "
                              "de (German), it (Italian)")
    assert "[csv] columns" in message and "overwrite = true" in message


def test_empty_cells_of_a_language_column_are_filled_and_the_rest_kept(load_csv, pseudo, lang):
    doc = load_csv(TABLE, source="de", targets=("it",))
    assert doc.decisions == ["column it (Italian): 2 cells holding a translation kept "
                             "([csv] overwrite = true replaces them)"]
    out = doc.rebuild_combined({lang("it"): pseudo(doc)})
    doc.verify(out)
    assert rows(out) == [["id", "de", "it"], ["1", "Guten Morgen allerseits", "Buongiorno a tutti"],
                         ["2", "Die Datei wurde gespeichert", "«Die Datei wurde gespeichert»"],
                         ["3", "Bitte warten Sie einen Moment", "Attendere prego"]]


def test_overwrite_replaces_them(load_csv, pseudo, lang):
    doc = load_csv(TABLE, source="de", targets=("it",), overwrite=True)
    assert doc.decisions == []
    out = doc.rebuild_combined({lang("it"): pseudo(doc)})
    assert [r[2] for r in rows(out)[1:]] == ["«Guten Morgen allerseits»", "«Die Datei wurde gespeichert»",
                                             "«Bitte warten Sie einen Moment»"]


def test_a_data_export_keeps_a_detected_column_named_by_a_language(load_csv, pseudo, lang):
    text = "key,de\nk1,Guten Morgen allerseits\nk2,Die Datei wurde gespeichert\n"
    doc = load_csv(text, source="en", targets=("fr",))
    assert doc.segments() == []
    assert "kept: key (header names data: 'key'); de (names a language, German: its translations are kept)" \
        in doc.decisions[0]
    assert doc.rebuild(lang("fr"), {}) == text.encode()
    forced = load_csv(text, source="en", targets=("fr",), overwrite=True)
    assert [s.text for s in forced.segments()] == ["Guten Morgen allerseits", "Die Datei wurde gespeichert"]


def test_english_words_among_the_codes_stay_words(load_csv):
    doc = load_csv("id,no,text\n1,4,Hello there friend\n2,5,Good morning to you\n", source="en", targets=("zh",))
    assert not doc.combined and [s.text for s in doc.segments()] == ["Hello there friend", "Good morning to you"]


def test_naming_another_language_column_for_in_place_translation_is_refused(load_csv):
    text = "key,en,fr\nk,Hello there,Bonjour\n"
    with pytest.raises(FileError, match="column 'fr' names a language, French, not the source language English"):
        load_csv(text, mode="per-language", columns=("en", "fr"))
    doc = load_csv(text, mode="per-language", columns=("en", "fr"), overwrite=True)
    assert [s.text for s in doc.segments()] == ["Hello there", "Bonjour"]
    assert load_csv(text, mode="per-language", columns=("en",)).plan.sources == (1,)


def test_through_the_cli_the_german_column_is_never_overwritten(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "table.csv").write_text(TABLE, encoding="utf-8")
    (folder / "export.csv").write_text("key,de\nk1,Guten Morgen allerseits\nk2,Die Datei wurde gespeichert\n",
                                       encoding="utf-8")
    out = tmp_path / "out"
    code = main(["translate", str(folder), "--from", "en", "--to", "de", "--out", str(out), "--emulator", "pseudo"])
    err = capsys.readouterr().err
    assert code == 1  # the table names no English column: refused, one line, nothing written
    assert "qmt: failed: table.csv: no column named for the source language English (en)" in err
    assert "Traceback" not in err and not (out / "table.csv").exists()
    assert (out / "export.csv").read_text(encoding="utf-8") == (folder / "export.csv").read_text(encoding="utf-8")
    assert "de (names a language, German: its translations are kept)" in err
    report = json.loads(sorted((tmp_path / ".qmt").glob("adhoc-*/reports/run-*.json"))[-1].read_text())
    assert {f["relpath"]: f["status"] for f in report["files"]} == {"table.csv": "failed", "export.csv": "written"}
