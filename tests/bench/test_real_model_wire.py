"""The real-model benchmark's readers (bench/real_model_wire.py, bench/bench_real_model.py,
bench/real_model.py): what they count in a model's answer, and the outputs check that
proves alignment by each paragraph's reference number. Fast; no model involved."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from pipeline.config import load_job

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


wire = _load("real_model_wire")
bench = _load("bench_real_model")
real_model = _load("real_model")

PACKED = "⟦§1⟧ Keep <g1>this</g1>.\n\n⟦§2⟧ Shows {count} files.\n\n⟦§3⟧ Third one <x1/>.\n\n⟦§4⟧"


def _judge(answer: str, user: str = PACKED):
    return wire.judge(wire.Exchange(user, answer, 100, 40))


def test_sources_of_a_framed_message() -> None:
    assert wire.sources_of(PACKED) == ["Keep <g1>this</g1>.", "Shows {count} files.", "Third one <x1/>."]
    assert wire.sources_of("⟦§1⟧ Alone.\n\n⟦§2⟧") == ["Alone."]


def test_an_intact_answer_counts_nothing_but_the_request() -> None:
    got = _judge("⟦§1⟧ 保留<g1>这个</g1>。\n\n⟦§2⟧ 显示 {count} 个文件。\n\n⟦§3⟧ 第三个<x1/>。\n\n⟦§4⟧")
    assert (got.requests, got.packed, got.segments_sent, got.tokens) == (1, 1, 3, 140)
    assert (got.damaged, got.merged, got.split, got.tags_dropped, got.placeholders_dropped) == (0, 0, 0, 0, 0)


def test_a_lost_marker_is_damage_and_a_merge() -> None:
    got = _judge("⟦§1⟧ 保留<g1>这个</g1>。显示 {count} 个文件。\n\n⟦§3⟧ 第三个<x1/>。")
    assert (got.damaged, got.merged) == (1, 1)


def test_dropped_tags_placeholders_and_a_split_piece() -> None:
    got = _judge("⟦§1⟧ 保留这个。\n\n⟦§2⟧ 显示文件。\n\n⟦§3⟧ 第三个\n\n<x1/>。\n\n⟦§4⟧")
    assert (got.damaged, got.tags_dropped, got.placeholders_dropped, got.split) == (0, 1, 1, 1)


def test_markers_in_cjk_brackets_are_counted_and_read_as_markers() -> None:
    got = _judge("【§1】 保留<g1>这个</g1>。\n\n【§2】 显示 {count} 个文件。\n\n【§3】 第三个<x1/>。\n\n【§4】")
    assert (got.cjk_markers, got.damaged, got.merged) == (1, 0, 0)


def test_a_single_segment_answered_without_its_marker_is_still_read() -> None:
    got = _judge("显示文件。", "⟦§1⟧ Shows {count} files.\n\n⟦§2⟧")
    assert (got.packed, got.damaged, got.placeholders_dropped) == (0, 0, 1)


def test_outputs_check_finds_a_swapped_paragraph_and_a_lost_number(tmp_path) -> None:
    refs = bench.make_folder(tmp_path, 4)
    assert refs == ["4100", "4101", "4102", "4103"]
    out = tmp_path / "out"
    out.mkdir()
    (out / "page00.md").write_text("甲 (ref 4100)\n\n乙 4102\n\n丙\n\n丁 4103\n", encoding="utf-8")
    assert bench.check_outputs(out, refs) == (1, 1)      # 4101's place holds 4102's text; 4102's lost its number


def test_a_model_file_of_the_wrong_size_is_not_taken_as_verified(tmp_path) -> None:
    fake = tmp_path / real_model.MODEL_FILE
    fake.write_bytes(b"GGUF not really")
    assert not real_model._is_verified(fake)


def test_compare_rows_alternate_their_order_and_run_the_extra_mode_once() -> None:
    order = bench.compare_order(("adaptive", "1", "8"), 4, ("adaptive", "1"))
    assert order == [(0, "adaptive"), (0, "1"), (0, "8"), (1, "1"), (1, "adaptive"),
                     (2, "adaptive"), (2, "1"), (3, "1"), (3, "adaptive")]
    firsts = [modes[0] for r in range(4) if (modes := [m for rep, m in order if rep == r])]
    assert firsts.count("adaptive") == firsts.count("1") == 2   # each runs first as often as the other


def test_compare_rows_fix_the_sampling_in_their_job(tmp_path) -> None:
    assert bench.sampling_lines("0", "28") == ["", "[sampling]", "temperature = 0", "seed = 28"]
    assert bench.sampling_lines("", "") == []
    folder = tmp_path / "docs"
    folder.mkdir()
    job = bench.write_job(tmp_path, folder, "http://127.0.0.1:9/v1", 0, "zh", "1", 2, bench.sampling_lines("0", "28"))
    assert job.parent.name == "real-zh-p0-1-r2"                  # a repetition has an output folder of its own
    sampling = load_job(job).sampling
    assert (sampling.temperature, sampling.seed) == (0.0, 28)


def test_the_tap_keeps_the_servers_own_timings_of_each_answer() -> None:
    tap = wire.WireTap("http://127.0.0.1:9/v1")
    body = b'{"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "Alone."}]}'
    answer = (b'{"choices": [{"message": {"content": "\\u72ec\\u81ea\\u3002"}}], "usage": {"prompt_tokens": 30, '
              b'"completion_tokens": 5}, "timings": {"predicted_n": 5, "prompt_ms": 250.0, "predicted_ms": 1250.0}}')
    tap._record(body, answer, 2.5)
    (seen,) = tap.take()
    assert (seen.user, seen.output_tokens, seen.server_seconds, seen.wall_seconds) == ("Alone.", 5, 1.5, 2.5)
    got = wire.judge(seen)
    assert (got.output_tokens, got.server_seconds) == (5, 1.5)
