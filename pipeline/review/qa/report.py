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
from typing import Iterable, Sequence

from pipeline.review.qa.checks import Finding
from pipeline.review.qa.options import ERROR, WARNING
from pipeline.languages import RTL_CODES
from pipeline.memory.sources import bcp47
from pipeline.segments import TAG_RE

SEVERITY_RANK = {WARNING: 1, ERROR: 2}
EMULATED_NOTICE = ("EMULATED: these translations came from the local Qwen-MT emulator (qmt translate --emulator): "
                   "they are not real translations, and nothing here is stored or reused as one")
LISTED = 40                 # failing findings listed with their ids in the terminal summary


def failing(findings: Iterable[Finding], fail_on: str) -> list[Finding]:
    """The findings at or above ``fail_on`` (error, warning; never: none) that no reviewer accepted."""
    if fail_on not in SEVERITY_RANK:
        return []
    return [f for f in findings if not f.accepted and SEVERITY_RANK.get(f.severity, 0) >= SEVERITY_RANK[fail_on]]


def summary_table(findings: list[Finding], files: Iterable[str], fail_on: str = ERROR) -> str:
    """Per file and check: errors and warnings (files with no finding say "clean"); then
    the failing findings with their ids (for ``--accept``) and the accepted ones apart."""
    accepted = [f for f in findings if f.accepted]
    findings = [f for f in findings if not f.accepted]
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
    lines.append(f"total: {total[ERROR]} errors, {total[WARNING]} warnings"
                 + (f" (and {len(accepted)} accepted findings, not counted)" if accepted else ""))
    shown = failing(findings, fail_on)
    if shown:
        lines.append("failing findings (qmt check JOB --accept ID --reason TEXT accepts one):")
        lines += [f"  {f.id}  {f.severity:<7} {f.check:<13} {f.lang:<5} {f.file} {f.segment}: {f.message}"
                  for f in shown[:LISTED]]
        if len(shown) > LISTED:
            lines.append(f"  ... and {len(shown) - LISTED} more (all in the JSON report)")
    if accepted:
        lines.append(f"accepted ({len(accepted)}):")
        lines += [f"  {f.id}  {f.check:<13} {f.lang:<5} {f.file} {f.segment}: {f.message} [{f.accepted}]"
                  for f in accepted[:LISTED]]
    return "\n".join(lines)


def to_json(job: str, findings: list[Finding], files: list[str], fail_on: str,
            unreadable: Sequence[tuple[str, str]] = (), emulated: bool = False) -> bytes:
    open_findings = [f for f in findings if not f.accepted]
    data = {
        **({"EMULATED": EMULATED_NOTICE} if emulated else {}),
        "job": job,
        "emulated": emulated,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "fail_on": fail_on,
        "failed": bool(failing(findings, fail_on)),
        "files": files,
        "unreadable": [{"file": relpath, "reason": reason} for relpath, reason in unreadable],
        "counts": {"error": sum(f.severity == ERROR for f in open_findings),
                   "warning": sum(f.severity == WARNING for f in open_findings),
                   "accepted": len(findings) - len(open_findings)},
        "findings": [{"id": f.id, **asdict(f)} for f in open_findings],
        "accepted": [{"id": f.id, **asdict(f)} for f in findings if f.accepted],
    }
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;table-layout:fixed}
th,td{border:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left;word-wrap:break-word}
th{background:#f4f4f4}td.seg{white-space:pre-wrap}
tr.error td.sev{color:#b00;font-weight:bold}tr.warning td.sev{color:#a60}
mark{background:#fd6}form.filters fieldset{display:inline-block;margin:0 .5em .5em 0;font-size:.9em}.tag{color:#06c;font-family:monospace}
p.emulated{background:#fde;border:2px solid #b00;padding:6px}small.fid{font-family:monospace;color:#666}
col.c1{width:9em}col.c2{width:5em}col.c3{width:8em}col.c4{width:4em}
"""


def _segment_html(text: str, excerpt: str) -> str:
    """Escaped text with tags shown in colour and the finding's excerpt highlighted: the
    first occurrence outside a tag (the 1 of ``<g1>`` is never the number 1)."""
    start = _outside_tags(text, excerpt) if excerpt else -1
    if start < 0:
        return _tags_html(text)
    end = start + len(excerpt)
    return _tags_html(text[:start]) + "<mark>" + _tags_html(excerpt) + "</mark>" + _tags_html(text[end:])


def _outside_tags(text: str, excerpt: str) -> int:
    tags = [m.span() for m in TAG_RE.finditer(text)]
    start = text.find(excerpt)
    while start >= 0:
        end = start + len(excerpt)
        if not any(s < end and start < e for s, e in tags) or TAG_RE.fullmatch(excerpt):
            return start
        start = text.find(excerpt, start + 1)
    return -1


def _tags_html(text: str) -> str:
    out, pos = [], 0
    for m in TAG_RE.finditer(text):
        out.append(html.escape(text[pos:m.start()]))
        out.append(f'<span class="tag">{html.escape(m.group(0))}</span>')
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _lang_attrs(code: str) -> str:
    """``lang`` and ``dir`` for a cell in ``code`` (right to left for Arabic, Hebrew ...)."""
    return f'lang="{html.escape(bcp47(code))}" dir="{"rtl" if code in RTL_CODES else "ltr"}"'


def _table(findings: list[Finding], source_lang: str) -> list[str]:
    parts = ['<table class="findings"><colgroup><col class="c1"><col class="c2"><col class="c3">'
             '<col class="c4"><col><col></colgroup><thead><tr><th>check</th><th>severity</th>'
             "<th>segment</th><th>lang</th><th>source</th><th>target</th></tr></thead><tbody>"]
    for f in findings:
        src = _segment_html(f.source, f.excerpt if f.side == "source" else "")
        tgt = _segment_html(f.target, f.excerpt if f.side == "target" else "")
        note = f"<br><small>accepted: {html.escape(f.accepted)}</small>" if f.accepted else ""
        parts.append(f'<tr class="{f.severity}" id="f-{f.id}" data-check="{html.escape(f.check)}" '
                     f'data-lang="{html.escape(f.lang)}" data-severity="{f.severity}" '
                     f'data-file="{html.escape(f.file)}">'
                     f'<td>{html.escape(f.check)}<br><small>{html.escape(f.message)}</small>'
                     f'<br><small class="fid">{f.id}</small>{note}</td><td class="sev">{f.severity}</td>'
                     f'<td>{html.escape(f.segment)}<br><small>{html.escape(f.context)}</small></td>'
                     f'<td>{html.escape(f.lang)}</td><td class="seg" {_lang_attrs(source_lang)}>{src}</td>'
                     f'<td class="seg" {_lang_attrs(f.lang)}>{tgt}</td></tr>')
    parts.append("</tbody></table>")
    return parts


FILTERS = (("severity", "severity"), ("check", "check"), ("lang", "language"), ("file", "file"))


def _filters(findings: list[Finding]) -> tuple[str, str]:
    """(CSS, form): one checkbox per severity, check, language and file; unticking one
    hides its findings. Pure CSS (``:has``), so the page needs no script and reads fine
    where the filters are not supported (everything stays shown)."""
    css, form = [], ['<form class="filters" id="filters">']
    for n, (attr, title) in enumerate(FILTERS):
        values = sorted({getattr(f, attr) for f in findings})
        if not values:
            continue
        form.append(f"<fieldset><legend>{title}</legend>")
        for i, value in enumerate(values):
            box = f"show-{n}-{i}"
            form.append(f'<label><input type="checkbox" id="{box}" name="{attr}" value="{html.escape(value)}" '
                        f'checked> {html.escape(value)}</label> ')
            css.append(f'body:has(#{box}:not(:checked)) tr[data-{attr}="{_css_string(value)}"]{{display:none}}')
        form.append("</fieldset>")
    form.append("</form>")
    return "\n".join(css), "".join(form)


def _css_string(value: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._-/ " else f"\\{ord(ch):x} " for ch in value)


def to_html(job: str, findings: list[Finding], files: list[str], fail_on: str, *, emulated: bool = False,
            source_lang: str = "en") -> bytes:
    """One page: a summary, then per file a table of findings, source and target side by
    side; accepted findings in a section of their own."""
    open_findings = [f for f in findings if not f.accepted]
    accepted = [f for f in findings if f.accepted]
    e = sum(f.severity == ERROR for f in open_findings)
    w = sum(f.severity == WARNING for f in open_findings)
    filter_css, filter_form = _filters(findings)
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>QA report: {html.escape(job)}</title><style>{_CSS}{filter_css}</style></head><body>"]
    if emulated:
        parts.append(f'<p class="emulated" id="emulated"><strong>{html.escape(EMULATED_NOTICE)}</strong></p>')
    parts += [f"<h1>QA report: {html.escape(job)}</h1>",
              f"<p id=\"summary\">{e} errors, {w} warnings in {len(files)} files (fails on: {html.escape(fail_on)})"
              + (f"; {len(accepted)} accepted findings listed apart" if accepted else "") + "</p>", filter_form]
    for file in files:
        mine = [f for f in open_findings if f.file == file]
        parts.append(f"<h2>{html.escape(file)}</h2>")
        if not mine:
            parts.append("<p>clean</p>")
            continue
        parts += _table(mine, source_lang)
    if accepted:
        parts.append('<h2 id="accepted">Accepted findings (do not fail the gate)</h2>')
        parts += [p.replace('class="findings"', 'class="accepted"', 1) for p in _table(accepted, source_lang)]
    parts.append("</body></html>\n")
    return "".join(parts).encode("utf-8")
