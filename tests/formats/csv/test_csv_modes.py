"""The three output modes, column rules, values read as text, segments and verify."""
from __future__ import annotations

import csv as stdcsv
import io

import pytest

from pipeline.errors import FileError, FormatError
from pipeline.formats.csv import MalformedCsvError

LOCALE = (
    "key,en,es,ja\r\n"
    "HELLO,Hello!,¡Hola!,\r\n"
    "BYE,Goodbye,,\r\n"
    "COUNT,\"Apples, pears\",,\r\n"
    "SAME,Hello!,,\r\n"
    "NUM,007,,\r\n"
)


def rows(data: bytes, encoding: str = "utf-8") -> list[list[str]]:
    """The oracle: the standard library's reading of the output."""
    return list(stdcsv.reader(io.StringIO(data.decode(encoding), newline="")))


def by_text(doc) -> dict[str, str]:
    return {s.text: s.id for s in doc.segments()}


# --- fill -----------------------------------------------------------------------------


def test_fill_fills_empty_cells_and_appends_missing_language_columns(load_csv, pseudo, lang):
    doc = load_csv(LOCALE, targets=("es", "ja", "zh"))
    assert doc.combined
    assert sorted(by_text(doc)) == ["Apples, pears", "Goodbye", "Hello!"]
    out = doc.rebuild_combined({lang(c): pseudo(doc, c + ":") for c in ("es", "ja", "zh")})
    doc.verify(out)
    table = rows(out)
    assert table[0] == ["key", "en", "es", "ja", "zh"]
    assert table[1] == ["HELLO", "Hello!", "¡Hola!", "«ja:Hello!»", "«zh:Hello!»"]  # es kept
    assert table[2] == ["BYE", "Goodbye", "«es:Goodbye»", "«ja:Goodbye»", "«zh:Goodbye»"]
    assert table[3][4] == "«zh:Apples, pears»"
    assert table[5] == ["NUM", "007", "007", "007", "007"]  # nothing to translate: copied as is
    assert out.count(b"\r\n") == LOCALE.count("\r\n")


def test_fill_overwrite_replaces_existing_translations(load_csv, pseudo, lang):
    doc = load_csv(LOCALE, targets=("es",), overwrite=True)
    out = doc.rebuild_combined({lang("es"): pseudo(doc)})
    assert rows(out)[1][2] == "«Hello!»"


def test_fill_sends_nothing_when_every_target_cell_is_filled(load_csv):
    doc = load_csv("key,en,es\nA,Hello,Hola\n", targets=("es",))
    assert doc.segments() == []


def test_fill_finds_target_columns_by_name_or_alias(load_csv, pseudo, lang):
    doc = load_csv("id,English,Chinese (Traditional),zh-CN\nx,Hello,,\n", targets=("zh_tw", "zh"))
    out = doc.rebuild_combined({lang("zh_tw"): pseudo(doc, "tw:"), lang("zh"): pseudo(doc, "cn:")})
    assert rows(out) == [
        ["id", "English", "Chinese (Traditional)", "zh-CN"],
        ["x", "Hello", "«tw:Hello»", "«cn:Hello»"],
    ]


def test_fill_missing_translation_leaves_the_cell_empty(load_csv, lang):
    doc = load_csv(LOCALE, targets=("zh",))
    out = doc.rebuild_combined({lang("zh"): {}})
    doc.verify(out)
    assert [r[4] for r in rows(out)[1:]] == ["", "", "", "", "007"]


def test_fill_source_column_named_in_job_and_keep(load_csv, pseudo, lang):
    text = "key,en,en_US,de\nA,Colour,Color,\n"
    doc = load_csv(text, targets=("de",), columns=("en_US",))
    assert [s.text for s in doc.segments()] == ["Color"]
    kept = load_csv(text, targets=("de",), keep=("de",))
    out = kept.rebuild_combined({lang("de"): pseudo(kept)})
    assert out == text.encode()


def test_fill_with_auto_source_takes_first_language_column_not_a_target(load_csv):
    doc = load_csv("KEYS,en,es\nK,Hi,\n", source=None, targets=("es",))
    assert [s.text for s in doc.segments()] == ["Hi"]


def test_fill_errors_name_the_problem(load_csv):
    with pytest.raises(FileError, match="source language"):
        load_csv("key,fr\nA,Bonjour\n", targets=("zh",))
    with pytest.raises(FileError, match="header"):
        load_csv("A,Hello\n", targets=("zh",), header=False, columns=("2",))


def test_segment_context_names_the_key(load_csv):
    doc = load_csv(LOCALE, targets=("zh",))
    contexts = {s.text: s.context for s in doc.segments()}
    assert contexts["Goodbye"] == "BYE (en)"


# --- add -------------------------------------------------------------------------------


def test_add_inserts_columns_beside_each_source(load_csv, pseudo, lang):
    text = 'id,title,price,body\n001,"Red, big",1.50,Nice\n002,Blue,2.00,\n'
    doc = load_csv(text, mode="add", columns=("title", "body"), targets=("zh", "ja"))
    out = doc.rebuild_combined({lang("zh"): pseudo(doc, "zh:"), lang("ja"): pseudo(doc, "ja:")})
    doc.verify(out)
    assert rows(out) == [
        ["id", "title", "title_zh", "title_ja", "price", "body", "body_zh", "body_ja"],
        ["001", "Red, big", "«zh:Red, big»", "«ja:Red, big»", "1.50", "Nice", "«zh:Nice»", "«ja:Nice»"],
        ["002", "Blue", "«zh:Blue»", "«ja:Blue»", "2.00", "", "", ""],
    ]
    assert b'"Red, big","\xc2\xabzh:Red, big\xc2\xbb"' in out  # the new cell quoted like its source


def test_add_reuses_an_existing_added_column(load_csv, pseudo, lang):
    text = "id,title,title_zh\n1,Blue,蓝\n2,Green,\n"
    doc = load_csv(text, mode="add", columns=("title",), targets=("zh",))
    out = doc.rebuild_combined({lang("zh"): pseudo(doc)})
    assert rows(out) == [["id", "title", "title_zh"], ["1", "Blue", "蓝"], ["2", "Green", "«Green»"]]


def test_add_without_header_uses_column_numbers(load_csv, pseudo, lang):
    doc = load_csv("1,Blue\n2,Green\n", mode="add", columns=("2",), header=False)
    out = doc.rebuild_combined({lang("zh"): pseudo(doc)})
    assert out == "1,Blue,«Blue»\n2,Green,«Green»\n".encode()


def test_add_missing_translation_keeps_the_source_text(load_csv, lang):
    doc = load_csv("t\nBlue\n", mode="add", columns=("t",))
    assert rows(doc.rebuild_combined({lang("zh"): {}})) == [["t", "t_zh"], ["Blue", "Blue"]]


# --- per-language ---------------------------------------------------------------------


EXPORT = (
    "id,sku,name,price,date,note\n"
    "007,A-1,Red chair,1.50,2024-01-02,\n"
    "008,A-2,\"Chair, blue\",10,2024-01-03,\"Two\nlines\"\n"
    "009,A-3,Red chair,0.10,,\"\"\n"
)


def test_per_language_translates_named_columns_only(load_csv, pseudo, lang):
    doc = load_csv(EXPORT, mode="per-language", columns=("name", "note"), targets=("zh", "ja"))
    assert not doc.combined
    assert doc.rows == 3
    assert sorted(by_text(doc)) == ["Chair, blue", "Red chair", "Two\nlines"]  # repeated value once
    before = rows(EXPORT.encode())
    out = doc.rebuild(lang("ja"), pseudo(doc))
    doc.verify(out)
    after = rows(out)
    for old, new in zip(before, after):
        assert [old[i] for i in (0, 1, 3, 4)] == [new[i] for i in (0, 1, 3, 4)]
    assert after[1][:5] == ["007", "A-1", "«Red chair»", "1.50", "2024-01-02"]
    assert after[2][5] == "«Two\nlines»"
    assert out.endswith(b',""\n')  # quoted-empty stays quoted-empty


def test_identity_rebuild_is_byte_identical(load_csv, identity, lang):
    doc = load_csv(EXPORT, mode="per-language", columns=("id", "sku", "name", "price", "date", "note"))
    assert doc.rebuild(lang("zh"), identity(doc)) == EXPORT.encode()


def test_untranslated_rows_are_copied_byte_for_byte(load_csv, lang):
    text = 'a,b\r\n"x",  "spaced"  \r\n"y","z"\r'
    doc = load_csv(text, mode="per-language", columns=("a",))
    out = doc.rebuild(lang("zh"), {doc.segments()[1].id: "Y!"})
    assert out == 'a,b\r\n"x",  "spaced"  \r\n"Y!","z"\r'.encode()


def test_surrounding_whitespace_and_crlf_inside_values_are_kept(load_csv, lang):
    doc = load_csv('a\r\n"  Hi\r\nthere "\r\n', mode="per-language", columns=("a",))
    seg = doc.segments()[0]
    assert seg.text == "Hi\r\nthere"
    out = doc.rebuild(lang("zh"), {seg.id: "Salut\nla"})
    assert out == b'a\r\n"  Salut\r\nla "\r\n'


def test_tag_looking_text_is_protected_and_restored(load_csv, lang):
    doc = load_csv("a\nPress <g1> now\n", mode="per-language", columns=("a",))
    seg = doc.segments()[0]
    assert seg.text == "Press <x1/> now"
    out = doc.rebuild(lang("zh"), {seg.id: "现在按 <x1/>"})
    assert out == "a\n现在按 <g1>\n".encode()


def test_semicolon_and_tab_files_keep_their_delimiter(load_csv, pseudo, lang):
    semi = load_csv("id;txt\n1;Hello; world\n".replace("Hello; world", '"Hello; world"'), mode="per-language", columns=("txt",))
    assert semi.rebuild(lang("zh"), pseudo(semi)) == 'id;txt\n1;"«Hello; world»"\n'.encode()
    tab = load_csv("id\ttxt\n1\tHello\n", name="t.tsv", mode="per-language", columns=("txt",))
    assert tab.rebuild(lang("zh"), pseudo(tab)) == "id\ttxt\n1\t«Hello»\n".encode()


def test_old_mac_line_endings(load_csv, pseudo, lang):
    doc = load_csv("a,b\r1,Hello\r2,World\r", mode="per-language", columns=("b",))
    assert doc.rows == 2
    assert doc.rebuild(lang("zh"), pseudo(doc)) == "a,b\r1,«Hello»\r2,«World»\r".encode()


def test_per_language_without_columns_detects_them(load_csv):
    doc = load_csv("a,b\n1,2\n", mode="per-language", source="fr")
    assert doc.segments() == [] and "columns translated (detected): none" in doc.decisions[0]
    with pytest.raises(FileError, match="no column 'nope'"):
        load_csv("a,b\n1,2\n", mode="per-language", columns=("nope",))


# --- malformed, empty, verify ------------------------------------------------------------


def test_broken_quoting_is_malformed_with_its_line_and_can_stop_the_job(load_csv):
    with pytest.raises(MalformedCsvError) as info:
        load_csv('a,b\n1,2\n"x\ny",2\n3,"open\n', mode="per-language", columns=("a",), on_malformed="stop")
    assert info.value.line == 5
    assert info.value.stop_job is True


def test_blank_lines_are_kept(load_csv, pseudo, lang):
    doc = load_csv("en,zh\nHi,\n\nBye,\n\n", targets=("zh",))
    out = doc.rebuild_combined({lang("zh"): pseudo(doc)})
    doc.verify(out)
    assert out == "en,zh\nHi,«Hi»\n\nBye,«Bye»\n\n".encode()


def test_empty_file(load_csv, lang):
    doc = load_csv(b"", targets=("zh",))
    assert doc.segments() == [] and doc.rows == 0
    assert doc.rebuild_combined({lang("zh"): {}}) == b""


def test_verify_rejects_changed_untouched_column_and_row_count(load_csv, identity, lang):
    doc = load_csv(EXPORT, mode="per-language", columns=("name",))
    good = doc.rebuild(lang("zh"), identity(doc))
    doc.verify(good)
    with pytest.raises(FormatError, match="column 4"):
        doc.verify(good.replace(b"1.50", b"1.5"))
    with pytest.raises(FormatError, match="number of records"):
        doc.verify(good + b"010,A-4,x,1,2024-01-01,\n")
    with pytest.raises(FormatError):
        doc.verify(good.replace(b'"Chair, blue"', b'"Chair, blue'))


# --- job options ---------------------------------------------------------------------------


def test_declared_delimiter_by_character_or_name(load_csv):
    text = "a;b\n1;Hello, world\n"
    for declared in (";", "semicolon"):
        doc = load_csv(text, mode="per-language", columns=("b",), delimiter=declared)
        assert [s.text for s in doc.segments()] == ["Hello, world"]
    tab = load_csv("a\tb\n1\tHi, there\n", mode="per-language", columns=("b",), delimiter="tab")
    assert tab.dialect.delimiter == "\t"


def test_bad_delimiter_is_a_file_error(load_csv):
    with pytest.raises(FileError, match="delimiter"):
        load_csv("a\n", mode="per-language", columns=("a",), delimiter=";;")


def test_row_weights_add_up_to_the_rows_for_progress(load_csv):
    doc = load_csv(LOCALE, targets=("es", "zh"))
    assert doc.rows == 5
    weights = doc.row_weights
    assert set(weights) <= {s.id for s in doc.segments()}
    by_text = {s.text: weights.get(s.id, 0) for s in doc.segments()}
    assert by_text == {"Hello!": 2, "Goodbye": 1, "Apples, pears": 1}  # NUM has nothing to send
    assert doc.rows - sum(weights.values()) == 1


def test_headerless_file_names_columns_by_number(load_csv, pseudo, lang):
    text = "007,Red chair,1.50\n008,Blue lamp,2.00\n"
    doc = load_csv(text, mode="per-language", columns=("2",), header=False)
    assert doc.rows == 2
    assert doc.rebuild(lang("zh"), pseudo(doc)) == "007,«Red chair»,1.50\n008,«Blue lamp»,2.00\n".encode()


def test_keep_wins_over_columns(load_csv):
    doc = load_csv("a,b\nHello,World\n", mode="add", columns=("a", "b"), keep=("b",))
    assert [s.text for s in doc.segments()] == ["Hello"]


def test_single_quote_dialect_is_kept_on_rebuild(load_csv, pseudo, lang):
    doc = load_csv("id,txt\n1,'Hello, world'\n2,Plain\n", mode="per-language", columns=("txt",))
    assert doc.dialect.quotechar == "'"
    out = doc.rebuild(lang("zh"), pseudo(doc))
    assert out == "id,txt\n1,'«Hello, world»'\n2,«Plain»\n".encode()


def test_interpolation_placeholders_survive_translation():
    from pipeline.emulator import pseudo_translate
    from pipeline.formats import LoadContext, handler_for
    from pipeline.formats.options import CsvOptions
    from pipeline.languages import lookup
    from pathlib import Path

    data = "key,en,de\nsync,Syncing {count} files…,\nonly,{count},\n".encode()
    path = Path("ui.csv")
    doc = handler_for(path).load(LoadContext(path, data, CsvOptions(), lookup("en"), (lookup("de"),)))
    (seg,) = doc.segments()
    assert seg.text == "Syncing <x1/> files…"
    de = lookup("de")
    out = doc.rebuild_combined({de: {seg.id: pseudo_translate(seg.text, "German")}}).decode()
    assert "{count}" in out.splitlines()[1] and "Syncing" not in out.splitlines()[1].split(",")[2]
    assert out.splitlines()[2] == "only,{count},{count}"
