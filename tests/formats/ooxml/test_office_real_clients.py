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


def _content(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("content.xml").decode("utf-8")


def _sample(folder: str, names: tuple[str, ...]) -> list[tuple[str, bytes]]:
    return [(n, (CORPUS / folder / n).read_bytes()) for n in names if (CORPUS / folder / n).is_file()]


POI = Path(__file__).resolve().parents[2] / "corpus" / "xlsx" / "poi"


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> dict[str, list[tuple[Path, list[str]]]]:
    """Every file the tests below open, rebuilt in German and converted by LibreOffice:
    group name -> [(the rebuilt file, the translations written)]. One soffice call for
    the presentations and one for the workbooks, in one profile: a start of LibreOffice
    costs about 1 s of CPU whatever it converts (more in a new profile), and the four tests
    each started one in a profile of its own (this file: 11 s of CPU then, 9 s now)."""
    from pipeline.formats.pptx import HANDLER as PPTX
    from pipeline.formats.xlsx import HANDLER as XLSX

    from ooxml_support import build_book, build_deck
    from xlsx_extras import build_extras_book

    folder = tmp_path_factory.mktemp("office")
    groups = {
        "decks": [_rebuilt(PPTX, n, d, folder) for n, d in [("deck.pptx", build_deck())] + _sample("pptx", PPTX_SAMPLE)],
        "books": [_rebuilt(XLSX, n, d, folder) for n, d in [("book.xlsx", build_book())] + _sample("xlsx", XLSX_SAMPLE)],
        "extras": [_rebuilt(XLSX, "extras.xlsx", build_extras_book(), folder)],
        "poi": [_rebuilt(XLSX, p.name, p.read_bytes(), folder) for p in sorted(POI.glob("*.xlsx"))],
    }
    names = [path.name for group in groups.values() for path, _ in group]
    assert len({Path(n).stem for n in names}) == len(names)     # one converted file each
    for target, kinds in (("odp", ("decks",)), ("ods", ("books", "extras", "poi"))):
        paths = [str(path) for kind in kinds for path, _ in groups[kind]]
        subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{folder}/lo", "--convert-to", target,
                        "--outdir", str(folder / "converted"), *paths], check=True, capture_output=True, timeout=300)
    return groups


def _out(path: Path, suffix: str) -> Path:
    return path.parent / "converted" / (path.stem + suffix)


def test_libreoffice_opens_translated_presentations(converted):
    for path, texts in converted["decks"]:
        content = _content(_out(path, ".odp"))
        word = plain_text(texts[0]).replace("⟦de⟧ ", "").split()[0]
        assert word in content, path.name


def test_libreoffice_opens_translated_workbooks(converted):
    book, *others = converted["books"]
    content = _content(_out(book[0], ".ods"))
    assert pseudo_translate("Invoice shows the wrong amount", "de").replace("⟦de⟧ ", "") in content
    assert "T-1000" in content and "https://example.com/t/0" in content
    for path, _ in others:
        assert _out(path, ".ods").stat().st_size > 0


def test_libreoffice_reads_translated_pivot_captions_headers_and_form_controls(converted):
    """The pivot table still reads its source fields, the footer keeps its page fields, the
    button shows its translated caption."""
    ((path, _),) = converted["extras"]
    content = _content(_out(path, ".ods"))
    with zipfile.ZipFile(_out(path, ".ods")) as z:
        styles = z.read("styles.xml").decode("utf-8")
    assert 'table:source-field-name="Region"' in content and "Data.A1:Data.B5" in content
    assert pseudo_translate("Refresh the report", "de").replace("⟦de⟧ ", "") in content
    footer = styles[styles.index("<style:footer>"):]
    assert "<text:page-number>" in footer and "<text:page-count>" in footer
    assert "öƒ" in footer[:footer.index("</style:footer>")]      # "of", pseudo-translated


def test_libreoffice_reads_translated_pivot_tables_of_real_workbooks(converted):
    """Apache POI's workbooks saved by Excel (tests/corpus/xlsx/poi): every output opens, and
    each pivot table's data fields keep their source field with the translated caption."""
    for path, _ in converted["poi"]:
        assert _out(path, ".ods").stat().st_size > 0, path.name
    (cities,) = [path for path, _ in converted["poi"] if path.name == "DataTableCities.xlsx"]
    content = _content(_out(cities, ".ods"))
    caption = pseudo_translate("Sum of Population", "de")
    assert f'table:source-field-name="Population" tableooo:display-name="{caption}"' in content
