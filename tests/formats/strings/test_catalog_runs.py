"""String catalogues through ``qmt translate`` and ``qmt estimate``, against the emulator:
outputs named per ecosystem and read back by independent readers, identity runs that
change nothing but the language markers, estimate and run agreeing on requests, a count
the model loses never written, and an unchanged key never sent again."""
from __future__ import annotations

import json
import plistlib
from pathlib import Path

import polib
import pytest
import yaml

from catalog_support import CLDR, MSGFMT, STRINGSDICT, msgfmt_check
from pipeline.cli import main
from pipeline.config import load_job, with_overrides
from pipeline.emulator import EmulatorServer
from pipeline.job.estimate import estimate_job
from pipeline.job.progress import Progress
from pipeline.job.run import EXIT_OK, EXIT_PARTIAL, pool_settings, region_of, run_job
from pipeline.translate.qwen_backend import QwenBackend

KEY = "sk-catalog0123456789abcdef"

I18NEXT = """{
  "nav": {"home": "Home", "settings": "Settings"},
  "inbox_one": "You have {{count}} new message",
  "inbox_other": "You have {{count}} new messages",
  "files": "{count, plural, =0 {No files in {folder}} one {# file in {folder}} other {# files in {folder}}}",
  "greeting": "Hello, <b>{{name}}</b>! Open $t(nav.settings)."
}
"""
ARB = """{
  "@@locale": "en",
  "title": "Photo album",
  "@title": {"description": "App bar title"}
}
"""
POT = """#, fuzzy
msgid ""
msgstr ""
"Language: \\n"
"Content-Type: text/plain; charset=CHARSET\\n"
"Plural-Forms: nplurals=INTEGER; plural=EXPRESSION;\\n"

#. the verb
msgctxt "toolbar"
msgid "Open"
msgstr ""

#, c-format
msgid "%d file was deleted"
msgid_plural "%d files were deleted"
msgstr[0] ""
msgstr[1] ""
"""
RAILS = """en:
  shop:
    title: Welcome   # the heading
    cart:
      one: "%{count} item"
      other: "%{count} items"
"""
XCSTRINGS = """{
  "sourceLanguage" : "en",
  "strings" : {
    "Settings" : {

    },
    "%lld photos" : {
      "localizations" : {
        "en" : {
          "variations" : {
            "plural" : {
              "one" : {
                "stringUnit" : {
                  "state" : "translated",
                  "value" : "%lld photo"
                }
              },
              "other" : {
                "stringUnit" : {
                  "state" : "translated",
                  "value" : "%lld photos"
                }
              }
            }
          }
        }
      }
    }
  },
  "version" : "1.0"
}
"""
ANDROID = """<?xml version="1.0" encoding="utf-8"?>
<resources>
    <string name="title">Albums</string>
    <plurals name="photos">
        <item quantity="one">%d photo</item>
        <item quantity="other">%d photos</item>
    </plurals>
</resources>
"""
XLIFF = (Path(__file__).parents[1] / "xliff_file/fixtures/angular-i18n/messages.xlf").read_text("utf-8")
PROPERTIES = "# login screen\nwelcome = Welcome, {0}!\nlogin = Log in\n"
APPLE = '/* main screen */\n"title" = "Welcome, %@!";\n'
FILES = {"android/res/values/strings.xml": ANDROID, "java/messages.properties": PROPERTIES,
         "ios/en.lproj/Localizable.strings": APPLE,
         "ios/en.lproj/Localizable.stringsdict": STRINGSDICT,
         "xc/App/Localizable.xcstrings": XCSTRINGS,
         "web/locales/en/app.json": I18NEXT, "mobile/l10n/app_en.arb": ARB, "py/locale/messages.pot": POT,
         "rails/config/locales/en.yml": RAILS, "web/package.json": '{"name": "web", "version": "1.0.0"}\n',
         "xliff/src/locale/messages.xlf": XLIFF}


@pytest.fixture
def folder(tmp_path) -> Path:
    root = tmp_path / "in"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_pseudo_run_names_outputs_per_ecosystem_and_readers_read_them(folder, tmp_path):
    out = tmp_path / "out"
    assert main(["translate", str(folder), "--to", "pl", "--to", "ja", "--out", f"{out}/{{lang}}",
                 "--emulator"]) == EXIT_OK
    for code in ("pl", "ja"):
        app = json.loads((out / code / "web/locales" / code / "app.json").read_text("utf-8"))
        assert [k for k in app if k.startswith("inbox_")] == [f"inbox_{c}" for c in CLDR[code]]
        assert all("{{count}}" in app[f"inbox_{c}"] for c in CLDR[code])
        assert "<b>{{name}}</b>" in app["greeting"] and "$t(nav.settings)" in app["greeting"]
        arb = json.loads((out / code / f"mobile/l10n/app_{code}.arb").read_text("utf-8"))
        assert arb["@@locale"] == code and arb["@title"] == {"description": "App bar title"}
        po_path = out / code / "py/locale" / code / "LC_MESSAGES/messages.po"
        po = polib.pofile(str(po_path))
        assert len(po.find("%d file was deleted").msgstr_plural) == len(CLDR[code])
        if MSGFMT is not None:
            assert msgfmt_check(po_path).returncode == 0
        rails = yaml.safe_load((out / code / f"rails/config/locales/{code}.yml").read_text("utf-8"))
        assert tuple(rails[code]["shop"]["cart"]) == CLDR[code]
        assert "# the heading" in (out / code / f"rails/config/locales/{code}.yml").read_text("utf-8")
        strings = (out / code / f"android/res/values-{code}/strings.xml").read_text("utf-8")
        assert strings.count("<item quantity=") == len(CLDR[code])
        assert "{0}" in (out / code / f"java/messages_{code}.properties").read_text("utf-8")
        assert "%@" in (out / code / f"ios/{code}.lproj/Localizable.strings").read_text("utf-8")
        rule = plistlib.loads((out / code / f"ios/{code}.lproj/Localizable.stringsdict").read_bytes())
        assert tuple(k for k in rule["files_count"]["files"] if not k.startswith("NS")) == CLDR[code]
    catalog = json.loads((out / "all/xc/App/Localizable.xcstrings").read_text("utf-8"))     # one file, every language
    photos = catalog["strings"]["%lld photos"]["localizations"]
    assert list(photos) == ["en", "ja", "pl"] and tuple(photos["pl"]["variations"]["plural"]) == CLDR["pl"]
    assert not list(out.glob("*/web/package.json"))          # not a catalogue: left alone


def test_identity_run_changes_only_language_markers(folder, tmp_path):
    out = tmp_path / "same"
    assert main(["translate", str(folder), "--to", "de", "--out", f"{out}/{{lang}}", "--emulator",
                 "identity"]) == EXIT_OK
    de = out / "de"
    assert (de / "web/locales/de/app.json").read_text("utf-8") == I18NEXT
    assert (de / "mobile/l10n/app_de.arb").read_text("utf-8") == ARB.replace('"en"', '"de"')
    assert (de / "rails/config/locales/de.yml").read_text("utf-8") == RAILS.replace("en:", "de:", 1)
    assert (de / "java/messages_de.properties").read_text("utf-8") == PROPERTIES
    assert (de / "ios/de.lproj/Localizable.strings").read_text("utf-8") == APPLE
    assert (de / "android/res/values-de/strings.xml").read_text("utf-8") == ANDROID
    po = (de / "py/locale/de/LC_MESSAGES/messages.po").read_text("utf-8")
    assert po.split("\n\n", 1)[1].replace('msgstr "Open"', 'msgstr ""') == POT.split("\n\n", 1)[1] \
        .replace('msgstr[0] ""\nmsgstr[1] ""', 'msgstr[0] "%d file was deleted"\nmsgstr[1] "%d files were deleted"')


def _job(folder: Path, tmp_path: Path, sub: str, extra: str = "") -> object:
    path = tmp_path / f"{sub}.toml"
    path.write_text(f'input = "{folder / sub}"\noutput = "{tmp_path}/o-{sub}/{{lang}}"\nsource_lang = "en"\n'
                    f'target_langs = ["ar", "ja", "pl"]\n[run]\nrpm = 0\ntpm = 0\npack_tokens = 60\n{extra}',
                    encoding="utf-8")
    return load_job(path)


def _run(job, server):
    backend = QwenBackend(api_key=KEY, base_url=server.base_url, timeout=10)
    return run_job(with_overrides(job, base_url=server.base_url), backend=backend, progress=Progress(interactive=False))


@pytest.mark.parametrize("sub", ["web", "mobile", "py", "rails", "android", "java", "ios", "xc", "xliff"])
def test_estimate_and_run_agree_on_requests(folder, tmp_path, sub):
    job = _job(folder, tmp_path, sub)
    est = estimate_job(job, pool_settings(job), region_of(job))
    assert est.requests > 0
    with EmulatorServer(mode="pseudo", output_tokens="source") as server:
        result = _run(job, server)
        assert result.exit_code == EXIT_OK
        assert est.requests == server.billing.received


def test_a_count_the_model_drops_is_never_written(folder, tmp_path):
    """A glossary term makes the emulator write Arabic ``few`` without its number: the
    value keeps its source, the file is partial, the other values are written."""
    (tmp_path / "terms.csv").write_text("source,target\n3 new messages,بضع رسائل جديدة\n", encoding="utf-8")
    job = _job(folder, tmp_path, "web", extra="")
    job = with_overrides(job, terms_file=tmp_path / "terms.csv")
    with EmulatorServer(mode="pseudo") as server:
        result = _run(job, server)
    assert result.exit_code == EXIT_PARTIAL
    app = json.loads((tmp_path / "o-web/ar/locales/ar/app.json").read_text("utf-8"))
    assert app["inbox_one"] == "You have {{count}} new message" and "inbox_few" not in app   # source kept
    assert app["nav"]["home"] != "Home"                                                      # the rest written
    problems = [p for f in result.files for p in f.problems if p.status == "fallback"]
    assert problems and all("did not come back" in p.reason or "inbox" in p.reason for p in problems)
    ja = json.loads((tmp_path / "o-web/ja/locales/ja/app.json").read_text("utf-8"))
    assert list(k for k in ja if k.startswith("inbox_")) == ["inbox_other"]


def test_unchanged_keys_are_not_sent_again_and_a_new_key_costs_one_segment(folder, tmp_path):
    job = _job(folder, tmp_path, "rails")
    with EmulatorServer(mode="pseudo") as server:
        assert _run(job, server).exit_code == EXIT_OK
        first = server.billing.received
        assert _run(job, server).exit_code == EXIT_OK
        assert server.billing.received == first                     # nothing sent again
        src = folder / "rails/config/locales/en.yml"
        src.write_text(RAILS + "  footer: Thanks for shopping\n", encoding="utf-8")
        est = estimate_job(with_overrides(job, base_url=server.base_url), pool_settings(job), region_of(job))
        assert est.requests == 3 and est.units == 3                # one segment, in each of the three languages
        assert _run(job, server).exit_code == EXIT_OK
        assert server.billing.received == first + 3
    assert "footer: ⟦pl⟧ Ţĥáñķš ƒöŕ šĥöþþíñĝ" in (tmp_path / "o-rails/pl/config/locales/pl.yml").read_text("utf-8")


def test_bad_options_are_config_errors(tmp_path, folder, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(f'input = "{folder}"\noutput = "{tmp_path}/x/{{lang}}"\ntarget_langs = ["zh"]\n'
                    '[po]\nnaming = "flat"\n', encoding="utf-8")
    assert main(["estimate", str(path)]) == 2
    assert "po.naming" in capsys.readouterr().err
    path.write_text(f'input = "{folder}"\noutput = "{tmp_path}/x/{{lang}}"\ntarget_langs = ["zh"]\n'
                    '[json]\ninclude_key = ["a.*"]\n', encoding="utf-8")
    assert main(["estimate", str(path)]) == 2
    assert "json.include_key" in capsys.readouterr().err


def test_qa_and_xliff_see_each_language_s_own_plural_forms(folder, tmp_path):
    from pipeline.review.qa.snapshot import job_state

    job = _job(folder, tmp_path, "web")
    with EmulatorServer(mode="pseudo") as server:
        assert _run(job, server).exit_code == EXIT_OK
        state = job_state(with_overrides(job, base_url=server.base_url))
    rows = {code: [r for r in state.rows() if r.lang.code == code] for code in ("ar", "ja", "pl")}
    inbox = {code: sorted(r.segment.text for r in found if "new message" in r.segment.text) for code, found in rows.items()}
    assert len(inbox["ar"]) == 6 and len(inbox["pl"]) == 4 and inbox["ja"] == ["You have 2 new messages"]
    assert all(r.target for found in rows.values() for r in found)       # every row answered


def test_a_reviewers_edit_to_a_committed_po_is_kept(folder, tmp_path):
    """The PO output is read back by the catalogue's ids (msgctxt and msgid), so an edited
    msgstr in the committed output counts as the reviewed translation on the next run."""
    job = _job(folder, tmp_path, "py")
    out = tmp_path / "o-py/pl/locale/pl/LC_MESSAGES/messages.po"
    with EmulatorServer(mode="pseudo") as server:
        assert _run(job, server).exit_code == EXIT_OK
        machine = polib.pofile(str(out)).find("Open", msgctxt="toolbar").msgstr
        assert machine.startswith("⟦pl⟧")
        out.write_text(out.read_text("utf-8").replace(f'msgstr "{machine}"', 'msgstr "Otwórz"'), encoding="utf-8")
        before = server.billing.received
        result = _run(job, server)
        assert result.exit_code == EXIT_OK and server.billing.received == before
    assert polib.pofile(str(out)).find("Open", msgctxt="toolbar").msgstr == "Otwórz"
