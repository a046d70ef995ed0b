"""Numbers as values, in the language they are written in: what the ``numbers`` check compares.

A translation may write a number differently and still say the same thing: "1.2 million"
is "120 万" in Chinese, "1,2 Millionen" in German and "١٫٢ مليون" in Arabic; "Q2" is
"第二季度", "twice" is "2 倍", "6 p.m." is "18 Uhr", "1 year" is "ein Jahr". So each side of
a segment is read into :class:`Numeral` items, each with the *set* of values it may stand
for, and the two sides are matched as values (:func:`compare`), never as digit strings.

* digits of any script (full-width, Arabic-Indic, Persian, Devanagari ...) are read as
  digits; group and decimal separators are read with the language's own symbols (CLDR,
  through Babel), so "1.500" is 1500 in German and 1.5 in English;
* magnitude words after a number multiply it (million, Millionen, млн, مليون, 万, 亿,
  百万, 만, 억, lakh, crore ...), and Chinese numerals (二, 两, 十二, 一百二十万) are read;
* a number is *required* (digits: it must have a partner on the other side) or
  *optional* (a word such as "twice", "dozen", "first", "January", "zwei", "二": it may
  partner a required number of the other side, but need not be matched itself);
* tags (``<g1>``), placeholders (``{name}``, ``%s``, ``%(x)d``, ``{{x}}``), URLs, e-mail
  addresses and inline code are masked before reading, so their digits are never numbers.

Why value sets rather than one value: a token such as "1,000" may be a thousand or one
with three decimals; the language decides when it can, and otherwise both readings are
kept, which never turns a correct translation into a finding and still catches a changed
number (its values are all different).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from pipeline.segments import PLACEHOLDER_RE, TAG_RE

_URL_RE = re.compile(r"\b(?:https?|ftp)://\S+|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b|`[^`\n]+`")
# A digit run with separators; a space separates groups only before exactly three digits.
_TOKEN_RE = re.compile(r"\d+(?:(?:[.,'’٫٬]|[ \u00a0\u202f\u2009](?=\d{3}(?!\d)))\d+)*")
# A digit outside ASCII (Arabic-Indic, full-width ...: ``\d`` is every decimal digit) or an
# Arabic separator: what :func:`ascii_digits` rewrites.
_OTHER_DIGIT_RE = re.compile(r"[٫٬]|(?![\x00-\x7f])\d")
# Every pattern below that reads digits needs one: a text without is read for words only.
_DIGIT_RE = re.compile(r"\d")
_TIME_RE = re.compile(r"(?<![\d.,])(\d{1,2}):(\d{2})(?::\d{2})?(?![\d.,])")
_PM_RE = re.compile(r"\s*(?:p\.\s?m\.|pm\b|PM\b|P\.M\.|م(?![\u0600-\u06ff]))")
_PM_BEFORE_RE = re.compile(r"(?:오후|下午|午後|晚上)\s*$")  # the afternoon mark before the time
_POWER_RES = (re.compile(r"(\d+)\s*的\s*(\d+)\s*次方"), re.compile(r"(\d+)\s*의\s*(\d+)\s*제곱"),
              re.compile(r"(\d+)\s*\^\s*(\d+)"))
# East Asian clock times (3点30分, 3時30分, 3시 30분) and compound numbers (1億2000万, 3억 5천만).
_CJK_TIME_RE = re.compile(r"(\d{1,2})\s*[点點時时시]\s*(\d{1,2})\s*[分분]")
_EA_UNITS = {"兆": 1e12, "亿": 1e8, "億": 1e8, "万": 1e4, "萬": 1e4, "千": 1e3, "百": 1e2,
             "조": 1e12, "억": 1e8, "만": 1e4, "천": 1e3, "백": 1e2}
_EA_PART = f"\\d+(?:\\.\\d+)?\\s?[{''.join(_EA_UNITS)}]+"
_EA_COMPOUND_RE = re.compile(f"(?:{_EA_PART}\\s?){{2,}}\\d*|{_EA_PART}\\d+(?![\\d.,])")
_EA_LANGS = frozenset({"zh", "ja", "ko"})
_CJK_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6,
               "七": 7, "八": 8, "九": 9}
_CJK_UNITS = {"十": 10, "百": 100, "千": 1000}
_CJK_BIG = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8, "兆": 10**12}
_CJK_RE = re.compile(f"[{''.join(_CJK_DIGITS)}{''.join(_CJK_UNITS)}{''.join(_CJK_BIG)}]+")
_HAN_LANGS = frozenset({"zh", "ja"})

# Magnitude words that may follow a number (longest first when compiled), per language;
# English's are accepted in every target (a translation may keep "5 million").
_MAGNITUDES: dict[str, dict[str, float]] = {
    "en": {"thousand": 1e3, "million": 1e6, "millions": 1e6, "billion": 1e9, "billions": 1e9, "trillion": 1e12,
           "quadrillion": 1e15, "quintillion": 1e18, "sextillion": 1e21, "septillion": 1e24,
           "octillion": 1e27, "nonillion": 1e30, "decillion": 1e33, "googol": 1e100,
           "lakh": 1e5, "lakhs": 1e5, "lac": 1e5, "crore": 1e7, "crores": 1e7, "k": 1e3, "K": 1e3, "M": 1e6,
           "bn": 1e9, "mn": 1e6},
    "zh": {"十": 10, "百": 100, "千": 1e3, "万": 1e4, "萬": 1e4, "十万": 1e5, "百万": 1e6, "千万": 1e7,
           "亿": 1e8, "億": 1e8, "十亿": 1e9, "百亿": 1e10, "千亿": 1e11, "万亿": 1e12, "兆": 1e12},
    "ko": {"천": 1e3, "만": 1e4, "십만": 1e5, "백만": 1e6, "천만": 1e7, "억": 1e8, "십억": 1e9, "조": 1e12},
    "de": {"Tausend": 1e3, "Tsd.": 1e3, "Mio.": 1e6, "Million": 1e6, "Millionen": 1e6, "Mrd.": 1e9,
           "Milliarde": 1e9, "Milliarden": 1e9, "Billion": 1e12, "Billionen": 1e12},
    "fr": {"mille": 1e3, "million": 1e6, "millions": 1e6, "milliard": 1e9, "milliards": 1e9, "Md": 1e9,
           "billion": 1e12, "billions": 1e12},
    "es": {"mil": 1e3, "millón": 1e6, "millones": 1e6, "mil millones": 1e9, "millardo": 1e9, "millardos": 1e9,
           "billón": 1e12, "billones": 1e12},
    "ru": {"тыс.": 1e3, "тысяча": 1e3, "тысячи": 1e3, "тысяч": 1e3, "млн": 1e6, "миллион": 1e6,
           "миллиона": 1e6, "миллионов": 1e6, "млрд": 1e9, "миллиард": 1e9, "миллиарда": 1e9,
           "миллиардов": 1e9, "трлн": 1e12, "триллион": 1e12, "триллиона": 1e12, "триллионов": 1e12},
    "hi": {"हज़ार": 1e3, "हजार": 1e3, "लाख": 1e5, "करोड़": 1e7, "करोड": 1e7, "अरब": 1e9},
    "ar": {"ألف": 1e3, "آلاف": 1e3, "مليون": 1e6, "ملايين": 1e6, "مليار": 1e9, "مليارات": 1e9,
           "بليون": 1e9, "تريليون": 1e12},
}
_MAGNITUDES["ja"] = {**_MAGNITUDES["zh"], "億": 1e8}

# Words that stand for a number: optional partners of the other side's digits.
_WORDS: dict[str, dict[str, float]] = {
    "en": {w: i for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split())} | {
        "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
        "hundred": 100, "once": 1, "single": 1, "twice": 2, "double": 2, "pair": 2, "both": 2, "thrice": 3,
        "triple": 3, "dozen": 12, "dozens": 12, "half": 0.5, "quarter": 0.25, "decimal": 10, "hexadecimal": 16,
        "octal": 8, "binary": 2, "no": 0, "none": 0, "noon": 12, "midnight": 0, "a": 1, "an": 1} | {
        w: i for i, w in enumerate(
            "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split())},
    "de": {w: i for i, w in enumerate("null eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf".split())}
    | {"ein": 1, "eine": 1, "einen": 1, "einem": 1, "einer": 1, "zweimal": 2, "doppelt": 2, "Dutzend": 12,
       "kein": 0, "keine": 0, "keinen": 0, "halb": 0.5, "Mittag": 12, "Mitternacht": 0, "erste": 1, "ersten": 1,
       "zweite": 2, "zweiten": 2, "dritte": 3, "dritten": 3, "beide": 2, "beiden": 2, "hundert": 100},
    "fr": {w: i for i, w in enumerate("zéro un deux trois quatre cinq six sept huit neuf dix onze douze".split())}
    | {"une": 1, "deux fois": 2, "double": 2, "douzaine": 12, "aucun": 0, "aucune": 0, "demi": 0.5,
       "midi": 12, "minuit": 0, "premier": 1, "première": 1, "deuxième": 2, "second": 2, "seconde": 2,
       "troisième": 3, "cent": 100, "décimal": 10, "décimale": 10},
    "es": {w: i for i, w in enumerate("cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce".split())}
    | {"un": 1, "una": 1, "dos veces": 2, "doble": 2, "docena": 12, "ningún": 0, "ninguno": 0, "ninguna": 0,
       "medio": 0.5, "media": 0.5, "mediodía": 12, "medianoche": 0, "primer": 1, "primero": 1, "primera": 1,
       "segundo": 2, "segunda": 2, "tercero": 3, "tercera": 3, "cien": 100, "ambos": 2, "ambas": 2},
    "ru": {w: i for i, w in enumerate(
        "ноль один два три четыре пять шесть семь восемь девять десять одиннадцать двенадцать".split())}
    | {"одна": 1, "одно": 1, "одного": 1, "одной": 1, "две": 2, "дважды": 2, "двойной": 2, "дюжина": 12,
       "ни одного": 0, "ни один": 0, "нуля": 0, "половина": 0.5, "полдень": 12, "полночь": 0, "первый": 1,
       "первая": 1, "первое": 1, "второй": 2, "вторая": 2, "третий": 3, "оба": 2, "обе": 2, "сто": 100,
       "десятичное": 10, "десятичным": 10},
    "ar": {"صفر": 0, "واحد": 1, "واحدة": 1, "اثنان": 2, "اثنين": 2, "اثنتان": 2, "ثلاثة": 3, "ثلاث": 3,
           "أربعة": 4, "أربع": 4, "خمسة": 5, "خمس": 5, "ستة": 6, "ست": 6, "سبعة": 7, "سبع": 7, "ثمانية": 8,
           "ثماني": 8, "تسعة": 9, "تسع": 9, "عشرة": 10, "عشر": 10, "مرتين": 2, "مرتان": 2, "ضعف": 2,
           "دزينة": 12, "لا شيء": 0, "أول": 1, "الأول": 1, "الأولى": 1, "ثاني": 2, "الثاني": 2, "الثانية": 2,
           "ثالث": 3, "الثالث": 3, "مئة": 100, "مائة": 100, "نصف": 0.5, "عشري": 10, "العشري": 10,
           "السبعة": 7, "الثلاثة": 3, "الخمسة": 5, "العشرة": 10},
    "ko": {"하나": 1, "한 ": 1, "둘": 2, "두 ": 2, "셋": 3, "세 ": 3, "넷": 4, "네 ": 4, "다섯": 5, "여섯": 6,
           "일곱": 7, "여덟": 8, "아홉": 9, "열": 10, "스물": 20, "아무것도": 0, "하나도": 0, "영": 0,
           "첫": 1, "첫째": 1, "첫번째": 1, "두번째": 2, "세번째": 3, "십진수": 10, "정오": 12, "자정": 0},
    "ja": {"ひとつ": 1, "ふたつ": 2, "みっつ": 3, "ひとつも": 0, "何も": 0, "ゼロ": 0, "正午": 12, "午前0時": 0,
           "ダース": 12, "半": 0.5},
    "zh": {"没有": 0, "无": 0, "双": 2, "打": 12, "半": 0.5, "中午": 12, "正午": 12, "午夜": 0,
           "首": 1, "单": 1},
}
_MONTHS = ("january february march april may june july august september october november december").split()


@dataclass(frozen=True)
class Numeral:
    """One number as written: the values it may stand for, and whether it must be matched."""

    text: str
    start: int
    end: int
    values: frozenset[float]
    required: bool = True


def base_lang(code: str) -> str:
    return code.split("-")[0].split("_")[0].lower()


@lru_cache(maxsize=64)
def _symbols(lang: str) -> tuple[str, str]:
    """(decimal symbol, group symbol) of ``lang`` from CLDR; English's for a language CLDR lacks."""
    from babel import Locale, UnknownLocaleError
    from babel.numbers import get_decimal_symbol, get_group_symbol

    try:
        locale = Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        return ".", ","
    return get_decimal_symbol(locale), get_group_symbol(locale)


@lru_cache(maxsize=64)
def _month_words(lang: str) -> dict[str, float]:
    """Month names and their abbreviations (CLDR, every form and context): January is 1."""
    from babel import Locale, UnknownLocaleError
    from babel.dates import get_month_names

    out: dict[str, float] = {}
    if lang == "en":
        out.update({m: i for i, m in enumerate(_MONTHS, 1)})
    try:
        locale = Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        return out
    for width in ("wide", "abbreviated"):
        for context in ("format", "stand-alone"):
            for number, name in get_month_names(width, context, locale).items():
                name = name.strip(".").lower()
                if len(name) >= 3 and not any(ch.isdigit() for ch in name):  # "1月" is read as digits
                    out[name] = number
    return out


@lru_cache(maxsize=64)
def _word_re(lang: str) -> tuple[re.Pattern[str], dict[str, float]]:
    # A bare magnitude word ("a million", "millions") is a number word too.
    bare = {k: v for k, v in {**_MAGNITUDES["en"], **_MAGNITUDES.get(lang, {})}.items()
            if len(k) > 2 and not k.endswith(".")}
    words = {k.lower(): v for k, v in {**bare, **_WORDS.get(lang, {}), **_month_words(lang)}.items()}
    if lang != "en":  # a translation may keep an English word (rare, harmless: words are optional)
        words = {**{k.lower(): v for k, v in _WORDS["en"].items() if len(k) > 2}, **words}
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    if lang in _HAN_LANGS:  # no spaces between words: only the word itself bounds it
        pattern = re.compile(f"(?:{alternatives})")
    elif lang == "ko":  # words start after a space; particles follow them
        pattern = re.compile(f"(?<![가-힣])(?:{alternatives})")
    else:
        # The first letters first: most positions fail there, not in each of ~200 words.
        firsts = "".join(sorted({re.escape(w[0]) for w in words}))
        pattern = re.compile(f"(?=[{firsts}])(?<![^\\W\\d_])(?:{alternatives})(?![^\\W\\d_])", re.IGNORECASE)
    return pattern, words


@lru_cache(maxsize=64)
def _magnitude_re(lang: str) -> tuple[re.Pattern[str], dict[str, float]]:
    table = {**_MAGNITUDES["en"], **_MAGNITUDES.get(lang, {})}
    alternatives = "|".join(re.escape(w) for w in sorted(table, key=len, reverse=True))
    # After the number, a space at most; a Latin word ends at a non-letter.
    return re.compile(f"[ \u00a0\u202f]?({alternatives})(?![A-Za-zА-Яа-яÀ-ÿ])"), table


def mask(text: str) -> str:
    """``text`` with tags, placeholders, URLs, e-mail addresses and inline code blanked
    out (same length, so offsets still point into the original)."""
    for pattern in (TAG_RE, _URL_RE, PLACEHOLDER_RE):
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text


def ascii_digits(text: str) -> str:
    """Digits of every script as ASCII digits, Arabic separators as "." and ","; same length."""
    if text.isascii():  # most text: nothing to change (both separators are outside ASCII)
        return text
    return _OTHER_DIGIT_RE.sub(_ascii_digit, text)


def _ascii_digit(m: re.Match[str]) -> str:
    ch = m.group(0)
    if ch == "٫":
        return "."
    if ch == "٬":
        return ","
    value = unicodedata.decimal(ch, None)  # what ``\d`` matches: a decimal digit, so never None
    return ch if value is None else str(value)


def _readings(token: str, langs: tuple[str, ...]) -> list[float] | None:
    """The values a digit token may have (None: not one number, e.g. a date 05.01.2024)."""
    seps = [ch for ch in token if not ch.isdigit()]
    if not seps:
        return [float(token)]
    parts = re.split(r"[^\d]", token)
    readings: list[tuple[str, float]] = []  # (decimal symbol used, value)
    # All separators group marks: groups of three (or Indian 2-2-3 before the last three).
    if len(set(seps)) == 1 and _grouped(parts):
        readings.append(("", float("".join(parts))))
    # The last separator a decimal mark, the others group marks of another symbol.
    last = seps[-1]
    if last not in " \u00a0\u202f\u2009'’" and all(s != last for s in seps[:-1]) and \
            (len(parts) == 2 or _grouped(parts[:-1])):
        readings.append((last, float("".join(parts[:-1]) + "." + parts[-1])))
    if not readings:
        return None
    if len(readings) > 1:  # ambiguous ("1.500"): the languages' own symbols decide
        chosen = {v for d, v in readings for lang in langs if _conventional(d, seps[0], lang)}
        if chosen:
            return sorted(chosen)
    return [v for _, v in readings]


def _conventional(decimal_used: str, first_sep: str, lang: str) -> bool:
    """Whether a reading uses ``lang``'s symbols: its decimal mark, or (no decimal mark)
    its group separator (any space for the languages that group with a space)."""
    decimal, group = _symbols(lang)
    if decimal_used:
        return decimal_used == decimal
    return first_sep == group or (group.isspace() and first_sep.isspace())


def _grouped(parts: list[str]) -> bool:
    if len(parts) < 2 or not 1 <= len(parts[0]) <= 3 or len(parts[-1]) != 3:
        return False
    middle = parts[1:-1]
    return all(len(p) == 3 for p in middle) or all(len(p) == 2 for p in middle)  # 1,00,000 (lakh)


def cjk_value(text: str) -> float | None:
    """The value of a Chinese numeral (十二 12, 两万 20000, 一千零五 1005, 一百二十万 1200000);
    None for what is not one numeral (一二: digits in a row)."""
    total, section, number, pending, biggest = 0, 0, 0, False, 0
    for ch in text:
        if ch in _CJK_DIGITS:
            if pending and number != 0:
                return None
            number, pending = _CJK_DIGITS[ch], True
        elif ch in _CJK_UNITS:
            section += (number if pending else 1) * _CJK_UNITS[ch]
            number, pending = 0, False
        else:  # 万 亿 兆: everything before is counted in them
            big = _CJK_BIG[ch]
            section += number
            if big > biggest:  # 一万亿: the 万 counts in 亿
                total = (total + section) * big if total + section else big
            else:               # 三亿五千万: a lower section
                total += (section or 1) * big
            biggest, section, number, pending = max(biggest, big), 0, 0, False
    return float(total + section + number)


def numerals(text: str, lang: str, also: str = "") -> list[Numeral]:
    """The numbers of ``text`` (plain or tagged) written in language ``lang``; ``also``:
    another language whose separators an ambiguous number may follow (a translation that
    kept the source's "1,000" is still a thousand)."""
    return list(_numerals(text, lang, also))


# Read once per text: a segment's source is compared with each of its target languages.
@lru_cache(maxsize=4096)
def _numerals(text: str, lang: str, also: str) -> tuple[Numeral, ...]:
    lang = base_lang(lang)
    conventions = (lang, base_lang(also)) if also else (lang,)
    written, text = text, ascii_digits(mask(text))  # same length: offsets point into both
    out: list[Numeral] = []
    taken = [False] * len(text)

    def add(start: int, end: int, values: set[float], required: bool = True) -> None:
        out.append(Numeral(written[start:end], start, end, frozenset(_round(v) for v in values), required))
        for i in range(start, end):
            taken[i] = True

    if _DIGIT_RE.search(text):  # every reading of digits needs one (most prose has none)
        _read_digits(text, lang, conventions, taken, add)
    if lang in _HAN_LANGS:
        for m in _CJK_RE.finditer(text):
            if any(taken[m.start():m.end()]):
                continue
            value = cjk_value(m.group(0))
            if value is not None:
                add(m.start(), m.end(), {value}, required=False)
    word_re, words = _word_re(lang)
    for m in word_re.finditer(text):
        if not any(taken[m.start():m.end()]):
            add(m.start(), m.end(), {words[m.group(0).lower()]}, required=False)
    out.sort(key=lambda n: n.start)
    return tuple(out)


def _read_digits(text: str, lang: str, conventions: tuple[str, ...], taken: list[bool],
                 add: Callable[..., None]) -> None:
    """The numbers written with digits (``text``: masked, digits in ASCII), given to ``add``
    (start, end, values); ``taken`` marks the characters already read as a number."""
    for pattern in _POWER_RES:  # 1000的5次方, 10의 21제곱, 10^21: one number
        for m in pattern.finditer(text):
            base, exponent = int(m.group(1)), int(m.group(2))
            if exponent <= 400 and not any(taken[m.start():m.end()]):
                add(m.start(), m.end(), {float(base) ** exponent if base < 10**6 else 0.0})
    if lang in _EA_LANGS:
        for m in _EA_COMPOUND_RE.finditer(text):  # 1億2000万 is one number
            add(m.start(), m.end(), {_ea_value(m.group(0))})
        for m in _CJK_TIME_RE.finditer(text):
            if not any(taken[m.start():m.end()]):
                hours = int(m.group(1)) + int(m.group(2)) / 60
                pm = _PM_BEFORE_RE.search(text, 0, m.start()) and hours < 12
                add(m.start(), m.end(), {hours, hours + 12} if pm else {hours})
    for m in _TIME_RE.finditer(text):  # 6:00, 18:30
        if any(taken[m.start():m.end()]):
            continue
        hours = int(m.group(1)) + int(m.group(2)) / 60
        values = {hours}
        if (_PM_RE.match(text, m.end()) or _PM_BEFORE_RE.search(text, 0, m.start())) and hours < 12:
            values.add(hours + 12)
        add(m.start(), m.end(), values)
    magnitude_re, magnitudes = _magnitude_re(lang)
    for m in _TOKEN_RE.finditer(text):
        if any(taken[m.start():m.end()]):
            continue
        readings = _readings(m.group(0), conventions)
        if readings is None:  # a date or a version: each digit run is a number
            for part in re.finditer(r"\d+", m.group(0)):
                add(m.start() + part.start(), m.start() + part.end(), {float(part.group(0))})
            continue
        values, end = set(readings), m.end()
        if (mag := magnitude_re.match(text, end)) is not None:
            values |= {v * magnitudes[mag.group(1)] for v in readings}
            end = mag.end()
        if _PM_RE.match(text, end) is not None or _PM_BEFORE_RE.search(text, 0, m.start()):
            values |= {v + 12 for v in readings if v < 12}
        add(m.start(), end, values)


def _ea_value(text: str) -> float:
    """1億2000万 -> 120000000, 3억 5천만 -> 350000000, 1万2345 -> 12345."""
    total = 0.0
    for number, units in re.findall(f"(\\d+(?:\\.\\d+)?)\\s?([{''.join(_EA_UNITS)}]*)", text):
        value = float(number)
        for unit in units:
            value *= _EA_UNITS[unit]
        total += value
    return total


def _round(value: float) -> float:
    return float(f"{value:.9g}")


def _match(left: list[Numeral], right: list[Numeral], pairs: list[tuple[int, int]]) -> dict[int, int]:
    """A maximum matching over ``pairs`` (left index, right index) by augmenting paths."""
    edges: dict[int, list[int]] = {}
    for i, j in pairs:
        edges.setdefault(i, []).append(j)
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges.get(i, []):
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in sorted(edges):
        augment(i, set())
    return {i: j for j, i in owner.items()}


def compare(source: list[Numeral], target: list[Numeral]) -> tuple[list[Numeral], list[Numeral]]:
    """(source numbers the target lacks, target numbers the source lacks): required ones
    only, after matching values one to one, digits with digits first, then with words."""
    both = [(i, j) for i, s in enumerate(source) for j, t in enumerate(target)
            if s.required and t.required and s.values & t.values]
    matched = _match(source, target, both)
    used_s, used_t = set(matched), set(matched.values())
    # Then a required number left over may pair with a word of the other side.
    rest = [(i, j) for i, s in enumerate(source) for j, t in enumerate(target)
            if i not in used_s and j not in used_t and (s.required != t.required) and s.values & t.values]
    for i, j in sorted(rest, key=lambda p: (not source[p[0]].required, p)):
        if i not in used_s and j not in used_t:
            used_s.add(i)
            used_t.add(j)
    missing = [s for i, s in enumerate(source) if s.required and i not in used_s and not _lone_one(s)]
    extra = [t for j, t in enumerate(target) if t.required and j not in used_t]
    return missing, extra


def _lone_one(numeral: Numeral) -> bool:
    """A bare "1" in the source: languages say "1 year" as "a year", "ein Jahr", "سنة" (a
    singular noun), so its absence is no finding; a different number in its place still is."""
    return numeral.text.strip() == "1"
