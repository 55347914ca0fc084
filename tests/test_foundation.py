"""The foundation: signed webhooks, health, configuration, outbound texts."""

from __future__ import annotations

import ssl
import xml.etree.ElementTree as ET

import pytest
import trustme

from hotline.devtools.fake_twilio import FakeTwilio
from hotline.redis_server import RedisServer, free_port
from hotline.sender import ConsoleOutbox, PermanentSendError, TransientSendError, TwilioSender
from hotline.settings import Settings, SettingsError
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN


def test_signed_sms_webhook_answers_well_formed_twiml(twilio):
    response = twilio.sms("hello")
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    assert [child.tag for child in root] == ["Message"]
    assert root[0].text


@pytest.mark.parametrize(
    "signature", [None, "", "bm90IGEgc2lnbmF0dXJl", "wrong"], ids=["missing", "empty", "bogus", "short"]
)
def test_unsigned_or_badly_signed_sms_is_refused_with_403(client, twilio, signature, caplog):
    params = twilio.sms_params("hello", "+15551239876")
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    response = client.post("/twilio/sms", data=params, headers=headers)
    assert response.status_code == 403
    assert "5551239876" not in caplog.text  # the log line never names the phone number


def test_signature_for_another_url_is_refused(client, twilio):
    params = twilio.sms_params("hello", "+15551230001")
    other = twilio.sign("/twilio/other", params)
    assert client.post("/twilio/sms", data=params, headers={"X-Twilio-Signature": other}).status_code == 403


def test_signature_covers_the_query_string(client, twilio):
    params = twilio.sms_params("hello", "+15551230001")
    good = twilio.sign("/twilio/sms?lang=es", params)
    assert client.post("/twilio/sms?lang=es", data=params, headers={"X-Twilio-Signature": good}).status_code == 200
    assert client.post("/twilio/sms?lang=en", data=params, headers={"X-Twilio-Signature": good}).status_code == 403


def test_behind_a_tls_proxy_the_public_https_url_is_validated(services):
    from hotline import create_app

    settings = services.settings.with_(public_base_url=None, trust_proxy=True)
    services.settings = settings
    app = create_app(services=services)
    client = app.test_client()
    from hotline.devtools.signed import SignedTwilio

    signer = SignedTwilio(client, AUTH_TOKEN, "https://hotline.example.org", settings.twilio_account_sid or "")
    params = signer.sms_params("hi", "+15551230001")
    headers = {
        "X-Twilio-Signature": signer.sign("/twilio/sms", params),
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "hotline.example.org",
    }
    # The proxy talks plain http to the app; ProxyFix restores the URL Twilio signed.
    response = client.post("/twilio/sms", data=params, headers=headers, base_url="http://10.0.0.5:8000")
    assert response.status_code == 200


def test_behind_a_trusted_proxy_a_signature_for_the_clients_own_host_header_is_refused(services):
    # The review's F16: a webhook Twilio signed for another app on the same account, replayed with that app's
    # Host. Without PUBLIC_BASE_URL the signed URL may come from the proxy's X-Forwarded-Host, never from Host.
    from hotline import create_app
    from hotline.devtools.signed import SignedTwilio

    services.settings = services.settings.with_(public_base_url=None, trust_proxy=True)
    client = create_app(services=services).test_client()
    for host in ("evil.example", "other-app.example.org"):
        signer = SignedTwilio(client, AUTH_TOKEN, f"http://{host}", ACCOUNT_SID)
        params = signer.sms_params("hi", "+15551230001")
        response = client.post("/twilio/sms", data=params, base_url=f"http://{host}",
                               headers={"X-Twilio-Signature": signer.sign("/twilio/sms", params)})
        assert response.status_code == 403, host


@pytest.mark.parametrize(("extra", "starts"), [
    ({}, False),
    ({"PUBLIC_BASE_URL": "https://hotline.example.org"}, True),
    ({"HOTLINE_TRUST_PROXY": "true"}, True),
], ids=["neither", "PUBLIC_BASE_URL", "HOTLINE_TRUST_PROXY"])
def test_production_needs_the_public_url_or_a_trusted_proxy_to_know_what_twilio_signed(extra, starts):
    env = {"HOTLINE_ENV": "production", "TWILIO_AUTH_TOKEN": "t", "HOTLINE_SECRET_KEY": "s",
           "REDIS_URL": "redis://x", **extra}
    if starts:
        assert Settings.from_env(env, dotenv=None).production
    else:
        with pytest.raises(SettingsError, match=r"PUBLIC_BASE_URL.*HOTLINE_TRUST_PROXY"):
            Settings.from_env(env, dotenv=None)


@pytest.mark.parametrize(("proxies", "forwarded", "status"), [
    (1, {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hotline.example.org"}, 200),
    # Only the headers the README tells the operator to set are believed: not the port, not a path prefix.
    (1, {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hotline.example.org", "X-Forwarded-Port": "8443",
         "X-Forwarded-Prefix": "/evil"}, 200),
    # A client's own X-Forwarded-Host, to which the proxy appends the real one, does not count.
    (1, {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example, hotline.example.org"}, 200),
    # Two proxies (HOTLINE_PROXY_COUNT=2): the values the outer one set, whatever the inner one appended.
    (2, {"X-Forwarded-Proto": "https, http", "X-Forwarded-Host": "hotline.example.org, lb.internal"}, 200),
    (2, {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hotline.example.org"}, 403),  # one proxy short
], ids=["one proxy", "port and prefix ignored", "client's own host ignored", "two proxies", "one of two"])
def test_behind_trusted_proxies_the_signed_url_is_the_one_the_outermost_proxy_reports(
        services, proxies, forwarded, status):
    from hotline import create_app
    from hotline.devtools.signed import SignedTwilio

    services.settings = services.settings.with_(public_base_url=None, trust_proxy=True, proxy_count=proxies)
    client = create_app(services=services).test_client()
    signer = SignedTwilio(client, AUTH_TOKEN, "https://hotline.example.org", ACCOUNT_SID)
    params = signer.sms_params("hi", "+15551230001")
    headers = {"X-Twilio-Signature": signer.sign("/twilio/sms", params), **forwarded}
    response = client.post("/twilio/sms", data=params, headers=headers, base_url="http://10.0.0.5:8000")
    assert response.status_code == status


@pytest.mark.parametrize(("env", "problem"), [
    ({"HOTLINE_TRUST_PROXY": "true", "HOTLINE_PROXY_COUNT": "0"}, "HOTLINE_PROXY_COUNT"),
    ({"HOTLINE_PROXY_COUNT": "2"}, "HOTLINE_TRUST_PROXY"),
])
def test_a_proxy_count_must_be_positive_and_comes_with_trusting_the_proxy(env, problem):
    with pytest.raises(SettingsError, match=problem):
        Settings.from_env(env, dotenv=None)


def test_healthz_reports_redis_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "redis": "up"}


def test_healthz_says_503_when_redis_is_down(settings):
    from hotline import create_app
    from hotline.services import build_services

    with RedisServer(port=free_port()) as server:
        app = create_app(services=build_services(settings.with_(redis_url=server.url)))
        client = app.test_client()
        assert client.get("/healthz").status_code == 200
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["redis"] == "down"


def test_production_refuses_to_start_without_its_secrets_and_names_them():
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"HOTLINE_ENV": "production"})
    message = str(error.value)
    for name in ("TWILIO_AUTH_TOKEN", "HOTLINE_SECRET_KEY", "REDIS_URL"):
        assert name in message


def test_production_cannot_switch_off_signature_checks():
    env = {"HOTLINE_ENV": "production", "TWILIO_AUTH_TOKEN": "t", "HOTLINE_SECRET_KEY": "s",
           "REDIS_URL": "redis://x", "HOTLINE_VALIDATE_SIGNATURES": "false"}
    with pytest.raises(SettingsError, match="HOTLINE_VALIDATE_SIGNATURES"):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("name", "value"),
    [("HOTLINE_PORT", "fifty"), ("HOTLINE_QUIET_HOURS_START", "25:00"), ("HOTLINE_DEFAULT_TIMEZONE", "Mars/Base"),
     ("HOTLINE_ENV", "staging"), ("HOTLINE_VALIDATE_SIGNATURES", "maybe")],
)
def test_a_bad_setting_is_named_with_what_is_wrong(name, value):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_defaults_suit_local_development():
    settings = Settings.from_env({}, dotenv=None)
    assert settings.emergency_number == "911"
    assert settings.env == "development"
    assert not settings.twilio_configured


def test_dotenv_file_is_read_and_environment_wins(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("HOTLINE_EMERGENCY_NUMBER=112\nHOTLINE_PORT=6000\n")
    settings = Settings.from_env({"HOTLINE_PORT": "7000"}, dotenv=dotenv)
    assert settings.emergency_number == "112"
    assert settings.port == 7000


def test_twilio_sender_sends_through_the_real_client_to_the_api(settings, fake_twilio):
    sent = TwilioSender(settings).send("+15551230001", "Check-in: how are the legs today?")
    assert sent.sid.startswith("SM")
    [message] = fake_twilio.messages
    assert (message.to, message.from_, message.body) == ("+15551230001", "+15005550006",
                                                         "Check-in: how are the legs today?")
    assert message.status_callback == "https://hotline.example.org/twilio/status"


def test_twilio_sender_can_use_a_messaging_service(settings, fake_twilio):
    settings = settings.with_(twilio_from_number=None, twilio_messaging_service_sid="MG" + "1" * 32)
    TwilioSender(settings).send("+15551230001", "hi")
    assert fake_twilio.messages[0].messaging_service_sid == "MG" + "1" * 32


@pytest.mark.parametrize(
    ("code", "error"),
    [(21610, PermanentSendError), (21211, PermanentSendError), (21614, PermanentSendError),
     (20429, TransientSendError), (20500, TransientSendError)],
)
def test_twilio_errors_are_sorted_into_permanent_and_transient(settings, fake_twilio, code, error):
    fake_twilio.fail_next(code)
    with pytest.raises(error) as raised:
        TwilioSender(settings).send("+15551230001", "hi")
    assert raised.value.code == code
    assert fake_twilio.messages == []


def test_unreachable_api_is_a_transient_error(settings):
    settings = settings.with_(twilio_api_base_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(TransientSendError):
        TwilioSender(settings).send("+15551230001", "hi")


def test_texts_leave_only_over_tls_the_machine_trusts(settings, tmp_path, monkeypatch):
    authority = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("localhost").configure_cert(context)
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, tls=context) as api:
        settings = settings.with_(twilio_api_base_url=api.base_url)
        # A certificate from an authority this machine does not trust: refused, nothing sent, retried later.
        with pytest.raises(TransientSendError):
            TwilioSender(settings).send("+15551230001", "hi")
        assert api.messages == []
        # The deployment's own CA bundle, named as for requests (REQUESTS_CA_BUNDLE), is trusted.
        bundle = tmp_path / "ca.pem"
        authority.cert_pem.write_to_path(str(bundle))
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
        assert TwilioSender(settings).send("+15551230001", "hi").sid.startswith("SM")
        assert [m.body for m in api.messages] == ["hi"]


def test_console_outbox_prints_and_keeps_texts_for_staff(services, redis, capsys):
    ConsoleOutbox(redis, services.refs).send("+15551230001", "Hello from the hotline")
    assert "Hello from the hotline" in capsys.readouterr().out
    [entry] = ConsoleOutbox.read(redis)
    assert entry["to"] == "+15551230001" and entry["body"] == "Hello from the hotline"
