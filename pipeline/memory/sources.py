"""Reading glossary and TM files safely: XML without entities, CSV in a few shapes.

Glossaries and memories come from other tools and other people, so they are untrusted
input. XML is parsed with entity resolution, DTD loading and network access off (an
``<!ENTITY xxe SYSTEM "file:///etc/passwd">`` stays an unexpanded reference, a
"billion laughs" bomb never expands); any problem is a :class:`ConfigError` naming the
file, never a traceback.

CSV shapes (the header decides; a file without a recognised header is two columns,
source then target):

* ``source,target`` with optional ``source_lang`` and ``target_lang`` columns;
* one column per language code (``en,zh,ja`` or ``en-US,zh-CN``): the first column is
  the source, each other column a target.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from lxml import etree

from pipeline.errors import ConfigError
from pipeline.ledger.store import Entry as Entry  # re-exported; the store holds them too: defined below the memory
from pipeline.languages import Language, lookup

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SOURCE_NAMES = ("source", "src", "source_text", "term")
TARGET_NAMES = ("target", "tgt", "target_text", "translation")


def lang_code(value: str | None) -> str:
    """Our code for a language tag from a file (``en-US`` -> ``en``, ``zh-Hant`` -> ``zh_tw``);
    an unknown tag is kept lower-cased, so it simply matches no job language."""
    if not value:
        return ""
    lang = lookup(value)
    return lang.code if lang else value.strip().lower()


def bcp47(code: str) -> str:
    """A BCP-47 tag CAT tools expect for one of our codes (``zh`` -> ``zh-CN``)."""
    special = {"zh": "zh-CN", "zh_tw": "zh-TW", "": "und"}
    return special.get(code, code.replace("_", "-"))


def code_of(lang: Language | None) -> str:
    return lang.code if lang else ""


def parse_xml(path: Path, what: str) -> etree._Element:
    """The root element of an untrusted XML file; entities are never resolved."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             dtd_validation=False, huge_tree=False, remove_comments=True,
                             remove_pis=True)
    try:
        return etree.parse(str(path), parser).getroot()
    except (etree.XMLSyntaxError, OSError) as exc:
        raise ConfigError(f"not a readable {what} file: {exc}", source=str(path)) from None


def local(tag: object) -> str:
    """An element's name without its namespace ('' for comments and entity nodes)."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def read_csv(path: Path, what: str) -> list[Entry]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{what} CSV must be UTF-8", source=str(path)) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = [r for r in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in r)]
    if not rows:
        return []
    header = [c.strip().lower() for c in rows[0]]
    if _is_language_header(header):
        return _wide(rows, path, what)
    if any(h in SOURCE_NAMES for h in header) and any(h in TARGET_NAMES for h in header):
        return _named(rows, header, path, what)
    return _positional(rows, path, what)


def _is_language_header(header: list[str]) -> bool:
    return len(header) >= 2 and all(h and lookup(h) is not None for h in header) \
        and not any(h in SOURCE_NAMES + TARGET_NAMES for h in header)


def _wide(rows: list[list[str]], path: Path, what: str) -> list[Entry]:
    codes = [lang_code(h) for h in rows[0]]
    out = []
    for row in rows[1:]:
        src = row[0].strip() if row else ""
        for code, cell in zip(codes[1:], row[1:]):
            if src and cell.strip():
                out.append(Entry(src, cell.strip(), codes[0], code))
    return out


def _named(rows: list[list[str]], header: list[str], path: Path, what: str) -> list[Entry]:
    col = {name: i for i, name in enumerate(header)}
    si = next(col[n] for n in SOURCE_NAMES if n in col)
    ti = next(col[n] for n in TARGET_NAMES if n in col)
    sl, tl = col.get("source_lang"), col.get("target_lang")
    out = []
    for n, row in enumerate(rows[1:], start=2):
        def cell(i: int | None) -> str:
            return row[i].strip() if i is not None and i < len(row) else ""

        if cell(si) and cell(ti):
            out.append(Entry(cell(si), cell(ti), lang_code(cell(sl)), lang_code(cell(tl))))
        elif cell(si) or cell(ti):
            raise ConfigError(f"{what} CSV row {n}: source and target must both be given", source=str(path))
    return out


def _positional(rows: list[list[str]], path: Path, what: str) -> list[Entry]:
    out = []
    for n, row in enumerate(rows, start=1):
        if len(row) < 2:
            raise ConfigError(f"{what} CSV row {n}: expected source,target (or a header naming "
                              "source and target, or language codes)", source=str(path))
        langs = (lang_code(row[2]), lang_code(row[3])) if len(row) >= 4 else ("", "")
        if row[0].strip() and row[1].strip():
            out.append(Entry(row[0].strip(), row[1].strip(), *langs))
    return out
