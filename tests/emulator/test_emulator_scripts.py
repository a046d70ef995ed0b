"""Pseudo text in the target's script: counted by Unicode script, as long as the language
typically is, and still read back exactly (pipeline/emulator/scripts.py)."""
from __future__ import annotations

from collections import Counter

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.emulator.pseudo import pseudo_translate, reverse_pseudo, script_code
from pipeline.emulator.scripts import ESCAPE, LENGTH_RATIOS, SCRIPT_OF
from pipeline.segments import PLACEHOLDER_RE

PROSE = ("The quick brown fox jumps over the lazy dog. Open the Settings menu and choose Save as to keep "
         "a copy of your report. Our team will review every request within two business days, and "
         "you can follow its progress on the dashboard at any time.")
SCRIPTS = ("Latin", "Han", "Hiragana", "Katakana", "Hangul", "Arabic", "Hebrew", "Cyrillic", "Greek",
           "Devanagari", "Thai")
SCRIPT_RES = {name: regex.compile(rf"\p{{Script={name}}}") for name in SCRIPTS}


def script_counts(text: str) -> Counter[str]:
    """Characters per Unicode script (characters of no listed script, such as spaces,
    digits and punctuation, which are Common, are not counted)."""
    counts: Counter[str] = Counter()
    for char in text:
        for name, pattern in SCRIPT_RES.items():
            if pattern.match(char):
                counts[name] += 1
                break
    return counts


def body(lang: str, text: str = PROSE) -> str:
    return pseudo_translate(text, lang).removeprefix(f"⟦{lang}⟧ ")


@pytest.mark.parametrize("lang, scripts", [
    ("zh", {"Han"}), ("ja", {"Han", "Hiragana", "Katakana"}), ("ko", {"Hangul"}), ("ar", {"Arabic"}),
    ("ru", {"Cyrillic"}), ("hi", {"Devanagari"}), ("he", {"Hebrew"}), ("el", {"Greek"}), ("th", {"Thai"}),
    ("fa", {"Arabic"}), ("zh_tw", {"Han"}), ("de", {"Latin"}),
])
def test_pseudo_text_is_in_the_targets_script(lang: str, scripts: set[str]) -> None:
    counts = script_counts(body(lang))
    assert set(counts) == scripts, counts
    letters = sum(1 for c in PROSE if c.isalpha())
    # Every letter became script characters; none is left in another script.
    assert sum(counts.values()) >= letters * min(LENGTH_RATIOS.get(SCRIPT_OF.get(lang, ""), 1.0), 1.0) * 0.9


def test_japanese_mixes_kana_into_kanji() -> None:
    counts = script_counts(body("ja"))
    kana = counts["Hiragana"] + counts["Katakana"]
    assert counts["Han"] > 0 and counts["Hiragana"] > 0 and counts["Katakana"] > 0
    assert 0.3 < kana / (kana + counts["Han"]) < 0.7, counts


@pytest.mark.parametrize("lang", ["zh", "zh_tw", "ja", "ko", "ru", "el", "ar", "he", "hi", "th"])
def test_length_follows_the_languages_typical_ratio(lang: str) -> None:
    ratio = LENGTH_RATIOS[SCRIPT_OF[lang]]
    measured = len(body(lang)) / len(PROSE)
    assert abs(measured - ratio) <= 0.1, (lang, measured, ratio)


def test_chinese_and_japanese_run_words_together_korean_keeps_spaces() -> None:
    assert " " not in body("zh", "Open the settings menu") and " " not in body("ja", "Open the settings menu")
    assert body("ko", "Open the settings menu").count(" ") == 3
    assert body("ru", "Open the settings menu").count(" ") == 3


def test_numbers_placeholders_tags_and_punctuation_are_kept() -> None:
    src = "Save 1,250.5 MB in {count} files, %1$s or {{user}}: <g1>now</g1>!"
    for lang in ("zh", "ja", "ar", "hi"):
        out = pseudo_translate(src, lang)
        for kept in ("1,250.5", "{count}", "%1$s", "{{user}}", "<g1>", "</g1>", ", ", ": ", "!"):
            assert kept in out, (lang, kept, out)
        rest = PLACEHOLDER_RE.sub("", out.removeprefix(f"⟦{lang}⟧ "))
        assert not regex.search(r"\p{Script=Latin}", rest), out      # "MB" and "Save" were written too


def test_text_already_in_the_script_is_escaped_and_read_back() -> None:
    src = "我看到这个视频 and Привет, друг"
    for lang in ("zh", "ja", "ru"):
        out = pseudo_translate(src, lang)
        assert ESCAPE in out and reverse_pseudo(out, lang) == src
    assert ESCAPE not in pseudo_translate(PROSE, "zh")      # English sources need no escape


def test_each_source_has_its_own_pseudo_text() -> None:
    """Tests recognise which source produced a pseudo text by reading it back."""
    sources = ["Save", "Save as", "save", "Saves", "Sa ve", "Save ", "Open"]
    for lang in ("zh", "ja", "ko", "ar", "ru", "hi"):
        outs = [pseudo_translate(s, lang) for s in sources]
        assert len(set(outs)) == len(sources), lang
        assert [reverse_pseudo(o, lang) for o in outs] == sources


@settings(max_examples=150, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(
    "abcXYZ  .,1<>/{}%$⟦§⟧\n\u2063我看视频罗犊縞患グュぁアン가쎄Прьαάאןبةकाट𝒳"),
    max_size=40), lang=st.sampled_from(sorted(SCRIPT_OF) + ["de", "en"]))
def test_any_text_round_trips(text: str, lang: str) -> None:
    assert reverse_pseudo(pseudo_translate(text, lang), lang) == text


def test_every_code_is_deterministic_across_instances() -> None:
    for lang in ("zh", "ja", "ko", "ar", "ru", "hi"):
        assert script_code(lang).encoder()(PROSE) == script_code(lang).encoder()(PROSE)
