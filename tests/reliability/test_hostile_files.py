"""Bad and hostile input files: each fails alone with a clear reason, the rest is written.

One job holds every kind of bad file next to good Markdown, DOCX and CSV files and is
run once (module fixture); each case then checks its own file's report. A protection
removed shows up as a wrong status or reason for that file, as a good file not written,
as a secret reaching the service, or as an exit code other than 1 (partial).
"""
from __future__ import annotations

import io
import os
import struct
import zipfile
from pathlib import Path

import pytest

from pipeline.config import load_job, with_overrides
from pipeline.job.discover import Found
from pipeline.emulator import EmulatorServer
from pipeline.emulator.pseudo import reverse_pseudo
from pipeline.errors import FileError
from pipeline.output import output_path
from pipeline.job.progress import Progress
from pipeline.job.run import EXIT_PARTIAL, run_job
from pipeline.tokens import count_tokens
from pipeline.translate.qwen_backend import QwenBackend

KEY = "sk-hostile0123456789abcdef"
SECRET = "TOP-SECRET-MARKER-7f3a"          # inside files qmt must never read or send
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
BOMB_BYTES = 64 * 1024 * 1024              # what the zip bomb expands to (zeros)
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
LONG_SENTENCES = 450                       # ~9,700 tokens in one paragraph


def _ole(stream_name: str) -> bytes:
    """An OLE compound file header followed by a directory entry name (UTF-16LE)."""
    return OLE + b"\x00" * 504 + stream_name.encode("utf-16-le") + b"\x00" * 512


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            chunk = b"\x00" * (1 << 20)
            for _ in range(BOMB_BYTES >> 20):
                fh.write(chunk)
    return out.getvalue()


def _lying_zip(docx_bytes, document_xml) -> bytes:
    """A package whose document.xml header declares 200 bytes but inflates to megabytes."""
    big = document_xml("x" * (8 << 20))
    data = bytearray(docx_bytes(big))
    real = len(big.encode())
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (at := data.find(sig, start)) >= 0:
            if struct.unpack_from("<I", data, at + offset)[0] == real:
                struct.pack_into("<I", data, at + offset, 200)
            start = at + 4
    return bytes(data)


def long_paragraph() -> str:
    return " ".join(f"Sentence number {i} describes how the worker pool handles item {i * 7} in plain words."
                    for i in range(LONG_SENTENCES))


def hostile_files(tmp: Path, docx_bytes, document_xml) -> dict[str, bytes]:
    secret = tmp / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    xxe = document_xml("&xxe;", f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>')
    laughs = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    lol = document_xml("&l9;", f'<!DOCTYPE w:document [<!ENTITY l0 "lol">{laughs}]>')
    return {
        # good files, which must all be written
        "good.md": b"# Guide\n\nThe worker pool sends every segment.\n",
        "good.docx": docx_bytes(document_xml("A good Word paragraph.")),
        "good.csv": b"en,zh\nSave changes,\nCancel,\n",
        # bad and hostile files
        "empty.md": b"",
        "empty.csv": b"",
        "empty.docx": b"",
        "corrupt.docx": docx_bytes(document_xml("Cut short."))[:300],
        "bomb.docx": _zip_bomb(),
        "lying.docx": _lying_zip(docx_bytes, document_xml),
        "encrypted.docx": _ole("EncryptedPackage"),
        "legacy.docx": _ole("WordDocument"),
        "xxe.docx": docx_bytes(xxe),
        "laughs.docx": docx_bytes(lol),
        "nul.md": b"# Title\n\nHello\x00 world.\n",
        "latin1.md": "# Café\n\nCafé au lait.\n".encode("latin-1"),
        "quotes.csv": b'en,zh\n"Save changes,\nCancel,\n',
        "ragged.csv": b"en,zh\nSave changes,\nCancel,x,y,z\n",
        "utf16.csv": "en,zh\nSave changes,\n".encode("utf-16-le"),
        "long.md": f"# Long\n\n{long_paragraph()}\n".encode(),
    }


# file -> words its failure reason must contain (lower case)
EXPECTED_FAILURES = {
    "empty.md": ("empty file",),
    "empty.csv": ("empty file",),
    "empty.docx": ("empty file",),
    "corrupt.docx": ("not a valid zip",),
    "bomb.docx": ("zip bomb", "refused", "uncompressed"),
    "encrypted.docx": ("encrypted", "password"),
    "legacy.docx": ("legacy", ".doc"),
    "xxe.docx": ("doctype", "entity", "refused"),
    "laughs.docx": ("doctype", "entity", "refused"),
    "nul.md": ("nul byte", "line 3"),
    "latin1.md": ("not utf-8",),
    "quotes.csv": ("quote", "never closed", "line 2"),
    "utf16.csv": ("utf-16", "byte order mark"),
    "outside-link.md": ("symbolic link", "outside the input folder", "not followed"),
    "outside-dir/": ("symbolic link", "outside the input folder", "not followed"),
}


class ZipReads:
    """Counts bytes inflated from zip entries, per entry name (spy on ZipExtFile.read)."""

    def __init__(self):
        self.by_name: dict[str, int] = {}
        self._orig = zipfile.ZipExtFile.read
        spy = self

        def read(fh, n=-1):
            data = spy._orig(fh, n)
            name = fh.name
            spy.by_name[name] = spy.by_name.get(name, 0) + len(data)
            return data

        self.read = read


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, docx_bytes, document_xml):
    tmp = tmp_path_factory.mktemp("hostile")
    src = tmp / "in"
    src.mkdir()
    for name, data in hostile_files(tmp, docx_bytes, document_xml).items():
        (src / name).write_bytes(data)
    os.symlink(tmp / "secret.txt", src / "outside-link.md")
    (tmp / "elsewhere").mkdir()
    (tmp / "elsewhere" / "stolen.md").write_text(f"# {SECRET}\n", encoding="utf-8")
    os.symlink(tmp / "elsewhere", src / "outside-dir")
    (tmp / "job.toml").write_text(
        'input = "in"\noutput = "out/{lang}"\nsource_lang = "en"\ntarget_langs = ["zh"]\n'
        '[csv]\ncolumns = ["en"]\n[run]\nconcurrency = 3\nbackoff_initial = 0.01\nrpm = 0\ntpm = 0\n',
        encoding="utf-8")
    spy = ZipReads()
    with EmulatorServer(mode="pseudo", api_key=KEY) as srv, pytest.MonkeyPatch.context() as mp:
        mp.setattr(zipfile.ZipExtFile, "read", spy.read)
        job = with_overrides(load_job(tmp / "job.toml"), base_url=srv.base_url)
        result = run_job(job, backend=QwenBackend(api_key=KEY, base_url=srv.base_url, timeout=10),
                         progress=Progress(interactive=False))
        bodies = [b for b in srv.billing.bodies() if b]
    sent = "\n".join(m["content"] for b in bodies for m in b["messages"])
    yield {"result": result, "reports": {f.relpath: f for f in result.files}, "out": tmp / "out" / "zh",
           "sent": sent, "bodies": bodies, "zip_reads": spy.by_name, "tmp": tmp}


@pytest.mark.parametrize("name", sorted(EXPECTED_FAILURES))
def test_bad_file_fails_alone_with_a_clear_reason(hostile, name):
    report = hostile["reports"][name]
    assert report.status == "failed", (report.status, report.reason)
    reason = report.reason.lower()
    for word in EXPECTED_FAILURES[name]:
        assert word.lower() in reason, f"{name}: {report.reason!r} should say {word!r}"
    assert "internal error" not in reason and "traceback" not in reason
    assert not (hostile["out"] / name.rstrip("/")).exists(), "nothing is written for a failed file"


def test_the_rest_of_the_job_completes_and_the_exit_code_says_partial(hostile):
    reports = hostile["reports"]
    for name in ("good.md", "good.docx", "good.csv", "long.md"):
        assert reports[name].status == "written", (name, reports[name].status, reports[name].reason)
        assert (hostile["out"] / name).is_file()
    assert hostile["result"].exit_code == EXIT_PARTIAL == 1
    assert "⟦zh⟧" in (hostile["out"] / "good.md").read_text(encoding="utf-8")  # translated, not copied


def test_a_ragged_row_is_kept_as_it_is_and_reported(hostile):
    report = hostile["reports"]["ragged.csv"]
    assert report.status == "written"
    assert [(p.status, p.reason) for p in report.problems] == [
        ("kept_as_is", "line 3: 4 fields where the header has 2, kept as is")]
    out = (hostile["out"] / "ragged.csv").read_bytes()
    assert out.startswith(b"en,zh\nSave changes,") and out.endswith(b"\nCancel,x,y,z\n") and b"\xe2\x9f\xa6zh" in out


def test_zip_bomb_is_refused_before_anything_is_expanded(hostile):
    # Without the size check the 64 MiB entry would be inflated (or read up to its size).
    inflated = {n: c for n, c in hostile["zip_reads"].items() if n == "word/document.xml"}
    assert sum(inflated.values()) < BOMB_BYTES // 64, inflated


def test_zip_entry_lying_about_its_size_never_expands_beyond_it(hostile):
    report = hostile["reports"]["lying.docx"]
    assert report.status == "failed" and "zip entry word/document.xml" in report.reason
    # Its 8 MiB of text were never inflated: reading stops at the declared size (+1 byte).
    assert hostile["zip_reads"].get("word/document.xml", 0) < 1 << 20
    assert not (hostile["out"] / "lying.docx").exists()


def test_xml_entities_are_never_resolved_or_sent(hostile):
    assert SECRET not in hostile["sent"]
    assert "lollollol" not in hostile["sent"]
    written = [p.read_bytes() for p in hostile["out"].rglob("*") if p.is_file()]
    assert not any(SECRET.encode() in data for data in written)


def test_symbolic_links_out_of_the_input_are_not_followed(hostile):
    assert SECRET not in hostile["sent"], "a linked file outside the input was read and sent"
    assert not (hostile["out"] / "outside-dir").exists()


def test_paragraph_over_the_input_limit_is_split_translated_and_joined(hostile):
    source = long_paragraph()
    assert count_tokens(source) > 8192
    report = hostile["reports"]["long.md"]
    assert report.status == "written" and not report.problems
    pieces = [m["content"] for b in hostile["bodies"] for m in b["messages"] if "Sentence number" in m["content"]]
    assert len(pieces) >= 2 and all(count_tokens(p) <= 8192 for p in pieces)
    out = (hostile["out"] / "long.md").read_text(encoding="utf-8").splitlines()
    paragraph = out[2]
    assert len(out) == 3 and paragraph.count("⟦zh⟧") == len(pieces)   # one paragraph, every piece in it
    assert reverse_pseudo(paragraph.replace("⟦zh⟧ ", "").replace("⟦zh⟧", ""), "Chinese") == source


# --- names that would escape the output folder ----------------------------------------


@pytest.mark.parametrize("relpath", ["../escaped.md", "a/../../escaped.md", "/tmp/escaped.md", "..", "."])
def test_output_path_refuses_names_that_escape(tmp_path, relpath):
    with pytest.raises(FileError, match="would escape the output folder"):
        output_path(tmp_path / "out", relpath)


def test_crafted_relative_name_is_refused_end_to_end(make_job, run, tmp_path, monkeypatch):
    job = make_job({"ok.md": b"Fine text.\n", "evil.md": b"Evil text.\n"})
    import pipeline.job.run as runner

    real = runner.inputs

    def crafted(*args, **kw):
        found, skipped = real(*args, **kw)
        return [Found(f.path, "../../escaped.md") if f.relpath == "evil.md" else f for f in found], skipped

    monkeypatch.setattr(runner, "inputs", crafted)
    result = run(job)
    reports = {f.relpath: f for f in result.files}
    assert reports["../../escaped.md"].status == "failed"
    assert "would escape the output folder" in reports["../../escaped.md"].reason
    assert reports["ok.md"].status == "written"
    assert not (tmp_path / "escaped.md").exists() and not (tmp_path / "out" / "escaped.md").exists()
    assert result.exit_code == EXIT_PARTIAL


def test_output_folder_link_pointing_outside_is_refused(make_job, run, tmp_path):
    """A link planted in the output tree would make a normal name land elsewhere."""
    job = make_job({"ok.md": b"Fine text.\n", "sub/page.md": b"Page text.\n"})
    (tmp_path / "outside").mkdir()
    (tmp_path / "out" / "zh").mkdir(parents=True)
    os.symlink(tmp_path / "outside", tmp_path / "out" / "zh" / "sub")
    result = run(job)
    reports = {f.relpath: f for f in result.files}
    assert reports["sub/page.md"].status == "failed"
    assert "would escape the output folder" in reports["sub/page.md"].reason
    assert reports["ok.md"].status == "written"
    assert list((tmp_path / "outside").iterdir()) == []
    assert result.exit_code == EXIT_PARTIAL
