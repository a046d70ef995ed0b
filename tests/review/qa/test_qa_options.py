"""The README's ``[qa]`` block is the defaults, and the check ids are the checker's."""
from __future__ import annotations

import re
import tomllib
from dataclasses import asdict
from pathlib import Path

from pipeline.review.qa.checks import SEGMENT_CHECKS, TAGGED_CHECKS
from pipeline.review.qa.options import CHECK_IDS, QaOptions

README = Path(__file__).resolve().parents[3] / "README.md"


def test_readme_qa_block_is_the_defaults():
    block = re.search(r"^\[qa\].*?(?=^```)", README.read_text(encoding="utf-8"), re.S | re.M).group(0)
    assert tomllib.loads(block)["qa"] == asdict(QaOptions())


def test_every_check_id_has_a_check():
    job_level = {"untranslated", "glossary", "length", "inconsistent_target", "inconsistent_source"}
    assert set(CHECK_IDS) == set(SEGMENT_CHECKS) | set(TAGGED_CHECKS) | job_level
