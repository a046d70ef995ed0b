"""CSV data exports without a schema: prose columns detected per file, the rest byte-identical.

Runs ``qmt translate FOLDER --to zh --out OUT --emulator`` as a user would, on a folder
of generated exports and on the shared CSV corpus; the standard library's csv reader
is the independent oracle for which cells changed.
"""
from __future__ import annotations

import csv as stdcsv
import io
import json
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.emulator.pseudo import reverse_pseudo
from csvgen import EXPORT_PROSE, write_data_exports

from support import CORPUS

SHARED_CSV = CORPUS / "csv"


def table(data: bytes, name: str) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    delimiter = "\t" if name.endswith(".tsv") else (";" if text.split("\n", 1)[0].count(";") > 1 else ",")
    return list(stdcsv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def translate(folder: Path, out: Path, mode: str, *extra: str) -> int:
    return main(["translate", str(folder), "--to", "zh", "--out", str(out), "--emulator", mode, *extra])


def last_report(out: Path) -> dict:
    reports = sorted((out.parent / ".qmt").glob("adhoc-*/reports/run-*.json"))  # beside the output
    return json.loads(reports[-1].read_text(encoding="utf-8"))


# --- issue 11: an ``id,text`` header is not an Indonesian localization table ------------


def test_id_text_header_is_a_data_export_not_indonesian(load_csv, pseudo, lang):
    doc = load_csv("id,text\n1,Hello there\n2,Save the file\n", source=None, targets=("zh",))
    assert [s.text for s in doc.segments()] == ["Hello there", "Save the file"]
    assert not doc.combined  # translated in place: no "zh" column holding 1, 2
    out = doc.rebuild(lang("zh"), pseudo(doc)).decode()
    assert out == "id,text\n1,«Hello there»\n2,«Save the file»\n"


def test_ambiguous_header_names_a_language_with_other_evidence(load_csv, lang):
    doc = load_csv("key,en,id\nK,Hello,\n", source=None, targets=("id",))
    assert doc.combined and [s.text for s in doc.segments()] == ["Hello"]
    assert doc.plan.targets[0].column == 2  # the existing "id" column is filled
    explicit = load_csv("no,text\n1,Hei\n", source="nb", targets=("en",))
    assert explicit.combined  # the job says the source is Norwegian: "no" names it


# --- a generated folder of data exports, through the CLI -------------------------------


@pytest.fixture
def exports(tmp_path) -> Path:
    folder = tmp_path / "exports"
    write_data_exports(folder)
    return folder


def test_generated_exports_pseudo_translates_prose_columns_only(exports, tmp_path, capsys):
    out = tmp_path / "out"
    assert translate(exports, out, "pseudo") == 0
    err = capsys.readouterr().err
    for rel, prose in EXPORT_PROSE.items():
        before = table((exports / rel).read_bytes(), rel)
        after = table((out / rel).read_bytes(), rel)
        assert len(after) == len(before) and after[0] == before[0]
        chosen = {before[0].index(name) for name in prose}
        for old, new in zip(before[1:], after[1:]):
            for i, (cell, got) in enumerate(zip(old, new, strict=True)):
                if i in chosen:
                    assert got != cell and reverse_pseudo(got, "zh") == cell, (rel, cell, got)
                else:
                    assert got == cell, (rel, before[0][i])
        assert f"{rel}: columns translated (detected): {prose[0]} (prose" in err
    assert ("qmt: shop/products.csv: columns translated (detected): name (prose: 2.0 words per value, 46 distinct); "
            "description (prose: 3.8 words per value, 10 distinct); kept: id (header names data: 'id'); ") in err  # README
    report = last_report(out)
    decisions = {f["relpath"]: f["decisions"] for f in report["files"]}
    assert "url (header names data: 'url')" in decisions["shop/products.csv"][0]
    # the BOM, the semicolons and the CRLF line endings of the CRM export are kept
    crm = (out / "crm/contacts.csv").read_bytes()
    assert crm.startswith("\ufeff".encode()) and crm.count(b"\r\n") == 61 and crm.count(b"\n") == 61


def test_generated_exports_identity_is_byte_identical(exports, tmp_path):
    out = tmp_path / "i" / "out"
    assert translate(exports, out, "identity") == 0
    for rel in EXPORT_PROSE:
        assert (out / rel).read_bytes() == (exports / rel).read_bytes(), rel


def test_file_rules_override_detection_per_pattern(exports, tmp_path):
    job = tmp_path / "job.toml"
    job.write_text(
        f'input = "{exports}"\noutput = "{tmp_path}/rules/{{lang}}"\ntarget_langs = ["zh"]\n'
        '[[csv.files]]\nmatch = "shop/**/*.csv"\ncolumns = ["name"]\nmode = "per-language"\n'
        '[[csv.files]]\nmatch = "support/*.tsv"\nkeep = ["body"]\n', encoding="utf-8")
    assert main(["translate", str(job), "--emulator"]) == 0
    shop_in = table((exports / "shop/products.csv").read_bytes(), "p.csv")
    shop_out = table((tmp_path / "rules/zh/shop/products.csv").read_bytes(), "p.csv")
    name, desc = shop_in[0].index("name"), shop_in[0].index("description")
    assert all(n[name] != o[name] and n[desc] == o[desc] for o, n in zip(shop_in[1:], shop_out[1:]))
    tickets_in = table((exports / "support/tickets.tsv").read_bytes(), "t.tsv")
    tickets_out = table((tmp_path / "rules/zh/support/tickets.tsv").read_bytes(), "t.tsv")
    subject, body = tickets_in[0].index("subject"), tickets_in[0].index("body")
    assert all(n[subject] != o[subject] and n[body] == o[body] for o, n in zip(tickets_in[1:], tickets_out[1:]))


def test_estimate_lists_the_chosen_columns(exports, tmp_path, capsys):
    job = tmp_path / "job.toml"
    job.write_text(f'input = "{exports}"\noutput = "{tmp_path}/est/{{lang}}"\ntarget_langs = ["zh"]\n')
    assert main(["estimate", str(job)]) == 0
    out = capsys.readouterr().out
    assert "misc/strings.csv: columns translated (detected): text (prose" in out
    assert "kept: id (header names data: 'id')" in out
    assert not (tmp_path / "est").exists()


# --- the shared CSV corpus, through the CLI ---------------------------------------------


@pytest.mark.needs_shared
def test_shared_csv_corpus_pseudo_and_identity(tmp_path, capsys):
    folder = tmp_path / "csv"
    shutil.copytree(SHARED_CSV, folder)
    assert translate(folder, tmp_path / "p" / "pseudo", "pseudo") == 1  # the latin-1 file needs its encoding named
    report = {f["relpath"]: f for f in last_report(tmp_path / "p" / "pseudo")["files"]}
    failed = {rel: f["reason"] for rel, f in report.items() if f["status"] != "written"}
    assert list(failed) == ["csvkit__test_latin1.csv"] and "UTF-8" in failed["csvkit__test_latin1.csv"]
    assert len(report) == 11
    job = tmp_path / "job.toml"  # a rule names it: then all 11 are written
    job.write_text(f'input = "{folder}"\noutput = "{tmp_path}/r/{{lang}}"\ntarget_langs = ["zh"]\n'
                   '[[csv.files]]\nmatch = "*latin1.csv"\nencoding = "latin-1"\n', encoding="utf-8")
    assert main(["translate", str(job), "--emulator"]) == 0
    assert (tmp_path / "r" / "zh" / "csvkit__test_latin1.csv").read_bytes() == (folder / "csvkit__test_latin1.csv").read_bytes()
    changed = {}
    for rel, f in report.items():
        if rel in failed or rel == "godot__text.csv":
            continue
        before = table((folder / rel).read_bytes(), rel)
        after = table((tmp_path / "p" / "pseudo" / rel).read_bytes(), rel)
        assert after[0] == before[0] and len(after) == len(before)
        columns = {i for old, new in zip(before[1:], after[1:]) for i, (a, b) in enumerate(zip(old, new)) if a != b}
        changed[rel] = sorted(before[0][i] for i in columns)
        for old, new in zip(before[1:], after[1:]):
            for i in columns:
                assert reverse_pseudo(new[i], "zh") == old[i]
    assert changed["csvkit__README.csv"] == ["title"]
    assert changed["csvkit__ks_1033_data.csv"] == ["federal_supply_class_name"]
    assert changed["csvkit__iris.csv"] == [] and changed["csvkit__FY09_EDU_Recipients_by_State.csv"] == []
    godot = table((tmp_path / "p" / "pseudo" / "godot__text.csv").read_bytes(), "g.csv")
    assert godot[0] == ["KEYS", "en", "es", "ja", "zh"]  # a localization table: filled as before

    assert translate(folder, tmp_path / "i" / "identity", "identity") == 1  # its own state: no cache
    for rel in report:
        if rel not in failed and rel != "godot__text.csv":  # godot gains its zh column
            assert (tmp_path / "i" / "identity" / rel).read_bytes() == (folder / rel).read_bytes(), rel


def test_progress_counts_each_row_once_when_several_columns_are_translated(exports, tmp_path):
    from pipeline.config import job_from_flags, with_overrides
    from pipeline.emulator import EmulatorServer
    from pipeline.job.progress import Progress
    from pipeline.job.run import run_job
    from pipeline.translate.qwen_backend import QwenBackend

    from support import EMULATOR_KEY

    job = job_from_flags({"input": str(exports), "output": str(tmp_path / "out"), "target_langs": ["zh"],
                          "include": ["shop/*.csv"]})
    progress = Progress(interactive=False)
    with EmulatorServer(mode="pseudo", api_key=EMULATOR_KEY) as server:
        job = with_overrides(job, base_url=server.base_url)
        result = run_job(job, backend=QwenBackend(api_key=EMULATOR_KEY, base_url=server.base_url, timeout=10),
                         progress=progress)
    assert result.exit_code == 0
    assert progress.total == 60 and progress.done == 60  # name and description of 60 rows: 60, not more


def test_headerless_export_detects_by_values(load_csv, pseudo, lang):
    doc = load_csv("1,Hello there friend\n2,Good morning to you\n", header=False, source=None)
    assert [s.text for s in doc.segments()] == ["Hello there friend", "Good morning to you"]
    assert doc.decisions[0].startswith("columns translated (detected): column 2 (prose")
    assert doc.rebuild(lang("zh"), pseudo(doc)).decode() == "1,«Hello there friend»\n2,«Good morning to you»\n"


def test_add_mode_puts_translations_beside_the_detected_columns(load_csv, pseudo, lang):
    doc = load_csv("sku,blurb\nA-1,Ships in two days\nA-2,Made from recycled materials\n", mode="add", source=None)
    assert doc.combined
    out = doc.rebuild_combined({lang("zh"): pseudo(doc)}).decode()
    assert out.splitlines() == ["sku,blurb,blurb_zh", "A-1,Ships in two days,«Ships in two days»",
                                "A-2,Made from recycled materials,«Made from recycled materials»"]
