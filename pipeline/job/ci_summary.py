"""The CI summary: a Markdown table of what a run (or a ``--frozen`` check) did.

Written with ``--summary FILE``, or appended to ``$GITHUB_STEP_SUMMARY`` when GitHub
Actions sets it, so a pull request shows what the localization step did: files, segments
(sent, changed, reused, human, edits taken in), requests, tokens, cost and QA findings.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.provenance import is_emulated

if TYPE_CHECKING:
    from pipeline.job.freshness import Freshness
    from pipeline.job.run import RunResult

SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def summary_path(flag: str | None) -> Path | None:
    """Where the summary goes: ``--summary FILE``, else GitHub's step summary, else nowhere."""
    if flag:
        return Path(flag)
    env = os.environ.get(SUMMARY_ENV)
    return Path(env) if env else None


def run_summary(result: "RunResult", cost_usd: float | None, qa_findings: int | None = None) -> str:
    """The table of one run."""
    written = sum(1 for f in result.files if f.status == "written")
    emulated = any(is_emulated(e) for e in result.answered_by)
    sent = sum(result.answered_by.values())
    rows = [
        ("files written in full", f"{written} of {len(result.files)}"),
        ("segments reused (committed outputs, cache, TM)",
         str(result.committed_hits + result.cache_hits + result.tm_hits)),
        ("segments with a human translation", str(result.human_hits)),
        ("reviewers' edits taken in", str(result.edits)),
        ("sources changed since the last run", str(result.changed)),
        ("outputs removed (input gone)", str(len(result.pruned))),
        ("requests", f"{result.requests} ({sent} answered)"),
        ("tokens", f"{result.prompt_tokens} prompt + {result.completion_tokens} completion"),
        ("cost", "none (emulated)" if emulated else _usd(cost_usd)),
    ]
    if qa_findings is not None:
        rows.append(("QA findings", str(qa_findings)))
    title = f"qmt translate: job {result.job}, exit {result.exit_code}" + (" (EMULATED)" if emulated else "")
    return _table(title, rows)


def frozen_summary(fresh: "Freshness", requests: int, tokens: int, cost_usd: float | None) -> str:
    """The table of a ``--frozen`` check."""
    verdict = "up to date" if fresh.up_to_date else "NOT up to date"
    rows = [("files", str(fresh.files)), ("stale files", str(len(fresh.stale))),
            ("segments to send", str(sum(s.segments for s in fresh.stale))),
            ("requests it would take", str(requests)), ("tokens (estimated)", str(tokens)),
            ("cost (estimated)", _usd(cost_usd))]
    lines = [_table(f"qmt translate --frozen: job {fresh.job} is {verdict}", rows)]
    lines += [f"- `{s.relpath}`: {s.why}" for s in fresh.stale[:50]]
    if len(fresh.stale) > 50:
        lines.append(f"- … and {len(fresh.stale) - 50} more")
    return "\n".join(lines) + "\n"


def write_summary(path: Path, text: str) -> None:
    """Append ``text`` (GitHub's step summary is one file for the whole job's steps)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text if text.endswith("\n") else text + "\n")


def _table(title: str, rows: list[tuple[str, str]]) -> str:
    lines = [f"### {title}", "", "| | |", "|---|---:|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines) + "\n"


def _usd(cost: float | None) -> str:
    return "unknown (no price for this model and region)" if cost is None else f"${cost:.4f}"


__all__ = ["SUMMARY_ENV", "frozen_summary", "run_summary", "summary_path", "write_summary"]
