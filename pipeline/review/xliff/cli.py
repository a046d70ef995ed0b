"""``qmt xliff export|import``: the subcommands' flags and what they print.

The review loop sits below the job loader (:mod:`pipeline.config` composes the ``[qa]``
table from :mod:`pipeline.review.qa.options`), so the command hands in the function that
reads a job file (``load_job``) rather than this package importing it.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from pipeline.errors import EXIT_OK, EXIT_PARTIAL, ConfigError
from pipeline.languages import resolve
from pipeline.provenance import is_emulated

if TYPE_CHECKING:
    from pipeline.config import Job

JobLoader = Callable[[str], "Job"]      # a job file's path -> the validated job
EMULATOR_MODES = ("pseudo", "identity")


def add_xliff_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    xliff = sub.add_parser("xliff", help="bilingual XLIFF files for human review, and back")
    xsub = xliff.add_subparsers(dest="xliff_command", required=True)
    exp = xsub.add_parser("export", help="one XLIFF file per document and target language "
                                         "(<dir>/<lang>/<file>.xlf)")
    exp.add_argument("job", help="a job file (.toml)")
    exp.add_argument("--lang", action="append", metavar="LANG", help="only this target language (repeatable)")
    exp.add_argument("--xliff", choices=("2.1", "1.2"), default="2.1", help="XLIFF version (default 2.1)")
    exp.add_argument("-o", "--output", required=True, metavar="DIR")
    exp.add_argument("--emulator", nargs="?", const="pseudo", choices=EMULATOR_MODES,
                     help="export the translations qmt translate --emulator made (files say EMULATED)")
    imp = xsub.add_parser("import", help="store reviewed targets as human translations")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.add_argument("--job", metavar="JOB", help="the job file (default: the one named in each XLIFF file)")
    imp.add_argument("--emulator", nargs="?", const="pseudo", choices=EMULATOR_MODES,
                     help="the job's translations came from qmt translate --emulator")


def run_xliff(args: argparse.Namespace, load_job: JobLoader) -> int:
    if args.xliff_command == "export":
        return _export(args, load_job)
    return _import(args, load_job)


def _export(args: argparse.Namespace, load_job: JobLoader) -> int:
    from pipeline.review.xliff.export import export_job

    job = load_job(args.job)
    langs = None
    if args.lang:
        langs = [resolve(value, source="command line", key="--lang") for value in args.lang]
        for lang in langs:
            if lang not in job.target_langs:
                raise ConfigError(f"{lang.code} is not a target language of the job", source=args.job, key="--lang")
    result = export_job(job, Path(args.output), langs=langs, version=args.xliff, emulator=args.emulator)
    if result.hint:
        print(f"qmt: {result.hint}", file=sys.stderr)
    if result.emulated:
        print(f"qmt: EMULATED: {result.emulated} units hold the local emulator's output, not translations "
              "(each file says so at the top)", file=sys.stderr)
    for relpath, reason in result.unreadable:
        print(f"qmt: cannot read {relpath}: {reason}", file=sys.stderr)
    print(f"qmt: wrote {len(result.written)} XLIFF {args.xliff} files ({result.units} units) to {args.output}",
          file=sys.stderr)
    return EXIT_PARTIAL if result.unreadable else EXIT_OK


def _engines(counts: "Counter[str]", verb: str) -> str:
    if not counts:
        return ""
    return f" ({verb}: " + ", ".join(f"{n} {engine}" for engine, n in sorted(counts.items())) + ")"


def _import(args: argparse.Namespace, load_job: JobLoader) -> int:
    from pipeline.review.xliff.importer import import_files

    job = load_job(args.job) if args.job else None
    result = import_files([Path(f) for f in args.files], load_job=load_job, job=job, emulator=args.emulator)
    for line in result.failed:
        print(f"qmt: failed: {line}", file=sys.stderr)
    for line in result.stale + result.refused:
        print(f"qmt: refused: {line}", file=sys.stderr)
    # One line: how many units were taken in, replacing which engine's output, and how
    # many were left as exported (they keep their engine; the emulator's stay EMULATED).
    emulated = " (EMULATED: the emulator's output stays emulated)" if any(is_emulated(e) for e in result.kept) else ""
    print(f"qmt: {result.applied} units applied as human translations{_engines(result.taken_in, 'replacing')}, "
          f"{result.unchanged} unchanged{_engines(result.kept, 'kept')}{emulated}, "
          f"{result.empty} without a target, {len(result.stale)} stale, {len(result.refused)} refused",
          file=sys.stderr)
    return EXIT_PARTIAL if result.refused or result.stale or result.failed else EXIT_OK
