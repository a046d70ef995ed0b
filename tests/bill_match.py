"""The client's ledger against the emulator's bill, request by request (the fault mixes).

The emulator counts every request it receives, counts every fault it injects by kind,
and bills every request it answered (whole, or cut after its headers) under the id it
sent in ``x-request-id``. The ledger has a row per request the client sent (a row per
file for a request packed across files, their shares adding up to 1). The two agree
exactly, request by request:

* as many requests in the ledger as the emulator received;
* every billed request is in the ledger under the id it was billed under, with the same
  prompt tokens, and the same completion tokens when its usage arrived (a whole answer,
  or a stream cut short: the usage so far); when it did not (a plain answer cut after its
  headers, an unreadable body or stream event), the row is marked ``estimated``;
* a ledger row whose id was not billed is an error answer: no tokens;
* a ledger row without an id is a request that got no response headers: exactly the
  requests the emulator dropped (``drop``) or hung (``timeout``), never billed, recorded
  with no tokens.

Which side could differ, and why: a request the client gives up on before its answer's
headers, other than a hang. The client cannot know its outcome: the service may never
have read it (the ledger then holds a request the emulator never received), or may have
answered and billed it (the bill then holds a request the ledger has with no id and no
tokens: docs/reliability.md, "A request that got no answer at all"). That is a real
limit of any client, not a bug to hide, so the fault mixes keep it out instead: their
hangs time out at once (``hang_transport.py``) and every other request has a timeout no
answer needs, however loaded the machine (30 s). Should one fire, the check fails here,
naming the client-side timeouts.
"""
from __future__ import annotations

import polars as pl
from support import requests_in

from pipeline.emulator import Ledger

DELIVERED = ("stop", "length")      # billing statuses of answers the client received whole
NO_HEADERS = ("drop", "timeout")    # the emulator's faults that send no response headers


def check_ledger_against_bill(ledger: pl.DataFrame, billing: Ledger) -> None:
    """Assert that ``ledger`` (a job's Parquet ledger) and ``billing`` (the emulator's) agree."""
    timeouts = requests_in(ledger.filter(pl.col("status") == "ServiceTimeout"))
    context = f"(emulator: {billing.received} received, faults {dict(billing.errors)}; ledger: {timeouts} timeouts)"
    assert requests_in(ledger) == billing.received, f"{requests_in(ledger)} requests in the ledger {context}"
    rows = {rid: (prompt, completion, estimated) for rid, prompt, completion, estimated in
            ledger.filter(pl.col("request_id").is_not_null()).group_by("request_id")
            .agg(pl.col("prompt_tokens").sum(), pl.col("completion_tokens").sum(), pl.col("estimated").max())
            .iter_rows()}
    records = billing.records
    for r in records:
        assert r.request_id in rows, f"billed, not in the ledger: {r} {context}"
        prompt, completion, estimated = rows[r.request_id]
        assert prompt == r.prompt_tokens, r
        if r.status in DELIVERED or (r.status == "interrupted" and r.stream):
            assert completion == r.completion_tokens, r
        else:
            assert estimated, r
    billed = {r.request_id for r in records}
    unbilled = [(rid, p, c) for rid, (p, c, _) in rows.items() if rid not in billed]
    assert all(p == c == 0 for _, p, c in unbilled), f"tokens for error answers: {unbilled}"
    no_id = ledger.filter(pl.col("request_id").is_null())
    assert no_id["prompt_tokens"].sum() == no_id["completion_tokens"].sum() == 0
    assert requests_in(no_id) == sum(billing.errors[kind] for kind in NO_HEADERS), \
        f"{requests_in(no_id)} requests without response headers {context}"
