"""With Redis down every webhook still answers 200 with something safe; when it is back, service resumes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from hotline import create_app
from hotline.devtools.signed import SignedTwilio, new_sid, reply_texts
from hotline.redis_server import RedisServer, free_port
from hotline.services import build_services
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL

PARENT = "+15551230001"


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(port=free_port(), data_dir=tmp_path / "redis").start()
    yield server
    server.stop()


def spoken(response) -> str:
    assert response.status_code == 200
    return " ".join(s.text or "" for s in ET.fromstring(response.data).iter("Say"))


def test_webhooks_answer_safely_while_redis_is_down_and_resume_without_a_restart(settings, own_redis):
    app = create_app(services=build_services(settings.with_(redis_url=own_redis.url)))
    signer = SignedTwilio(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL, ACCOUNT_SID)
    signer.sms("hi", PARENT)
    assert "How old is your baby?" in "\n".join(reply_texts(signer.sms("4", PARENT)))

    own_redis.stop()
    reply = "\n".join(reply_texts(signer.sms("1", PARENT)))
    assert "went wrong" in reply and "911" in reply
    assert "\n".join(reply_texts(signer.sms("she is having a seizure", PARENT))).startswith("Call 911 now")
    voice = spoken(signer.post("/twilio/voice", signer.voice_params(new_sid("CA"), PARENT)))
    assert "911" in voice
    assert app.test_client().get("/healthz").status_code == 503
    assert signer.status("SM" + "1" * 32, "delivered").status_code == 200

    own_redis.start()  # same port, same append-only file
    assert app.test_client().get("/healthz").status_code == 200
    reply = "\n".join(reply_texts(signer.sms("1", PARENT)))
    assert "trouble breathing" in reply  # the conversation carried on where it was
