"""The HTML report in a real browser: headless Chromium, with JavaScript switched off, opens the
report of a job translated into Arabic and Japanese, a reader unticks every check but
``numbers``, and the page shows only those findings, each target cell laid out right to left
for Arabic and left to right for Japanese, with the changed number highlighted.

Driven by Selenium through Debian's ``chromium`` and ``chromium-driver`` (``.ci/run``
installs both; nothing is downloaded at run time). Skipped where they are not installed,
except in CI (``QMT_REQUIRE_SHARED=1``), where that fails."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from support import EMULATOR_KEY, shared_required

from pipeline.cli import main
from pipeline.emulator.pseudo import pseudo_translate

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
DOC = """# Shipping

The package weighs 1,250.5 kg and ships in 3 days.

You have {count} new messages.
"""
JOB = """input = "in"
output = "out/{lang}"
source_lang = "en"
target_langs = ["ar", "ja"]
base_url = "%s"

[run]
rpm = 0
tpm = 0
pack_tokens = 0
max_attempts = 1
"""


def damaged(text: str, lang: str, terms) -> str:
    """The emulator's pseudo translation, with the weight changed and the placeholder dropped,
    so the report has a numbers finding and a placeholders finding per language."""
    out = pseudo_translate(text, lang, terms)
    return out.replace("1,250.5", "1,260.5").replace("{count} ", "")


@pytest.fixture(scope="module")
def driver():
    if CHROMIUM is None or CHROMEDRIVER is None:
        reason = "chromium and chromium-driver are not installed"
        if shared_required():
            pytest.fail(f"{reason} (.ci/run installs them; QMT_REQUIRE_SHARED is set)")
        pytest.skip(reason)
    os.environ.setdefault("SE_OFFLINE", "true")         # Selenium Manager never fetches a browser
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    # The page is read with its scripts off: it must need none.
    options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield browser
    browser.quit()


@pytest.fixture
def report(tmp_path: Path, server, monkeypatch) -> Path:
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "ship.md").write_text(DOC, encoding="utf-8")
    (tmp_path / "job.toml").write_text(JOB % server.base_url, encoding="utf-8")
    server.set_mode(damaged)
    try:
        assert main(["translate", "job.toml"]) == 0
    finally:
        server.set_mode("pseudo")
    assert main(["check", "job.toml", "--html", "report.html"]) == 1
    return tmp_path / "report.html"


def test_filter_by_check_and_read_direction_and_highlight(driver, report: Path) -> None:
    from selenium.webdriver.common.by import By

    driver.get("data:text/html,<title>off</title><script>document.title = 'on'</script>")
    assert driver.title == "off"                          # the page's scripts really do not run
    driver.get(report.as_uri())
    rows = driver.find_elements(By.CSS_SELECTOR, "table.findings tbody tr")
    assert {r.get_attribute("data-check") for r in rows} >= {"numbers", "placeholders"}
    assert all(r.is_displayed() for r in rows)
    for box in driver.find_elements(By.CSS_SELECTOR, "#filters input[name='check']"):
        if box.get_attribute("value") != "numbers":
            box.click()                                    # untick: a click, no script on the page
    shown = [r for r in rows if r.is_displayed()]
    assert shown and {r.get_attribute("data-check") for r in shown} == {"numbers"}
    assert {r.get_attribute("data-lang") for r in shown} == {"ar", "ja"}
    hidden = [r for r in rows if not r.is_displayed()]
    assert hidden and {r.get_attribute("data-check") for r in hidden} == {"placeholders"}
    for row in shown:
        lang = row.get_attribute("data-lang")
        source, target = row.find_elements(By.CSS_SELECTOR, "td.seg")
        assert (source.get_attribute("dir"), source.value_of_css_property("direction")) == ("ltr", "ltr")
        want = "rtl" if lang == "ar" else "ltr"
        assert (target.get_attribute("lang"), target.get_attribute("dir")) == (lang, want)
        assert target.value_of_css_property("direction") == want            # as the browser lays it out
        marks = [m.text for m in row.find_elements(By.TAG_NAME, "mark")]
        # The changed number, highlighted where it is: in the source the weight that went
        # missing, or in the target the one that appeared instead.
        assert marks in (["1,250.5"], ["1,260.5"]), marks
        assert target.text == damaged(source.text, lang, ())       # the pseudo text in its script
