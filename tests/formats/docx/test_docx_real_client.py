"""A real client opens the rebuilt file: LibreOffice headless, when installed (skipped otherwise)."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from pipeline.languages import lookup

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_libreoffice_reads_the_translated_sample(sample_docx, load_docx, tmp_path):
    doc = load_docx(sample_docx.read_bytes())
    marker = "Übersetzt"
    out = doc.rebuild(lookup("de"), {s.id: f"{marker} {s.text}" for s in doc.segments()})
    doc.verify(out)
    rebuilt = tmp_path / "guide_de.docx"
    rebuilt.write_bytes(out)
    subprocess.run(
        [SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "txt:Text (encoded):UTF8",
         "--outdir", str(tmp_path), str(rebuilt)],
        check=True, capture_output=True, timeout=120,
    )
    text = (tmp_path / "guide_de.txt").read_text(encoding="utf-8-sig")
    body = [s for s in doc.segments() if s.context in ("body", "table")]
    assert text.count(marker) >= len(body)
    assert "Read the Model Studio documentation to create one." in text  # link text kept in place
