"""qmt's inline tags as XLIFF's own inline codes, and back.

A segment's ``<g1>…</g1>`` (formatting), ``<a2>…</a2>`` (link) and ``<x3/>`` (an
isolated element) become, in XLIFF 2.x, ``<pc id="g1">…</pc>`` and ``<ph id="x3"/>``
with the source markup each stands for (Markdown's ``**`` or ``](url)``, a CSV
placeholder such as ``{count}``; the qmt tag itself where the format reports none, as
DOCX) in ``originalData`` (``dataRefStart``/``dataRefEnd``/``dataRef``) and in
``dispStart``/``dispEnd``/``disp``, and ``canDelete="no"``, so a CAT tool shows them as
protected codes; in XLIFF 1.2 ``<g id="g1">…</g>`` and ``<x id="x3"/>`` (with
``equiv-text``). The inline id is the qmt tag's name and
number, so reading back needs nothing but the element.

Reading accepts what CAT tools write instead: ``sc``/``ec`` pairs (2.x) and
``bx``/``ex`` (1.2) for a pair, ``mrk``/``sm``/``em`` annotations (their text is kept,
the markers dropped), ``cp`` code points. Anything else is an :class:`InlineError`.
"""
from __future__ import annotations

import re
from typing import Mapping

from lxml import etree

from pipeline.segments import TAG_RE, Close, Isolated, Open, Text, tokenize

XLIFF2_NS = "urn:oasis:names:tc:xliff:document:2.0"
XLIFF12_NS = "urn:oasis:names:tc:xliff:document:1.2"
_ID_RE = re.compile(r"^([gax])(\d+)$")
# Characters XML 1.0 cannot hold (C0 controls but tab, LF, CR; U+FFFE/U+FFFF): 2.x writes
# them as <cp hex="000B"/>; 1.2 has no such element, so qmt writes <x id="cp-000B"/>.
_NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CP_ID_RE = re.compile(r"^cp-([0-9A-Fa-f]{4})$")
_PC_TYPE = {"g": "fmt", "a": "link"}
_CTYPE_12 = {"g": "x-qmt-format", "a": "link"}


class InlineError(ValueError):
    """An inline element qmt cannot map back to one of its tags."""


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def data_ids(tag: str) -> tuple[str, str]:
    """The originalData ids of a paired tag's start and end (``d-g1``, ``d-g1-end``)."""
    return f"d-{tag}", f"d-{tag}-end"


Markup = Mapping[int, tuple[str, str]]


def original_data(text: str, markup: Markup | None = None) -> list[tuple[str, str]]:
    """(data id, original markup) for every tag of ``text``, in order (XLIFF 2.x): the
    source markup the format reports (:meth:`Document.inline_markup`), else the qmt tag."""
    markup = markup or {}
    out: list[tuple[str, str]] = []
    for tok in tokenize(text):
        if isinstance(tok, Open):
            out.append((data_ids(f"{tok.name}{tok.id}")[0], _shown(markup, tok.id, 0) or f"<{tok.name}{tok.id}>"))
        elif isinstance(tok, Close):
            out.append((data_ids(f"{tok.name}{tok.id}")[1], _shown(markup, tok.id, 1) or f"</{tok.name}{tok.id}>"))
        elif isinstance(tok, Isolated):
            out.append((f"d-{tok.name}{tok.id}", _shown(markup, tok.id, 0) or f"<{tok.name}{tok.id}/>"))
    return out


def _shown(markup: Markup, num: int, side: int) -> str:
    """Markup as XML can hold it (characters XML 1.0 forbids become U+FFFD)."""
    return _NOT_XML_RE.sub("\ufffd", markup[num][side]) if num in markup else ""


def fill(parent: etree._Element, text: str, ns: str, markup: Markup | None = None) -> None:
    """Append the tagged ``text`` to ``parent`` as XLIFF content (``text`` must parse); with
    ``markup``, codes also show the source markup (2.x ``disp``, 1.2 ``equiv-text``)."""
    markup = markup or {}
    stack = [parent]

    def put_text(s: str) -> None:
        node = stack[-1]
        if len(node):
            node[-1].tail = (node[-1].tail or "") + s
        else:
            node.text = (node.text or "") + s

    def put(s: str) -> None:
        pos = 0
        for m in _NOT_XML_RE.finditer(s):
            put_text(s[pos:m.start()])
            hex_value = f"{ord(m.group(0)):04X}"
            if ns == XLIFF2_NS:
                etree.SubElement(stack[-1], _q(ns, "cp"), hex=hex_value)
            else:
                etree.SubElement(stack[-1], _q(ns, "x"), id=f"cp-{hex_value}")
            pos = m.end()
        put_text(s[pos:])

    for tok in tokenize(text):
        if isinstance(tok, Text):
            put(tok.text)
        elif isinstance(tok, Open):
            el = _open(stack[-1], f"{tok.name}{tok.id}", tok.name, ns)
            if ns == XLIFF2_NS and (shown := (_shown(markup, tok.id, 0), _shown(markup, tok.id, 1))) != ("", ""):
                el.set("dispStart", shown[0])
                el.set("dispEnd", shown[1])
            stack.append(el)
        elif isinstance(tok, Close):
            stack.pop()
        else:
            el = _isolated(stack[-1], f"{tok.name}{tok.id}", ns)
            if disp := _shown(markup, tok.id, 0):
                el.set("disp" if ns == XLIFF2_NS else "equiv-text", disp)


def _open(parent: etree._Element, tag: str, name: str, ns: str) -> etree._Element:
    if ns == XLIFF2_NS:
        start, end = data_ids(tag)
        return etree.SubElement(parent, _q(ns, "pc"), id=tag, dataRefStart=start, dataRefEnd=end,
                                canDelete="no", type=_PC_TYPE[name])
    return etree.SubElement(parent, _q(ns, "g"), id=tag, ctype=_CTYPE_12[name])


def _isolated(parent: etree._Element, tag: str, ns: str) -> etree._Element:
    if ns == XLIFF2_NS:
        return etree.SubElement(parent, _q(ns, "ph"), id=tag, dataRef=f"d-{tag}", canDelete="no")
    return etree.SubElement(parent, _q(ns, "x"), id=tag)


def read(element: etree._Element) -> str:
    """The tagged text of a ``source`` or ``target`` element (either version)."""
    parts: list[str] = [_text(element.text)]
    for child in element:
        parts.append(_read_child(child))
        parts.append(_text(child.tail))
    return "".join(parts)


def _text(text: str | None) -> str:
    """Text as it is, unless it spells one of qmt's tags: a code typed as text would pass
    for the real one (qmt writes such source text as a code, never as text)."""
    if text and (m := TAG_RE.search(text)):
        raise InlineError(f"{m.group(0)!r} typed as text; use the code")
    return text or ""


def _tag_of(value: str | None, what: str) -> tuple[str, int]:
    m = _ID_RE.match(value or "")
    if not m:
        raise InlineError(f"{what} id {value!r} is not one of qmt's codes")
    return m.group(1), int(m.group(2))


def _read_child(child: etree._Element) -> str:
    if not isinstance(child.tag, str):
        return ""  # a comment or processing instruction
    name = etree.QName(child).localname
    if name in ("pc", "g"):
        tag, num = _tag_of(child.get("id"), f"<{name}>")
        return f"<{tag}{num}>{read(child)}</{tag}{num}>"
    if name == "x" and (cp := _CP_ID_RE.match(child.get("id") or "")):
        return chr(int(cp.group(1), 16))
    if name in ("ph", "x"):
        tag, num = _tag_of(child.get("id"), f"<{name}>")
        return f"<{tag}{num}/>"
    if name in ("sc", "bx"):
        tag, num = _tag_of(child.get("id") if name == "sc" else child.get("rid") or child.get("id"), f"<{name}>")
        return f"<{tag}{num}>"
    if name in ("ec", "ex"):
        ref = child.get("startRef") if name == "ec" else child.get("rid") or child.get("id")
        tag, num = _tag_of(ref or child.get("id"), f"<{name}>")
        return f"</{tag}{num}>"
    if name in ("mrk", "sm", "em"):
        return read(child)
    if name == "cp":
        try:
            return chr(int(child.get("hex", ""), 16))
        except ValueError:
            raise InlineError(f"<cp hex={child.get('hex')!r}> is not a code point") from None
    raise InlineError(f"unexpected inline element <{name}>")
