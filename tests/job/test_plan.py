"""The one plan (pipeline.job.plan): ``qmt estimate`` and the run agree exactly, packs span files.

A generated folder of small Markdown files (no ../shared needed): identical paragraphs
across files, paragraphs long enough to be split, a TM file (one exact match, fuzzy
neighbours) and a glossary. The run goes through the production backend over real HTTP
to the emulator.
"""
from __future__ import annotations

from dataclasses import replace

import pytest
from support import EMULATOR_KEY

from pipeline.config import load_job, with_overrides
from pipeline.job.estimate import estimate_job
from pipeline.memory.lookup import MemoryLookup
from pipeline.job.plan import Planner
from pipeline.job.progress import Progress
from pipeline.job.run import EXIT_OK, pool_settings, region_of, run_job
from pipeline.translate.qwen_backend import QwenBackend

SHARED = "The sync command copies every changed file to the bucket."
LONG = " ".join(f"Sentence number {i} explains how the folder and the bucket stay in step." for i in range(12))


def _folder(tmp_path, files: int) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(files):
        paragraphs = [f"Page {i} describes step {i} of the setup."]
        if i % 3 == 0:
            paragraphs.append(SHARED)                       # the same text in many files
        if i % 7 == 0:
            paragraphs.append(f"Page {i}: " + LONG)        # split at sentence boundaries
        if i % 2:
            paragraphs.append(f"Run the sync command in folder {i} every morning.")
        (src / f"p{i:03d}.md").write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    (tmp_path / "tm.csv").write_text(
        "source,target,source_lang,target_lang\n"
        f"{SHARED},同步命令把每个更改的文件复制到存储桶。,en,zh-CN\n"        # exact match (zh)
        "Run the sync command in folder 1 every evening.,每天晚上在文件夹 1 中运行同步命令。,en,zh-CN\n",  # fuzzy
        encoding="utf-8")
    (tmp_path / "terms.csv").write_text("en,zh,ja\nbucket,存储桶,バケット\nsync,同步,同期\n", encoding="utf-8")


def _job(tmp_path, files: int, **run):
    _folder(tmp_path, files)
    (tmp_path / "job.toml").write_text(
        'input = "in"\noutput = "out/{lang}"\nsource_lang = "en"\ntarget_langs = ["zh", "ja"]\n'
        'tm = "tm.csv"\nterms = "terms.csv"\n'
        '[run]\nrpm = 0\ntpm = 0\nconcurrency = 6\npack_tokens = 300\nmax_segment_tokens = 60\n', encoding="utf-8")
    job = load_job(tmp_path / "job.toml")
    return with_overrides(job, run=replace(job.run, **run)) if run else job


def _run(job, server):
    backend = QwenBackend(api_key=EMULATOR_KEY, base_url=server.base_url, timeout=10)
    return run_job(with_overrides(job, base_url=server.base_url), backend=backend,
                   progress=Progress(interactive=False))


@pytest.fixture(autouse=True)
def clean(server):
    server.reset()
    yield


@pytest.mark.parametrize("files,bound", [(40, 20000), (90, 100)])
def test_estimate_and_run_agree_exactly_on_requests_and_prompt_tokens(tmp_path, server, files, bound):
    job = _job(tmp_path, files, max_segments_in_memory=bound)
    est = estimate_job(job, pool_settings(job), region_of(job))
    result = _run(job, server)
    assert result.exit_code == EXIT_OK, [(f.relpath, f.status, f.reason) for f in result.files]
    assert sum(f.status == "written" for f in result.files) == files
    assert est.requests == server.billing.received == result.requests
    assert est.prompt_tokens == server.billing.prompt_tokens == result.prompt_tokens
    assert est.tm_hits == result.tm_hits > 0
    # Packed across files: far fewer requests than files x languages.
    assert est.requests < files


def _plan_folder(tmp_path, langs: str, run: str, **planner) -> tuple[list, list, Planner]:
    """Plan every file of ``tmp_path/in`` whole, in name order: (file plans, the open
    packs closed at the end, the planner)."""
    (tmp_path / "job.toml").write_text(f'input = "in"\noutput = "out/{{lang}}"\ntarget_langs = {langs}\n'
                                       f'[run]\n{run}\n', encoding="utf-8")
    job = load_job(tmp_path / "job.toml")
    lookup = MemoryLookup.open(job)
    try:
        plans = Planner(job, lookup, pool_settings(job), **planner)
        files = [plans.add(p, p.name) for p in sorted((tmp_path / "in").iterdir())]
        return files, plans.finish(), plans
    finally:
        lookup.close()


def test_packs_span_files_and_identical_text_is_planned_once(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(10):
        (src / f"f{i}.md").write_text(f"Only line of file {i}.\n\nThe same closing line.\n", encoding="utf-8")
    plans, rest, planner = _plan_folder(tmp_path, '["zh"]', "pack_tokens = 400")
    requests = [r for fp in plans for r in fp.requests] + rest
    assert all(fp.status == "planned" and len(fp.answers) == 2 for fp in plans)
    assert len(requests) == 1                      # one request for the ten files
    (request,) = requests
    assert len(request) == 11                      # ten own lines, the shared one once
    assert {u.origin for u in request} == {f"f{i}.md" for i in range(10)}
    assert planner.stats.segments == 20 and planner.stats.units == 11


def test_open_packs_close_when_too_many_files_wait_on_them(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(30):
        (src / f"f{i:02d}.md").write_text("\n\n".join(f"File {i} line {k}." for k in range(10)) + "\n",
                                          encoding="utf-8")
    plans, _, _ = _plan_folder(tmp_path, '["zh"]', "pack_tokens = 4000\npack_max_segments = 200", window=50)
    closed_after = [len(fp.requests) for fp in plans]
    # 10 segments a file: the sixth file takes the files waiting past 50 segments.
    assert closed_after[:6] == [0, 0, 0, 0, 0, 1]
    assert closed_after[6:12] == [0, 0, 0, 0, 0, 1]


@pytest.mark.parametrize("large,big_requests", [(25, [10, 10, 5, 10, 10, 5]), (26, [10, 10, 10, 10])])
def test_a_large_file_is_answered_one_language_after_the_other(tmp_path, monkeypatch, large, big_requests):
    """A large file (LARGE_FILE_SEGMENTS or more) that fills packs of its own sends each
    language's last pack when it has planned that language, so its zh requests all come
    before its ja ones (zh's output is rebuilt while ja is translated); a smaller one
    leaves its open packs to the next files; small files share packs across files."""
    import pipeline.job.plan as plan_module

    monkeypatch.setattr(plan_module, "LARGE_FILE_SEGMENTS", large)
    src = tmp_path / "in"
    src.mkdir()
    (src / "a_big.md").write_text("\n\n".join(f"Paragraph {k} of the big manual." for k in range(25)) + "\n",
                                  encoding="utf-8")
    for i in range(3):
        (src / f"b_small{i}.md").write_text(f"Small file {i}.\n", encoding="utf-8")
    (big, *small), rest, _ = _plan_folder(tmp_path, '["zh", "ja"]', "pack_tokens = 4000\npack_max_segments = 10")
    assert [len(r) for r in big.requests] == big_requests              # 25 paragraphs
    if large <= 25:                                                     # large: each language in turn
        assert [r[0].target.code for r in big.requests] == ["zh"] * 3 + ["ja"] * 3
        assert sorted(len(r) for r in rest) == [3, 3]                  # the small files, packed together
        assert {u.origin for r in rest for u in r} == {f"b_small{i}.md" for i in range(3)}
    else:                                                               # its last 5 wait for the small files
        assert sorted(len(r) for r in rest) == [8, 8]
    assert all(not fp.requests for fp in small)


def _manual(tmp_path, paragraphs: int, langs: str, run: str):
    """A job over one Markdown file ``in/big.md`` of ``paragraphs`` paragraphs."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "big.md").write_text("\n\n".join(f"Paragraph {k} of the manual." for k in range(paragraphs)) + "\n",
                                encoding="utf-8")
    (tmp_path / "job.toml").write_text(f'input = "in"\noutput = "out/{{lang}}"\ntarget_langs = {langs}\n'
                                       f'[run]\n{run}\n', encoding="utf-8")
    return load_job(tmp_path / "job.toml")


def test_a_file_planned_in_parts_gives_the_same_requests(tmp_path, monkeypatch):
    import pipeline.job.plan as plan_module

    job = _manual(tmp_path, 40, '["zh", "ja"]', "pack_tokens = 4000\npack_max_segments = 7")

    def planned(part_answers: int) -> tuple[list[int], list[list[str]]]:
        monkeypatch.setattr(plan_module, "PART_ANSWERS", part_answers)
        lookup = MemoryLookup.open(job)
        try:
            planner = Planner(job, lookup, pool_settings(job))
            fp = planner.load(tmp_path / "in" / "big.md", "big.md")
            parts = list(planner.parts(fp))
            requests = fp.requests + planner.finish()
        finally:
            lookup.close()
        assert sum(len(p.answers) for p in parts) == len(fp.answers) == 80
        return [len(p.answers) for p in parts], [[u.key[0] + u.target.code for u in r] for r in requests]

    sizes, in_parts = planned(15)
    assert sizes == [15, 15, 15, 15, 15, 5]
    whole_sizes, whole = planned(1000)
    assert whole_sizes == [80] and in_parts == whole


def test_a_large_file_sends_its_first_requests_before_it_is_planned_whole(tmp_path, server, monkeypatch):
    import pipeline.job.plan as plan_module
    import pipeline.job.run as run_module

    monkeypatch.setattr(plan_module, "PART_ANSWERS", 10)
    job = _manual(tmp_path, 30, '["zh"]', "rpm = 0\ntpm = 0\npack_max_segments = 5")
    events: list[str] = []
    parts, send = plan_module.Planner.parts, run_module._Stream._send

    def logged_parts(self, fp):
        for part in parts(self, fp):
            events.append("planned")
            yield part

    def logged_send(self, part, weights, waits):
        events.extend("sent" for _ in part.requests)
        send(self, part, weights, waits)

    monkeypatch.setattr(plan_module.Planner, "parts", logged_parts)
    monkeypatch.setattr(run_module._Stream, "_send", logged_send)
    result = _run(job, server)
    assert result.exit_code == EXIT_OK and server.billing.received == 6
    # Packs of 5 close when the 6th unit comes: each part's closed packs leave before the
    # next part is planned (the last open pack leaves when the job's planning ends).
    assert events == ["planned", "sent", "planned", "sent", "sent", "planned", "sent", "sent", "planned"]


def test_the_run_holds_at_most_the_memory_bound_plus_one_file(tmp_path, server, monkeypatch):
    import pipeline.job.run as run_module

    src = tmp_path / "in"
    src.mkdir()
    for i in range(60):
        (src / f"f{i:02d}.md").write_text("\n\n".join(f"File {i} line {k}." for k in range(10)) + "\n",
                                          encoding="utf-8")
    (tmp_path / "job.toml").write_text('input = "in"\noutput = "out/{lang}"\ntarget_langs = ["zh"]\n'
                                       '[run]\nrpm = 0\ntpm = 0\nmax_segments_in_memory = 100\n', encoding="utf-8")
    job = load_job(tmp_path / "job.toml")
    peak = []
    plan = run_module._Stream._plan

    async def watched(self, fp, planning):
        failed = await plan(self, fp, planning)
        peak.append(self.held)
        return failed

    monkeypatch.setattr(run_module._Stream, "_plan", watched)
    result = _run(job, server)
    assert result.exit_code == EXIT_OK and len(result.files) == 60
    assert len(peak) == 60 and max(peak) <= 100 - 1 + 10



def test_cli_estimate_predicts_the_cli_run(tmp_path, server, monkeypatch, capsys):
    from pipeline.cli import main

    _job(tmp_path, 25)
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    job_file = str(tmp_path / "job.toml")
    assert main(["estimate", job_file, "--base-url", server.base_url]) == 0
    out = capsys.readouterr().out
    figures = {k: int(line.split()[-1]) for line in out.splitlines() for k in ("requests", "prompt tokens")
               if line.strip().startswith(k) and line.split()[-1].isdigit()}
    assert main(["translate", job_file, "--base-url", server.base_url]) == 0
    assert figures == {"requests": server.billing.received, "prompt tokens": server.billing.prompt_tokens}


def test_the_same_inputs_give_the_same_requests_whatever_the_timing(tmp_path, server):
    sent = []
    for concurrency, latency in ((1, 0), (8, 20)):
        work = tmp_path / f"c{concurrency}"
        work.mkdir()
        job = _job(work, 20, concurrency=concurrency)
        server.reset()
        server.set_latency(latency, sigma=0.8 if latency else 0.0)  # answers come back in another order
        try:
            assert _run(job, server).exit_code == EXIT_OK
        finally:
            server.set_latency(0)
        sent.append(sorted(body["messages"][0]["content"] for body in server.billing.bodies()))
    assert sent[0] == sent[1] and len(sent[0]) > 1
