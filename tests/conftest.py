"""Shared fixtures: a private redis-server, the app bound to it, signed Twilio requests, a fake Twilio API."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import redis as redis_lib

from hotline import create_app
from hotline.devtools.fake_twilio import FakeTwilio
from hotline.devtools.signed import SignedTwilio
from hotline.redis_server import RedisServer, free_port
from hotline.services import Services, build_services
from hotline.settings import Settings
from hotline.store.staff_accounts import StaffAccounts

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_BASE_URL = "https://hotline.example.org"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A private redis-server on a random free port, never the machine's default Redis."""
    with RedisServer(port=free_port()) as server:
        yield server


@pytest.fixture
def redis(redis_server: RedisServer) -> Iterator[redis_lib.Redis]:
    client = redis_lib.Redis.from_url(redis_server.url)
    client.flushall()
    yield client
    client.close()


@pytest.fixture(scope="session")
def fake_twilio_server() -> Iterator[FakeTwilio]:
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        yield fake


@pytest.fixture
def fake_twilio(fake_twilio_server: FakeTwilio) -> FakeTwilio:
    fake_twilio_server.reset()
    return fake_twilio_server


@pytest.fixture
def settings(redis_server: RedisServer, fake_twilio: FakeTwilio, tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(
        env="test",
        redis_url=redis_server.url,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from_number="+15005550006",
        twilio_api_base_url=fake_twilio.base_url,
        public_base_url=PUBLIC_BASE_URL,
        secret_key="test-secret",
        data_dir=tmp_path / "var",
    )


@pytest.fixture
def services(settings: Settings, redis: redis_lib.Redis) -> Services:
    return build_services(settings)


@pytest.fixture
def app(services: Services):  # type: ignore[no-untyped-def]
    app = create_app(services=services)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def twilio(client) -> SignedTwilio:  # type: ignore[no-untyped-def]
    """Sends webhooks to the app signed exactly as Twilio signs them."""
    return SignedTwilio(client, AUTH_TOKEN, PUBLIC_BASE_URL, ACCOUNT_SID)


@pytest.fixture
def env(monkeypatch, settings):
    """Jobs run by an in-process RQ worker read Settings.from_env(): point it at the test Redis and fake API."""
    from tests.support.reminders import worker_env

    return worker_env(monkeypatch, settings)


@pytest.fixture
def reminders(services, env):
    return services.reminders


@pytest.fixture
def staff(client, redis):  # type: ignore[no-untyped-def]
    """Nurse Kim, logged in to the dashboard; staff.token is a CSRF token for its forms. (Modules with a staff
    fixture of their own use theirs.)"""
    StaffAccounts(redis).add("nurse.kim", "correct horse battery")
    response = client.post("/staff/login", data={"username": "nurse.kim", "password": "correct horse battery",
                                                 "csrf_token": _csrf(client.get("/staff/login").data)})
    assert response.status_code == 302
    client.token = _csrf(client.get("/staff/schedules").data)
    return client


def _csrf(page: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', page)[1].decode()  # type: ignore[index]
