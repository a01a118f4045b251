"""``GET /dashboard`` over HTTP, and in a real headless Chromium driven by Selenium.

The ledger holds the hand-worked story of :mod:`reports.books`; every table on the page must
hold what ``crm-connector report NAME --format json`` prints for the same ledger, and every
chart must be drawn (present, with a size, with bars or a line).

The browser is Debian's ``chromium`` with ``chromium-driver`` (``./dev test`` installs both).
Without them the browser test is skipped with the reason, except under ``CI=true``, where it
fails: CI must never pass without having looked at the page.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from reports import books
from sqlalchemy.orm import Session, sessionmaker

from connector.cli import main
from connector.clock import SystemClock
from connector.config import Config, OpsConfig, SalesforceConfig
from connector.ops import dashboard
from connector.ops.dashboard import SHOWN
from connector.ops.hooks import OpsHooks
from connector.ops.listener import Operations

CONFIG = Config(ops=OpsConfig(listen="127.0.0.1:0"), salesforce=SalesforceConfig())
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
CHARTED = ("revenue-by-month", "new-subscribers-by-month", "plan-by-unit", "status-by-month",
           "mrr-by-month")


def _listener(sessions: sessionmaker[Session]) -> Operations:
    return Operations(CONFIG, OpsHooks(sessions, SystemClock())).start()


@pytest.fixture
def books_listener(sessions: sessionmaker[Session]) -> Iterator[Operations]:
    with sessions() as session:
        books.build(session)
    operations = _listener(sessions)
    yield operations
    operations.stop()


def _report_json(name: str, ledger_url: str, tmp_path: Path,
                 capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    config = tmp_path / "config.toml"
    config.write_text(f'[ledger]\nurl = "{ledger_url}"\n', encoding="utf-8")
    capsys.readouterr()
    main(["report", name, "--format", "json", "--config", str(config)])
    rows: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    return rows


def _expected_cells(rows: list[dict[str, Any]]) -> list[list[str]]:
    return [["-" if value is None else str(value) for value in row.values()] for row in rows]


def test_the_page_is_self_contained_html_with_every_report(
        books_listener: Operations) -> None:
    answer = requests.get(f"{books_listener.url}/dashboard", timeout=30)

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["cache-control"] == "no-store"
    for name in SHOWN:
        assert f'<section id="{name}" data-report="{name}">' in answer.text
    assert answer.text.count('<svg class="chart"') == 7  # revenue and MRR: USD and JPY panels
    assert "<script" not in answer.text
    assert "http://" not in answer.text.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_a_reload_shows_what_the_ledger_holds_now(sessions: sessionmaker[Session]) -> None:
    operations = _listener(sessions)
    try:
        empty = requests.get(f"{operations.url}/dashboard", timeout=30)
        with sessions() as session:
            books.build(session)
        filled = requests.get(f"{operations.url}/dashboard", timeout=30)
    finally:
        operations.stop()

    assert (empty.status_code, filled.status_code) == (200, 200)
    assert empty.text.count(">no data</text>") == 5
    assert "<td>2026-03</td><td>usd</td><td>1305.00</td>" in filled.text


def test_a_long_table_shows_its_first_rows_and_says_where_the_rest_are(
        books_listener: Operations, ledger_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dashboard, "MAX_ROWS", 3)
    months = _report_json("status-by-month", ledger_url, tmp_path, capsys)

    page = requests.get(f"{books_listener.url}/dashboard", timeout=30).text

    status = page[page.index('<section id="status-by-month"'):]
    status = status[:status.index("</section>")]
    assert status.count("<tr><td>") == 3
    assert f"The first 3 of {len(months)} rows; all of them: <code>crm-connector report " \
           "status-by-month</code>" in status


def test_an_unreadable_ledger_answers_503_with_the_reason(
        unreachable: sessionmaker[Session]) -> None:
    operations = _listener(unreachable)
    try:
        answer = requests.get(f"{operations.url}/dashboard", timeout=30)
    finally:
        operations.stop()

    assert answer.status_code == 503
    assert answer.text.startswith("ledger unreachable:")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium under Selenium (skipped without one, failed under ``CI=true``)."""
    problem = _browser_missing()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {problem}")
        pytest.skip(f"{problem}; ./dev test installs chromium and chromium-driver")
    from selenium import webdriver  # noqa: PLC0415 - only once it is known to be there
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1280,1600"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _browser_missing() -> str | None:
    try:
        import selenium  # noqa: F401, PLC0415
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (path.is_file() and os.access(path, os.X_OK)) and not shutil.which(path.name):
            return f"{path} is missing (apt-get install chromium chromium-driver)"
    return None


def _table(section: Any) -> tuple[list[str], list[list[str]]]:
    header = [th.get_attribute("textContent") for th in section.find_elements(
        "css selector", "thead th")]
    rows = [[td.get_attribute("textContent") for td in tr.find_elements("css selector", "td")]
            for tr in section.find_elements("css selector", "tbody tr")]
    return header, rows


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
def test_chromium_shows_the_charts_and_the_numbers_of_report_json(
        browser: Any, books_listener: Operations, ledger_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    browser.get(f"{books_listener.url}/dashboard")

    assert browser.title == "crm-connector dashboard"
    for name in SHOWN:
        section = browser.find_element("css selector", f'section[data-report="{name}"]')
        expected = _report_json(name, ledger_url, tmp_path, capsys)
        header, rows = _table(section)
        assert rows == _expected_cells(expected), name
        if expected:
            assert header == list(expected[0]), name
        if name in CHARTED:
            _assert_drawn(section, name)


def _assert_drawn(section: Any, name: str) -> None:
    charts = section.find_elements("css selector", "svg.chart")
    assert charts, f"{name}: no chart"
    for chart in charts:
        assert chart.size["width"] > 0, name
        assert chart.size["height"] > 0, name
        marks = chart.find_elements("css selector", "rect.bar, polyline.series")
        assert marks, f"{name}: nothing drawn"
        assert any(mark.size["height"] > 0 for mark in marks), f"{name}: all marks flat"
