"""Streaming: files read in chunks, records cut by chunk boundaries, bounded state.

The chunk size (``encoding.CHUNK_BYTES``) is patched down to a few bytes so that every
kind of cut happens in small inline files: inside a quoted newline, between CR and LF,
inside a UTF-16 code unit or a multi-byte character. The oracle is the same file
loaded from memory in one piece.
"""
from __future__ import annotations

import codecs
import csv as stdcsv
import io
import random
from collections.abc import Sized
from pathlib import Path

import pytest

from pipeline.errors import FileError, FormatError
from pipeline.formats.base import LoadContext
from pipeline.formats.csv import HANDLER, MalformedCsvError, encoding, records
from csvgen import write_large_csv
from pipeline.formats.csv.records import Dialect, walk, walk_chunks
from pipeline.formats.options import CsvOptions
from pipeline.languages import lookup

SPANNING = (
    'key,en,note\r\n'
    'a,"first line\r\nsecond line, with comma",x\r\n'
    'b,"quote ""inside"" and\nLF",y\r\n'
    'c,plain text,"z"\r\n'
    'd,"first line\r\nsecond line, with comma",\r\n'
)


@pytest.fixture
def chunk(monkeypatch):
    """chunk(n): read files n bytes at a time from now on."""
    return lambda n: monkeypatch.setattr(encoding, "CHUNK_BYTES", n)


def load_path(path: Path, targets=("zh",), source="en", **options):
    """Load the way the runner does for a streaming handler: from the path, no bytes."""
    ctx = LoadContext(path, None, CsvOptions(**options), lookup(source) if source else None,
                      tuple(lookup(t) for t in targets))
    return HANDLER.load(ctx)


def write_out(doc, tmp_path: Path, translations: dict) -> bytes:
    """Write through write()/write_combined() into a file, check it there, return its bytes."""
    out = tmp_path / "out.bin"
    with open(out, "wb") as fh:
        if doc.combined:
            doc.write_combined(translations, fh)
        else:
            (lang,) = translations
            doc.write(lang, translations[lang], fh)
    doc.verify_file(out)
    return out.read_bytes()


def pseudo(doc) -> dict[str, str]:
    return {s.id: f"«{s.text}»" for s in doc.segments()}


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13])
def test_records_spanning_chunks_give_the_same_segments_and_output(tmp_path, chunk, load_csv, size):
    path = tmp_path / "t.csv"
    path.write_bytes(SPANNING.encode())
    whole = load_csv(SPANNING, mode="per-language", columns=("en",))
    chunk(size)
    doc = load_path(path, mode="per-language", columns=("en",))
    assert [(s.id, s.text, s.context) for s in doc.segments()] == [
        (s.id, s.text, s.context) for s in whole.segments()]
    assert doc.rows == 4
    zh = lookup("zh")
    assert write_out(doc, tmp_path, {zh: {s.id: s.text for s in doc.segments()}}) == SPANNING.encode()
    assert write_out(doc, tmp_path, {zh: pseudo(doc)}) == whole.rebuild(zh, pseudo(whole))


@pytest.mark.parametrize("size", [1, 3, 7])
def test_crlf_split_between_chunks_stays_one_terminator(tmp_path, chunk, size):
    text = "en,zh\r\nHello,\r\n\r\nBye,\r\n"
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode())
    chunk(size)
    doc = load_path(path)
    assert doc.rows == 2  # the CR and the LF of one line ending are not two line endings
    out = write_out(doc, tmp_path, {lookup("zh"): pseudo(doc)})
    assert out == "en,zh\r\nHello,«Hello»\r\n\r\nBye,«Bye»\r\n".encode()


def test_walk_chunks_joins_a_cr_and_its_lf_from_separate_chunks():
    got = [(buf[r.start:r.end], r.terminator, r.line) for buf, r in walk_chunks(
        ["a,b\r", "\n1,\"x\r", "\ny\"\r", "\n2,z"], Dialect(), Path("t.csv"))]
    assert got == [("a,b\r\n", "\r\n", 1), ('1,"x\r\ny"\r\n', "\r\n", 2), ("2,z", "", 4)]


def test_walk_chunks_agrees_with_walking_the_whole_text():
    """Random small texts cut at random places: same records, same errors, same lines."""
    rnd = random.Random(5)
    alphabet = ["a", "b", ",", '"', "\n", "\r", "\r\n", '""', " "]
    path, dialect = Path("t.csv"), Dialect()

    def outcome(produce):
        seen = []
        try:
            seen.extend(produce())
        except MalformedCsvError as exc:
            return seen, (exc.line, str(exc))
        return seen, None

    for _ in range(3000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 20)))
        cuts = sorted(rnd.sample(range(len(text) + 1), min(len(text) + 1, rnd.randint(1, 5))))
        pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])]
        whole, whole_error = outcome(
            lambda: [(r.line, r.fields, r.terminator, text[r.start:r.end]) for r in walk(text, dialect, path)])
        cut, cut_error = outcome(
            lambda: [(r.line, r.fields, r.terminator, b[r.start:r.end]) for b, r in walk_chunks(pieces, dialect, path)])
        assert cut_error == whole_error, (text, pieces)
        assert cut == whole[: len(cut)] if whole_error else cut == whole, (text, pieces)


TABLE = "key,en,zh\r\ngreet,Hello,\r\nbye,\"Goodbye, friend\r\nsee you\",\r\nmore,Crème brûlée 中文,\r\n"


@pytest.mark.parametrize(
    "raw",
    [
        codecs.BOM_UTF8 + TABLE.encode("utf-8"),
        codecs.BOM_UTF16_LE + TABLE.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + TABLE.encode("utf-16-be"),
        codecs.BOM_UTF32_LE + TABLE.encode("utf-32-le"),
    ],
    ids=["utf8-bom", "utf16le", "utf16be", "utf32le"],
)
@pytest.mark.parametrize("size", [1, 3, 5])
def test_bom_encodings_stream_with_characters_cut_between_chunks(tmp_path, chunk, load_csv, raw, size):
    path = tmp_path / "t.csv"
    path.write_bytes(raw)
    whole = load_csv(raw, mode="per-language", columns=("en",))
    chunk(size)
    doc = load_path(path, mode="per-language", columns=("en",))
    assert doc.codec == whole.codec and doc.codec.bom
    assert [s.text for s in doc.segments()] == ["Hello", "Goodbye, friend\r\nsee you", "Crème brûlée 中文"]
    zh = lookup("zh")
    assert write_out(doc, tmp_path, {zh: {s.id: s.text for s in doc.segments()}}) == raw
    out = write_out(doc, tmp_path, {zh: pseudo(doc)})
    assert out == whole.rebuild(zh, pseudo(whole))
    assert out.startswith(doc.codec.bom)


@pytest.mark.parametrize("size", [1, 2, 5])
def test_legacy_multibyte_codec_streams_and_round_trips(tmp_path, chunk, size):
    text = "key,en\nk1,中文 text\nk2,\"更多, 文字\"\n"
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode("gbk"))
    chunk(size)
    doc = load_path(path, encoding="gbk", mode="per-language", columns=("en",))
    assert [s.text for s in doc.segments()] == ["中文 text", "更多, 文字"]
    out = write_out(doc, tmp_path, {lookup("ja"): {s.id: s.text.upper() for s in doc.segments()}})
    assert out == text.replace("text", "TEXT").encode("gbk")


def test_undecodable_byte_late_in_the_file_names_its_line(tmp_path, chunk):
    path = tmp_path / "shop.csv"
    path.write_bytes(b"a,b\n" + b"1,plain\n" * 300 + "3,café\n".encode("latin-1"))
    chunk(16)
    with pytest.raises(FileError) as info:
        load_path(path, mode="per-language", columns=("b",))
    assert "line 302" in str(info.value) and "0xe9" in str(info.value)


def test_malformed_row_late_in_the_file_fails_the_load_with_its_line(tmp_path, chunk):
    path = tmp_path / "t.csv"
    path.write_bytes(b"key,en\n" + b"k,Hello\n" * 500 + b'k,"x"y\n' + b"k,Bye\n" * 10)
    chunk(32)
    with pytest.raises(MalformedCsvError) as info:
        load_path(path, mode="per-language", columns=("en",))
    assert info.value.line == 502
    assert "after a closing quote" in str(info.value)


def test_unclosed_quote_late_in_the_file_reports_where_it_opened(tmp_path, chunk, monkeypatch):
    path = tmp_path / "t.csv"
    path.write_bytes(b"key,en\n" + b"k,Hello\n" * 200 + b'k,"never closed\n' + b"k,Bye\n" * 200)
    chunk(32)
    with pytest.raises(MalformedCsvError) as info:
        load_path(path, mode="per-language", columns=("en",))
    assert info.value.line == 202 and "never closed" in str(info.value)
    monkeypatch.setattr(records, "MAX_RECORD_CHARS", 100)  # give up before reading to the end
    with pytest.raises(MalformedCsvError) as info:
        load_path(path, mode="per-language", columns=("en",))
    assert info.value.line == 202 and "never closed" in str(info.value)


def test_malformed_row_late_in_the_file_writes_nothing(tmp_path, chunk):
    """End to end through the runner: the error found while loading stops any output."""
    from pipeline.config import load_job, with_overrides
    from pipeline.emulator import EmulatorServer
    from pipeline.job.progress import Progress
    from pipeline.job.run import run_job
    from pipeline.translate.qwen_backend import QwenBackend

    (tmp_path / "in").mkdir()
    rows = "".join(f"k{i},Hello {i % 7}\n" for i in range(2000))
    (tmp_path / "in" / "bad.csv").write_bytes(f"key,en\n{rows}k,\"unclosed\nk,Bye\n".encode())
    (tmp_path / "in" / "good.csv").write_bytes(f"key,en\n{rows}".encode())
    (tmp_path / "job.toml").write_text('input = "in"\noutput = "out/{lang}"\nsource_lang = "en"\n'
                                       'target_langs = ["zh"]\n')
    chunk(256)
    key = "sk-streamtest0123456789abcdef"
    with EmulatorServer(mode="pseudo", api_key=key) as server:
        job = with_overrides(load_job(tmp_path / "job.toml"), base_url=server.base_url)
        backend = QwenBackend(api_key=key, base_url=server.base_url, timeout=5)
        result = run_job(job, backend=backend, progress=Progress(interactive=False))
    status = {f.relpath: (f.status, f.reason) for f in result.files}
    assert status["bad.csv"][0] == "failed" and "line 2002" in status["bad.csv"][1]
    assert status["good.csv"][0] == "written"
    out = tmp_path / "out" / "zh"
    assert sorted(p.name for p in out.iterdir()) == ["good.csv"]  # no bad.csv, no temporary file
    assert len((out / "good.csv").read_bytes().splitlines()) == 2001


def test_document_keeps_nothing_per_row(tmp_path):
    """Ten times the rows, the same state: what the document holds follows distinct values."""

    def state(rows: int):
        path = write_large_csv(tmp_path / f"big{rows}.csv", rows=rows, batch=1_000)
        doc = load_path(path, targets=("zh", "ja"), mode="add", columns=("name", "description"))
        sizes = {name: len(value) for name, value in vars(doc).items()
                 if isinstance(value, Sized) and not isinstance(value, (str, bytes))}
        return doc, sizes

    small, small_sizes = state(2_000)
    large, large_sizes = state(20_000)
    assert large.rows == 20_000 and small.rows == 2_000
    assert large_sizes == small_sizes
    with open(tmp_path / "big20000.csv", newline="", encoding="utf-8") as fh:
        table = list(stdcsv.reader(fh))
    distinct = {row[i] for row in table[1:] for i in (2, 3)}
    assert len(large.segments()) == len(distinct)
    assert max(large_sizes.values()) <= len(distinct)


def test_streamed_output_equals_in_memory_rebuild_on_the_corpus(tmp_path, chunk, corpus):
    zh = lookup("zh")
    chunk(64)
    for path in sorted((corpus / "csv").glob("*.[ct]sv")):
        encoding_name = "latin-1" if "latin1" in path.name else "auto"
        data = path.read_bytes()
        header = next(stdcsv.reader(io.StringIO(data.decode("latin-1" if "latin1" in path.name else "utf-8-sig"),
                                                newline=""), delimiter="\t" if path.suffix == ".tsv" else ","))
        # every other column translated in place, language columns too (the job says overwrite)
        options = dict(encoding=encoding_name, mode="per-language", columns=tuple(header[::2]), overwrite=True)
        streamed = load_path(path, **options)
        in_memory = HANDLER.load(LoadContext(path, data, CsvOptions(**options), lookup("en"), (zh,)))
        assert streamed.rows == in_memory.rows, path.name
        assert write_out(streamed, tmp_path, {zh: {s.id: s.text for s in streamed.segments()}}) == data, path.name
        assert write_out(streamed, tmp_path, {zh: pseudo(streamed)}) == in_memory.rebuild(zh, pseudo(in_memory))


def test_input_changed_after_loading_is_refused(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"en,zh\nHello,\n")
    doc = load_path(path)
    path.write_bytes(b"en,zh\nHello,\nMore rows,\n")
    with pytest.raises(FileError, match="changed on disk"):
        doc.write_combined({lookup("zh"): pseudo(doc)}, io.BytesIO())


def test_verify_file_reads_the_written_output_back(tmp_path, chunk):
    path = tmp_path / "t.csv"
    path.write_bytes(SPANNING.encode())
    chunk(4)
    doc = load_path(path, mode="per-language", columns=("en",))
    good = write_out(doc, tmp_path, {lookup("zh"): pseudo(doc)})
    broken = tmp_path / "broken.csv"
    broken.write_bytes(good.replace(b",y\r\n", b",Y\r\n"))
    with pytest.raises(FormatError, match="column 3 of the record on line 4"):
        doc.verify_file(broken)
    broken.write_bytes(good[: good.index(b"\nLF")])  # cut inside a quoted cell
    with pytest.raises(FormatError, match="does not read back"):
        doc.verify_file(broken)
