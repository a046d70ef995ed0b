"""Bytes to text and back for CSV files, keeping the byte order mark and never guessing.

"auto" means: a byte order mark names the encoding (UTF-8, UTF-16, UTF-32), otherwise
the file must be UTF-8. A file that is not is an error that tells the user to name the
encoding in the job; guessing Latin-1 or GBK would silently corrupt the other one.

The BOM is taken off before decoding and put back when encoding, so the first header
cell never carries a stray U+FEFF and the output keeps the mark exactly when the input
had it. Legacy codecs are checked to decode and encode back to the same bytes, which is
what lets untouched rows be written "byte for byte" from the decoded text.

Files are read in chunks of :data:`CHUNK_BYTES` through an incremental decoder
(:func:`iter_text`), so a file of any size is decoded in bounded memory; a character
split between two chunks is completed by the decoder, never cut.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

from pipeline.errors import FileError

#: Bytes read per step when streaming a file (tests patch it small to split records).
CHUNK_BYTES = 1 << 20
#: Bytes looked at to recognise the encoding (BOM, NULs of BOM-less UTF-16).
HEAD_BYTES = 4096

# Longest first: the UTF-32-LE mark starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Codec families whose BOM we detect and keep; the value is the codec used without one.
_UNICODE_FAMILIES = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "utf-16": "utf-16-le",
    "utf-32": "utf-32-le",
}
_ENDIAN_CODECS = {"utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"}
_HINT = '; name the file\'s encoding in the job, e.g. [csv] encoding = "latin-1" or "gbk"'


@dataclass(frozen=True, slots=True)
class Codec:
    """How a file's text is stored: a Python codec name and the BOM bytes it started with."""

    name: str
    bom: bytes = b""

    @property
    def label(self) -> str:
        return f"{self.name} with BOM" if self.bom else self.name

    def encoder(self) -> codecs.IncrementalEncoder:
        return codecs.getincrementalencoder(self.name)()


def detect(data: bytes, declared: str, path: Path) -> Codec:
    """The codec for ``data``: from its BOM when ``declared`` is "auto" or a Unicode family."""
    wanted = (declared or "auto").strip().lower()
    if wanted == "auto":
        return _auto(data, path)
    try:
        name = codecs.lookup(wanted).name
    except LookupError:
        raise FileError(path, f"unknown encoding {declared!r} in [csv] encoding") from None
    if name in _UNICODE_FAMILIES:
        bom_codec = _from_bom(data)
        if bom_codec is not None and bom_codec.name.split("-")[1] == name.split("-")[1]:
            return bom_codec
        return Codec(_UNICODE_FAMILIES[name])
    if name in _ENDIAN_CODECS:
        bom_codec = _from_bom(data)
        if bom_codec is not None and bom_codec.name == name:
            return bom_codec
    return Codec(name)


def iter_text(stream: BinaryIO, codec: Codec, path: Path) -> Iterator[str]:
    """Decode ``stream`` (positioned at its start) chunk by chunk, strictly, BOM skipped.

    FileError names the line of an undecodable byte, or a legacy codec that does not
    encode back to the same bytes (checked as it goes, by re-encoding each decoded
    piece against the bytes read so far): untouched rows are then written as read.
    """
    if stream.read(len(codec.bom)) != codec.bom:
        raise FileError(path, f"does not start with the {codec.label} byte order mark it had")
    decoder = codecs.getincrementaldecoder(codec.name)("strict")
    check = None if codec.name.startswith("utf") else _RoundTrip(codec, path)
    lines = 0  # newlines decoded so far, for the line of a decoding error
    while True:
        raw = stream.read(CHUNK_BYTES)
        final = not raw
        try:
            text = decoder.decode(raw, final)
        except UnicodeDecodeError as exc:
            raise FileError(path, _decode_problem(codec.name, exc, lines)) from None
        if check is not None:
            check.feed(raw, text, final)
        if text:
            lines += text.count("\n")
            yield text
        if final:
            return


class _RoundTrip:
    """Insists, while streaming, that a legacy codec encodes the text back to its bytes."""

    def __init__(self, codec: Codec, path: Path):
        self._codec, self._path = codec, path
        self._encoder = codec.encoder()
        self._pending = bytearray()  # bytes read and not yet matched by re-encoding

    def feed(self, raw: bytes, text: str, final: bool) -> None:
        self._pending += raw
        try:
            back = self._encoder.encode(text, final)
        except UnicodeEncodeError:
            back = None
        if back is None or not self._pending.startswith(back) or (final and len(back) != len(self._pending)):
            raise FileError(
                self._path,
                f"decoding as {self._codec.name} and encoding back does not give the same bytes; "
                "the file cannot be rewritten safely in that encoding",
            )
        del self._pending[: len(back)]


def _auto(data: bytes, path: Path) -> Codec:
    bom_codec = _from_bom(data)
    if bom_codec is not None:
        return bom_codec
    if looks_wide(data[:HEAD_BYTES]):
        raise FileError(
            path,
            "has no byte order mark and NUL bytes all through it in every other byte: it looks like UTF-16 or "
            'UTF-32; name the encoding in the job, e.g. [csv] encoding = "utf-16-le"',
        )
    return Codec("utf-8")


#: Share of the bytes at the even (or odd) positions that must be NUL for UTF-16/32 text.
WIDE_NUL_SHARE = 0.25


def looks_wide(sample: bytes) -> bool:
    """Whether ``sample`` has the NUL pattern of UTF-16 or UTF-32 text: a quarter or more of
    its bytes at even (or at odd) positions are NUL, and each quarter of the sample has some
    there. A stray NUL in UTF-8 text is not that pattern: such a file is read as UTF-8."""
    if len(sample) < 4 or b"\x00" not in sample:
        return False
    quarter = max(len(sample) // 8 * 2, 2)  # an even size: positions keep their parity
    for parity in (0, 1):
        at = sample[parity::2]
        if at.count(0) < WIDE_NUL_SHARE * len(at):
            continue
        if all(b"\x00" in sample[start + parity : start + quarter : 2] for start in range(0, len(sample), quarter)
               if len(sample[start + parity : start + quarter : 2])):
            return True
    return False


def _from_bom(data: bytes) -> Codec | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return Codec(name, bom)
    return None


def _decode_problem(name: str, exc: UnicodeDecodeError, lines_before: int) -> str:
    """The message for an undecodable byte; ``exc.object`` holds the bytes after ``lines_before`` newlines."""
    body = exc.object
    line = lines_before + body[: exc.start].decode(name, errors="replace").count("\n") + 1
    bad = body[exc.start : exc.start + 1].hex()
    what = "UTF-8" if name == "utf-8" else name
    hint = _HINT if name == "utf-8" else "; check [csv] encoding"
    return f"is not valid {what}: byte 0x{bad} on line {line} cannot be decoded{hint}"
