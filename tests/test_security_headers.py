"""Security headers on every staff page, and pages that keep to their own Content-Security-Policy."""

from __future__ import annotations

import re
import time

import pytest

from hotline import create_app
from hotline.sender import ConsoleOutbox
from hotline.services import build_services
from hotline.store.calls import Callback, CallStore
from hotline.store.staff_accounts import StaffAccounts
from tests.test_staff_access import log_in

PARENT = "+15551230001"


@pytest.fixture
def staff(client, redis, services, twilio):
    """A logged-in nurse, and something on every page: a conversation, an opt-out, a callback, a text in
    the outbox and an enrollment."""
    StaffAccounts(redis).add("nurse.kim", "correct horse battery")
    twilio.sms("my baby's legs shake when she cries", PARENT)
    twilio.sms("STOP", "+15551230002")
    CallStore(redis, services.conversations).request_callback(
        Callback("CA1", PARENT, "emergency", "en", time.time()))
    ConsoleOutbox(redis, services.refs).send(PARENT, "Line one\nline two")
    services.reminders.enroll("+12125550123")
    assert log_in(client).status_code == 302
    return client


STAFF_PAGES = ["/staff/login", "/staff/", "/staff/conversations", "/staff/conversations/{ref}", "/staff/callbacks",
               "/staff/opt-outs", "/staff/outbox", "/staff/reveals", "/staff/simulator", "/staff/simulator?mode=voice",
               "/staff/schedules", "/staff/schedules/new", "/staff/schedules/checkin", "/staff/enrollments"]


def directives(policy: str) -> dict[str, str]:
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_every_staff_page_forbids_framing_sniffing_foreign_referrers_and_inline_script(staff, services, path):
    response = staff.get(path.format(ref=services.refs.of(PARENT)))
    assert response.status_code == 200, path
    headers = response.headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    policy = directives(headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    for directive in ("script-src", "style-src"):  # only files from this site: nothing inline, nothing eval'd
        assert policy[directive] == f"{directive} 'self'", policy
    assert policy["object-src"] == "object-src 'none'" and policy["base-uri"] == "base-uri 'none'"
    assert policy["form-action"] == "form-action 'self'"


def test_redirects_and_errors_carry_the_headers_too(client, redis):
    for response in (client.get("/staff/"), client.get("/staff/no-such-page")):
        assert response.status_code in (302, 404)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(("public_base_url", "hsts"), [
    ("https://hotline.example.org", True),
    ("http://127.0.0.1:5000", False),   # plain http (hotline dev): a browser ignores it there anyway
    (None, False),
])
def test_strict_transport_security_is_sent_when_the_public_url_is_https(settings, redis, public_base_url, hsts):
    app = create_app(services=build_services(settings.with_(public_base_url=public_base_url)))
    header = app.test_client().get("/staff/login").headers.get("Strict-Transport-Security")
    if hsts:
        assert header and int(re.search(r"max-age=(\d+)", header)[1]) >= 180 * 86400
    else:
        assert header is None


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_no_staff_page_has_inline_script_or_style_that_the_policy_would_block(staff, services, path):
    page = staff.get(path.format(ref=services.refs.of(PARENT))).get_data(as_text=True)
    # A <script> with no src runs inline, unless it only carries data (type="application/json").
    for tag in re.findall(r"<script\b[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
    assert not re.search(r"<style\b", page), path
    assert not re.search(r"\sstyle\s*=", page), path
    assert not re.search(r"\son[a-z]+\s*=", page), path
    assert "javascript:" not in page, path


def test_the_stylesheet_and_scripts_pages_use_are_served_to_anyone(staff, client):
    page = staff.get("/staff/schedules/checkin").get_data(as_text=True)
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
    staff.post("/staff/logout", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page)[1]})
    for asset in assets:  # the login page needs the stylesheet before anyone is logged in
        response = client.get(asset)
        assert response.status_code == 200 and response.headers["X-Content-Type-Options"] == "nosniff"
