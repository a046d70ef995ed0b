"""``[qa]`` in a job file: which QA checks run and how grave each finding is.

Every check has an id (a field below) and a grade: ``"error"``, ``"warning"`` or
``"off"``. ``fail_on`` is the lowest grade that makes ``qmt check`` (and
``qmt translate --check``) exit non-zero; ``--fail-on`` overrides it. The defaults
live here, once; :mod:`pipeline.config` validates the table strictly.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

ERROR, WARNING, OFF = "error", "warning", "off"
GRADES = (ERROR, WARNING, OFF)
FAIL_ON = (ERROR, WARNING, "never")


@dataclass(frozen=True)
class QaOptions:
    fail_on: str = ERROR               # error | warning | never
    tags: str = ERROR                  # inline tags (formatting, links, code) as in the source
    placeholders: str = ERROR          # {count} %s %1$d {{x}} ${x} <b> as in the source
    numbers: str = ERROR               # the same numbers (locale separators allowed)
    urls: str = ERROR                  # URLs unchanged
    emails: str = ERROR                # e-mail addresses unchanged
    code: str = ERROR                  # code unchanged: `inline code`, monospace runs, URLs, paths, commands
    chatter: str = ERROR               # text with no counterpart in the source ("Here is the translation:")
    glossary: str = WARNING            # a glossary term in the source -> its target in the translation
    untranslated: str = ERROR          # target equals the source, or is still in the source language
    length: str = WARNING              # length ratio far from the job's own ratio for the language pair
    whitespace: str = WARNING          # leading/trailing whitespace as in the source
    punctuation: str = WARNING         # end punctuation consistent with the source
    doubled_words: str = WARNING       # "the the"
    inconsistent_target: str = WARNING  # one source, several translations
    inconsistent_source: str = WARNING  # several sources, one translation


CHECK_IDS: tuple[str, ...] = tuple(f.name for f in fields(QaOptions) if f.name != "fail_on")


def grade_of(options: QaOptions, check: str) -> str:
    """The grade of ``check`` under ``options`` (error, warning or off)."""
    grade: str = getattr(options, check)      # every check's field holds its grade
    return grade
