"""Front matter: YAML between ``---`` lines or TOML between ``+++`` lines.

Only the keys the job names are translated (``title``, or a path such as
``hero.tagline``), and only one-line scalar values
(plain, single- or double-quoted strings); every other byte of the block stays as it
was. A translated value is written in its source style when that style can hold it,
otherwise as a double-quoted string (valid in both YAML and TOML), so the block stays
valid whatever the model wrote. :func:`check` re-reads the rebuilt block with a real
YAML/TOML parser before anything is written.
"""
from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from typing import Any, Iterator

from pipeline.formats.markdown.inline import InlineUnit
from pipeline.segments import SegmentBuilder, text_with_literals

_YAML_LINE_RE = re.compile(
    r"""( *(?:- +)*)([A-Za-z0-9_][\w.-]*|"[^"\n]*"|'[^'\n]*')[ \t]*:(?:[ \t]+|$)"""
)
_TOML_KEY_RE = re.compile(r"""[ \t]*([A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*')[ \t]*=[ \t]*""")
_TOML_TABLE_RE = re.compile(r"\[\[?\s*([A-Za-z0-9_.\- ]+?)\s*\]\]?\s*(?:#.*)?$")
_DQ_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}
#: Plain YAML values that would read back as something other than the same string.
_YAML_UNSAFE_RE = re.compile(
    r"""^[-?:,\[\]{}#&*!|>'"%@`\s]|:\s|\s#|:$|\s$|^(?:true|false|yes|no|on|off|null|~|[-+.\d][\d._:eE+-]*)$""",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FrontMatter:
    """Where the block is: lines ``first``..``last`` (the fences) and its language."""

    lang: str          # "yaml" or "toml"
    first: int
    last: int
    start: int         # text offset of the first body line
    end: int           # text offset of the closing fence line


def find(text: str, lines: list[tuple[int, int]]) -> FrontMatter | None:
    """The front matter at the very top of the file, if any."""
    if not lines:
        return None
    opener = text[lines[0][0] : lines[0][1]].rstrip()
    fences = {"---": ("yaml", ("---", "...")), "+++": ("toml", ("+++",))}
    if opener not in fences:
        return None
    lang, closers = fences[opener]
    for n in range(1, len(lines)):
        if text[lines[n][0] : lines[n][1]].rstrip() in closers:
            return FrontMatter(lang, 0, n, lines[1][0] if n > 1 else lines[n][0], lines[n][0])
    return None


def units(text: str, lines: list[tuple[int, int]], fm: FrontMatter, keys: tuple[str, ...]) -> list[InlineUnit]:
    """A unit for each named key holding a one-line string.

    Keys are paths: ``title`` at the top level, ``hero.tagline`` inside a mapping (a
    TOML table), ``features.details`` in every item of a list of mappings.
    """
    out: list[InlineUnit] = []
    seen: dict[str, int] = {}
    for n, path, value_start in _keys(text, lines, fm):
        if path not in keys:
            continue
        value = _value(text, value_start, lines[n][1], fm.lang)
        if value is None:
            continue
        v_start, v_end, style, decoded = value
        b = SegmentBuilder()
        b.text(decoded)
        seen[path] = seen.get(path, 0) + 1
        uid = f"fm.{path}" if seen[path] == 1 else f"fm.{path}.{seen[path]}"
        out.append(
            InlineUnit(uid, f"front matter: {path}", b.build(), v_start, v_end,
                 payloads=b.payloads, kind="front matter", extra=(fm.lang, style))
        )
    return out


def _keys(text: str, lines: list[tuple[int, int]], fm: FrontMatter) -> Iterator[tuple[int, str, int]]:
    """(line, key path, value offset) of every ``key: value`` line with a one-line value."""
    stack: list[tuple[int, str]] = []   # YAML: (key column, key) of enclosing mappings
    table = ""                          # TOML: the current [table]
    for n in range(fm.first + 1, fm.last):
        start, end = lines[n]
        line = text[start:end]
        if fm.lang == "toml":
            header = _TOML_TABLE_RE.match(line)
            if header:
                table = header.group(1).replace(" ", "") + "."
                continue
            m = _TOML_KEY_RE.match(line)
            if m:
                yield n, table + _unquote_key(m.group(1)), start + m.end()
            continue
        m = _YAML_LINE_RE.match(line)
        if not m:
            continue
        column = m.start(2)
        while stack and stack[-1][0] >= column:
            stack.pop()
        key = _unquote_key(m.group(2))
        path = ".".join([k for _, k in stack] + [key])
        stack.append((column, key))
        if not _continues(text, lines, n, fm.last, column):
            yield n, path, start + m.end()


def _unquote_key(key: str) -> str:
    return key[1:-1] if key[:1] in "\"'" else key


def _continues(text: str, lines: list[tuple[int, int]], n: int, last: int, column: int) -> bool:
    """Whether the value goes on below (a block scalar, a nested mapping or list)."""
    for k in range(n + 1, last):
        nxt = text[lines[k][0] : lines[k][1]]
        if nxt.strip():
            return len(nxt) - len(nxt.lstrip(" ")) > column
    return False


def _value(text: str, start: int, end: int, lang: str) -> tuple[int, int, str, str] | None:
    """(start, end, style, decoded) of a one-line string value, or None to leave it."""
    raw = text[start:end]
    if raw.startswith('"') and not raw.startswith('"""'):
        close = _closing_quote(raw)
        if close is None or not _only_comment(raw[close + 1 :]):
            return None
        decoded = _decode_double(raw[1:close])
        return None if decoded is None else (start, start + close + 1, "double", decoded)
    if raw.startswith("'") and not raw.startswith("'''"):
        pattern = r"'((?:[^']|'')*)'" if lang == "yaml" else r"'([^']*)'"
        m = re.match(pattern, raw)
        if not m or not _only_comment(raw[m.end() :]):
            return None
        inner = m.group(1).replace("''", "'") if lang == "yaml" else m.group(1)
        return start, start + m.end(), "single", inner
    if lang == "toml" or not raw.strip() or raw[0] in "|>[{&*!%@`#":
        return None
    plain = re.split(r"[ \t]#", raw, maxsplit=1)[0].rstrip()
    return start, start + len(plain), "plain", plain


def _only_comment(rest: str) -> bool:
    rest = rest.strip()
    return not rest or rest.startswith("#")


def _closing_quote(raw: str) -> int | None:
    pos = 1
    while pos < len(raw):
        if raw[pos] == "\\":
            pos += 2
            continue
        if raw[pos] == '"':
            return pos
        pos += 1
    return None


def _decode_double(inner: str) -> str | None:
    out, pos = [], 0
    while pos < len(inner):
        ch = inner[pos]
        if ch != "\\":
            out.append(ch)
            pos += 1
            continue
        nxt = inner[pos + 1 : pos + 2]
        if nxt in _DQ_ESCAPES:
            out.append(_DQ_ESCAPES[nxt])
            pos += 2
        elif nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", inner[pos + 2 : pos + 6]):
            out.append(chr(int(inner[pos + 2 : pos + 6], 16)))
            pos += 6
        else:
            return None  # an escape we would not write back the same way
    return "".join(out)


def render(unit: InlineUnit, translation: str) -> str:
    """The translated value, quoted so that it reads back as exactly that string."""
    lang, style = unit.extra
    value = " ".join(_plain(unit, translation).split("\n")).strip()
    if style == "plain" and not _YAML_UNSAFE_RE.search(value) and value:
        return value
    if style == "single" and "\n" not in value and (lang == "yaml" or "'" not in value):
        return "'" + (value.replace("'", "''") if lang == "yaml" else value) + "'"
    return json.dumps(value, ensure_ascii=False)


def _plain(unit: InlineUnit, translation: str) -> str:
    """A tag-free unit's translation as text (literal tag-looking text restored)."""
    return text_with_literals(translation, unit.payloads)


def load(body: str, lang: str) -> Any:
    """Parse a front matter body; raises ValueError when it is not valid."""
    if lang == "toml":
        try:
            return tomllib.loads(body)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(str(exc)) from exc
    try:
        import yaml  # PyYAML (a dependency); the check is skipped without it
    except ImportError:  # pragma: no cover
        return None
    try:
        return yaml.safe_load(body)
    except yaml.YAMLError as exc:
        raise ValueError(str(exc).splitlines()[0]) from exc
