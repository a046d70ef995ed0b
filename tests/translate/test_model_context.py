"""A software string's key and comments reach the model (engine llm: in the system
prompt, one line per pack marker), the estimate counts them, and short strings travel
with their neighbours in key order (Qwen-MT: the pack is the context it gets)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeline.config import load_job, with_overrides
from pipeline.emulator import EmulatorServer
from pipeline.job.estimate import estimate_job
from pipeline.job.progress import Progress
from pipeline.job.run import EXIT_OK, pool_settings, region_of, run_job
from pipeline.translate.backend import TranslationRequest
from pipeline.translate.llm_backend import LlmBackend
from pipeline.translate.llm_prompt import CONTEXT_HEAD, read_system_prompt, system_prompt
from pipeline.translate.qwen_backend import QwenBackend

KEY = "sk-context0123456789abcdef"
APP = """{
  "toolbar": {"open": "Open", "save": "Save", "close": "Close"},
  "status": {"open": "Open"}
}
"""
ARB = '{\n  "@@locale": "en",\n  "title": "Albums",\n  "@title": {"description": "App bar title"}\n}\n'
POT = '#. the verb on the File menu\nmsgctxt "menu"\nmsgid "Print"\nmsgstr ""\n'
MD = "# Guide\n\nOpen the file.\n"


def _folder(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    (root / "locales/en").mkdir(parents=True)
    (root / "locales/en/app.json").write_text(APP, encoding="utf-8")
    (root / "l10n").mkdir()
    (root / "l10n/app_en.arb").write_text(ARB, encoding="utf-8")
    (root / "po").mkdir()
    (root / "po/messages.pot").write_text(POT, encoding="utf-8")
    (root / "guide.md").write_text(MD, encoding="utf-8")
    return root


def _job(tmp_path: Path, root: Path, engine: str, base_url: str) -> object:
    path = tmp_path / f"{engine}.toml"
    extra = f'engine = "llm"\nbase_url = "{base_url}"\nmodel = "m"\n' if engine == "llm" else ""
    path.write_text(f'input = "{root}"\noutput = "{tmp_path}/o-{engine}/{{lang}}"\nsource_lang = "en"\n'
                    f'target_langs = ["fr"]\n{extra}[run]\nrpm = 0\ntpm = 0\npack_tokens = 200\n', encoding="utf-8")
    job = load_job(path)
    return with_overrides(job, base_url=base_url) if engine != "llm" else job


def test_the_prompt_lists_each_markers_context_and_reads_back():
    request = TranslationRequest("⟦§1⟧ Open\n\n⟦§2⟧ Save\n\n⟦§3⟧ Close", "m", "English", "French",
                                 context=("key toolbar.open", "", 'key a | "quoted"\nnote'))
    text = system_prompt(request)
    assert text.endswith(f'{CONTEXT_HEAD}\n- ⟦§1⟧ "key toolbar.open"\n- ⟦§3⟧ "key a | \\"quoted\\" note"')
    assert read_system_prompt(text).context == {1: "key toolbar.open", 3: 'key a | "quoted" note'}
    assert CONTEXT_HEAD not in system_prompt(TranslationRequest("Open", "m", "English", "French"))


def test_engine_llm_sends_keys_and_comments_and_the_estimate_counts_them(tmp_path):
    root = _folder(tmp_path)
    with EmulatorServer(mode="pseudo", chat=True) as server:
        job = _job(tmp_path, root, "llm", server.chat_base_url)
        est = estimate_job(job, pool_settings(job), region_of(job))
        result = run_job(job, backend=LlmBackend(base_url=job.base_url, model="m", timeout=5),
                         progress=Progress(interactive=False))
        assert result.exit_code == EXIT_OK
        assert est.requests == server.billing.received and est.prompt_tokens == server.billing.prompt_tokens
        prompts = [(b["messages"][0]["content"], b["messages"][1]["content"]) for b in server.billing.bodies()]
    seen: dict[str, str] = {}
    for system, user in prompts:
        pieces = dict(re.findall(r"⟦§(\d+)⟧ ([^\n]*)", user))
        for number, context in read_system_prompt(system).context.items():
            seen[pieces[str(number)]] = context
    assert seen["Open"] == "key toolbar.open"          # one text, one translation: the first string's context
    assert seen["Save"] == "key toolbar.save" and seen["Albums"] == "key title (App bar title)"
    assert seen["Print"] == "menu | the verb on the File menu"
    assert "Open the file." not in seen                 # Markdown's "paragraph" says nothing a translator needs


def test_qwen_mt_sends_no_context_and_packs_neighbours_in_key_order(tmp_path):
    root = _folder(tmp_path)
    with EmulatorServer(mode="pseudo") as server:
        job = _job(tmp_path, root, "qwen-mt", server.base_url)
        est = estimate_job(job, pool_settings(job), region_of(job))
        result = run_job(job, backend=QwenBackend(api_key=KEY, base_url=server.base_url, timeout=10),
                         progress=Progress(interactive=False))
        assert result.exit_code == EXIT_OK and est.requests == server.billing.received
        bodies = server.billing.bodies()
    assert all(set(b["translation_options"]) <= {"source_lang", "target_lang"} for b in bodies)
    texts = [b["messages"][-1]["content"] for b in bodies]
    catalogue = next(t for t in texts if "Save" in t)
    pieces = re.findall(r"⟦§\d+⟧ ([^\n]*)", catalogue)
    start = pieces.index("Open")
    assert pieces[start : start + 3] == ["Open", "Save", "Close"]        # toolbar's keys, side by side, in order


@pytest.mark.parametrize("keys", [120])
def test_a_long_catalogue_packs_in_key_order(tmp_path, keys):
    """Every pack of a large flat catalogue holds consecutive keys (its neighbours)."""
    root = tmp_path / "in" / "locales" / "en"
    root.mkdir(parents=True)
    values = {f"k{i:03d}": f"Label number {i}" for i in range(keys)}
    (root / "app.json").write_text(json.dumps(values, indent=2), encoding="utf-8")
    with EmulatorServer(mode="pseudo") as server:
        job = _job(tmp_path, tmp_path / "in", "qwen-mt", server.base_url)
        assert run_job(job, backend=QwenBackend(api_key=KEY, base_url=server.base_url, timeout=10),
                       progress=Progress(interactive=False)).exit_code == EXIT_OK
        bodies = server.billing.bodies()
    packs = [[int(n) for n in re.findall(r"⟦§\d+⟧ Label number (\d+)", b["messages"][-1]["content"])] for b in bodies]
    assert len(packs) > 1 and all(p == list(range(p[0], p[0] + len(p))) for p in packs)   # consecutive keys
    assert sorted(n for p in packs for n in p) == list(range(keys))     # (requests arrive in any order)
