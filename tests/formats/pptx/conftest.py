"""PowerPoint test material: a loader, and a deck built with python-pptx (a second writer)."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.formats.base import LoadContext
from pipeline.formats.options import PptxOptions
from pipeline.formats.pptx import HANDLER, PptxDocument


def _load(data: bytes, name: str = "deck.pptx", **options) -> PptxDocument:
    return HANDLER.load(LoadContext(Path(name), data, PptxOptions(**options), None, ()))


@pytest.fixture
def load_pptx():
    """load_pptx(data, name="deck.pptx", **options) -> PptxDocument."""
    return _load


@pytest.fixture(scope="session")
def deck() -> bytes:
    from ooxml_support import build_deck

    return build_deck()
