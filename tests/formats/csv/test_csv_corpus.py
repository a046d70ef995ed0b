"""Acceptance on ../shared/corpus/csv: identity is byte-identical, pseudo touches named columns only.

The standard library's csv reader is the independent oracle for "which cells changed".
"""
from __future__ import annotations

import csv as stdcsv
import io
from pathlib import Path

import pytest

from pipeline.segments import has_translatable_text
from support import corpus_files

pytestmark = pytest.mark.needs_shared
FILES = [p.name for p in corpus_files("csv", "*.[ct]sv")]
# The job names a legacy encoding; "auto" refuses such files (tested below).
ENCODINGS = {"csvkit__test_latin1.csv": "latin-1"}


def read(corpus: Path, name: str) -> tuple[bytes, str]:
    data = (corpus / "csv" / name).read_bytes()
    return data, ENCODINGS.get(name, "auto")


def oracle(data: bytes, encoding: str, name: str) -> list[list[str]]:
    codec = "utf-8-sig" if encoding == "auto" else encoding
    delimiter = "\t" if name.endswith(".tsv") else ","
    return list(stdcsv.reader(io.StringIO(data.decode(codec), newline=""), delimiter=delimiter))


@pytest.mark.parametrize("name", FILES)
def test_identity_round_trip_is_byte_identical(corpus, load_csv, identity, lang, name):
    data, encoding = read(corpus, name)
    header = oracle(data, encoding, name)[0]
    # every column translated in place, language columns too (the job says overwrite)
    doc = load_csv(data, name=name, encoding=encoding, mode="per-language", columns=tuple(header), overwrite=True)
    out = doc.rebuild(lang("zh"), identity(doc))
    doc.verify(out)
    assert out == data


@pytest.mark.parametrize("name", FILES)
def test_pseudo_changes_only_the_named_columns(corpus, load_csv, pseudo, lang, name):
    data, encoding = read(corpus, name)
    before = oracle(data, encoding, name)
    named = tuple(before[0][::2])
    doc = load_csv(data, name=name, encoding=encoding, mode="per-language", columns=named, overwrite=True)
    out = doc.rebuild(lang("ja"), pseudo(doc))
    doc.verify(out)
    after = oracle(out, encoding, name)
    assert len(after) == len(before)
    assert after[0] == before[0]
    for old, new in zip(before[1:], after[1:]):
        for i, (cell, got) in enumerate(zip(old, new, strict=True)):
            if i % 2 == 0 and has_translatable_text(cell):
                assert got == cell.replace(cell.strip(), f"«{cell.strip()}»", 1)
            else:
                assert got == cell


def test_latin1_file_without_declared_encoding_is_refused(corpus, load_csv):
    from pipeline.errors import FileError

    data, _ = read(corpus, "csvkit__test_latin1.csv")
    with pytest.raises(FileError, match="UTF-8"):
        load_csv(data, name="csvkit__test_latin1.csv", mode="per-language", columns=("a",))


GODOT = "godot__text.csv"


def test_godot_fill_adds_language_columns_and_keeps_existing(corpus, load_csv, pseudo, lang):
    data, _ = read(corpus, GODOT)
    targets = ("es", "ja", "zh", "fr")
    doc = load_csv(data, name=GODOT, targets=targets)
    out = doc.rebuild_combined({lang(c): pseudo(doc, c + ":") for c in targets})
    doc.verify(out)
    before, after = oracle(data, "auto", GODOT), oracle(out, "auto", GODOT)
    assert after[0] == before[0] + ["zh", "fr"]
    for old, new in zip(before[1:], after[1:]):
        assert new[:4] == old  # key, source and the existing es/ja translations untouched
        assert new[4:] == [f"«zh:{old[1]}»", f"«fr:{old[1]}»"]  # every key translated


def test_godot_language_columns_are_not_translated_in_place_without_overwrite(corpus, load_csv):
    from pipeline.errors import FileError

    data, _ = read(corpus, GODOT)
    with pytest.raises(FileError, match="column 'es' names a language, Spanish, not the source language English"):
        load_csv(data, name=GODOT, mode="per-language", columns=("en", "es"))


def test_godot_fill_overwrite_replaces_existing(corpus, load_csv, pseudo, lang):
    data, _ = read(corpus, GODOT)
    doc = load_csv(data, name=GODOT, targets=("es",), overwrite=True)
    out = doc.rebuild_combined({lang("es"): pseudo(doc, "es:")})
    doc.verify(out)
    before, after = oracle(data, "auto", GODOT), oracle(out, "auto", GODOT)
    assert after[0] == before[0]
    assert [r[2] for r in after[1:]] == [f"«es:{r[1]}»" for r in before[1:]]
    assert [r[3] for r in after[1:]] == [r[3] for r in before[1:]]
