"""XLIFF over the shared corpus: every export validates against the OASIS schemas in
``../shared/schemas/xliff`` and reads the same with an independent implementation
(translate-toolkit); a reviewed file of a real document round-trips into the next run.
"""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from support import CORPUS, EMULATOR_KEY, SHARED
from xliff_review import ISOLATED, PAIRED, ReviewedFile, change_words, delete_code, move_pair, sent_segments

from pipeline.cli import main
from pipeline.review.qa.gate import find_problems
from pipeline.review.xliff import export as export_module
from pipeline.review.qa.snapshot import job_state
from pipeline.segments import plain_text

SCHEMAS = {"2.1": SHARED / "schemas" / "xliff" / "2.1" / "xliff_core_2.0.xsd",
           "1.2": SHARED / "schemas" / "xliff" / "1.2" / "xliff-core-1.2-strict.xsd"}
JOB = """input = "%s"
output = "out/{lang}"
source_lang = "en"
target_langs = ["fr", "ja"]
base_url = "%s"
[run]
rpm = 0
tpm = 0
"""

pytestmark = [pytest.mark.needs_shared,   # skipped with the one ../shared reason; CI requires it
              pytest.mark.slow]         # the whole corpus translated, walked once, exported in both versions


@pytest.fixture(scope="module")
def corpus_job(tmp_path_factory, server):
    """The corpus translated once (pseudo emulator) through the CLI."""
    root = tmp_path_factory.mktemp("xliff_corpus")
    path = root / "job.toml"   # every format qmt reads; the corpus is only read
    path.write_text(JOB % (CORPUS, server.base_url), encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    server.reset()
    server.set_mode("pseudo")
    main(["translate", str(path)])  # a few corpus CSVs need options: partial (exit 1) is expected
    yield path
    mp.undo()


@pytest.fixture(scope="module")
def exports(corpus_job):
    """The whole corpus exported once in each version, before any test takes a review in,
    and the job's state it was exported from (the tests read these, none writes them).

    Both exports run the CLI, and both read one state: the first export's own
    :func:`job_state` call and its findings (:func:`find_problems`) are recorded and handed
    to the second export, which asks for them with the same arguments (nothing changes the
    job in between). Walking and checking the corpus costs more than writing it out, and
    the tests compare every file of both versions with that state."""
    folders, asked, states, findings = {}, [], [], []

    def walked(*args, **kwargs):
        asked.append((args, kwargs))
        if not states:
            states.append(job_state(*args, **kwargs))
        return states[0]

    def checked(state):
        assert state is states[0]
        if not findings:
            findings.append(find_problems(state))
        return list(findings[0])

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(export_module, "job_state", walked)
        mp.setattr(export_module, "find_problems", checked)
        for version in SCHEMAS:
            folders[version] = corpus_job.parent / f"xl-{version}"
            main(["xliff", "export", str(corpus_job), "--xliff", version, "-o", str(folders[version])])
    # Each export asked for the job's state once, both with the same arguments.
    assert len(asked) == len(SCHEMAS) and all(call == asked[0] for call in asked)
    return folders, states[0]


@pytest.mark.parametrize("version", ["2.1", "1.2"])
def test_every_export_validates_and_reads_the_same_elsewhere(exports, version):
    from translate.storage import xliff, xliff2

    folders, state = exports
    out = folders[version]
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS[version])))
    readable = [f for f in state.files if f.rows]
    files = sorted(out.rglob("*.xlf"))
    # One file per document and language that needs something (a CSV filled in place
    # needs nothing in a language whose cells all have a value: no file for it).
    wanted = [(f, lang) for f in readable for lang in ("fr", "ja") if any(r.lang.code == lang for r in f.rows)]
    assert len(readable) > 90 and len(files) == len(wanted) >= 2 * len(readable) - 2
    reader = xliff2.Xliff2File if version == "2.1" else xliff.xlifffile
    for file_state, lang in wanted:
        path = out / lang / f"{file_state.relpath}.xlf"
        doc = etree.parse(str(path))
        assert schema.validate(doc), f"{path}: {schema.error_log.last_error}"
        with path.open("rb") as fh:
            units = reader.parsefile(fh).units
        rows = [r for r in file_state.rows if r.lang.code == lang]
        assert [u.source for u in units] == [plain_text(r.segment.text) for r in rows], path
        assert [u.target or None for u in units] == [plain_text(r.target) if r.target else None for r in rows]


@pytest.mark.parametrize("relpath", ["markdown/vite__guide__env-and-mode.md", "docx/pydocx__comments-rich-para.docx"])
def test_reviewed_corpus_document_round_trips(corpus_job, exports, server, capsys, relpath):
    # The reviewer's copy of the document's French file of the XLIFF 2.1 export (the
    # default version), in a folder of its own: the export itself stays as it was written.
    path = corpus_job.parent / f"xl-review-{Path(relpath).suffix[1:]}" / "fr" / f"{relpath}.xlf"
    path.parent.mkdir(parents=True)
    shutil.copyfile(exports[0]["2.1"] / "fr" / f"{relpath}.xlf", path)
    f = ReviewedFile(path)
    plain = f.pick(lambda u: not f.codes(u, PAIRED + ISOLATED) and len(f.source(u).text or "") > 30)
    change_words(f.target(plain), "Une phrase revue par une personne.")
    paired = f.pick(lambda u: len(f.codes(u, PAIRED)) == 1, exclude=[plain])
    move_pair(f.target(paired), "DÉPLACÉ")
    broken = f.pick(lambda u: f.codes(u, ISOLATED), exclude=[plain, paired])
    delete_code(f.target(broken))
    f.save()
    capsys.readouterr()
    assert main(["xliff", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"qmt: refused: {path}: unit {broken.get('id')} ({broken.get('name')}): inline codes: missing <x" in err
    assert "2 units applied" in err

    server.reset()
    main(["translate", str(corpus_job), "--force", "--include", relpath])
    sent = sent_segments(server.emulator.ledger.bodies(), "French")
    reviewed = {plain_text_of(f, plain), plain_text_of(f, paired)}
    assert sent and not {s for s in sent if plain_text(s) in reviewed}
    written = corpus_job.parent / "out" / "fr" / relpath
    text = docx_text(written) if written.suffix == ".docx" else written.read_text(encoding="utf-8")
    assert "Une phrase revue par une personne." in text and "DÉPLACÉ" in text


def docx_text(path: Path) -> str:
    """Every paragraph's text in every XML part of a DOCX, one paragraph a line."""
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    lines = []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("word/") and name.endswith(".xml"):
                root = etree.fromstring(z.read(name))
                lines += ["".join(t.text or "" for t in p.iter(f"{w}t")) for p in root.iter(f"{w}p")]
    return "\n".join(lines)


def plain_text_of(f: ReviewedFile, unit) -> str:
    """The unit's source text as the engine would see it, without codes."""
    return "".join(f.source(unit).itertext())
