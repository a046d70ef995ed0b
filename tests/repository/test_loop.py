"""The loop users run, end to end through the command line and git: translate, commit the
outputs and the lock file, clone (no state folder), rerun, review in place, rerun, change
a source, check with --frozen. One Markdown, DOCX, PPTX, XLSX and CSV file each."""
from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from ooxml_support import build_book, build_deck
from pipeline.cli import main
from pipeline.emulator.pseudo import pseudo_translate
from support import EMULATOR_KEY, REPO, is_output

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

JOB = """name = "site"
input = "../docs"
output = "../i18n/{lang}"
source_lang = "en"
target_langs = [%s]

[csv]
mode = "fill"
key_column = "key"
"""
GIT_ENV = {"GIT_AUTHOR_NAME": "qmt test", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "qmt test",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
# One segment of each output a reviewer rewrites (source text -> the reviewer's text).
EDITS = {
    "getting-started.md": ("Install the client", "安装客户端（审校）"),
    "guide.docx": ("Before you begin", "开始之前（审校）"),
    "deck.pptx": ("Prepared for the board", "为董事会准备（审校）"),
    "book.xlsx": ("This sheet sums up the tickets of the quarter", "本表汇总本季度工单（审校）"),
    "ui_strings.csv": ("Sync now", "立即同步（审校）"),
}


def git(cwd: Path, *args: str) -> str:
    import os

    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **GIT_ENV})
    assert done.returncode == 0, done.stderr
    return done.stdout


def make_project(root: Path, langs: str = '"zh"') -> Path:
    """A repository with five documents and a job file; the state folder is ignored."""
    docs = root / "docs"
    docs.mkdir(parents=True)
    for name in ("getting-started.md", "guide.docx", "ui_strings.csv"):
        shutil.copy(REPO / "sample_docs" / name, docs / name)
    (docs / "deck.pptx").write_bytes(build_deck())
    (docs / "book.xlsx").write_bytes(build_book())
    (root / "jobs").mkdir()
    (root / "jobs" / "site.toml").write_text(JOB % langs, encoding="utf-8")
    (root / ".gitignore").write_text("i18n/.qmt/\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    return root / "jobs" / "site.toml"


@pytest.fixture
def service(server, monkeypatch):
    monkeypatch.setenv("DASHSCOPE_BASE_URL", server.base_url)
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    return server


def sent(server) -> int:
    return server.stats["billed"]["requests"]


def translate(job: Path, *flags: str) -> int:
    return main(["translate", str(job), *flags])


def outputs(root: Path) -> dict[str, bytes]:
    out = root / "i18n"
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if is_output(p)}


def edit_output(path: Path, before: str, after: str) -> None:
    """Replace the pseudo-translation of ``before`` with ``after`` in an output, as a
    reviewer would in an editor (in the part of an Office file that holds it)."""
    old = pseudo_translate(before, "zh")
    if path.suffix in (".md", ".csv"):
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, after, 1), encoding="utf-8")
        return
    with zipfile.ZipFile(path) as z:
        parts = {info: z.read(info.filename) for info in z.infolist()}
    hits = [info for info, data in parts.items() if old.encode() in data]
    assert hits, f"{old!r} not in {path}"
    parts[hits[0]] = parts[hits[0]].replace(old.encode(), after.encode(), 1)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for info, data in parts.items():
            z.writestr(info, data)
    path.write_bytes(buf.getvalue())


def holds(path: Path, text: str) -> bool:
    if path.suffix in (".md", ".csv"):
        return text in path.read_text(encoding="utf-8")
    with zipfile.ZipFile(path) as z:
        return any(text.encode() in z.read(n) for n in z.namelist())


def test_the_loop_keeps_edits_and_pays_nothing_twice(tmp_path, service, capsys):
    job = make_project(tmp_path / "origin")
    origin = job.parents[1]
    assert translate(job) == 0
    assert sent(service) > 0
    assert sorted(p.name for p in (origin / "i18n" / "site.qmtlock").iterdir()) == ["zh.lock"]
    git(origin, "add", "-A")
    git(origin, "commit", "-qm", "translated")
    written = outputs(origin)

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    cjob = clone / "jobs" / "site.toml"
    assert not (clone / "i18n" / ".qmt").exists()
    capsys.readouterr()
    assert main(["estimate", str(cjob)]) == 0
    assert "requests              0" in capsys.readouterr().out
    assert main(["check", str(cjob), "--fail-on", "error"]) == 0     # QA reads the committed outputs
    assert "total: 0 errors" in capsys.readouterr().out
    before = sent(service)
    assert translate(cjob) == 0
    assert sent(service) == before, "a fresh clone paid again for committed translations"
    assert outputs(clone) == written
    assert translate(cjob, "--frozen") == 0

    for name, (source, edited) in EDITS.items():
        edit_output(clone / "i18n" / "zh" / name, source, edited)
    assert translate(cjob, "--frozen") == 8
    for _ in range(3):
        assert translate(cjob) == 0
        for name, (_, edited) in EDITS.items():
            assert holds(clone / "i18n" / "zh" / name, edited), f"the edit of {name} was lost"
    assert sent(service) == before
    assert translate(cjob, "--frozen") == 0

    md = clone / "docs" / "getting-started.md"
    md.write_text(md.read_text(encoding="utf-8").replace("## Connect a folder", "## Connect a cloud folder"),
                  encoding="utf-8")
    assert translate(cjob, "--frozen") == 8
    assert translate(cjob) == 0
    assert sent(service) == before + 1
    assert translate(cjob, "--frozen") == 0
    for name, (_, edited) in EDITS.items():
        assert holds(clone / "i18n" / "zh" / name, edited)
    assert holds(clone / "i18n" / "zh" / "getting-started.md", pseudo_translate("Connect a cloud folder", "zh"))


def test_edits_enter_the_tm_as_human_and_outrank_force(tmp_path, service):
    job = make_project(tmp_path / "p")
    root = job.parents[1]
    assert translate(job) == 0
    out = root / "i18n" / "zh" / "getting-started.md"
    edit_output(out, *EDITS["getting-started.md"])
    assert translate(job, "--force") == 0
    assert holds(out, EDITS["getting-started.md"][1])
    assert main(["tm", "export", str(job), "-o", str(tmp_path / "tm.tmx")]) == 0
    tmx = (tmp_path / "tm.tmx").read_text(encoding="utf-8")
    at = tmx.index(EDITS["getting-started.md"][1])
    assert "<prop type=\"x-qmt-engine\">human</prop>" in tmx[at - 200:at]
    assert "human\t-\tsrc=Install the client" in (root / "i18n" / "site.qmtlock" / "zh.lock").read_text()


def test_a_changed_source_sends_the_old_human_translation_and_is_listed(tmp_path, service, capsys):
    job = make_project(tmp_path / "p")
    root = job.parents[1]
    assert translate(job) == 0
    edit_output(root / "i18n" / "zh" / "getting-started.md", *EDITS["getting-started.md"])
    assert translate(job) == 0
    shutil.rmtree(root / "i18n" / ".qmt")    # a fresh runner: only the repository remembers
    md = root / "docs" / "getting-started.md"
    md.write_text(md.read_text(encoding="utf-8").replace("## Install the client", "## Install the desktop client"),
                  encoding="utf-8")
    capsys.readouterr()
    service.billing.reset()
    assert translate(job) == 0
    (body,) = service.billing.bodies()
    tm_list = body["translation_options"]["tm_list"]
    assert tm_list[0] == {"source": "Install the client", "target": EDITS["getting-started.md"][1]}
    err = capsys.readouterr().err
    assert "human translation replaced: source changed" in err and "getting-started.md" in err


def test_a_broken_structure_is_reported_and_the_other_edits_kept(tmp_path, service, capsys):
    job = make_project(tmp_path / "p")
    root = job.parents[1]
    assert translate(job) == 0
    md = root / "i18n" / "zh" / "getting-started.md"
    edit_output(md, *EDITS["getting-started.md"])
    text = md.read_text(encoding="utf-8")
    table_row = [line for line in text.splitlines() if line.startswith("|") and "⟦zh⟧" in line][-1]
    md.write_text(text.replace(table_row + "\n", "", 1), encoding="utf-8")
    docx = root / "i18n" / "zh" / "guide.docx"
    edit_output(docx, *EDITS["guide.docx"])
    _delete_docx_paragraph(docx, pseudo_translate("Pick the model that fits your budget:", "zh"))
    capsys.readouterr()
    assert translate(job) == 0
    err = capsys.readouterr().err
    assert err.count("structure is not what qmt wrote") == 2
    assert holds(md, EDITS["getting-started.md"][1]) and holds(docx, EDITS["guide.docx"][1])
    assert holds(md, table_row.split("|")[1].strip())    # the deleted row is back, from its source


def _delete_docx_paragraph(path: Path, text: str) -> None:
    """Delete the paragraph holding ``text`` from a DOCX, as a reviewer might."""
    with zipfile.ZipFile(path) as z:
        parts = {info: z.read(info.filename) for info in z.infolist()}
    info = next(i for i in parts if i.filename == "word/document.xml")
    xml = parts[info].decode("utf-8")
    at = xml.index(text)
    start = max(xml.rfind("<w:p>", 0, at), xml.rfind("<w:p ", 0, at))
    end = xml.index("</w:p>", at) + len("</w:p>")
    parts[info] = (xml[:start] + xml[end:]).encode("utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i, data in parts.items():
            z.writestr(i, data)
    path.write_bytes(buf.getvalue())


def test_a_language_matrix_merges_without_conflicts(tmp_path, service):
    job = make_project(tmp_path / "origin", '"zh", "ja"')
    origin = job.parents[1]
    git(origin, "add", "-A")
    git(origin, "commit", "-qm", "sources")
    for lang in ("zh", "ja"):
        runner = tmp_path / f"runner-{lang}"
        git(tmp_path, "clone", "-q", str(origin), str(runner))
        assert translate(runner / "jobs" / "site.toml", "--to", lang) == 0
        git(runner, "checkout", "-qb", f"l10n-{lang}")
        git(runner, "add", "-A")
        git(runner, "commit", "-qm", f"translated {lang}")
        git(origin, "fetch", "-q", str(runner), f"l10n-{lang}:l10n-{lang}")
    git(origin, "merge", "-q", "--no-edit", "l10n-zh")
    git(origin, "merge", "-q", "--no-edit", "l10n-ja")    # asserts no conflict (exit 0)
    third = tmp_path / "third"
    git(tmp_path, "clone", "-q", str(origin), str(third))
    before = sent(service)
    for lang in ("zh", "ja"):
        assert translate(third / "jobs" / "site.toml", "--to", lang) == 0
    assert sent(service) == before


def test_a_moved_input_folder_is_refused_without_prune(tmp_path, service, capsys):
    job = make_project(tmp_path / "p")
    root = job.parents[1]
    assert translate(job) == 0
    (root / "docs").rename(root / "documentation")
    (root / "docs").mkdir()
    capsys.readouterr()
    assert translate(job) == 2
    err = capsys.readouterr().err
    (error,) = [line for line in err.splitlines() if line.startswith("qmt: error")]
    assert "--prune" in error and "5 of the 5 outputs" in error
    assert (root / "i18n" / "zh" / "guide.docx").exists()
    assert translate(job, "--prune") == 0
    assert not (root / "i18n" / "zh" / "guide.docx").exists()
    assert "removed" in capsys.readouterr().err
    assert not (root / "i18n" / "site.qmtlock" / "zh.lock").exists()


def test_frozen_sends_and_writes_nothing(tmp_path, service, capsys):
    job = make_project(tmp_path / "p")
    root = job.parents[1]
    before = sent(service)
    assert translate(job, "--frozen", "--summary", str(tmp_path / "summary.md")) == 8
    assert sent(service) == before
    assert not (root / "i18n").exists()
    err = capsys.readouterr().err
    assert "NOT up to date" in err and "segments to translate" in err
    assert "is NOT up to date" in (tmp_path / "summary.md").read_text()


def test_the_ci_summary_goes_to_github(tmp_path, service, monkeypatch):
    job = make_project(tmp_path / "p")
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code = translate(job, "--check")
    text = summary.read_text(encoding="utf-8")
    assert text.startswith(f"### qmt translate: job site, exit {code}") and "| requests |" in text
    assert "| QA findings |" in text


def test_emulated_outputs_are_never_served_to_the_service(tmp_path, service, capsys):
    job = make_project(tmp_path / "p")
    assert translate(job, "--emulator") == 0           # a keyless demo run: its own emulator
    lock = (job.parents[1] / "i18n" / "site.qmtlock" / "zh.lock").read_text(encoding="utf-8")
    assert "emulator:pseudo" in lock and "=engine" not in lock    # nothing learned from an explicit emulator
    capsys.readouterr()
    assert main(["estimate", str(job), "--emulator"]) == 0
    assert "requests              0" in capsys.readouterr().out
    assert translate(job, "--frozen", "--emulator") == 0
    assert translate(job, "--frozen") == 8              # the service would translate everything again
    assert main(["estimate", str(job)]) == 0
    assert "committed outputs     0" in capsys.readouterr().out


def test_an_ad_hoc_run_keeps_its_lock_file_beside_the_output_root(tmp_path, service, monkeypatch):
    make_project(tmp_path / "p")
    monkeypatch.chdir(tmp_path / "p")
    args = ["translate", "docs", "--to", "zh", "--from", "en", "--out", "build/{lang}", "--include", "*.md"]
    assert main(args) == 0
    (lock,) = (tmp_path / "p" / "build").glob("*.qmtlock/zh.lock")
    assert "getting-started.md\t*\t" in lock.read_text(encoding="utf-8")
    shutil.rmtree(tmp_path / "p" / "build" / ".qmt")
    before = sent(service)
    assert main(args) == 0 and sent(service) == before
