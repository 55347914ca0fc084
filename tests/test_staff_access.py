"""Staff access: every page and API route needs a login or a token (the API and /metrics), except Twilio's webhooks
and /healthz."""

from __future__ import annotations

import multiprocessing
import re
import stat
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from hotline import create_app
from hotline.services import build_services
from hotline.settings import Settings, SettingsError, server_secret
from hotline.store import keys
from hotline.store.staff_accounts import AccountError, StaffAccounts
from hotline.store.staff_tokens import StaffTokens

PUBLIC = {"/healthz", "/staff/login"}
TOKEN_ROUTES = {"/metrics"}  # besides /api/*: Prometheus scrapes with a staff token


def concrete(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "+15551230001" if "number" in m[1] else "x", rule)


def test_every_route_requires_authentication_except_signed_webhooks_and_healthz(app, client):
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = concrete(rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            if rule.rule.startswith("/twilio/"):
                assert response.status_code == 403, f"{method} {rule.rule} must demand a Twilio signature"
            elif rule.rule in PUBLIC:
                assert response.status_code in (200, 400, 401), f"{method} {rule.rule}"
            elif rule.rule.startswith("/api/") or rule.rule in TOKEN_ROUTES:
                assert response.status_code == 401, f"{method} {rule.rule} must demand a staff token"
            elif method == "GET":
                assert response.status_code == 302, f"{method} {rule.rule} must redirect to the login"
                if rule.rule == "/":
                    response = client.get(response.headers["Location"])  # the home page is the overview
                assert "/staff/login" in response.headers["Location"]
            else:
                # Without a session there is no CSRF token either: refused before anything happens.
                assert response.status_code in (302, 400), f"{method} {rule.rule}"
            checked += 1
    assert checked >= 10


@pytest.fixture
def nurse(redis):
    StaffAccounts(redis).add("nurse.kim", "correct horse battery")
    return "nurse.kim"


def csrf_from(html: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', html)[1].decode()


def log_in(client, username="nurse.kim", password="correct horse battery", address=None):
    """Log in from the test client's address, or from `address` as a trusted proxy reports it."""
    headers = {"X-Forwarded-For": address} if address else {}
    token = csrf_from(client.get("/staff/login", headers=headers).data)
    return client.post("/staff/login", headers=headers,
                       data={"username": username, "password": password, "csrf_token": token})


@pytest.fixture
def behind_proxy(settings, redis):
    """The app as the README deploys it behind a TLS proxy (HOTLINE_TRUST_PROXY=true)."""
    return create_app(services=build_services(settings.with_(trust_proxy=True))).test_client()


def test_a_nurse_logs_in_sees_the_overview_and_logs_out(client, nurse):
    response = log_in(client)
    assert response.status_code == 302
    page = client.get("/staff/")
    assert page.status_code == 200 and b"Today" in page.data
    token = csrf_from(page.data)
    client.post("/staff/logout", data={"csrf_token": token})
    assert client.get("/staff/").status_code == 302


def test_a_wrong_password_says_so_without_saying_which_part_was_wrong(client, nurse):
    response = log_in(client, password="wrong password!")
    assert response.status_code == 401
    assert b"do not match" in response.data


@pytest.fixture
def nurses(redis, nurse):
    StaffAccounts(redis).add("nurse.lee", "another long password")
    return {nurse: "correct horse battery", "nurse.lee": "another long password"}


def test_five_wrong_passwords_lock_the_account_and_say_how_long_to_wait(behind_proxy, nurse):
    for _ in range(5):
        log_in(behind_proxy, password="wrong password!", address="203.0.113.7")
    for address in ("203.0.113.7", "198.51.100.9"):  # the account is locked, wherever the next try comes from
        response = log_in(behind_proxy, address=address)  # even the right password waits now
        assert response.status_code == 429
        assert b"Too many failed logins. Please wait 15 minutes and try again." in response.data
        assert 840 < int(response.headers["Retry-After"]) <= 900
    assert behind_proxy.get("/staff/").status_code == 302


def test_staff_sharing_one_address_can_log_in_again_and_again(client, nurses):
    # Behind the README's TLS proxy every nurse has the proxy's address: a login is not an attack.
    for username, password in list(nurses.items()) * 5:
        assert log_in(client, username, password).status_code == 302, username


def test_someone_elses_wrong_passwords_do_not_lock_a_nurse_out(client, nurses):
    for _ in range(5):
        log_in(client, "nurse.lee", "wrong password!")
    assert log_in(client, "nurse.kim", "correct horse battery").status_code == 302
    assert log_in(client, "nurse.lee", "another long password").status_code == 429


def test_a_successful_login_clears_the_accounts_failed_attempts(client, nurse):
    for _ in range(3):
        for _ in range(4):
            assert log_in(client, password="wrong password!").status_code == 401
        assert log_in(client).status_code == 302


def test_guesses_sent_all_at_once_get_no_more_tries_than_guesses_sent_one_by_one(app, nurse):
    def guess(n: int) -> int:
        return log_in(app.test_client(), password=f"guess number {n}").status_code

    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(guess, range(12)))
    assert sorted(statuses) == [401] * 5 + [429] * 7


def test_guesses_at_many_accounts_from_one_address_lock_that_address_only(behind_proxy, nurse):
    for n in range(20):
        response = log_in(behind_proxy, f"user{n}", "wrong password!", address="203.0.113.7")
        assert response.status_code == 401 and b"do not match" in response.data
    assert log_in(behind_proxy, address="203.0.113.7").status_code == 429
    assert log_in(behind_proxy, address="198.51.100.9").status_code == 302


@pytest.fixture
def behind_two_proxies(settings, redis):
    """A CDN in front of the load balancer: each appends the address it was reached from (HOTLINE_PROXY_COUNT=2)."""
    return create_app(services=build_services(settings.with_(trust_proxy=True, proxy_count=2))).test_client()


def test_behind_two_proxies_failed_logins_count_per_client_address_not_per_cdn_node(behind_two_proxies, nurse):
    # X-Forwarded-For as the load balancer passes it on: the client (as the CDN saw it), then the CDN node.
    for n in range(20):
        log_in(behind_two_proxies, f"user{n}", "wrong password!", address="203.0.113.7, 10.0.0.2")
    assert log_in(behind_two_proxies, address="203.0.113.7, 10.0.0.2").status_code == 429
    # Another client through the same CDN node is not that address; nor can the first one pretend to be
    # someone else by sending its own X-Forwarded-For, which the CDN appends to.
    assert log_in(behind_two_proxies, address="198.51.100.9, 10.0.0.2").status_code == 302
    assert log_in(behind_two_proxies, address="198.51.100.9, 203.0.113.7, 10.0.0.2").status_code == 429


def test_behind_one_proxy_a_forwarded_for_the_client_wrote_itself_is_not_its_address(behind_proxy, nurse):
    for n in range(20):
        log_in(behind_proxy, f"user{n}", "wrong password!", address=f"192.0.2.{n}, 203.0.113.7")
    assert log_in(behind_proxy, address="203.0.113.7").status_code == 429


@pytest.mark.parametrize(("username", "address"), [
    ("a" * 60_000, "203.0.113.7"),             # the review's attack: a 60 KB username per request
    ("nurse.kim", "203.0.113." + "7" * 8_000),  # a client that reaches the trusting app directly sets any address
])
def test_huge_login_input_gets_the_usual_answer_and_leaves_nothing_large_in_redis(
        behind_proxy, redis, nurse, username, address):
    for attempt in range(3):
        response = log_in(behind_proxy, username=f"{attempt}{username}", password="wrong password!",
                          address=f"{attempt}{address}")
        assert response.status_code == 401 and b"do not match" in response.data
    sizes = {key: redis.memory_usage(key) for key in redis.scan_iter(keys.login_attempts("*", "*"))}
    assert sizes and all(len(key) < 80 and size < 200 for key, size in sizes.items()), sizes


def test_login_limits_keep_no_username_or_address_in_redis(client, redis, nurse):
    log_in(client, password="wrong password!")
    names = b" ".join(redis.scan_iter(keys.login_attempts("*", "*")))
    assert names and b"nurse.kim" not in names and b"127.0.0.1" not in names


def test_the_login_form_takes_no_username_longer_than_an_account_can_have(client):
    page = client.get("/staff/login").data
    assert re.search(rb'<input id="username"[^>]* maxlength="40"', page)


def test_a_form_without_the_csrf_token_is_refused(client, nurse):
    log_in(client)
    response = client.post("/staff/simulator", data={"message": "hi"})
    assert response.status_code == 400


def test_after_login_only_local_pages_are_redirect_targets(client, nurse):
    token = csrf_from(client.get("/staff/login").data)
    response = client.post("/staff/login?next=https://evil.example/", data={
        "username": "nurse.kim", "password": "correct horse battery", "csrf_token": token})
    assert response.headers["Location"].endswith("/staff/")


def staff_cli(settings, monkeypatch, *args: str):  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from hotline.cli import main

    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    result = CliRunner().invoke(main, ["staff", *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("ending", ["she logs out", "her password is reset", "her account is deleted"])
def test_a_copied_session_cookie_stops_working_when_the_session_ends(
        app, client, redis, settings, monkeypatch, nurse, ending):
    log_in(client)
    copy = app.test_client()  # a cookie copied off a shared computer, or another browser of hers
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.get("/staff/").status_code == 200
    if ending == "she logs out":
        client.post("/staff/logout", data={"csrf_token": csrf_from(client.get("/staff/").data)})
    elif ending == "her password is reset":
        staff_cli(settings, monkeypatch, "add", nurse, "--reset", "--password", "a brand new password")
    else:
        staff_cli(settings, monkeypatch, "remove", nurse, "--yes")
    response = copy.get("/staff/")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    assert client.get("/staff/").status_code == 302


def test_an_account_made_again_under_a_deleted_name_does_not_revive_its_old_sessions(
        app, client, redis, settings, monkeypatch, nurse):
    log_in(client)
    redis.hdel(keys.STAFF_ACCOUNTS, nurse)
    staff_cli(settings, monkeypatch, "add", nurse, "--password", "someone else entirely")
    assert client.get("/staff/").status_code == 302


def test_after_a_password_reset_the_new_password_logs_in(client, settings, monkeypatch, nurse):
    log_in(client)
    staff_cli(settings, monkeypatch, "add", nurse, "--reset", "--password", "a brand new password")
    assert log_in(client, password="a brand new password").status_code == 302
    assert client.get("/staff/").status_code == 200


def test_sessions_expire(client, services, nurse):
    log_in(client)
    services.clock.advance(8 * 3600 - 60)  # SESSION_HOURS, less a minute
    assert client.get("/staff/").status_code == 200
    services.clock.advance(61)
    assert client.get("/staff/").status_code == 302


@pytest.mark.parametrize(("username", "password", "problem"), [
    ("Nurse Kim", "long enough pass", "lowercase"), ("kim", "short", "10 characters")])
def test_bad_account_details_are_explained(redis, username, password, problem):
    with pytest.raises(AccountError, match=problem):
        StaffAccounts(redis).add(username, password)


def test_passwords_are_stored_as_argon2_hashes(redis, nurse):
    stored = redis.hget(keys.STAFF_ACCOUNTS, nurse).decode()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored


def look_up(client, number, token="nope"):  # type: ignore[no-untyped-def]
    """The conversations API takes the number in the body, so it never reaches a URL or an access log."""
    return client.post("/api/conversations/lookup", json={"number": number},
                       headers={"Authorization": f"Bearer {token}"})


def test_the_conversations_api_needs_a_valid_token(client, services, redis, twilio):
    twilio.sms("my 5 week old is shaking and has a fever of 38.5", "+15551230001")
    assert client.post("/api/conversations/lookup", json={"number": "+15551230001"}).status_code == 401
    assert look_up(client, "+15551230001").status_code == 401
    token = StaffTokens(redis).create("nurse")
    good = look_up(client, "+15551230001", token)
    assert good.status_code == 200
    body = good.get_json()
    assert body["number"] == "+15551230001" and body["ref"] == services.refs.of("+15551230001")
    assert body["assessment"]["level"] == "urgent"
    assert "fever" in body["assessment"]["flags"]
    assert body["assessment"]["sections"]
    assert [e["dir"] for e in body["transcript"]][:2] == ["in", "out"]


@pytest.mark.parametrize(("number", "status"), [("not-a-number", 400), (None, 400), (15551230001, 400),
                                               ("+12025550123", 404)])
def test_the_conversations_api_explains_bad_or_unknown_numbers(client, redis, number, status):
    token = StaffTokens(redis).create("nurse")
    response = look_up(client, number, token)
    assert response.status_code == status
    assert response.get_json()["error"]


def test_the_conversations_api_no_longer_takes_a_number_in_the_url(client, redis, twilio):
    twilio.sms("hi", "+15551230001")
    token = StaffTokens(redis).create("nurse")
    response = client.get("/api/conversations/+15551230001", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404


def test_staff_cli_creates_an_account_and_a_token(settings, redis, monkeypatch):
    from click.testing import CliRunner

    from hotline.cli import main

    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    runner = CliRunner()
    result = runner.invoke(main, ["staff", "add", "coordinator", "--password", "a long password"])
    assert result.exit_code == 0, result.output
    assert StaffAccounts(redis).verify("coordinator", "a long password")
    result = runner.invoke(main, ["staff", "token", "Coordinator"])
    token = result.output.strip().splitlines()[-1]
    assert StaffTokens(redis).who(token) == "Coordinator"


# --- Ending access: revoking API tokens, token expiry, removing an account ------------------------------


@pytest.fixture
def admin_cli(settings, services, redis, monkeypatch):
    """`hotline staff ...` as an administrator types it, against the test Redis, on the services' clock."""
    from click.testing import CliRunner

    from hotline.cli import main

    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    runner = CliRunner()
    return lambda *args, **kw: runner.invoke(main, ["staff", *args], obj=services.clock, **kw)


def opens_the_api(client, token: str) -> bool:
    response = client.get("/api/schedules", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (200, 401)
    return response.status_code == 200


def new_token(admin_cli, *args: str) -> str:
    result = admin_cli("token", *args)
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def listed(admin_cli) -> list[str]:
    result = admin_cli("tokens")
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_a_revoked_token_no_longer_opens_the_api_and_the_others_still_do(client, admin_cli, redis):
    kims = [new_token(admin_cli, "kim"), new_token(admin_cli, "create", "kim")]
    lees = new_token(admin_cli, "lee")
    assert all(opens_the_api(client, t) for t in [*kims, lees])

    [line] = [line for line in listed(admin_cli) if " lee " in f" {line} "]
    result = admin_cli("token", "revoke", line.split()[0])  # one token, by the id the list shows
    assert result.exit_code == 0 and "revoked 1 token" in result.output
    assert not opens_the_api(client, lees) and all(opens_the_api(client, t) for t in kims)

    result = admin_cli("token", "revoke", "--name", "kim")  # every token of a person
    assert result.exit_code == 0 and "revoked 2 token" in result.output
    assert not any(opens_the_api(client, t) for t in kims)
    assert redis.hlen(keys.STAFF_TOKENS) == 0


@pytest.mark.parametrize("args", [(), ("0123456789ab",), ("--name", "nobody")])
def test_revoking_nothing_says_so_and_creates_no_token_named_revoke(admin_cli, redis, args):
    result = admin_cli("token", "revoke", *args)
    assert result.exit_code != 0
    assert redis.hlen(keys.STAFF_TOKENS) == 0


def test_the_token_list_shows_each_tokens_owner_expiry_and_last_use_but_never_a_token(client, admin_cli):
    used, unused = new_token(admin_cli, "kim"), new_token(admin_cli, "lee", "--days", "30")
    assert opens_the_api(client, used)
    lines = listed(admin_cli)
    text = "\n".join(lines)
    assert used not in text and unused not in text and used[4:16] not in text
    [kim] = [line for line in lines if " kim " in f" {line} "]
    [lee] = [line for line in lines if " lee " in f" {line} "]
    assert "never expires" in kim and "last used never" not in kim and "last used 20" in kim
    assert "expires 20" in lee and "last used never" in lee


def test_a_token_made_to_last_some_days_stops_working_after_them(client, services, admin_cli):
    token = new_token(admin_cli, "agency-nurse", "--days", "7")
    assert opens_the_api(client, token)
    services.clock.advance(7 * 86400 + 60)
    assert not opens_the_api(client, token)
    assert "expired" in "\n".join(listed(admin_cli))


def test_a_token_kept_before_tokens_had_an_expiry_still_works_and_is_listed(client, admin_cli, redis):
    import hashlib

    token = "hlt_made-by-an-earlier-version-of-the-hotline"
    redis.hset(keys.STAFF_TOKENS, hashlib.sha256(token.encode()).hexdigest(), "Nurse Kim")
    assert opens_the_api(client, token)
    assert any("Nurse Kim" in line and "never expires" in line for line in listed(admin_cli))


def test_removing_a_staff_member_deletes_the_account_ends_its_sessions_and_revokes_their_tokens(
        app, client, admin_cli, redis, nurses):
    token, other = new_token(admin_cli, "nurse.kim"), new_token(admin_cli, "nurse.lee")
    browser = app.test_client()
    assert log_in(browser).status_code == 302
    result = admin_cli("remove", "nurse.kim", "--yes")
    assert result.exit_code == 0, result.output
    assert "nurse.kim" in result.output and "1 API token" in result.output
    assert StaffAccounts(redis).usernames() == ["nurse.lee"]
    assert browser.get("/staff/").status_code == 302
    assert log_in(client, "nurse.kim", "correct horse battery").status_code == 401
    assert not opens_the_api(client, token) and opens_the_api(client, other)
    assert admin_cli("remove", "nurse.kim", "--yes").exit_code != 0  # nothing left to remove: said, not silent


def test_a_conversation_page_shows_that_a_picture_or_video_came(client, services, nurse, twilio):
    params = twilio.sms_params("", "+15551230001")
    params.update(NumMedia="2", MediaUrl0="https://api.twilio.com/m/ME1", MediaContentType0="image/jpeg")
    twilio.post("/twilio/sms", params)
    log_in(client)
    page = client.get(f"/staff/conversations/{services.refs.of('+15551230001')}").data.decode()
    assert "[2 picture(s) or video(s) attached, not kept]" in page


def test_a_reveal_is_recorded_in_redis_with_who_when_and_which_conversation_and_listed_for_staff(
        client, services, redis, nurse, twilio):
    from hotline.store.audit import RevealAudit

    twilio.sms("hi", "+15551230001")
    log_in(client)
    ref = services.refs.of("+15551230001")
    assert "+15551230001" not in client.get(f"/staff/conversations/{ref}").data.decode()
    assert RevealAudit(redis).recent() == []  # a masked page is no reveal
    before = time.time()
    assert "+15551230001" in reveal_number(client, ref).data.decode()
    [reveal] = RevealAudit(redis).recent()
    assert (reveal.by, reveal.ref) == ("nurse.kim", ref) and before - 1 < reveal.at < time.time() + 1
    listing = client.get("/staff/reveals").data.decode()
    assert "nurse.kim" in listing and f'href="/staff/conversations/{ref}"' in listing
    assert "+15551230001" not in listing


def reveal_number(client, ref):
    """Press "Show the full number" on the conversation page: a form posted with its CSRF token."""
    page = client.get(f"/staff/conversations/{ref}").data
    return client.post(f"/staff/conversations/{ref}/reveal", data={"csrf_token": csrf_from(page)})


def test_a_link_from_another_site_can_neither_reveal_a_number_nor_write_a_reveal_record(
        client, services, redis, nurse, twilio):
    from hotline.store.audit import RevealAudit

    twilio.sms("hi", "+15551230001")
    log_in(client)
    ref = services.refs.of("+15551230001")
    # What another site can make a logged-in browser do: a top-level GET (the Lax cookie goes along),
    # or a form posted without the page's CSRF token.
    for response in (client.get(f"/staff/conversations/{ref}?reveal=1"),
                     client.get(f"/staff/conversations/{ref}/reveal"),
                     client.post(f"/staff/conversations/{ref}/reveal"),
                     client.post(f"/staff/conversations/{ref}/reveal", data={"csrf_token": "forged"})):
        assert "+15551230001" not in response.data.decode()
    assert RevealAudit(redis).recent() == []
    assert "+15551230001" in reveal_number(client, ref).data.decode()
    assert [r.by for r in RevealAudit(redis).recent()] == ["nurse.kim"]


def test_a_search_finds_a_conversation_older_than_the_newest_thousand(client, nurse, twilio, redis):
    twilio.sms("hi", "+15551230001")
    with redis.pipeline() as pipe:  # a busy month: 1,000 conversations since, from other parents
        for n in range(1000):
            pipe.zadd(keys.CONVERSATIONS, {f"+1555124{n:04d}": 2_000_000_000 + n})
        pipe.execute()
    log_in(client)
    page = client.get("/staff/conversations?q=%2B15551230001").data.decode()
    assert "No conversation with that number" not in page and "+1*******001" in page


@pytest.fixture
def busy_month(redis):
    """5,000 other parents' conversations, all within the retention period."""
    now = time.time()
    with redis.pipeline() as pipe:
        for n in range(5000):
            pipe.zadd(keys.CONVERSATIONS, {f"+1555124{n:04d}": now - n})
        pipe.execute()


@pytest.fixture
def hashed(services, monkeypatch):
    """Every number whose reference the app computes from here on."""
    numbers: list[str] = []
    real = services.refs.of
    monkeypatch.setattr(services.refs, "of", lambda number: numbers.append(number) or real(number))
    return numbers


def test_opening_a_conversation_is_one_lookup_not_a_scan_of_every_number(
        client, services, nurse, twilio, busy_month, hashed):
    twilio.sms("hi", "+15551230001")
    log_in(client)
    ref = services.refs.of("+15551230001")
    hashed.clear()
    page = client.get(f"/staff/conversations/{ref}")
    assert page.status_code == 200 and "+1*******001" in page.data.decode()
    assert client.get("/staff/conversations/n_0123456789abcdef").status_code == 404
    assert len(hashed) <= 1  # not 5,001 numbers hashed to find one, or to find none


def test_a_conversation_from_before_the_reference_index_opens_from_the_list(
        client, services, nurse, twilio, redis):
    twilio.sms("hi", "+15551230001")
    ref = services.refs.of("+15551230001")
    redis.delete(*redis.keys(keys.ref("*")))  # written before the index existed, or under another secret key
    log_in(client)
    assert f'href="/staff/conversations/{ref}"' in client.get("/staff/conversations").data.decode()
    assert client.get(f"/staff/conversations/{ref}").status_code == 200


# --- The key that signs staff sessions, when HOTLINE_SECRET_KEY is not set ---------------------------


@pytest.fixture
def keyless(settings, redis):
    """Services as `gunicorn 'hotline:create_app()'` builds them with HOTLINE_ENV unset and no secret key."""
    return build_services(settings.with_(env="development", secret_key=None))


def cookie_signed_with(key: str, session: dict) -> str:
    forger = Flask("forger")
    forger.secret_key = key
    return SecureCookieSessionInterface().get_signing_serializer(forger).dumps(session)


def test_a_session_cookie_forged_with_the_old_public_development_key_is_refused(keyless):
    client = create_app(services=keyless).test_client()
    forged = cookie_signed_with("dev-only-not-secret", {"staff": "admin-i-made-up", "staff_at": time.time()})
    client.set_cookie("session", forged)
    assert client.get("/staff/").status_code == 302


def test_without_a_secret_key_each_data_directory_keeps_its_own_random_key_readable_by_its_owner_only(
        keyless, tmp_path):
    app = create_app(services=keyless)
    kept = keyless.settings.data_dir / "secret_key"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert kept.read_text().strip() == app.secret_key and len(app.secret_key) >= 64
    assert create_app(services=keyless).secret_key == app.secret_key  # a restart reuses it
    elsewhere = build_services(keyless.settings.with_(data_dir=tmp_path / "elsewhere"))
    assert create_app(services=elsewhere).secret_key != app.secret_key


def _secret_of(data_dir: str) -> str:
    return server_secret(Settings(env="test", data_dir=Path(data_dir)))


def test_apps_starting_at_once_without_a_secret_key_agree_on_one(keyless):
    # The web server's worker processes start at once, each making the key if it finds none: one key wins.
    # (Processes, as in production: building Flask apps in threads trips a CPython 3.11 race in werkzeug's
    # rule compiler, which is no part of this.)
    with ProcessPoolExecutor(8, mp_context=multiprocessing.get_context("fork")) as pool:
        secrets = set(pool.map(_secret_of, [str(keyless.settings.data_dir)] * 8))
    assert len(secrets) == 1 and create_app(services=keyless).secret_key in secrets


def test_a_staff_session_survives_a_restart_without_a_secret_key(keyless, nurse):
    before = create_app(services=keyless).test_client()
    assert log_in(before).status_code == 302
    after = create_app(services=keyless).test_client()
    after.set_cookie("session", before.get_cookie("session").value)
    assert after.get("/staff/").status_code == 200


def test_production_never_makes_up_a_secret_key(keyless):
    production = build_services(keyless.settings.with_(env="production"))
    with pytest.raises(SettingsError, match="HOTLINE_SECRET_KEY"):
        create_app(services=production)
    assert not (keyless.settings.data_dir / "secret_key").exists()
