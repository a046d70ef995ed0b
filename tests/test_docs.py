"""The documentation says what the program does: README examples run, every flag documented.

* every TOML example in the README is a job file the real loader accepts;
* the "every key and its default" block names every key of the job file (a key added
  to ``pipeline/config.py`` must be documented) with its real default;
* every subcommand of ``qmt --help`` is in the README's command line section and the CLI
  module's docstring, and every flag of every subcommand is in that section.
"""
from __future__ import annotations

import argparse
import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

import pipeline.cli
from pipeline.cli import build_parser
from pipeline.config import JobTable, load_job

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
TOML_BLOCKS = re.findall(r"```toml\n(.*?)```", README, re.S)
# Keys whose README value is an example, not the default (required keys, the name, and
# sampling, whose default is "leave it to the service").
EXAMPLE_KEYS = {"input", "output", "target_langs", "name", "sampling"}


def section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else len(README)]


@pytest.mark.parametrize("block", TOML_BLOCKS, ids=lambda b: b.splitlines()[0][:30])
def test_every_readme_job_example_loads(block, tmp_path):
    data = tomllib.loads(block)
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    (jobs / data["input"]).resolve().mkdir(parents=True, exist_ok=True)
    (jobs / "example.toml").write_text(block, encoding="utf-8")
    job = load_job(jobs / "example.toml")
    assert job.target_langs and job.input_dir.is_dir()


def _defaults(cls) -> dict:
    out = {}
    for f in dataclasses.fields(cls):
        value = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        out[f.name] = _defaults(type(value)) if dataclasses.is_dataclass(value) else \
            list(value) if isinstance(value, tuple) else value
    return out


def test_the_every_key_block_lists_every_key_with_its_default():
    (block,) = [b for b in TOML_BLOCKS if "[run]" in b]
    documented, defaults = tomllib.loads(block), _defaults(JobTable)
    assert set(documented) == set(defaults), "README job-file block: keys differ from pipeline/config.py"
    for key, default in defaults.items():
        if key in EXAMPLE_KEYS:
            continue
        if isinstance(default, dict):
            rules = {"files"} if f"[[{key}.files]]" in block else set()   # arrays of rules: may be a pointer
            assert set(documented[key]) - rules == set(default) - rules, f"[{key}] keys differ"
            for sub, value in default.items():
                if sub in rules:
                    continue
                assert documented[key][sub] == value, f"[{key}] {sub}: README says {documented[key][sub]!r}"
        else:
            assert documented[key] == default, f"{key}: README says {documented[key]!r}, default {default!r}"
    for key in defaults["sampling"]:   # top_p is shown commented out: temperature or top_p, not both
        assert re.search(rf"^(# )?{key} = ", block, re.M), f"[sampling] {key} is not documented"


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(subcommand path, its parser) for every subcommand, nested ones too."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(build_parser()))


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_every_subcommand_is_documented(path):
    name = "qmt " + " ".join(path)
    assert name in section("Command line"), f"{name} missing from the README's command line section"
    assert name in pipeline.cli.__doc__, f"{name} missing from pipeline/cli.py's docstring"


@pytest.mark.parametrize("path,flag", [(p, o) for p, sub in COMMANDS for a in sub._actions
                                       for o in a.option_strings if o.startswith("--") and o != "--help"],
                         ids=lambda v: " ".join(v) if isinstance(v, tuple) else v)
def test_every_flag_is_documented(path, flag):
    assert f"`{flag}" in section("Command line") or f" {flag}" in section("Command line"), \
        f"qmt {' '.join(path)} {flag} is not in the README's command line section"


def test_sample_job_loads():
    assert load_job(REPO / "jobs" / "sample.toml").target_langs
