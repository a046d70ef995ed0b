"""QA reports: a summary per file and check for the terminal, JSON for machines, and one
self-contained HTML page for people (no scripts, no external files: it opens anywhere,
including as a CI artifact).
"""
from __future__ import annotations

import html
import json
from collections import Counter
from datetime import datetime, timezone
from dataclasses import asdict
from typing import Iterable

from pipeline.qa.checks import Finding
from pipeline.qa.options import ERROR, WARNING
from pipeline.segments import TAG_RE

SEVERITY_RANK = {WARNING: 1, ERROR: 2}


def failing(findings: Iterable[Finding], fail_on: str) -> list[Finding]:
    """The findings at or above ``fail_on`` (error, warning; never: none)."""
    if fail_on not in SEVERITY_RANK:
        return []
    return [f for f in findings if SEVERITY_RANK.get(f.severity, 0) >= SEVERITY_RANK[fail_on]]


def summary_table(findings: list[Finding], files: Iterable[str]) -> str:
    """Per file and check: errors and warnings (files with no finding say "clean")."""
    counts: Counter[tuple[str, str, str]] = Counter((f.file, f.check, f.severity) for f in findings)
    lines = []
    for file in files:
        checks = sorted({c for (fl, c, _) in counts if fl == file})
        if not checks:
            lines.append(f"{file}: clean")
            continue
        lines.append(f"{file}:")
        for check in checks:
            e, w = counts[(file, check, ERROR)], counts[(file, check, WARNING)]
            lines.append(f"  {check:<20} {e:>4} error{'s' if e != 1 else ' '} {w:>4} warning{'s' if w != 1 else ''}")
    total = Counter(f.severity for f in findings)
    lines.append(f"total: {total[ERROR]} errors, {total[WARNING]} warnings")
    return "\n".join(lines)


def to_json(job: str, findings: list[Finding], files: list[str], fail_on: str,
            unreadable: list[tuple[str, str]] = ()) -> bytes:
    data = {
        "job": job,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "fail_on": fail_on,
        "failed": bool(failing(findings, fail_on)),
        "files": files,
        "unreadable": [{"file": relpath, "reason": reason} for relpath, reason in unreadable],
        "counts": {"error": sum(f.severity == ERROR for f in findings),
                   "warning": sum(f.severity == WARNING for f in findings)},
        "findings": [asdict(f) for f in findings],
    }
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;table-layout:fixed}
th,td{border:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left;word-wrap:break-word}
th{background:#f4f4f4}td.seg{white-space:pre-wrap}
tr.error td.sev{color:#b00;font-weight:bold}tr.warning td.sev{color:#a60}
mark{background:#fd6}.tag{color:#06c;font-family:monospace}
col.c1{width:9em}col.c2{width:5em}col.c3{width:8em}col.c4{width:4em}
"""


def _segment_html(text: str, excerpt: str) -> str:
    """Escaped text with tags shown in colour and the finding's excerpt highlighted."""
    start = text.find(excerpt) if excerpt else -1
    if start < 0:
        return _tags_html(text)
    end = start + len(excerpt)
    return _tags_html(text[:start]) + "<mark>" + _tags_html(excerpt) + "</mark>" + _tags_html(text[end:])


def _tags_html(text: str) -> str:
    out, pos = [], 0
    for m in TAG_RE.finditer(text):
        out.append(html.escape(text[pos:m.start()]))
        out.append(f'<span class="tag">{html.escape(m.group(0))}</span>')
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def to_html(job: str, findings: list[Finding], files: list[str], fail_on: str) -> bytes:
    """One page: a summary, then per file a table of findings, source and target side by side."""
    e = sum(f.severity == ERROR for f in findings)
    w = sum(f.severity == WARNING for f in findings)
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>QA report: {html.escape(job)}</title><style>{_CSS}</style></head><body>",
             f"<h1>QA report: {html.escape(job)}</h1>",
             f"<p id=\"summary\">{e} errors, {w} warnings in {len(files)} files (fails on: {html.escape(fail_on)})</p>"]
    for file in files:
        mine = [f for f in findings if f.file == file]
        parts.append(f"<h2>{html.escape(file)}</h2>")
        if not mine:
            parts.append("<p>clean</p>")
            continue
        parts.append('<table class="findings"><colgroup><col class="c1"><col class="c2"><col class="c3">'
                     '<col class="c4"><col><col></colgroup><thead><tr><th>check</th><th>severity</th>'
                     "<th>segment</th><th>lang</th><th>source</th><th>target</th></tr></thead><tbody>")
        for f in mine:
            src = _segment_html(f.source, f.excerpt if f.side == "source" else "")
            tgt = _segment_html(f.target, f.excerpt if f.side == "target" else "")
            parts.append(f'<tr class="{f.severity}"><td>{html.escape(f.check)}<br><small>{html.escape(f.message)}'
                         f'</small></td><td class="sev">{f.severity}</td><td>{html.escape(f.segment)}<br><small>'
                         f'{html.escape(f.context)}</small></td><td>{html.escape(f.lang)}</td>'
                         f'<td class="seg">{src}</td><td class="seg">{tgt}</td></tr>')
        parts.append("</tbody></table>")
    parts.append("</body></html>\n")
    return "".join(parts).encode("utf-8")
