"""gettext PO/POT: msgstr spliced in, every other line kept; polib reads every output and
``msgfmt --check`` accepts it. Real catalogues: Django's English PO files (BSD-3), read
from the installed package."""
from __future__ import annotations

import difflib
from pathlib import Path

import polib
import pytest

from catalog_support import MSGFMT, MSGFMT_MISSING, PLURAL_LANGS, identity, load, msgfmt_check, pseudo, rebuild, sent
from pipeline.errors import FileError
from pipeline.formats.options import PoOptions
from pipeline.formats.po import HANDLER
from pipeline.formats.strings.message import PLACEHOLDER_RE

POT = """# Messages of the demo app.
# Copyright (C) 2024 The Demo Authors
#
#, fuzzy
msgid ""
msgstr ""
"Project-Id-Version: demo 1.0\\n"
"Report-Msgid-Bugs-To: \\n"
"POT-Creation-Date: 2024-05-01 10:00+0000\\n"
"PO-Revision-Date: YEAR-MO-DA HO:MI+ZONE\\n"
"Last-Translator: FULL NAME <EMAIL@ADDRESS>\\n"
"Language-Team: LANGUAGE <LL@li.org>\\n"
"Language: \\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=CHARSET\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=INTEGER; plural=EXPRESSION;\\n"

#. Translators: the verb, on the toolbar
#: app/toolbar.py:12
msgctxt "toolbar"
msgid "Open"
msgstr ""

# A translator's note kept as it is
#: app/views.py:40 app/views.py:77
#, python-format
msgid "Welcome back, %(name)s! You have %(count)d new messages."
msgstr ""

#: app/files.py:8
#, c-format
msgid "Deleted %d file"
msgid_plural "Deleted %d files"
msgstr[0] ""
msgstr[1] ""

#: app/help.py:3
msgid ""
"First line of the help.\\n"
"Second line with <b>bold</b> text."
msgstr ""

#: app/empty.py:1
msgid "42"
msgstr ""

#~ msgid "An obsolete string"
#~ msgstr "Eine veraltete Zeichenkette"
"""


def test_context_is_msgctxt_and_comments_never_sent():
    doc = load("messages.pot", POT)
    segments = {s.text: s for s in doc.segments()}
    assert segments["Open"].context == "toolbar | Translators: the verb, on the toolbar"
    assert not any("toolbar" in s.text or "app/" in s.text or "obsolete" in s.text for s in doc.segments())
    assert "Welcome back, <x1/>! You have <x2/> new messages." in segments


def test_identity_keeps_every_line_but_the_header():
    doc = load("messages.pot", POT, targets=("de",))
    out = rebuild(doc, "de", identity(doc, "de")).decode()
    changed = [line for line in difflib.unified_diff(POT.splitlines(), out.splitlines(), n=0, lineterm="")
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    # the header (and its fuzzy flag) and the msgstr lines, filled with the source text
    assert "-#, fuzzy" in changed
    assert '+"Language: de\\n"' in changed and '+"Plural-Forms: nplurals=2; plural=((((n == 1)) && ((0 == 0))) ? 0 : 1);\\n"' in changed
    assert '+"Content-Type: text/plain; charset=UTF-8\\n"' in changed
    assert all(line.startswith(('+msgstr', '-msgstr', '+"', '-"', "-#, fuzzy")) for line in changed), changed
    assert "#~ msgstr \"Eine veraltete Zeichenkette\"" in out and "#, python-format" in out


@pytest.mark.parametrize("code", PLURAL_LANGS)
def test_pseudo_output_reads_back_and_passes_msgfmt(code, tmp_path):
    doc = load("messages.pot", POT, targets=(code,))
    data = rebuild(doc, code, pseudo(doc, code))
    po = polib.pofile(data.decode("utf-8"))
    source = polib.pofile(POT)
    assert [(e.msgctxt, e.msgid, e.msgid_plural, e.flags, e.comment, e.tcomment, e.occurrences) for e in po] == \
        [(e.msgctxt, e.msgid, e.msgid_plural, e.flags, e.comment, e.tcomment, e.occurrences) for e in source]
    assert [e.msgid for e in po.obsolete_entries()] == ["An obsolete string"]
    assert po.metadata["Language"] == code and po.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    welcome = po.find("Welcome back, %(name)s! You have %(count)d new messages.")
    assert f"⟦{code}⟧" in welcome.msgstr and "%(name)s" in welcome.msgstr and "%(count)d" in welcome.msgstr
    assert po.find("42").msgstr == "42"        # nothing to translate: written as it is, complete
    assert po.find("First line of the help.\nSecond line with <b>bold</b> text.").msgstr.count("\n") == 1
    if MSGFMT is None:
        pytest.skip(MSGFMT_MISSING)
    (tmp_path / f"{code}.po").write_bytes(data)
    result = msgfmt_check(tmp_path / f"{code}.po")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("relpath,naming,expected", [
    ("locale/messages.pot", "auto", "locale/zh_TW/LC_MESSAGES/messages.po"),
    ("po/demo.pot", "auto", "po/zh_TW.po"),
    ("messages.pot", "lang", "zh_TW.po"),
    ("locale/en/LC_MESSAGES/django.po", "auto", "locale/zh_TW/LC_MESSAGES/django.po"),
    ("po/en.po", "auto", "po/zh_TW.po"),
    ("messages.pot", "keep", "messages.pot"),
])
def test_output_names(relpath, naming, expected):
    assert HANDLER.output_relpath(relpath, "zh_tw", PoOptions(naming=naming), None) == expected


def test_include_keys_over_msgctxt_and_msgid():
    doc = load("messages.pot", POT, options=PoOptions(include_keys=("toolbar|*", "Deleted*")))
    assert [s.text for s in doc.segments()][:1] == ["Open"]
    assert all(s.text == "Open" or "Deleted" in s.text for s in doc.segments())


def test_latin1_catalogue_is_written_as_utf8():
    text = POT.replace("charset=CHARSET", "charset=ISO-8859-1").replace('msgid "Open"', 'msgid "Öffnen"')
    doc = load("messages.pot", text.encode("latin-1"))
    out = rebuild(doc, "zh", pseudo(doc, "zh")).decode("utf-8")
    assert "charset=UTF-8" in out and 'msgid "Öffnen"' in out
    assert "written as UTF-8" in doc.decisions[0]


@pytest.mark.parametrize("text", ['msgid "a"\nmsgstr ""\nnonsense here\n', 'msgid "a"\nmsgstr ""\nmsgid "b" "c"\n'])
def test_bad_po_is_one_line_error(text):
    with pytest.raises(FileError) as err:
        load("messages.pot", text)
    assert "line 3" in err.value.reason and "\n" not in err.value.reason


# --- Django's own catalogues ---------------------------------------------------------


def _django_catalogues() -> list[Path]:
    try:
        import django
    except ImportError:
        return []
    return sorted(Path(django.__file__).parent.glob("**/locale/en/LC_MESSAGES/*.po"))


DJANGO = _django_catalogues()


@pytest.mark.skipif(not DJANGO, reason="Django is not installed (pip install -e '.[test]')")
def test_django_catalogues_pseudo_and_identity(tmp_path):
    entries = 0
    for path in DJANGO:
        data = path.read_bytes()
        doc = load("locale/en/LC_MESSAGES/django.po", data, targets=("de", "pl"))
        same = rebuild(doc, "de", identity(doc, "de")).decode()
        removed = [line for line in difflib.unified_diff(data.decode().splitlines(), same.splitlines(), n=0,
                                                         lineterm="") if line[:1] == "-" and line[:3] != "---"]
        assert all(line.startswith(("-msgstr", '-"')) for line in removed), (path, removed[:3])
        out = rebuild(doc, "pl", pseudo(doc, "pl"))
        po, source = polib.pofile(out.decode()), polib.pofile(data.decode())
        assert [(e.msgctxt, e.msgid, e.flags) for e in po] == [(e.msgctxt, e.msgid, e.flags) for e in source]
        assert all(e.translated() for e in po if any(c.isalpha() for c in PLACEHOLDER_RE.sub("", e.msgid))), path
        entries += len(po)
        if MSGFMT is not None:
            (tmp_path / "pl.po").write_bytes(out)
            result = msgfmt_check(tmp_path / "pl.po")
            assert result.returncode == 0, (path, result.stderr)
    assert entries > 500


def test_sent_once_per_language():
    doc = load("messages.pot", POT, targets=("ja", "ar"))
    assert len(sent(doc, "ja")) == 4 and len(sent(doc, "ar")) == 3 + 6


def test_untranslated_plural_entry_gets_the_target_number_of_empty_forms(tmp_path):
    """A plural entry whose forms did not all come back is written untranslated, in as
    many msgstr[n] as the header's Plural-Forms says, so the file stays valid."""
    doc = load("messages.pot", POT, targets=("ar",))
    translations = pseudo(doc, "ar")
    dropped = next(sid for sid in translations if "#p." in sid)
    del translations[dropped]
    data = rebuild(doc, "ar", translations)
    entry = polib.pofile(data.decode("utf-8")).find("Deleted %d file")
    assert entry.msgstr_plural == {i: "" for i in range(6)}
    assert polib.pofile(data.decode("utf-8")).find("Open", msgctxt="toolbar").msgstr.startswith("⟦ar⟧")
    if MSGFMT is None:
        pytest.skip(MSGFMT_MISSING)
    (tmp_path / "ar.po").write_bytes(data)
    result = msgfmt_check(tmp_path / "ar.po")
    assert result.returncode == 0, result.stderr
