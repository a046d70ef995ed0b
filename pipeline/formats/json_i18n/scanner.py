"""A JSON (and JSONC, JSON5) reader that keeps where everything is.

The json module gives values but not their offsets, and a splice writer needs the exact
span of every string literal and object member. This scanner reads the same grammar
into :class:`JNode` objects with character offsets, plus what JSONC and JSON5 files add
(``//`` and ``/* */`` comments, trailing commas; JSON5's single-quoted strings, unquoted
keys, hex, signed and ``Infinity``/``NaN`` numbers). Double-quoted JSON literals are
decoded by the json module itself, so escapes mean exactly what they mean to every other
JSON reader; JSON5's other escapes (``\\'``, ``\\x41``, ``\\0``, line continuations) here.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import NoReturn

_WS_RE = re.compile(r"(?:[ \t\r\n]+|//[^\n]*|/\*.*?\*/)*", re.DOTALL)
_STRING_RE = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
_JSON5_STRING_RE = re.compile(r'"(?:[^"\\\n]|\\(?:\r\n|[\s\S]))*"|\'(?:[^\'\\\n]|\\(?:\r\n|[\s\S]))*\'')
_SCALAR_RE = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])|true|false|null")
_JSON5_SCALAR_RE = re.compile(r"[+-]?(?:Infinity|NaN|0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")
_IDENTIFIER_RE = re.compile(r"[A-Za-z_$][\w$]*")
_JSON5_ESCAPE_RE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|(\r\n|[\n\r\u2028\u2029])|([\s\S]))")
_JSON5_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "0": "\0"}
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
    value: str | None = None    # the decoded string, for strings
    members: list[Member] = field(default_factory=list)
    items: list["JNode"] = field(default_factory=list)
    quote: str = '"'            # a string literal's quote (JSON5 allows ', and keys without)

    def text(self) -> str:
        """The decoded text of a string node (the scanner decodes every string literal)."""
        if self.value is None:
            raise TypeError(f"a JSON {self.kind} has no string value")
        return self.value


@dataclass
class Scan:
    root: JNode
    comments: bool              # the text is not strict JSON: comments, trailing commas (JSONC) or JSON5


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

    def fail(self, what: str) -> NoReturn:
        line = self.t.count("\n", 0, self.i) + 1
        col = self.i - (self.t.rfind("\n", 0, self.i) + 1) + 1
        raise JsonSyntaxError(f"{what} at line {line}, column {col}")

    def skip(self) -> None:
        m = _WS_RE.match(self.t, self.i)
        assert m is not None            # the pattern matches the empty string
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
        if c in ('"', "'"):
            return self.string()
        m = _SCALAR_RE.match(self.t, self.i)
        if m is None:
            m = _JSON5_SCALAR_RE.match(self.t, self.i)
            self.jsonc = self.jsonc or m is not None
        if m is None:
            self.fail("expected a value" if c else "unexpected end of file")
        self.i = m.end()
        return JNode("scalar", m.start(), m.end())

    def string(self) -> JNode:
        m = _STRING_RE.match(self.t, self.i)
        if m is None:
            return self.json5_string()
        self.i = m.end()
        try:
            decoded = json.loads(m.group(0))
        except ValueError as exc:   # a lone surrogate escape
            self.fail(f"bad string ({exc})")
        return JNode("string", m.start(), m.end(), decoded)

    def json5_string(self) -> JNode:
        m = _JSON5_STRING_RE.match(self.t, self.i)
        if m is None:
            self.fail("bad string")
        self.i, self.jsonc = m.end(), True
        raw = m.group(0)
        return JNode("string", m.start(), m.end(), json5_unescape(raw[1:-1]), quote=raw[0])

    def key(self) -> JNode:
        c = self.t[self.i : self.i + 1]
        if c in ('"', "'"):
            return self.string()
        m = _IDENTIFIER_RE.match(self.t, self.i)
        if m is None:
            self.fail("expected a key")
        self.i, self.jsonc = m.end(), True
        return JNode("string", m.start(), m.end(), m.group(0), quote="")

    def obj(self, depth: int) -> JNode:
        node = JNode("object", self.i, self.i)
        self.i += 1
        self.skip()
        keys: set[str] = set()
        while self.t[self.i : self.i + 1] != "}":
            key = self.key()
            name = key.text()
            if name in keys:
                self.fail(f"key {name!r} appears twice in one object")
            keys.add(name)
            self.skip()
            if self.t[self.i : self.i + 1] != ":":
                self.fail("expected ':'")
            self.i += 1
            self.skip()
            node.members.append(Member(name, key.start, key.end, self.value(depth + 1)))
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


def json5_unescape(raw: str) -> str:
    """A JSON5 string literal's content (without its quotes) decoded."""
    def one(m: re.Match[str]) -> str:
        hex2, hex4, newline, char = m.groups()
        if hex2 or hex4:
            return chr(int(hex2 or hex4, 16))
        if newline:
            return ""        # a line continuation
        return _JSON5_ESCAPES.get(char, char)

    return _JSON5_ESCAPE_RE.sub(one, raw)


__all__ = ["JNode", "JsonSyntaxError", "Member", "Scan", "scan"]
