"""The one chatter detector (:mod:`pipeline.translate.chatter`): what a model adds around a
translation, in several languages, and the translations it must leave alone."""
from __future__ import annotations

import pytest

from pipeline.translate.chatter import find_chatter

CHATTY = [
    # (source, translation, what the reason says)
    ("Hello world.", "Sure! Here is the French translation: Bonjour le monde.", "a preamble"),
    ("Hello world.", "Sure! Here is the French translation:\n\nBonjour le monde.", "a preamble"),
    ("Hello world.", "Translation: Bonjour le monde.", "a preamble"),
    ("Hello world.", "Voici la traduction : Bonjour le monde.", "a preamble"),
    ("Hello world.", "Hier ist die Übersetzung: Hallo Welt.", "a preamble"),
    ("Hello world.", "Aquí está la traducción: Hola mundo.", "a preamble"),
    ("Hello world.", "以下是翻译：你好，世界。", "a preamble"),
    ("Hello world.", "以下は翻訳です：こんにちは、世界。", "a preamble"),
    ("Hello world.", "다음은 번역입니다: 안녕하세요, 세계.", "a preamble"),
    ("Hello world.", "إليك الترجمة: مرحبا بالعالم.", "a preamble"),
    ("Hello world.", "Вот перевод: Привет, мир.", "a preamble"),
    ("Hello world.", "Bonjour le monde.\n\nLet me know if you need anything else!", "no counterpart"),
    ("Hello world.", "Bonjour le monde. Let me know if you need anything else!", "a pleasantry"),
    ("Hello world.", "Bonjour le monde. J'espère que cela vous aide !", "a pleasantry"),
    ("Hello world.", "Hallo Welt. Ich hoffe, das hilft!", "a pleasantry"),
    ("Hello world.", "你好，世界。希望这对您有帮助！", "a pleasantry"),
    ("Hello world.", "こんにちは、世界。お役に立てれば幸いです。", "a pleasantry"),
    ("Hello world.", "Привет, мир. Надеюсь, это поможет!", "a pleasantry"),
    ("Hello world.", "```\nBonjour le monde.\n```", "code fence"),
    ("Hello world.", '"Bonjour le monde."', "quotes"),
    ("Hello world.", "«Hola mundo.»", "quotes"),
    ("Hello world.", "Bonjour le monde. (Note: « monde » peut aussi se dire « univers ».)", "a note"),
    ("Hello world.", "你好，世界。（注：也可译为“大家好”。）", "a note"),
    ("Hello world.", "Bonjour le monde.\nAlternatively: Salut le monde.", "an alternative"),
    ("Hello world.", "Hallo Welt. (oder: Hallo, Welt!)", "an alternative"),
    ("Hello world.", "Hola mundo.\nO bien: Saludos, mundo.", "an alternative"),
]

CLEAN = [
    ("Translation: %s", "Traduction : %s"),                       # the source is a label too
    ('"Save" the file', "« Enregistrer » le fichier"),            # quotes the source has
    ('Click "Save"', "「保存」をクリック"),                        # quoting a word, not the whole
    ('"Hello," he said.', "«Bonjour», dit-il."),
    ("Let me know if you need anything else.", "Dites-moi si vous avez besoin d'autre chose. N'hésitez pas à me demander."),
    ("Note: you are 3 hours ahead.", "Remarque : vous avez 3 heures d'avance."),
    ("Here are your options:", "Voici vos options :"),
    ("Voici vos options :", "Here are your options:"),
    ("Hello (world)", "Bonjour (monde)"),
    ("Usage:\n  qmt check JOB", "Utilisation :\n  qmt check JOB"),
    ("First paragraph.\n\nSecond one.", "Premier paragraphe.\n\nLe second."),
    ("Run ```make``` first.", "Lancez d'abord ```make```."),
    ("Save", "保存"),
    ("The Tale of Genji", "『源氏物語』"),                          # a title's marks, not quotes
    ("", ""),
    ("Questions? Contact us.", "如有任何问题，请联系我们。"),          # "any questions" is not chatter
    ("Let us know what you think.", "Lassen Sie uns wissen, was Sie denken."),
    ("Don't hesitate to ask me.", "N'hésitez pas à me demander."),   # the source says it too
    ("We hope this helps you plan.", "希望这对您的规划有帮助。"),
    ("Run the following command\nto start: `x`", "Exécutez la commande suivante :\n`x` pour démarrer"),  # lines broken elsewhere
]


@pytest.mark.parametrize("source,translation,reason", CHATTY, ids=[c[1][:30] for c in CHATTY])
def test_chatter_is_found_with_what_it_is(source, translation, reason):
    found = find_chatter(translation, source)
    assert found is not None and reason in found.reason
    assert found.excerpt and found.excerpt in translation       # the report highlights it


@pytest.mark.parametrize("source,translation", CLEAN, ids=[c[1][:30] for c in CLEAN])
def test_a_translation_with_what_its_source_has_is_not_chatter(source, translation):
    assert find_chatter(translation, source) is None


def test_one_end_alone_is_what_the_llm_backend_checks():
    # With the frame's start lost, one opening quote is enough; the whole text needs both.
    assert find_chatter('"Bonjour le monde.', "Hello world.", head=True, tail=False) is not None
    assert find_chatter('"Bonjour le monde.', "Hello world.") is None
    # The head alone does not look at the end, nor the tail alone at the start.
    assert find_chatter("Bonjour.\n\nLet me know!", "Hello.", head=True, tail=False) is None
    assert find_chatter("Translation: Bonjour.", "Hello.", head=False, tail=True) is None
    # A first line ending in a colon is a preamble at an uncertain start; in a whole
    # translation only when it names the translation or stands apart.
    moved = ("Exécutez la commande suivante :\n`x` pour démarrer", "Run the following command\nto start: `x`")
    assert find_chatter(*moved, head=True, tail=False) is not None and find_chatter(*moved) is None
    assert find_chatter("Voilà :\n\nBonjour.", "Hello.") is not None
