"""Code stays code: what in an Office document is never sent for translation.

Markdown marks code explicitly; Word and PowerPoint do not, so code is recognised the way
a reader recognises it:

* a run set in a monospace font (Consolas, Courier New, Menlo, any font named "... Mono"
  or "... Code") or in a code/verbatim character style ("HTML Code", "Verbatim Char");
* a paragraph in a code paragraph style ("Source Code", "HTML Preformatted", "Macro Text"):
  it is not sent at all;
* inside prose: URLs, e-mail addresses, file paths, ``KEY=value`` assignments, and a
  command line that begins a paragraph (``export DASHSCOPE_API_KEY=...``, ``pip install ...``).

Protected text travels as an isolated tag carrying its exact run, as inline code does in
Markdown, so it comes back byte for byte and never takes the target-language marks
(a URL marked right-to-left would render with its slashes reordered). Job keys
(``[docx]``/``[pptx]`` ``protect_styles`` and ``protect_fonts``) add styles and fonts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from lxml import etree

from pipeline.formats.base import Verbatim
from pipeline.formats.ooxml.runs import Container, IsoNode, Node, TextNode, merge_isolated

#: Monospace fonts seen in code listings (compared without case, spaces, '-' or '_').
MONOSPACE_FONTS = (
    "Consolas", "Courier", "Courier New", "Menlo", "Monaco", "Source Code Pro", "Fira Code", "Fira Mono",
    "Liberation Mono", "DejaVu Sans Mono", "Lucida Console", "Lucida Sans Typewriter", "Andale Mono",
    "Cascadia Code", "Cascadia Mono", "JetBrains Mono", "Roboto Mono", "Ubuntu Mono", "Inconsolata",
    "SF Mono", "Noto Mono", "Noto Sans Mono", "IBM Plex Mono", "Hack", "Anonymous Pro", "OCR A Extended",
    "Letter Gothic", "Prestige Elite", "MS Gothic", "NSimSun", "SimSun-ExtB", "Monofur", "PT Mono",
)
#: Character and paragraph styles that hold code (by name or id, compared like fonts).
CODE_STYLES = (
    "Code", "Code Char", "Inline Code", "Code Block", "HTML Code", "HTML Keyboard", "HTML Typewriter",
    "HTML Sample", "HTML Variable", "HTML Preformatted", "HTML Preformatted Char", "Source Code",
    "Verbatim", "Verbatim Char", "Macro Text", "Macro Text Char", "Preformatted Text", "Source Text",
)

#: Shell commands a command line may begin with (lower case only: prose starts sentences in capitals).
_COMMANDS = (
    "export", "setx", "pip", "pip3", "pipx", "python", "python3", "py", "uv", "poetry", "conda", "cd", "ls", "cp",
    "mv", "rm", "mkdir", "chmod", "chown", "echo", "curl", "wget", "git", "npm", "npx", "yarn", "pnpm", "node",
    "docker", "kubectl", "helm", "sudo", "apt", "apt-get", "brew", "cargo", "mvn", "gradle", "ssh", "scp", "tar",
    "unzip", "grep", "sed", "awk", "bash", "sh", "powershell", "dotnet", "qmt", "make", "cat", "java",
)
_EXTENSIONS = (
    "toml|json|jsonl|ya?ml|py|ipynb|md|rst|txt|csv|tsv|docx|pptx|xlsx|xml|html?|css|js|ts|tsx|jsx|sh|ps1|bat|exe|"
    "dll|so|cfg|ini|conf|log|zip|gz|tgz|pdf|png|jpe?g|gif|svg|srt|vtt|mp4|mp3|wav|sql|db|sqlite|env|lock|whl|jar"
)
_TRAIL = ".,;:!?'\"”’)]}>"

INLINE_CODE_RE = re.compile(
    r"""(?:\b(?:https?|ftp|sftp|file|ssh|git)://|\bwww\.|\bmailto:)[^\s<>"'\u00a0\u3000]+    # URL
      | \b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b         # e-mail
      | \b[A-Za-z]:\\[^\s<>"|?*]*                                                   # C:\path
      | \\\\[\w.$-]+\\[^\s<>"|?*]+                                                  # \\server\share
      | (?<![\w/.~])(?:~|\.\.?)/[\w.@+-]+(?:/[\w.@+-]+)*/?                          # ~/x ./x ../x
      | (?<![\w/.:])/[\w.@+-]+(?:/[\w.@+-]+)+/?                                     # /abs/path
      | (?<![\w/.])[\w.-]+(?:/[\w.-]+)+\.(?:""" + _EXTENSIONS + r""")\b                 # rel/path.ext
      | (?<![\w/.-])[\w-]+(?:\.[\w-]+)*\.(?:""" + _EXTENSIONS + r""")\b(?![\w/-])      # file.ext
      | \b[A-Z][A-Z0-9_]*=[^\s]+                                                    # KEY=value
    """,
    re.VERBOSE,
)
# What every alternative of INLINE_CODE_RE needs somewhere in the text ("://" and paths a
# slash, an e-mail its "@", Windows paths a backslash, KEY=value its "=", a file name its
# ".ext"): text without any of them holds nothing to protect. One scan for these marks is
# cheap; the pattern above tries nine alternatives at each word (issue 28: on a 6,000-
# paragraph Word document, 0.9 s of its 2 s load, all before the first request left).
_MAY_HOLD_CODE = re.compile(r"[/@\\=]|www\.|mailto:|\.(?:" + _EXTENSIONS + r")\b")
COMMAND_RE = re.compile(r"(?:\$[ \t]+)?(?:" + "|".join(map(re.escape, _COMMANDS)) + r")(?P<args>[ \t]+[^\n]+)")
#: What makes a line starting with a command word a command rather than prose.
_SHELL_TOKEN = re.compile(r"(?:^|\s)--?[A-Za-z]|=|/|\\|\$|\.\w{1,5}\b|\|")


def _norm(name: str) -> str:
    return re.sub(r"[\s_-]+", "", name).casefold()


_MONO = frozenset(map(_norm, MONOSPACE_FONTS))
_STYLES = frozenset(map(_norm, CODE_STYLES))


@dataclass(frozen=True)
class CodeRules:
    """Which fonts and styles hold code; ``enabled=False`` protects nothing (a measure's baseline)."""

    fonts: frozenset[str] = frozenset()
    styles: frozenset[str] = frozenset()
    enabled: bool = True

    @classmethod
    def of(cls, fonts: Iterable[str] = (), styles: Iterable[str] = ()) -> "CodeRules":
        """The built-in lists plus the job's ``protect_fonts`` and ``protect_styles``."""
        return cls(frozenset(map(_norm, fonts)), frozenset(map(_norm, styles)))

    def code_font(self, name: str | None) -> bool:
        """A monospace font: listed, named "... Mono" / "... Code", or added by the job."""
        if not self.enabled or not name or name.startswith("+"):   # "+mn-lt": a theme font
            return False
        key = _norm(name)
        return key in _MONO or key in self.fonts or (("mono" in key and "monotype" not in key) or "code" in key)

    def code_style(self, *names: str | None) -> bool:
        """A code or verbatim style, by its name or its id."""
        if not self.enabled:
            return False
        for name in names:
            if name and (_norm(name) in _STYLES or _norm(name) in self.styles):
                return True
        return False

    def pieces(self, text: str, *, line_start: bool) -> list[tuple[str, bool]]:
        """``text`` cut into (piece, protected) pieces; ``line_start``: a command line may begin it."""
        if not self.enabled:
            return [(text, False)]
        spans = [_trimmed(m) for m in INLINE_CODE_RE.finditer(text)] if _MAY_HOLD_CODE.search(text) else []
        if line_start:
            m = COMMAND_RE.match(text)
            if m and _SHELL_TOKEN.search(m.group("args")):
                spans = [(m.start(), m.end())] + [s for s in spans if s[0] >= m.end()]
        out: list[tuple[str, bool]] = []
        pos = 0
        for start, end in spans:
            if end <= start or start < pos:
                continue
            if start > pos:
                out.append((text[pos:start], False))
            out.append((text[start:end], True))
            pos = end
        if pos < len(text):
            out.append((text[pos:], False))
        return out


OFF = CodeRules(enabled=False)


def _trimmed(m: re.Match[str]) -> tuple[int, int]:
    """A match without the sentence punctuation after it (a closing bracket only if unbalanced)."""
    start, end = m.span()
    s = m.string
    while end > start and s[end - 1] in _TRAIL:
        ch = s[end - 1]
        opener = {")": "(", "]": "[", "}": "{", ">": "<"}.get(ch)
        if opener and s.count(opener, start, end) >= s.count(ch, start, end):
            break
        end -= 1
    return start, end


def protect_text(nodes: list[Node], rules: CodeRules, text_el: Callable[[str], etree._Element],
                 run_tag: str, *, line_start: bool = True) -> list[Node]:
    """``nodes`` with URLs, paths, e-mails and command lines inside text cut out as isolated nodes.

    ``text_el`` makes a text element (``w:t``/``a:t``) holding a piece; the piece goes back
    as a run of ``run_tag`` with the properties of the text it was cut from.
    """
    if not rules.enabled:
        return nodes
    out: list[Node] = []
    for n in nodes:
        if isinstance(n, TextNode):
            for piece, protected in rules.pieces(n.text, line_start=line_start):
                out.append(IsoNode.of([text_el(piece)], n.rpr, run_tag, code=piece) if protected
                           else TextNode(piece, n.rpr, n.key))
            line_start = False
        elif isinstance(n, Container):
            n.children = protect_text(n.children, rules, text_el, run_tag, line_start=line_start)
            out.append(n)
            line_start = False
        else:
            out.append(n)
    return merge_isolated(out)


def verbatim_of(nodes: Iterable[Node], payloads: Mapping[int, object]) -> Verbatim:
    """The text of a paragraph's ``nodes`` and the code in it, each span with the tag
    that carries it (``payloads``: the segment's tag payloads; 0 for a span at its edges)."""
    tags = {id(p): num for num, p in payloads.items() if isinstance(p, IsoNode)}
    parts: list[str] = []
    spans: list[tuple[str, int, int]] = []
    offset = 0

    def walk(level: Iterable[Node]) -> None:
        nonlocal offset
        for n in level:
            if isinstance(n, Container):
                walk(n.children)
                continue
            text = n.text if isinstance(n, TextNode) else n.code
            if isinstance(n, IsoNode) and n.code:
                spans.append((n.code, tags.get(id(n), 0), offset))
            parts.append(text)
            offset += len(text)

    walk(nodes)
    return Verbatim("".join(parts), tuple(spans))


def element_text(el: etree._Element) -> str:
    """The text (``w:t``/``a:t``) of an element kept whole as code, text boxes anchored in it
    left out: their paragraphs are read on their own."""
    name = etree.QName(el).localname if isinstance(el.tag, str) else ""
    if name == "t":
        return el.text or ""
    if name in ("txbxContent", "txBody") or not isinstance(el.tag, str):
        return ""
    return "".join(element_text(c) for c in el)


__all__ = ["CODE_STYLES", "COMMAND_RE", "CodeRules", "INLINE_CODE_RE", "MONOSPACE_FONTS", "OFF", "element_text",
           "protect_text", "verbatim_of"]
