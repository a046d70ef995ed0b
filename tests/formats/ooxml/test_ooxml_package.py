"""The shared package guards hold for every Office format: zip bombs, lying entries, DOCTYPEs."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from pipeline.errors import FileError
from pipeline.formats import handler_for
from pipeline.formats.base import LoadContext
from pipeline.formats.ooxml.package import ZipParts

from ooxml_support import build_book, build_deck


def _load(name: str, data: bytes):
    return handler_for(Path(name)).load(LoadContext(Path(name), data, None, None, (), relpath=name))


def _replace(data: bytes, part: str, new: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, new if info.filename == part else zin.read(info))
    return out.getvalue()


@pytest.mark.parametrize("name, build, part", [("deck.pptx", build_deck, "ppt/slides/slide1.xml"),
                                               ("book.xlsx", build_book, "xl/worksheets/sheet1.xml")])
def test_a_part_with_a_doctype_is_refused_before_parsing(name, build, part):
    secret = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    with pytest.raises(FileError, match="DOCTYPE"):
        _load(name, _replace(build(), part, secret))


@pytest.mark.parametrize("name", ["deck.pptx", "book.xlsx"])
def test_a_zip_bomb_is_refused_before_inflating(name):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("padding.bin", b"\0" * (64 * 1024 * 1024))
    with pytest.raises(FileError, match="zip bomb"):
        _load(name, out.getvalue())


def test_a_package_without_its_main_part_says_what_it_is_not():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
    with pytest.raises(FileError, match="not a PowerPoint presentation"):
        _load("deck.pptx", out.getvalue())
    with pytest.raises(FileError, match="not an Excel workbook"):
        _load("book.xlsx", out.getvalue())


def test_parts_are_written_back_in_order_and_untouched_byte_for_byte():
    data = build_book()
    package = ZipParts.open(Path("book.xlsx"), data, "an Excel workbook")
    again = ZipParts.open(Path("book.xlsx"), package.write({}), "an Excel workbook")
    assert [i.filename for i in again.infos] == [i.filename for i in package.infos]
    assert again.entries == package.entries
