"""A real client opens rebuilt presentations and workbooks: LibreOffice headless converts a
small sample (our generated deck and book, plus two corpus files of each) to OpenDocument,
and the translated text is in what it read. Skipped where ``soffice`` is not installed
(``.ci/run`` installs Debian's -nogui packages)."""
from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from pipeline.emulator.pseudo import pseudo_translate
from pipeline.formats.base import LoadContext
from pipeline.languages import lookup
from pipeline.segments import plain_text
from support import CORPUS

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

PPTX_SAMPLE = ("python-pptx__features__steps__test_files__tbl-cell.pptx",
               "python-pptx__features__steps__test_files__txt-font-props.pptx")
XLSX_SAMPLE = ("rust_xlsxwriter__tests__input__rich_string02.xlsx", "rust_xlsxwriter__tests__input__textbox03.xlsx")
pytestmark = [pytest.mark.needs_shared,
              pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")]


def _rebuilt(handler, name: str, data: bytes, folder: Path) -> tuple[Path, list[str]]:
    doc = handler.load(LoadContext(Path(name), data, None, None, (), relpath=name))
    translations = {s.id: pseudo_translate(s.text, "de") for s in doc.segments()}
    out = doc.rebuild(lookup("de"), translations)
    doc.verify(out)
    path = folder / name
    path.write_bytes(out)
    return path, list(translations.values())


def _convert(paths: list[Path], target: str, folder: Path) -> None:
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{folder}/lo", "--convert-to", target,
                    "--outdir", str(folder / "converted"), *map(str, paths)],
                   check=True, capture_output=True, timeout=300)


def _content(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("content.xml").decode("utf-8")


def _sample(folder: str, names: tuple[str, ...]) -> list[tuple[str, bytes]]:
    return [(n, (CORPUS / folder / n).read_bytes()) for n in names if (CORPUS / folder / n).is_file()]


def test_libreoffice_opens_translated_presentations(tmp_path):
    from pipeline.formats.pptx import HANDLER

    from ooxml_support import build_deck

    files = [("deck.pptx", build_deck())] + _sample("pptx", PPTX_SAMPLE)
    built = [_rebuilt(HANDLER, name, data, tmp_path) for name, data in files]
    _convert([p for p, _ in built], "odp", tmp_path)
    for path, texts in built:
        content = _content(tmp_path / "converted" / (path.stem + ".odp"))
        word = plain_text(texts[0]).replace("⟦de⟧ ", "").split()[0]
        assert word in content, path.name


def test_libreoffice_opens_translated_workbooks(tmp_path):
    from pipeline.formats.xlsx import HANDLER
    from ooxml_support import build_book

    files = [("book.xlsx", build_book())] + _sample("xlsx", XLSX_SAMPLE)
    built = [_rebuilt(HANDLER, name, data, tmp_path) for name, data in files]
    _convert([p for p, _ in built], "ods", tmp_path)
    content = _content(tmp_path / "converted" / "book.ods")
    assert pseudo_translate("Invoice shows the wrong amount", "de").replace("⟦de⟧ ", "") in content
    assert "T-1000" in content and "https://example.com/t/0" in content
    for path, _ in built[1:]:
        assert (tmp_path / "converted" / (path.stem + ".ods")).stat().st_size > 0


def test_libreoffice_reads_translated_pivot_captions_headers_and_form_controls(tmp_path):
    """The pivot table still reads its source fields, the footer keeps its page fields, the
    button shows its translated caption."""
    from pipeline.formats.xlsx import HANDLER
    from xlsx_extras import build_extras_book

    path, _ = _rebuilt(HANDLER, "extras.xlsx", build_extras_book(), tmp_path)
    _convert([path], "ods", tmp_path)
    content = _content(tmp_path / "converted" / "extras.ods")
    with zipfile.ZipFile(tmp_path / "converted" / "extras.ods") as z:
        styles = z.read("styles.xml").decode("utf-8")
    assert 'table:source-field-name="Region"' in content and "Data.A1:Data.B5" in content
    assert pseudo_translate("Refresh the report", "de").replace("⟦de⟧ ", "") in content
    footer = styles[styles.index("<style:footer>"):]
    assert "<text:page-number>" in footer and "<text:page-count>" in footer
    assert "öƒ" in footer[:footer.index("</style:footer>")]      # "of", pseudo-translated


def test_libreoffice_reads_translated_pivot_tables_of_real_workbooks(tmp_path):
    """Apache POI's workbooks saved by Excel (tests/corpus/xlsx/poi): every output opens, and
    each pivot table's data fields keep their source field with the translated caption."""
    from pipeline.formats.xlsx import HANDLER

    folder = Path(__file__).resolve().parents[2] / "corpus" / "xlsx" / "poi"
    built = [_rebuilt(HANDLER, p.name, p.read_bytes(), tmp_path) for p in sorted(folder.glob("*.xlsx"))]
    _convert([p for p, _ in built], "ods", tmp_path)
    for path, _ in built:
        assert (tmp_path / "converted" / (path.stem + ".ods")).stat().st_size > 0, path.name
    content = _content(tmp_path / "converted" / "DataTableCities.ods")
    caption = pseudo_translate("Sum of Population", "de")
    assert f'table:source-field-name="Population" tableooo:display-name="{caption}"' in content
