"""Export -> review -> import -> translate again, through the CLI against the emulator.

Runs on the sample documents (Markdown, DOCX, CSV), so it needs nothing outside the
repository; ``test_xliff_corpus.py`` does the same over the shared corpus.
"""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from lxml import etree
from support import EMULATOR_KEY
from xliff_review import ISOLATED, PAIRED, ReviewedFile, change_words, delete_code, move_pair, sent_segments

from pipeline.cli import main

REPO = Path(__file__).resolve().parents[3]
JOB = """input = "in"
output = "out/{lang}"
include = ["*.md", "*.docx", "*.csv"]
source_lang = "en"
target_langs = ["fr", "ja"]
base_url = "%s"
[run]
rpm = 0
tpm = 0
[csv]
key_column = "key"
"""


@pytest.fixture
def job(tmp_path: Path, server, monkeypatch) -> Path:
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    monkeypatch.chdir(tmp_path)
    server.reset()
    server.set_mode("pseudo")
    shutil.copytree(REPO / "sample_docs", tmp_path / "in")
    path = tmp_path / "job.toml"
    path.write_text(JOB % server.base_url, encoding="utf-8")
    assert main(["translate", str(path)]) == 0
    return path


def review(path: Path) -> dict[str, str]:
    """Edit like a reviewer: change words, move a tag pair, delete a placeholder, leave the
    rest. Returns the segment ids (name/resname) of what was done."""
    f = ReviewedFile(path)
    name = "name" if f.ns.endswith("2.0") else "resname"
    plain = f.pick(lambda u: not f.codes(u, PAIRED + ISOLATED) and len(f.source(u).text or "") > 20)
    change_words(f.target(plain), "Texte revu par une personne.")
    paired = f.pick(lambda u: len(f.codes(u, PAIRED)) == 1 and not len(f.codes(u, PAIRED)[0]), exclude=[plain])
    move_pair(f.target(paired), "DÉPLACÉ")
    broken = f.pick(lambda u: f.codes(u, ISOLATED), exclude=[plain, paired])
    delete_code(f.target(broken))
    f.save()
    return {"plain": plain.get(name), "paired": paired.get(name), "broken": broken.get(name),
            "broken_unit": broken.get("id")}


def human_rows(job: Path) -> list[tuple]:
    db = sqlite3.connect(job.parent / "out" / ".qmt" / "job" / "state.sqlite")
    try:
        return db.execute("SELECT * FROM human ORDER BY source").fetchall()
    finally:
        db.close()


@pytest.mark.parametrize("version", ["2.1", "1.2"])
def test_review_round_trip(job, tmp_path, server, capsys, version):
    assert main(["xliff", "export", str(job), "--xliff", version, "-o", "xl"]) == 0
    exported = tmp_path / "xl" / "fr" / "getting-started.md.xlf"
    edits = review(exported)
    capsys.readouterr()

    assert main(["xliff", "import", str(exported)]) == 1          # one unit refused
    err = capsys.readouterr().err
    refused = [line for line in err.splitlines() if line.startswith("qmt: refused:")]
    assert refused == [f"qmt: refused: {exported}: unit {edits['broken_unit']} ({edits['broken']}): "
                       f"inline codes: missing <x{_first_x(exported, edits['broken_unit'])}/>"]
    assert "2 units applied as human translations" in err
    stored = human_rows(job)
    assert len(stored) == 2 and all(row[1] == "fr" for row in stored)

    # The next run sends nothing for the reviewed units (even with --force) and writes them.
    server.reset()
    assert main(["translate", str(job), "--force"]) == 0
    bodies = server.emulator.ledger.bodies()
    assert len(bodies) == server.stats["received"] > 0
    reviewed = {row[2] for row in stored}
    assert sent_segments(bodies, "French") and not reviewed & sent_segments(bodies, "French")
    assert reviewed <= sent_segments(bodies, "Japanese")      # reviewed for French only
    fr = (tmp_path / "out" / "fr" / "getting-started.md").read_text(encoding="utf-8")
    assert "Texte revu par une personne." in fr and "DÉPLACÉ" in fr
    ja = (tmp_path / "out" / "ja" / "getting-started.md").read_text(encoding="utf-8")
    assert "Texte revu" not in ja

    # Reimporting changes nothing; the TM export carries the reviewed translations.
    capsys.readouterr()
    main(["xliff", "import", str(exported)])
    assert "0 units applied" in capsys.readouterr().err and human_rows(job) == stored
    assert main(["tm", "export", str(job), "-o", "tm.tmx"]) == 0
    assert "Texte revu par une personne." in (tmp_path / "tm.tmx").read_text(encoding="utf-8")


def _first_x(path: Path, unit_id: str) -> int:
    f = ReviewedFile(path)
    unit = next(u for u in f.units() if u.get("id") == unit_id)
    return int(f.codes(unit, ISOLATED)[0].get("id")[1:])


def test_untouched_export_imports_as_a_no_op(job, tmp_path, capsys):
    assert main(["xliff", "export", str(job), "-o", "xl"]) == 0
    files = sorted((tmp_path / "xl").rglob("*.xlf"))
    assert len(files) == 6                                         # 3 documents x 2 languages
    assert main(["xliff", "import", *map(str, files)]) == 0
    assert "0 units applied" in capsys.readouterr().err
    assert human_rows(job) == []


def test_stale_unit_is_reported_not_applied(job, tmp_path, capsys):
    assert main(["xliff", "export", str(job), "--lang", "fr", "-o", "xl"]) == 0
    exported = tmp_path / "xl" / "fr" / "getting-started.md.xlf"
    f = ReviewedFile(exported)
    unit = f.pick(lambda u: not f.codes(u, PAIRED + ISOLATED) and len(f.source(u).text or "") > 20)
    change_words(f.target(unit), "Révisé.")
    f.save()
    doc = tmp_path / "in" / "getting-started.md"
    doc.write_text(doc.read_text(encoding="utf-8").replace(f.source(unit).text, "A new sentence entirely."),
                   encoding="utf-8")
    assert main(["xliff", "import", str(exported)]) == 1
    err = capsys.readouterr().err
    assert f"unit {unit.get('id')} ({unit.get('name')}): stale: the document's segment changed" in err
    assert human_rows(job) == []


def test_export_needs_known_language(job, capsys):
    assert main(["xliff", "export", str(job), "--lang", "de", "-o", "xl"]) == 2
    assert "de is not a target language of the job" in capsys.readouterr().err


def test_resegmented_unit_is_joined(job, tmp_path, capsys):
    """A CAT tool may split a unit's one segment in two: the halves are joined again."""
    assert main(["xliff", "export", str(job), "--lang", "fr", "-o", "xl"]) == 0
    exported = tmp_path / "xl" / "fr" / "getting-started.md.xlf"
    f = ReviewedFile(exported)
    unit = f.pick(lambda u: not f.codes(u, PAIRED + ISOLATED) and len(f.source(u).text or "") > 20)
    segment = f.source(unit).getparent()
    text = f.source(unit).text
    cut = text.index(" ") + 1
    second = etree.fromstring(etree.tostring(segment))
    second.set("id", "s2")
    f.source(unit).text, second[0].text = text[:cut], text[cut:]
    f.target(unit).text, second[1].text = "Première moitié, ", "seconde moitié."
    segment.addnext(second)
    f.save()
    assert main(["xliff", "import", str(exported)]) == 0
    assert [row[3] for row in human_rows(job)] == ["Première moitié, seconde moitié."]


def test_bad_files_fail_alone_with_one_line_each(job, tmp_path, capsys):
    assert main(["xliff", "export", str(job), "--lang", "fr", "-o", "xl"]) == 0
    exported = tmp_path / "xl" / "fr" / "getting-started.md.xlf"
    f = ReviewedFile(exported)
    unit = f.pick(lambda u: not f.codes(u, PAIRED + ISOLATED) and len(f.source(u).text or "") > 20)
    change_words(f.target(unit), "Révisé.")
    f.save()
    (tmp_path / "notes.xlf").write_text("<html/>", encoding="utf-8")
    (tmp_path / "cut.xlf").write_text("<xliff", encoding="utf-8")
    text = exported.read_text(encoding="utf-8")
    (tmp_path / "laughs.xlf").write_text(text.replace("<xliff ", '<!DOCTYPE xliff [<!ENTITY a "aaaaaaaaaa">'
                                                      '<!ENTITY b "&a;&a;&a;&a;&a;&a;">]><xliff ', 1), encoding="utf-8")
    capsys.readouterr()
    files = [tmp_path / "notes.xlf", tmp_path / "cut.xlf", tmp_path / "laughs.xlf", exported]
    assert main(["xliff", "import", *map(str, files)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"qmt: failed: {tmp_path / 'notes.xlf'}: not an XLIFF 2.x or 1.2 file"
    assert err[1].startswith(f"qmt: failed: {tmp_path / 'cut.xlf'}: not a readable XLIFF file")
    assert err[2] == f"qmt: failed: {tmp_path / 'laughs.xlf'}: has a DOCTYPE: refused (XLIFF has no DTD; entities are not read)"
    assert "1 units applied" in err[3] and len(err) == 4 and len(human_rows(job)) == 1

    note = next(n for n in f.tree.iter() if n.get("category") == "qmt-job")
    note.getparent().remove(note)
    change_words(f.target(unit), "Révisé encore.")
    f.save()
    assert main(["xliff", "import", str(exported)]) == 1
    assert "names no qmt job (not exported by qmt xliff export?): pass --job" in capsys.readouterr().err
    assert main(["xliff", "import", str(exported), "--job", str(job)]) == 0
    assert [row[3] for row in human_rows(job)] == ["Révisé encore."]


def test_units_of_unknown_documents_or_languages_are_refused(job, tmp_path, capsys):
    assert main(["xliff", "export", str(job), "--lang", "fr", "-o", "xl"]) == 0
    exported = tmp_path / "xl" / "fr" / "getting-started.md.xlf"
    f = ReviewedFile(exported)
    file_el = next(el for el in f.tree.iter() if el.get("original"))
    file_el.set("original", "gone.md")
    f.save()
    capsys.readouterr()
    assert main(["xliff", "import", str(exported)]) == 1
    assert f"qmt: refused: {exported}: file 'gone.md': not a document of the job" in capsys.readouterr().err
    f.tree.getroot().set("trgLang", "de")
    file_el.set("original", "getting-started.md")
    f.save()
    assert main(["xliff", "import", str(exported)]) == 1
    assert "file 'getting-started.md': target language 'de' is not one of the job's" in capsys.readouterr().err
    assert human_rows(job) == []


def test_codes_carry_the_source_markup(job, tmp_path):
    """Reviewers see what a code stands for: Markdown delimiters and link targets, CSV
    placeholders (originalData and disp in 2.1, equiv-text in 1.2)."""
    assert main(["xliff", "export", str(job), "--lang", "fr", "-o", "x21"]) == 0
    assert main(["xliff", "export", str(job), "--lang", "fr", "--xliff", "1.2", "-o", "x12"]) == 0
    ns = {"x": "urn:oasis:names:tc:xliff:document:2.0"}
    md = etree.parse(str(tmp_path / "x21" / "fr" / "getting-started.md.xlf"))
    data = [d.text for d in md.iterfind(".//x:originalData/x:data", ns)]
    assert "**" in data and any(d.startswith("](https://") for d in data)
    csv = etree.parse(str(tmp_path / "x21" / "fr" / "ui_strings.csv.xlf"))
    assert "{count}" in [ph.get("disp") for ph in csv.iterfind(".//x:source/x:ph", ns)]
    csv12 = etree.parse(str(tmp_path / "x12" / "fr" / "ui_strings.csv.xlf"))
    assert "{count}" in [x.get("equiv-text") for x in csv12.iter("{urn:oasis:names:tc:xliff:document:1.2}x")]


def test_before_any_run_units_are_initial_and_a_reviewer_may_translate_them(tmp_path, server, monkeypatch, capsys):
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    monkeypatch.chdir(tmp_path)
    shutil.copytree(REPO / "sample_docs", tmp_path / "in")
    job = tmp_path / "job.toml"
    job.write_text(JOB % server.base_url, encoding="utf-8")
    assert main(["xliff", "export", str(job), "--lang", "fr", "-o", "xl"]) == 0
    exported = tmp_path / "xl" / "fr" / "getting-started.md.xlf"
    f = ReviewedFile(exported)
    assert {seg.get("state") for seg in f.tree.iter() if seg.tag.endswith("}segment")} == {"initial"}
    unit = f.pick(lambda u: not f.codes(u, PAIRED + ISOLATED) and len(f.source(u).text or "") > 20)
    segment = f.source(unit).getparent()
    etree.SubElement(segment, f"{{{f.ns}}}target").text = "Traduit par une personne."
    segment.set("state", "final")
    f.save()
    assert main(["xliff", "import", str(exported)]) == 0
    capsys.readouterr()
    assert main(["estimate", str(job)]) == 0
    assert "reviewed (human)      1\n" in capsys.readouterr().out
    server.reset()
    assert main(["translate", str(job)]) == 0
    assert "Traduit par une personne." in (tmp_path / "out" / "fr" / "getting-started.md").read_text(encoding="utf-8")
    assert f.source(unit).text not in sent_segments(server.emulator.ledger.bodies(), "French")


def test_approving_a_machine_translation_stores_it_as_reviewed(job, tmp_path):
    assert main(["xliff", "export", str(job), "--lang", "fr", "--xliff", "1.2", "-o", "xl"]) == 0
    exported = tmp_path / "xl" / "fr" / "guide.docx.xlf"
    f = ReviewedFile(exported)
    unit = f.units()[0]
    unit.set("approved", "yes")                   # approved as it is: no word changed
    f.save()
    assert main(["xliff", "import", str(exported)]) == 0
    assert [row[3] for row in human_rows(job)] == [f.target(unit).text]
    assert main(["xliff", "import", str(exported)]) == 0 and len(human_rows(job)) == 1
