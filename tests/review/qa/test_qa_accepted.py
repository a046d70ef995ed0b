"""Accepted findings: ``qmt check JOB --accept ID`` / ``--accept-all`` and the file they write."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import html as lxml_html
from support import EMULATOR_KEY

from pipeline.cli import main
from pipeline.emulator.pseudo import swap_letters
from pipeline.review.qa.accepted import read_accepted

DOC = "# Plan\n\nShip 3 boxes to the depot.\n\nKeep {count} spare parts.\n\nCall the office today.\n"
JOB = """input = "in"
output = "out/{lang}"
source_lang = "en"
target_langs = ["fr"]
base_url = "%s"
[run]
rpm = 0
tpm = 0
pack_tokens = 0
max_attempts = 1
"""


def damaged(text: str, lang: str, terms) -> str:
    """Pseudo-translates; writes 4 for 3 and drops {count}: two error findings."""
    out = swap_letters(text.replace("{count}", "\0")).replace("\0", "{count}")
    return out.replace("3", "4").replace(" {count}", "")


@pytest.fixture
def job(tmp_path: Path, server, monkeypatch):
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    monkeypatch.chdir(tmp_path)
    server.reset()
    server.set_mode(damaged)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "plan.md").write_text(DOC, encoding="utf-8")
    path = tmp_path / "job.toml"
    path.write_text(JOB % server.base_url, encoding="utf-8")
    assert main(["translate", str(path)]) == 0
    yield path
    server.set_mode("pseudo")


def report(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "out" / ".qmt" / "job" / "qa" / "check.json").read_text())


def test_accepting_a_finding_passes_the_gate_until_the_segment_changes(job, tmp_path, capsys):
    assert main(["check", str(job)]) == 1
    first = report(tmp_path)["findings"]
    ids = [f["id"] for f in first if f["severity"] == "error"]
    assert sorted(f["check"] for f in first) == ["numbers", "numbers", "placeholders"]  # 3 gone, 4 new
    summary = capsys.readouterr().out
    assert all(i in summary for i in ids)                       # the summary lists ids to accept
    assert main(["check", str(job)]) == 1
    assert [f["id"] for f in report(tmp_path)["findings"]] == [f["id"] for f in first]  # stable ids

    assert main(["check", str(job), "--accept", *ids, "--reason", "the client\tasked\nfor it"]) == 0
    accepted_file = tmp_path / "job.qa-accepted.tsv"
    lines = [line for line in accepted_file.read_text().splitlines() if not line.startswith("#")]
    assert lines == sorted(lines) and len(lines) == 3
    assert all(line.endswith("\tthe client asked for it") for line in lines)
    assert sorted(a.check for a in read_accepted(accepted_file).values()) == ["numbers", "numbers", "placeholders"]
    data = report(tmp_path)
    assert data["counts"]["error"] == 0 and data["counts"]["accepted"] == 3 and not data["failed"]
    assert {f["id"] for f in data["accepted"]} == set(ids)
    out = capsys.readouterr().out
    assert "3 accepted findings, not counted" in out and "the client asked for it" in out
    assert main(["check", str(job)]) == 0                       # stays accepted on the next run

    # The source of the segment changes: a new id, the finding is back.
    (tmp_path / "in" / "plan.md").write_text(DOC.replace("Ship 3 boxes", "Ship 3 crates"), encoding="utf-8")
    assert main(["translate", str(job)]) == 0
    assert main(["check", str(job)]) == 1
    back = [f["message"] for f in report(tmp_path)["findings"] if f["severity"] == "error"]
    assert back == ["number 3 missing or changed", "number 4 not in the source"]


def test_a_changed_translation_brings_the_finding_back(job, tmp_path, server):
    assert main(["check", str(job), "--accept-all"]) == 0
    assert len(read_accepted(tmp_path / "job.qa-accepted.tsv")) == 3
    # Same findings (3 gone, 4 new, {count} dropped), but the boxes' translation changes.
    server.set_mode(lambda text, lang, terms: damaged(text, lang, terms).replace("4", "4 ~"))
    assert main(["translate", str(job), "--force"]) == 0
    assert main(["check", str(job)]) == 1
    assert [f["check"] for f in report(tmp_path)["findings"] if f["severity"] == "error"] == ["numbers", "numbers"]
    assert [f["check"] for f in report(tmp_path)["accepted"]] == ["placeholders"]  # its segment is as it was


def test_html_report_shows_accepted_findings_apart(job, tmp_path):
    main(["check", str(job)])
    number_id = next(f["id"] for f in report(tmp_path)["findings"] if f["check"] == "numbers")
    main(["check", str(job), "--accept", number_id, "--html", str(tmp_path / "r.html")])
    page = lxml_html.parse(str(tmp_path / "r.html")).getroot()
    assert [r.get("id") for r in page.xpath("//table[@class='accepted']/tbody/tr")] == [f"f-{number_id}"]
    assert f"f-{number_id}" not in [r.get("id") for r in page.xpath("//table[@class='findings']/tbody/tr")]


def test_unknown_id_or_bad_file_is_a_one_line_error(job, tmp_path, capsys):
    assert main(["check", str(job), "--accept", "deadbeef0000"]) == 2
    err = capsys.readouterr().err
    assert "job.qa-accepted.tsv" in err and "deadbeef0000" in err and "Traceback" not in err
    (tmp_path / "job.qa-accepted.tsv").write_text("abc\tnumbers\n", encoding="utf-8")
    assert main(["check", str(job)]) == 2
    assert "job.qa-accepted.tsv: line 1: expected 6 tab-separated fields" in capsys.readouterr().err
