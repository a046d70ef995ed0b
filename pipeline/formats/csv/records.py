"""Split CSV text into records whose fields keep their raw text, and sniff the dialect.

polars, pandas and the ``csv`` module all hand back values and then write files their
own way (optional quotes dropped, CRLF turned into LF, an old-Mac CR file read as one
line). A byte-exact round trip needs the opposite: every record knows its start and end
offsets, its own terminator and each field exactly as written, quotes included, so an
unchanged record is copied through and a changed one re-quotes only what changed.

Grammar (RFC 4180, lenient where real files are): a field is either quoted,
``"…"`` with ``""`` for a quote inside and any character including newlines, or
unquoted, anything but the delimiter and CR/LF and not starting with a quote (a quote
further in, as in ``12" ruler``, is literal). A record ends at CRLF, LF or CR. A quote
that is never closed, or text right after a closing quote, makes the file malformed.

Large files arrive in chunks (:func:`walk_chunks`): a record cut by a chunk boundary is
carried over and parsed when the rest of it has arrived, so the records, their fields
and their line numbers are the same however the text is cut.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Generator, Iterable, Iterator, NamedTuple

from pipeline.errors import FileError

DELIMITERS = (",", ";", "\t", "|")
SNIFF_CHARS = 64 * 1024
_SNIFF_RECORDS = 200
#: Longest record carried across chunks before the file is called malformed: only a
#: quote that is never closed makes one this long (and it would be unreadable anyway).
MAX_RECORD_CHARS = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Dialect:
    delimiter: str = ","
    quotechar: str = '"'


class CsvRecord(NamedTuple):
    """One record: where it sits in the text and its fields exactly as written."""

    line: int               # 1-based physical line the record starts on
    start: int              # offset of its first character in the text
    end: int                # offset just past its terminator
    fields: list[str]       # raw fields, quotes included
    terminator: str         # "\r\n", "\n", "\r" or "" for a last line without one

    @property
    def blank(self) -> bool:
        """An empty line: not a row of empty cells, so never reported as ragged."""
        return len(self.fields) == 1 and not self.fields[0]


class MalformedCsvError(FileError):
    """Unbalanced quotes; ``line`` is where. (A ragged row is not malformed: :mod:`.shape`
    keeps it as it is.)

    The runner skips the file; with ``stop`` ([csv] on_malformed = "stop") the error
    carries ``stop_job`` and the runner starts no further files.
    """

    def __init__(self, path: Path, line: int, problem: str, *, stop: bool = False):
        self.line = line
        super().__init__(path, f"malformed CSV on line {line}: {problem}", stop_job=stop)


# --- fields ------------------------------------------------------------------------


def unquote(raw: str, quote: str) -> str:
    """The value of a raw field: quotes removed and doubled quotes undone."""
    if len(raw) >= 2 and raw[0] == quote and raw[-1] == quote:
        return raw[1:-1].replace(quote + quote, quote)
    return raw


def is_quoted(raw: str, quote: str) -> bool:
    return raw[:1] == quote


def render(value: str, dialect: Dialect, quoted: bool) -> str:
    """A raw field for ``value``: quoted when it was before or must be to read back."""
    q = dialect.quotechar
    if quoted or _needs_quotes(value, dialect):
        return q + value.replace(q, q + q) + q
    return value


def _needs_quotes(value: str, dialect: Dialect) -> bool:
    return (
        dialect.delimiter in value
        or dialect.quotechar in value
        or "\n" in value
        or "\r" in value
    )


# --- records -----------------------------------------------------------------------


@lru_cache(maxsize=16)
def _patterns(dialect: Dialect) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(record, field, quote-free record): the last is the fast path for most lines."""
    d, q = re.escape(dialect.delimiter), re.escape(dialect.quotechar)
    field = f"(?:{q}[^{q}]*(?:{q}{q}[^{q}]*)*{q}|(?:[^{q}{d}\\r\\n][^{d}\\r\\n]*)?)"
    record = re.compile(f"({field}(?:{d}{field})*)(\\r\\n|\\n|\\r|\\Z)")
    plain = re.compile(f"([^{q}\\r\\n]*)(\\r\\n|\\n|\\r|\\Z)")
    return record, re.compile(field), plain


def walk(text: str, dialect: Dialect, path: Path, *, stop: bool = False) -> Iterator[CsvRecord]:
    """Yield every record of ``text`` in order; MalformedCsvError where quoting breaks."""
    for _, rec in walk_chunks((text,), dialect, path, stop=stop):
        yield rec


def walk_chunks(
    chunks: Iterable[str], dialect: Dialect, path: Path, *, stop: bool = False
) -> Generator[tuple[str, CsvRecord], None, None]:
    """Yield ``(buffer, record)`` for every record of the text the chunks make up.

    A record's ``start``/``end`` are offsets into the ``buffer`` it is yielded with;
    buffers are the chunks re-cut at record boundaries, so the records of one buffer
    are contiguous and all of them together tile the whole text. A record that a chunk
    boundary cuts (a quoted newline, a CR whose LF is in the next chunk, a last line
    without terminator) is carried over and parsed once the next chunk has arrived;
    ``line`` numbers count from the start of the text.
    """
    record_re, field_re, plain_re = _patterns(dialect)
    delimiter = dialect.delimiter
    line, carry = 1, ""
    pieces = _flag_last(chunks)
    final = False
    while not final:
        buf, final = _refill(carry, pieces)
        pos, n = 0, len(buf)
        while pos < n:
            m = plain_re.match(buf, pos)
            if m is not None:  # no quote on this line: a plain split is exact
                fields, lines = m.group(1).split(delimiter), 1
            else:
                m = record_re.match(buf, pos)
                if m is None:
                    problem = _malformed(buf, pos, line, dialect, path, stop, final)
                    if problem is not None:
                        raise problem
                    break  # the record goes on in the next chunk
                body = m.group(1)
                fields, lines = _split(body, dialect, field_re), 1 + _newlines(body)
            end, terminator = m.end(), m.group(2)
            if not final and end == n and terminator in ("", "\r"):
                break  # cut by the chunk's end, or a CR whose LF may come next
            yield buf, CsvRecord(line, pos, end, fields, terminator)
            line += lines
            pos = end
        carry = buf[pos:]
        if len(carry) > MAX_RECORD_CHARS:
            raise MalformedCsvError(
                path, line, f"a record runs past {MAX_RECORD_CHARS:,} characters: is a quote opened here "
                "never closed?", stop=stop)


def _refill(carry: str, pieces: Iterator[tuple[str, bool]]) -> tuple[str, bool]:
    """The next buffer: the carried-over record plus at least as much new text, and
    whether it reaches the end of the text.

    Reading at least as much as is carried keeps a long record (an unclosed quote)
    from being re-scanned once per chunk: the work stays linear in its length.
    """
    parts, got = ([carry] if carry else []), 0
    for piece, last in pieces:
        parts.append(piece)
        got += len(piece)
        if last or (got and got >= len(carry)):
            return "".join(parts), last
    return "".join(parts), True


def _flag_last(pieces: Iterable[str]) -> Iterator[tuple[str, bool]]:
    """Each non-empty piece with whether it is the last one (one piece of look-ahead)."""
    held: str | None = None
    for piece in pieces:
        if not piece:
            continue
        if held is not None:
            yield held, False
        held = piece
    if held is not None:
        yield held, True


def split_fields(body: str, dialect: Dialect) -> list[str]:
    """The raw fields of one record's text (without its terminator)."""
    if dialect.quotechar not in body:
        return body.split(dialect.delimiter)
    return _split(body, dialect, _patterns(dialect)[1])


def _split(body: str, dialect: Dialect, field_re: re.Pattern[str]) -> list[str]:
    fields: list[str] = []
    pos, n = 0, len(body)
    while True:
        m = field_re.match(body, pos)
        assert m is not None  # the empty branch always matches
        fields.append(m.group())
        pos = m.end()
        if pos >= n:
            return fields
        pos += 1  # the delimiter: the record pattern already checked it is there


def _newlines(s: str) -> int:
    return s.count("\n") + s.count("\r") - s.count("\r\n")


def _malformed(
    text: str, pos: int, line: int, dialect: Dialect, path: Path, stop: bool, final: bool = True
) -> MalformedCsvError | None:
    """Find which field of the record at ``pos`` breaks the grammar, and say why.

    With ``final`` False the text is only a prefix of the file: None means more text
    could still complete the record (a quote not closed yet, or ``""`` cut in half).
    """
    field_re = _patterns(dialect)[1]
    q = dialect.quotechar
    record_start = pos
    while True:
        m = field_re.match(text, pos)
        assert m is not None  # the empty branch always matches
        if m.end() < len(text) and text[m.end()] == dialect.delimiter:
            pos = m.end() + 1
            continue
        where = line + _newlines(text[record_start : m.end()])
        if m.group().startswith(q):
            if not final and text[m.end() : m.end() + 1] == q:
                return None  # a doubled quote whose second half may be in the next chunk
            return MalformedCsvError(path, where, "text right after a closing quote", stop=stop)
        if not final:
            return None
        return MalformedCsvError(path, where, "a quote opened here is never closed", stop=stop)


# --- dialect -----------------------------------------------------------------------


def sniff(text: str, delimiter: str = "auto", *, prefer_tab: bool = False) -> Dialect:
    """The file's delimiter and quote character, from its first records.

    The delimiter is the candidate that splits the sample into the most consistent
    number of fields (at least two); a one-column file falls back to comma (tab for
    .tsv). The quote character is ``"`` unless the sample has none and fields quoted
    with ``'`` are needed to keep delimiters or newlines inside them.
    """
    sample = text[:SNIFF_CHARS]
    complete = len(text) <= SNIFF_CHARS
    if delimiter and delimiter != "auto":
        delim = delimiter
    else:
        delim = _best_delimiter(sample, complete, prefer_tab)
    return Dialect(delim, _quotechar(sample, complete, delim))


def _best_delimiter(sample: str, complete: bool, prefer_tab: bool) -> str:
    order = ("\t",) + tuple(d for d in DELIMITERS if d != "\t") if prefer_tab else DELIMITERS
    best, best_score = ("\t" if prefer_tab else ","), (0.0, 1)
    for cand in order:
        score = _consistency(sample, complete, Dialect(cand, '"'))
        if score is not None and score[1] >= 2 and score > best_score:
            best, best_score = cand, score
    return best


def _consistency(sample: str, complete: bool, dialect: Dialect) -> tuple[float, int] | None:
    """(share of records with the commonest field count, that count), or None if broken."""
    records = _sample_records(sample, complete, dialect)
    if records is None:
        return None
    counts: dict[int, int] = {}
    for rec in records:
        if not rec.blank:
            counts[len(rec.fields)] = counts.get(len(rec.fields), 0) + 1
    if not counts:
        return None
    width, hits = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    return hits / sum(counts.values()), width


def _sample_records(sample: str, complete: bool, dialect: Dialect) -> list[CsvRecord] | None:
    records: list[CsvRecord] = []
    try:
        for rec in walk(sample, dialect, Path("<sample>")):
            records.append(rec)
            if len(records) >= _SNIFF_RECORDS:
                break
    except MalformedCsvError:
        if complete or not records:
            return None
    if not complete and records and records[-1].end >= len(sample):
        records.pop()  # cut by the sample's end
    return records


def _quotechar(sample: str, complete: bool, delim: str) -> str:
    if '"' in sample or "'" not in sample:
        return '"'
    records = _sample_records(sample, complete, Dialect(delim, "'"))
    if not records:
        return '"'
    for rec in records:
        for raw in rec.fields:
            if raw[:1] == "'" and any(c in raw for c in (delim, "\n", "\r")):
                return "'"
    return '"'
