"""``qmt check JOB``: run the QA checks over a job's state, write the reports, decide
the exit code (a CI step gates on it). Sends nothing.

Findings a reviewer accepted (:mod:`pipeline.review.qa.accepted`) are reported apart and do not
fail the gate. With ``emulator`` the job's translations are read as the local emulator's
(``qmt translate --emulator``): every report then says EMULATED at the top.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from pipeline.errors import ConfigError
from pipeline.languages import Language
from pipeline.memory.sources import code_of
from pipeline.output import write_atomic
from pipeline.review.qa.accepted import Acceptance, accepted_path, clean_reason, read_accepted, short_hash, write_accepted
from pipeline.review.qa.checks import Checker, Finding
from pipeline.review.qa.report import EMULATED_NOTICE, failing, summary_table, to_html, to_json
from pipeline.review.qa.snapshot import JobState, emulated_only_hint, emulator_engine_of, job_state

if TYPE_CHECKING:
    from pipeline.config import Job

REPORT_DIR = "qa"


@dataclass
class GateResult:
    job: str
    fail_on: str
    findings: list[Finding]
    files: list[str]
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    json_path: Path | None = None
    html_path: Path | None = None
    emulated: bool = False
    accepted_path: Path | None = None
    newly_accepted: int = 0
    hint: str = ""

    @property
    def failed(self) -> list[Finding]:
        return failing(self.findings, self.fail_on)

    def summary(self) -> str:
        lines = [EMULATED_NOTICE] if self.emulated else []
        lines.append(summary_table(self.findings, self.files, self.fail_on))
        lines += [f"cannot read {relpath}: {reason}" for relpath, reason in self.unreadable]
        lines += [self.hint] if self.hint else []
        return "\n".join(lines)


def find_problems(state: JobState) -> list[Finding]:
    """The findings of every check ``[qa]`` leaves on (used by XLIFF export for notes too)."""
    return Checker(state.job.qa, state.glossary).run(state)


def check_job(job: Job, *, langs: Iterable[Language] | None = None, fail_on: str | None = None,
              json_path: Path | None = None, html_path: Path | None = None, accept: Iterable[str] = (),
              accept_all: bool = False, reason: str | None = None, emulator: str | None = None) -> GateResult:
    """Check ``job``, record the findings ``accept``/``accept_all`` name as accepted, and
    write the JSON and HTML reports (default: ``<state dir>/qa/``)."""
    state = job_state(job, langs, engine=emulator_engine_of(job, emulator) if emulator else None)
    findings = find_problems(state)
    path = accepted_path(job)
    accepted = read_accepted(path)
    wanted = list(accept)
    newly = _accept(findings, wanted, accept_all, clean_reason(reason), path) if wanted or accept_all else []
    if newly:
        accepted.update({a.id: a for a in newly})
        write_accepted(path, accepted.values())
    findings = [_mark(f, accepted) for f in findings]
    result = GateResult(job.name, fail_on or job.qa.fail_on, findings,
                         [f.relpath for f in state.files if not f.error],
                         [(f.relpath, f.error) for f in state.files if f.error],
                         emulated=bool(emulator) or any(r.emulated for r in state.rows()),
                         accepted_path=path, newly_accepted=len(newly))
    if not emulator and state.files and all(r.target is None for r in state.rows()):
        result.hint = emulated_only_hint(job, langs)
    result.json_path = json_path or job.state_dir / REPORT_DIR / "check.json"
    result.html_path = html_path or job.state_dir / REPORT_DIR / "check.html"
    write_atomic(result.json_path, to_json(job.name, result.findings, result.files, result.fail_on,
                                           result.unreadable, emulated=result.emulated))
    write_atomic(result.html_path, to_html(job.name, result.findings, result.files, result.fail_on,
                                           emulated=result.emulated, source_lang=code_of(job.source_lang)))
    return result


def _accept(findings: list[Finding], ids: list[str], accept_all: bool, reason: str, path: Path) -> list[Acceptance]:
    by_id = {f.id: f for f in findings}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise ConfigError(f"no current finding has the id {', '.join(unknown)} (ids are in the report and the "
                          "summary; a changed segment gets a new one)", source=str(path), key="--accept")
    chosen = list(by_id.values()) if accept_all else [by_id[i] for i in ids]
    return [Acceptance(f.id, f.check, f.lang, short_hash(f.source), short_hash(f.target), reason) for f in chosen]


def _mark(finding: Finding, accepted: dict[str, Acceptance]) -> Finding:
    """The finding with the reviewer's reason when its acceptance still holds: same id
    (same source) and the same translation as when it was accepted."""
    entry = accepted.get(finding.id)
    if entry is None or entry.target_hash != short_hash(finding.target):
        return finding
    return replace(finding, accepted=entry.reason)
