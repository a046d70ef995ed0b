"""Terms, TM, cache and --force through whole runs against the emulator over HTTP."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from support import EMULATOR_KEY, is_output

from pipeline.config import load_job, with_overrides
from pipeline.emulator import pseudo_translate
from pipeline.emulator.pseudo import PACK_MARKER_RE
from pipeline.memory.session import TERM_MISSING, TM_HIT
from pipeline.job.progress import Progress
from pipeline.job.run import EXIT_OK, run_job
from pipeline.translate.qwen_backend import QwenBackend
from pipeline.ledger.usage import read_ledger

REPO = Path(__file__).resolve().parents[2]
KEY = EMULATOR_KEY
JOB = """input = "in"
output = "out/{lang}"
exclude = ["**/*.py"]
source_lang = "en"
target_langs = ["zh", "ja"]
%s
[run]
concurrency = 3
rpm = 0
tpm = 0
backoff_initial = 0.01
backoff_max = 0.05
[csv]
key_column = "key"
"""


@pytest.fixture(autouse=True)
def clean(server):
    server.reset()
    server.set_mode("pseudo")
    yield


def make_job(tmp_path: Path, server, *, files: dict[str, str] | None = None, extra: str = "", **changes):
    src = tmp_path / "in"
    if files is None:
        shutil.copytree(REPO / "sample_docs", src, ignore=shutil.ignore_patterns("media"))  # documents only
    else:
        for rel, text in files.items():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            (src / rel).write_text(text, encoding="utf-8")
    (tmp_path / "job.toml").write_text(JOB % extra, encoding="utf-8")
    return with_overrides(load_job(tmp_path / "job.toml"), base_url=server.base_url, **changes)


def run(job, server):
    backend = QwenBackend(api_key=KEY, base_url=server.base_url, timeout=5)
    return run_job(job, backend=backend, progress=Progress(interactive=False))


def segments_of(body) -> list[str]:
    """The segment texts one request carried (several when packed)."""
    return [p.strip() for p in PACK_MARKER_RE.sub("\0", body["messages"][0]["content"]).split("\0") if p.strip()]


def sent(server) -> list[tuple[str, str]]:
    """(segment text, target language) of every segment the emulator was asked for."""
    return [(text, b["translation_options"]["target_lang"]) for b in server.billing.bodies()
            for text in segments_of(b)]


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if is_output(p)}


def test_unchanged_job_run_twice_makes_no_request_the_second_time(tmp_path, server):
    job = make_job(tmp_path, server)
    first = run(job, server)
    assert first.exit_code == EXIT_OK and first.requests > 0
    asked = set(sent(server))
    outputs = digest(tmp_path / "out")
    server.reset()
    second = run(job, server)
    assert second.exit_code == EXIT_OK
    assert server.billing.received == 0 and second.requests == 0
    assert second.committed_hits + second.cache_hits + second.tm_hits == len(asked)
    assert digest(tmp_path / "out") == outputs


def test_editing_one_paragraph_requests_only_that_paragraph(tmp_path, server):
    job = make_job(tmp_path, server)
    run(job, server)
    doc = tmp_path / "in" / "getting-started.md"
    doc.write_text(doc.read_text(encoding="utf-8").replace("## Connect a folder", "## Connect the folder"),
                   encoding="utf-8")
    server.reset()
    result = run(job, server)
    assert result.exit_code == EXIT_OK
    assert sorted(sent(server)) == [("Connect the folder", "Chinese"), ("Connect the folder", "Japanese")]
    text = (tmp_path / "out" / "ja" / "getting-started.md").read_text(encoding="utf-8")
    assert "## " + pseudo_translate("Connect the folder", "Japanese") in text
    # The old heading, now in the job's TM, went along as a fuzzy match.
    options = server.billing.bodies()[0]["translation_options"]
    assert [e["source"] for e in options["tm_list"]] == ["Connect a folder"]


def test_force_retranslates_everything(tmp_path, server):
    job = make_job(tmp_path, server)
    run(job, server)
    asked = sorted(sent(server))
    server.reset()
    forced = run(with_overrides(job, force=True), server)
    assert sorted(sent(server)) == asked and forced.requests > 0
    assert forced.cache_hits == forced.tm_hits == 0


def test_exact_tm_match_makes_no_request_and_is_a_zero_token_ledger_row(tmp_path, server):
    (tmp_path / "tm.csv").write_text("source,target,source_lang,target_lang\n"
                                     "Hello   world.,你好，世界。,en,zh-CN\n", encoding="utf-8")
    job = make_job(tmp_path, server, files={"a.md": "Hello world.\n\nSomething else.\n"}, extra='tm = "tm.csv"')
    result = run(job, server)
    assert result.exit_code == EXIT_OK and result.tm_hits == 1
    assert ("Hello world.", "Chinese") not in sent(server)
    assert ("Hello world.", "Japanese") in sent(server)   # the TM has no Japanese
    assert (tmp_path / "out" / "zh" / "a.md").read_text(encoding="utf-8").startswith("你好，世界。\n")
    ledger = read_ledger(job.state_dir / "ledger")
    hits = ledger.filter(ledger["status"] == TM_HIT)
    assert hits.height == 1 and hits["prompt_tokens"].sum() == hits["completion_tokens"].sum() == 0
    assert hits["file"].to_list() == ["a.md"] and hits["target_lang"].to_list() == ["zh"]
    assert ledger.height - hits.height == server.billing.received


def test_fuzzy_match_is_sent_as_tm_list(tmp_path, server):
    tmx = ('<?xml version="1.0"?><tmx version="1.4"><header srclang="en" segtype="sentence" o-tmf="x" '
           'adminlang="en" datatype="plaintext" creationtool="t" creationtoolversion="1"/><body>'
           '<tu><tuv xml:lang="en"><seg>Run the sync command every night.</seg></tuv>'
           '<tuv xml:lang="zh-CN"><seg>每晚运行同步命令。</seg></tuv></tu>'
           '<tu><tuv xml:lang="en"><seg>Completely unrelated words here.</seg></tuv>'
           '<tuv xml:lang="zh-CN"><seg>无关。</seg></tuv></tu></body></tmx>')
    (tmp_path / "mem.tmx").write_text(tmx, encoding="utf-8")
    job = make_job(tmp_path, server, files={"a.md": "Run the sync command every morning.\n"}, extra='tm = "mem.tmx"')
    assert run(job, server).exit_code == EXIT_OK
    by_lang = {b["translation_options"]["target_lang"]: b["translation_options"] for b in server.billing.bodies()}
    assert by_lang["Chinese"]["tm_list"] == [{"source": "Run the sync command every night.", "target": "每晚运行同步命令。"}]
    assert "tm_list" not in by_lang["Japanese"]


def test_only_occurring_terms_are_sent_and_applied(tmp_path, server):
    (tmp_path / "terms.csv").write_text("en,zh,ja\nbucket,存储桶,バケット\nsync,同步,同期\nfolder,文件夹,フォルダー\n"
                                        "token,令牌,トークン\n", encoding="utf-8")
    job = make_job(tmp_path, server, files={"a.md": "Link a Folder to a bucket.\n\nSynchronize now.\n"},
                   extra='terms = "terms.csv"')
    result = run(job, server)
    assert result.exit_code == EXIT_OK and not result.files[0].problems
    by_lang = {b["translation_options"]["target_lang"]: b for b in server.billing.bodies()}
    assert len(by_lang) == server.billing.received == 2   # both segments packed in one request per language
    assert by_lang["Chinese"]["translation_options"]["terms"] == [
        {"source": "folder", "target": "文件夹"}, {"source": "bucket", "target": "存储桶"}]
    assert by_lang["Japanese"]["translation_options"]["terms"] == [
        {"source": "folder", "target": "フォルダー"}, {"source": "bucket", "target": "バケット"}]
    # "sync" is not a word of "Synchronize"; "token" does not occur at all.
    assert "文件夹" in (tmp_path / "out" / "zh" / "a.md").read_text(encoding="utf-8")


def test_a_term_the_translation_misses_is_reported_but_the_file_is_written(tmp_path, server):
    server.set_mode("identity")   # "translates" without applying any term
    (tmp_path / "terms.csv").write_text("source,target\nbucket,存储桶\n", encoding="utf-8")
    job = make_job(tmp_path, server, files={"a.md": "Empty the bucket.\n\nNo terms here.\n"},
                   extra='terms = "terms.csv"')
    result = run(job, server)
    (report,) = result.files
    assert result.exit_code == EXIT_OK and report.status == "written"
    assert {(p.lang, p.status) for p in report.problems} == {("zh", TERM_MISSING), ("ja", TERM_MISSING)}
    assert all("bucket" in p.reason and "存储桶" in p.reason for p in report.problems)
    # Reported again when the translation comes from the cache.
    server.reset()
    again = run(job, server)
    assert server.billing.received == 0 and len(again.files[0].problems) == 2


def test_a_changed_glossary_retranslates_only_the_segments_it_touches(tmp_path, server):
    (tmp_path / "terms.csv").write_text("source,target\nbucket,桶\n", encoding="utf-8")
    job = make_job(tmp_path, server, files={"a.md": "Empty the bucket.\n\nNo terms here.\n"},
                   extra='terms = "terms.csv"')
    run(job, server)
    (tmp_path / "terms.csv").write_text("source,target\nbucket,存储桶\n", encoding="utf-8")
    server.reset()
    run(load_job_again(job, tmp_path, server), server)
    assert sorted(sent(server)) == [("Empty the bucket.", "Chinese"), ("Empty the bucket.", "Japanese")]
    assert "存储桶" in (tmp_path / "out" / "zh" / "a.md").read_text(encoding="utf-8")


def load_job_again(job, tmp_path, server):
    return with_overrides(load_job(tmp_path / "job.toml"), base_url=server.base_url)


def test_identical_segments_are_translated_once_and_results_are_cached(tmp_path, server):
    job = make_job(tmp_path, server, files={"a.md": "Same text.\n", "b.md": "Same text.\n"}, extra="cache = true")
    run(job, server)
    assert server.billing.received == 2   # once per language


def test_the_state_store_never_holds_the_api_key(tmp_path, server):
    job = make_job(tmp_path, server, files={"a.md": "Hello.\n"})
    run(job, server)
    for path in job.state_dir.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_cli_force_and_tm_export(tmp_path, server, capsys):
    from pipeline.cli import main
    from lxml import etree

    make_job(tmp_path, server, files={"a.md": "# Title\n\nFirst paragraph.\n"})
    args = ["translate", str(tmp_path / "job.toml"), "--emulator"]
    assert main(args) == EXIT_OK
    assert main(args) == EXIT_OK
    assert " 0 requests" in capsys.readouterr().err.splitlines()[-1]
    assert main([*args, "--force"]) == EXIT_OK
    assert " 0 requests" not in capsys.readouterr().err.splitlines()[-1]

    out = tmp_path / "job.tmx"
    assert main(["tm", "export", str(tmp_path / "job.toml"), "-o", str(out), "--include-emulated"]) == EXIT_OK
    root = etree.parse(str(out)).getroot()
    units = {tu.findtext("tuv[1]/seg"): [tuv.get("{http://www.w3.org/XML/1998/namespace}lang")
                                          for tuv in tu.findall("tuv")] for tu in root.iter("tu")}
    assert units == {"Title": ["en", "zh-CN", "ja"], "First paragraph.": ["en", "zh-CN", "ja"]}
    seg = root.find(".//tu/tuv[2]/seg")
    assert seg.text == pseudo_translate("Title", "Chinese") or seg.text == pseudo_translate("First paragraph.", "Chinese")


def test_an_unreadable_glossary_stops_the_run_before_any_request(tmp_path, server):
    from pipeline.errors import ConfigError

    (tmp_path / "terms.tbx").write_text("<martif><text>", encoding="utf-8")
    job = make_job(tmp_path, server, files={"a.md": "Hello.\n"}, extra='terms = "terms.tbx"')
    with pytest.raises(ConfigError, match="terms.tbx"):
        run(job, server)
    assert server.billing.received == 0


def test_cache_false_reuses_nothing_from_earlier_runs(tmp_path, server):
    files = {"a.md": "First paragraph.\n\nSecond paragraph.\n"}
    run(make_job(tmp_path, server, files=files), server)
    first = server.billing.received
    result = run(make_job(tmp_path, server, files=files, extra="cache = false"), server)
    assert server.billing.received == 2 * first
    assert result.cache_hits == 0 and result.tm_hits == 0


def test_a_translation_the_format_refuses_is_not_reused(tmp_path, server, monkeypatch):
    from pipeline.formats.markdown import MarkdownDocument

    original = MarkdownDocument.rebuild

    def refusing(self, lang, translations):
        data = original(self, lang, translations)
        first = self.segments()[0]
        self.fallbacks = {first.id: "inline markup would not survive"}  # as the writer reports it
        return data

    files = {"a.md": "First paragraph.\n\nSecond paragraph.\n"}
    monkeypatch.setattr(MarkdownDocument, "rebuild", refusing)
    result = run(make_job(tmp_path, server, files=files), server)
    (report,) = result.files
    assert report.status == "partial" and {p.status for p in report.problems} == {"fallback"}
    monkeypatch.setattr(MarkdownDocument, "rebuild", original)
    sent = server.billing.received
    result = run(make_job(tmp_path, server, files=files), server)
    assert result.files[0].status == "written"
    again = [b["messages"][0]["content"] for b in server.billing.bodies()[sent:]]
    assert any("First paragraph." in c for c in again)       # asked for again ...
    assert not any("Second paragraph." in c for c in again)  # ... the other one came from the cache


def test_identity_is_byte_identical_whatever_answers_a_segment(tmp_path, server):
    """Issue 11: a soft line break was lost when a segment was answered from memory by an
    earlier one differing only in whitespace; where an answer comes from (request, cache,
    the job's memory, a neighbour in the same run) must not change the bytes written."""
    server.set_mode("identity")
    flat = {f"p{i:02d}.md": f"# Page {i}\n\nFoo bar number {i} is here.\n" for i in range(20)}
    broken = {f"q{i:02d}.md": f"# Page {i}\n\nFoo\nbar number {i}  is here.\n" for i in range(20)}
    job = make_job(tmp_path, server, files=flat)
    assert run(job, server).exit_code == EXIT_OK
    for rel, text in broken.items():  # the same sentences, reflowed, join the job
        (tmp_path / "in" / rel).write_text(text, encoding="utf-8")
    for _ in range(3):
        assert run(job, server).exit_code == EXIT_OK
        for lang in ("zh", "ja"):
            for rel, text in {**flat, **broken}.items():
                assert (tmp_path / "out" / lang / rel).read_text(encoding="utf-8") == text, (lang, rel)
