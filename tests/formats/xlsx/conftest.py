"""Excel test material: a workbook written by openpyxl (a second writer and reader)."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.formats.base import LoadContext
from pipeline.formats.options import XlsxOptions
from pipeline.formats.xlsx import HANDLER, XlsxDocument


def _load(data: bytes, name: str = "book.xlsx", **options) -> XlsxDocument:
    return HANDLER.load(LoadContext(Path(name), data, XlsxOptions(**options), None, (), relpath=name))


@pytest.fixture
def load_xlsx():
    """load_xlsx(data, name="book.xlsx", **options) -> XlsxDocument."""
    return _load


@pytest.fixture(scope="session")
def book() -> bytes:
    from ooxml_support import build_book

    return build_book()
