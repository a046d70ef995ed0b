"""Acceptance on tests/corpus/csv (issue 27): real exports with title lines above the
header, ragged rows and a stray NUL translate with every other byte identical.

Bank statements (ING Germany, Knab, DKB), a World Bank download and csvkit's ragged test
files; sources and licences in tests/corpus/README.md. The standard library's csv reader
is the independent oracle for which cells changed.
"""
from __future__ import annotations

import csv as stdcsv
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main

CORPUS = Path(__file__).parents[2] / "corpus" / "csv"
WB = "worldbank/API_SP.POP.TOTL_DS2_en_csv_v2_887275.csv"
# relpath -> (job options, source language, warnings, cells the pseudo-translation changes)
EXPECTED: dict[str, tuple[dict, str | None, list[str], int]] = {
    "csvkit/bad.csv": ({}, None, ["line 2: 4 fields where the header has 3, kept as is",
                                  "line 3: 2 fields where the header has 3, kept as is"], 1),
    "csvkit/bad_skip_lines.csv": ({}, None, ["line 5: 4 fields where the header has 3, kept as is",
                                             "line 6: 2 fields where the header has 3, kept as is"], 1),
    "csvkit/null_byte.csv": ({"mode": "per-language", "columns": ("a",)}, None,
                             ["a NUL byte (U+0000) in the cell on line 2 (a): not translated, kept as is"], 0),
    "csvkit/test_join_short_rows.csv": ({"mode": "per-language", "columns": ("b", "c")}, None,
                                        ["lines 2-3: 2 fields where the header has 3, kept as is"], 2),
    "ofxstatement-de-ing/test_with_saldo_1.csv": ({"encoding": "latin-1"}, "de",
                                                  ["lines 1-14: above the header (a title or summary), kept as is"], 18),
    "ofxstatement-de-ing/test_without_saldo_1.csv": ({"encoding": "latin-1"}, "de",
                                                     ["lines 1-13: above the header (a title or summary), kept as is"],
                                                     11),
    "ofxstatement-dutch/Knab_transactieoverzicht_ok.csv": ({}, "nl", ["line 1: above the header (a title or summary), "
                                                                      "kept as is"], 28),
    "rechnungspilot/dkb.csv": ({}, "de", ["lines 1-4: above the header (a title or summary), kept as is"], 16),
    WB: ({"mode": "per-language", "columns": ("Country Name", "Indicator Name")}, "en",
         ["lines 1-4: above the header (a title or summary), kept as is"], 528),
}


def test_every_corpus_file_has_its_expectations():
    assert sorted(str(p.relative_to(CORPUS)) for p in CORPUS.glob("*/*.csv")) == sorted(EXPECTED)


def table(data: bytes, encoding: str, delimiter: str) -> list[list[str]]:
    return list(stdcsv.reader(io.StringIO(data.decode(encoding), newline=""), delimiter=delimiter))


def load(load_csv, rel: str):
    options, source, _, _ = EXPECTED[rel]
    return load_csv((CORPUS / rel).read_bytes(), name=rel, source=source, targets=("zh",), **options)


def rebuild(doc, lang, translations):
    return doc.rebuild_combined({lang: translations}) if doc.combined else doc.rebuild(lang, translations)


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_identity_is_byte_identical_and_what_was_not_read_is_reported(load_csv, identity, lang, rel):
    doc = load(load_csv, rel)
    assert doc.warnings == EXPECTED[rel][2]
    out = rebuild(doc, lang("zh"), identity(doc))
    doc.verify(out)
    assert out == (CORPUS / rel).read_bytes()


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_pseudo_changes_only_the_translated_fields(load_csv, pseudo, lang, rel):
    doc = load(load_csv, rel)
    data = (CORPUS / rel).read_bytes()
    out = rebuild(doc, lang("zh"), pseudo(doc))
    doc.verify(out)
    encoding = EXPECTED[rel][0].get("encoding", "utf-8-sig")
    before, after = table(data, encoding, doc.dialect.delimiter), table(out, encoding, doc.dialect.delimiter)
    assert len(after) == len(before)
    assert data.startswith(b"\xef\xbb\xbf") == out.startswith(b"\xef\xbb\xbf")
    changed = 0
    for line, (old, new) in enumerate(zip(before, after, strict=True)):
        assert len(new) == len(old), line
        for cell, got in zip(old, new):
            if got != cell:
                changed += 1
                assert got == cell.replace(cell.strip(), f"«{cell.strip()}»", 1), (rel, cell, got)
    assert changed == EXPECTED[rel][3]
    # the title lines, the header and every line reported as kept are byte for byte the input's
    lines_in, lines_out = data.splitlines(keepends=True), out.splitlines(keepends=True)
    assert lines_out[: doc.shape.header_line] == lines_in[: doc.shape.header_line]
    for warning in doc.warnings:
        m = re.match(r"lines? (\d+)(?:-(\d+))?: ", warning)
        if m:
            first, last = int(m.group(1)), int(m.group(2) or m.group(1))
            assert lines_out[first - 1 : last] == lines_in[first - 1 : last], warning


def test_through_the_cli_every_file_is_written_and_the_report_names_the_lines(tmp_path, capsys):
    folder = tmp_path / "exports"
    shutil.copytree(CORPUS, folder, ignore=shutil.ignore_patterns("LICENSE*", "COPYING"))
    job = tmp_path / "job.toml"
    job.write_text(
        f'input = "{folder}"\noutput = "{tmp_path}/out/{{lang}}"\ntarget_langs = ["zh"]\n'
        '[[csv.files]]\nmatch = "ofxstatement-de-ing/*.csv"\nencoding = "latin-1"\n'
        '[[csv.files]]\nmatch = "worldbank/*.csv"\ncolumns = ["Country Name", "Indicator Name"]\n'
        'mode = "per-language"\n'
        '[[csv.files]]\nmatch = "csvkit/null_byte.csv"\ncolumns = ["a"]\nmode = "per-language"\n'
        '[[csv.files]]\nmatch = "csvkit/test_join_short_rows.csv"\ncolumns = ["b", "c"]\nmode = "per-language"\n',
        encoding="utf-8")
    assert main(["translate", str(job), "--emulator", "identity"]) == 0
    err = capsys.readouterr().err
    assert "qmt: warning: worldbank/API_SP.POP.TOTL_DS2_en_csv_v2_887275.csv: lines 1-4: above the header" in err
    assert "qmt: warning: csvkit/bad.csv: line 3: 2 fields where the header has 3, kept as is" in err
    report = json.loads(sorted((tmp_path / "out" / ".qmt").glob("*/reports/run-*.json"))[-1].read_text("utf-8"))
    files = {f["relpath"]: f for f in report["files"]}
    assert {rel: f["status"] for rel, f in files.items()} == {rel: "written" for rel in EXPECTED}
    for rel, (_, _, warnings, _) in EXPECTED.items():
        assert [p["reason"] for p in files[rel]["problems"] if p["status"] == "kept_as_is"] == warnings, rel
        assert (tmp_path / "out" / "zh" / rel).read_bytes() == (CORPUS / rel).read_bytes(), rel


def test_a_latin1_export_refuses_a_translation_its_encoding_cannot_hold(load_csv, lang):
    from pipeline.errors import FormatError

    doc = load(load_csv, "ofxstatement-de-ing/test_with_saldo_1.csv")
    with pytest.raises(FormatError, match="cannot encode"):
        doc.rebuild(lang("zh"), {s.id: "中文" for s in doc.segments()})
