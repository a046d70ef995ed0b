"""Text in a translation that has no counterpart in its source: a model's chatter.

Instruct models wrap answers however firmly the prompt forbids it: "Sure! Here is the
French translation:", "Translation:", a code fence, quotes around the whole answer, "Let
me know if you need anything else.", a "(Note: …)", a second rendition ("Alternatively:
…", "(more formal: …)"). One detector finds them, used twice:

* by the llm backend (:func:`pipeline.translate.llm_prompt.unframe`) on an answer whose
  frame did not come back whole, at the end whose boundary is not certain (``head`` or
  ``tail`` alone): one quote at that end is enough there (pleasantries, notes and
  alternatives are looked for with the tail);
* by the QA check ``chatter`` (:mod:`pipeline.review.qa.checks`) on a stored translation,
  both ends at once (a reviewer pasted a model's answer, or another engine chattered):
  there quotes count only when they enclose the whole text.

Every rule compares with the source: what the source has too (a source that is itself
quoted, a label ending in a colon, a "let me know" in an e-mail template) is a
translation, not chatter. The phrase lists hold the wording models use in English and in
the main target languages, since a model chatters in either.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

FENCE = "```"
QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "«": "»", "「": "」", "『": "』", "„": "“"}
_COLONS = (":", "：")
_TITLE_MARKS = frozenset("『")

# "Sure! Here is the French translation:", "Translation:", "Voici la traduction :", "以下是翻译：".
_PREAMBLE_RE = re.compile(
    r"""\s*(?:
        (?:(?:sure|certainly|of\ course|okay|ok|absolutely|alright)[!,.]*\s+)?
          (?:here(?:'s|\ is|\ are|\ it\ is)|below\ is|the\ following\ is)\b[^\n:：]{0,60}?
          \btranslat\w*[^\n:：]{0,30}(?:[:：]|(?=\n))
      | (?:sure|certainly|of\ course|absolutely)[!,.]*\s+(?:here(?:'s|\ is|\ you\ go)|below\ is)\b[^\n:：]{0,60}
          (?:[:：]|(?=\n))
      | (?:[^\W\d_]+\ )?(?:translation|translated\ text|traduction|übersetzung|traducción|traduzione|tradução|
          vertaling|tłumaczenie|перевод|翻译|译文|翻譯|譯文|翻訳|번역|ترجمة|תרגום|çeviri|terjemahan|bản\ dịch)\s*[:：]
      | voici\ (?:la|une|ma|votre)\ (?:traduction|version)\b[^\n:：]{0,40}[:：]?
      | hier\ (?:ist|sind)\ (?:die|eine|meine|ihre)\ übersetzung\w*[^\n:：]{0,40}[:：]?
      | (?:aquí\ (?:está|tienes|tiene)|esta\ es)\ (?:la|una|tu|su)\ traducción[^\n:：]{0,40}[:：]?
      | ecco\ (?:la|una)\ traduzione[^\n:：]{0,40}[:：]?
      | aqui\ está\ (?:a|uma)\ tradução[^\n:：]{0,40}[:：]?
      | вот\ (?:ваш\ |мой\ )?перевод[^\n:：]{0,40}[:：]?
      | (?:好的[，,！!。]?\s*)?(?:以下是|下面是|这是|這是|以下為)[^\n:：]{0,15}(?:翻译|译文|翻譯|譯文)[^\n:：]{0,10}[:：]?
      | (?:以下|こちら)(?:は|が)[^\n:：]{0,15}翻訳[^\n:：]{0,15}[:：]?
      | (?:다음은|여기)[^\n:：]{0,20}번역[^\n:：]{0,15}[:：]?
      | (?:إليك|هذه\ هي)\ (?:الترجمة|ترجمة)[^\n:：]{0,40}[:：]?
      | הנה\ התרגום[^\n:：]{0,40}[:：]?
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# "Let me know if you need anything else.", "I hope this helps!", "N'hésitez pas à me demander."
# The assistant speaking of itself or of its help: each language's phrase has its English
# counterpart in the list, so a source that says it too is translated, not chattered.
_PLEASANTRY_RE = re.compile(
    r"""\blet\ me\ know\ if\b | \b(?:i\ )?hope\ (?:this|that|it)\ helps\b
      | \bfeel\ free\ to\ (?:ask|reach\ out|let\ me)\b | \b(?:don't|do\ not)\ hesitate\ to\ (?:ask|reach\ out|let\ me)\b
      | \banything\ else\ (?:i\ can|you(?:'d|\ would)?\ (?:like|need))\b
      | \bif\ you\ (?:need|have|want|would\ like)\ (?:any|anything|more|further|other|additional)\b[^.!?\n]{0,30}
          \b(?:else|help|assistance|questions?|changes|adjustments|translations?)\b
      | \bhappy\ to\ help\b | \bglad\ (?:I\ could|to)\ help\b
      | n'hésitez\ pas\ à\ (?:me\ |m') | j'espère\ que\ (?:cela|ceci|ça)\ (?:vous\ )?(?:aide|convient|sera\ utile)
      | faites-moi\ savoir\ si
      | ich\ hoffe,?\ (?:das|dies)\ hilft | lass(?:en\ sie)?\ (?:es\ )?mich\ wissen,?\ (?:ob|wenn|falls)
      | espero\ que\ (?:esto|te|le)\ (?:ayude|sirva) | no\ dudes\ en\ (?:preguntarme|decírmelo|contactarme)
      | (?:avísame|házmelo\ saber)\ si
      | spero\ che\ (?:questo|ti|le)\ (?:aiuti|sia\ utile) | fammi\ sapere\ se
      | espero\ que\ (?:isso|isto)\ (?:ajude|sirva) | me\ avise\ se
      | надеюсь,?\ (?:это|что\ это)\ помо | дайте\ (?:мне\ )?знать,?\ если
      | 希望(?:这|這|以上|此)[^\n。！!]{0,8}(?:帮助|幫助) | (?:请|請)(?:随时)?告诉我 | 随时告诉我 | 如果(?:您|你)还(?:有|需要)(?:其他|任何|更多)
      | お役に立て | 他に何か(?:ございましたら|あれば) | お気軽に(?:お尋ね|ご質問|お申し付け)
      | 도움이\ 되(?:었으면|길|시길) | 더\ 필요한\ (?:것이|부분이)\ 있으면
      | آمل\ أن\ (?:يكون|يساعد) | أخبرني\ إذا | אשמח\ לעזור | מקווה\ שזה\ עוזר
    """,
    re.IGNORECASE | re.VERBOSE,
)
# "(Note: …)", "[Translator's note: …]", "（注：…）": a note the source does not have.
_NOTE_RE = re.compile(
    r"""[(（\[]\s*(?:note|n\.?b\.?|translator'?s?\ note|translation\ note|remarque|nota|anmerkung|hinweis|
        примечание|注|注意|备注|備註|訳注|참고|ملاحظة|הערה)\s*[:：]""",
    re.IGNORECASE | re.VERBOSE,
)
# A first line that names the translation ("Here is the French translation:", "翻译如下：").
_PREAMBLE_HINT_RE = re.compile(r"translat|traduc|traduz|übersetz|перевод|翻译|翻譯|译文|翻訳|번역|ترجم|תרגום", re.IGNORECASE)
# Any "(label:" in the source: a source with notes of its own is left alone.
_ANY_NOTE_RE = re.compile(r"[(（\[]\s*[^\W\d_][^\W\d_' .]{0,25}[:：]")
# A second rendition: "Alternatively: …", "Or, more formally: …", "(formal)", "Option 2:".
_ALTERNATIVE_RE = re.compile(
    r"""(?:^|\n)\s*(?:alternatively|alternative(?:\ translation|\ version)?|another\ (?:option|version|translation)|
          or(?:,?\ more\ (?:formally|informally|literally|naturally))?|option\ \d|autre\ (?:traduction|version)|
          ou\ (?:bien|plus\ formel\w*)|oder|alternativ\w*|o\ bien|或者|或|または|또는|или|أو)\s*[:：]
      | [(（]\s*(?:or|alternatively|ou|oder|o|或|または|또는|или)\s*[:：]
      | [(（]\s*(?:more\ |less\ )?(?:formal|informal|literal|natural)(?:ly)?\s*[:：)]""",
    re.IGNORECASE | re.VERBOSE,
)


@dataclass(frozen=True)
class Chatter:
    """What was found: ``reason`` for a message, ``excerpt`` the text itself."""

    reason: str
    excerpt: str


def find_chatter(answer: str, source: str, *, head: bool = True, tail: bool = True) -> Chatter | None:
    """Text in ``answer`` (a translation of ``source``) with no counterpart in the source,
    at the ends checked (``head``, ``tail``); None when there is none."""
    got, src = answer.strip(), source.strip()
    if not got:
        return None
    found = (_at_head(got, src, whole=tail) if head else None) or (_at_tail(got, src, whole=head) if tail else None)
    if found is None and tail:
        found = _inside(got, src)
    return found


def _at_head(got: str, src: str, *, whole: bool) -> Chatter | None:
    if got.startswith(FENCE) and FENCE not in src:
        return Chatter("a code fence around the translation", FENCE)
    if _quoted(got, src, whole=whole):
        return Chatter("quotes around the translation", got[0])
    first_line = got.splitlines()[0].rstrip()
    # A line ending in a colon before the rest: with one end checked (the llm backend), a
    # preamble; in a whole translation, only one that names the translation or stands
    # apart (a blank line after it), since a translation may break its lines elsewhere.
    own_paragraph = re.match(r"[^\n]*\n[ \t]*\n", got) is not None
    if "\n" in got and first_line.endswith(_COLONS) and not src.splitlines()[0].rstrip().endswith(_COLONS) and (
            not whole or own_paragraph or _PREAMBLE_HINT_RE.search(first_line)):
        return Chatter(f"a preamble ({first_line[:60]!r})", first_line)
    m = _PREAMBLE_RE.match(got)
    if m and m.end() < len(got) and not _PREAMBLE_RE.match(src):
        said = m.group(0).strip()
        return Chatter(f"a preamble ({said[:60]!r})", said)
    return None


def _at_tail(got: str, src: str, *, whole: bool) -> Chatter | None:
    if got.endswith(FENCE) and FENCE not in src:
        return Chatter("a code fence around the translation", FENCE)
    if not whole and got[-1] in QUOTES.values() and src[-1:] not in QUOTES.values():
        return Chatter("quotes around the translation", got[-1])
    paragraphs, in_source = _paragraphs(got), _paragraphs(src)
    if len(paragraphs) > len(in_source):
        return Chatter("text after the translation with no counterpart in the source", paragraphs[-1])
    return None


def _inside(got: str, src: str) -> Chatter | None:
    """Chatter anywhere in a whole translation: pleasantries, notes, alternatives."""
    for kind, pattern, also in (("a pleasantry", _PLEASANTRY_RE, _PLEASANTRY_RE), ("a note", _NOTE_RE, _ANY_NOTE_RE),
                                ("an alternative translation", _ALTERNATIVE_RE, _ALTERNATIVE_RE)):
        hits = list(pattern.finditer(got))
        if hits and len(hits) > len(also.findall(src)):  # the source is read only when it matters
            said = _sentence(got, hits[-1])
            return Chatter(f"{kind} with no counterpart in the source ({said[:60]!r})", said)
    return None


def _sentence(text: str, hit: re.Match[str]) -> str:
    """The hit up to the end of its sentence, line or parenthesis."""
    end = re.compile(r"[.!?。！？)）\]\n]").search(text, hit.end())
    return text[hit.start(): end.end() if end else len(text)].strip()


def _quoted(got: str, src: str, *, whole: bool) -> bool:
    """Quotes the source does not have: at the start alone (``whole`` False, one end
    checked) or, checking the whole text, a pair enclosing all of it with no other
    quote of that kind inside (a translation may change the quote style or quote a word)."""
    close = QUOTES.get(got[0])
    if close is None or src[:1] in QUOTES:
        return False
    if not whole:
        return True
    if got[0] in _TITLE_MARKS:      # a work's title alone: 『源氏物語』 for "The Tale of Genji"
        return False
    inner = got[1:-1]
    return (len(got) > 2 and got[-1] == close and src[-1:] not in QUOTES.values()
            and close not in inner and got[0] not in inner)


def _paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


__all__ = ["FENCE", "QUOTES", "Chatter", "find_chatter"]
