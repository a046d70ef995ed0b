"""The Makefile's messages name the folders the sample job really writes."""
from __future__ import annotations

import re
from pathlib import Path

from pipeline.config import load_job
from pipeline.job.discover import discover
from pipeline.job.ownership import planned_outputs

REPO = Path(__file__).resolve().parents[1]


def _demo_messages() -> str:
    recipe = re.search(r"^demo:.*?(?=^\S)", (REPO / "Makefile").read_text(encoding="utf-8"), re.M | re.S).group(0)
    return " ".join(re.findall(r'echo "([^"]*)"', recipe))


def test_make_demo_points_at_every_output_folder_of_the_sample_job():
    job = load_job(REPO / "jobs" / "sample.toml")
    found, _ = discover(job.input_dir, job.include, job.exclude)
    outputs = planned_outputs(job, [(f.path, f.relpath) for f in found])
    codes = {lang.code for lang in job.target_langs}
    folders = {out.relative_to(REPO).parts[:3] for out in outputs}           # ("build", "sample", label)
    named = {"/".join(f[:2] + (("<lang>",) if f[2] in codes else f[2:])) + "/" for f in folders}
    assert named == {"build/sample/<lang>/", "build/sample/all/"}            # the CSV table is in all/
    message = _demo_messages()
    assert all(folder in message for folder in named), (named, message)
