"""A chatty model server (engine = "llm") against the emulator's chat mode over real HTTP.

Every answer is wrapped the way instruct models wrap answers (a preamble, a closing
pleasantry, a code fence, quotes, or all of them), plain and streamed. Where the frame of
markers came back whole, the chatter is dropped and the files are written clean; where a
model drops the frame and chatters, where its answer starts or ends is not certain: the
segment is refused (asked once more, then reported) and no chatter reaches an output.
And ``timeout`` bounds the whole request, a slow stream included.
"""
from __future__ import annotations

import asyncio
import re

import pytest

from pipeline import errors
from pipeline.config import load_job
from pipeline.emulator.chat import CHATTER_KINDS, PLEASANTRY, PREAMBLE, chatter
from pipeline.emulator.pseudo import pseudo_translate
from pipeline.job.progress import Progress
from pipeline.job.run import EXIT_OK, EXIT_PARTIAL, run_job
from pipeline.translate.backend import TranslationRequest
from pipeline.translate.llm_backend import LlmBackend
from pipeline.translate.packing import PACK_MARKER_RE
from pipeline.ledger.usage import read_ledger

DOCS = {"a.md": "# Sync your folder\n\nOpen the **folder** first.\n\nThen run `acme sync` and wait.\n",
        "b.md": "# Buckets\n\nA bucket holds files.\n"}
CHATTER_WORDS = ("Sure", "Here is", "Let me know", "```", '"', "⟦§")


@pytest.fixture(autouse=True)
def fresh(chat_emu):
    chat_emu.reset()
    chat_emu.set_mode("pseudo")
    yield
    chat_emu.emulator.config.chat_chatter = ""
    chat_emu.set_mode("pseudo")


def _job(tmp_path, chat_emu, *, stream: bool, pack_tokens: int = -1):
    (tmp_path / "in").mkdir(exist_ok=True)
    for name, text in DOCS.items():
        (tmp_path / "in" / name).write_text(text, encoding="utf-8")
    (tmp_path / "job.toml").write_text(
        'input = "in"\noutput = "out/{lang}"\nsource_lang = "en"\ntarget_langs = ["fr"]\nengine = "llm"\n'
        f'base_url = "{chat_emu.chat_base_url}"\nmodel = "m"\n[run]\nrpm = 0\ntpm = 0\nbackoff_initial = 0.01\n'
        f'backoff_max = 0.05\nstream = {str(stream).lower()}\npack_tokens = {pack_tokens}\n', encoding="utf-8")
    job = load_job(tmp_path / "job.toml")
    return job, run_job(job, backend=LlmBackend(base_url=job.base_url, model="m", timeout=5, stream=stream),
                        progress=Progress(interactive=False))


def _outputs(tmp_path) -> dict[str, str]:
    return {name: (tmp_path / "out" / "fr" / name).read_text(encoding="utf-8") for name in DOCS}


def test_the_chatter_kinds_wrap_an_answer_as_instruct_models_do():
    assert chatter("Bonjour", "preamble", "French") == PREAMBLE.format(lang="French") + "Bonjour"
    assert chatter("Bonjour", "pleasantry", "French") == "Bonjour" + PLEASANTRY
    assert chatter("Bonjour", "fence", "French") == "```\nBonjour\n```"
    assert chatter("Bonjour", "quotes", "French") == '"Bonjour"'
    assert chatter("Bonjour", "all", "French") == PREAMBLE.format(lang="French") + "```\nBonjour\n```" + PLEASANTRY
    with pytest.raises(ValueError, match="unknown chatter"):
        chatter("Bonjour", "poem", "French")


@pytest.mark.parametrize("stream", (False, True), ids=("plain", "stream"))
@pytest.mark.parametrize("kind", CHATTER_KINDS)
@pytest.mark.parametrize("pack_tokens", (-1, 0), ids=("packed", "unpacked"))
def test_chatter_around_a_whole_frame_is_dropped_and_the_files_are_clean(tmp_path, chat_emu, kind, stream,
                                                                         pack_tokens):
    chat_emu.emulator.config.chat_chatter = kind
    job, result = _job(tmp_path, chat_emu, stream=stream, pack_tokens=pack_tokens)
    assert result.exit_code == EXIT_OK, [(f.relpath, f.status, f.reason) for f in result.files]
    for name, text in _outputs(tmp_path).items():
        assert not any(word in text for word in CHATTER_WORDS), (name, text)
        # Every translatable line is the pseudo-translation, nothing else on it.
        assert "# ⟦fr⟧ " in text
    assert chat_emu.billing.received == result.requests
    assert (result.requests < 5) if pack_tokens else (result.requests == 5)   # 5 segments: packed, or one each
    ledger = read_ledger(job.state_dir / "ledger")
    assert ledger["completion_tokens"].sum() == chat_emu.billing.completion_tokens   # the chatter is billed too


def _frameless_chatterbox(content: str, target: str, terms) -> str:
    """A model that drops the frame and chatters: its answer's ends are not certain."""
    bare = PACK_MARKER_RE.sub("", content).strip()
    return chatter(pseudo_translate(bare, target, terms), "all", target)


@pytest.mark.parametrize("stream", (False, True), ids=("plain", "stream"))
def test_chatter_without_a_whole_frame_is_refused_asked_again_then_reported(tmp_path, chat_emu, stream):
    chat_emu.set_mode(_frameless_chatterbox)
    job, result = _job(tmp_path, chat_emu, stream=stream, pack_tokens=0)
    assert result.exit_code == EXIT_PARTIAL
    # Each file is reported: every segment kept in the source language, with the reason.
    for report in result.files:
        assert report.status == "partial" and len(report.problems) == report.segments > 0, report
        assert all("not certain" in p.reason for p in report.problems), report.problems
    for path in (tmp_path / "out").rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert not any(word in text for word in ("Sure", "Let me know", "```")), text
    ledger = read_ledger(job.state_dir / "ledger")
    assert set(ledger["status"]) == {"BadTranslation"}
    # Each segment is asked twice (refused, once more), then kept in the source language.
    assert result.requests == chat_emu.billing.received == 2 * len(re.findall(r"\S.*", "".join(DOCS.values())))


def test_the_timeout_bounds_a_whole_slow_stream(chat_emu):
    """Each chunk comes within the timeout; the whole stream does not: it is cut, and billed
    for what was received."""
    chat_emu.emulator.config.chunk_delay_ms = 100
    request = TranslationRequest(text="A sentence long enough to stream in many small chunks of text. " * 4,
                                 model="m", source_lang="English", target_lang="French")

    async def go():
        backend = LlmBackend(base_url=chat_emu.chat_base_url, model="m", timeout=0.6, stream=True)
        try:
            return await backend.translate(request)
        finally:
            await backend.aclose()

    try:
        with pytest.raises(errors.ServiceTimeout) as caught:
            asyncio.run(go())
    finally:
        chat_emu.emulator.config.chunk_delay_ms = 0
    assert "whole request, streaming included" in str(caught.value)
    prompt, completion = caught.value.billed
    assert prompt > 0 and completion is not None and completion > 0


def test_the_emulator_flag_turns_chat_mode_and_its_chatter_on():
    import argparse

    from pipeline.emulator.cli import add_arguments, config_from_args

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    config = config_from_args(parser.parse_args(["--chat-chatter", "fence"]))
    assert config.chat and config.chat_chatter == "fence"
    assert config_from_args(parser.parse_args([])).chat_chatter == ""
