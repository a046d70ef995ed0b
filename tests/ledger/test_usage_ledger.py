"""The Parquet ledger and its cost summaries."""
from __future__ import annotations

from datetime import datetime, timezone

import polars as pl
import pytest

from pipeline.ledger.usage import read_ledger, split_tokens, write_part
from pipeline.ledger.summary import format_table, load_prices, summarise


def row(file: str, status: str = "ok", share: float = 1.0, prompt: int = 100, completion: int = 50) -> dict:
    return {"time": datetime.now(timezone.utc), "job": "job", "run_id": "r1", "file": file, "target_lang": "zh",
            "model": "qwen-mt-turbo", "region": "beijing", "request_id": "req", "prompt_tokens": prompt,
            "completion_tokens": completion, "status": status, "latency_s": 0.1, "attempt": 1,
            "share": share, "segments": 1}


def test_parts_are_written_whole_and_read_as_one_table(tmp_path):
    write_part(tmp_path, "a", [row("f0.md"), row("f1.md")])
    write_part(tmp_path, "b", [row("f0.md", "RateLimited", prompt=0, completion=0)])
    frame = read_ledger(tmp_path)
    assert frame.height == 3
    assert not list(tmp_path.glob("*.tmp"))
    assert frame["prompt_tokens"].sum() == 200


def test_summary_prices_from_data_file_and_counts_shares(tmp_path):
    # one packed request split 3:1 over two files, one plain request, one TM hit
    write_part(tmp_path, "a", [row("a.md", share=0.75, prompt=75, completion=30),
                               row("b.md", share=0.25, prompt=25, completion=10),
                               row("a.md"), row("a.md", "tm_hit", share=0.0, prompt=0, completion=0)])
    ledger = read_ledger(tmp_path)
    by_file = summarise(ledger, ["file"])
    assert by_file["requests"].to_list() == [1.75, 0.25]
    assert by_file["tm_hits"].to_list() == [1, 0]
    assert by_file["failed"].to_list() == [0.0, 0.0]
    total = summarise(ledger, ["job"])
    assert total["requests"][0] == 2.0
    prices = load_prices().filter((pl.col("model") == "qwen-mt-turbo") & (pl.col("region") == "beijing"))
    expected = (200 * prices["usd_in_per_m"][0] + 90 * prices["usd_out_per_m"][0]) / 1e6
    assert total["cost_usd"][0] == pytest.approx(expected)
    assert "cost_usd" in format_table(total)


@pytest.mark.parametrize(("total", "shares"), [(100, [0.5, 0.5]), (7, [0.34, 0.33, 0.33]), (0, [1.0]),
                                               (1001, [0.9, 0.1])])
def test_split_tokens_adds_up_exactly(total, shares):
    parts = split_tokens(total, shares)
    assert sum(parts) == total and len(parts) == len(shares)


def test_estimated_tokens_and_unknown_outcomes_are_shown_apart(tmp_path):
    write_part(tmp_path, "a", [row("a.md"), row("a.md", "ConnectionDropped", completion=40) | {"estimated": True},
                               row("a.md", "outcome_unknown", completion=60) | {"estimated": True}])
    total = summarise(read_ledger(tmp_path), ["job"])
    assert total["completion_tokens"][0] == 150 and total["estimated_tokens"][0] == 100
    assert total["unknown"][0] == 1.0 and total["failed"][0] == 2.0
    assert "estimated_tokens" in format_table(total)


def test_parts_written_before_the_estimated_column_still_read(tmp_path):
    old = pl.DataFrame([row("a.md")]).drop("estimated", strict=False)
    old.write_parquet(tmp_path / "part-old.parquet")
    write_part(tmp_path, "new", [row("b.md") | {"estimated": True}])
    frame = read_ledger(tmp_path)
    assert dict(zip(frame["file"], frame["estimated"])) == {"a.md": False, "b.md": True}


def test_a_part_that_cannot_be_written_leaves_no_temporary_file(tmp_path):
    (tmp_path / "part-x.parquet.tmp").mkdir()      # the temporary name cannot be created as a file
    with pytest.raises(OSError):
        write_part(tmp_path, "x", [row("a.md")])
    assert not (tmp_path / "part-x.parquet").exists()


def test_empty_ledger_reads_as_empty_frame(tmp_path):
    assert read_ledger(tmp_path / "none").height == 0


def test_cost_is_unknown_not_zero_when_a_request_has_no_price():
    from datetime import datetime, timezone

    import polars as pl

    from pipeline.ledger.usage import schema

    def row(model: str, prompt: int) -> dict:
        return {"time": datetime.now(timezone.utc), "job": "j", "run_id": "r", "file": "f", "target_lang": "zh",
                "model": model, "region": "singapore", "request_id": "x", "prompt_tokens": prompt,
                "completion_tokens": 10, "status": "ok", "latency_s": 0.1, "attempt": 1, "share": 1.0,
                "segments": 1, "audio_tokens": 0, "video_tokens": 0}

    ledger = pl.DataFrame([row("qwen-mt-flash", 100), row("qwen3-livetranslate-flash", 50)], schema=schema(),
                          orient="row")
    by_model = {r["model"]: r["cost_usd"] for r in summarise(ledger, ["model"]).iter_rows(named=True)}
    assert by_model["qwen-mt-flash"] > 0 and by_model["qwen3-livetranslate-flash"] is None
    assert summarise(ledger, ["job"])["cost_usd"][0] is None


def test_parts_written_before_the_media_columns_still_read(tmp_path):
    from datetime import datetime, timezone

    import polars as pl

    from pipeline.ledger.usage import ADDED_COLUMNS, read_ledger, schema, write_part

    old = {k: v for k, v in schema().items() if k not in ADDED_COLUMNS}
    row = {"time": datetime.now(timezone.utc), "job": "j", "run_id": "r", "file": "f", "target_lang": "zh",
           "model": "qwen-mt-flash", "region": "beijing", "request_id": "x", "prompt_tokens": 5,
           "completion_tokens": 7, "status": "ok", "latency_s": 0.1, "attempt": 1, "share": 1.0, "segments": 1}
    tmp_path.mkdir(exist_ok=True)
    pl.DataFrame([row], schema=old, orient="row").write_parquet(tmp_path / "part-old.parquet")
    write_part(tmp_path, "new", [row | {"audio_tokens": 25, "video_tokens": 0}])
    ledger = read_ledger(tmp_path)
    assert ledger.height == 2 and sorted(ledger["audio_tokens"].to_list()) == [0, 25]
