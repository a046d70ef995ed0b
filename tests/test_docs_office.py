"""The formats page's section on PowerPoint, Excel and CSV data exports: its job file example
loads, and its per-file rules mean what the page says."""
from __future__ import annotations

import re
from pathlib import Path

from pipeline.config import load_job

FORMATS = Path(__file__).resolve().parents[1] / "docs" / "formats.md"


def test_office_section_job_example_loads(tmp_path):
    text = FORMATS.read_text(encoding="utf-8")
    section = text[text.index("## PowerPoint, Excel and CSV data exports"):]
    example = re.search(r"```toml\n(.*?)```", section, re.DOTALL).group(1)
    (tmp_path / "docs").mkdir()
    (tmp_path / "job.toml").write_text(example, encoding="utf-8")
    job = load_job(tmp_path / "job.toml")
    assert job.csv.files[0].match == "exports/**/*.csv" and job.csv.files[0].keep == ("sku",)
    assert job.xlsx.files[0].sheet == "Summary" and job.pptx.layouts_masters is False
    assert job.csv.for_file("exports/2024/a.csv").columns == ("description",)
    assert job.xlsx.rule_for("reports/q1.xlsx", "Summary").columns == ("Comment", "D")
