"""Token and cost summaries of the ledger, priced from the price list (:func:`pipeline.service_facts.price_list`)."""
from __future__ import annotations

from pathlib import Path

import polars as pl

from pipeline.ledger.usage import OK, OUTCOME_UNKNOWN, TM_HIT
from pipeline.service_facts import price_list


def load_prices(path: Path | None = None) -> pl.DataFrame:
    """Prices as a frame: model, region, input and output USD per 1M tokens."""
    rows = [{"model": model, "region": region, "usd_in_per_m": usd_in, "usd_out_per_m": usd_out}
            for (model, region), (usd_in, usd_out) in price_list(path).items()]
    return pl.DataFrame(rows, schema={"model": pl.String, "region": pl.String,
                                      "usd_in_per_m": pl.Float64, "usd_out_per_m": pl.Float64})


def priced(ledger: pl.DataFrame, prices: pl.DataFrame | None = None) -> pl.DataFrame:
    """The ledger with a ``cost_usd`` column (null where no price is known)."""
    prices = load_prices() if prices is None else prices
    return ledger.join(prices, on=["model", "region"], how="left").with_columns(
        cost_usd=(pl.col("prompt_tokens") * pl.col("usd_in_per_m")
                  + pl.col("completion_tokens") * pl.col("usd_out_per_m")) / 1_000_000
    )


def summarise(ledger: pl.DataFrame, by: list[str], prices: pl.DataFrame | None = None) -> pl.DataFrame:
    """Requests, failed requests, TM hits, tokens and cost grouped by ``by`` (e.g. ["job", "file"]).

    Requests are ``sum(share)``: a packed request serving three files counts once in
    total and a third (by source tokens) in each file's row; ``tm_hit`` rows are
    segments answered without a request. ``unknown`` counts requests whose outcome never
    arrived (``outcome_unknown``) and ``estimated_tokens`` the completion tokens qmt had
    to estimate (included in ``completion_tokens`` and the cost, shown apart).
    """
    frame = priced(ledger, prices).with_columns(day=pl.col("time").dt.date(),
                                                estimated=pl.col("estimated").fill_null(False))
    failed = ~pl.col("status").is_in([OK, TM_HIT])
    return (
        frame.group_by(by)
        .agg(
            requests=pl.col("share").sum().round(2),
            failed=(pl.col("share") * failed.cast(pl.Float64)).sum().round(2),
            tm_hits=(pl.col("status") == TM_HIT).sum(),
            prompt_tokens=pl.col("prompt_tokens").sum(),
            completion_tokens=pl.col("completion_tokens").sum(),
            unknown=(pl.col("share") * (pl.col("status") == OUTCOME_UNKNOWN).cast(pl.Float64)).sum().round(2),
            estimated_tokens=pl.when(pl.col("estimated")).then(pl.col("completion_tokens")).otherwise(0).sum(),
            # unknown, not 0, when a request in the group has no price (e.g. media models)
            cost_usd=pl.when(pl.col("cost_usd").is_null().any()).then(None).otherwise(pl.col("cost_usd").sum()),
        )
        .sort(by)
    )


def format_table(frame: pl.DataFrame) -> str:
    """A plain fixed-width table that reads well in a terminal and in CI logs."""
    if frame.height == 0:
        return "(no requests recorded)"
    cols = frame.columns
    cells = [[_cell(col, v) for col, v in zip(cols, row)] for row in frame.iter_rows()]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths))]
    lines += ["  ".join(v.rjust(w) if _numeric(v) else v.ljust(w) for v, w in zip(r, widths)) for r in cells]
    return "\n".join(lines)


def _cell(column: str, value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if column.endswith("_usd"):
            return f"{value:.6f}"
        return f"{value:.2f}".rstrip("0").rstrip(".")  # request shares: 2, 1.5, 0.33
    return str(value)


def _numeric(text: str) -> bool:
    return text.replace(".", "", 1).isdigit()
