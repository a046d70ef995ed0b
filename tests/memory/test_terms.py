"""Glossary: which terms are sent with a segment, and reading CSV and TBX safely."""
from __future__ import annotations

import pytest

from pipeline.errors import ConfigError
from pipeline.languages import lookup
from pipeline.memory.sources import Entry
from pipeline.memory.terms import Glossary, missing_terms
from pipeline.translate.backend import TermPair

EN, ZH, JA, TH, DE = (lookup(c) for c in ("en", "zh", "ja", "th", "de"))


def sources(terms) -> list[str]:
    return [t.source for t in terms]


def glossary(*pairs: tuple[str, str]) -> Glossary:
    return Glossary([Entry(s, t) for s, t in pairs])


def test_spaced_terms_match_whole_words_in_any_case():
    g = glossary(("sync", "同步"), ("API", "接口"), ("log in", "登录"))
    assert sources(g.relevant("Sync the files, then LOG IN to the api.", EN, ZH)) == ["sync", "log in", "API"]
    assert g.relevant("Synchronize and login via APIs or rapid_sync.", EN, ZH) == ()


def test_tags_are_not_part_of_words():
    g = glossary(("save", "保存"), ("cloud", "云"))
    assert sources(g.relevant("Click <g1>Save</g1> now.", EN, ZH)) == ["save"]
    assert sources(g.relevant("my<x1/>cloud", EN, ZH)) == ["cloud"]


def test_unspaced_source_matches_by_substring():
    g = glossary(("同步", "sync"), ("文件夹", "folder"), ("ซิงค์", "sync"))
    assert sources(g.relevant("请同步这个文件夹。", ZH, EN)) == ["同步", "文件夹"]
    assert sources(g.relevant("กดซิงค์ตอนนี้", TH, EN)) == ["ซิงค์"]


def test_latin_terms_inside_cjk_text_are_found():
    g = glossary(("API", "接口"), ("クラウド", "云"), ("app", "应用"))
    assert sources(g.relevant("在API中使用クラウド", None, ZH)) == ["API", "クラウド"]
    assert sources(g.relevant("在API中使用クラウド", JA, ZH)) == ["API", "クラウド"]
    # With an unspaced source language every term matches as a substring ...
    assert sources(g.relevant("appleの中", JA, ZH)) == ["app"]
    # ... but with a spaced or unknown one, "app" is not a word of "apple".
    assert g.relevant("appleの中", None, ZH) == ()


def test_a_term_inside_a_longer_term_is_not_sent_on_its_own():
    g = glossary(("sync", "同步"), ("sync folder", "同步文件夹"))
    assert sources(g.relevant("Open the sync folder.", EN, ZH)) == ["sync folder"]
    assert sources(g.relevant("Open the sync folder and sync.", EN, ZH)) == ["sync folder", "sync"]


def test_terms_bound_to_a_language_pair_apply_only_there():
    g = Glossary([Entry("bucket", "存储桶", "en", "zh"), Entry("bucket", "バケット", "en", "ja"),
                  Entry("token", "Token", "", "de"), Entry("cloud", "云")])
    text = "The bucket token in the cloud."
    assert g.relevant(text, EN, ZH) == (TermPair("bucket", "存储桶"), TermPair("cloud", "云"))
    assert g.relevant(text, EN, JA)[0] == TermPair("bucket", "バケット")
    assert sources(g.relevant(text, EN, DE)) == ["token", "cloud"]
    assert g.relevant(text, ZH, JA) == (TermPair("cloud", "云"),)  # bound to an English source


def test_missing_terms_checks_targets_case_insensitively_without_tags():
    terms = (TermPair("bucket", "存储桶"), TermPair("Sync", "Synchro"))
    assert missing_terms(terms, "清空<g1>存储桶</g1>，然后 synchro。") == []
    assert missing_terms(terms, "清空桶。") == list(terms)


# --- files -------------------------------------------------------------------------------


def test_csv_shapes(tmp_path):
    (tmp_path / "plain.csv").write_text("sync,同步\nbucket,存储桶\n", encoding="utf-8")
    (tmp_path / "named.csv").write_text("target_lang,source,target\nzh-CN,sync,同步\nja,sync,同期\n",
                                        encoding="utf-8")
    (tmp_path / "wide.csv").write_text("\ufeffen;zh;ja\nsync;同步;同期\nbucket;;バケット\n", encoding="utf-8")
    assert sources(Glossary.load(tmp_path / "plain.csv").relevant("sync a bucket", EN, ZH)) == ["sync", "bucket"]
    named = Glossary.load(tmp_path / "named.csv")
    assert named.relevant("sync", EN, JA) == (TermPair("sync", "同期"),)
    wide = Glossary.load(tmp_path / "wide.csv")
    assert wide.relevant("sync a bucket", EN, ZH) == (TermPair("sync", "同步"),)
    assert wide.relevant("sync a bucket", EN, JA) == (TermPair("sync", "同期"), TermPair("bucket", "バケット"))


def test_csv_with_a_missing_target_is_a_config_error(tmp_path):
    (tmp_path / "bad.csv").write_text("source,target\nsync,\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="row 2"):
        Glossary.load(tmp_path / "bad.csv")


TBX_BASIC = """<?xml version="1.0" encoding="UTF-8"?>
<martif type="TBX-Basic" xml:lang="en-US">
  <martifHeader><fileDesc><sourceDesc><p>test</p></sourceDesc></fileDesc></martifHeader>
  <text><body>
    <termEntry id="c1">
      <descrip type="subjectField">storage</descrip>
      <langSet xml:lang="en-US"><tig><term>bucket</term><termNote type="partOfSpeech">noun</termNote></tig></langSet>
      <langSet xml:lang="zh-CN"><tig><term>存储桶</term></tig><tig><term>桶</term></tig></langSet>
      <langSet xml:lang="ja"><ntig><termGrp><term>バケット</term></termGrp></ntig></langSet>
    </termEntry>
  </body></text>
</martif>"""

TBX_V3 = """<?xml version="1.0"?>
<tbx type="TBX-Basic" style="dca" xml:lang="en" xmlns="urn:iso:std:iso:30042:ed-2">
  <text><body><conceptEntry id="1">
    <langSec xml:lang="en"><termSec><term>sync folder</term></termSec></langSec>
    <langSec xml:lang="zh"><termSec><term>同步文件夹</term></termSec></langSec>
  </conceptEntry></body></text>
</tbx>"""


def test_tbx_basic_and_tbx_v3(tmp_path):
    (tmp_path / "basic.tbx").write_text(TBX_BASIC, encoding="utf-8")
    (tmp_path / "v3.tbx").write_text(TBX_V3, encoding="utf-8")
    basic = Glossary.load(tmp_path / "basic.tbx")
    assert basic.relevant("Empty the bucket.", EN, ZH) == (TermPair("bucket", "存储桶"),)
    assert basic.relevant("Empty the bucket.", EN, JA) == (TermPair("bucket", "バケット"),)
    assert basic.relevant("清空存储桶", ZH, EN) == (TermPair("存储桶", "bucket"),)
    assert Glossary.load(tmp_path / "v3.tbx").relevant("the sync folder", EN, ZH) == (
        TermPair("sync folder", "同步文件夹"),)


def test_hostile_tbx_entities_are_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET", encoding="utf-8")
    hostile = f"""<?xml version="1.0"?>
<!DOCTYPE martif [<!ENTITY xxe SYSTEM "file://{secret}"><!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<martif type="TBX-Basic"><text><body><termEntry>
  <langSet xml:lang="en"><tig><term>key&xxe;</term></tig></langSet>
  <langSet xml:lang="zh"><tig><term>密钥&lol2;</term></tig></langSet>
</termEntry></body></text></martif>"""
    (tmp_path / "hostile.tbx").write_text(hostile, encoding="utf-8")
    g = Glossary.load(tmp_path / "hostile.tbx")
    assert [(e.source, e.target) for e in g.entries if e.source_lang == "en"] == [("key", "密钥")]
    assert not any("TOPSECRET" in e.source + e.target or "lol" in e.target for e in g.entries)


def test_broken_or_foreign_xml_is_a_config_error(tmp_path):
    (tmp_path / "broken.tbx").write_text("<martif><text>", encoding="utf-8")
    (tmp_path / "other.tbx").write_text("<html/>", encoding="utf-8")
    (tmp_path / "terms.json").write_text("{}", encoding="utf-8")
    for name in ("broken.tbx", "other.tbx", "terms.json"):
        with pytest.raises(ConfigError) as err:
            Glossary.load(tmp_path / name)
        assert name in str(err.value)
