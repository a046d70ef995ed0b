"""ICU MessageFormat: arguments kept, plural and select bodies translated.

``{count, plural, one {# file} other {# files}}`` is read into a :class:`~.message.Plural`
whose forms are bodies; ``{gender, select, …}`` into a :class:`~.message.Choice`; simple
arguments (``{name}``, ``{d, date, short}``) and quoted literals (``'{'``) into
placeholders kept byte for byte. The head of each argument (``{count, plural, offset:1``)
and the spacing between options are kept, so a rebuilt message differs from its source
only in its bodies and, for plurals, in the target's categories.

Text around a nested argument stays one segment, with the argument as a tag ("You have
<x1/> in <x2/>."), so a sentence is not cut at its plural; each body of the argument is
a segment of its own.
"""
from __future__ import annotations

import re

from pipeline.formats.strings.message import Body, Choice, Count, Option, Part, Ph, Plural, split_placeholders
from pipeline.formats.strings.plurals import CLDR_ORDER

_ICU_RE = re.compile(r"\{\s*[\w.]+\s*,\s*(?:plural|select|selectordinal)\s*,")
_COMPLEX = ("plural", "select", "selectordinal")
_MAX_DEPTH = 20
_SPACE_RE = re.compile(r"\s*")


class IcuError(ValueError):
    """Not a well-formed ICU message."""


def looks_icu(text: str) -> bool:
    """True when ``text`` holds a plural, select or selectordinal argument."""
    return bool(_ICU_RE.search(text))


def parse_icu(text: str, key: str) -> Body:
    """The message as a body; nested arguments get ids ``KEY#1``, ``KEY#2``… in order."""
    parser = _IcuParser(text, key)
    body = parser.body(None, 0)
    if parser.i != len(text):
        raise IcuError(f"unmatched '}}' at character {parser.i + 1}")
    return body


def icu_escape(text: str, following: str) -> str:
    """Translated text as ICU text: an apostrophe before a brace, ``#`` or ``|`` doubled,
    braces the model wrote quoted."""
    s = re.sub(r"'(?=[{}#|])", "''", text)
    if s.endswith("'") and not s.endswith("''") and following[:1] in ("{", "}", "#", "|"):
        s += "'"
    return re.sub(r"([{}])", r"'\1'", s)


class _IcuParser:
    def __init__(self, text: str, key: str):
        self.s, self.i, self.key, self.count = text, 0, key, 0

    def body(self, plural_arg: str | None, depth: int) -> Body:
        if depth > _MAX_DEPTH:
            raise IcuError("arguments nested too deep")
        parts: list[Part] = []
        buf: list[str] = []
        s = self.s
        while self.i < len(s) and s[self.i] != "}":
            c = s[self.i]
            if c == "{":
                self._flush(buf, parts)
                parts.append(self.argument(plural_arg, depth))
            elif c == "'":
                self._quote(buf, parts, plural_arg)
            elif c == "#" and plural_arg is not None:
                self._flush(buf, parts)
                parts.append(Count("#"))
                self.i += 1
            else:
                buf.append(c)
                self.i += 1
        self._flush(buf, parts)
        return Body(parts)

    def _flush(self, buf: list[str], parts: list[Part]) -> None:
        if buf:
            parts.extend(split_placeholders("".join(buf)).parts)
            buf.clear()

    def _quote(self, buf: list[str], parts: list[Part], plural_arg: str | None) -> None:
        s, i = self.s, self.i
        nxt = s[i + 1 : i + 2]
        if nxt == "'":
            buf.append("'")       # '' is one apostrophe
            self.i += 2
            return
        if nxt in ("{", "}", "|") or (nxt == "#" and plural_arg is not None):
            end = i + 1
            while True:
                end = s.find("'", end)
                if end < 0:
                    end = len(s) - 1      # quoted to the end of the message
                    break
                if s[end + 1 : end + 2] == "'":
                    end += 2
                    continue
                break
            self._flush(buf, parts)
            parts.append(Ph(s[i : end + 1]))
            self.i = end + 1
            return
        buf.append("'")
        self.i += 1

    def argument(self, plural_arg: str | None, depth: int) -> Part:
        s, start = self.s, self.i
        m = re.compile(r"\{\s*([^\s,{}]+)\s*(?:,\s*([A-Za-z]+)\s*)?").match(s, start)
        if m is None:
            raise IcuError(f"bad argument at character {start + 1}")
        name, kind = m.group(1), m.group(2)
        self.i = m.end()
        if kind is None or kind not in _COMPLEX:
            self._skip_argument(start)
            raw = s[start : self.i]
            simple = re.fullmatch(r"\{\s*([^\s,{}]+)\s*\}", raw)
            if simple and plural_arg is not None and simple.group(1) == plural_arg:
                return Count(raw)
            return Ph(raw)
        if self.i >= len(s) or s[self.i] != ",":
            raise IcuError(f"{kind} argument {name!r} has no options")
        self.i += 1
        if kind == "plural" or kind == "selectordinal":
            off = re.compile(r"\s*offset\s*:\s*\d+").match(s, self.i)
            if off:
                self.i = off.end()
        head = s[start : self.i]
        self.count += 1
        node_id = f"{self.key}#{self.count}"
        inner = name if kind != "select" else plural_arg
        options, tail = self._options(inner, depth)
        if kind == "select":
            return Choice(node_id, head, options, tail)
        return self._plural(node_id, kind, head, options, tail)

    def _plural(self, node_id: str, kind: str, head: str, options: list[Option], tail: str) -> Choice | Plural:
        forms: dict[str, Body] = {}
        exact: list[Option] = []
        for opt in options:
            if opt.selector.startswith("="):
                exact.append(opt)
            elif opt.selector in CLDR_ORDER:
                forms[opt.selector] = opt.body
            else:
                raise IcuError(f"unknown plural category {opt.selector!r}")
        if "other" not in forms:
            raise IcuError("plural argument without an 'other' option")
        if kind == "selectordinal":
            # Ordinal categories differ from cardinal ones; the bodies are translated as
            # they are, each once, like a select.
            return Choice(node_id, head, options, tail)
        return Plural(node_id, forms, exact, head, tail, options)

    def _options(self, plural_arg: str | None, depth: int) -> tuple[list[Option], str]:
        s = self.s
        options: list[Option] = []
        while True:
            ws = _SPACE_RE.match(s, self.i)
            assert ws is not None       # matches the empty string
            pre = ws.group(0)
            self.i = ws.end()
            if self.i >= len(s):
                raise IcuError("argument not closed")
            if s[self.i] == "}":
                self.i += 1
                if not options:
                    raise IcuError("argument without options")
                return options, pre + "}"
            sel = re.compile(r"[^\s{}]+").match(s, self.i)
            if sel is None:
                raise IcuError(f"option without a selector at character {self.i + 1}")
            self.i = sel.end()
            mid_m = _SPACE_RE.match(s, self.i)
            assert mid_m is not None
            self.i = mid_m.end()
            if self.i >= len(s) or s[self.i] != "{":
                raise IcuError(f"option {sel.group(0)!r} has no body")
            self.i += 1
            body = self.body(plural_arg, depth + 1)
            if self.i >= len(s):
                raise IcuError(f"option {sel.group(0)!r} not closed")
            self.i += 1
            options.append(Option(pre, sel.group(0), mid_m.group(0), body))

    def _skip_argument(self, start: int) -> None:
        """Past the closing brace of a simple argument (its style may hold braces)."""
        s, level = self.s, 1
        while self.i < len(s):
            c = s[self.i]
            self.i += 1
            if c == "{":
                level += 1
            elif c == "}":
                level -= 1
                if level == 0:
                    return
        raise IcuError(f"argument at character {start + 1} not closed")


__all__ = ["IcuError", "icu_escape", "looks_icu", "parse_icu"]
