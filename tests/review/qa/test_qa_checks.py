"""Each QA check on tiny inline segments: what it finds, and what it must not find."""
from __future__ import annotations

from pipeline.languages import resolve
from pipeline.memory.terms import Glossary
from pipeline.memory.sources import Entry
from pipeline.review.qa.checks import Checker, check_numbers, check_placeholders, end_class, inconsistencies, length_outliers
from pipeline.review.qa.options import QaOptions
from pipeline.review.qa.snapshot import Row
from pipeline.segments import Segment

FR, ZH, EN = resolve("fr"), resolve("zh"), resolve("en")


def row(source: str, target: str | None, lang=FR, sid: str = "1", origin: str = "mt") -> Row:
    return Row("doc.md", lang, Segment(sid, source, "paragraph"), target, origin if target is not None else "")


def checks_of(source: str, target: str | None, lang=FR, glossary: Glossary | None = None, **grades) -> dict[str, str]:
    found = Checker(QaOptions(**grades), glossary).segment(row(source, target, lang), EN)
    return {f.check: f.message for f in found}


def test_a_faithful_translation_has_no_finding():
    assert checks_of("You have {count} new <g1>messages</g1> (1,250.5 MB) at https://x.org/a.",
                     "Vous avez {count} nouveaux <g1>messages</g1> (1 250,5 Mo) à https://x.org/a.") == {}


def test_tags_dropped_or_invented():
    assert "missing <x1/>" in checks_of("Press <x1/> now.", "Appuyez maintenant.")["tags"]
    assert "unexpected <g2>" in checks_of("Go.", "<g2>Allez</g2>.")["tags"]


def test_placeholders_of_every_syntax():
    for ph in ("{count}", "%s", "%1$d", "{{name}}", "${x}", "<b>"):
        hits = check_placeholders(f"Value {ph} here.", "Valeur ici.")
        assert [h[2] for h in hits] == [ph], ph
    assert check_placeholders("See %1$d and %2$s.", "Voir %2$s et %1$d.") == []  # reordering is fine


def test_numbers_allow_locale_separators_but_not_other_numbers():
    for written in ("1,000.5", "1.000,5", "1 000,5", "1\u202f000,5"):
        assert check_numbers("It costs 1,000.5 euros.", f"Cela coûte {written} euros.") == [], written
    assert [h[0] for h in check_numbers("Version 3 of 7.", "Version 3 sur 8.")] == [
        "number 7 missing or changed", "number 8 not in the source"]
    assert check_numbers("Call 2 people.", "Appelez ２ personnes.") == []  # full-width digits


def test_urls_emails_and_inline_code_unchanged():
    found = checks_of("Mail a@b.com, see https://ex.com/x and run `make test`.",
                      "Écrivez à a@b.fr, voir https://ex.com/y et lancez `make tests`.")
    assert set(found) >= {"urls", "emails", "code"}


def test_chatter_a_model_or_a_reviewer_left_in_the_translation():
    assert "a preamble" in checks_of("Save the file.", "Sure! Here is the French translation: Enregistrez le fichier.")[
        "chatter"]
    assert "a pleasantry" in checks_of("Save the file.", "保存文件。如果您需要其他帮助，请告诉我。", ZH)["chatter"]
    assert "quotes" in checks_of("Save the file.", '"Enregistrez le fichier."')["chatter"]
    assert checks_of("Save the file.", "Enregistrez le fichier.") == {}
    assert checks_of("Save the file.", "Translation: Enregistrez le fichier.", chatter="off") == {}


def test_glossary_terms_honoured():
    glossary = Glossary([Entry("Acme Sync", "Acme Synchro", "en", "fr")])
    assert "Acme Synchro" in checks_of("Open Acme Sync.", "Ouvrez Acme Sync.", glossary=glossary)["glossary"]
    assert checks_of("Open Acme Sync.", "Ouvrez Acme Synchro.", glossary=glossary) == {}


def test_untranslated_equal_missing_or_still_in_source_script():
    assert "untranslated" in checks_of("Open the settings.", "Open the settings.")
    assert "no translation stored" in checks_of("Open the settings.", None)["untranslated"]
    assert "Latin script" in checks_of("Open the settings panel now.", "Open the settings panel now!", lang=ZH)[
        "untranslated"]
    assert "untranslated" not in checks_of("Open the settings panel now.", "现在打开设置面板。", lang=ZH)
    assert checks_of("Vite", "Vite") == {}  # one word (a name) may stay as it is
    english = "Open the settings panel and click the Save button to keep your changes."
    assert "still in English" in checks_of(english, "Open the settings and press Save to keep all of your edits.")[
        "untranslated"]
    for target in ("Ouvrez le panneau des réglages et cliquez sur Enregistrer pour garder vos modifications.",
                   "Öffnen Sie die Einstellungen und klicken Sie auf Speichern, was also Ihre Änderungen behält."):
        assert checks_of(english, target) == {}, target


def test_whitespace_and_end_punctuation():
    found = checks_of(" Save.", "Enregistrer")
    assert "leading whitespace" in found["whitespace"] and "punctuation" in found
    assert checks_of("Really?", "Vraiment ?") == {}
    assert end_class("他说：“好。”") == "." and end_class("Wait...") == "…"
    assert checks_of("完成。", "Done.", lang=EN) == {}


def test_doubled_words_but_not_across_tags():
    assert "doubled_words" in checks_of("Open the file.", "Ouvrez le le fichier.")
    assert checks_of("Switch to <x1/> to align.", "Passez à <x1/> à aligner.") == {}


def test_grades_are_configurable():
    assert checks_of("Open the file.", "Ouvrez le le fichier.", doubled_words="off") == {}
    found = Checker(QaOptions(numbers="warning")).segment(row("1 cat.", "2 chats."), EN)
    assert {(f.check, f.severity) for f in found} == {("numbers", "warning")}


def test_length_outliers_are_learned_from_the_job():
    rows = [row(f"This is a normal sentence number {i} here.", f"Ceci est une phrase normale numéro {i} ici.",
                sid=str(i)) for i in range(10)]
    rows.append(row("This one is translated far too long here.", "x" * 400, sid="99"))
    flagged = [r.segment.id for r, _ in length_outliers(rows)]
    assert flagged == ["99"]
    # Too few segments to learn from: the usual ratio of English -> French decides, with a
    # wider margin; without one (another source language) nothing is flagged.
    assert [r.segment.id for r, _ in length_outliers(rows[:5] + rows[-1:])] == ["99"]
    assert length_outliers(rows[:5], "en") == []
    assert length_outliers(rows[:5] + rows[-1:], "ja") == []


def test_inconsistency_both_ways():
    rows = [row("Save", "Enregistrer", sid="1"), row("Save", "Sauver", sid="2"),
            row("Close", "Fermer", sid="3"), row("Shut", "Fermer", sid="4"), row("save", "enregistrer", sid="5")]
    one_to_many, many_to_one = inconsistencies(rows)
    assert sorted(r.segment.id for r, _ in one_to_many) == ["1", "2"]
    assert sorted(r.segment.id for r, _ in many_to_one) == ["3", "4"]


def test_names_codes_and_kept_terms_are_not_untranslated():
    for kept in ("PostgreSQL 16.2 on IPv6", "%(name)s: {count} KB", "get_absolute_url() README.md", "Model: {name}"):
        assert "untranslated" not in checks_of(kept, kept, lang=ZH), kept
    brand = "Acme Cloud Sync Studio"
    assert "untranslated" in checks_of(brand, brand)
    keep = Glossary([Entry(brand, brand, "en", "fr")])              # a do-not-translate term
    assert "untranslated" not in checks_of(brand, brand, glossary=keep)
