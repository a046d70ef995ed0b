"""The documentation says what the program does: the README and the pages in ``docs/``.

A documented example that is not tested is wrong sooner or later, so:

* every TOML example in the README and in ``docs/`` is a job file the real loader accepts,
  and the README's example is ``jobs/sample.toml`` as it is;
* the "every key and its default" block of ``docs/job-file.md`` names every key of the job
  file (a key added to the loader must be documented) with its real default, and the
  per-file rule examples show every key a rule takes;
* every ``[table] key`` the pages name inline is a key the loader knows;
* every subcommand of ``qmt --help`` is in the README's command line section and the CLI
  module's docstring, every flag of every subcommand is in that section, and every flag
  that section names exists;
* every ``qmt ...`` command shown, in a shell block or inline, parses with the real
  command line; every ``make`` target shown is in the Makefile;
* the exit codes table is the runner's codes; every extension qmt reads is in the formats
  page; every path and test the pages name exists; every relative link resolves.
"""
from __future__ import annotations

import argparse
import ast
import dataclasses
import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

import pipeline.cli
from pipeline.cli import build_parser
from pipeline.config import JobTable, load_job
from pipeline.formats import _MODULE_BY_EXTENSION
from pipeline.formats.options import CsvFileRule, XlsxFileRule
from pipeline.job import run as runner

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
PAGES = {"README.md": README} | {f"docs/{p.name}": p.read_text(encoding="utf-8")
                                  for p in sorted((REPO / "docs").glob("*.md"))}
TOML_BLOCKS = [(name, block) for name, text in PAGES.items() for block in re.findall(r"```toml\n(.*?)```", text, re.S)]
JOB_FILE_PAGE = PAGES["docs/job-file.md"]
# Keys whose documented value is an example, not the default (required keys, the name, and
# sampling, whose default is "leave it to the service").
EXAMPLE_KEYS = {"input", "output", "target_langs", "name", "sampling"}


def section(title: str, text: str = README) -> str:
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else len(text)]


def toml_block(text: str, marker: str) -> str:
    (block,) = [b for b in re.findall(r"```toml\n(.*?)```", text, re.S) if marker in b]
    return block


def test_every_page_the_readme_promises_is_there():
    for page in ("job-file", "formats", "engines", "media", "review-loop", "reliability", "benchmarks",
                 "development"):
        assert f"docs/{page}.md" in PAGES, f"docs/{page}.md is missing"
        assert f"](docs/{page}.md)" in section("Reference"), f"the README does not link docs/{page}.md"


@pytest.mark.parametrize("page,block", TOML_BLOCKS, ids=lambda v: v if v in PAGES else v.splitlines()[0][:30])
def test_every_job_example_loads(page, block, tmp_path):
    data = tomllib.loads(block)
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    (jobs / data["input"]).resolve().mkdir(parents=True, exist_ok=True)
    (jobs / "example.toml").write_text(block, encoding="utf-8")
    job = load_job(jobs / "example.toml")
    assert job.target_langs and job.input_dir.is_dir()


def test_the_readme_job_is_the_sample_job():
    block = toml_block(README, "[run]")
    sample = (REPO / "jobs" / "sample.toml").read_text(encoding="utf-8")
    assert sample.endswith(block) and sample[:-len(block)].strip().startswith("#")   # only comments before it
    assert load_job(REPO / "jobs" / "sample.toml").target_langs


def _defaults(cls) -> dict:
    out = {}
    for f in dataclasses.fields(cls):
        value = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        out[f.name] = _defaults(type(value)) if dataclasses.is_dataclass(value) else \
            list(value) if isinstance(value, tuple) else value
    return out


def test_the_every_key_block_lists_every_key_with_its_default():
    block = toml_block(JOB_FILE_PAGE, "[qa]")
    documented, defaults = tomllib.loads(block), _defaults(JobTable)
    assert set(documented) == set(defaults), "docs/job-file.md: keys differ from the loader's"
    for key, default in defaults.items():
        if key in EXAMPLE_KEYS:
            continue
        if isinstance(default, dict):
            rules = {"files"} if f"[[{key}.files]]" in block else set()   # arrays of rules: may be a pointer
            assert set(documented[key]) - rules == set(default) - rules, f"[{key}] keys differ"
            for sub, value in default.items():
                if sub in rules:
                    continue
                assert documented[key][sub] == value, f"[{key}] {sub}: docs/job-file.md says {documented[key][sub]!r}"
        else:
            assert documented[key] == default, f"{key}: docs/job-file.md says {documented[key]!r}, default {default!r}"
    for key in defaults["sampling"]:   # top_p is shown commented out: temperature or top_p, not both
        assert re.search(rf"^(# )?{key} = ", block, re.M), f"[sampling] {key} is not documented"


@pytest.mark.parametrize("table,rule", [("csv", CsvFileRule), ("xlsx", XlsxFileRule)])
def test_the_per_file_rule_example_shows_every_key_a_rule_takes(table, rule):
    example = tomllib.loads(toml_block(PAGES["docs/formats.md"], f"[[{table}.files]]"))
    shown = set().union(*(r.keys() for r in example[table]["files"]))
    assert shown == {f.name for f in dataclasses.fields(rule)}


def _known_keys() -> dict[str, set[str]]:
    return {table: set(value) for table, value in _defaults(JobTable).items() if isinstance(value, dict)}


def test_every_table_key_named_inline_exists():
    known, named = _known_keys(), 0
    for page, text in PAGES.items():
        for table, key in re.findall(r"`\[(\w+)\] (\w+)`", text):
            named += 1
            assert table in known and key in known[table], f"{page}: [{table}] {key} is not a job-file key"
    assert named >= 5


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(subcommand path, its parser) for every subcommand, nested ones too."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(build_parser()))
FLAGS = {o for _, sub in COMMANDS for a in sub._actions for o in a.option_strings}


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


def test_every_flag_the_command_line_section_names_exists():
    named = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", section("Command line")))
    assert len(named) > 40 and named <= FLAGS, f"not flags of qmt: {sorted(named - FLAGS)}"


def test_every_flag_a_page_names_is_qmts_or_a_bench_scripts():
    scripts = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "bench").glob("*.py"))
    for page, text in PAGES.items():
        for flag in set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", text)) - FLAGS:
            assert f'"{flag}"' in scripts, f"{page}: {flag} is neither a flag of qmt nor of a bench script"


SUBCOMMAND = re.compile(r"\bqmt (?:translate|estimate|check|xliff|tm|usage|langs|emulator)\b")


def _argv(line: str) -> list[str] | None:
    """The ``qmt`` command in a line of shell as argv, up to an operator or a comment;
    optional parts (``[--from en]``) taken, ``...`` dropped. None when there is none."""
    start = SUBCOMMAND.search(line)
    if start is None:
        return None
    lexer = shlex.shlex(line[start.start():].replace("[", " ").replace("]", " "), posix=True, punctuation_chars=";&|")
    lexer.whitespace_split, lexer.commenters = True, "#"
    words = []
    for word in lexer:
        if set(word) <= set(";&|"):
            break
        words.append(word)
    return [w for w in words[1:] if w not in ("...", "…")]


def _strings(value) -> list[str]:
    """Every string in a parsed YAML document (the shell a CI recipe runs)."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def _shown_commands(text: str) -> list[tuple[list[str], bool]]:
    """Every ``qmt ...`` command a page shows, and whether it is inline: in shell blocks,
    in CI recipes, and in inline code (where the job is often left out: `qmt check --emulator`)."""
    lines = [line for block in re.findall(r"```sh\n(.*?)```", text, re.S) for line in block.splitlines()]
    lines += [line for block in re.findall(r"```yaml\n(.*?)```", text, re.S)
              for s in _strings(yaml.safe_load(block)) for line in s.splitlines()]
    found = [(argv, False) for line in lines if (argv := _argv(line)) is not None]
    prose = re.sub(r"(?m)^\| `qmt[^|]*\|", "|", text)      # a table row's label (`qmt check JOB`) is a name
    return found + [(argv, True) for line in re.findall(r"`(qmt [a-z][^`]*)`", prose)
                    if (argv := _argv(line)) is not None]


def _parses(argv: list[str]) -> bool:
    try:
        build_parser().parse_args(argv)
    except SystemExit:
        return False
    return True


SHOWN = [(page, argv, inline) for page, text in PAGES.items() for argv, inline in _shown_commands(text)]


@pytest.mark.parametrize("page,argv,inline", SHOWN,
                         ids=lambda v: v if isinstance(v, str) else " ".join(v)[:60] if isinstance(v, list) else "")
def test_every_command_shown_parses(page, argv, inline, capsys):
    path = 2 if argv[0] in ("xliff", "tm") else 1
    if inline and tuple(argv) in dict(COMMANDS):   # `qmt xliff export` in a sentence names a command
        return
    # inline, a command may leave its job out: the flags and their values must still be right
    assert _parses(argv) or inline and _parses(argv[:path] + ["JOB"] + argv[path:]), \
        f"{page}: `qmt {' '.join(argv)}` is not a command qmt takes: {capsys.readouterr().err}"
    if argv[0] == "langs":   # needs no job and sends nothing: run it
        assert pipeline.cli.main(argv) == 0


def test_the_readme_shows_commands_of_every_kind():
    commands = {argv[0] for page, argv, inline in SHOWN if page == "README.md" and not inline}
    assert commands >= {"translate", "estimate", "check", "xliff", "tm", "usage", "langs", "emulator"}


def test_every_make_target_shown_is_in_the_makefile():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.M))
    shown = {t for text in PAGES.values() for t in re.findall(r"(?:`|^)make ([a-z][\w-]*)", text, re.M)}
    assert {"demo", "test"} <= shown and shown <= targets, sorted(shown - targets)


def test_the_exit_codes_table_is_the_runners():
    codes = {int(c) for c in re.findall(r"^\| (\d) \|", section("Command line"), re.M)}
    runner_codes = {value for name, value in vars(runner).items() if name.startswith("EXIT_") and isinstance(value, int)}
    assert codes == runner_codes
    assert all(f"{code} " in pipeline.cli.__doc__ for code in codes)


def test_every_extension_qmt_reads_is_in_the_formats_page():
    table = PAGES["docs/formats.md"].split("\n## ", 1)[0]       # the table before the first section
    for extension in _MODULE_BY_EXTENSION:
        assert f"`{extension}`" in table, f"{extension} is missing from docs/formats.md's table"


def test_every_media_extension_is_in_the_media_page():
    from pipeline.media import AUDIO_EXTENSIONS, VIDEO_EXTENSIONS

    inputs = PAGES["docs/media.md"].split("| output |", 1)[0]   # the paragraph that lists the inputs
    for extension in (*AUDIO_EXTENSIONS, *VIDEO_EXTENSIONS):
        assert re.search(rf"[`\s]{re.escape(extension)}[`\s]", inputs), f"{extension} is missing from docs/media.md"


PATH = re.compile(r"`((?:pipeline|tests|bench|jobs|sample_docs|docs)/[\w./*-]*)(?:::([\w*]+))?")


def test_every_path_and_test_named_exists():
    named = 0
    for page, text in PAGES.items():
        for path, test in PATH.findall(text):
            named += 1
            matches = list(REPO.glob(path.rstrip("/"))) if "*" in path else [REPO / path.rstrip("/")]
            assert matches and all(m.exists() for m in matches), f"{page}: {path} does not exist"
            if test:
                pattern = re.compile("def " + test.replace("*", r"\w*") + r"\b")
                assert any(pattern.search(m.read_text(encoding="utf-8")) for m in matches), \
                    f"{page}: no test {test} in {path}"
    assert named > 50


def test_every_test_file_named_alone_exists():
    """Tables name test files without their folder (`test_hostile_files.py::test_zip_*`)."""
    files = {p.name: p for p in (REPO / "tests").rglob("test_*.py")}
    for page, text in PAGES.items():
        for name, test in re.findall(r"`(test_\w+\.py)(?:::([\w*]+))?", text):
            assert name in files, f"{page}: no test file {name}"
            if test:
                pattern = re.compile("def " + test.replace("*", r"\w*") + r"\b")
                assert pattern.search(files[name].read_text(encoding="utf-8")), f"{page}: no test {test} in {name}"


def _anchors(text: str) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    return {re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
            for title in re.findall(r"^#+ (.*)$", re.sub(r"```.*?```", "", text, flags=re.S), re.M)}


def test_every_relative_link_resolves():
    for page, text in PAGES.items():
        text = re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", text, flags=re.S))   # code is not a link
        for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]*))?\)", text):
            if "://" in target or target.startswith("../shared/"):
                continue
            path = (REPO / page).parent / target if target else REPO / page
            assert path.exists(), f"{page}: the link to {target} goes nowhere"
            if anchor:
                assert anchor in _anchors(path.read_text(encoding="utf-8")), f"{page}: no section #{anchor} in {path.name}"


def _environment_names() -> set[str]:
    """Every environment variable the package reads: ``*_ENV`` constants and literal names."""
    names = set()
    for module in (REPO / "pipeline").rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and any(
                    isinstance(t, ast.Name) and t.id.endswith("_ENV") for t in node.targets):
                names.add(node.value.value)
            elif isinstance(node, ast.Call) and ast.unparse(node.func) in ("os.environ.get", "os.getenv") \
                    and node.args and isinstance(node.args[0], ast.Constant):
                names.add(node.args[0].value)
            elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ" \
                    and isinstance(node.slice, ast.Constant):
                names.add(node.slice.value)
    return names


def test_every_environment_variable_the_package_reads_is_documented():
    names, text = _environment_names(), "\n".join(PAGES.values())
    assert {"DASHSCOPE_API_KEY", "QMT_LLM_API_KEY"} <= names
    assert all(f"`{name}" in text for name in names), sorted(n for n in names if f"`{n}" not in text)


def test_every_key_set_inline_is_a_key_with_a_value_of_its_type():
    """`engine = "llm"`, `pack_tokens = 0` ...: a key of the job file or one of its tables."""
    known: dict[str, set[type]] = {}
    for name, value in _defaults(JobTable).items():
        for key, default in (value.items() if isinstance(value, dict) else [(name, value)]):
            known.setdefault(key, set()).add(type(default))
    shown = [(page, line) for page, text in PAGES.items() for line in re.findall(r"`(\w+ = [^`]+)`", text)]
    assert len(shown) >= 5
    for page, line in shown:
        ((key, value),) = tomllib.loads(line).items()
        assert type(value) in known.get(key, ()), f"{page}: `{line}` sets no such key"
