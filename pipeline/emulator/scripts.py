"""Pseudo text in the target language's script: the letters of :mod:`pipeline.emulator.pseudo`.

A demo translated through the emulator should show what a real translation would: Han
characters that need a CJK font and break lines anywhere, Arabic that joins and runs right
to left, Devanagari with vowel signs, text that grows or shrinks like the language does.
So the emulator writes each target in its own script, while staying what tests need:
deterministic and exactly reversible (:func:`ScriptCode.decode` gives the source back).

How a text is written, per script (``code_for`` picks one by language code):

* **Han, Japanese, Hangul** (:class:`PairCode`): two source symbols become one character
  (a common Han character of GB2312 or Big5 level 1, a Hangul syllable, or for Japanese a
  kanji or a pair of kana, so kana are mixed in), a last odd symbol one character of its
  own range. For Chinese and Japanese the space between two words is a symbol too, so the
  words run together as they do in those languages; Korean keeps its spaces. About half
  the source's length (Korean, with its spaces, 60%; Japanese two thirds).
* **Alphabets** (:class:`LetterCode`: Cyrillic, Greek, Arabic, Hebrew, Devanagari, Thai):
  each ASCII letter becomes a letter of the script (a capital becomes another letter, or
  the letter with a mark after it where the script has no capitals), and *filler*
  letters, which decoding drops, end words at a fixed rate per letter so the text is as
  much longer than English as the language typically is (:data:`LENGTH_RATIOS`).
* **Everything else** (Latin-script targets and scripts not listed here): the accented
  look-alikes of classic pseudo-localization (:data:`LATIN`), the same length as the source.

Only ASCII letters (and, for Chinese and Japanese, single spaces between them) are
rewritten: digits, punctuation, spaces and every other character are kept, as a translation
keeps numbers. A kept character that the script's code itself writes (Han in a Chinese
source translated into Japanese, say) is escaped with :data:`ESCAPE` (an invisible
separator, which no real source contains) so that decoding cannot mistake it for a code.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

# Prefixes a kept character that is also one the code writes (and ESCAPE itself).
ESCAPE = "\u2063"

_LOWER = "abcdefghijklmnopqrstuvwxyz"
_LETTERS = _LOWER + _LOWER.upper()

# Typical length of a translation from English, in characters, per script of the target
# (planning figures of software localization: Chinese about half as long, Japanese two
# thirds, Korean, which keeps its spaces, 60%; Russian and Hindi 15% longer, Arabic 20%,
# Greek 10%). The letter codes add fillers to reach it; the pair codes reach it by how many
# symbols one unit holds (Japanese: every third unit is two kana).
LENGTH_RATIOS: dict[str, float] = {
    "Han": 0.5, "Hant": 0.5, "Japanese": 0.67, "Hangul": 0.6, "Cyrillic": 1.15, "Greek": 1.1,
    "Arabic": 1.2, "Hebrew": 1.0, "Devanagari": 1.15, "Thai": 1.0,
}


class ScriptCode:
    """Writes ASCII letters in one script and reads them back; keeps everything else."""

    name: str
    _inverse: dict[str, str]      # written unit -> the source text it stands for
    _fillers: frozenset[str]      # dropped when reading back
    _reserved: frozenset[str]     # characters the code writes: escaped when kept from the source
    _run_re: re.Pattern[str]      # the source text one unit sequence encodes
    _reserved_re: re.Pattern[str] | None = None

    def encoder(self) -> Callable[[str], str]:
        """A function that writes successive chunks of one piece of text (fillers are
        spread over the whole piece, so the function keeps a count between chunks)."""
        state = [0]

        def encode(text: str) -> str:
            return self._run_re.sub(lambda m: self._encode_run(m.group(0), state), self._escape(text))

        return encode

    def _escape(self, text: str) -> str:
        if self._reserved_re is None:
            chars = "".join(sorted(self._reserved))
            self._reserved_re = re.compile(f"[{re.escape(chars)}]")
        return self._reserved_re.sub(lambda m: ESCAPE + m.group(0), text)

    def _encode_run(self, run: str, state: list[int]) -> str:
        raise NotImplementedError

    def decode(self, text: str) -> str:
        """The source of :meth:`encoder`'s output (anything not written by the code, such as
        a glossary term or a cut-off half of a unit, is kept as it is)."""
        out: list[str] = []
        i, n, inverse = 0, len(text), self._inverse
        while i < n:
            c = text[i]
            if c == ESCAPE and i + 1 < n:
                out.append(text[i + 1])
                i += 2
            elif text[i : i + 2] in inverse:
                out.append(inverse[text[i : i + 2]])
                i += 2
            elif c in inverse:
                out.append(inverse[c])
                i += 1
            else:
                if c not in self._fillers:
                    out.append(c)
                i += 1
        return "".join(out)


class PairCode(ScriptCode):
    """Two source symbols per written unit; ``units`` holds ``n*n`` pair units then ``n``
    units for a last single symbol, where ``n`` is the number of symbols."""

    def __init__(self, name: str, symbols: str, units: list[str]):
        n = len(symbols)
        assert len(units) >= n * n + n and len(set(units)) == len(units)
        self.name = name
        self._encode: dict[str, str] = {}
        for i, a in enumerate(symbols):
            self._encode[a] = units[n * n + i]
            for j, b in enumerate(symbols):
                self._encode[a + b] = units[i * n + j]
        self._inverse = {u: s for s, u in self._encode.items()}
        self._fillers = frozenset()
        self._reserved = frozenset("".join(self._inverse)) | {ESCAPE}
        # A space is a symbol only between two words: the text's other spaces are kept.
        self._run_re = re.compile("[A-Za-z]+(?: [A-Za-z]+)*" if " " in symbols else "[A-Za-z]+")
        self._pairs_re = re.compile("..?", re.DOTALL)

    def _encode_run(self, run: str, state: list[int]) -> str:
        return "".join(self._encode[p] for p in self._pairs_re.findall(run))


class LetterCode(ScriptCode):
    """One unit per ASCII letter, plus a filler at the end of a word for every so many letters."""

    def __init__(self, name: str, units: dict[str, str], fillers: str, ratio: float):
        assert sorted(units) == sorted(_LETTERS) and len(set(units.values())) == len(units)
        assert not set(fillers) & set("".join(units.values()))
        self.name = name
        self._table = str.maketrans(units)
        self._inverse = {u: s for s, u in units.items()}
        self._fillers = frozenset(fillers)
        self._filler_list = fillers
        self._reserved = frozenset("".join(units.values())) | self._fillers | {ESCAPE}
        self._run_re = re.compile("[A-Za-z]+")
        # Integer hundredths, so the filler positions never depend on float rounding.
        self._extra = max(0, round(ratio * 100) - 100) if fillers else 0

    def _encode_run(self, run: str, state: list[int]) -> str:
        written = run.translate(self._table)
        if not self._extra:
            return written
        # The fillers due by the end of this word (one per 100/extra letters of the piece so
        # far) end it, as an inflection would.
        before, state[0] = state[0], state[0] + len(run)
        due = range(before * self._extra // 100, state[0] * self._extra // 100)
        return written + "".join(self._filler_list[i % len(self._filler_list)] for i in due)


class LatinCode(ScriptCode):
    """Classic pseudo-localization: each ASCII letter swapped with an accented look-alike.

    The table is an involution (``a`` <-> ``á``), so decoding is the same swap and the round
    trip is exact for any input, including input that already holds those accented letters;
    nothing needs escaping."""

    PLAIN = _LETTERS
    # One precomposed code point each (stable under NFC), none of them ASCII.
    ACCENTED = "áƀçðéƒĝĥíĵķļɱñöþǫŕšţüṽŵẋýžÅƁÇÐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ"

    def __init__(self) -> None:
        assert len(self.PLAIN) == len(self.ACCENTED) == len(set(self.ACCENTED))
        self.name = "Latin"
        self.swap = {ord(p): a for p, a in zip(self.PLAIN, self.ACCENTED)} | {
            ord(a): p for p, a in zip(self.PLAIN, self.ACCENTED)}

    def encoder(self) -> Callable[[str], str]:
        return lambda text: text.translate(self.swap)

    def decode(self, text: str) -> str:
        return text.translate(self.swap)


LATIN = LatinCode()


@dataclass(frozen=True)
class _Alphabet:
    """Lower-case letters for a..z, capitals (or a mark written after a letter), fillers."""

    lower: str
    upper: str | None      # None: capitals are the lower-case unit followed by ``mark``
    mark: str
    fillers: str

    def units(self) -> dict[str, str]:
        assert len(self.lower) == 26
        units = dict(zip(_LOWER, self.lower))
        if self.upper is not None:
            assert len(self.upper) == 26
            units |= dict(zip(_LOWER.upper(), self.upper))
        else:
            units |= {c.upper(): u + self.mark for c, u in zip(_LOWER, self.lower)}
        return units


_CYRILLIC = _Alphabet("абцдефгхийклмнопщрстувшжыз", "АБЦДЕФГХИЙКЛМНОПЩРСТУВШЖЫЗ", "", "ьяюэ")
_GREEK = _Alphabet("αβψδεφγηιύκλμνοπθρστυόωξίζ", "ΑΒΨΔΕΦΓΗΙΎΚΛΜΝΟΠΘΡΣΤΥΌΩΞΊΖ", "", "άέήώ")
_ARABIC = _Alphabet("ابثدعفغهيجكلمنوطقرستضظشخصز", "آپچذئڤگحإژکىأؤءیٹڈڑںےھۃڭۇۋ", "", "ةۆ")
# Hebrew has no capitals: a capital is its letter followed by a geresh.
_HEBREW = _Alphabet("אבצדעפגהיחכלמנוףקרסתטךשץםז", None, "׳", "ן")
# Devanagari: vowels become independent vowels, consonants consonants; a capital consonant
# takes the sign ा (never the pre-base sign ि, which a text extractor may put first).
_DEVANAGARI_LOWER = "अबचदएफगहइजकलमनओपङरसतउभवखयझ"
_DEVANAGARI_FILLERS = "टणष"
_THAI = _Alphabet("อบคดฎฟกหญจขลมนฉปฆรสทฤวฝษยซ", None, "า", "")


def _devanagari_units() -> dict[str, str]:
    vowels = {"अ": "आ", "ए": "ऐ", "इ": "ई", "ओ": "औ", "उ": "ऊ"}
    units = dict(zip(_LOWER, _DEVANAGARI_LOWER))
    units |= {c.upper(): vowels.get(u, u + "ा") for c, u in zip(_LOWER, _DEVANAGARI_LOWER)}
    return units


def _decoded(codec: str, leads: range, trails: list[int]) -> list[str]:
    """The characters of a double-byte legacy charset, in its order (its most common first)."""
    chars: list[str] = []
    for lead in leads:
        for trail in trails:
            try:
                chars.append(bytes([lead, trail]).decode(codec))
            except UnicodeDecodeError:
                continue
    return chars


def _han_simplified() -> list[str]:
    return _decoded("gb2312", range(0xB0, 0xD8), list(range(0xA1, 0xFF)))      # GB2312 level 1


def _han_traditional() -> list[str]:
    return _decoded("big5", range(0xA4, 0xC7), list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)))  # Big5 level 1


def _japanese(count: int) -> list[str]:
    """Kanji of JIS X 0208 level 1 and, for every third unit, a pair of kana."""
    kanji = _decoded("euc_jp", range(0xB0, 0xD0), list(range(0xA1, 0xFF)))
    kana = [chr(c) for c in range(0x3041, 0x3094)] + [chr(c) for c in range(0x30A1, 0x30F4)]
    units: list[str] = []
    next_kanji = next_pair = 0
    for v in range(count):
        if v % 3 == 2:
            # (j mod k, (j div k * 53 + 7j + 11) mod k) is one-to-one for j < k*k (53 and k are
            # coprime): distinct pairs, rarely a kana twice.
            j, k = next_pair, len(kana)
            units.append(kana[j % k] + kana[(j // k * 53 + 7 * j + 11) % k])
            next_pair += 1
        else:
            units.append(kanji[next_kanji])
            next_kanji += 1
    return units


def _hangul(count: int) -> list[str]:
    """Syllables of 19 initials, 21 vowels and no final or one of the seven common ones."""
    finals = (0, 1, 4, 8, 16, 17, 19, 21)
    units = []
    for v in range(count):
        f, m, i = finals[v % 8], v // 8 % 21, v // 168 % 19
        units.append(chr(0xAC00 + (i * 21 + m) * 28 + f))
    return units


_SPACED, _UNSPACED = _LETTERS, _LETTERS + " "


@lru_cache(maxsize=None)
def _code(script: str) -> ScriptCode:
    n = len(_UNSPACED)
    if script == "Han":
        return PairCode(script, _UNSPACED, _han_simplified())
    if script == "Hant":
        return PairCode(script, _UNSPACED, _han_traditional())
    if script == "Japanese":
        return PairCode(script, _UNSPACED, _japanese(n * n + n))
    if script == "Hangul":
        return PairCode(script, _SPACED, _hangul(len(_SPACED) ** 2 + len(_SPACED)))
    if script == "Devanagari":
        return LetterCode(script, _devanagari_units(), _DEVANAGARI_FILLERS, LENGTH_RATIOS[script])
    alphabet = {"Cyrillic": _CYRILLIC, "Greek": _GREEK, "Arabic": _ARABIC, "Hebrew": _HEBREW, "Thai": _THAI}[script]
    return LetterCode(script, alphabet.units(), alphabet.fillers, LENGTH_RATIOS[script])


# Language code -> script of its pseudo text (codes not listed: LATIN).
SCRIPT_OF: dict[str, str] = {
    "zh": "Han", "zh_tw": "Hant", "yue": "Hant", "ja": "Japanese", "ko": "Hangul",
    "ru": "Cyrillic", "uk": "Cyrillic", "be": "Cyrillic", "bg": "Cyrillic", "sr": "Cyrillic", "mk": "Cyrillic",
    "kk": "Cyrillic", "el": "Greek", "he": "Hebrew", "th": "Thai",
    "hi": "Devanagari", "mr": "Devanagari", "ne": "Devanagari", "mai": "Devanagari",
    **dict.fromkeys(("ar", "fa", "ur", "sd", "arz", "acm", "ary", "ars", "apc", "ajp", "acq", "aeb"), "Arabic"),
}


def code_for(lang_code: str) -> ScriptCode:
    """The code that writes pseudo text for a language code (:data:`LATIN` by default)."""
    script = SCRIPT_OF.get(lang_code)
    return _code(script) if script else LATIN
