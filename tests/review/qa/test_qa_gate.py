"""``qmt check`` and ``qmt translate --check`` through the CLI, on runs against the emulator.

The emulator's translator is replaced by a fake that swaps letters for accented look-alikes
(pseudo-localization) but, like a good model, keeps placeholders as they are and applies
glossary terms; the damaged run breaks one segment in each way a model can: a dropped
placeholder, a changed number, an ignored glossary term, a segment left as it was.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html
from support import EMULATOR_KEY

from pipeline.cli import main
from pipeline.emulator.pseudo import swap_letters, term_pairs

DOC = """# Inbox

You have {count} new messages in your inbox.

The package weighs 1,250.5 kg and ships in 3 days.

Open the Acme Sync settings to continue.

This paragraph stays exactly the same.
"""
JOB = """input = "in"
output = "out/{lang}"
source_lang = "en"
target_langs = ["fr"]
terms = "terms.csv"
base_url = "%s"
%s
[run]
rpm = 0
tpm = 0
pack_tokens = 0
max_attempts = 1
"""


class Translator:
    """A stand-in model: correct, or damaged in four ways when ``damage`` is set."""

    def __init__(self, damage: bool):
        self.damage = damage

    def __call__(self, text: str, lang: str, terms) -> str:
        if self.damage and "stays exactly" in text:
            return text
        pairs = [] if self.damage and "Acme Sync" in text else term_pairs(terms)
        for i, (source, _) in enumerate(pairs):
            text = text.replace(source, f"\0{i}\0")
        kept = re.compile(r"(\{[a-z]+\}|\0\d+\0)")
        out = "".join(piece if kept.fullmatch(piece) else swap_letters(piece) for piece in kept.split(text))
        for i, (_, target) in enumerate(pairs):
            out = out.replace(f"\0{i}\0", target)
        if self.damage:
            out = out.replace(" {count}", "").replace("1,250.5", "1,260.5")
        return out


@pytest.fixture
def job(tmp_path: Path, server, monkeypatch):
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    monkeypatch.chdir(tmp_path)
    server.reset()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "inbox.md").write_text(DOC, encoding="utf-8")
    (tmp_path / "terms.csv").write_text("source,target\nAcme Sync,Acme Synchro\n", encoding="utf-8")

    def make(damage: bool, extra: str = "") -> Path:
        server.set_mode(Translator(damage))
        path = tmp_path / "job.toml"
        path.write_text(JOB % (server.base_url, extra), encoding="utf-8")
        return path

    yield make
    server.set_mode("pseudo")


def findings(tmp_path: Path) -> list[dict]:
    return json.loads((tmp_path / "out" / ".qmt" / "job" / "qa" / "check.json").read_text())["findings"]


def test_clean_run_passes_the_gate(job, tmp_path, capsys, server):
    path = job(damage=False)
    assert main(["translate", str(path)]) == 0
    server.reset()
    assert main(["check", str(path)]) == 0
    assert main(["xliff", "export", str(path), "-o", "xl"]) == 0
    assert server.stats["received"] == 0                # both read the job's state, send nothing
    assert "inbox.md: clean" in capsys.readouterr().out
    assert findings(tmp_path) == []


def test_damaged_run_fails_the_gate_with_each_damage_found(job, tmp_path, capsys):
    path = job(damage=True)
    main(["translate", str(path)])
    capsys.readouterr()
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    found = {(f["check"], f["severity"]) for f in findings(tmp_path)}
    assert {("placeholders", "error"), ("numbers", "error"), ("glossary", "warning"),
            ("untranslated", "error")} <= found
    assert "placeholders" in out and "numbers" in out and "glossary" in out and "untranslated" in out
    messages = {(f["check"], f["message"]) for f in findings(tmp_path)}
    assert ("placeholders", "placeholder {count} missing or changed") in messages
    assert {("numbers", "number 1,250.5 missing or changed"), ("numbers", "number 1,260.5 not in the source")} <= messages
    assert ("glossary", "glossary term 'Acme Sync' should be 'Acme Synchro'") in messages
    assert ("untranslated", "the translation is the source text") in messages


def test_html_report_parses_and_highlights(job, tmp_path):
    path = job(damage=True)
    main(["translate", str(path)])
    main(["check", str(path), "--html", str(tmp_path / "report.html")])
    page = lxml_html.parse(str(tmp_path / "report.html")).getroot()
    assert page.find(".//title").text == "QA report: job"
    assert not page.xpath("//script|//link|//img")  # self-contained
    rows = page.xpath("//table[@class='findings']/tbody/tr")
    assert {r.get("class") for r in rows} == {"error", "warning"}
    cells = [[c.text_content() for c in r.findall("td")] for r in rows]
    assert any(c[0].startswith("placeholders") and "{count}" in c[4] and "{count}" not in c[5] for c in cells)
    assert "{count}" in [m.text_content() for m in page.xpath("//mark")]


def test_fail_on_and_qa_grades(job, tmp_path):
    path = job(damage=True, extra='[qa]\nplaceholders = "warning"\nnumbers = "off"\nuntranslated = "warning"\n')
    main(["translate", str(path)])
    assert main(["check", str(path)]) == 0           # nothing left at "error"
    assert main(["check", str(path), "--fail-on", "warning"]) == 1
    assert "numbers" not in {f["check"] for f in findings(tmp_path)}
    assert main(["check", str(path), "--fail-on", "never"]) == 0


def test_unknown_qa_key_or_grade_is_a_one_line_error(job, capsys):
    path = job(damage=False, extra='[qa]\nnumber = "error"\n')
    assert main(["check", str(path)]) == 2
    assert "job.toml: qa.number: unknown key" in capsys.readouterr().err
    path = job(damage=False, extra='[qa]\nnumbers = "fatal"\n')
    assert main(["check", str(path)]) == 2
    assert "qa.numbers: must be one of error, warning, off" in capsys.readouterr().err


def test_translate_check_gates_the_run(job):
    assert main(["translate", str(job(damage=False)), "--check"]) == 0
    assert main(["translate", str(job(damage=True)), "--check", "--force"]) == 1


def test_findings_travel_to_reviewers_as_xliff_notes(job, tmp_path):
    path = job(damage=True)
    main(["translate", str(path)])
    assert main(["xliff", "export", str(path), "-o", "xl"]) == 0
    doc = etree.parse(str(tmp_path / "xl" / "fr" / "inbox.md.xlf"))
    ns = {"x": "urn:oasis:names:tc:xliff:document:2.0"}
    notes = [(n.get("priority"), n.text) for n in doc.iterfind(".//x:unit/x:notes/x:note[@category='qa']", ns)]
    assert ("1", "error: placeholders: placeholder {count} missing or changed") in notes
    assert ("5", "warning: glossary: glossary term 'Acme Sync' should be 'Acme Synchro'") in notes
