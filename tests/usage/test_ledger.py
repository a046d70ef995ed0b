"""The Parquet ledger and its cost summaries."""
from __future__ import annotations

import polars as pl

from pipeline.usage.ledger import Ledger, read_ledger
from pipeline.usage.summary import format_table, load_prices, summarise


def fill(ledger: Ledger, n: int, status: str = "ok") -> None:
    for i in range(n):
        ledger.record(file=f"f{i % 2}.md", target_lang="zh", model="qwen-mt-turbo", request_id=f"r{i}",
                      prompt_tokens=100, completion_tokens=50, status=status, latency_s=0.1, attempt=1)


def test_rows_survive_flush_as_parts(tmp_path):
    ledger = Ledger(tmp_path / "ledger", "job", "run1", "beijing")
    fill(ledger, 3)
    ledger.flush()
    fill(ledger, 2, status="RateLimited")
    ledger.flush()
    frame = read_ledger(tmp_path / "ledger")
    assert frame.height == 5
    assert len(list((tmp_path / "ledger").glob("part-*.parquet"))) == 2
    assert not list((tmp_path / "ledger").glob("*.tmp"))
    assert frame["prompt_tokens"].sum() == 500


def test_summary_prices_from_data_file(tmp_path):
    ledger = Ledger(tmp_path / "l", "job", "run1", "beijing")
    fill(ledger, 4)
    ledger.flush()
    table = summarise(read_ledger(tmp_path / "l"), ["job", "file"])
    assert table.height == 2
    prices = load_prices().filter((pl.col("model") == "qwen-mt-turbo") & (pl.col("region") == "beijing"))
    expected = (2 * 100 * prices["usd_in_per_m"][0] + 2 * 50 * prices["usd_out_per_m"][0]) / 1e6
    assert abs(table["cost_usd"][0] - expected) < 1e-12
    assert "cost_usd" in format_table(table)


def test_empty_ledger_reads_as_empty_frame(tmp_path):
    assert read_ledger(tmp_path / "none").height == 0
