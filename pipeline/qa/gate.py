"""``qmt check JOB``: run the QA checks over a job's state, write the reports, decide
the exit code (a CI step gates on it). Sends nothing."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from pipeline.config import Job
from pipeline.languages import Language
from pipeline.output import write_atomic
from pipeline.qa.checks import Checker, Finding
from pipeline.qa.report import failing, summary_table, to_html, to_json
from pipeline.qa.snapshot import JobState, job_state

REPORT_DIR = "qa"


@dataclass
class CheckResult:
    job: str
    fail_on: str
    findings: list[Finding]
    files: list[str]
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    json_path: Path | None = None
    html_path: Path | None = None

    @property
    def failed(self) -> list[Finding]:
        return failing(self.findings, self.fail_on)

    def summary(self) -> str:
        lines = [summary_table(self.findings, self.files)]
        lines += [f"cannot read {relpath}: {reason}" for relpath, reason in self.unreadable]
        return "\n".join(lines)


def find_problems(state: JobState) -> list[Finding]:
    """The findings of every check ``[qa]`` leaves on (used by XLIFF export for notes too)."""
    return Checker(state.job.qa, state.glossary).run(state)


def check_job(job: Job, *, langs: Iterable[Language] | None = None, fail_on: str | None = None,
              json_path: Path | None = None, html_path: Path | None = None) -> CheckResult:
    """Check ``job`` and write its JSON and HTML reports (default: ``<state dir>/qa/``)."""
    state = job_state(job, langs)
    result = CheckResult(job.name, fail_on or job.qa.fail_on, find_problems(state),
                         [f.relpath for f in state.files if not f.error],
                         [(f.relpath, f.error) for f in state.files if f.error])
    result.json_path = json_path or job.state_dir / REPORT_DIR / "check.json"
    result.html_path = html_path or job.state_dir / REPORT_DIR / "check.html"
    write_atomic(result.json_path, to_json(job.name, result.findings, result.files, result.fail_on,
                                                result.unreadable))
    write_atomic(result.html_path, to_html(job.name, result.findings, result.files, result.fail_on))
    return result
