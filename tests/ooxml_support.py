"""Helpers shared by the OOXML format tests (DOCX, PPTX, XLSX)."""
from __future__ import annotations

from pipeline.formats.ooxml.package import OLE_MAGIC


def ole(stream_name: str) -> bytes:
    """An OLE compound file header followed by a directory entry name (UTF-16LE)."""
    return OLE_MAGIC + b"\0" * 504 + stream_name.encode("utf-16-le") + b"\0" * 64
