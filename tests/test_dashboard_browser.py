"""The staff dashboard in a real headless Chromium (Playwright driving the system browser)."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from hotline import create_app
from hotline.store.staff_accounts import StaffAccounts

SCREENSHOTS = Path(__file__).parent / "screenshots"


def find_chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), shutil.which("chromium"), shutil.which("chromium-browser"),
                      "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


CHROMIUM = find_chromium()
if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("no Chromium found (apt-get install chromium, or set CHROMIUM_PATH); CI always runs these",
                allow_module_level=True)


@pytest.fixture
def live_server(services):
    app = create_app(services=services)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "CI must have Chromium: .ci/run installs it from Debian"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, redis):
    StaffAccounts(redis).add("nurse.kim", "correct horse battery")
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page) -> None:
    page.goto("/staff/")
    assert "/staff/login" in page.url  # the dashboard sends strangers to the login
    shot(page, "login")
    page.get_by_label("Username").fill("nurse.kim")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/")


def test_a_simulated_conversation_reaching_urgent_shows_on_the_overview(page):
    log_in(page)
    page.get_by_role("link", name="Simulator").click()
    for text in ["hi", "4", "1", "2", "2"]:  # under 3 months; shaking does not stop when held
        page.get_by_label("Message").fill(text)
        page.get_by_role("button", name="Send").click()
        page.wait_for_load_state()
    assert page.get_by_text("seen by a doctor today").count() >= 1
    shot(page, "simulator")

    page.get_by_role("link", name="Overview").click()
    row = page.locator("tbody tr").first
    assert row.locator(".level").inner_text().lower() == "urgent"
    assert page.locator(".card").first.inner_text().lower().startswith("emergency")
    shot(page, "overview")

    row.get_by_role("link").click()
    assert page.get_by_role("heading", name="Latest assessment: urgent").count() == 1
    assert page.get_by_text("Why Do Babies", exact=False).count() + page.get_by_text("When", exact=False).count()
    shot(page, "conversation")


def test_pages_read_on_a_phone_sized_screen(page):
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page)
    for name, path in [("conversations", "/staff/conversations"), ("opt-outs", "/staff/opt-outs"),
                       ("outbox", "/staff/outbox")]:
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), name
        shot(page, f"phone-{name}")


def test_a_bad_search_says_what_is_wrong(page):
    log_in(page)
    page.goto("/staff/conversations")
    page.get_by_label("Find by phone number").fill("call me maybe")
    page.get_by_role("button", name="Search").click()
    assert page.get_by_role("alert").inner_text().startswith("'call me maybe' is not a phone number")
