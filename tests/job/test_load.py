"""One loader: the run, the estimate, ``qmt check`` and ``qmt xliff export`` see the same segments.

The bug this guards against: ``qmt check`` read documents its own way and missed the
per-file ``[[csv.files]]`` rules, so for a three-row CSV whose rule selects one column,
``qmt translate`` planned 2 segments while ``qmt check`` and ``qmt xliff export`` saw 6.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.config import Job, load_job
from pipeline.job.estimate import estimate_job
from pipeline.job.load import inputs, load_document
from pipeline.job.plan import PLANNED, Planner
from pipeline.job.run import pool_settings
from pipeline.memory.lookup import MemoryLookup
from pipeline.repository.book import load_book
from pipeline.review.qa.snapshot import emulator_engine_of, job_state
from pipeline.review.xliff.export import export_job

TABLE = ("name,description,note\n"
         "Blue kettle,A kettle that boils water in two minutes.,Ships in a recycled box.\n"
         "Red lamp,A reading lamp with a warm light.,Bulb not included in the box.\n")


def _csv_job(tmp_path: Path, rule: str) -> Path:
    src = tmp_path / "src"
    (src / "shop").mkdir(parents=True)
    (src / "shop" / "products.csv").write_text(TABLE, encoding="utf-8")
    job = tmp_path / "job.toml"
    job.write_text(f'input = "src"\noutput = "out/{{lang}}"\ntarget_langs = ["zh"]\n{rule}', encoding="utf-8")
    return job


def _planned(job: Job) -> dict[str, list[str]]:
    """What the run plans (the Planner ``qmt translate``, ``--frozen`` and ``qmt estimate`` use):
    segment ids with text to translate, per file."""
    lookup = MemoryLookup.open(job)
    try:
        planner = Planner(job, lookup, pool_settings(job), book=load_book(job))
        found, _ = inputs(job)
        plans = [planner.load(item.path, item.relpath) for item in found]
        return {fp.relpath: [s.id for s in fp.sendable] for fp in plans if fp.status == PLANNED}
    finally:
        lookup.close()


def _checked(job: Job, engine: str | None = None) -> dict[str, list[str]]:
    """What ``qmt check`` and ``qmt xliff export`` read: the same ids per file, one language."""
    state = job_state(job, job.target_langs[:1], engine=engine)
    return {f.relpath: [r.segment.id for r in f.rows] for f in state.files if not f.error}


def test_a_rule_selecting_one_column_gives_two_segments_in_every_command(tmp_path):
    path = _csv_job(tmp_path, '[[csv.files]]\nmatch = "shop/*.csv"\ncolumns = ["name"]\nmode = "per-language"\n')
    job = load_job(path)
    assert {rel: len(ids) for rel, ids in _planned(job).items()} == {"shop/products.csv": 2}
    assert estimate_job(job, pool_settings(job), job.region).segments == 2                   # qmt estimate
    assert {rel: len(ids) for rel, ids in _checked(job).items()} == {"shop/products.csv": 2}  # qmt check
    assert export_job(job, tmp_path / "xliff").units == 2                                    # qmt xliff export
    assert main(["translate", str(path), "--emulator"]) == 0                                 # qmt translate
    pseudo = emulator_engine_of(job, "pseudo")
    assert sum(r.target is not None for r in job_state(job, engine=pseudo).rows()) == 2
    assert main(["xliff", "export", str(path), "-o", str(tmp_path / "x"), "--emulator"]) == 0
    exported = (tmp_path / "x" / "zh" / "shop" / "products.csv.xlf").read_text(encoding="utf-8")
    assert exported.count("<unit ") == 2


def test_without_the_rule_every_command_sees_the_detected_prose_columns(tmp_path):
    job = load_job(_csv_job(tmp_path, ""))
    planned = _planned(job)
    assert planned == _checked(job)
    assert len(planned["shop/products.csv"]) > 2       # the rule above is what narrows it


def test_the_loader_applies_the_rule_by_the_path_below_the_input_folder(tmp_path):
    job = load_job(_csv_job(tmp_path, '[[csv.files]]\nmatch = "shop/*.csv"\ncolumns = ["note"]\nmode = "per-language"\n'))
    (found,), _ = inputs(job)
    loaded = load_document(job, found.path, found.relpath)
    assert [s.text for s in loaded.sendable] == ["Ships in a recycled box.", "Bulb not included in the box."]
    assert load_document(job, found.path, "elsewhere/products.csv").sendable != loaded.sendable
    assert load_document(job, tmp_path / "job.toml", "job.toml") is None      # no format takes it


CORPUS_RULES = """
[[csv.files]]
match = "csv/csvkit__iris.csv"
columns = ["species"]
mode = "per-language"
[[csv.files]]
match = "csv/csvkit__README.csv"
columns = ["title"]
keep = ["url"]
mode = "add"
[[xlsx.files]]
match = "xlsx/*autofilter0[0-1].xlsx"
columns = ["A"]
"""


@pytest.mark.needs_shared
def test_every_command_sees_the_same_segments_over_the_shared_corpus(corpus, tmp_path):
    job_file = tmp_path / "corpus.toml"
    job_file.write_text(f'input = "{corpus}"\noutput = "{tmp_path}/out/{{lang}}"\ntarget_langs = ["zh"]\n'
                        f'{CORPUS_RULES}', encoding="utf-8")
    job = load_job(job_file)
    planned, checked = _planned(job), _checked(job)
    assert len(planned) > 200                            # the corpus is read, not skipped
    assert planned == checked
    ext = Counter(Path(rel).suffix for rel in planned)
    assert {".md", ".docx", ".pptx", ".xlsx", ".csv"} <= set(ext)
    # The rules pick columns a file's own detection would not: they are applied by every command.
    assert planned["csv/csvkit__iris.csv"] and planned["xlsx/rust_xlsxwriter__tests__input__autofilter00.xlsx"]
