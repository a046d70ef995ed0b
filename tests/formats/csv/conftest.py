"""Helpers for the CSV tests: load bytes with options, identity and pseudo translations."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.formats.base import LoadContext
from pipeline.formats.csv import HANDLER, CsvDocument
from pipeline.formats.options import CsvOptions
from pipeline.languages import Language, lookup


def langs(*codes: str) -> tuple[Language, ...]:
    found = tuple(lookup(c) for c in codes)
    assert all(found)
    return found  # type: ignore[return-value]


@pytest.fixture
def load_csv():
    """load_csv(data, name="t.csv", source="en", targets=("zh",), **options) -> CsvDocument."""

    def load(
        data: bytes | str,
        name: str = "t.csv",
        source: str | None = "en",
        targets: tuple[str, ...] = ("zh",),
        **options,
    ) -> CsvDocument:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        ctx = LoadContext(
            path=Path(name),
            data=raw,
            options=CsvOptions(**options),
            source_lang=lookup(source) if source else None,
            target_langs=langs(*targets),
        )
        return HANDLER.load(ctx)

    return load


def _identity(doc: CsvDocument) -> dict[str, str]:
    return {s.id: s.text for s in doc.segments()}


def _pseudo(doc: CsvDocument, tag: str = "") -> dict[str, str]:
    """A visible transform that keeps tags: «tag text»."""
    return {s.id: f"«{tag}{s.text}»" for s in doc.segments()}


@pytest.fixture
def identity():
    """identity(doc) -> translations equal to each segment's source text."""
    return _identity


@pytest.fixture
def pseudo():
    """pseudo(doc, tag="") -> translations wrapped in «» (tags kept)."""
    return _pseudo


@pytest.fixture
def lang():
    """lang("zh") -> Language."""
    return lambda code: langs(code)[0]
