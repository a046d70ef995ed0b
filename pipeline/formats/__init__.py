"""Where segments are born and written back: one module per file format.

The registry maps a file extension to the module whose ``HANDLER`` loads it. Modules
are imported on first use so that a job with only Markdown never imports lxml.
"""
from __future__ import annotations

import importlib
from pathlib import Path

from pipeline.formats.base import Document, FormatHandler, LoadContext

_MODULE_BY_EXTENSION: dict[str, str] = {
    ".md": "pipeline.formats.markdown",
    ".markdown": "pipeline.formats.markdown",
    ".docx": "pipeline.formats.docx",
    ".pptx": "pipeline.formats.pptx",
    ".xlsx": "pipeline.formats.xlsx",
    ".csv": "pipeline.formats.csv",
    ".tsv": "pipeline.formats.csv",
    ".srt": "pipeline.formats.subtitles",
    ".vtt": "pipeline.formats.subtitles",
    ".html": "pipeline.formats.html",
    ".htm": "pipeline.formats.html",
}

def handler_for(path: Path) -> FormatHandler | None:
    """The handler for ``path`` by its extension, or None when qmt does not read it."""
    module = _MODULE_BY_EXTENSION.get(path.suffix.lower())
    if module is None:
        return None
    return importlib.import_module(module).HANDLER


__all__ = ["Document", "FormatHandler", "LoadContext", "handler_for"]
