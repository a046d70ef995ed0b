"""Xcode string catalogs: every language in one file; reviewed localizations kept, new
ones added in Xcode's layout with state needs_review; the json module reads the output."""
from __future__ import annotations

import json

from catalog_support import CLDR, lang, load, pseudo
from pipeline.formats.apple_strings.xcstrings import HANDLER

CATALOG = """{
  "sourceLanguage" : "en",
  "strings" : {
    "" : {

    },
    "Hello, %@!" : {
      "comment" : "Greeting on the home screen",
      "localizations" : {
        "de" : {
          "stringUnit" : {
            "state" : "translated",
            "value" : "Hallo, %@!"
          }
        }
      }
    },
    "Internal" : {
      "shouldTranslate" : false
    },
    "files" : {
      "localizations" : {
        "en" : {
          "variations" : {
            "plural" : {
              "one" : {
                "stringUnit" : {
                  "state" : "translated",
                  "value" : "%lld file"
                }
              },
              "other" : {
                "stringUnit" : {
                  "state" : "translated",
                  "value" : "%lld files"
                }
              }
            }
          }
        }
      }
    },
    "Settings" : {

    }
  },
  "version" : "1.0"
}
"""
REL = "App/Localizable.xcstrings"
TARGETS = ("de", "pl", "zh")


def _run(targets=TARGETS):
    doc = load(REL, CATALOG, targets=targets)
    out = doc.rebuild_combined({lang(c): pseudo(doc, c) for c in targets})
    doc.verify(out)
    return doc, out.decode()


def test_what_is_sent_per_language():
    doc = load(REL, CATALOG, targets=TARGETS)
    wanted = {s.id: sorted(c for c in TARGETS if s.id in doc.needs(lang(c))) for s in doc.segments()}
    assert wanted["Hello, %@!"] == ["pl", "zh"]          # German is translated already: kept, not sent
    assert "Internal" not in wanted and "" not in wanted   # shouldTranslate false; nothing to translate
    assert wanted["Settings"] == ["de", "pl", "zh"]       # no localization: the key is the source text


def test_localizations_added_in_xcode_layout_and_states():
    _, out = _run()
    data = json.loads(out)["strings"]
    assert data["Hello, %@!"]["localizations"]["de"]["stringUnit"] == {"state": "translated", "value": "Hallo, %@!"}
    pl = data["Hello, %@!"]["localizations"]["pl"]["stringUnit"]
    assert pl["state"] == "needs_review" and pl["value"].endswith("%@!")
    assert list(data["files"]["localizations"]) == ["de", "en", "pl", "zh-Hans"]
    for code, tag in (("de", "de"), ("pl", "pl"), ("zh", "zh-Hans")):
        forms = data["files"]["localizations"][tag]["variations"]["plural"]
        assert tuple(forms) == (CLDR[code] if code in CLDR else ("one", "other"))
        assert all("%lld" in f["stringUnit"]["value"] for f in forms.values())
    assert '    "Internal" : {\n      "shouldTranslate" : false\n    },\n' in out
    assert '        "pl" : {\n          "stringUnit" : {\n            "state" : "needs_review",\n' in out


def test_untouched_strings_keep_their_bytes():
    _, out = _run(("de",))
    before = CATALOG.split('"files"')[0]
    assert out.split('"files"')[0] == before             # German was done for everything before "files"


def test_one_output_for_every_language():
    assert HANDLER.output_relpath(REL, "zh", None, None) == REL
    assert load(REL, CATALOG).combined
