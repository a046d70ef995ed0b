"""Provenance: every stored answer knows its engine; emulated output never passes for real.

The issue's case: ``make demo`` without a key (the emulator, pseudo mode), then the same
job against another endpoint — here an identity emulator presented as the real service
(``--base-url`` and a key, no ``--emulator``). The second run must send every segment
and write the identity output; ``qmt tm export`` must not export emulated translations;
``qmt usage`` must not show emulated requests as spending.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import polars as pl
import pytest
from lxml import etree

from pipeline.cli import main
from pipeline.config import NATIVE_REGIONS, REGIONS
from pipeline.emulator import EmulatorServer
from pipeline.emulator.pseudo import PACK_MARKER_RE
from pipeline.ledger.store import StateStore
from pipeline.provenance import ENGINE_HEADER, _REGION_URLS, answer_engine, is_emulated, is_real, service_engine
from pipeline.ledger.usage import COLUMNS, read_ledger

KEY = "sk-provenance0123456789abcdef"
FILES = {
    "a.md": "# Getting started\n\nInstall the tool.\n\nThen run it on a folder.\n",
    "b.md": "# Options\n\nEvery option has a default.\n\nInstall the tool.\n",
}
JOB = 'input = "in"\noutput = "out/{lang}"\nsource_lang = "en"\ntarget_langs = ["zh", "ja"]\n[run]\nrpm = 0\ntpm = 0\n'


@pytest.fixture
def job(tmp_path: Path) -> Path:
    (tmp_path / "in").mkdir()
    for name, text in FILES.items():
        (tmp_path / "in" / name).write_text(text, encoding="utf-8")
    (tmp_path / "job.toml").write_text(JOB, encoding="utf-8")
    return tmp_path / "job.toml"


def sent_segments(server: EmulatorServer) -> list[str]:
    return [p.strip() for b in server.billing.bodies()
            for p in PACK_MARKER_RE.sub("\0", b["messages"][0]["content"]).split("\0") if p.strip()]


def test_emulated_answers_are_never_reused_exported_or_billed_as_real(job, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    monkeypatch.delenv("DASHSCOPE_BASE_URL", raising=False)
    assert main(["translate", str(job), "--emulator"]) == 0          # make demo without a key
    assert "⟦zh⟧" in (tmp_path / "out" / "zh" / "a.md").read_text(encoding="utf-8")
    assert "answered by emulator:pseudo (EMULATED" in capsys.readouterr().err

    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
    with EmulatorServer(mode="identity", api_key=KEY) as real:      # presented as the real service
        assert main(["translate", str(job), "--base-url", real.base_url]) == 0
        sent = sent_segments(real)
    units = {"Getting started", "Install the tool.", "Then run it on a folder.", "Options",
             "Every option has a default."}
    assert sorted(sent) == sorted([*units, *units])                         # every segment, both languages, once
    for lang in ("zh", "ja"):
        for name, text in FILES.items():
            assert (tmp_path / "out" / lang / name).read_text(encoding="utf-8") == text
    err = capsys.readouterr().err
    assert " 0 cached, 0 TM matches" in err and "answered by emulator:identity" in err

    out = tmp_path / "export.tmx"
    assert main(["tm", "export", str(job), "-o", str(out)]) == 0
    assert not etree.parse(str(out)).getroot().findall(".//tu")     # nothing real to export
    err = capsys.readouterr().err
    assert "wrote 0 translations" in err and "left out 10 translations made by emulator:identity" in err
    assert "left out 10 translations made by emulator:pseudo" in err
    assert main(["tm", "export", str(job), "-o", str(out), "--include-emulated"]) == 0
    marks = {p.text for p in etree.parse(str(out)).getroot().iter("prop") if p.get("type") == "x-qmt-engine"}
    assert marks <= {"emulator:identity", "emulator:pseudo"} and marks  # every exported translation marked

    capsys.readouterr()
    assert main(["usage", "--ledger", str(tmp_path / "out" / ".qmt" / "job" / "ledger")]) == 0
    spending, emulated = capsys.readouterr().out.split("== emulated (not billed, not spending)")
    assert "spending: none" in spending and "emulator:pseudo" in emulated and "emulator:identity" in emulated
    ledger = read_ledger(tmp_path / "out" / ".qmt" / "job" / "ledger")
    assert set(ledger["engine"].to_list()) == {"emulator:pseudo", "emulator:identity"}


def test_the_same_engine_is_reused_and_a_real_endpoint_is_not_served_emulated_answers(job, tmp_path, monkeypatch,
                                                                                        capsys):
    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
    with EmulatorServer(mode="pseudo", api_key=KEY) as srv:
        assert main(["translate", str(job), "--base-url", srv.base_url]) == 0
        first = srv.billing.received
        assert main(["translate", str(job), "--base-url", srv.base_url]) == 0   # the same engine: reused
        assert srv.billing.received == first
    assert " 0 requests" in capsys.readouterr().err.splitlines()[-1]
    # The real service's endpoint (nothing is sent: the estimate plans the run).
    assert main(["estimate", str(job), "--region", "singapore"]) == 0
    text = capsys.readouterr().out
    assert "from the cache        0" in text and "exact TM matches      0" in text and "texts to send         10" in text
    assert "committed outputs     0" in text
    assert main(["estimate", str(job), "--base-url", srv.base_url]) == 0     # where the emulator answered
    assert "committed outputs     10" in capsys.readouterr().out              # (the outputs answer first)
    state = sqlite3.connect(tmp_path / "out" / ".qmt" / "job" / "state.sqlite")
    engines = {row[0] for row in state.execute("SELECT engine FROM cache UNION SELECT engine FROM tm")}
    assert engines == {"emulator:pseudo"}


def test_the_emulator_marks_every_response(tmp_path):
    import httpx

    with EmulatorServer(mode="identity", api_key=KEY, error_rates={"429": 1.0}) as srv:
        url = f"{srv.base_url}/chat/completions"
        body = {"model": "qwen-mt-flash", "messages": [{"role": "user", "content": "Hi"}],
                "translation_options": {"source_lang": "English", "target_lang": "Chinese"}}
        refused = httpx.post(url, json=body, headers={"Authorization": f"Bearer {KEY}"})
        unauthorised = httpx.post(url, json=body)
    assert refused.status_code == 429 and refused.headers[ENGINE_HEADER] == "emulator:identity"
    assert unauthorised.status_code == 401 and unauthorised.headers[ENGINE_HEADER] == "emulator:identity"


def test_engine_names():
    assert service_engine(REGIONS["singapore"] + "/") == "qwen:singapore"
    assert service_engine("https://example.test/v1") == "qwen:https://example.test/v1"
    assert answer_engine({ENGINE_HEADER: "emulator:pseudo"}, REGIONS["us"]) == "emulator:pseudo"
    assert answer_engine({}, REGIONS["us"]) == "qwen:us"
    assert is_emulated("emulator:identity") and not is_real("emulator:identity")
    assert is_real("qwen:beijing") and not is_real("") and not is_emulated("")
    # one table of endpoints, both protocols: the same service is the same engine
    assert {url: name for table in (REGIONS, NATIVE_REGIONS) for name, url in table.items()} == _REGION_URLS
    assert service_engine(NATIVE_REGIONS["singapore"]) == service_engine(REGIONS["singapore"]) == "qwen:singapore"


def test_old_state_files_and_ledger_parts_still_read(tmp_path):
    path = tmp_path / "state.sqlite"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE cache (key TEXT PRIMARY KEY, translation TEXT NOT NULL, created REAL NOT NULL);"
        "INSERT INTO cache VALUES ('k', 'old', 0);"
        "CREATE TABLE tm (id INTEGER PRIMARY KEY, source_lang TEXT NOT NULL, target_lang TEXT NOT NULL,"
        " norm TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL, fingerprint TEXT NOT NULL,"
        " created REAL NOT NULL, UNIQUE (source_lang, target_lang, norm, fingerprint) ON CONFLICT REPLACE);"
        "CREATE INDEX tm_norm ON tm (norm);"
        "INSERT INTO tm VALUES (1, 'en', 'zh', 'hi', 'Hi', '嗨', 'fp', 0);")
    old.commit()
    old.close()
    store = StateStore(path)
    assert store.cached("k", "qwen:beijing") is None          # unknown origin: never reused
    assert store.tm_exact("hi", "en", "zh", "fp", "qwen:beijing") == []
    assert [(e.target, e.engine) for e in store.tm_entries()] == [("嗨", "")]  # kept, marked unknown
    store.commit(cache=[("k", "real", "qwen:beijing")], tm=[("en", "zh", "hi", "Hi", "嗨!", "fp", "qwen:beijing")])
    store.close()
    store = StateStore(path)                                    # upgraded once, then opened as it is
    assert store.cached("k", "qwen:beijing") == "real"
    assert {(e.target, e.engine) for e in store.tm_entries()} == {("嗨", ""), ("嗨!", "qwen:beijing")}
    store.close()
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    pl.DataFrame({"job": ["j"], "prompt_tokens": [3]}).write_parquet(ledger / "part-old.parquet")
    frame = read_ledger(ledger)
    assert frame.columns == list(COLUMNS) and frame["engine"].to_list() == [""]


def test_tm_export_marks_every_translation_with_its_engine(job, tmp_path, capsys):
    (tmp_path / "tm.csv").write_text("source,target,source_lang,target_lang\nHello,你好,en,zh-CN\n", encoding="utf-8")
    text = job.read_text(encoding="utf-8").replace('[run]', 'tm = "tm.csv"\n[run]')
    job.write_text(text, encoding="utf-8")
    store = StateStore(tmp_path / "out" / ".qmt" / "job" / "state.sqlite")
    store.commit(tm=[("en", "zh", "install the tool.", "Install the tool.", "安装该工具。", "fp", "qwen:beijing"),
                     ("en", "ja", "options", "Options", "⟦ja⟧ Öþţíöñš", "fp", "emulator:pseudo")])
    store.close()
    out = tmp_path / "export.tmx"
    assert main(["tm", "export", str(job), "-o", str(out)]) == 0
    tuvs = {tuv.findtext("seg"): tuv.findtext("prop[@type='x-qmt-engine']")
            for tuv in etree.parse(str(out)).getroot().iter("tuv") if tuv.find("prop") is not None}
    assert tuvs == {"你好": "tm-file", "安装该工具。": "qwen:beijing"}
    assert "left out 1 translations made by emulator:pseudo" in capsys.readouterr().err


def test_usage_prices_real_requests_and_lists_emulated_ones_apart(tmp_path, capsys):
    from pipeline.ledger.store import ledger_row

    store = StateStore(tmp_path / "state.sqlite")
    common = dict(run_id="r", region="beijing", file="a.md", target_lang="zh", model="qwen-mt-flash",
                  status="ok", latency_s=0.1, attempt=1)
    store.commit(ledger=[ledger_row(job="real", request_id="q1", prompt_tokens=1000, completion_tokens=500,
                                    engine="qwen:beijing", **common),
                         ledger_row(job="demo", request_id="e1", prompt_tokens=7000, completion_tokens=9000,
                                    engine="emulator:pseudo", **common)])
    store.export_ledger(tmp_path / "ledger")
    store.close()
    assert main(["usage", "--ledger", str(tmp_path / "ledger")]) == 0
    spending, emulated = capsys.readouterr().out.split("== emulated (not billed, not spending)")
    assert "real" in spending and "demo" not in spending and "cost_usd" in spending
    assert "demo" in emulated and "7000" in emulated and "cost_usd" not in emulated
