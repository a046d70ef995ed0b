"""The CI and cron recipes of the README's loop section: every qmt command in them is
one the command line takes, and the YAML recipes are valid YAML."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from pipeline.cli import build_parser

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## The loop:"):README.index("\n## ", README.index("## The loop:") + 1)]
BLOCKS = re.findall(r"```(yaml|sh)\n(.*?)```", SECTION, re.S)


def qmt_commands(text: str) -> list[list[str]]:
    """Each ``qmt ...`` command in a shell line, up to the next operator or comment."""
    found = []
    for match in re.finditer(r"\bqmt (translate|estimate|check|xliff|tm|usage)\b[^;&|#\n\"\],]*", text):
        found.append(shlex.split(match.group(0))[1:])
    return found


def test_the_recipes_are_there_and_their_yaml_parses():
    kinds = [kind for kind, _ in BLOCKS]
    assert kinds.count("yaml") == 2 and "sh" in kinds
    for kind, body in BLOCKS:
        if kind == "yaml":
            assert isinstance(yaml.safe_load(body), dict)


def test_every_qmt_command_in_the_recipes_parses():
    commands = [cmd for _, body in BLOCKS for cmd in qmt_commands(body)]
    assert len(commands) >= 5 and any("--frozen" in c for c in commands) and any("--wait" in c for c in commands)
    parser = build_parser()
    for cmd in commands:
        parser.parse_args(cmd)      # argparse exits (SystemExit) on a flag the CLI does not take
