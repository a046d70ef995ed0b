"""The benchmark folders (``bench/folders.py``): same bytes every time, the promised shape,
and what qmt's own loaders extract from them; the bench harness reads estimates right."""
from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import docx
import pytest

from pipeline.job.estimate import Estimate, format_estimate
from pipeline.formats import LoadContext, handler_for
from pipeline.languages import lookup

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str):
    """A module of bench/ (not a package): imported from its file, its folder on the path
    for its own sibling imports."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module     # dataclasses look their module up while it runs
    spec.loader.exec_module(module)
    return module


folders = _load("folders")
harness = _load("harness")


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _segments(path: Path, options) -> list[str]:
    ctx = LoadContext(path, path.read_bytes(), options, lookup("en"), (lookup("zh"),))
    return [s.text for s in handler_for(path).load(ctx).segments()]


def test_small_markdown_is_deterministic_and_a_prefix_of_a_larger_folder(tmp_path):
    folders.write_small_markdown(tmp_path / "a", 30)
    folders.write_small_markdown(tmp_path / "b", 30)
    folders.write_small_markdown(tmp_path / "c", 120)
    a, b, c = _tree(tmp_path / "a"), _tree(tmp_path / "b"), _tree(tmp_path / "c")
    assert a == b
    assert len(c) == 120 and {k: c[k] for k in a} == a
    assert len({p.split("/")[0] for p in c}) == 2     # 100 files per subfolder


def test_small_markdown_pages_hold_a_heading_and_one_to_three_distinct_paragraphs(tmp_path):
    from pipeline.formats.options import MarkdownOptions

    paths = folders.write_small_markdown(tmp_path, 40)
    seen: list[str] = []
    for path in paths:
        blocks = path.read_text(encoding="utf-8").strip().split("\n\n")
        assert blocks[0].startswith("# ") and 2 <= len(blocks) <= 4
        segments = _segments(path, MarkdownOptions())
        assert len(segments) == len(blocks)
        seen += segments
    assert len(set(seen)) == len(seen)                # nothing for the cache or de-duplication


def test_docx_is_deterministic_and_holds_the_paragraphs_asked_for(tmp_path):
    from pipeline.formats.options import DocxOptions

    first = folders.write_docx(tmp_path / "a.docx", 60).read_bytes()
    second = folders.write_docx(tmp_path / "b.docx", 60).read_bytes()
    assert first == second
    body = [p.text for p in docx.Document(str(tmp_path / "a.docx")).paragraphs if p.text]
    assert body == [text for _, text in folders.docx_paragraphs(60)]
    assert sum(1 for p in docx.Document(str(tmp_path / "a.docx")).paragraphs if p.style.name == "Heading 1") == 3
    assert len(_segments(tmp_path / "a.docx", DocxOptions())) == 60


def test_l10n_csv_is_a_localization_table_with_empty_targets(tmp_path):
    from pipeline.formats.options import CsvOptions

    path = folders.write_l10n_csv(tmp_path / "s.csv", 90, ("zh", "ja"))
    assert path.read_bytes() == folders.write_l10n_csv(tmp_path / "t.csv", 90, ("zh", "ja")).read_bytes()
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["key", "en", "zh", "ja"] and len(rows) == 91
    assert all(r[2] == r[3] == "" for r in rows[1:])
    assert len({r[0] for r in rows[1:]}) == 90 and len({r[1] for r in rows[1:]}) == 90
    assert any("{" in r[1] for r in rows[1:])         # UI strings with placeholders
    assert len(_segments(path, CsvOptions(mode="fill", key_column="key"))) == 90


def test_the_docs_site_mixes_many_small_pages_with_a_few_huge_ones_in_three_formats(tmp_path):
    from pipeline.formats.options import HtmlOptions, MarkdownOptions, MdxOptions

    paths = folders.write_docs_site(tmp_path / "a", 40)
    folders.write_docs_site(tmp_path / "b", 40)
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert {p.suffix for p in paths} == {".md", ".mdx", ".html"}
    sizes = folders.docs_page_sizes(155)
    assert min(sizes) == 1 and max(sizes) == 1000 and sorted(sizes)[77] < 50   # median small, tail huge
    assert sum(s > 400 for s in sizes) == 3            # the huge pages: 1,000, 640 and 420
    options = {".md": MarkdownOptions(), ".mdx": MdxOptions(), ".html": HtmlOptions()}
    for path, size in zip(paths, sizes):
        # Headings, paragraphs, list items and table cells; a table's code cells are not text.
        found = len(_segments(path, options[path.suffix]))
        assert 0.6 * size <= found <= size + 3, (path.name, size, found)   # MDX: title and description too


def test_the_harness_reads_the_numbers_qmt_estimate_prints():
    est = Estimate("j", "qwen-mt-flash", "singapore", files=3, segments=1234, units=1200, requests=56,
                   prompt_tokens=78901, completion_tokens=23456)
    assert harness.parse_estimate(format_estimate(est)) == {
        "segments": 1234, "requests": 56, "prompt_tokens": 78901, "completion_tokens": 23456}


@pytest.mark.parametrize(("rpm", "tpm", "scale", "expected"),
                         [(60, 100_000, 0.02, ["--rpm", "60", "--tpm", "100000", "--minute-seconds", "1.2"]),
                          (None, None, 1.0, ["--rpm", "0", "--tpm", "0", "--minute-seconds", "60"])])
def test_qmt_paces_for_the_emulators_scaled_minute(rpm, tpm, scale, expected):
    assert harness.Emulated(rpm=rpm, tpm=tpm, time_scale=scale).client_limits() == expected


def test_misaligned_counts_translations_that_do_not_reverse_to_their_own_source(tmp_path):
    import sqlite3

    from pipeline.emulator import pseudo_translate

    job = tmp_path / "job.toml"
    state = harness.state_dir(job, "j")
    state.mkdir(parents=True)
    sources = ["Open the file.", "Save the table.", "Close the window."]
    with sqlite3.connect(state / "state.sqlite") as conn:
        conn.execute("CREATE TABLE tm (source TEXT, target TEXT, target_lang TEXT)")
        answers = [pseudo_translate(s, "zh") for s in sources]
        answers[1], answers[2] = answers[2], answers[1]          # two neighbours swapped
        conn.executemany("INSERT INTO tm VALUES (?, ?, 'zh')", zip(sources, answers))
    assert harness.misaligned(job, "j") == (2, 3)
    assert harness.misaligned(tmp_path / "other" / "job.toml", "j") == (-1, 0)


def test_json_catalogue_is_deterministic_and_every_key_is_one_segment(tmp_path):
    import json

    a = folders.write_json_catalog(tmp_path / "a/locales/en/app.json", 80)
    b = folders.write_json_catalog(tmp_path / "b/locales/en/app.json", 80)
    assert a.read_bytes() == b.read_bytes()
    values = [v for section in json.loads(a.read_text("utf-8")).values() for v in section.values()]
    assert len(values) == 80 == len(set(values))
    assert len(_segments(a, None)) == 80          # one value, one segment (placeholders as tags)


def test_po_catalogue_is_a_template_msgfmt_and_polib_read(tmp_path):
    import polib
    from catalog_support import MSGFMT, msgfmt_check

    path = folders.write_po_catalog(tmp_path / "po/messages.pot", 100)
    assert path.read_bytes() == folders.write_po_catalog(tmp_path / "again.pot", 100).read_bytes()
    po = polib.pofile(str(path))
    assert len(po) == 100 and sum(1 for e in po if e.msgid_plural) == 5 and sum(1 for e in po if e.msgctxt) == 14   # every 7th but the plural 0
    if MSGFMT is not None:
        assert msgfmt_check(path).returncode == 0


def test_the_catalogues_share_of_the_limit_is_set_beside_markdowns():
    bench_job = _load("bench_job")

    def run(tokens: int) -> object:
        return bench_job.Measured(files=1, segments=1, wall=bench_job.LIMITED.minute * 10, requests=1, tokens=tokens,
                                  refused=0, splits=0, resent=0, misaligned=0, checked=1, peak_mb=1, code=0,
                                  run_requests=1, run_prompt=1)

    line = bench_job.catalog_share({"small": run(900_000), "json": run(880_000), "po": run(700_000)})
    assert line == "Markdown (small) 90% of TPM; json 88% met; po 70% NOT met"
    assert bench_job.catalog_share({"json": run(1)}) == ""
