"""The API key never reaches logs, messages, the ledger or reports, even when echoed back."""
from __future__ import annotations


from pipeline.cli import main
from pipeline.emulator import EmulatorServer
from pipeline.secrets import MASK, redact, register

SECRET = "qmt-test-SECRET-value-4242"  # not key-shaped: only registration can catch it


def test_redact_masks_registered_and_key_shaped_strings():
    register("my-registered-secret")
    assert redact("token my-registered-secret here") == f"token {MASK} here"
    assert redact("Bearer sk-abcdefghijklmnop1234") == f"Bearer {MASK}"
    assert redact("nothing secret") == "nothing secret"


def test_echoed_key_never_leaves_the_process(tmp_path, monkeypatch, capsys):
    (tmp_path / "in").mkdir()
    for i in range(3):
        (tmp_path / "in" / f"d{i}.md").write_text(f"# Title {i}\n\nText {i}.\n")
    job = tmp_path / "j.toml"
    job.write_text('name = "j"\ninput = "in"\noutput = "out/{lang}"\ntarget_langs = ["de"]\n')
    with EmulatorServer(mode="pseudo", api_key="the-right-key-0000", echo_key=True) as server:
        monkeypatch.setenv("DASHSCOPE_BASE_URL", server.base_url)
        monkeypatch.setenv("DASHSCOPE_API_KEY", SECRET)
        assert main(["translate", str(job), "--rpm", "0"]) == 3
        assert server.billing.errors["invalid_api_key"] >= 1
    out = capsys.readouterr()
    assert "DASHSCOPE_API_KEY" in out.err  # says what to do...
    assert SECRET not in out.err + out.out  # ...without the key
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
