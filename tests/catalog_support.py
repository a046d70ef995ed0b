"""Helpers for the string-catalogue tests (JSON, PO, YAML): load a file as the runner
does, and translate it as the emulator would (pseudo) or not at all (identity)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pipeline.emulator.pseudo import pseudo_translate
from pipeline.formats import handler_for
from pipeline.formats.base import Document, LoadContext
from pipeline.languages import Language, lookup
from pipeline.segments import has_translatable_text

MSGFMT = shutil.which("msgfmt")
MSGFMT_MISSING = "msgfmt not installed (Debian package gettext)"
PLURAL_LANGS = ("ar", "ja", "pl", "ru", "zh", "cy")
# CLDR's cardinal categories of the plural test languages (unicode.org/cldr plural rules).
CLDR = {"ar": ("zero", "one", "two", "few", "many", "other"), "ja": ("other",),
        "pl": ("one", "few", "many", "other"), "ru": ("one", "few", "many", "other"), "zh": ("other",),
        "cy": ("zero", "one", "two", "few", "many", "other")}

# An Apple plural rule file, as Xcode writes it (the .stringsdict tests and the runs share it).
STRINGSDICT = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
    <!-- files in a folder -->
    <key>files_count</key>
    <dict>
        <key>NSStringLocalizedFormatKey</key>
        <string>You have %#@files@ in &lt;%@&gt;</string>
        <key>files</key>
        <dict>
            <key>NSStringFormatSpecTypeKey</key>
            <string>NSStringPluralRuleType</string>
            <key>NSStringFormatValueTypeKey</key>
            <string>d</string>
            <key>one</key>
            <string>%d file</string>
            <key>other</key>
            <string>%d files</string>
        </dict>
    </dict>
</dict>
</plist>
"""


def lang(code: str) -> Language:
    found = lookup(code)
    assert found is not None, code
    return found


def load(relpath: str, data: bytes | str, targets: tuple[str, ...] = ("zh",), source: str | None = "en",
         options=None, rebuilt: bool = False) -> Document:
    """The document of ``data`` read as ``relpath`` (its extension picks the format)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    path = Path("/in") / relpath
    handler = handler_for(path)
    assert handler is not None, relpath
    ctx = LoadContext(path, raw, options, lookup(source) if source else None, tuple(lang(c) for c in targets),
                      relpath=relpath, rebuilt=rebuilt)
    return handler.load(ctx)


def sent(doc: Document, code: str) -> list:
    """The segments the plan sends for ``code``: with text, and wanted by that language."""
    needed = doc.needs(lang(code))
    return [s for s in doc.segments() if has_translatable_text(s.text) and (needed is None or s.id in needed)]


def pseudo(doc: Document, code: str) -> dict[str, str]:
    return {s.id: pseudo_translate(s.text, code) for s in sent(doc, code)}


def written(text: str, code: str) -> str:
    """The emulator's pseudo text of ``text`` without its ``⟦code⟧`` marker: how a piece of a
    segment (the words after a placeholder, say) reads in the target's script."""
    return pseudo_translate(text, code).removeprefix(f"⟦{code}⟧ ")


def identity(doc: Document, code: str) -> dict[str, str]:
    return {s.id: s.text for s in sent(doc, code)}


def rebuild(doc: Document, code: str, translations: dict[str, str]) -> bytes:
    out = doc.rebuild(lang(code), translations)
    doc.verify(out)
    return out


def msgfmt_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([MSGFMT, "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True)
