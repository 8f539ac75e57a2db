"""The web console in a real headless Chromium (Debian's, driven by Playwright), against the
real stack: sign in, upload a file with errors and watch it fail, open its errors, upload it
again dropping the bad rows and jump from an error to the rows around it, upload a valid file,
browse and search its rows, download the report, delete. Screenshots of every step are kept
in test-artifacts/console/."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import KEYS, ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts" / "console"
FLAGS = [  # this machine's network is closed: no background calls home
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="no chromium: `apt-get install chromium` (.ci/run installs it)",
)


def _file(path: Path, rows: list[dict | str]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


@pytest.fixture
def browser_page(stack):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(accept_downloads=True, viewport={"width": 1280, "height": 900})
        page.set_default_timeout(20_000)
        yield page
        browser.close()


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _upload(page, path: Path, *, skip: bool = False) -> None:
    page.get_by_role("link", name="Upload").click()
    page.locator("#data").set_input_files(str(path))
    page.locator("#type").select_option("embed-input")
    if skip:
        page.locator("#skip_malformed_input").check()
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/#/datasets/*")


def test_a_person_uses_the_console(stack, browser_page, tmp_path):
    page = browser_page
    good = [{"text": f"hello {i}", "lang": "en"} for i in range(60)]
    bad_rows = [*good[:20], {"text": ""}, *good[20:40], "{not json", {"text": 7}, *good[40:]]
    with_errors = _file(tmp_path / "with-errors.jsonl", bad_rows)

    page.goto(stack.url)
    page.get_by_label("API key").fill(KEYS["acme"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Datasets").wait_for()
    assert page.evaluate("location.href").find(KEYS["acme"]) < 0
    _shot(page, "1-datasets")

    _upload(page, with_errors)
    page.locator(".badge.failed").wait_for()
    page.get_by_role("button", name="text|not_empty").click()
    findings = page.locator("#findings tbody tr")
    findings.first.wait_for()
    assert findings.count() == 1 and findings.first.locator("td").first.inner_text() == "21"
    _shot(page, "2-failed-with-its-errors")

    _upload(page, with_errors, skip=True)
    page.locator(".badge.validated").wait_for()
    assert "3" in page.get_by_role("heading", name="Findings (3)").inner_text()
    page.get_by_role("button", name="row|json").click()
    page.locator("#findings a", has_text="42").click()  # jump to the rows kept around row 42
    # the dataset's own page has a "Rows (train)" section too: wait for the rows from row 40
    page.locator("#rows", has_text="rows 40–").wait_for()
    assert "hello 3" in page.locator("#rows").inner_text()
    _shot(page, "3-rows-around-an-error")

    valid = _file(tmp_path / "valid.jsonl", [{"text": f"row {i} of many"} for i in range(200)])
    _upload(page, valid)
    page.locator(".badge.validated").wait_for()
    page.get_by_role("heading", name="Profile").wait_for()
    assert page.locator(".chart span").count() > 1
    page.get_by_role("button", name="Next").click()
    page.get_by_text("rows 21–40 of 200").wait_for()
    page.get_by_label("search the rows").fill("ROW 17 ")
    page.get_by_role("button", name="Search").click()
    page.get_by_text("1 matches in 200 rows").wait_for()
    assert "row 17 of many" in page.locator("#rows tbody").inner_text()
    _shot(page, "4-validated-rows-and-profile")

    with page.expect_download() as download:
        page.get_by_role("button", name="Report (CSV)").click()
    saved = tmp_path / "report.csv"
    download.value.save_as(saved)
    assert saved.read_text().startswith("code,severity,file,filename,row")

    page.get_by_role("button", name="Delete this dataset").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    page.get_by_role("heading", name="Datasets").wait_for()
    page.get_by_text("Deleted valid.").wait_for()
    _shot(page, "5-after-delete")


@pytest.fixture
def webhook_stack(redis_server, tmp_path):
    from tests.e2e.conftest import start_stack

    started = start_stack(redis_server, tmp_path, SIEVE_WEBHOOK_ALLOW_PRIVATE="true")
    yield started
    started.stop()


def test_a_person_manages_webhooks_in_the_console(webhook_stack, tmp_path):
    from tests.webhook_receiver import Receiver

    receiver = Receiver()
    errors: list[str] = []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(20_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            page.goto(webhook_stack.url)
            page.get_by_label("API key").fill(KEYS["acme"])
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("link", name="Webhooks").click()
            page.get_by_role("heading", name="Webhooks").wait_for()
            page.get_by_label("URL").fill("ftp://example.com/x")
            page.get_by_role("button", name="Add webhook").click()
            page.get_by_text("Webhook refused: url: 'ftp://example.com/x' is not").wait_for()
            page.get_by_label("URL").fill(receiver.url)
            page.get_by_label("dataset.validated").uncheck()
            page.get_by_role("button", name="Add webhook").click()
            secret = page.locator("#webhook-secret-value").inner_text()
            assert secret.startswith("whsec_")
            row = page.locator("#webhooks tbody tr").first
            assert receiver.url in row.inner_text() and "dataset.failed" in row.inner_text()
            assert "dataset.validated" not in row.inner_text()
            _shot(page, "8-webhooks")

            page.get_by_role("button", name="Send test").click()
            [got] = receiver.wait_for(1)
            assert got.verified(secret)["type"] == "webhook.test"
            page.locator("#deliveries td", has_text="delivered").wait_for()
            _shot(page, "9-webhook-deliveries")

            page.get_by_role("button", name="Delete").click()
            page.get_by_text("No webhooks yet.").wait_for()
        finally:
            browser.close()
            receiver.close()
    assert errors == []
