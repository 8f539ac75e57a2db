"""The web console in a real headless Chromium (Debian's, driven by Playwright), against the
real stack: sign in, upload a file with errors and watch it fail, open its errors, upload it
again dropping the bad rows and jump from an error to the rows around it, upload a valid file,
browse and search its rows, download the report, delete. Screenshots of every step are kept
in test-artifacts/console/."""

from __future__ import annotations

import json
import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import KEYS, ROOT, wait_until

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


@contextmanager
def console_page(width: int = 1280, sign_in_at: str | None = None):
    """A page of headless Chromium `width` px wide (signed in to the console at `sign_in_at`);
    any uncaught error or unhandled rejection in it fails the test."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(accept_downloads=True, viewport={"width": width, "height": 900})
            page.set_default_timeout(20_000)
            page.on("pageerror", lambda error: errors.append(str(error)))
            if sign_in_at:
                page.goto(sign_in_at)
                page.get_by_label("API key").fill(KEYS["acme"])
                page.get_by_role("button", name="Sign in").click()
                page.get_by_role("heading", name="Datasets").wait_for()
            yield page
        finally:
            browser.close()
    assert errors == [], "the page threw"


@pytest.fixture
def browser_page(stack):
    with console_page() as page:
        yield page


# The shots the README and docs/api.md show, by the name they have in docs/screenshots/.
# `make screenshots` (SIEVE_SCREENSHOTS=docs) runs this file and writes them there.
PUBLISHED = {
    "2-failed-with-its-errors": "failed-dataset",
    "4-validated-rows-and-profile": "rows-and-profile",
    "5-a-conversation": "conversation",
    "6-failed-at-390px": "phone",
    "10-upload-progress": "upload-progress",
    "9-webhook-deliveries": "webhooks",
}
SCREENSHOTS = ROOT / "docs" / "screenshots"


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    if os.environ.get("SIEVE_SCREENSHOTS") == "docs" and name in PUBLISHED:
        page.screenshot(path=str(SCREENSHOTS / f"{PUBLISHED[name]}.png"), full_page=True)


def _upload(page, path: Path, *, skip: bool = False, dataset_type: str = "embed-input") -> None:
    page.get_by_role("link", name="Upload").click()
    page.locator("#data").set_input_files(str(path))
    page.locator("#type").select_option(dataset_type)
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
    page.get_by_role("heading", name="Why it failed: 3 findings under 3 rules").wait_for()
    figures = page.locator("#figures").inner_text()
    assert "rows read in the train file" in figures and "size" not in figures
    rule = page.locator("li.rule", has_text="text|not_empty")
    assert "'text' is not empty or only whitespace" in rule.inner_text()  # in plain words
    assert "row 21" in rule.inner_text()
    rule.get_by_role("button", name="show them").click()
    findings = page.locator("#findings tbody tr")
    findings.first.wait_for()
    assert findings.count() == 1 and findings.first.locator("td").first.inner_text() == "21"
    _shot(page, "2-failed-with-its-errors")

    _upload(page, with_errors, skip=True)
    page.locator(".badge.validated").wait_for()
    page.get_by_role("heading", name="Findings: 3 findings under 3 rules").wait_for()
    page.locator("li.rule", has_text="row|json").get_by_role("button", name="show them").click()
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
    assert page.locator("#rows .stats-row .chart").count() == 1  # above the text column
    page.get_by_label("search the rows").fill("ROW 17 ")
    page.get_by_label("search in").select_option("text")
    page.get_by_role("button", name="Search").click()
    page.get_by_text("1 match for “ROW 17 ” in the text field of 200 rows searched").wait_for()
    assert "(100% of the train file)" in page.locator("#rows-said").inner_text()
    assert "row 17 of many" in page.locator("#rows tbody").inner_text()
    page.locator("#rows tbody tr").first.get_by_role("button").click()  # the whole row
    page.get_by_role("dialog", name="row 18").get_by_role("button", name="Close").click()
    _shot(page, "4-validated-rows-and-profile")

    turns = [{"role": "User", "content": "hi"}, {"role": "Chatbot", "content": "hello there"}]
    chat = _file(tmp_path / "chat.jsonl", [{"messages": turns}] * 1 + [
        {"messages": [{"role": "User", "content": f"q{i}"}, {"role": "Chatbot", "content": "a"}]}
        for i in range(40)
    ])  # fmt: skip
    _upload(page, chat, dataset_type="chat-finetune-input")
    page.locator(".badge.validated").wait_for()
    page.get_by_role("tab", name="eval").wait_for()  # the automatic split's rows have a tab
    first = page.locator("#rows tbody tr").first
    assert first.locator(".turn.user b").inner_text() == "User"  # a conversation, not JSON
    assert first.locator(".turn.chatbot").count() == 1
    page.get_by_role("tab", name="eval").click()
    page.get_by_text("rows 1–").wait_for()
    _shot(page, "5-a-conversation")

    with page.expect_download() as download:
        page.get_by_role("button", name="Report (CSV)").click()
    saved = tmp_path / "report.csv"
    download.value.save_as(saved)
    assert saved.read_text().startswith("code,severity,file,filename,row")

    page.get_by_role("button", name="Delete this dataset").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    page.get_by_role("heading", name="Datasets").wait_for()
    page.get_by_text("Deleted chat.").wait_for()


@pytest.fixture
def webhook_stack(redis_server, tmp_path):
    from tests.e2e.conftest import start_stack

    started = start_stack(redis_server, tmp_path, SIEVE_WEBHOOK_ALLOW_PRIVATE="true")
    yield started
    started.stop()


def test_a_person_manages_webhooks_in_the_console(webhook_stack, tmp_path):
    from tests.webhook_receiver import Receiver

    receiver = Receiver()
    with console_page(sign_in_at=webhook_stack.url) as page:
        try:
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
            receiver.close()


def _fits(page, width: int) -> None:
    """Nothing wider than the screen, and every control of the header inside it."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for name in ("Datasets", "Upload", "Webhooks"):
        box = page.get_by_role("link", name=name, exact=True).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, name
    box = page.get_by_role("button", name="Sign out").bounding_box()
    assert box and box["x"] + box["width"] <= width


@pytest.mark.parametrize("width", [390, 1280])
def test_the_console_fits_a_phone_and_a_desktop(stack, tmp_path, width):
    rows = [{"text": f"a somewhat long row number {i} " * 3} for i in range(30)] + [{"text": 5}]
    failing = _file(tmp_path / "a-file-with-a-rather-long-name-to-wrap.jsonl", rows)
    with console_page(width, sign_in_at=stack.url) as page:
        _upload(page, failing)
        page.get_by_role("heading", name="Why it failed: 1 finding under 1 rule").wait_for()
        _fits(page, width)
        _shot(page, f"6-failed-at-{width}px")
        page.get_by_role("link", name="Datasets", exact=True).click()
        page.locator("tbody tr").first.wait_for()
        _fits(page, width)
        _shot(page, f"7-datasets-at-{width}px")
        page.get_by_role("link", name="Webhooks").click()
        page.get_by_role("heading", name="Webhooks").wait_for()
        _fits(page, width)
        page.get_by_role("link", name="Upload").click()
        _fits(page, width)
        icon = page.request.get(f"{stack.url}/favicon.ico")
        assert icon.ok and icon.headers["content-type"].startswith("image/svg+xml")


def test_an_upload_shows_speed_and_time_left_and_can_be_cancelled(stack, tmp_path):
    """Chromium's network emulation slows the upload to 1 MB/s: the bar says bytes, speed and
    time left; Cancel aborts it, and the server keeps nothing (no dataset, no usage)."""
    big = _file(tmp_path / "big.jsonl", [{"text": f"row {i} " + "x" * 90} for i in range(60_000)])
    before = requests.get(f"{stack.url}/v1/datasets/usage", headers=stack.headers()).json()
    listed = {d["id"] for d in stack.list("acme", limit="1000")}
    with console_page(sign_in_at=stack.url) as page:
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": 0, "downloadThroughput": -1,
            "uploadThroughput": 1_000_000,
        })  # fmt: skip
        page.get_by_role("link", name="Upload").click()
        page.locator("#data").set_input_files(str(big))
        page.locator("#type").select_option("embed-input")
        page.get_by_role("button", name="Upload").click()
        page.locator("#upload-figures", has_text="left").wait_for()
        figures = page.locator("#upload-figures").inner_text()
        assert re.search(r"% · [\d.]+ [KM]iB of 6\.\d MiB · [\d.]+ [KM]iB\/s · \d+ s left", figures)
        _shot(page, "10-upload-progress")
        page.get_by_role("button", name="Cancel upload").click()
        page.get_by_text("Upload cancelled: nothing of it was kept.").wait_for()
        assert page.locator("#upload-progress").is_hidden()
    assert wait_until(
        lambda: (
            requests.get(f"{stack.url}/v1/datasets/usage", headers=stack.headers()).json() == before
        )
    )
    assert {d["id"] for d in stack.list("acme", limit="1000")} == listed
