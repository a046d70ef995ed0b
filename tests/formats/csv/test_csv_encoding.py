"""Encodings: BOMs kept, legacy encodings only when named, undecodable files refused."""
from __future__ import annotations

import codecs

import pytest

from pipeline.errors import FileError, FormatError

TABLE = "key,en,zh\r\ngreet,Hello,\r\nbye,\"Goodbye, friend\",\r\n"


@pytest.mark.parametrize(
    ("encoding", "raw"),
    [
        ("auto", TABLE.encode("utf-8")),
        ("auto", codecs.BOM_UTF8 + TABLE.encode("utf-8")),
        ("auto", codecs.BOM_UTF16_LE + TABLE.encode("utf-16-le")),
        ("auto", codecs.BOM_UTF16_BE + TABLE.encode("utf-16-be")),
        ("utf-16", codecs.BOM_UTF16_LE + TABLE.encode("utf-16-le")),
        ("utf-16-le", TABLE.encode("utf-16-le")),
        ("utf-8-sig", codecs.BOM_UTF8 + TABLE.encode("utf-8")),
    ],
    ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "utf16-named", "utf16le-no-bom", "utf8-sig"],
)
def test_unicode_encodings_round_trip_and_keep_the_bom(load_csv, identity, pseudo, lang, encoding, raw):
    doc = load_csv(raw, encoding=encoding, mode="per-language", columns=("en",))
    assert [s.text for s in doc.segments()] == ["Hello", "Goodbye, friend"]
    assert doc.rebuild(lang("zh"), identity(doc)) == raw
    out = doc.rebuild(lang("zh"), pseudo(doc))
    doc.verify(out)
    bom = raw[: len(raw) - len(TABLE.encode(doc.codec.name))]
    assert out.startswith(bom)
    text = out[len(bom):].decode(doc.codec.name)
    assert text == TABLE.replace("Hello", "«Hello»").replace('"Goodbye, friend"', '"«Goodbye, friend»"')


def test_header_cell_never_carries_the_bom(load_csv):
    doc = load_csv(codecs.BOM_UTF8 + b"en,zh\nHello,\n")
    assert doc.plan.sources == (0,)


@pytest.mark.parametrize(
    ("encoding", "text"),
    [("latin-1", "key,en\r\ncafé,Crème brûlée\r\n"), ("gbk", "key,en\nk1,中文 text\n"), ("cp1252", "k,en\nx,“quoted” – dash\n")],
)
def test_declared_legacy_encoding_round_trips(load_csv, identity, lang, encoding, text):
    raw = text.encode(encoding)
    doc = load_csv(raw, encoding=encoding, mode="per-language", columns=("en",))
    assert doc.rebuild(lang("zh"), identity(doc)) == raw
    upper = {s.id: s.text.upper() for s in doc.segments()}  # a transform every codec can hold
    out = doc.rebuild(lang("fr"), upper)
    doc.verify(out)
    lines = out.decode(encoding).splitlines()
    assert lines[0] == text.splitlines()[0]
    assert lines[1].split(",", 1)[1] == text.splitlines()[1].split(",", 1)[1].upper()


def test_undecodable_file_is_a_clear_error_naming_line_and_remedy(load_csv):
    raw = "a,b\n1,2\n3,café\n".encode("latin-1")
    with pytest.raises(FileError) as info:
        load_csv(raw, name="shop.csv", mode="per-language", columns=("b",))
    message = str(info.value)
    assert message.startswith("shop.csv:")
    assert "line 3" in message and "0xe9" in message and "encoding" in message


def test_wrong_declared_encoding_is_an_error(load_csv):
    with pytest.raises(FileError, match="gbk"):
        load_csv(b"a,b\n1,\xff\xff\n", encoding="gbk", mode="per-language", columns=("b",))


def test_utf16_without_bom_is_not_guessed(load_csv):
    with pytest.raises(FileError, match="UTF-16"):
        load_csv("a,b\n1,2\n".encode("utf-16-le"), mode="per-language", columns=("b",))


def test_unknown_encoding_name(load_csv):
    with pytest.raises(FileError, match="unknown encoding"):
        load_csv(b"a\n", encoding="klingon-8", mode="per-language", columns=("a",))


def test_translation_the_encoding_cannot_hold_is_a_format_error(load_csv, lang):
    doc = load_csv("en,fr\nHello,\n".encode("latin-1"), encoding="latin-1", targets=("zh",))
    with pytest.raises(FormatError, match="cannot encode"):
        doc.rebuild_combined({lang("zh"): {doc.segments()[0].id: "你好"}})


def test_a_stray_nul_in_utf8_is_kept_as_is_and_reported(load_csv, pseudo, lang):
    raw = "key,en\nk1,Hello\x00 world\nk2,Good morning\nk3,Grüße\n".encode()
    doc = load_csv(raw, mode="per-language", columns=("en",))
    assert doc.codec.name == "utf-8"
    assert [s.text for s in doc.segments()] == ["Good morning", "Grüße"]
    assert doc.warnings == ["a NUL byte (U+0000) in the cell on line 2 (en): not translated, kept as is"]
    out = doc.rebuild(lang("zh"), pseudo(doc))
    doc.verify(out)
    assert out == raw.replace(b"Good morning", "«Good morning»".encode()).replace("Grüße".encode(), "«Grüße»".encode())


def test_a_nul_in_a_column_not_translated_is_simply_copied(load_csv, identity, lang):
    raw = b"a,b,c\n\x00,2,Some text here\n"
    doc = load_csv(raw, mode="per-language", columns=("c",))
    assert doc.warnings == [] and doc.rebuild(lang("zh"), identity(doc)) == raw


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le"])
def test_the_nul_pattern_of_utf16_all_through_the_sample_is_named(load_csv, codec):
    with pytest.raises(FileError, match="looks like UTF-16 or UTF-32"):
        load_csv("key,中文\nk1,你好世界\nk2,Hello\n".encode(codec), mode="per-language", columns=("中文",))


def test_nuls_in_one_place_only_are_not_the_utf16_pattern():
    from pipeline.formats.csv.encoding import looks_wide

    assert looks_wide("a,b\n1,2\n".encode("utf-16-le"))
    assert not looks_wide(b"a,b\n" + b"\x00\x00\x00\x00" + b"1,hello world\n" * 40)  # NULs at the start only
    assert not looks_wide(b"a,b\n1,hello\x00 world\n")


def test_many_nul_cells_are_summed_up(load_csv):
    raw = b"key,en\n" + b"".join(b"k%d,Hello\x00 %d\n" % (i, i) for i in range(25))
    doc = load_csv(raw, mode="per-language", columns=("en",))
    assert doc.warnings == ["a NUL byte (U+0000) in the cell on " + ", ".join(f"line {n} (en)" for n in range(2, 22))
                            + " and 5 more: not translated, kept as is"]
