"""Translation memory: normalization, exact and fuzzy lookup, TMX and CSV in, TMX out."""
from __future__ import annotations

import pytest
from lxml import etree

from pipeline.errors import ConfigError
from pipeline.languages import lookup
from pipeline.memory.sources import XML_LANG, Entry
from pipeline.memory.text import normalize
from pipeline.memory.tm import TranslationMemory, read_tmx, write_tmx
from pipeline.translate.backend import TermPair

EN, ZH, JA = (lookup(c) for c in ("en", "zh", "ja"))


def test_normalize_collapses_whitespace_and_renumbers_tags():
    assert normalize("  Click\u00a0 <g7>Save</g7>\n now <x9/> ") == "Click <g1>Save</g1> now <x2/>"
    assert normalize("<a4>x</a4><g2>y</g2>") == normalize("<a1>x</a1><g2>y</g2>")
    assert normalize("Save") != normalize("save")   # case is meaningful for an exact match


def test_exact_match_maps_tag_ids_and_keeps_edge_whitespace():
    tm = TranslationMemory([Entry("Click <g1>Save</g1> or <x2/>.", "点击<g1>保存</g1>或<x2/>。", "en", "zh")])
    assert tm.exact("  Click <g5>Save</g5>  or <x8/>.\n", EN, ZH) == "  点击<g5>保存</g5>或<x8/>。\n"
    assert tm.exact("Click <g5>Save</g5> or <x8/>.", EN, JA) is None        # no Japanese
    assert tm.exact("Click Save or <x8/>.", EN, ZH) is None                  # different tags
    assert tm.exact("Click <g5>Save</g5> or <x8/>!", EN, ZH) is None


def test_exact_match_with_broken_stored_tags_is_no_match():
    tm = TranslationMemory([Entry("Click <g1>Save</g1>.", "点击保存。", "en", "zh")])  # tags lost
    assert tm.exact("Click <g1>Save</g1>.", EN, ZH) is None


def test_fuzzy_threshold_limit_and_order():
    tm = TranslationMemory([
        Entry("Run the sync command every night.", "每晚运行同步命令。", "en", "zh"),
        Entry("Run the sync command every hour.", "每小时运行同步命令。", "en", "zh"),
        Entry("Run the sync command every morning.", "每天早上运行同步命令。", "en", "zh"),
        Entry("Delete the bucket.", "删除存储桶。", "en", "zh"),
        Entry("Run the sync command every night.", "毎晩同期コマンドを実行します。", "en", "ja"),
    ])
    query = "Run the <g1>sync</g1> command every morning!"
    best = tm.fuzzy(query, EN, ZH, threshold=75, limit=3)
    assert best[0] == TermPair("Run the sync command every morning.", "每天早上运行同步命令。")
    assert {p.source for p in best} == {"Run the sync command every morning.", "Run the sync command every night.",
                                        "Run the sync command every hour."}
    assert len(tm.fuzzy(query, EN, ZH, threshold=75, limit=1)) == 1
    assert tm.fuzzy(query, EN, ZH, threshold=99, limit=3) == ()
    assert tm.fuzzy(query, EN, JA, threshold=75, limit=3) == (
        TermPair("Run the sync command every night.", "毎晩同期コマンドを実行します。"),)
    assert tm.fuzzy("Delete the bucket.", EN, ZH, threshold=75, limit=3) == ()   # exact is not fuzzy
    assert tm.fuzzy(query, EN, ZH, threshold=75, limit=0) == ()


TMX = """<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4">
  <header creationtool="OtherCAT" creationtoolversion="9" segtype="sentence" o-tmf="x" adminlang="en-US"
          srclang="en-US" datatype="html"/>
  <body>
    <tu tuid="1">
      <tuv xml:lang="en-US"><seg>Press <bpt i="1">&lt;b&gt;</bpt>Save<ept i="1">&lt;/b&gt;</ept> <ph x="2">&lt;br/&gt;</ph>now.</seg></tuv>
      <tuv xml:lang="zh-CN"><seg>现在<ph x="2">&lt;br/&gt;</ph>按<bpt i="1">&lt;b&gt;</bpt>保存<ept i="1">&lt;/b&gt;</ept>。</seg></tuv>
    </tu>
    <tu><tuv xml:lang="en"><seg>See the <bpt i="3" type="link">&lt;a&gt;</bpt>docs<ept i="3">&lt;/a&gt;</ept>.</seg></tuv>
        <tuv xml:lang="ja"><seg><bpt i="3" type="link">&lt;a&gt;</bpt>文書<ept i="3">&lt;/a&gt;</ept>を参照。</seg></tuv></tu>
    <tu><tuv xml:lang="en"><seg>Broken <bpt i="1"/>tags</seg></tuv><tuv xml:lang="zh-CN"><seg>坏标签</seg></tuv></tu>
  </body>
</tmx>"""


def test_tmx_inline_markup_becomes_our_tags(tmp_path):
    (tmp_path / "m.tmx").write_text(TMX, encoding="utf-8")
    tm = TranslationMemory.load(tmp_path / "m.tmx")
    assert tm.exact("Press <g4>Save</g4> <x6/>now.", EN, ZH) == "现在<x6/>按<g4>保存</g4>。"
    assert tm.exact("现在<x1/>按<g2>保存</g2>。", ZH, EN) == "Press <g2>Save</g2> <x1/>now."
    assert tm.exact("See the <a1>docs</a1>.", EN, JA) == "<a1>文書</a1>を参照。"
    assert tm.exact("Broken tags", EN, ZH) == "坏标签"   # unbalanced markup: kept as plain text


def test_tmx_export_is_tmx_1_4_and_reads_back(tmp_path):
    entries = [Entry("Click <g1>Save</g1> <x2/>.", "点击<g1>保存</g1><x2/>。", "en", "zh"),
               Entry("Click <g1>Save</g1> <x2/>.", "<g1>保存</g1><x2/>をクリック。", "en", "ja"),
               Entry("See <a1>docs</a1> & <more>", "见<a1>文档</a1> & <more>", "en", "zh_tw")]
    data = write_tmx(entries, "en")
    root = etree.fromstring(data)
    header = root.find("header")
    assert root.get("version") == "1.4"
    assert {k: header.get(k) for k in ("srclang", "segtype", "o-tmf", "adminlang", "creationtool", "datatype")} == {
        "srclang": "en", "segtype": "paragraph", "o-tmf": "qmt", "adminlang": "en", "creationtool": "qmt",
        "datatype": "plaintext"}
    units = root.findall("body/tu")
    assert len(units) == 2
    assert [tuv.get(XML_LANG) for tuv in units[0].findall("tuv")] == ["en", "zh-CN", "ja"]
    (tmp_path / "out.tmx").write_bytes(data)
    back = {(e.source_lang, e.target_lang, e.source, e.target) for e in read_tmx(tmp_path / "out.tmx")}
    assert {(e.source_lang, e.target_lang, e.source, e.target) for e in entries} <= back


def test_csv_tm(tmp_path):
    (tmp_path / "tm.csv").write_text("source,target\nHello world.,你好，世界。\n", encoding="utf-8")
    tm = TranslationMemory.load(tmp_path / "tm.csv")
    assert tm.exact("Hello   world.", EN, ZH) == "你好，世界。"
    assert tm.exact("Hello world.", None, JA) == "你好，世界。"   # no language bound: any pair


def test_hostile_tmx_entities_are_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET", encoding="utf-8")
    (tmp_path / "h.tmx").write_text(
        f'<?xml version="1.0"?><!DOCTYPE tmx [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<tmx version="1.4"><header srclang="en"/><body><tu><tuv xml:lang="en"><seg>Hi &xxe;there</seg></tuv>'
        '<tuv xml:lang="zh"><seg>你好</seg></tuv></tu></body></tmx>', encoding="utf-8")
    tm = TranslationMemory.load(tmp_path / "h.tmx")
    assert not any("TOPSECRET" in e.source + e.target for e in tm.entries)
    assert tm.exact("Hi there", EN, ZH) == "你好"


def test_not_a_tmx_is_a_config_error(tmp_path):
    (tmp_path / "x.tmx").write_text("<tbx/>", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a TMX"):
        TranslationMemory.load(tmp_path / "x.tmx")


def _varied(i: int) -> str:
    """Varied sentences of one shape, as in a long document ("the same document, varied text")."""
    words = ("cache", "ledger", "worker", "bundle", "plugin", "router", "schema", "export", "import", "config")
    return (f"Step {i}: the {words[i % 10]} of module {i % 97} reads table {i % 89} "
            f"before writing report {i}.")


def test_fuzzy_work_per_segment_is_capped_in_a_large_memory_and_near_matches_are_still_found():
    from pipeline.memory import tm as tm_module

    n = tm_module.FULL_SCAN_MAX * 10
    tm = TranslationMemory(Entry(_varied(i), f"zh {i}", "en", "zh") for i in range(n))
    for i in (5, 777, n - 3):
        before = tm.scored
        query = _varied(i).replace("before writing", "before it writes")      # a near, not exact, match
        found = tm.fuzzy(query, EN, ZH, threshold=75, limit=3)
        assert tm.scored - before <= tm_module.MAX_CANDIDATES          # not the ~20,000 a full scan scores
        assert found and found[0] == TermPair(_varied(i), f"zh {i}")


def test_a_small_length_window_is_scored_in_full():
    tm = TranslationMemory(Entry(_varied(i), f"zh {i}", "en", "zh") for i in range(300))
    tm.fuzzy(_varied(3).replace("reads", "loads"), EN, ZH, threshold=75, limit=3)
    assert 0 < tm.scored <= 300
