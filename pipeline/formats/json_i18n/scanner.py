"""A JSON (and JSONC) reader that keeps where everything is.

The json module gives values but not their offsets, and a splice writer needs the exact
span of every string literal and object member. This scanner reads the same grammar
(plus ``//`` and ``/* */`` comments and trailing commas, which JSONC files such as VS
Code's and many i18n tools' hold) into :class:`JNode` objects with character offsets; string
literals are decoded by the json module itself, so escapes mean exactly what they mean
to every other JSON reader.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

_WS_RE = re.compile(r"(?:[ \t\r\n]+|//[^\n]*|/\*.*?\*/)*", re.DOTALL)
_STRING_RE = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
_SCALAR_RE = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")
_MAX_DEPTH = 200


class JsonSyntaxError(ValueError):
    """Not JSON (or JSONC); the message says where."""


@dataclass
class Member:
    key: str
    key_start: int
    key_end: int
    value: "JNode"


@dataclass
class JNode:
    kind: str                   # object | array | string | scalar
    start: int
    end: int
    value: object = None        # the decoded string, for strings
    members: list[Member] = field(default_factory=list)
    items: list["JNode"] = field(default_factory=list)


@dataclass
class Scan:
    root: JNode
    comments: bool              # the text holds comments or trailing commas (JSONC)


def scan(text: str) -> Scan:
    """Read ``text``; JsonSyntaxError naming line and column if it is not JSON(C)."""
    s = _Scanner(text)
    s.skip()
    root = s.value(0)
    s.skip()
    if s.i != len(text):
        s.fail("unexpected text after the value")
    return Scan(root, s.jsonc)


class _Scanner:
    def __init__(self, text: str):
        self.t, self.i, self.jsonc = text, 0, False

    def fail(self, what: str) -> None:
        line = self.t.count("\n", 0, self.i) + 1
        col = self.i - (self.t.rfind("\n", 0, self.i) + 1) + 1
        raise JsonSyntaxError(f"{what} at line {line}, column {col}")

    def skip(self) -> None:
        m = _WS_RE.match(self.t, self.i)
        if "/" in m.group(0):
            self.jsonc = True
        self.i = m.end()

    def value(self, depth: int) -> JNode:
        if depth > _MAX_DEPTH:
            self.fail("nesting too deep")
        c = self.t[self.i : self.i + 1]
        if c == "{":
            return self.obj(depth)
        if c == "[":
            return self.arr(depth)
        if c == '"':
            return self.string()
        m = _SCALAR_RE.match(self.t, self.i)
        if m is None:
            self.fail("expected a value" if c else "unexpected end of file")
        self.i = m.end()
        return JNode("scalar", m.start(), m.end())

    def string(self) -> JNode:
        m = _STRING_RE.match(self.t, self.i)
        if m is None:
            self.fail("bad string")
        self.i = m.end()
        try:
            decoded = json.loads(m.group(0))
        except ValueError as exc:   # a lone surrogate escape
            self.fail(f"bad string ({exc})")
        return JNode("string", m.start(), m.end(), decoded)

    def obj(self, depth: int) -> JNode:
        node = JNode("object", self.i, self.i)
        self.i += 1
        self.skip()
        keys: set[str] = set()
        while self.t[self.i : self.i + 1] != "}":
            if self.t[self.i : self.i + 1] != '"':
                self.fail("expected a key in double quotes")
            key = self.string()
            if key.value in keys:
                self.fail(f"key {key.value!r} appears twice in one object")
            keys.add(key.value)
            self.skip()
            if self.t[self.i : self.i + 1] != ":":
                self.fail("expected ':'")
            self.i += 1
            self.skip()
            node.members.append(Member(key.value, key.start, key.end, self.value(depth + 1)))
            if not self._comma("}"):
                break
        if self.t[self.i : self.i + 1] != "}":
            self.fail("expected ',' or '}'")
        self.i += 1
        node.end = self.i
        return node

    def arr(self, depth: int) -> JNode:
        node = JNode("array", self.i, self.i)
        self.i += 1
        self.skip()
        while self.t[self.i : self.i + 1] != "]":
            node.items.append(self.value(depth + 1))
            if not self._comma("]"):
                break
        if self.t[self.i : self.i + 1] != "]":
            self.fail("expected ',' or ']'")
        self.i += 1
        node.end = self.i
        return node

    def _comma(self, close: str) -> bool:
        """Past a ',' (True) or at the closing bracket (False); a trailing comma is JSONC."""
        self.skip()
        if self.t[self.i : self.i + 1] != ",":
            return False
        self.i += 1
        self.skip()
        if self.t[self.i : self.i + 1] == close:
            self.jsonc = True
        return True


__all__ = ["JNode", "JsonSyntaxError", "Member", "Scan", "scan"]
