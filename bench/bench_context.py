"""What telling the model a string's key and comments costs, per engine and per way.

A string catalogue's segments carry context (a key path, translator comments, ARB
descriptions, PO extracted comments and ``msgctxt``). With ``engine = "llm"`` qmt writes
it in the system prompt, one line per pack marker. Qwen-MT's API has no per-segment
field; its two candidates are ``domains`` (one free-text hint per request) and
``tm_list`` (translation pairs the model imitates). This measures, with qmt's own plan,
packer and token counts (the code the estimate and the run share; nothing is sent), what
each way adds to the prompt tokens of the generated bench catalogues
(``bench/folders.py``: a JSON catalogue of 2,000 keys and a PO template of 1,000
entries, into one language):

* ``llm, context in prompt`` against ``llm, no context``: the tokens the context lines add;
* ``qwen-mt`` as qmt sends it (no context: short strings travel with their neighbours);
* ``qwen-mt + per-file domains``: a hint naming the file on every request, and packs cut
  at file boundaries (a pack carries one ``domains``);
* ``qwen-mt + context as tm_list``: each segment's context as a pair in ``tm_list``.

A second folder of 100 small JSON namespaces (20 keys each) shows what per-file
``domains`` cost in requests when files are small.

Run: ``make bench`` (or ``.venv/bin/python bench/bench_context.py``).
"""
from __future__ import annotations

import sys
import tempfile
from dataclasses import replace
from itertools import groupby
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import folders  # noqa: E402
from pipeline.config import load_job  # noqa: E402
from pipeline.job.load import inputs  # noqa: E402
from pipeline.job.plan import PLANNED, Planner  # noqa: E402
from pipeline.job.run import pool_settings  # noqa: E402
from pipeline.memory.lookup import MemoryLookup  # noqa: E402
from pipeline.tokens import prompt_tokens  # noqa: E402
from pipeline.translate.backend import TermPair  # noqa: E402
from pipeline.translate.batching import plan_batches  # noqa: E402
from pipeline.translate.llm_prompt import prompt_tokens_of  # noqa: E402
from pipeline.translate.sender import build_request  # noqa: E402
from pipeline.translate.units import Unit  # noqa: E402

JSON_KEYS, PO_ENTRIES = 2000, 1000
NAMESPACES, NAMESPACE_KEYS = 100, 20
JOB = """input = "in"
output = "out/{{lang}}"
source_lang = "en"
target_langs = ["de"]
model = "{model}"
{engine}
[run]
rpm = 60
tpm = 100000
pack_tokens = {pack}
"""


def _requests(job_path: Path) -> tuple[list[list[Unit]], int]:
    """The job's requests as the estimate plans them, and the segments x languages planned."""
    job = load_job(job_path)
    settings = pool_settings(job)
    lookup = MemoryLookup.open(job)
    planner = Planner(job, lookup, settings)
    requests: list[list[Unit]] = []
    try:
        found, _ = inputs(job)
        for item in found:
            fp = planner.add(item.path, item.relpath)
            if fp.status == PLANNED:
                requests += fp.requests
        requests += planner.finish()
    finally:
        lookup.close()
    return requests, planner.stats.segments


def _qwen(requests: list[list[Unit]], settings, tm_context: bool = False, domains: str = "") -> int:
    total = 0
    for units in requests:
        units = [replace(u, context="", tm_list=(TermPair(u.context, u.context),) if tm_context and u.context else ())
                 for u in units]
        sent = build_request(units, settings)
        total += prompt_tokens(sent.text, sent.terms, sent.tm_list, domains or sent.domains)
    return total


def _large(root: Path) -> str:
    folders.write_json_catalog(root / "in/locales/en/app.json", JSON_KEYS)
    folders.write_po_catalog(root / "in/po/messages.pot", PO_ENTRIES)
    return f"a {JSON_KEYS:,}-key JSON and a {PO_ENTRIES:,}-entry PO"


def _namespaces(root: Path) -> str:
    """i18next namespaces: many small files (a pack carries one ``domains``, so per-file hints cut packs)."""
    import json

    for n in range(NAMESPACES):
        rows = folders.l10n_rows(NAMESPACE_KEYS, seed=n)
        path = root / f"in/locales/en/ns{n:03d}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({k.replace(".", "_"): t for k, t in rows}, indent=2) + "\n", encoding="utf-8")
    return f"{NAMESPACES} JSON namespaces of {NAMESPACE_KEYS} keys"


def measure(build) -> list[str]:
    """The table's rows for the folder ``build`` writes (see the module docstring)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        what = build(root)
        qwen_job = root / "qwen.toml"
        qwen_job.write_text(JOB.format(model="qwen-mt-flash", engine="", pack="-1"), encoding="utf-8")
        pack = load_job(qwen_job).packing_tokens
        llm_job = root / "llm.toml"
        llm_job.write_text(JOB.format(model="m", engine='engine = "llm"\nbase_url = "http://127.0.0.1:9/v1"', pack=pack),
                           encoding="utf-8")
        settings = pool_settings(load_job(qwen_job))
        llm_requests, segments = _requests(llm_job)
        qwen_requests, _ = _requests(qwen_job)
    units = [u for r in llm_requests for u in r]
    llm_on = sum(prompt_tokens_of(build_request(r, settings)) for r in llm_requests)
    llm_off = sum(prompt_tokens_of(build_request([replace(u, context="") for u in r], settings)) for r in llm_requests)
    base = _qwen(qwen_requests, settings)
    hint = "Software interface strings of {}: buttons, menu items and messages; keep them short."
    groups = [list(g) for _, g in groupby(units, key=lambda u: u.origin)]
    per_file = [(g[0].origin, plan_batches([replace(u, context="") for u in g], pack, settings.pack_max_segments,
                                           hint.format(g[0].origin))) for g in groups]
    rows = [("llm, no context", len(llm_requests), llm_off, llm_off),
            ("llm, context in prompt (qmt)", len(llm_requests), llm_on, llm_off),
            ("qwen-mt (qmt: neighbours in the pack)", len(qwen_requests), base, base),
            ("qwen-mt + per-file domains", sum(len(b) for _, b in per_file),
             sum(_qwen(b, settings, domains=hint.format(origin)) for origin, b in per_file), base),
            ("qwen-mt + context as tm_list", len(llm_requests), _qwen(llm_requests, settings, tm_context=True),
             _qwen(llm_requests, settings))]
    out = [f"{what} into one language: {segments:,} segments, {sum(1 for u in units if u.context):,} sent with "
           f"context; pack_tokens {pack}", "", "| way | requests | prompt tokens | added | added per segment |",
           "|---|---:|---:|---:|---:|"]
    for name, requests, tokens, against in rows:
        added = tokens - against
        out.append(f"| {name} | {requests:,} | {tokens:,} | {added / against:+.1%} | {added / segments:+.1f} |")
    return out


def main() -> int:
    for build in (_large, _namespaces):
        print("\n".join(measure(build)) + "\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
