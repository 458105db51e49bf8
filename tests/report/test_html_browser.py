"""The HTML page in a real browser: Debian's headless Chromium, driven by Selenium through
Debian's chromedriver, opening the file offline. Nothing is downloaded: Selenium Manager is
kept offline and both executables are given by path.

Needs ``apt-get install chromium chromium-driver`` and ``pip install selenium`` (the dev extra);
skipped without Chromium, a failure in CI (see conftest.py).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lineage.cli.render import render

DATA = Path(__file__).parents[1] / "data" / "render"
TINY = ["--no-registry", "-f", str(DATA / "tiny.yaml"), "-f", str(DATA / "community.yaml")]
pytestmark = pytest.mark.needs("chromium")
CHROMIUM = os.environ.get("LINEAGE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("LINEAGE_CHROMEDRIVER", "/usr/bin/chromedriver")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not fetch a browser or driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for exe in (CHROMIUM, CHROMEDRIVER):
        assert shutil.which(exe), f"{exe} missing: apt-get install chromium chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync", "--disable-dev-shm-usage",
                f"--user-data-dir={profile}", "--window-size=1400,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def page(tmp_path: Path, *args: str) -> str:
    out = tmp_path / "lineage.html"
    result = CliRunner().invoke(render, [*args, "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out.as_uri()


def test_one_node_per_model_and_a_breakdown_on_hover(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    browser.get(page(tmp_path, *TINY))
    nodes = browser.find_elements(By.CSS_SELECTOR, "#diagram g.node")
    models = [n for n in nodes if n.get_attribute("id")[0] == "n"]
    assert len(models) == 10  # tiny.yaml and community.yaml declare ten models
    tip = browser.find_element(By.ID, "tip")
    assert not tip.is_displayed()
    student = next(n for n in models if "Student 1B\n" in n.text + "\n")
    ActionChains(browser).move_to_element(student).perform()
    assert tip.is_displayed()
    lines = tip.text.splitlines()
    assert lines[0] == "Student 1B"
    assert "cumulative 101.17 tCO2e" in lines  # 22 + 200/3 + 50/4, hand-checked
    assert "from Base 70B 66.67 tCO2e" in lines
    ActionChains(browser).move_to_element(browser.find_element(By.ID, "legend")).perform()
    assert not tip.is_displayed()


def test_the_page_loads_nothing_and_runs_no_injected_script(browser: Any,
                                                            tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    browser.get(page(tmp_path, "--no-registry", "-f", str(DATA / "hostile")))
    # An executed alert() would raise UnexpectedAlertPresentException on the next command.
    names = {n.text.splitlines()[0] for n in
             browser.find_elements(By.CSS_SELECTOR, "#diagram g.node") if n.text}
    assert {"<script>alert(1)</script>", 'a"];x->y[label="pwn', "<<B>html</B>>"} <= names
    assert browser.execute_script("return document.scripts.length") == 2
    assert browser.execute_script(
        "return performance.getEntriesByType('resource').length") == 0
