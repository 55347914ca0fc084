"""The staff inbox in a real headless Chromium (issue 14): a nurse sees a case appear live without reloading, claims
it, texts the parent, sees the parent's next message arrive live while the bot stays silent, sees an emergency
still answered at once, and hands the conversation back to the bot."""

from __future__ import annotations

import re

import pytest

from hotline.devtools.signed import reply_texts
from tests import test_dashboard_browser as dashboard

# The dashboard tests' fixtures: a headless Chromium, the app on a live server, a logged-in page that fails the test
# on any Content-Security-Policy violation.
browser, live_server, page, csp_violations = dashboard.browser, dashboard.live_server, dashboard.page, \
    dashboard.csp_violations
log_in, shot = dashboard.log_in, dashboard.shot

ONCALL = ("+15557650001",)
PARENT = "+12025550171"
EMERGENCY = "Call 911 now"


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    return settings.with_(oncall_numbers=ONCALL)


def listening(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the page's live feed is connected (its first event has come), and mark the document: a reload
    would lose the mark."""
    from playwright.sync_api import expect

    # A locator, not wait_for_function: its polling evaluates a string, which the pages' CSP refuses.
    expect(page.locator("#live")).to_have_attribute("data-state", re.compile(r"^(streaming|polling)$"))
    page.evaluate("window.__sameDocument = true")


def same_document(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("window.__sameDocument === true")


def test_a_nurse_sees_a_case_live_claims_it_replies_and_hands_it_back(page, twilio, services, fake_twilio):
    from playwright.sync_api import expect

    log_in(page)
    page.get_by_role("link", name="Inbox", exact=True).click()
    expect(page.locator("#inbox-rows")).to_contain_text("No open cases.")
    listening(page)

    # A parent texts an emergency: it appears in the open inbox, with the count in the title and a sound.
    assert reply_texts(twilio.sms("my baby is having a seizure", PARENT))[0].startswith(EMERGENCY)
    row = page.locator("#inbox-rows tr[data-case]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("emergency")
    expect(row).to_contain_text("+1*******171")
    expect(row).to_contain_text("Waiting")
    expect(page).to_have_title(re.compile(r"^\(1\) Inbox"))
    expect(page.locator("#live-notices")).to_contain_text("New case")
    assert int(page.evaluate("document.documentElement.dataset.chimes")) >= 1
    assert same_document(page)
    shot(page, "inbox-live")

    # She claims it.
    case_id = row.get_attribute("data-case")
    page.get_by_role("button", name=f"Claim case {case_id}").click()
    page.wait_for_url(f"**/staff/cases/{case_id}")
    expect(page.locator(".flash")).to_contain_text(f"You have case {case_id}")
    expect(page.locator("#case-status")).to_contain_text("You have this case claimed")
    expect(page).to_have_title(re.compile(r"^Case "))  # nothing waits for a nurse any more

    # She texts the parent; the counter under the box is the schedules page's.
    text = "This is nurse Kim. Is she breathing normally now?"
    page.get_by_label("Message to the parent").fill(text)
    expect(page.locator("#reply-count")).to_have_text(f"1 SMS part · GSM-7 · {len(text)} characters")
    page.get_by_role("button", name="Send text").click()
    expect(page.locator(".flash")).to_have_text(re.compile(r"^Sent \(1 SMS part, GSM-7\)"))  # only this one
    staff_bubble = page.locator("#chat .staff")
    expect(staff_bubble).to_contain_text("nurse.kim")
    expect(staff_bubble).to_contain_text(text)
    assert fake_twilio.bodies_to(PARENT) == [text]
    listening(page)

    # Twilio says it was delivered: shown live.
    [sid] = [e["sid"] for e in services.conversations.transcript(PARENT) if e["dir"] == "staff"]
    twilio.status(sid, "delivered")
    expect(staff_bubble.locator(".delivery")).to_have_text("delivered")

    # The parent answers: the bot stays silent, and the message arrives on her page live.
    assert reply_texts(twilio.sms("yes she is breathing, just very sleepy", PARENT)) == []
    expect(page.locator("#chat .bubble.in").last).to_contain_text("yes she is breathing, just very sleepy")

    # An emergency during the claim still gets the emergency instruction at once, and she is alerted.
    reply = reply_texts(twilio.sms("now her lips are turning blue", PARENT))
    assert reply and reply[0].startswith(EMERGENCY)
    expect(page.locator("#live-notices [role=alert]")).to_contain_text("the parent describes an emergency")
    expect(page.locator("#chat .bubble.out", has_text=EMERGENCY)).to_have_count(2)
    assert same_document(page)
    shot(page, "case-claimed")

    # Hand back: the parent gets a short note and the bot answers again.
    page.get_by_role("button", name="Hand back to the hotline").click()
    expect(page.locator("#case-status")).to_contain_text("Waiting for a nurse")
    expect(page.locator("#reply-text")).to_be_disabled()
    assert fake_twilio.bodies_to(PARENT)[-1].startswith("Thank you for talking with our nurse.")
    assert "How can I help?" in "\n".join(reply_texts(twilio.sms("menu", PARENT)))
    shot(page, "case-handed-back")


def test_stop_during_a_claim_disables_the_reply_box_live(page, twilio, services):
    from playwright.sync_api import expect

    reply_texts(twilio.sms("my baby is having a seizure", PARENT))
    [case] = services.cases.store.open_cases()
    log_in(page)
    page.goto(f"/staff/cases/{case.id}")
    expect(page.locator("#reply-blocked")).to_contain_text("Claim this case to text the parent")
    page.get_by_role("button", name="Claim this case").click()
    expect(page.locator("#reply-text")).to_be_enabled()
    listening(page)
    reply_texts(twilio.sms("STOP", PARENT))
    expect(page.locator("#reply-text")).to_be_disabled()
    expect(page.locator("#reply-send")).to_be_disabled()
    expect(page.locator("#reply-blocked")).to_have_text(re.compile(r"^This number has opted out \(it texted STOP\)"))
    assert same_document(page)


def test_the_case_pages_read_on_a_phone_sized_screen(page, twilio, services):
    reply_texts(twilio.sms("my baby is having a seizure", PARENT))
    [case] = services.cases.store.open_cases()
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page)
    for name, path in [("inbox", "/staff/inbox"), ("case", f"/staff/cases/{case.id}")]:
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), name
        shot(page, f"phone-{name}")
