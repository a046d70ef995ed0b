"""The ``qmt`` command line. Thin: parse flags, call the library, map errors to exit codes.

    qmt translate JOB.toml [flags]          run a job (flags override the job file)
    qmt translate INPUT_DIR --to L --out D  ad hoc run without a job file
    qmt estimate JOB.toml [flags]           segments, cache/TM hits, requests, tokens, cost; sends nothing
    qmt tm export JOB.toml [-o FILE] [--include-emulated]
                                            the job's translation memory as TMX 1.4 (real
                                            translations only, unless asked; each marked)
    qmt check JOB.toml [--fail-on error]    QA checks over the job's translations (CI gate)
    qmt xliff export JOB.toml -o DIR        bilingual XLIFF 2.1 (or 1.2) files for reviewers
    qmt xliff import FILE...                reviewed XLIFF back in as human translations
    qmt langs [--model M]                   languages and their codes
    qmt usage [JOB.toml ...] [--ledger DIR] tokens and cost by job, file, model and day
                                            (emulated requests listed apart, never as spending)
    qmt emulator [--port N] [...]           the local Qwen-MT emulator (tests, offline demos)

Exit codes: 0 all done; 1 finished with failed files or segments; 2 usage or config
error (nothing was sent); 3 stopped by a fatal service error (key, quota, arrears);
4 another run of the same job is in progress (nothing was done); 5 stopped by the
job's budget before the request that would have passed it; 6 stopped by a sustained
service outage (run again to resume); 7 stopped because the job's journal or ledger could
not be written (disk full, read-only): nothing more was sent; 8 (--frozen) the outputs are
not up to date: a run would send, write, remove or take in something.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from pipeline.config import Job, job_from_flags, load_job
from pipeline.errors import (EXIT_LOCKED, EXIT_OK, EXIT_PARTIAL, EXIT_STALE, EXIT_STATE, EXIT_USAGE, JobLockedError,
                             QmtError, StateWriteFailed)
from pipeline.secrets import redact
from pipeline.service_facts import price_of

# Each command imports what it uses when it runs: the run (the worker pool, the backends,
# the SDKs they speak through) loads for qmt translate, not for qmt --help, langs, check,
# estimate, usage or xliff.
if TYPE_CHECKING:
    from pipeline.job.run import RunResult


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qmt", description=(
        "Translate folders of DOCX, PPTX, XLSX, Markdown, MDX, CSV and HTML files, subtitles (SRT, WebVTT) "
        "and string catalogues (JSON, gettext PO, YAML, Android strings.xml, Apple .strings, .stringsdict "
        "and .xcstrings, Java .properties, XLIFF) with Qwen-MT, and the speech of audio and video files with "
        "Qwen3-LiveTranslate."))
    sub = parser.add_subparsers(dest="command", required=True)

    tr = sub.add_parser("translate", help="run a job file, or translate a folder ad hoc")
    _add_job_flags(tr)
    tr.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                    help="if another run of this job is active, wait this long for it (default: refuse)")
    tr.add_argument("--emulator", nargs="?", const="pseudo", choices=("pseudo", "identity"),
                    help="run against a local Qwen-MT emulator started for this run (offline demo; "
                         "the output is NOT a real translation)")
    tr.add_argument("--check", action="store_true",
                    help="run the QA checks (qmt check) at the end of the run; exit 1 if they fail")
    tr.add_argument("--frozen", action="store_true",
                    help="send and write nothing: exit 0 when every output is up to date, 8 when a run "
                         "would send, write, remove or take in anything (a pull-request check)")
    tr.add_argument("--prune", action="store_true",
                    help="remove outputs whose input is gone even when that is more than half of them")
    tr.add_argument("--summary", metavar="FILE",
                    help="append a Markdown table of what the run did (default: $GITHUB_STEP_SUMMARY if set)")

    chk = sub.add_parser("check", help="QA checks over the job's translations, from its state (sends nothing)")
    _add_job_flags(chk)
    _add_check_flags(chk)

    from pipeline.review.xliff.cli import add_xliff_parser

    add_xliff_parser(sub)

    est = sub.add_parser("estimate", help="count segments, requests, tokens and cost without sending anything")
    _add_job_flags(est)
    est.add_argument("--emulator", nargs="?", const="pseudo", choices=("pseudo", "identity"),
                     help="estimate a run against the local emulator (its earlier answers are reused)")

    langs = sub.add_parser("langs", help="list the languages a model takes (Qwen-MT, or the media model)")
    langs.add_argument("--model", default="qwen-mt-flash",
                       help="a Qwen-MT model, or qwen3-livetranslate-flash (audio and video)")

    tm = sub.add_parser("tm", help="the job's translation memory")
    tm_sub = tm.add_subparsers(dest="tm_command", required=True)
    tm_export = tm_sub.add_parser("export", help="write the job's TM (its TM file and every translation "
                                                 "it made) as TMX 1.4")
    tm_export.add_argument("job", help="a job file (.toml)")
    tm_export.add_argument("-o", "--output", metavar="FILE", help="default: <state dir>/<job>.tmx")
    tm_export.add_argument("--include-emulated", action="store_true",
                           help="also export emulated translations and those of unknown origin "
                                "(each translation is marked with the engine that made it)")

    usage = sub.add_parser("usage", help="summarise tokens and cost from the ledger")
    usage.add_argument("jobs", nargs="*", help="job files (default: every jobs/*.toml with a ledger)")
    usage.add_argument("--ledger", action="append", metavar="DIR", help="a ledger folder to read")

    emu = sub.add_parser("emulator", help="run the local Qwen-MT emulator (not real translation)")
    from pipeline.emulator.cli import add_arguments

    add_arguments(emu)
    return parser


def _add_job_flags(parser: argparse.ArgumentParser) -> None:
    """The flags that define or override a job (shared by translate and estimate)."""
    parser.add_argument("target", help="a job file (.toml) or an input folder")
    parser.add_argument("--to", dest="to", action="append", metavar="LANG", help="target language (repeatable)")
    parser.add_argument("--from", dest="source", metavar="LANG", help="source language (default auto)")
    parser.add_argument("--out", metavar="DIR", help="output folder; may contain {lang}")
    parser.add_argument("--model")
    parser.add_argument("--region", choices=("beijing", "singapore", "us"))
    parser.add_argument("--base-url", metavar="URL", help="explicit endpoint (also env DASHSCOPE_BASE_URL)")
    parser.add_argument("--engine", choices=("qwen-mt", "llm"),
                        help="qwen-mt (default) or llm: any OpenAI-compatible model server (needs --base-url, --model)")
    parser.add_argument("--protocol", choices=("openai", "dashscope"),
                        help="how to speak to the service: OpenAI-compatible (default) or DashScope native")
    parser.add_argument("--terms", metavar="FILE")
    parser.add_argument("--tm", metavar="FILE")
    parser.add_argument("--domains", metavar="TEXT", help="domain hint, in English")
    parser.add_argument("--include", action="append", metavar="GLOB")
    parser.add_argument("--exclude", action="append", metavar="GLOB")
    parser.add_argument("--concurrency", type=int, metavar="N")
    parser.add_argument("--rpm", type=int, metavar="N", help="requests per minute to pace at (0: no pacing)")
    parser.add_argument("--tpm", type=int, metavar="N", help="tokens per minute (-1: region default, 0: no limit)")
    parser.add_argument("--minute-seconds", type=float, metavar="S",
                        help="length of the rate limits' minute (60; shorter only against an emulator on a scaled clock)")
    parser.add_argument("--budget-usd", type=float, metavar="USD",
                        help="stop before the request that would take the run's cost past this")
    parser.add_argument("--budget-tokens", type=int, metavar="N",
                        help="stop before the request that would take the run's tokens past this")
    parser.add_argument("--dub", action="store_true", default=None,
                        help="audio and video: also write dubbed speech (NAME.LANG.wav) ([media] dub)")
    parser.add_argument("--voice", metavar="NAME", help="voice of the dubbed speech, e.g. Cherry ([media] voice)")
    parser.add_argument("--mux", action=argparse.BooleanOptionalAction, default=None,
                        help="video inputs: also write NAME.LANG.mp4/.mkv with the subtitles (and the dubbed "
                             "track) as extra streams, or not ([media] mux)")
    parser.add_argument("--force", action="store_true",
                        help="retranslate every segment regardless of the cache and exact TM matches")


def _add_check_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fail-on", choices=("error", "warning", "never"),
                        help="exit 1 when a finding of this grade or graver exists (default: the job's "
                             "[qa] fail_on, error)")
    parser.add_argument("--json", metavar="FILE", help="JSON report (default: <state dir>/qa/check.json)")
    parser.add_argument("--html", metavar="FILE", help="HTML report (default: <state dir>/qa/check.html)")
    parser.add_argument("--accept", nargs="+", metavar="FINDING-ID", default=[],
                        help="accept these findings (ids from the summary or report) in <job>.qa-accepted.tsv; "
                             "they no longer fail the gate until their segment changes")
    parser.add_argument("--accept-all", action="store_true", help="accept every current finding (a first baseline)")
    parser.add_argument("--reason", metavar="TEXT", help="why the accepted findings are fine (recorded with them)")
    parser.add_argument("--emulator", nargs="?", const="pseudo", choices=("pseudo", "identity"),
                        help="read the translations qmt translate --emulator made (reports say EMULATED)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the message
        return int(exc.code or 0) and EXIT_USAGE
    try:
        return _COMMANDS[args.command](args)
    except JobLockedError as exc:
        print(f"qmt: error: {redact(str(exc))}", file=sys.stderr)
        return EXIT_LOCKED
    except StateWriteFailed as exc:
        print(f"qmt: error: {redact(str(exc))}; nothing was sent", file=sys.stderr)
        return EXIT_STATE
    except QmtError as exc:
        print(f"qmt: error: {redact(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # a folder qmt cannot create or write (state, outputs, exports)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"qmt: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("qmt: interrupted", file=sys.stderr)
        return 130


#: The garbage collector's generation thresholds of a qmt process (see :func:`main_entry`).
COLLECTOR_THRESHOLDS = (50_000, 20, 100)


def main_entry() -> None:
    # A run builds millions of short-lived objects (tokens, XML proxies, segments) and few
    # cycles; Python's young generation, collected every 700 allocations by default,
    # scans them over and over. Every 50,000 (the older generations after 20 and 100 of
    # those) took 5-9% off the CPU of translating the corpus's Markdown and Word files into
    # two languages, with the same peak memory. Only here, where qmt owns the process: a
    # program that calls main() keeps its own collector settings.
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # output piped into head, less ...: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)


# --- translate ------------------------------------------------------------------------


def _translate(args: argparse.Namespace) -> int:
    from pipeline.config import with_overrides

    job = _job_from_args(args)
    if args.force or args.prune:
        job = with_overrides(job, force=bool(args.force), prune=bool(args.prune))
    if args.frozen:
        return _frozen(job, args)
    if args.emulator:
        return _translate_with_emulator(job, args.emulator, args.wait, args)
    from pipeline.job.run import run_job

    _announce(job)
    result = run_job(job, lock_wait=args.wait)
    _print_result(result)
    return _after_run(job, result, args)


def _after_run(job: Job, result: RunResult, args: argparse.Namespace) -> int:
    """The run's exit code; with ``--check`` the QA gate's (1) when the run itself succeeded."""
    if result.human_hits:
        print(f"qmt: {result.human_hits} segments from reviewed translations"
              + (f" ({result.edits} reviewers' edits taken in)" if result.edits else ""), file=sys.stderr)
    check_code, findings = None, None
    if getattr(args, "check", False) and not result.fatal:
        checked = _checked(job, None, None, None, emulator=getattr(args, "emulator", None))
        check_code = _report_check(checked)
        findings = sum(1 for f in checked.findings if not f.accepted)
    _write_run_summary(job, result, args, findings)
    return result.exit_code or (check_code or EXIT_OK)


def _write_run_summary(job: Job, result: RunResult, args: argparse.Namespace,
                       qa_findings: int | None = None) -> None:
    from pipeline.job.ci_summary import run_summary, summary_path, write_summary
    from pipeline.job.settings import region_of

    path = summary_path(getattr(args, "summary", None))
    if path is None:
        return
    price = price_of(job.model, region_of(job))
    cost = None if price is None else result.prompt_tokens * price[0] + result.completion_tokens * price[1]
    write_summary(path, run_summary(result, cost, qa_findings))


def _emulator_engine(job: Job, mode: str | None) -> str:
    """The engine a run with ``--emulator MODE`` expects ("" without the flag)."""
    from pipeline.provenance import emulator_engine

    return emulator_engine(("chat-" if job.engine == "llm" else "") + mode) if mode else ""


def _frozen(job: Job, args: argparse.Namespace) -> int:
    """``--frozen``: is everything up to date? Sends nothing, writes nothing (exit 0 or 8)."""
    from pipeline.job.estimate import estimate_requests
    from pipeline.job.freshness import check_freshness, format_freshness
    from pipeline.job.ci_summary import frozen_summary, summary_path, write_summary
    from pipeline.job.settings import pool_settings, region_of

    settings = pool_settings(job)
    engine = _emulator_engine(job, args.emulator)
    fresh = check_freshness(job, settings, engine=engine)
    est = estimate_requests(job, fresh.requests, settings, region_of(job))
    cost = "cost unknown" if est.cost_usd is None else f"about ${est.cost_usd:.4f}"
    print(format_freshness(fresh, f"{est.total_tokens} tokens, {cost}"), file=sys.stderr)
    if (path := summary_path(args.summary)) is not None:
        write_summary(path, frozen_summary(fresh, est.requests, est.total_tokens, est.cost_usd))
    return EXIT_OK if fresh.up_to_date else EXIT_STALE


def _run_check(job: Job, fail_on: str | None, json_path: str | None, html_path: str | None,
               **accepting: Any) -> int:
    return _report_check(_checked(job, fail_on, json_path, html_path, **accepting))


def _checked(job: Job, fail_on: str | None, json_path: str | None, html_path: str | None, **accepting: Any) -> Any:
    """The QA gate's result for ``job`` (pipeline.review.qa.gate.GateResult)."""
    from pipeline.review.qa.gate import check_job

    return check_job(job, fail_on=fail_on, json_path=Path(json_path) if json_path else None,
                     html_path=Path(html_path) if html_path else None, **accepting)


def _report_check(result: Any) -> int:
    """Print the gate's summary; its exit code."""
    if result.newly_accepted:
        print(f"qmt: accepted {result.newly_accepted} findings in {result.accepted_path}", file=sys.stderr)
    print(result.summary())
    print(f"qmt: QA reports: {result.json_path} {result.html_path}", file=sys.stderr)
    if result.failed:
        print(f"qmt: check failed: {len(result.failed)} findings at or above {result.fail_on}", file=sys.stderr)
        return EXIT_PARTIAL
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    return _run_check(_job_from_args(args), args.fail_on, args.json, args.html, accept=args.accept,
                      accept_all=args.accept_all, reason=args.reason, emulator=args.emulator)


def _translate_with_emulator(job: Job, mode: str, wait: float, args: argparse.Namespace | None = None) -> int:
    from pipeline.config import with_overrides
    from pipeline.emulator.server import EmulatorServer
    from pipeline.provenance import emulator_engine
    from pipeline.job.run import run_job
    from pipeline.translate.engines import make_backend, make_media_backend

    llm = job.engine == "llm"   # engine llm: the emulator's generic chat mode stands in for the model server
    with EmulatorServer(mode=mode, chat=llm) as server:
        # The emulator enforces no account limits, so pacing would only slow the demo.
        job = with_overrides(job, base_url=server.chat_base_url if llm else server.url_for(job.protocol),
                             run=replace(job.run, rpm=0, tpm=0))
        print(f"qmt: EMULATOR ({mode} mode{', generic chat' if llm else ''}) at {job.base_url}: the output is "
              "emulated, not a real translation", file=sys.stderr)
        _announce(job)
        if llm:  # no key: a model server started without one takes none (QMT_LLM_API_KEY if set)
            backend = make_backend(job, engine=emulator_engine(f"chat-{mode}"))
        else:
            backend = make_backend(job, api_key="emulator-local-key", engine=emulator_engine(mode))
        media_backend = None if llm else make_media_backend(job, api_key="emulator-local-key",
                                                            engine=emulator_engine(mode))
        result = run_job(job, backend=backend, lock_wait=wait, media_backend=media_backend)
    _print_result(result)
    return _after_run(job, result, args) if args is not None else result.exit_code


def _announce(job: Job) -> None:
    print(f"qmt: job {job.name}: {job.input_dir} -> {job.output} "
          f"({', '.join(lang.code for lang in job.target_langs)}) via {job.model} at {job.base_url}",
          file=sys.stderr)


def _job_from_args(args: argparse.Namespace) -> Job:
    target = Path(args.target)
    overrides = _overrides(args)
    if target.suffix == ".toml" or target.is_file():
        return load_job(target, overrides)
    return job_from_flags({"input": str(target), **overrides})


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Flags as job-file keys. Paths from flags are relative to the current folder."""
    cwd = Path.cwd()
    out: dict[str, Any] = {}
    simple = {"source": "source_lang", "model": "model", "region": "region",
              "base_url": "base_url", "domains": "domains", "engine": "engine", "protocol": "protocol"}
    for attr, key in simple.items():
        if getattr(args, attr) is not None:
            out[key] = getattr(args, attr)
    for attr, key in (("out", "output"), ("terms", "terms"), ("tm", "tm")):
        if getattr(args, attr) is not None:
            out[key] = str(cwd / getattr(args, attr))
    if args.to:
        out["target_langs"] = args.to
    if args.include:
        out["include"] = args.include
    if args.exclude:
        out["exclude"] = args.exclude
    run = {key: getattr(args, key) for key in ("concurrency", "rpm", "tpm", "minute_seconds", "budget_usd", "budget_tokens")
           if getattr(args, key) is not None}
    if run:
        out["run"] = run
    media = {key: value for key in ("dub", "voice", "mux") if (value := getattr(args, key, None)) is not None}
    if media:
        out["media"] = media
    return out


def _print_result(result: RunResult) -> None:
    written = sum(1 for f in result.files if f.status == "written")
    for f in result.files:
        for decision in f.decisions:
            print(f"qmt: {f.relpath}: {decision}", file=sys.stderr)
        if f.status == "written":
            for p in f.problems:  # warnings only (glossary terms not applied, lines kept as they are)
                where = f"segment {p.segment} ({p.lang}): " if p.segment else ""
                print(f"qmt: warning: {f.relpath}: {where}{p.reason}", file=sys.stderr)
            continue
        print(f"qmt: {f.status}: {f.relpath}: {f.reason}".rstrip(": "), file=sys.stderr)
        for p in f.problems:
            if not p.segment:  # found by the coverage checks: a place in the file, not a segment
                print(f"qmt:   {p.status}{f' ({p.lang})' if p.lang else ''}: {p.reason}", file=sys.stderr)
                continue
            print(f"qmt:   segment {p.segment} ({p.context or 'text'}, {p.lang}): {p.status}: {p.reason}",
                  file=sys.stderr)
    if result.fatal:
        print(f"qmt: stopped: {result.fatal}", file=sys.stderr)
    if result.budget_stop:
        print(f"qmt: stopped before the next request: {result.budget_stop}; files not listed as written "
              "were not written (run again with a larger budget: what is done is cached)", file=sys.stderr)
    if result.unavailable:
        print(f"qmt: stopped: {result.unavailable}", file=sys.stderr)
    if result.state_stop:
        print(f"qmt: stopped before the next request: {result.state_stop}; answers already stored are kept "
              "(free up space or fix permissions and run again)", file=sys.stderr)
    elif result.state_error:
        print(f"qmt: warning: {result.state_error}; the outputs are complete, but usage may be missing from "
              "the ledger and a new run may pay again for what this one translated", file=sys.stderr)
    if result.requeued:
        print(f"qmt: {result.requeued} requests used up their attempts and were queued again", file=sys.stderr)
    if result.batch_splits:
        print(f"qmt: {result.batch_splits} packed answers were not one-to-one and were split and sent again",
              file=sys.stderr)
    if result.misaligned:
        print(f"qmt: {result.misaligned} segments came back misaligned in packed answers and were sent again "
              "(the aligned rest of those answers was kept)", file=sys.stderr)
    _print_engines(result)
    for path in result.pruned:
        print(f"qmt: removed {path}: its input is gone", file=sys.stderr)
    if result.lock_files:
        print(f"qmt: lock files: {' '.join(result.lock_files)} (commit them with the outputs)", file=sys.stderr)
    print(f"qmt: {written} of {len(result.files)} files written in full; {result.requests} requests, "
          f"{result.prompt_tokens} prompt + {result.completion_tokens} completion tokens "
          f"(ledger: {result.ledger_dir}); from memory: {result.cache_hits} cached, "
          f"{result.tm_hits} TM matches, {result.committed_hits} from the committed outputs", file=sys.stderr)


def _print_engines(result: RunResult) -> None:
    """Say who answered, loudly when it was the emulator: its output is not a translation."""
    from pipeline.provenance import is_emulated

    for engine, count in sorted(result.answered_by.items()):
        note = " (EMULATED: not a real translation; never reused by runs against the real service)" \
            if is_emulated(engine) else ""
        print(f"qmt: {count} requests answered by {engine}{note}", file=sys.stderr)


def _estimate(args: argparse.Namespace) -> int:
    from pipeline.job.estimate import estimate_job, format_estimate
    from pipeline.job.settings import pool_settings, region_of

    job = _job_from_args(args)
    engine = _emulator_engine(job, args.emulator)
    print(format_estimate(estimate_job(job, pool_settings(job), region_of(job), engine)))
    return EXIT_OK


# --- langs and usage --------------------------------------------------------------------


def _langs(args: argparse.Namespace) -> int:
    from pipeline.errors import ConfigError
    from pipeline.languages import all_languages, resolve
    from pipeline.service_facts import (LIVETRANSLATE_LANGS as LANGS, LIVETRANSLATE_MODELS as MEDIA_MODELS, MODELS,
                                        SPEECH_LANGS)

    if args.model in MEDIA_MODELS:        # audio and video: subtitles in every language, speech in some
        for lang in (resolve(code) for code in LANGS):
            spoken = "subtitles and speech" if lang.code in SPEECH_LANGS else "subtitles only"
            print(f"{lang.code:<6} {lang.name:<24} {spoken:<22} {lang.zh_name}")
        return EXIT_OK
    if args.model not in MODELS:
        raise ConfigError(f"unknown model {args.model!r} (known: {', '.join(MODELS + MEDIA_MODELS)})")
    for lang in all_languages():
        if lang.supported_by(args.model):
            print(f"{lang.code:<6} {lang.api_name(args.model):<24} {lang.zh_name}")
    return EXIT_OK


def _usage(args: argparse.Namespace) -> int:
    import polars as pl

    from pipeline.ledger.usage import emulated_rows, read_ledger
    from pipeline.ledger.summary import format_table, summarise

    dirs = [Path(d) for d in args.ledger or []]
    job_files = [Path(j) for j in args.jobs] or ([] if dirs else sorted(Path("jobs").glob("*.toml")))
    for jf in job_files:
        try:
            dirs.append(load_job(jf).state_dir / "ledger")
        except QmtError as exc:
            if args.jobs:  # named on the command line: an error; found in jobs/: skipped
                raise
            print(f"qmt: skipping {jf}: {redact(str(exc))}", file=sys.stderr)
    frames = [read_ledger(d) for d in dirs]
    ledger = pl.concat(frames) if frames else read_ledger(Path("/nonexistent"))
    if ledger.height == 0:
        print("qmt: no usage recorded yet")
        return EXIT_OK
    emulated = emulated_rows(ledger)
    real, fake = ledger.filter(~emulated), ledger.filter(emulated)
    if real.height == 0:
        print("== spending: none (no request to the Qwen service recorded)")
        print()
    for title, by in (("by job", ["job"]), ("by model", ["model"]), ("by day", ["day"]),
                      ("by file", ["job", "file"])) if real.height else ():
        print(f"== {title}")
        print(format_table(summarise(real, by)))
        print()
    if fake.height:  # requests the emulator answered: nothing was spent
        print("== emulated (not billed, not spending)")
        print(format_table(summarise(fake, ["job", "engine"]).drop("cost_usd")))
        print()
    return EXIT_OK


def _emulator(args: argparse.Namespace) -> int:
    from pipeline.emulator.cli import run

    return run(args)


def _tm(args: argparse.Namespace) -> int:
    from pipeline.memory.session import export_tm

    job = load_job(args.job)
    out = Path(args.output) if args.output else job.state_dir / f"{job.name}.tmx"
    done = export_tm(job, out, include_emulated=args.include_emulated)
    print(f"qmt: wrote {done.written} translations to {out}", file=sys.stderr)
    for engine, count in sorted(done.left_out.items()):
        print(f"qmt: left out {count} translations made by {engine} (not real; --include-emulated "
              "exports them, marked)", file=sys.stderr)
    return EXIT_OK


def _xliff(args: argparse.Namespace) -> int:
    from pipeline.review.xliff.cli import run_xliff

    return run_xliff(args, load_job)


_COMMANDS = {"translate": _translate, "estimate": _estimate, "langs": _langs, "usage": _usage, "emulator": _emulator, "tm": _tm,
             "check": _check, "xliff": _xliff}
