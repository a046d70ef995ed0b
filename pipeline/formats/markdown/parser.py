"""The one markdown-it-py parser qmt reads Markdown with, and where inline markup sits.

markdown-it-py gives block tokens their line ranges (``token.map``) but inline tokens no
source positions at all. To splice translations back into the original bytes we need
them, so every inline rule is wrapped: when the wrapper runs inside a parse that
:func:`parse_inline` started, it records which rule consumed which characters of the
inline source and which tokens that rule pushed. Emphasis and strikethrough delimiters
are paired only later (post-processing), so their tokens remember the character they
came from and the pairing is read off the finished token list.

The same parser (same plugins) serves extraction and :meth:`verify`, so "the rebuilt
file parses to the same block structure" is judged by the reader that extracted it.
"""
from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin

_ENV_KEY = "_qmt_inline_recorder"
#: The env key of a block parse's recorded inline parses, by inline source (see :func:`parse_blocks`).
_PARSED_KEY = "_qmt_inline_parsed"
#: The env key naming the parser flavour, so inline parses use the document's parser.
FLAVOUR_KEY = "_qmt_flavour"


@dataclass
class BlockRecord:
    """One successful inline rule: it consumed ``src[start:end]`` and pushed ``tokens``."""

    rule: str
    start: int
    end: int
    tokens: list[Token]
    label_end: int = -1  # links and images: index of the closing "]" of the label


@dataclass
class Recorder:
    """Collects :class:`BlockRecord` objects for one inline source (not nested alt parses)."""

    tokens: list[Token]
    records: list[BlockRecord] = field(default_factory=list)
    #: id(token) -> (start, end) for delimiter tokens of emphasis and strikethrough.
    delimiter_spans: dict[int, tuple[int, int]] = field(default_factory=dict)


def _container_has_name(params: str, *_: Any) -> bool:
    # Any named container (tip, warning, details, code-group, ...): VitePress accepts
    # custom names, and an unnamed ":::" line must stay a closing fence.
    return bool(params.strip())


def make_parser(flavour: str = "markdown") -> MarkdownIt:
    """CommonMark + GFM tables and strikethrough + footnotes, containers, admonitions, math.

    ``flavour="mdx"``: MDX has no indented code blocks (indentation is JSX nesting), so
    that rule is off; everything else reads as Markdown does. One parser per flavour."""
    return _parser(flavour)


@lru_cache(maxsize=None)
def _parser(flavour: str) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    if flavour == "mdx":
        md.disable("code")
    # markdown-it stops parsing at nesting level 20 (commonmark preset) and silently drops
    # the rest of the document: a list ten levels deep, or a long file with a few unclosed
    # containers, lost every block after it. No level limit here; nesting so deep that
    # Python's recursion limit is reached fails the file with a reason instead.
    md.options["maxNesting"] = sys.maxsize
    # Reference definitions as "definition" tokens with their lines: a definition written
    # over several lines is then known to be one (not unread prose), and its title, text
    # a reader sees as a tooltip, is found and translated.
    md.options["inline_definitions"] = True
    md.use(footnote_plugin)
    md.use(container_plugin, name="container", validate=_container_has_name)
    md.use(admon_plugin)
    # "$5 and $10" is money, not math: digits may not open inline math.
    md.use(dollarmath_plugin, allow_digits=False)
    for name in md.inline.ruler.get_all_rules():
        fn = _rule_fn(md, name)
        md.inline.ruler.at(name, _wrap(name, fn))
    md.core.ruler.at("inline", _core_inline)
    return md


def _core_inline(state: StateCore) -> None:
    """markdown-it's core "inline" rule (each inline token's content parsed into its
    children), recording each parse as :func:`parse_inline` does when the block parse
    asked for it: the walk then reads those instead of parsing every paragraph again."""
    env = state.env
    parsed = env.get(_PARSED_KEY) if isinstance(env, dict) else None
    for token in state.tokens:
        if token.type != "inline":
            continue
        if token.children is None:
            token.children = []
        if parsed is None or not isinstance(env, dict):
            state.md.inline.parse(token.content, state.md, env, token.children)
            continue
        # The list the parse fills: later core rules (text_join) give the token a new one.
        tokens = token.children
        rec = _recorded(state.md, token.content, env, tokens)
        parsed.setdefault(token.content, (tokens, rec))


def _rule_fn(md: MarkdownIt, name: str) -> Callable[[StateInline, bool], bool]:
    for rule in md.inline.ruler.__rules__:
        if rule.name == name:
            return rule.fn
    raise KeyError(name)


def _wrap(name: str, fn: Callable[[StateInline, bool], bool]) -> Callable[[StateInline, bool], bool]:
    def rule(state: StateInline, silent: bool) -> bool:
        rec = state.env.get(_ENV_KEY) if isinstance(state.env, dict) else None
        if silent or rec is None or state.tokens is not rec.tokens:
            return fn(state, silent)
        start, count, had_pending = state.pos, len(state.tokens), bool(state.pending)
        ok = fn(state, silent)
        if ok:
            pushed = state.tokens[count:]
            if had_pending and pushed:
                pushed = pushed[1:]  # the text token push() flushed from pending
            _record(rec, state, name, start, pushed)
        return ok

    return rule


def _record(rec: Recorder, state: StateInline, name: str, start: int, pushed: list[Token]) -> None:
    record = BlockRecord(name, start, state.pos, pushed)
    if name == "link":
        record.label_end = state.md.helpers.parseLinkLabel(state, start, True)
    elif name == "image":
        record.label_end = state.md.helpers.parseLinkLabel(state, start + 1, False)
    elif name in ("emphasis", "strikethrough"):
        pos = start
        for tok in pushed:
            rec.delimiter_spans[id(tok)] = (pos, pos + len(tok.content))
            pos += len(tok.content)
    rec.records.append(record)


def parse_blocks(src: str, flavour: str = "markdown", *, record: bool = False) -> tuple[list[Token], dict[str, Any]]:
    """Parse a whole document; returns its tokens and the env (reference definitions).

    ``record``: keep each inline source's parse, positions recorded, in the env, where
    :func:`parse_inline` finds it (the walk's parses are the block parse's own)."""
    key = (src, flavour, record)
    kept = KEPT_PARSES.get(key)
    if kept is None:
        env: dict[str, Any] = {FLAVOUR_KEY: flavour}
        if record:
            env[_PARSED_KEY] = {}
        kept = (make_parser(flavour).parse(src, env), env)
        KEPT_PARSES.put(key, kept)
    # A copy of the env for each caller: parse_inline notes its recorder in the env while
    # it parses, and two threads may load the same text. The tokens and the recorded inline
    # parses are shared: nothing reads them but to walk them.
    return kept[0], dict(kept[1])


_Parse = tuple[list[Token], dict[str, Any]]


class KeptParses:
    """Parses kept for reuse, by (source, flavour, record), least recently used first.

    The same text is parsed again and again: an output as the rebuild checks it and as the
    next command (``--check``, ``qmt xliff export``, the next run's read-back) reads it,
    and in identity mode an output is its source. A parse takes about 28 bytes of memory
    per source character, so what is kept is bounded by characters, not by count."""

    def __init__(self, chars: int) -> None:
        self.limit = chars
        self.chars = 0
        self._parses: OrderedDict[tuple[str, str, bool], _Parse] = OrderedDict()
        self._lock = threading.Lock()

    def keys(self) -> list[tuple[str, str, bool]]:
        with self._lock:
            return list(self._parses)

    def get(self, key: tuple[str, str, bool]) -> _Parse | None:
        with self._lock:
            found = self._parses.get(key)
            if found is not None:
                self._parses.move_to_end(key)
            return found

    def put(self, key: tuple[str, str, bool], parse: _Parse) -> None:
        if len(key[0]) > self.limit // 4:
            return   # one huge page would push out every other: parsed each time it is asked
        with self._lock:
            if key in self._parses:
                return
            self._parses[key] = parse
            self.chars += len(key[0])
            while self.chars > self.limit:
                old, _ = self._parses.popitem(last=False)
                self.chars -= len(old[0])


#: The process's kept parses: 2 M characters, about 56 MB. A test that changes the parser
#: (its options) replaces it with an empty one.
KEPT_PARSES = KeptParses(2_000_000)


def parse_inline(src: str, env: dict[str, Any]) -> tuple[list[Token], Recorder]:
    """Parse one inline source (a paragraph's content, a table cell) recording positions.

    The parse of an inline source depends on nothing but the source and the env's
    reference definitions, so the block parse's recorded one is read when it made one."""
    parsed = env.get(_PARSED_KEY)
    if parsed is not None and src in parsed:
        found: tuple[list[Token], Recorder] = parsed[src]
        return found
    tokens: list[Token] = []
    return tokens, _recorded(make_parser(env.get(FLAVOUR_KEY, "markdown")), src, env, tokens)


def _recorded(md: MarkdownIt, src: str, env: dict[str, Any], tokens: list[Token]) -> Recorder:
    """Parse ``src`` into ``tokens``, recording which rule consumed what."""
    rec = Recorder(tokens)
    env[_ENV_KEY] = rec
    try:
        md.inline.parse(src, md, env, tokens)
    finally:
        env[_ENV_KEY] = None
    return rec


#: Per block token: (type, tag, nesting, markup, info): see :func:`block_signature`.
BlockSignature = list[tuple[str, str, int, str, str]]


def block_signature(tokens: list[Token]) -> BlockSignature:
    """What "the same block structure" means: block token kinds, nesting, markers, info.

    Line ranges are left out (a translation may take more or fewer lines); inline
    content is left out (it is what changed).
    """
    sig: BlockSignature = []
    for tok in tokens:
        if tok.type == "inline":
            continue
        info = ""
        if tok.type == "fence":
            info = tok.info.strip()
        elif tok.type.startswith("container"):
            info = (tok.info.split() or [""])[0]  # the name; the title is translated
        elif tok.type == "definition":
            info = f"{tok.meta['id']} {tok.meta['url']}"  # the label and target; the title is translated
        sig.append((tok.type, tok.tag, tok.nesting, tok.markup, info))
    return sig


def block_lines(tokens: list[Token]) -> list[int]:
    """For each :func:`block_signature` entry, the (0-based) line it starts on or after."""
    lines, last = [], 0
    for tok in tokens:
        if tok.type == "inline":
            continue
        if tok.map:
            last = tok.map[0]
        lines.append(last)
    return lines
