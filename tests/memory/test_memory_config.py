"""The job keys of terms, TM and cache: defaults and strict validation."""
from __future__ import annotations

import pytest

from pipeline.config import load_job
from pipeline.errors import ConfigError

BASE = 'input = "in"\noutput = "out/{lang}"\ntarget_langs = ["zh"]\n'


def test_defaults(write_job):
    job = load_job(write_job(BASE))
    assert (job.tm_fuzzy_threshold, job.tm_max_entries, job.cache, job.force) == (75.0, 3, True, False)


def test_values_are_read(write_job):
    job = load_job(write_job(BASE + "tm_fuzzy_threshold = 90\ntm_max_entries = 0\ncache = false\n"))
    assert (job.tm_fuzzy_threshold, job.tm_max_entries, job.cache) == (90.0, 0, False)


@pytest.mark.parametrize("line, key", [
    ("tm_fuzzy_threshold = 0", "tm_fuzzy_threshold"),
    ("tm_fuzzy_threshold = 101", "tm_fuzzy_threshold"),
    ("tm_max_entries = 11", "tm_max_entries"),
    ("tm_max_entries = 1.5", "tm_max_entries"),
    ('cache = "yes"', "cache"),
    ('terms = "missing.csv"', "terms"),
])
def test_bad_values_name_the_key(write_job, line, key):
    with pytest.raises(ConfigError) as err:
        load_job(write_job(BASE + line + "\n"))
    assert key in str(err.value)
