"""The staff dashboard in a real headless Chromium (Playwright driving the system browser)."""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from hotline import create_app
from hotline.store.staff_accounts import StaffAccounts
from tests.support.reminders import zone_where_it_is_morning

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
def settings(settings):
    """The hotline's day and quiet hours in a zone where it is morning, so no page depends on the hour of the run."""
    return replace(settings, default_timezone=zone_where_it_is_morning())


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
def csp_violations() -> list[str]:
    """What the browser reports blocking under the pages' Content-Security-Policy (securitypolicyviolation)."""
    return []


REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => window.__reportCspViolation(
  `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} in ${e.documentURI} (${e.sourceFile}:${e.lineNumber})`));
"""


@pytest.fixture
def page(browser, live_server, redis, csp_violations):
    StaffAccounts(redis).add("nurse.kim", "correct horse battery")
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.expose_function("__reportCspViolation", lambda report: csp_violations.append(report))
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    yield page
    context.close()
    # Every browser test is also a check that nothing a page needs is blocked by its own policy.
    assert csp_violations == []


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
    for text in ["hi", "4", "1", "2", "1", "1"]:  # under 3 months; it stops when held; a fever
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

    # The number is masked until a nurse presses the button (a POST with the page's CSRF token), which records
    # the reveal with her name.
    assert re.fullmatch(r"Conversation with \+1\*+\d{3}", page.get_by_role("heading", level=1).inner_text())
    page.get_by_role("button", name="Show the full number").click()
    assert re.fullmatch(r"Conversation with \+1202555\d{4}", page.get_by_role("heading", level=1).inner_text())
    page.goto("/staff/reveals")
    assert page.locator("tbody tr").first.locator("td").nth(1).inner_text() == "nurse.kim"


def test_pages_read_on_a_phone_sized_screen(page):
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page)
    for name, path in [("conversations", "/staff/conversations"), ("opt-outs", "/staff/opt-outs"),
                       ("outbox", "/staff/outbox"), ("schedules", "/staff/schedules"),
                       ("schedule-edit", "/staff/schedules/checkin"), ("enrollments", "/staff/enrollments"),
                       ("reveals", "/staff/reveals")]:
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), name
        shot(page, f"phone-{name}")


def test_a_bad_search_says_what_is_wrong(page):
    log_in(page)
    page.goto("/staff/conversations")
    page.get_by_label("Find by phone number").fill("call me maybe")
    page.get_by_role("button", name="Search").click()
    assert page.get_by_role("alert").inner_text().startswith("'call me maybe' is not a phone number")


STOP_EN = "Checking in after the fever: how is your baby? Reply 1 better, 2 same, 3 worse. Text STOP to stop."
STOP_ES = "¿Cómo sigue su bebé después de la fiebre? Responda 1 mejor, 2 igual, 3 peor. STOP para salir."


def test_a_coordinator_creates_a_schedule_enrolls_a_number_and_sees_its_reminder(page):
    from playwright.sync_api import expect

    log_in(page)
    page.get_by_role("link", name="Schedules").click()
    expect(page.get_by_role("heading", name="Reminder schedules")).to_be_visible()
    page.get_by_role("link", name="Create a schedule").click()
    page.get_by_label("Name", exact=True).fill("fever-followup")
    page.get_by_label("Description").fill("Two check-ins after a fever")
    page.locator("#step-0-amount").fill("2")
    page.locator("#step-0-unit").select_option("hour")

    # The counter under each message follows the typing, with the rules of hotline/channels/segments.py.
    english, counter = page.locator("#step-0-en"), page.locator("#step-0-en-count")
    expect(counter).to_have_text("1 SMS part · GSM-7 · 0 characters")
    english.press_sequentially("Hello {baby_name}")
    expect(counter).to_contain_text("1 SMS part · GSM-7 · 17 characters")
    english.fill("x" * 161)
    expect(counter).to_have_text("2 SMS parts · GSM-7 · 161 characters")
    english.fill("It\u2019s day one")
    expect(counter).to_contain_text("UCS-2")
    expect(counter).to_contain_text("English texts must be plain GSM-7: replace \u2019")
    expect(counter).to_have_class(re.compile(r"\bover\b"))
    english.fill(STOP_EN)
    expect(counter).to_have_text(f"1 SMS part · GSM-7 · {len(STOP_EN)} characters")
    page.locator("#step-0-es").fill(STOP_ES)
    expect(page.locator("#step-0-es-count")).to_have_text(f"2 SMS parts · UCS-2 · {len(STOP_ES)} characters")
    shot(page, "schedule-new")
    page.get_by_role("button", name="Create schedule").click()
    page.wait_for_url("**/staff/schedules")
    expect(page.get_by_role("status")).to_have_text("Schedule 'fever-followup' created with 1 step(s).")
    row = page.locator("tr", has=page.get_by_role("link", name="fever-followup", exact=True))
    expect(row).to_contain_text("Active")
    shot(page, "schedules")

    page.get_by_role("link", name="Enrollments").click()
    page.get_by_label("Phone number").fill("+12025550123")
    page.get_by_label("Schedule", exact=True).select_option("fever-followup")
    page.get_by_label("Time zone (optional)").fill(zone_where_it_is_morning())
    page.get_by_role("button", name="Enroll").click()
    expect(page.get_by_role("status")).to_contain_text("Enrolled +1*******123 in 'fever-followup'. First reminder:")
    upcoming = page.locator("section", has=page.get_by_role("heading", name="Upcoming reminders"))
    first = upcoming.locator("tbody tr", has_text="+1*******123")
    expect(first).to_contain_text("fever-followup")
    expect(first).to_contain_text("2 hours after enrolling")
    shot(page, "enrollments")

    page.get_by_role("link", name="Overview").click()
    expect(page.locator(".card", has_text="Reminders due today")).to_contain_text("1")
    shot(page, "overview-reminders")

    page.get_by_role("link", name="Enrollments").click()
    page.get_by_role("button", name="Cancel reminders for +1*******123 in fever-followup").click()
    expect(page.get_by_role("status")).to_have_text(
        "Cancelled: +1*******123 gets no more reminders from 'fever-followup'.")
    expect(upcoming.locator("tbody tr", has_text="+1*******123")).to_have_count(0)
    expect(page.locator("#enrollments tr", has_text="+1*******123")).to_contain_text("cancelled")

    page.goto("/staff/schedules/fever-followup")
    expect(page.locator("#step-0-es-count")).to_contain_text("UCS-2")
    shot(page, "schedule-edit")


def test_a_bad_number_or_a_bad_schedule_is_explained_on_the_page(page):
    from playwright.sync_api import expect

    log_in(page)
    page.goto("/staff/enrollments")
    page.get_by_label("Phone number").fill("555-CALL-ME")
    page.get_by_label("Phone number").press("Enter")  # the keyboard is enough
    expect(page.get_by_role("alert")).to_contain_text("'555-CALL-ME' is not a valid phone number")
    expect(page.get_by_label("Phone number")).to_have_value("555-CALL-ME")
    shot(page, "enrollments-bad-number")

    page.goto("/staff/schedules/new")
    page.get_by_label("Name", exact=True).fill("no-stop")
    page.locator("#step-0-amount").fill("1")
    page.locator("#step-0-en").fill("How is your baby today?")
    page.locator("#step-0-es").fill(STOP_ES)
    page.get_by_role("button", name="Create schedule").click()
    expect(page.get_by_role("alert")).to_contain_text("every reminder must say how to stop (mention STOP)")
    expect(page.locator("#step-0-en")).to_have_value("How is your baby today?")
    shot(page, "schedule-error")


def test_a_coordinator_imports_an_89_kib_csv_and_its_page_follows_the_background_import(page, redis, env):
    from playwright.sync_api import expect

    from tests.support.reminders import run_worker

    log_in(page)
    page.goto("/staff/enrollments")
    content = ("number\n" + "".join(f"+1202555{n:04d}\n" for n in range(7000)) + "not a number\n").encode()
    assert len(content) > 88 * 1024  # refused with "too large" (64 KB) before the security review's F23
    page.get_by_label("CSV file", exact=True).set_input_files(
        files=[{"name": "parents.csv", "mimeType": "text/csv", "buffer": content}])
    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_url("**/staff/enrollments/import/imp-*")
    expect(page.get_by_role("heading", level=1)).to_have_text("Importing parents.csv")
    expect(page.get_by_role("status")).to_contain_text("Waiting for a worker to start the import")
    shot(page, "import-waiting")

    run_worker(redis)
    # The page reloads itself (a meta refresh: the pages run no inline script) until the report.
    expect(page.get_by_role("heading", level=1)).to_have_text("Import of parents.csv", timeout=10_000)
    report = page.get_by_role("status")
    expect(report).to_contain_text("parents.csv: 7,000 imported, 0 already enrolled, 1 row(s) with problems.")
    expect(report.locator("tbody td")).to_have_text(["7002", "'not a number' is not a valid phone number; use E.164 "
                                                             "(+15551234567) or a national number"])
    shot(page, "import-report")
    page.get_by_role("link", name="Back to enrollments").click()
    expect(page.get_by_text("Showing the newest 200 of 7000.")).to_be_visible()


def test_a_simulated_phone_call_reaches_an_urgent_outcome_with_keys_and_speech(page):
    log_in(page)
    page.goto("/staff/simulator?mode=voice")
    page.get_by_role("button", name="Call the hotline").click()
    assert page.get_by_text("does not replace a doctor", exact=False).count() >= 1
    for key in ["1", "4", "1"]:  # English, check symptoms, under 3 months
        page.get_by_role("button", name=f"Press {key}", exact=True).click()
    page.get_by_label("Or say something").fill("no")
    page.get_by_role("button", name="Say it").click()
    page.get_by_role("button", name="Press 1", exact=True).click()  # the shaking stops when held
    page.get_by_role("button", name="Press 1", exact=True).click()  # a fever, under 3 months
    assert page.get_by_text("seen by a doctor today", exact=False).count() >= 1
    shot(page, "simulator-voice")
    page.get_by_role("link", name="Overview").click()
    assert page.locator("tbody tr").first.locator(".level").inner_text().lower() == "urgent"


def test_the_staff_pages_run_under_their_content_security_policy_without_a_violation(page, csp_violations):
    from playwright.sync_api import expect

    log_in(page)
    page.goto("/staff/simulator")
    page.get_by_label("Message").fill("my baby's legs shake when she cries")
    page.get_by_role("button", name="Send").click()
    page.goto("/staff/")
    conversation = page.locator("tbody tr").first.get_by_role("link").get_attribute("href")
    for path in ["/staff/", "/staff/conversations", conversation, "/staff/callbacks", "/staff/opt-outs",
                 "/staff/outbox", "/staff/reveals", "/staff/simulator", "/staff/simulator?mode=voice",
                 "/staff/schedules", "/staff/schedules/new", "/staff/schedules/checkin", "/staff/enrollments"]:
        response = page.goto(path)
        assert "script-src 'self'" in response.headers["content-security-policy"], path
    # The schedule page's live counter is a script file now: it runs (the policy allows files from the site).
    page.goto("/staff/schedules/new")
    page.locator("#step-0-en").fill("x" * 161)
    expect(page.locator("#step-0-en-count")).to_have_text("2 SMS parts · GSM-7 · 161 characters")
    assert page.evaluate("getComputedStyle(document.querySelector('header')).display") == "flex"  # the stylesheet
    page.goto("/staff/login")  # a page without a login too (this logs nobody out)
    assert csp_violations == []

    # And the watch works: an inline script, as injected markup would carry, is refused and reported.
    page.evaluate("""() => { const s = document.createElement("script");
                             s.textContent = "window.__ran = true"; document.body.append(s); }""")
    deadline = time.monotonic() + 5
    while not csp_violations and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert page.evaluate("window.__ran === undefined")
    assert [v.split()[0] for v in csp_violations] == ["script-src-elem"]
    csp_violations.clear()


# --- The security review's XSS, session and redirect attempts that held, in the browser (tests/test_security_held.py
# has the same attacks through the test client) ------------------------------------------------------------------


def _seed_markup(services, twilio, redis) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Markup everywhere the review put it: a parent's texts and speech, a schedule, a baby's name, the outbox,
    a recording link, a CSV report and its file name, a token's name in the reveal list. Each payload leaves a
    trace if it ever runs: window.__pwned, a dialog, or a request for /pwned-* (made even where the page's
    Content-Security-Policy stops the script)."""
    import json as json_lib

    from hotline.reminders.import_jobs import ImportJobs
    from hotline.reminders.schedules import parse_schedule
    from hotline.store import keys
    from hotline.store.audit import RevealAudit
    from tests.support.reminders import run_worker
    from tests.test_security_held import PARENT, XSS, csv_bytes
    from tests.test_voice import Call, in_language

    for payload in XSS:
        twilio.sms(f"{payload} she is having a seizure", PARENT)
    in_language(Call(twilio, PARENT), "en").say("<img src=/pwned-speech onerror=alert(1)> she is having a seizure")
    caller = Call(twilio, "+15551230102")
    in_language(caller, "en").answers("4", "3", "1")
    caller.press("1")
    caller.recorded('https://evil.example/"><img src=/pwned-recording onerror=alert(1)>')
    services.reminders.schedules.save(parse_schedule({
        "name": "xss", "description": "<img src=/pwned-description onerror=alert(1)> {{7*7}}",
        "steps": [{"after": "1 day", "text": {"en": "</textarea><img src=/pwned-en onerror=alert(1)> STOP to stop",
                                               "es": '"><svg onload=alert(1)><img src=/pwned-es> STOP'}}]}))
    services.reminders.enroll("+12025550141", "xss", baby_name="<img src=/pwned-b onerror=x>")
    for payload in XSS:
        redis.lpush(keys.OUTBOX, json_lib.dumps({"sid": "SMdev1", "to": payload, "body": payload, "at": time.time()}))
    import_id = ImportJobs(services.reminders).start(
        csv_bytes([["number", "schedule", "timezone"], ["<img src=/pwned-csv onerror=alert(1)>", "checkin", ""],
                   ["+12025550151", "<script>window.__pwned=1</script>", ""],
                   ["+12025550152", "checkin", "</textarea><img src=/pwned-tz onerror=alert(1)>"]]),
        "checkin", "<img src=/pwned-filename onerror=alert(1)>.csv")
    run_worker(redis)
    RevealAudit(redis).record("<img src=/pwned-token onerror=alert(1)>", services.refs.of(PARENT), via="api callbacks")
    return {"conversation": f"/staff/conversations/{services.refs.of(PARENT)}",
            "import": f"/staff/enrollments/import/{import_id}"}


def test_stored_and_reflected_markup_never_runs_in_the_browser(page, services, twilio, redis, env):
    from urllib.parse import quote, urlsplit

    from tests.test_security_held import XSS

    paths = _seed_markup(services, twilio, redis)
    ran: list[str] = []
    page.on("dialog", lambda dialog: (ran.append(f"dialog {dialog.message}"), dialog.dismiss()))
    # What an injected <img src=/pwned-...> would fetch (the pages' own URLs may carry the text in a query).
    page.on("request", lambda request: ran.append(request.url) if urlsplit(request.url).path.startswith("/pwned")
            or "evil.example" in urlsplit(request.url).netloc else None)
    log_in(page)
    page.goto("/staff/simulator")
    for payload in XSS[:3]:
        page.get_by_label("Message").fill(payload)
        page.get_by_role("button", name="Send").click()
        page.wait_for_load_state()
    reflected = [f"/staff/conversations?q={quote(XSS[1])}", f"/staff/{quote(XSS[1])}",
                 f"/staff/conversations/{quote(XSS[0])}", f"/staff/simulator?mode={quote(XSS[2])}",
                 f"/staff/enrollments?schedule={quote(XSS[1])}&status={quote(XSS[0])}"]
    for path in ["/staff/", "/staff/conversations", paths["conversation"], "reveal", "/staff/callbacks",
                 "/staff/outbox", "/staff/schedules", "/staff/schedules/xss", "/staff/enrollments", paths["import"],
                 "/staff/reveals", "/staff/simulator", *reflected]:
        if path == "reveal":  # the same conversation with its number shown
            page.get_by_role("button", name="Show the full number").click()
            page.wait_for_load_state()
        else:
            page.goto(path)
        # The review hovered every cell, link and label: any handler an injection added would fire now.
        page.evaluate("""() => { for (const el of document.querySelectorAll("td, a, span, p, li, button, h1")) {
                                   for (const type of ["mouseover", "mouseenter", "focus", "click"]) {
                                     if (type === "click" && el.closest("a, button, form")) continue;
                                     el.dispatchEvent(new Event(type, {bubbles: true})); } } }""")
        page.wait_for_timeout(50)
        assert page.evaluate("typeof window.__pwned") == "undefined", path
        assert ran == [], (path, ran)
    page.goto(paths["conversation"])
    for payload in XSS:  # each shown, as the parent typed it
        assert page.locator(".bubble.in", has_text=f"{payload} she is having a seizure").count() >= 1, payload
    page.goto("/staff/callbacks")
    link = page.get_by_role("link", name="Recording (12 s)")
    assert link.get_attribute("href") == 'https://evil.example/"><img src=/pwned-recording onerror=alert(1)>'
    shot(page, "markup-as-text")


def test_the_browser_keeps_the_session_cookie_from_scripts_and_other_sites(page):
    log_in(page)
    [cookie] = page.context.cookies()
    assert cookie["name"] == "session" and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""  # no script on the page can read it


@pytest.mark.parametrize("target", ["//evil.example/", "/staff/..//evil.example", "/staff@evil.example",
                                    "/staff\\evil.example", "/staff/../\\evil.example/", "/staff/\t//evil.example",
                                    "/staff/..///evil.example", "javascript:alert(1)"])
def test_after_login_the_browser_stays_on_the_site_whatever_next_says(page, live_server, target):
    from urllib.parse import quote, urlsplit

    page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))
    page.goto(f"/staff/login?next={quote(target, safe='')}")
    page.get_by_label("Username").fill("nurse.kim")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/staff/login" not in url)
    assert urlsplit(page.url).netloc == urlsplit(live_server).netloc, page.url
