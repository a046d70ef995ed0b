"""Bytes to text and back for CSV files, keeping the byte order mark and never guessing.

"auto" means: a byte order mark names the encoding (UTF-8, UTF-16, UTF-32), otherwise
the file must be UTF-8. A file that is not is an error that tells the user to name the
encoding in the job; guessing Latin-1 or GBK would silently corrupt the other one.

The BOM is taken off before decoding and put back when encoding, so the first header
cell never carries a stray U+FEFF and the output keeps the mark exactly when the input
had it. Legacy codecs are checked to decode and encode back to the same bytes, which is
what lets untouched rows be written "byte for byte" from the decoded text.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import FileError

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

    def decode(self, data: bytes, path: Path) -> str:
        body = data[len(self.bom):]
        try:
            return body.decode(self.name)
        except UnicodeDecodeError as exc:
            raise FileError(path, _decode_problem(body, self.name, exc)) from None

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


def decode(data: bytes, codec: Codec, path: Path) -> str:
    """Decode strictly; for legacy codecs also insist that encoding gives the bytes back."""
    text = codec.decode(data, path)
    if not codec.name.startswith("utf") and text.encode(codec.name) != data[len(codec.bom):]:
        raise FileError(
            path,
            f"decoding as {codec.name} and encoding back does not give the same bytes; "
            "the file cannot be rewritten safely in that encoding",
        )
    return text


def _auto(data: bytes, path: Path) -> Codec:
    bom_codec = _from_bom(data)
    if bom_codec is not None:
        return bom_codec
    if b"\x00" in data[:4096]:
        raise FileError(
            path,
            "holds NUL bytes and has no byte order mark: it looks like UTF-16 or UTF-32"
            + '; name the encoding in the job, e.g. [csv] encoding = "utf-16-le"',
        )
    return Codec("utf-8")


def _from_bom(data: bytes) -> Codec | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return Codec(name, bom)
    return None


def _decode_problem(body: bytes, name: str, exc: UnicodeDecodeError) -> str:
    line = body[: exc.start].decode(name, errors="replace").count("\n") + 1
    bad = body[exc.start : exc.start + 1].hex()
    what = "UTF-8" if name == "utf-8" else name
    hint = _HINT if name == "utf-8" else "; check [csv] encoding"
    return f"is not valid {what}: byte 0x{bad} on line {line} cannot be decoded{hint}"
