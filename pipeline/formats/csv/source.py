"""Where a CSV document's text comes from, read again from the start for every pass.

A large table is never held in memory: loading reads the file once to find the
segments, each output is written by reading it again, and the check before the rename
reads the output and the input side by side. :class:`Source` is that re-readable
input: the file on disk (what the runner hands a streaming handler) or bytes already
in memory (tests and other callers of ``rebuild``/``verify``).

The file is stamped (size, modification time) when loaded; a later pass over a file
that changed in between is refused, since its segments would no longer match it.
"""
from __future__ import annotations

import io
import os
from contextlib import closing
from pathlib import Path
from typing import BinaryIO, Generator

from pipeline.errors import FileError
from pipeline.formats.csv.encoding import CHUNK_BYTES, HEAD_BYTES, Codec, iter_text
from pipeline.formats.csv.records import SNIFF_CHARS, Dialect, CsvRecord, walk_chunks


class Source:
    """A re-readable input: ``path`` on disk when ``data`` is None, else ``data``."""

    def __init__(self, path: Path, data: bytes | None = None):
        self.path = path
        self._data = data
        self._stamp = _stamp(os.stat(path)) if data is None else None

    def open(self) -> BinaryIO:
        """A fresh binary stream at the start; FileError if the file changed since loading."""
        if self._data is not None:
            return io.BytesIO(self._data)
        stream = open(self.path, "rb")
        if _stamp(os.fstat(stream.fileno())) != self._stamp:
            stream.close()
            raise FileError(self.path, "changed on disk while it was being translated; run the job again")
        return stream

    def head(self) -> bytes:
        """The first bytes, enough to recognise the encoding."""
        with self.open() as stream:
            return stream.read(HEAD_BYTES)

    def text(self, codec: Codec) -> Generator[str, None, None]:
        """The decoded text in chunks; the file is closed when the iteration ends or is closed."""
        with self.open() as stream:
            yield from iter_text(stream, codec, self.path)

    def sample(self, codec: Codec) -> str:
        """The start of the text for sniffing: more than SNIFF_CHARS, or all of a short file."""
        parts: list[str] = []
        size = 0
        with closing(self.text(codec)) as chunks:
            for chunk in chunks:
                parts.append(chunk)
                size += len(chunk)
                if size > SNIFF_CHARS:
                    break
        return "".join(parts)

    def records(self, codec: Codec, dialect: Dialect, *, stop: bool = False
                ) -> Generator[tuple[str, CsvRecord], None, None]:
        """``(buffer, record)`` for every record, as :func:`records.walk_chunks` yields them."""
        return walk_chunks(self.text(codec), dialect, self.path, stop=stop)

    def same_bytes(self, other: Source) -> bool:
        """Whether both sources hold exactly the same bytes (compared chunk by chunk)."""
        with self.open() as a, other.open() as b:
            while True:
                x, y = a.read(CHUNK_BYTES), b.read(CHUNK_BYTES)
                if x != y:
                    return False
                if not x:
                    return True


def _stamp(st: os.stat_result) -> tuple[int, int]:
    return st.st_size, st.st_mtime_ns
