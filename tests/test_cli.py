"""The command line: exit codes, one-line errors, ad hoc runs, usage, the demo path."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.emulator import EmulatorServer

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def emulator_env(monkeypatch):
    with EmulatorServer(mode="pseudo") as srv:
        monkeypatch.setenv("DASHSCOPE_BASE_URL", srv.base_url)
        monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-clitest0123456789abcdef")
        yield srv


def test_langs_lists_all_and_lite(capsys):
    assert main(["langs"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 92
    assert main(["langs", "--model", "qwen-mt-lite"]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 31 and "Persian" in out


def test_langs_refuses_an_unknown_model_in_one_line(capsys):
    assert main(["langs", "--model", "qwen-mt-nope"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1
    assert "unknown model 'qwen-mt-nope'" in captured.err and "qwen3-livetranslate-flash" in captured.err


def test_langs_of_the_media_model_are_livetranslates(capsys):
    from pipeline.service_facts import LIVETRANSLATE_LANGS as LANGS, SPEECH_LANGS

    assert main(["langs", "--model", "qwen3-livetranslate-flash"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert [row[0] for row in rows] == list(LANGS)
    assert {row[0] for row in rows if "speech" in row} == set(SPEECH_LANGS)


def test_help_names_every_format_and_media(capsys):
    from pipeline.formats import _MODULE_BY_EXTENSION

    assert main(["--help"]) == 0
    text = " ".join(capsys.readouterr().out.split()).lower()
    formats = {module.rsplit(".", 1)[1] for module in _MODULE_BY_EXTENSION.values()}
    # string catalogues: the module name -> what the help calls the format
    shown = {"json_i18n": "json", "yaml_i18n": "yaml", "po": "gettext po", "android": "android strings.xml",
             "apple_strings": "apple .strings", "stringsdict": ".stringsdict", "xcstrings": ".xcstrings",
             "properties": "java .properties", "subtitles": "srt, webvtt", "xliff_file": "xliff"}
    assert formats == {"markdown", "mdx", "docx", "pptx", "xlsx", "csv", "html"} | set(shown)
    assert all(shown.get(name, name) in text for name in formats) and "audio and video" in text


def test_config_error_is_one_line_exit_2(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    job = tmp_path / "bad.toml"
    job.write_text('input = "in"\noutput = "o/{lang}"\ntarget_langs = ["zh"]\nspeed = 3\n')
    assert main(["translate", str(job)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert str(job) in err and "speed" in err


def test_unknown_language_flag_exit_2(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    assert main(["translate", str(tmp_path / "in"), "--to", "Klingon", "--out", str(tmp_path / "o")]) == 2
    assert "unknown language 'Klingon'" in capsys.readouterr().err


def test_bad_flag_is_usage_error(capsys):
    assert main(["translate"]) == 2


def test_missing_api_key_is_config_error(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.md").write_text("Hello.\n")
    assert main(["translate", str(tmp_path / "in"), "--to", "de", "--out", str(tmp_path / "o")]) == 2
    assert "DASHSCOPE_API_KEY" in capsys.readouterr().err


def test_ad_hoc_translate_and_usage(tmp_path, emulator_env, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# Hello\n\nSome `code` and text.\n")
    assert main(["translate", "docs", "--to", "zh", "--to", "pt-BR", "--from", "en", "--out", "build/{lang}",
                 "--rpm", "0"]) == 0
    assert (tmp_path / "build" / "zh" / "a.md").is_file()
    assert (tmp_path / "build" / "pt" / "a.md").is_file()
    assert "`code`" in (tmp_path / "build" / "pt" / "a.md").read_text()
    capsys.readouterr()
    (state,) = (tmp_path / "build" / ".qmt").glob("adhoc-docs-*")    # named by its input and output
    assert main(["usage", "--ledger", str(state / "ledger")]) == 0
    out = capsys.readouterr().out
    # The emulator answered: its requests are listed apart and never priced as spending.
    spending, emulated = out.split("== emulated (not billed, not spending)")
    assert "spending: none" in spending and "adhoc" not in spending
    assert "adhoc" in emulated and "emulator:pseudo" in emulated and "cost_usd" not in emulated


def test_demo_path_runs_sample_job_on_emulator(tmp_path, monkeypatch, capsys, protocol):
    """Over either protocol (``--protocol dashscope``: the emulator's /api/v1 root, which
    only the native backend can speak to; media still go through compatible mode)."""
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    job = tmp_path / "sample.toml"
    text = (REPO / "jobs" / "sample.toml").read_text()
    text = text.replace('"../sample_docs"', f'"{REPO / "sample_docs"}"').replace(
        '"../build/sample/{lang}"', f'"{tmp_path / "build" / "{lang}"}"')
    job.write_text(text)
    assert main(["translate", str(job), "--emulator", "--protocol", protocol, "--check"]) == 0  # as make demo
    captured = capsys.readouterr()
    assert captured.out.startswith("EMULATED:") and "total: 0 errors, 0 warnings" in captured.out
    err = captured.err
    assert "EMULATOR" in err and "not a real translation" in err
    assert ("/api/v1:" in err) == (protocol == "dashscope")
    assert (tmp_path / "build" / "zh" / "guide.docx").is_file()
    assert (tmp_path / "build" / "ja" / "getting-started.md").is_file()
    assert (tmp_path / "build" / "zh" / "media" / "talk.zh.srt").is_file()


def test_a_folder_qmt_cannot_create_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-clitest0123456789abcdef")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.md").write_text("Hello.\n")
    (tmp_path / "blocker").write_text("a file where a folder should be")
    code = main(["translate", str(tmp_path / "in"), "--to", "de", "--out", str(tmp_path / "blocker" / "out")])
    err = capsys.readouterr().err.strip()
    last = err.splitlines()[-1]
    assert code == 2 and last.startswith("qmt: error: ") and "blocker" in last and "Not a directory" in last
    assert "Traceback" not in err


def test_marker_damage_costs_only_a_resend_and_the_output_matches_a_clean_run(tmp_path, emulator_env, monkeypatch,
                                                                              capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()
    paragraphs = [f"Paragraph {i} explains how the **build** step reads `config.toml` files." for i in range(60)]
    (tmp_path / "docs" / "a.md").write_text("\n\n".join(paragraphs) + "\n")
    args = ["translate", "docs", "--to", "ja", "--from", "en", "--rpm", "0", "--force"]
    assert main([*args, "--out", "clean/{lang}"]) == 0
    clean_requests = emulator_env.billing.received
    assert "misaligned" not in capsys.readouterr().err
    emulator_env.set_seed(5)
    emulator_env.set_error_rates({"marker": 1.0})
    assert main([*args, "--out", "damaged/{lang}"]) == 0
    err = capsys.readouterr().err
    assert "segments came back misaligned in packed answers and were sent again" in err
    assert emulator_env.billing.errors["marker"] >= 1 and emulator_env.billing.received > 2 * clean_requests
    assert (tmp_path / "damaged" / "ja" / "a.md").read_text() == (tmp_path / "clean" / "ja" / "a.md").read_text()


def test_the_qmt_process_collects_garbage_less_often_and_main_leaves_a_caller_alone(capsys):
    import gc
    import subprocess
    import sys

    from pipeline.cli import COLLECTOR_THRESHOLDS

    # The console script's entry, in a process of its own (it ends with sys.exit).
    code = ("import atexit, gc, sys\n"
            "atexit.register(lambda: print('thresholds', gc.get_threshold()))\n"
            "sys.argv = ['qmt', 'langs', '--model', 'qwen-mt-lite']\n"
            "from pipeline.cli import main_entry\nmain_entry()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"thresholds {COLLECTOR_THRESHOLDS}"
    before = gc.get_threshold()
    assert main(["langs", "--model", "qwen-mt-lite"]) == 0
    assert gc.get_threshold() == before
