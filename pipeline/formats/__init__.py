"""Where segments are born and written back: one module per file format.

The registry maps a file extension to the module whose ``HANDLER`` loads it. Modules
are imported on first use so that a job with only Markdown never imports lxml.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Protocol

from pipeline.formats.base import Document, FormatHandler, LoadContext
from pipeline.languages import Language

_MODULE_BY_EXTENSION: dict[str, str] = {
    ".md": "pipeline.formats.markdown",
    ".markdown": "pipeline.formats.markdown",
    ".mdx": "pipeline.formats.mdx",
    ".docx": "pipeline.formats.docx",
    ".pptx": "pipeline.formats.pptx",
    ".xlsx": "pipeline.formats.xlsx",
    ".csv": "pipeline.formats.csv",
    ".tsv": "pipeline.formats.csv",
    ".json": "pipeline.formats.json_i18n",
    ".jsonc": "pipeline.formats.json_i18n",
    ".json5": "pipeline.formats.json_i18n",
    ".arb": "pipeline.formats.json_i18n",
    ".po": "pipeline.formats.po",
    ".pot": "pipeline.formats.po",
    ".yml": "pipeline.formats.yaml_i18n",
    ".yaml": "pipeline.formats.yaml_i18n",
    ".properties": "pipeline.formats.properties",
    ".strings": "pipeline.formats.apple_strings",
    ".stringsdict": "pipeline.formats.apple_strings.stringsdict",
    ".xcstrings": "pipeline.formats.apple_strings.xcstrings",
    ".xml": "pipeline.formats.android",
    ".srt": "pipeline.formats.subtitles",
    ".vtt": "pipeline.formats.subtitles",
    ".html": "pipeline.formats.html",
    ".xlf": "pipeline.formats.xliff_file",
    ".xliff": "pipeline.formats.xliff_file",
    ".htm": "pipeline.formats.html",
}

class NamingJob(Protocol):
    """What output naming reads of a job (:class:`pipeline.config.Job`; a protocol so that
    formats need not import the configuration that imports them)."""

    @property
    def source_lang(self) -> Language | None: ...

    def format_options(self, format_name: str) -> Any: ...


def handler_for(path: Path) -> FormatHandler | None:
    """The handler for ``path`` by its extension, or None when qmt does not read it."""
    module = _MODULE_BY_EXTENSION.get(path.suffix.lower())
    if module is None:
        return None
    handler = importlib.import_module(module).HANDLER
    return handler if handler.takes(path) else None


def output_relpath(job: NamingJob, path: Path, relpath: str, label: str) -> str:
    """The output of ``relpath`` in language ``label``, relative to the job's output folder
    (the format's naming rule: see :meth:`FormatHandler.output_relpath`)."""
    handler = handler_for(path)
    if handler is None:
        return relpath
    return handler.output_relpath(relpath, label, job.format_options(handler.name), job.source_lang)


__all__ = ["Document", "FormatHandler", "LoadContext", "NamingJob", "handler_for", "output_relpath"]
