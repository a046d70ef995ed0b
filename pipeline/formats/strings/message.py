"""One translatable value of a string catalogue, as segments and back.

A value is a :class:`Body`: text with its placeholders kept as :class:`Ph` parts (each
travels as an isolated tag carrying its exact source bytes, so a translation that drops
or alters one fails :func:`pipeline.segments.check_translation` and is never written),
the plural count as :class:`Count` parts, and nested ICU arguments (:class:`Choice`,
:class:`Plural`) as parts of their own. Plural values of every syntax (ICU, i18next
``_one``/``_other`` keys, gettext ``msgstr[n]``, Rails ``one:``/``other:``) are one
:class:`Plural`, so the CLDR expansion (:mod:`.plurals`) lives in one place.

:class:`Message` walks a value once per target language to list the segments that
language needs (``requests``) and once more to render its translation (``render``); a
value whose segments are not all translated, or whose count does not come back, raises
:class:`Missing` and keeps its source bytes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterator, Mapping, Union

from pipeline.formats.strings import plurals
from pipeline.segments import (Isolated, Literal, Segment, SegmentBuilder, Text, Token, has_translatable_text,
                               parse)

# Placeholders of software strings, each kept byte for byte as an isolated tag:
# i18next nesting $t(key) and {{x}} (also {{- x}}), template ${x}, Ruby %{x} and %<x>d,
# Python %(name)s, printf %s %1$s %-5d %.2f %lld %@ (Apple) and %%, Python/.NET/ICU
# simple arguments {name} {0} {0:.2f}, HTML tags and entities. printf's space flag is
# left out on purpose: "50% off" is prose.
PLACEHOLDER_RE = re.compile(
    r"""\$t\([^()]*\)
      | \{\{[^{}]+\}\}
      | \$\{[^{}]+\}
      | %\{[A-Za-z_][A-Za-z0-9_]*\}
      | %<[A-Za-z_][A-Za-z0-9_]*>[-\#0+]*\d*(?:\.\d+)?[A-Za-z]
      | %\([A-Za-z_][A-Za-z0-9_]*\)[-\#0+]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]
      | %(?:\d+\$)?\#@[A-Za-z_][A-Za-z0-9_]*@
      | %(?:\d+\$)?[-\#0+']*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?:hh|h|ll|l|L|q|j|z|t)?[diouxXeEfFgGaAcrsSp@]
      | %%
      | \{[A-Za-z0-9_.]+(?:![rsa])?(?::[^{}]*)?\}
      | \{\s*[A-Za-z0-9_.]+\s*,\s*(?:number|date|time|spellout|ordinal|duration)\b[^{}]*\}
      | </?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>
      | &(?:[A-Za-z]+|\#\d+|\#x[0-9A-Fa-f]+);
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Ph:
    """A placeholder: written back exactly as ``raw``."""

    raw: str


@dataclass(frozen=True)
class Count:
    """The plural count placeholder (``#``, ``{count}``, ``{{count}}``, ``%d``…): sent as a
    number of the form's category, put back as ``raw``."""

    raw: str


class Missing(Exception):
    """A value cannot be written in the target language: a segment it needs has no
    accepted translation, or the count did not come back. The value keeps its source."""

    def __init__(self, segment_id: str, reason: str):
        self.segment_id = segment_id
        super().__init__(reason)


Part = Union[str, Ph, Count, "Node"]


@dataclass
class Body:
    """A run of text with placeholders and nested arguments."""

    parts: list[Part]

    def plain(self) -> str:
        return "".join(p for p in self.parts if isinstance(p, str))


def split_placeholders(text: str, count: re.Pattern[str] | None = None,
                       pattern: re.Pattern[str] = PLACEHOLDER_RE) -> Body:
    """``text`` as a body: placeholders as :class:`Ph` (:class:`Count` when ``count`` matches them whole)."""
    parts: list[Part] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            parts.append(text[pos : m.start()])
        raw = m.group(0)
        parts.append(Count(raw) if count is not None and count.fullmatch(raw) else Ph(raw))
        pos = m.end()
    if pos < len(text):
        parts.append(text[pos:])
    return Body(parts)


# Integer conversions and count-like names: which placeholder of a plural's text is the count.
_COUNT_HINT_RE = re.compile(r"%(?:\d+\$)?[-#0+]*\d*(?:hh|h|ll|l|L|q|j|z|t)?[diu]$|%\([^)]*\)[-#0+]*\d*[diu]$"
                            r"|\{(?:count|num|number|n|cnt|counter|total|amount)\b[^}]*\}$", re.I)


def count_placeholder(text: str) -> re.Pattern[str] | None:
    """The placeholder of a plural text (gettext ``msgid_plural``, an Android ``other``
    item) that stands for the count: the first integer conversion or count-like name,
    else the only placeholder; None when there is none."""
    found = [m.group(0) for m in PLACEHOLDER_RE.finditer(text) if m.group(0) != "%%"]
    pick = next((f for f in found if _COUNT_HINT_RE.search(f)), found[0] if len(found) == 1 else None)
    return re.compile(re.escape(pick)) if pick else None


Number = Union[int, Decimal]
Request = tuple[str, Body, "Number | None"]     # (segment id, body, example number)


class Node:
    """A nested argument (ICU select or plural) inside a body."""

    id: str

    def requests(self, lang: str, source: str) -> Iterator[Request]:
        raise NotImplementedError

    def render(self, lang: str, source: str, ctx: "Rendering") -> str:
        raise NotImplementedError


def body_requests(sid: str, body: Body, n: Number | None, lang: str, source: str) -> Iterator[Request]:
    yield sid, body, n
    for part in body.parts:
        if isinstance(part, Node):
            yield from part.requests(lang, source)


@dataclass
class Option:
    """One ``selector {body}`` of an ICU argument, with its source spacing."""

    pre: str
    selector: str
    mid: str
    body: Body


@dataclass
class Choice(Node):
    """ICU ``{gender, select, male {…} other {…}}``: each option translated as it is."""

    id: str
    head: str            # "{gender, select,"
    options: list[Option]
    tail: str            # whitespace before the closing brace, and "}"

    def requests(self, lang: str, source: str) -> Iterator[Request]:
        for opt in self.options:
            yield from body_requests(f"{self.id}.{opt.selector}", opt.body, None, lang, source)

    def render(self, lang: str, source: str, ctx: "Rendering") -> str:
        out = [self.head]
        for opt in self.options:
            text = ctx.body(f"{self.id}.{opt.selector}", opt.body, None, lang, source)
            out.append(f"{opt.pre}{opt.selector}{opt.mid}{{{text}}}")
        return "".join(out) + self.tail


@dataclass
class Plural(Node):
    """A plural value: source forms by CLDR category, written in the target's categories.

    ``exact`` holds ICU's ``=0``-style options (translated as they are, kept). For ICU,
    ``head``/``tail``/``options`` keep the source spelling of the argument."""

    id: str
    forms: dict[str, Body]
    exact: list[Option] = field(default_factory=list)
    head: str = ""
    tail: str = ""
    options: list[Option] = field(default_factory=list)

    def examples(self, lang: str, source: str) -> list[tuple[str, str, Body, Number | None]]:
        """Per target category: (category, segment id, source body, example number)."""
        avoid = " ".join(b.plain() for b in (*self.forms.values(), *(o.body for o in self.exact)))
        out: list[tuple[str, str, Body, Number | None]] = []
        for cat in plurals.categories(lang):
            n = plurals.example(lang, cat, avoid)
            if n is None:
                out.append((cat, f"{self.id}.{cat}", self.forms.get(cat) or self._other(), None))
                continue
            form = plurals.category_of(source, n)
            if form not in self.forms:
                form = "other" if "other" in self.forms else next(iter(self.forms))
            if not _has_count(self.forms[form]) and _has_count(self._other()) and not plurals.single_valued(lang, cat):
                # "One file" cannot be Russian ``one`` (1, 21, 31…): that form shows the count.
                form = "other"
            # The id names the source form and the number: the same sentence for every
            # language that needs it (Arabic ``two`` and Japanese ``other`` share "2 files").
            out.append((cat, f"{self.id}.{form}:{n}", self.forms[form], n))
        return out

    def _other(self) -> Body:
        return self.forms.get("other") or next(iter(self.forms.values()))

    def requests(self, lang: str, source: str) -> Iterator[Request]:
        for opt in self.exact:
            yield from body_requests(f"{self.id}.{opt.selector}", opt.body, _exact_number(opt.selector), lang, source)
        for _, sid, body, n in self.examples(lang, source):
            yield from body_requests(sid, body, n, lang, source)

    def render_forms(self, lang: str, source: str, ctx: "Rendering") -> list[tuple[str, str]]:
        """(selector, translated text) per exact option, then per target category."""
        out = [(opt.selector,
                ctx.body(f"{self.id}.{opt.selector}", opt.body, _exact_number(opt.selector), lang, source))
               for opt in self.exact]
        out += [(cat, ctx.body(sid, body, n, lang, source)) for cat, sid, body, n in self.examples(lang, source)]
        return out

    def render(self, lang: str, source: str, ctx: "Rendering") -> str:
        """ICU syntax: the source's head and spacing, the target's categories."""
        spacing = {o.selector: o for o in self.options}
        model = spacing.get("other") or (self.options[-1] if self.options else Option(" ", "", " ", Body([])))
        out = [self.head]
        for selector, text in self.render_forms(lang, source, ctx):
            like = spacing.get(selector, model)
            out.append(f"{like.pre}{selector}{like.mid}{{{text}}}")
        return "".join(out) + self.tail


def _has_count(body: Body) -> bool:
    return any(isinstance(p, Count) for p in body.parts)


def _exact_number(selector: str) -> Number | None:
    try:
        return int(selector[1:]) if selector.startswith("=") else None
    except ValueError:
        return None


# --- segments -------------------------------------------------------------------------


@dataclass
class Built:
    """What a segment was built from: its payloads and the count placeholders it replaced."""

    text: str
    payloads: dict[int, Any]
    n: Number | None
    counts: list[str]


def build(body: Body, n: Number | None) -> Built:
    """The tagged segment text of ``body`` with the count as ``n`` (or as a tag when None)."""
    b = SegmentBuilder()
    counts: list[str] = []
    for part in body.parts:
        if isinstance(part, str):
            b.text(part)
        elif isinstance(part, Count) and n is not None:
            b.text(plurals.number_text(n))
            counts.append(part.raw)
        elif isinstance(part, (Ph, Count)):
            b.isolated(Literal(part.raw))
        else:
            b.isolated(part)
    return Built(b.build(), b.payloads, n, counts)


Escape = Callable[[str, str], str]     # (text, what follows it) -> text as the format writes it


@dataclass
class Rendering:
    """One value's rendering in one language: the checked translations by segment id."""

    translations: Mapping[str, str]
    built: Mapping[str, Built]
    escape: Escape | None = None

    def body(self, sid: str, body: Body, n: Number | None, lang: str, source: str) -> str:
        built = self.built[sid]
        text = self.translations.get(sid)
        if text is None:
            if has_translatable_text(built.text):
                raise Missing(sid, "not translated")
            text = built.text
        try:
            tokens = parse(text)
        except ValueError as exc:
            raise Missing(sid, f"tags do not match the source ({exc})") from None
        pieces = self._pieces(sid, tokens, built, lang, source)
        return self._join(pieces)

    def _pieces(self, sid: str, tokens: list[Token], built: Built, lang: str, source: str) -> list[tuple[bool, str]]:
        n = built.n if built.counts else None      # build() replaces counts only when given a number
        numbers = [plurals.find_number(tok.text, n) if isinstance(tok, Text) and n is not None else []
                   for tok in tokens]
        if n is not None and sum(map(len, numbers)) != len(built.counts):
            raise Missing(sid, f"the count ({plurals.number_text(n)}) did not come back "
                               f"{len(built.counts)} time(s) in the translation")
        counts = iter(built.counts)
        pieces: list[tuple[bool, str]] = []
        for tok, found in zip(tokens, numbers):
            if isinstance(tok, Text):
                pos = 0
                for start, end in found:
                    pieces += [(True, tok.text[pos:start]), (False, next(counts))]
                    pos = end
                pieces.append((True, tok.text[pos:]))
            elif isinstance(tok, Isolated):
                payload = built.payloads.get(tok.id)
                if isinstance(payload, Literal):
                    pieces.append((False, payload.text))
                elif isinstance(payload, Node):
                    pieces.append((False, payload.render(lang, source, self)))
                else:
                    raise Missing(sid, f"unknown tag <x{tok.id}/>")
            else:
                raise Missing(sid, "paired tags in a string value")
        return pieces

    def _join(self, pieces: list[tuple[bool, str]]) -> str:
        out = []
        for i, (is_text, s) in enumerate(pieces):
            if is_text and self.escape is not None:
                following = next((p for _, p in pieces[i + 1 :] if p), "")
                s = self.escape(s, following)
            out.append(s)
        return "".join(out)


class Message:
    """A value's segments for every target language, and its rendering in one of them."""

    def __init__(self, key: str, root: Body | Plural, source: str, targets: tuple[str, ...], context: str = "",
                 escape: Escape | None = None):
        self.key, self.root, self.source, self.context, self.escape = key, root, source, context, escape
        self.built: dict[str, Built] = {}
        self.wanted: dict[str, set[str]] = {}
        self.order: list[str] = []
        for lang in targets:
            for sid, body, n in self._requests(lang):
                if sid not in self.built:
                    self.built[sid] = build(body, n)
                    self.order.append(sid)
                self.wanted.setdefault(sid, set()).add(lang)

    def _requests(self, lang: str) -> Iterator[Request]:
        if isinstance(self.root, Plural):
            return self.root.requests(lang, self.source)
        return body_requests(self.key, self.root, None, lang, self.source)

    def _plurals(self) -> Iterator[Plural]:
        stack: list[Any] = [self.root]
        while stack:
            node = stack.pop()
            if isinstance(node, Plural):
                yield node
                stack += [*node.forms.values(), *(o.body for o in node.exact)]
            elif isinstance(node, Choice):
                stack += [o.body for o in node.options]
            elif isinstance(node, Body):
                stack += [p for p in node.parts if isinstance(p, Node)]

    def segments(self) -> list[Segment]:
        return [Segment(sid, self.built[sid].text, self.context) for sid in self.order]

    def is_plural(self) -> bool:
        return isinstance(self.root, Plural)

    def render(self, lang: str, translations: Mapping[str, str]) -> str:
        """The value in ``lang`` (raises :class:`Missing`)."""
        ctx = Rendering(translations, self.built, self.escape)
        if isinstance(self.root, Plural):
            return self.root.render(lang, self.source, ctx)
        return ctx.body(self.key, self.root, None, lang, self.source)

    def render_forms(self, lang: str, translations: Mapping[str, str]) -> list[tuple[str, str]]:
        """A plural group's forms in ``lang`` (raises :class:`Missing`)."""
        assert isinstance(self.root, Plural)
        return self.root.render_forms(lang, self.source, Rendering(translations, self.built, self.escape))

    def untouched(self, lang: str, translations: Mapping[str, str]) -> bool:
        """Every segment ``lang`` needs comes back as its source text (identity) and every
        plural already has ``lang``'s categories: the value keeps its source bytes,
        whatever re-encoding would have made of it."""
        if any(set(p.forms) != set(plurals.categories(lang)) for p in self._plurals()):
            return False
        return all(translations.get(sid, self.built[sid].text) == self.built[sid].text
                   for sid in self.order if lang in self.wanted[sid])


__all__ = ["Body", "Built", "Choice", "Count", "Message", "Missing", "Node", "Option", "PLACEHOLDER_RE", "Ph",
           "Plural", "Rendering", "count_placeholder", "split_placeholders"]
