"""The instruction qmt writes for a generic model (``engine = "llm"``).

Qwen-MT takes its instruction as ``translation_options``; a generic chat model takes none,
so qmt writes it as a system prompt, and the user message is the segment (or the packed
segments) alone, so the model has nothing to translate but the text. The system prompt
says, in this order:

* who the model is and what to do: translate the user's message, reply with the
  translation only;
* ``Source language: <name>`` and ``Target language: <name>`` on lines of their own;
* ``Domain: <hint>`` when the job has ``domains``;
* the rule to keep the markers that frame the message (below);
* the rule to keep the placeholder tags (:mod:`pipeline.segments`: ``<g1>…</g1>``,
  ``<a2>…</a2>``, ``<x3/>``) when the text holds any;
* the glossary entries relevant to the text (``request.terms``), one per line;
* translation-memory examples (``request.tm_list``), one per line;
* where each text is used (``request.context``: a software string's key, its
  translator comments, an ARB description), one line per marker that has any, so
  "Open" under ``toolbar.open`` reads as a button, not a verb in isolation.

What every request of a job says comes first, what depends on the request's text after:
a server that keeps its last prompt (llama.cpp's slots) processes again only from the
first token that differs, so a text with tags after one without (or the other way
round) costs the tag rule's tokens, not the pack rule's too (issue 28: on two loaded
cores, about 9 prompt tokens a second, each token of the system prompt processed again
is a tenth of a second).

**Why every message is framed.** Instruct models wrap answers in chatter ("Sure! Here is
the French translation:", "Let me know if you need anything else.", a code fence,
quotes) however firmly the prompt forbids it. So the user message is always framed by
the pack markers of :mod:`pipeline.translate.packing`: ``⟦§1⟧ text`` for one segment
(``⟦§1⟧ a⏎⏎⟦§2⟧ b`` for a pack) and one more marker that closes it (``⏎⏎⟦§2⟧``, or
``⟦§3⟧``). In the answer, whatever lies before ``⟦§1⟧`` and after the closing marker is
certainly not translation and is dropped (:func:`unframe`). When the frame does not come
back whole its boundary is not certain: an answer that then shows chatter (a fence or
quotes around it, a line ending in a colon before it, more paragraphs than its source)
is refused (the pool asks once more, then keeps the source and reports the segment);
one without is taken as it is. The detector (:mod:`pipeline.translate.chatter`) is the one
the QA check ``chatter`` runs over stored translations.

**Why fixed, parseable lines.** The languages, the domain and every glossary and example
entry are on lines of a fixed form (``Target language: Japanese``; ``- "source" →
"target"`` with each side a JSON string, so quotes, arrows and line breaks inside a term
cannot break the line). A model reads them as plain English; the emulator's generic chat
mode (:mod:`pipeline.emulator.chat`) reads them back with :func:`read_system_prompt` to
check the request and to pseudo-translate into the named language with the glossary
applied, which is how the tests see that the instruction reached the server whole.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from pipeline.segments import TAG_RE
from pipeline.tokens import chat_prompt_tokens
from pipeline.translate.chatter import find_chatter
from pipeline.translate.backend import TermPair, TranslationRequest
from pipeline.translate.packing import PACK_MARKER_RE, SEPARATOR, marker, pack, read_markers

SOURCE_LINE = "Source language: "
TARGET_LINE = "Target language: "
DOMAIN_LINE = "Domain: "
AUTO_SOURCE = "auto (detect it)"
GLOSSARY_HEAD = "Glossary (always translate each source term as given):"
EXAMPLES_HEAD = "Earlier translations to follow in wording and style:"
CONTEXT_HEAD = "Where each text is used (context only: never translate it or put it in the reply):"
ARROW = " → "
ENTRY = "- "

INTRO = ("You are a professional translator. Translate the user's message from the source language into "
         "the target language. Reply with the translation only: no notes, no explanations, no quotation marks "
         "around it. Keep the line breaks, and leave code, URLs and numbers as they are.")
TAG_RULE = ("The message holds placeholder tags such as <g1>, </g1>, <a2>, </a2> and <x3/>. Keep every tag "
            "exactly as written (same names, same numbers), around the translation of the words it surrounds; "
            "never translate, add, drop or merge a tag.")
PACK_RULE = (f"The message holds one or more separate texts, each after a marker such as {marker(1)} or "
             f"{marker(2)}, and ends with one more marker that closes it. Translate each text on its own and reply "
             "with every marker exactly once, in the same order, each followed by the translation of its text, "
             "and end your reply with the closing marker.")


def is_packed(text: str) -> bool:
    """A packed message starts with the first pack marker (the packer's own syntax)."""
    return text.lstrip().startswith(marker(1))


def system_prompt(request: TranslationRequest) -> str:
    """The system message for ``request`` (see the module docstring)."""
    source = AUTO_SOURCE if request.source_lang == "auto" else request.source_lang
    lines = [INTRO, f"{SOURCE_LINE}{source}", f"{TARGET_LINE}{request.target_lang}"]
    if request.domains:
        lines.append(f"{DOMAIN_LINE}{' '.join(request.domains.split())}")
    lines.append(PACK_RULE)     # every message is framed (see the module docstring)
    if TAG_RE.search(request.text):
        lines.append(TAG_RULE)
    for head, pairs in ((GLOSSARY_HEAD, request.terms), (EXAMPLES_HEAD, request.tm_list)):
        if pairs:
            lines.append(head)
            lines.extend(_entry(p) for p in pairs)
    if any(request.context):
        lines.append(CONTEXT_HEAD)
        lines.extend(f"{ENTRY}{marker(i)} {_json(' '.join(c.split()))}"
                     for i, c in enumerate(request.context, start=1) if c)
    return "\n".join(lines)


def messages(request: TranslationRequest) -> list[dict[str, str]]:
    """The chat messages of ``request``: the system prompt, then the text alone, framed."""
    return [{"role": "system", "content": system_prompt(request)}, {"role": "user", "content": frame(request.text)}]


def pieces_in(text: str) -> int:
    """How many segments ``text`` carries: the markers of a packed text, else one."""
    return len(PACK_MARKER_RE.findall(text)) if is_packed(text) else 1


def frame(text: str) -> str:
    """The user message for ``text``: its pieces behind their markers, and a closing marker."""
    n = pieces_in(text)
    body = text if n > 1 else pack([text])
    return f"{body}{SEPARATOR}{marker(n + 1)}"


def unframe(answer: str, text: str) -> str:
    """The translation in ``answer`` to the framed ``text``: the packed answer
    (``⟦§1⟧ a⏎⏎⟦§2⟧ b``) for a pack, the bare translation (with the source's outer white
    space) for one segment. Chatter outside a frame that came back whole is dropped;
    ValueError says why an answer whose frame did not, and that shows chatter, is refused."""
    n = pieces_in(text)
    answer = read_markers(answer, text)     # 【§1】: the frame as a model writing CJK returns it
    first, closing = answer.find(marker(1)), answer.rfind(marker(n + 1))
    start = first if first >= 0 else None
    stop = closing if closing >= 0 and (start is None or closing > start) else None
    inner = answer[start or 0: stop if stop is not None else len(answer)]
    if start is None or stop is None:
        # The head is checked against the whole source (a pack's first piece is resent by
        # the pool whenever its marker is missing); the tail against the last piece.
        reason = (_chatter(inner, text, head=True, tail=False) if start is None and n == 1 else "") or \
            (_chatter(_last_piece(inner), _last_piece(text), head=False, tail=True) if stop is None else "")
        if reason:
            raise ValueError(f"the answer holds {reason} and its frame did not come back whole, so where the "
                             "translation starts or ends is not certain")
    if n > 1:
        return inner.strip()
    body = inner.strip()
    body = body[len(marker(1)):].strip() if body.startswith(marker(1)) else body
    return _with_outer_space(body, text)


def _last_piece(text: str) -> str:
    """The text after the last pack marker of ``text`` (all of it without markers)."""
    found = list(PACK_MARKER_RE.finditer(text))
    return text[found[-1].end():] if found else text


def _chatter(answer: str, source: str, *, head: bool, tail: bool) -> str:
    """What in ``answer`` has no counterpart in ``source`` at the ends checked, or ""
    (:func:`pipeline.translate.chatter.find_chatter`, which the QA check uses too)."""
    found = find_chatter(answer, source, head=head, tail=tail)
    return found.reason if found else ""


def _with_outer_space(body: str, source: str) -> str:
    lead = source[: len(source) - len(source.lstrip())]
    return f"{lead}{body}{source[len(source.rstrip()):]}"


def prompt_tokens_of(request: TranslationRequest) -> int:
    """The prompt tokens of ``request`` as sent to a model server (system prompt included):
    what the sender paces and budgets with and ``qmt estimate`` counts."""
    return chat_prompt_tokens(messages(request))


def _entry(pair: TermPair) -> str:
    return f"{ENTRY}{_json(pair.source)}{ARROW}{_json(pair.target)}"


def _json(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


# --- reading it back (the emulator's generic chat mode) -----------------------------------


@dataclass
class PromptFields:
    """What a system prompt written by :func:`system_prompt` says."""

    source_lang: str = ""
    target_lang: str = ""
    domains: str = ""
    terms: list[TermPair] = field(default_factory=list)
    examples: list[TermPair] = field(default_factory=list)
    context: dict[int, str] = field(default_factory=dict)     # pack marker number -> context
    tag_rule: bool = False
    pack_rule: bool = False


def read_system_prompt(text: str) -> PromptFields:
    """The fields of a system prompt; raises ValueError naming a malformed entry line."""
    out = PromptFields(tag_rule=TAG_RULE in text, pack_rule=PACK_RULE in text)
    section: list[TermPair] | None = None
    in_context = False
    for line in text.splitlines():
        if line.startswith(SOURCE_LINE):
            out.source_lang = line[len(SOURCE_LINE):].strip()
        elif line.startswith(TARGET_LINE):
            out.target_lang = line[len(TARGET_LINE):].strip()
        elif line.startswith(DOMAIN_LINE):
            out.domains = line[len(DOMAIN_LINE):].strip()
        elif line == GLOSSARY_HEAD:
            section = out.terms
        elif line == EXAMPLES_HEAD:
            section = out.examples
        elif line == CONTEXT_HEAD:
            section = None
            in_context = True
        elif line.startswith(ENTRY) and section is not None:
            section.append(_read_entry(line))
        elif line.startswith(ENTRY) and in_context:
            number, text = _read_context(line)
            out.context[number] = text
    return out


def _read_context(line: str) -> tuple[int, str]:
    m = re.match(rf"{re.escape(ENTRY)}⟦§(\d+)⟧ ", line)
    try:
        if m is None:
            raise ValueError
        text, end = json.JSONDecoder().raw_decode(line, m.end())
    except ValueError:
        raise ValueError(f"malformed context line: {line[:80]!r}") from None
    if end != len(line) or not isinstance(text, str):
        raise ValueError(f"malformed context line: {line[:80]!r}")
    return int(m.group(1)), text


def _read_entry(line: str) -> TermPair:
    decoder = json.JSONDecoder()
    try:
        source, end = decoder.raw_decode(line, len(ENTRY))
        if not line.startswith(ARROW, end):
            raise ValueError
        target, end = decoder.raw_decode(line, end + len(ARROW))
    except ValueError:
        raise ValueError(f"malformed glossary or example line: {line[:80]!r}") from None
    if end != len(line) or not isinstance(source, str) or not isinstance(target, str):
        raise ValueError(f"malformed glossary or example line: {line[:80]!r}")
    return TermPair(source, target)


def has_markers(text: str) -> bool:
    return PACK_MARKER_RE.search(text) is not None


def has_tags(text: str) -> bool:
    return TAG_RE.search(text) is not None


__all__ = ["PromptFields", "frame", "has_markers", "has_tags", "is_packed", "messages", "pieces_in", "prompt_tokens_of",
           "read_system_prompt", "system_prompt", "unframe"]
