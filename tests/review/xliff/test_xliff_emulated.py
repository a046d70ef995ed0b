"""The review loop without a key: translate with ``--emulator``, check, export, edit, import.

Every artefact says EMULATED; an untouched XLIFF re-imported (with or without the run's
endpoint) turns nothing human and changes no unit's engine; only an edited target, or
one the reviewer marked final, is taken in as a human translation.
"""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html
from support import EMULATOR_KEY
from xliff_review import ReviewedFile, change_words

from pipeline.cli import main

REPO = Path(__file__).resolve().parents[3]
JOB = """input = "in"
output = "out/{lang}"
include = ["*.md", "*.csv"]
source_lang = "en"
target_langs = ["fr", "ja"]
%s
[csv]
key_column = "key"
"""


def human_rows(job: Path) -> list[tuple]:
    db = sqlite3.connect(job.parent / "out" / ".qmt" / "job" / "state.sqlite")
    try:
        return db.execute("SELECT source, target, origin FROM human ORDER BY source").fetchall()
    finally:
        db.close()


@pytest.fixture
def emulated_job(tmp_path: Path, monkeypatch) -> Path:
    """A job translated with ``qmt translate --emulator``, no key anywhere."""
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    shutil.copytree(REPO / "sample_docs", tmp_path / "in", ignore=shutil.ignore_patterns("*.py", "media"))
    path = tmp_path / "job.toml"
    path.write_text(JOB % "", encoding="utf-8")
    assert main(["translate", str(path), "--emulator", "--check"]) == 0   # a clean emulator run passes
    return path


def test_check_reads_the_emulators_translations_and_says_so(emulated_job, tmp_path, capsys):
    capsys.readouterr()
    assert main(["check", str(emulated_job)]) == 1          # the job's endpoint has no translation
    assert "--emulator pseudo reads them" in capsys.readouterr().out
    assert main(["xliff", "export", str(emulated_job), "-o", "empty"]) == 0
    assert "--emulator pseudo reads them" in capsys.readouterr().err
    assert main(["check", str(emulated_job), "--emulator", "--html", str(tmp_path / "r.html")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("EMULATED:") and "untranslated" not in out
    data = json.loads((tmp_path / "out" / ".qmt" / "job" / "qa" / "check.json").read_text())
    assert next(iter(data)) == "EMULATED" and data["emulated"] is True
    page = lxml_html.parse(str(tmp_path / "r.html")).getroot()
    assert page.xpath("//body/*[1]")[0].get("id") == "emulated"


@pytest.mark.parametrize("version", ["2.1", "1.2"])
@pytest.mark.parametrize("import_flags", [["--emulator"], []])
def test_untouched_xliff_changes_nothing(emulated_job, tmp_path, capsys, version, import_flags):
    assert main(["xliff", "export", str(emulated_job), "--emulator", "--xliff", version, "-o", "xl"]) == 0
    assert "EMULATED" in capsys.readouterr().err
    exported = sorted((tmp_path / "xl").rglob("*.xlf"))
    assert len(exported) == 4
    for path in exported:
        text = path.read_text(encoding="utf-8")
        assert text.splitlines()[0].startswith("<?xml") and text.split("?>", 1)[1].lstrip().startswith(
            "<!-- EMULATED:")
        assert ReviewedFile(path).units() and all(
            (ReviewedFile(path).target(u).text or len(ReviewedFile(path).target(u))) for u in ReviewedFile(path).units())
    assert main(["xliff", "import", *map(str, exported), *import_flags]) == 0
    err = capsys.readouterr().err
    assert "0 units applied" in err and "kept: " in err and "emulator:pseudo" in err and "EMULATED" in err
    assert human_rows(emulated_job) == []
    # The next check still reads the emulator's output, not human translations.
    assert main(["check", str(emulated_job), "--emulator"]) == 0


def test_edited_or_signed_off_units_are_taken_in_and_nothing_emulated_enters_the_tm(emulated_job, tmp_path, capsys):
    assert main(["xliff", "export", str(emulated_job), "--emulator", "--lang", "fr", "-o", "xl"]) == 0
    path = tmp_path / "xl" / "fr" / "getting-started.md.xlf"
    f = ReviewedFile(path)
    plain = [u for u in f.units() if not len(f.target(u)) and len(f.source(u).text or "") > 20]
    change_words(f.target(plain[0]), "Texte revu par une personne.")
    next(el for el in plain[1].iter() if etree.QName(el).localname == "segment").set("state", "final")
    f.save()
    capsys.readouterr()
    assert main(["xliff", "import", str(path)]) == 0                    # without --emulator
    err = capsys.readouterr().err
    assert "2 units applied as human translations (replacing: 2 emulator:pseudo)" in err
    rows = human_rows(emulated_job)
    assert len(rows) == 2 and "Texte revu par une personne." in [r[1] for r in rows]

    assert main(["tm", "export", str(emulated_job), "-o", str(tmp_path / "tm.tmx")]) == 0
    tmx = etree.parse(str(tmp_path / "tm.tmx"))
    segs = [el.text for el in tmx.iter("seg")]
    assert "Texte revu par une personne." in segs
    assert "left out" in capsys.readouterr().err                      # the emulated rest is not exported


def test_untouched_export_of_a_real_endpoint_survives_a_changed_endpoint(tmp_path, server, monkeypatch, capsys):
    """An export from a run at one endpoint, imported after the job moved to another
    (the import cannot see that run's translations): still nothing turns human."""
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    monkeypatch.chdir(tmp_path)
    server.reset()
    server.set_mode("pseudo")
    shutil.copytree(REPO / "sample_docs", tmp_path / "in", ignore=shutil.ignore_patterns("*.py", "media"))
    path = tmp_path / "job.toml"
    path.write_text(JOB % f'base_url = "{server.base_url}"', encoding="utf-8")
    assert main(["translate", str(path)]) == 0
    assert main(["xliff", "export", str(path), "--xliff", "1.2", "-o", "xl"]) == 0
    path.write_text(JOB % "", encoding="utf-8")                         # the region's endpoint now
    capsys.readouterr()
    assert main(["xliff", "import", *map(str, sorted((tmp_path / "xl").rglob("*.xlf")))]) == 0
    assert "0 units applied" in capsys.readouterr().err
    assert human_rows(path) == []
