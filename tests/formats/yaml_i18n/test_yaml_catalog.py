"""YAML catalogues (Rails style): values spliced in their own scalar style; PyYAML reads
every output back."""
from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml

from catalog_support import identity, load, pseudo, rebuild, sent, written
from pipeline.emulator.pseudo import reverse_pseudo
from pipeline.errors import FileError
from pipeline.formats import handler_for
from pipeline.formats.options import YamlOptions
from pipeline.formats.yaml_i18n import HANDLER

RAILS = """# Rails locale for the shop
en:
  defaults: &defaults
    greeting: "Hello, %{name}!"   # shown on the home page
    farewell: 'Don''t go'
  shop:
    <<: *defaults
    title: Welcome to the shop
    intro: |
      First line of the intro.

      Second paragraph with %{count} offers.
    summary: >-
      A folded
      summary line.
    buttons: {buy: "Buy now", cancel: Cancel}
    sizes:
      - Small
      - Large
      - 42
    in_stock: true
    cart:
      one: "%{count} item in your cart"
      other: "%{count} items in your cart"
  copy: *defaults
"""


def _leaves(data, path=""):
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _leaves(v, f"{path}/{k}")
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _leaves(v, f"{path}/{i}")
    else:
        yield path, data


def test_identity_changes_the_root_key_only():
    doc = load("config/locales/en.yml", RAILS, targets=("de",))
    out = rebuild(doc, "de", identity(doc, "de")).decode()
    assert out == RAILS.replace("\nen:\n", "\nde:\n")


def test_pseudo_changes_only_values_and_keeps_comments_anchors_styles():
    doc = load("config/locales/en.yml", RAILS, targets=("zh",))
    out = rebuild(doc, "zh", pseudo(doc, "zh")).decode()
    source, got = yaml.safe_load(RAILS)["en"], yaml.safe_load(out)["zh"]
    before, after = dict(_leaves(source)), dict(_leaves(got))
    assert list(after).count("/shop/cart/other") == 1 and "/shop/cart/one" not in after    # Chinese: other only
    before = {k: v for k, v in before.items() if "/cart/" not in k}
    assert list(before) == [k for k in after if "/cart/" not in k]
    for path, value in before.items():
        if isinstance(value, str) and "%{" not in value:
            assert reverse_pseudo(after[path], "zh").removeprefix("⟦zh⟧ ") == value, path
        elif not isinstance(value, str):
            assert after[path] == value
    assert got["copy"] == got["defaults"] and got["shop"]["greeting"] == got["defaults"]["greeting"]
    for kept in ("# Rails locale for the shop", "# shown on the home page", "&defaults", "<<: *defaults",
                 "copy: *defaults", "intro: |", "summary: >-", "farewell: '⟦zh⟧ " + written("Don", "zh") + "''" + written("t go", "zh") + "'", "in_stock: true"):
        assert kept in out, kept
    assert f"    title: ⟦zh⟧ {written('Welcome to the shop', 'zh')}\n" in out            # plain stays plain
    assert f'{{buy: "⟦zh⟧ {written("Buy now", "zh")}", cancel: "⟦zh⟧ {written("Cancel", "zh")}"}}' in out  # flow values quoted
    assert got["shop"]["intro"].endswith(f"%{{count}} {written('offers', 'zh')}.\n") and "\n\n" in got["shop"]["intro"]
    changed = [line for line in difflib.unified_diff(RAILS.splitlines(), out.splitlines(), n=0, lineterm="")
               if line[:1] == "-" and line[:3] != "---"]
    assert all(":" in line or line.startswith("-      ") or line.startswith("-      - ") for line in changed)


def test_anchor_value_is_sent_once():
    doc = load("config/locales/en.yml", RAILS)
    texts = [s.text for s in sent(doc, "zh")]
    assert texts.count("Hello, <x1/>!") == 1


def test_include_keys_select_by_path_below_the_language_key():
    doc = load("config/locales/en.yml", RAILS, options=YamlOptions(include_keys=("shop.*",),
                                                                   exclude_keys=("shop.sizes.*",)))
    assert [s.id for s in doc.segments() if "#" not in s.id] == ["shop.title", "shop.intro", "shop.summary",
                                                                  "shop.buttons.buy", "shop.buttons.cancel"]


def test_only_files_naming_a_language_are_catalogues():
    assert handler_for(Path("/app/config/locales/devise.en.yml")) is HANDLER
    assert handler_for(Path("/app/config/locales/en/models.yml")) is HANDLER
    assert handler_for(Path("/app/.github/workflows/ci.yml")) is None
    assert handler_for(Path("/app/docker-compose.yaml")) is None


@pytest.mark.parametrize("relpath,expected", [("config/locales/en.yml", "config/locales/zh-TW.yml"),
                                              ("config/locales/devise.en.yml", "config/locales/devise.zh-TW.yml"),
                                              ("locales/en/app.yml", "locales/zh-TW/app.yml")])
def test_output_names(relpath, expected):
    assert HANDLER.output_relpath(relpath, "zh_tw", YamlOptions(), None) == expected


@pytest.mark.parametrize("text,what", [("en:\n  a: [1, 2\n", "not valid YAML"),
                                       ("en:\n  a: b\n---\nen:\n  c: d\n", "2 YAML documents")])
def test_bad_yaml_is_one_line_error(text, what):
    with pytest.raises(FileError) as err:
        load("en.yml", text)
    assert what in err.value.reason and "\n" not in err.value.reason
