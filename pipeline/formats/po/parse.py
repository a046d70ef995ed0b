"""A PO reader that keeps offsets: where each entry's msgstr lines and header fields sit.

Line based, like gettext's own grammar: comment lines (``#``, ``#.``, ``#:``, ``#,``,
``#|``), keyword lines (``msgctxt``, ``msgid``, ``msgid_plural``, ``msgstr``,
``msgstr[N]``) each followed by ``"…"`` continuation lines, blank lines between entries.
Obsolete entries (``#~``) are comments here: they are never translated or touched.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_KEYWORD_RE = re.compile(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s*(".*")\s*$')
_STRING_RE = re.compile(r'"((?:[^"\\]|\\.)*)"\s*$')
_ESCAPE_RE = re.compile(r'\\(["\\abfnrtv?\']|[0-7]{1,3}|x[0-9a-fA-F]{1,2})')
_ESCAPES = {'"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
            "?": "?", "'": "'"}
_FIELD_RE = re.compile(r'"([A-Za-z][A-Za-z0-9-]*):[ \t]?(.*?)(?:\\n)?"[ \t]*$')


class PoSyntaxError(ValueError):
    """Not a PO file; the message names the line."""


@dataclass
class PoEntry:
    line: int                                   # 1-based line of its first keyword
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    comments: list[str] = field(default_factory=list)    # translator and extracted comments
    flags_span: tuple[int, int, str] | None = None       # the "#," line: start, end, its text
    msgstr_start: int = -1
    msgstr_end: int = -1
    newline: str = "\n"
    header: bool = False
    field_spans: dict[str, tuple[int, int]] = field(default_factory=dict)   # header fields' values
    msgstr_end_of_text: int = -1                # where header lines can be added
    fuzzy_span: tuple[int, int, str] | None = None       # header: (start, end, replacement) dropping fuzzy
    ends_with_newline: bool = True
    language: str = ""                          # header: its Language field
    msgstrs: list[str] = field(default_factory=list)     # msgstr, or msgstr[0..n-1]


def unescape(raw: str) -> str:
    def one(m: re.Match[str]) -> str:
        s = m.group(1)
        if s in _ESCAPES:
            return _ESCAPES[s]
        return chr(int(s[1:], 16)) if s[0] == "x" else chr(int(s, 8))

    return _ESCAPE_RE.sub(one, raw)


def escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
            .replace("\r", "\\r"))


def encode_block(keyword: str, value: str, entry: PoEntry) -> str:
    """``msgstr "…"`` lines for ``value``: one line, or gettext's ``""`` then a line per
    ``\\n`` when the value holds line breaks inside it."""
    nl = entry.newline
    pieces = value.splitlines(keepends=True)
    if len(pieces) > 1:
        text = f'{keyword} ""{nl}' + "".join(f'"{escape(p)}"{nl}' for p in pieces)
    else:
        text = f'{keyword} "{escape(value)}"{nl}'
    return text if entry.ends_with_newline else text[: -len(nl)]


class _PoReader:
    def __init__(self, text: str):
        self.text = text
        self.entries: list[PoEntry] = []
        self.cur: PoEntry | None = None
        self.pending_comments: list[str] = []
        self.pending_flags: tuple[int, int, str] | None = None
        self.keyword: str | None = None
        self.values: dict[str, list[str]] = {}
        self.header_lines: list[tuple[int, int, str]] = []    # continuation lines of the header's msgstr

    def run(self) -> list[PoEntry]:
        pos = 0
        for number, line in enumerate(self.text.splitlines(keepends=True), 1):
            self.line(number, pos, line)
            pos += len(line)
        self.finish()
        return self.entries

    def line(self, number: int, pos: int, raw: str) -> None:
        body = raw.rstrip("\r\n")
        stripped = body.strip()
        if not stripped:
            self.finish()
            return
        if stripped.startswith("#"):
            if self.cur is not None and self.keyword is not None:
                self.finish()
            self.comment(stripped, pos, raw)
            return
        m = _KEYWORD_RE.match(stripped)
        if m:
            self.keyword_line(number, pos, raw, m)
            return
        s = _STRING_RE.match(stripped)
        if s and self.keyword is not None:
            self.values[self.keyword].append(unescape(s.group(1)))
            self.extend(pos, raw, body)
            return
        raise PoSyntaxError(f"line {number}: cannot read {stripped[:40]!r}")

    def comment(self, stripped: str, pos: int, raw: str) -> None:
        if stripped.startswith("#,"):
            self.pending_flags = (pos, pos + len(raw), stripped)
        elif stripped.startswith("#.") or (stripped.startswith("# ") or stripped == "#"):
            self.pending_comments.append(stripped[2:].strip())

    def keyword_line(self, number: int, pos: int, raw: str, m: re.Match[str]) -> None:
        kw = m.group(1)
        if kw in ("msgctxt", "msgid") and self.cur is not None and any(k.startswith("msgstr") for k in self.values):
            self.finish()
        if self.cur is None:
            self.cur = PoEntry(number, comments=self.pending_comments, flags_span=self.pending_flags)
            self.cur.newline = "\r\n" if raw.endswith("\r\n") else "\n"
            self.pending_comments, self.pending_flags = [], None
        if kw in self.values:
            raise PoSyntaxError(f"line {number}: a second {kw} in one entry")
        value = _STRING_RE.match(m.group(2))
        if value is None:           # two literals on one line: '"a" "b"'
            raise PoSyntaxError(f"line {number}: cannot read {m.group(2)[:40]!r} as one string")
        self.keyword = kw
        self.values[kw] = [unescape(value.group(1))]
        if kw.startswith("msgstr"):
            if self.cur.msgstr_start < 0:
                self.cur.msgstr_start = pos
            self.cur.msgstr_end = pos + len(raw)
            self.cur.ends_with_newline = raw.endswith("\n")

    def extend(self, pos: int, raw: str, body: str) -> None:
        if self.keyword and self.keyword.startswith("msgstr"):
            assert self.cur is not None         # a keyword is read only inside an entry
            self.cur.msgstr_end = pos + len(raw)
            self.cur.ends_with_newline = raw.endswith("\n")
            if self.keyword == "msgstr":
                self.header_lines.append((pos, pos + len(body), body))

    def finish(self) -> None:
        cur = self.cur
        if cur is None:
            self.pending_comments, self.pending_flags = [], None
            return
        if "msgid" not in self.values or not any(k.startswith("msgstr") for k in self.values):
            raise PoSyntaxError(f"line {cur.line}: entry without msgid or msgstr")
        cur.msgid = "".join(self.values["msgid"])
        cur.msgctxt = "".join(self.values["msgctxt"]) if "msgctxt" in self.values else None
        cur.msgid_plural = "".join(self.values["msgid_plural"]) if "msgid_plural" in self.values else None
        cur.msgstrs = ["".join(v) for k, v in self.values.items() if k.startswith("msgstr")]
        if not cur.msgid and cur.msgctxt is None and not self.entries:
            self._header(cur)
        self.entries.append(cur)
        self.cur, self.keyword, self.values, self.header_lines = None, None, {}, []

    def _header(self, cur: PoEntry) -> None:
        cur.header = True
        for start, _, body in self.header_lines:
            lead = len(body) - len(body.lstrip())
            m = _FIELD_RE.match(body.strip())
            if m:
                cur.field_spans[m.group(1)] = (start + lead + m.start(2), start + lead + m.end(2))
                if m.group(1) == "Language":
                    cur.language = m.group(2).strip()
        cur.msgstr_end_of_text = cur.msgstr_end
        if cur.flags_span is not None:
            start, end, flags = cur.flags_span
            kept = [f.strip() for f in flags[2:].split(",") if f.strip() and f.strip() != "fuzzy"]
            if len(kept) != len([f for f in flags[2:].split(",") if f.strip()]):
                line_end = self.text[start:end][len(self.text[start:end].rstrip("\r\n")):]
                cur.fuzzy_span = (start, end, f"#, {', '.join(kept)}{line_end}" if kept else "")


def parse_po(text: str) -> list[PoEntry]:
    """The entries of a PO file, the header first when there is one."""
    return _PoReader(text).run()


__all__ = ["PoEntry", "PoSyntaxError", "encode_block", "escape", "parse_po", "unescape"]
