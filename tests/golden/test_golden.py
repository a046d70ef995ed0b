"""Golden files: one small document per format and what qmt writes for it, for a reader to see.

``tests/golden/<format>/source/`` holds a source document; ``<format>/identity/`` and
``<format>/pseudo/`` hold the output of one run through the local emulator in each of
its modes, into Arabic (a right-to-left target, so what a format does about direction
shows too):

* identity: the emulator echoes the text, so the output shows what the walk itself keeps
  and changes (language and direction attributes, file naming, headers);
* pseudo: the emulator's visible fake translation (``pipeline/emulator/pseudo.py``), so
  the output shows which text is sent for translation and which is left alone.

Text formats are compared byte for byte. An Office file is a zip whose bytes change
with every write (timestamps, compression), so for DOCX, PPTX and XLSX the goldens are
the XML parts that hold the text (pretty-printed, one element a line) and the list of
the package's parts.

When the emulator's output changes on purpose, regenerate them and review the diff:

    QMT_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/golden
    git diff --stat tests/golden
"""
from __future__ import annotations

import io
import os
import shutil
import zipfile
from fnmatch import fnmatch
from pathlib import Path

import pytest
from lxml import etree
from support import EMULATOR_KEY, is_output

from pipeline.config import load_job, with_overrides
from pipeline.emulator import EmulatorServer
from pipeline.job.progress import Progress
from pipeline.job.run import EXIT_OK, run_job
from pipeline.translate.qwen_backend import QwenBackend

HERE = Path(__file__).resolve().parent
FORMATS = sorted(p.parent.parent.name for p in HERE.glob("*/source/*"))
MODES = ("identity", "pseudo")
TARGET = "ar"
UPDATE = os.environ.get("QMT_UPDATE_GOLDEN", "") not in ("", "0")

# The parts of an Office package that hold its text: what the goldens keep of a zip.
TEXT_PARTS = {
    ".docx": ("word/document.xml",),
    ".pptx": ("ppt/slides/slide*.xml", "ppt/notesSlides/notesSlide*.xml"),
    ".xlsx": ("xl/workbook.xml", "xl/sharedStrings.xml", "xl/worksheets/sheet*.xml"),
}
PARTS_LIST = "parts.txt"


def _run(mode: str, out: Path) -> None:
    """One run of every golden source through the emulator in ``mode``; outputs in ``out/ar``."""
    job_file = out / "job.toml"
    job_file.write_text(f'input = "{HERE.as_posix()}"\ninclude = ["*/source/*"]\nexclude = ["**/*.py"]\n'
                        f'output = "{out.as_posix()}/{{lang}}"\nsource_lang = "en"\ntarget_langs = ["{TARGET}"]\n'
                        '[run]\nrpm = 0\ntpm = 0\n', encoding="utf-8")
    job = load_job(job_file)
    with EmulatorServer(mode=mode, api_key=EMULATOR_KEY) as server:
        result = run_job(with_overrides(job, base_url=server.base_url), progress=Progress(interactive=False),
                         backend=QwenBackend(api_key=EMULATOR_KEY, base_url=server.base_url, timeout=30))
    assert result.exit_code == EXIT_OK, [(f.relpath, f.status, f.reason) for f in result.files]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """``outputs(mode)``: the folder of the run in ``mode`` (each run made once per module)."""
    done: dict[str, Path] = {}

    def get(mode: str) -> Path:
        if mode not in done:
            out = tmp_path_factory.mktemp(f"golden-{mode}")
            _run(mode, out)
            done[mode] = out / TARGET
        return done[mode]

    return get


def _pretty(xml: bytes) -> bytes:
    """One element a line, so a golden part reads and diffs well (text nodes are untouched:
    OOXML has no mixed content, so indenting adds no text)."""
    tree = etree.fromstring(xml)
    etree.indent(tree)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True) + b"\n"


def _office_files(name: str, data: bytes) -> dict[str, bytes]:
    """The golden files of an Office package ``name``: its part list and its text parts."""
    patterns = TEXT_PARTS[Path(name).suffix]
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        parts = sorted(package.namelist())
        files = {f"{name}/{PARTS_LIST}": "".join(f"{p}\n" for p in parts).encode()}
        for part in parts:
            if any(fnmatch(part, pattern) for pattern in patterns):
                files[f"{name}/{part}"] = _pretty(package.read(part))
    return files


def produced(fmt: str, out: Path) -> dict[str, bytes]:
    """What the run wrote for ``fmt``'s source folder, as golden files (relative path -> bytes)."""
    folder = out / fmt / "source"
    files: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        if not is_output(path):
            continue
        rel = path.relative_to(folder).as_posix()
        if path.suffix in TEXT_PARTS:
            files.update(_office_files(rel, path.read_bytes()))
        else:
            files[rel] = path.read_bytes()
    return files


def expected(fmt: str, mode: str) -> dict[str, bytes]:
    folder = HERE / fmt / mode
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _write(fmt: str, mode: str, files: dict[str, bytes]) -> None:
    folder = HERE / fmt / mode
    shutil.rmtree(folder, ignore_errors=True)
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)


def test_every_format_has_a_source() -> None:
    assert set(FORMATS) >= {"markdown", "docx", "pptx", "xlsx", "csv", "json", "po", "yaml", "srt", "html"}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_output_matches_the_golden_files(fmt: str, mode: str, outputs) -> None:
    got = produced(fmt, outputs(mode))
    assert got, f"the run wrote nothing for tests/golden/{fmt}/source"
    if UPDATE:
        _write(fmt, mode, got)
    want = expected(fmt, mode)
    assert sorted(got) == sorted(want), f"files differ from tests/golden/{fmt}/{mode} (QMT_UPDATE_GOLDEN=1 remakes them)"
    for rel, data in got.items():
        assert data.decode("utf-8") == want[rel].decode("utf-8"), f"tests/golden/{fmt}/{mode}/{rel}"
