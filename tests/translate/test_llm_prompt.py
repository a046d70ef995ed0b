"""The system prompt of engine llm: what it says, and that the emulator can read it back."""
from __future__ import annotations

from pipeline.translate.backend import TermPair, TranslationRequest
from pipeline.translate.llm_prompt import (AUTO_SOURCE, PACK_RULE, TAG_RULE, messages, read_system_prompt,
                                           system_prompt)
from pipeline.translate.packing import pack


def request(text: str, **kw) -> TranslationRequest:
    return TranslationRequest(text=text, model="llama3", source_lang=kw.pop("source", "English"),
                              target_lang="Japanese", **kw)


def test_the_segment_alone_is_the_user_message_framed_by_markers():
    msgs = messages(request("Open the <g1>Settings</g1> page."))
    assert [m["role"] for m in msgs] == ["system", "user"]
    assert msgs[1]["content"] == "⟦§1⟧ Open the <g1>Settings</g1> page.\n\n⟦§2⟧"
    assert "Settings" not in msgs[0]["content"]


def test_languages_domain_glossary_and_examples_round_trip():
    terms = (TermPair("Acme Sync", "アクメシンク"), TermPair('say "hi" → now', "「やあ」\n今"))
    tm = (TermPair("Open the folder.", "フォルダーを開きます。"),)
    text = system_prompt(request("Acme Sync opens.", terms=terms, tm_list=tm, domains="User\n  manuals."))
    fields = read_system_prompt(text)
    assert (fields.source_lang, fields.target_lang, fields.domains) == ("English", "Japanese", "User manuals.")
    assert fields.terms == list(terms) and fields.examples == list(tm)
    assert not fields.tag_rule and fields.pack_rule     # no tags: no tag rule to pay for; every message is framed


def test_auto_source_and_the_rules_appear_when_needed():
    packed = pack(["Click <x1/> here.", "Second one."])
    text = system_prompt(request(packed, source="auto"))
    fields = read_system_prompt(text)
    assert fields.source_lang == AUTO_SOURCE
    assert fields.tag_rule and fields.pack_rule
    assert TAG_RULE in text and PACK_RULE in text and "⟦§1⟧" in PACK_RULE


def test_what_every_request_says_comes_before_what_its_text_needs():
    """A server that keeps its last prompt (llama.cpp) processes again only from the first
    token that differs: a text with tags after one without costs the tag rule alone."""
    plain, tagged = system_prompt(request("Open it.")), system_prompt(request("Open <g1>it</g1>."))
    assert tagged == f"{plain}\n{TAG_RULE}" and plain.endswith(PACK_RULE)


def test_a_malformed_entry_line_is_named():
    bad = system_prompt(request("x", terms=(TermPair("a", "b"),))).replace('"a" → "b"', '"a" -> "b"')
    try:
        read_system_prompt(bad)
    except ValueError as exc:
        assert "malformed glossary" in str(exc)
    else:
        raise AssertionError("a malformed glossary line must be refused")


# --- unframing an answer ---------------------------------------------------------------------


def test_a_whole_frame_drops_everything_outside_it():
    from pipeline.translate.llm_prompt import frame, unframe

    single, packed = "  Hello world.\n", pack(["First.", "Second one."])
    assert frame(single) == "⟦§1⟧ Hello world.\n\n⟦§2⟧" and frame(packed) == packed + "\n\n⟦§3⟧"
    chatty = 'Sure! Here is the French translation:\n\n```\n⟦§1⟧ Bonjour.\n\n⟦§2⟧\n```\n\nLet me know!'
    assert unframe(chatty, single) == "  Bonjour.\n"          # the source's outer white space back
    assert unframe('"⟦§1⟧ Un.\n\n⟦§2⟧ Deux.\n\n⟦§3⟧"', packed) == "⟦§1⟧ Un.\n\n⟦§2⟧ Deux."


def test_a_frame_written_back_in_cjk_brackets_is_the_frame():
    """Qwen2.5-Coder answering in Chinese wrote the frame as 【§1】…【§2】 (issue 28): read as
    the markers, not refused as text after the translation with no counterpart."""
    from pipeline.translate.llm_prompt import unframe

    single, packed = "Open the folder.", pack(["First.", "Second one."])
    assert unframe("【§1】 打开文件夹。\n\n【§2】", single) == "打开文件夹。"
    assert unframe("【§1】一。\n\n【§2】二。\n\n【§3】", packed) == "⟦§1⟧一。\n\n⟦§2⟧二。"
    # A source that holds such text itself: the brackets are text, the frame as sent.
    assert unframe("⟦§1⟧ 见【§2】。\n\n⟦§2⟧", "See 【§2】.") == "见【§2】。"


def test_an_answer_without_its_whole_frame_is_taken_only_without_chatter():
    import pytest

    from pipeline.translate.llm_prompt import unframe

    single, packed = "Hello world.", pack(["First.", "Second one."])
    assert unframe("Bonjour le monde.", single) == "Bonjour le monde."      # frame ignored, no chatter
    assert unframe("⟦§1⟧ Un.\n\n⟦§2⟧ Deux.", packed) == "⟦§1⟧ Un.\n\n⟦§2⟧ Deux."   # closing marker forgotten
    assert unframe("Voici :\n⟦§1⟧ Un.\n\n⟦§2⟧ Deux.", packed) == "⟦§1⟧ Un.\n\n⟦§2⟧ Deux."  # head: before ⟦§1⟧
    for answer, text, words in [
        ("Here is the translation:\nBonjour.", single, "a preamble"),
        ('"Bonjour le monde."', single, "quotes"),
        ("```\nBonjour le monde.\n```", single, "code fence"),
        ("Bonjour le monde.\n\nLet me know if you need anything else!", single, "no counterpart"),
        ("⟦§1⟧ Un.\n\n⟦§2⟧ Deux.\n\nHope this helps!", packed, "no counterpart"),
    ]:
        with pytest.raises(ValueError, match=words):
            unframe(answer, text)
    # Quotes the source has too are the translation's own (their style may change).
    assert unframe("« Bonjour. »", '"Hello."') == "« Bonjour. »"
