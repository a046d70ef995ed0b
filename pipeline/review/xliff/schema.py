"""The OASIS schemas of XLIFF 2.1 (core) and 1.2 (strict), vendored in ``pipeline/data/xliff``.

Export checks every file against its version's schema before writing it (a file a CAT
tool would reject is a qmt bug, never an output).
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

from lxml import etree

SCHEMA_FILES = {"2.1": ("2.1", "xliff_core_2.0.xsd"), "1.2": ("1.2", "xliff-core-1.2-strict.xsd")}


@lru_cache(maxsize=None)
def schema(version: str) -> etree.XMLSchema:
    folder, name = SCHEMA_FILES[version]
    path = resources.files("pipeline") / "data" / "xliff" / folder / name
    with resources.as_file(path) as real:  # the core schema imports xml.xsd by relative path
        return etree.XMLSchema(etree.parse(str(real)))


def schema_errors(root: etree._Element, version: str) -> list[str]:
    """The schema violations of ``root`` (empty when it is valid)."""
    checker = schema(version)
    if checker.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in checker.error_log]
