"""The content of an XLIFF ``<source>`` as a segment, and a translation back as ``<target>`` content.

A CAT tool's file carries its own inline codes; qmt keeps each one byte for byte and
shows it to the model as one of its tags (:mod:`pipeline.segments`):

* codes that wrap translatable text (1.2 ``<g>``, ``<mrk>``; 2.x ``<pc>``, ``<mrk>``)
  are paired tags, so the translation moves the span with the words it surrounds;
* every other code (1.2 ``<x/>``, ``<bx/>``, ``<ex/>``, ``<ph>…</ph>``, ``<bpt>``,
  ``<ept>``, ``<it>``; 2.x ``<ph/>``, ``<sc/>``, ``<ec/>``, ``<sm/>``, ``<em/>``, ``<cp/>``),
  a protected ``<mrk>`` (1.2 ``mtype="protected"``, 2.x ``translate="no"``), comments
  and processing instructions are isolated tags carrying the element's exact source
  text, content included;
* placeholders typed as text (``%@``, ``{name}``, an escaped ``&lt;b&gt;``) are isolated
  tags too (:data:`~pipeline.formats.strings.message.PLACEHOLDER_RE`), as in every
  string catalogue;
* an ICU message in the text (Angular's ``{VAR_PLURAL, plural, =0 {…} other {…}}``) is
  read as in every string catalogue (:func:`icu_body`: the file's codes stand aside as
  placeholders while :mod:`~pipeline.formats.strings.icu` parses it), so each option is a
  segment and a plural gets the target's CLDR categories. Where that parse fails, the
  message keeps its syntax as tags: the argument's head and closing brace isolated, each
  option's selector and braces a paired tag around its text, so a model can translate the
  words but not ``plural`` or ``other``.

This is a different job from :mod:`pipeline.review.xliff.inline`, which maps qmt's own tags to
XLIFF codes for the review exchange; here the codes are the file's, and only copied.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from pipeline.formats.strings.icu import IcuError, looks_icu, parse_icu
from pipeline.formats.strings.message import PLACEHOLDER_RE, Body, Built, Choice, Count, Missing, Part, Ph, Plural
from pipeline.segments import Close, Isolated, Literal, Open, SegmentBuilder, Text, has_translatable_text, parse

# One piece of element content: a comment, CDATA, a processing instruction, an end tag,
# a start (or empty) tag, or text up to the next markup.
_TOKEN_RE = re.compile(r"(?P<comment><!--.*?-->)|(?P<cdata><!\[CDATA\[(?P<cdata_text>.*?)\]\]>)|(?P<pi><\?.*?\?>)"
                       r"|(?P<end></(?P<end_name>[^\s>]+)\s*>)"
                       r"|(?P<start><(?P<name>[A-Za-z_][\w:.-]*)(?P<attrs>(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)"
                       r"\s*(?P<empty>/?)>)"
                       r"|(?P<text>[^<]+)", re.S)
_ATTR_RE = re.compile(r"([^\s=/>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot|apos)|#(\d+)|#x([0-9A-Fa-f]+));")
_UNKNOWN_ENTITY_RE = re.compile(r"&[A-Za-z_][\w.-]*;")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
# ICU syntax inside the text: an argument's head, an option's selector, a plural's count.
_ICU_HEAD_RE = re.compile(r"\{\s*[A-Za-z_][\w.]*\s*,\s*(plural|selectordinal|select)\s*,(?:\s*offset:\s*\d+)?")
_ICU_OPTION_RE = re.compile(r"\s*(?:=\d+|[A-Za-z_][\w-]*)\s*\{")
_ICU_END_RE = re.compile(r"\s*\}")

PAIRED = {"1.2": ("g", "mrk"), "2": ("pc", "mrk")}


def local(name: str) -> str:
    return name.rpartition(":")[2]


def attrs_of(text: str) -> dict[str, str]:
    """The attributes of a start tag's attribute text, by local name (values undecoded)."""
    return {local(m.group(1)): m.group(2) if m.group(2) is not None else m.group(3) for m in _ATTR_RE.finditer(text)}


def unescape(text: str) -> str:
    """XML text as the characters it stands for (the five entities and character references)."""
    def repl(m: re.Match[str]) -> str:
        if m.group(1):
            return _NAMED[m.group(1)]
        return chr(int(m.group(2)) if m.group(2) else int(m.group(3), 16))
    return _ENTITY_RE.sub(repl, text)


def escape(text: str) -> str:
    """Text as XML element content."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain_text(raw: str) -> str:
    """The characters of element content with its markup dropped (notes, for context)."""
    out = []
    for m in _TOKEN_RE.finditer(raw):
        if m.group("text"):
            out.append(unescape(m.group("text")))
        elif m.group("cdata"):
            out.append(m.group("cdata_text"))
    return " ".join("".join(out).split())


@dataclass(frozen=True)
class Code:
    """An inline code or markup: written back exactly as ``raw``."""

    raw: str


@dataclass
class Pair:
    """A code around translatable text: its start and end as written (``escaped``: ICU
    syntax, text that must be escaped when written)."""

    start: str
    end: str = ""
    escaped: bool = False

    def shown(self) -> tuple[str, str]:
        return (escape(self.start), escape(self.end)) if self.escaped else (self.start, self.end)


class IcuSyntaxError(ValueError):
    """The text's ICU syntax does not nest with the file's codes: read without ICU."""


class _InlineWalk:
    """One pass over a ``<source>``'s (or ``<target>``'s) content, building the segment."""

    def __init__(self, raw: str, version: str, icu: bool):
        self.raw, self.paired, self.icu = raw, PAIRED[version], icu
        self.b = SegmentBuilder()
        self.open: list[tuple[str, int]] = []     # (kind "xml"/"icu", tag number)
        self.icu_stack: list[str] = []            # "arg:plural", "body:plural", ...

    def run(self) -> str:
        pos = 0
        while pos < len(self.raw):
            m = _TOKEN_RE.match(self.raw, pos)
            if m is None:   # a stray "<": text
                self.text("<")
                pos += 1
                continue
            pos = self.token(m)
        if self.icu_stack or self.open:
            raise IcuSyntaxError("unclosed ICU argument or code")
        return self.b.build()

    def token(self, m: re.Match[str]) -> int:
        if m.group("text"):
            self.text_raw(m.group("text"))
        elif m.group("cdata"):
            self.text(m.group("cdata_text"))
        elif m.group("comment") or m.group("pi"):
            self.b.isolated(Code(m.group(0)))
        elif m.group("end"):
            if not self.open or self.open[-1][0] != "xml":
                raise IcuSyntaxError(f"{m.group(0)} closes an ICU option")
            num = self.open.pop()[1]
            self.b.payloads[num].end = m.group(0)
            self.b.close(num)
        else:
            return self.element(m)
        return m.end()

    def element(self, m: re.Match[str]) -> int:
        name, attrs = local(m.group("name")), attrs_of(m.group("attrs"))
        protected = attrs.get("mtype") == "protected" or attrs.get("translate") == "no"
        if name in self.paired and not m.group("empty") and not protected:
            self.open.append(("xml", self.b.open(Pair(m.group(0)))))
            return m.end()
        end = m.end() if m.group("empty") else _element_end(self.raw, m.group("name"), m.end())
        self.b.isolated(Code(self.raw[m.start() : end]))
        return end

    def text_raw(self, raw: str) -> None:
        pos = 0
        for m in _UNKNOWN_ENTITY_RE.finditer(raw):
            if not _ENTITY_RE.fullmatch(m.group(0)):
                self.text(unescape(raw[pos : m.start()]))
                self.b.isolated(Code(m.group(0)))      # an entity of the file's DTD: kept as written
                pos = m.end()
        self.text(unescape(raw[pos:]))

    def text(self, s: str) -> None:
        if not self.icu:
            self.b.text(s, PLACEHOLDER_RE)
            return
        pos = 0
        while pos < len(s):
            pos = self.icu_step(s, pos)

    def icu_step(self, s: str, pos: int) -> int:
        """Read ICU syntax from ``s[pos:]``; where the next step starts."""
        state = self.icu_stack[-1] if self.icu_stack else ""
        if state.startswith("arg"):
            if m := _ICU_OPTION_RE.match(s, pos):
                self.icu_stack.append("body" + state[3:])
                self.open.append(("icu", self.b.open(Pair(m.group(0), "}", escaped=True))))
                return m.end()
            if m := _ICU_END_RE.match(s, pos):
                self.icu_stack.pop()
                self.b.isolated(Literal(m.group(0)))
                return m.end()
            raise IcuSyntaxError(f"unexpected {s[pos:pos + 20]!r} in an ICU argument")
        head = _ICU_HEAD_RE.search(s, pos)
        stop = head.start() if head else len(s)
        if state:       # inside an option's text: its closing brace, a count, a simple argument
            for i in range(pos, stop):
                ch = s[i]
                if ch == "}":
                    self._plain(s[pos:i])
                    if not self.open or self.open[-1][0] != "icu":
                        raise IcuSyntaxError("an ICU option closes across a code")
                    self.b.close(self.open.pop()[1])
                    self.icu_stack.pop()          # back to the argument, for its next option
                    return i + 1
                if ch == "{":
                    close = s.find("}", i)
                    if close < 0 or (head and close > head.start()):
                        raise IcuSyntaxError("an unclosed brace in an ICU option")
                    self._plain(s[pos:i])
                    self.b.text(s[i : close + 1], PLACEHOLDER_RE)
                    return close + 1
                if ch == "#" and state.endswith("plural"):
                    self._plain(s[pos:i])
                    self.b.isolated(Literal("#"))
                    return i + 1
        self._plain(s[pos:stop])
        if head:
            self.icu_stack.append("arg:" + head.group(1).replace("selectordinal", "plural"))
            self.b.isolated(Literal(head.group(0)))
            return head.end()
        return stop

    def _plain(self, s: str) -> None:
        if s:
            self.b.text(s, PLACEHOLDER_RE)


def _element_end(raw: str, qname: str, pos: int) -> int:
    """Where the element whose start tag ends at ``pos`` ends (nested namesakes counted)."""
    pattern = re.compile(rf"<(/?){re.escape(qname)}(?=[\s/>])[^>]*?(/?)>")
    depth = 1
    for m in pattern.finditer(raw, pos):
        if m.group(1):
            depth -= 1
        elif not m.group(2):
            depth += 1
        if depth == 0:
            return m.end()
    raise IcuSyntaxError(f"<{qname}> is not closed")


@dataclass
class XliffBuilt:
    """A segment as built from an element's content (the shape
    :class:`~pipeline.formats.strings.message.Built` has for the catalogue document)."""

    text: str
    payloads: dict[int, object]
    raw: str


def build(raw: str, version: str) -> XliffBuilt:
    """The segment of a ``<source>``'s raw content (ICU read where it nests with the codes)."""
    if _ICU_HEAD_RE.search(raw):
        try:
            walk = _InlineWalk(raw, version, icu=True)
            return XliffBuilt(walk.run(), walk.b.payloads, raw)
        except (IcuSyntaxError, ValueError):
            pass
    walk = _InlineWalk(raw, version, icu=False)
    return XliffBuilt(walk.run(), walk.b.payloads, raw)


def render(sid: str, built: XliffBuilt, translations: Mapping[str, str]) -> str:
    """The ``<target>`` content for segment ``sid`` (raises Missing when it has no translation)."""
    text = translations.get(sid)
    if text is None:
        if has_translatable_text(built.text):
            raise Missing(sid, "not translated")
        return built.raw
    try:
        tokens = parse(text)
    except ValueError as exc:
        raise Missing(sid, f"tags do not match the source ({exc})") from None
    out = []
    for tok in tokens:
        if isinstance(tok, Text):
            out.append(escape(tok.text))
            continue
        payload = built.payloads.get(tok.id)
        if isinstance(tok, Isolated) and isinstance(payload, Code):
            out.append(payload.raw)
        elif isinstance(tok, Isolated) and isinstance(payload, Literal):
            out.append(escape(payload.text))
        elif isinstance(tok, (Open, Close)) and isinstance(payload, Pair):
            out.append(payload.shown()[0 if isinstance(tok, Open) else 1])
        else:
            raise Missing(sid, f"tag {tok.name}{tok.id} is not one of the source's")
    return "".join(out)


# Private-use characters stand for the file's codes while the ICU parser reads the text.
_CODE_BASE, _CODE_MAX = 0xF0000, 0xFFFFD      # plane 15, private use


def icu_body(raw: str, version: str, key: str) -> Body | None:
    """A ``<source>``'s content read as an ICU message (its codes and the text's own
    placeholders as :class:`~pipeline.formats.strings.message.Ph` holding XML as written),
    or None when it holds no plural or select, or is not well-formed ICU."""
    codes: list[str] = []
    flat: list[str] = []
    pos = 0
    while pos < len(raw):
        m = _TOKEN_RE.match(raw, pos)
        if m is None or len(codes) > _CODE_MAX - _CODE_BASE:
            return None
        end = m.end()
        if m.group("text"):
            if any(not _ENTITY_RE.fullmatch(e.group(0)) for e in _UNKNOWN_ENTITY_RE.finditer(m.group("text"))):
                return None         # an entity of the file's DTD: the tag walk keeps it
            flat.append(unescape(m.group("text")))
        elif m.group("cdata"):
            flat.append(m.group("cdata_text"))
        else:
            if m.group("start") and local(m.group("name")) not in PAIRED[version] and not m.group("empty"):
                end = _element_end(raw, m.group("name"), m.end())
            flat.append(chr(_CODE_BASE + len(codes)))
            codes.append(raw[m.start() : end])
        pos = end
    text = "".join(flat)
    if not looks_icu(text):
        return None
    try:
        body = parse_icu(text, key)
    except (IcuError, RecursionError):
        return None
    restored = _restore(body, codes)
    return restored if restored is not None and any(isinstance(p, (Plural, Choice)) for p in restored.parts) else None


def _restore(body: Body, codes: list[str]) -> Body | None:
    """``body`` with the code characters back as the codes, and the text's placeholders
    escaped as XML (they are written as they are)."""
    parts: list[Part] = []
    for part in body.parts:
        if isinstance(part, str):
            pos = 0
            for i, ch in enumerate(part):
                if _CODE_BASE <= ord(ch) < _CODE_BASE + len(codes):
                    if i > pos:
                        parts.append(part[pos:i])
                    parts.append(Ph(codes[ord(ch) - _CODE_BASE]))
                    pos = i + 1
            if pos < len(part):
                parts.append(part[pos:])
        elif isinstance(part, (Ph, Count)):
            if any(_CODE_BASE <= ord(ch) for ch in part.raw):
                return None     # a code inside an argument's syntax: not an ICU message qmt can keep
            parts.append(type(part)(escape(part.raw)))
        elif isinstance(part, Choice):
            for opt in part.options:
                if (restored := _restore(opt.body, codes)) is None:
                    return None
                opt.body = restored
            parts.append(part)
        elif isinstance(part, Plural):
            for opt in [*part.exact, *part.options]:
                if (restored := _restore(opt.body, codes)) is None:
                    return None
                opt.body = restored
            for cat, form in list(part.forms.items()):
                if (restored := _restore(form, codes)) is None:
                    return None
                part.forms[cat] = restored
            parts.append(part)
        else:
            parts.append(part)
    return Body(parts)


def markup(built: XliffBuilt | Built) -> dict[int, tuple[str, str]]:
    """Each tag's source text (for reviewers' tools: XLIFF export ``originalData``)."""
    out: dict[int, tuple[str, str]] = {}
    for num, payload in built.payloads.items():
        if isinstance(payload, Code):
            out[num] = (payload.raw, "")
        elif isinstance(payload, Literal):
            out[num] = (payload.text, "")
        elif isinstance(payload, Pair):
            out[num] = (payload.start, payload.end)
    return out


__all__ = ["Code", "IcuSyntaxError", "Pair", "XliffBuilt", "attrs_of", "build", "escape", "icu_body", "local", "markup",
           "plain_text", "render", "unescape"]
