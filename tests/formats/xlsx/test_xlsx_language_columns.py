"""A sheet that already holds translations (issue 27): a detected column whose first row
names a language other than the job's source language is kept, like a CSV's."""
from __future__ import annotations

import io
from pathlib import Path

from pipeline.formats.base import LoadContext
from pipeline.formats.options import XlsxFileRule, XlsxOptions
from pipeline.formats.xlsx import HANDLER
from pipeline.languages import lookup


def workbook() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Strings"
    ws.append(["Key", "English", "German", "it-IT"])
    ws.append(["save", "Save the file", "Datei speichern", "Salva il file"])
    ws.append(["open", "Open a folder", "Ordner öffnen", ""])
    ws.append(["quit", "Quit the program", "", "Esci dal programma"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def load(source: str | None, **options):
    data = workbook()
    return HANDLER.load(LoadContext(Path("ui.xlsx"), data, XlsxOptions(**options), lookup(source) if source else None,
                                    (lookup("fr"),), relpath="ui.xlsx"))


def test_the_source_column_is_translated_and_the_language_columns_kept():
    doc = load("en")
    assert {s.text for s in doc.segments()} == {"English", "Save the file", "Open a folder", "Quit the program"}
    decision = doc.decisions[0]
    assert "columns translated (detected): B (English)" in decision
    assert "C (German) (names a language, German: its translations are kept)" in decision
    assert "D (it-IT) (names a language, Italian: its translations are kept)" in decision


def test_without_a_source_language_every_language_column_is_kept():
    doc = load(None)
    assert doc.segments() == []
    assert "B (English) (names a language, English: its translations are kept)" in doc.decisions[0]


def test_a_rule_naming_the_column_translates_it_all_the_same():
    doc = load("en", files=(XlsxFileRule(match="*.xlsx", columns=("German",)),))
    assert {s.text for s in doc.segments()} == {"German", "Datei speichern", "Ordner öffnen"}
