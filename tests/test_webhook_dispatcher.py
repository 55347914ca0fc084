"""The webhook dispatcher (hotline.webhooks.TwilioWebhooks) answers Twilio's POSTs in front of Flask: byte for byte
as the Flask views behind it answer them (status, headers, body), for good requests and bad ones; anything else
falls through to Flask."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from werkzeug.test import Client, EnvironBuilder

from hotline import create_app
from hotline.devtools.signed import SignedTwilio, new_sid
from hotline.services import build_services
from hotline.webhooks import TwilioWebhooks
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL

Answer = tuple[str, list[tuple[str, str]], bytes]


def answer(wsgi: Callable, environ: dict) -> Answer:  # type: ignore[type-arg]
    got: dict = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        got["status"], got["headers"] = status, headers

    body = b"".join(wsgi(environ, start_response))
    return got["status"], got["headers"], body


@pytest.fixture
def both(app):  # type: ignore[no-untyped-def]
    """Send one request (a werkzeug EnvironBuilder's arguments) to the dispatcher and, rebuilt, to Flask behind it."""
    dispatcher = app.wsgi_app
    assert isinstance(dispatcher, TwilioWebhooks)

    def send(**request: object) -> tuple[Answer, Answer]:
        fast = answer(dispatcher, EnvironBuilder(**request).get_environ())  # type: ignore[arg-type]
        flask = answer(dispatcher.fallback, EnvironBuilder(**request).get_environ())  # type: ignore[arg-type]
        return fast, flask

    return send


def signed(path: str, params: dict[str, str], **headers: str) -> dict:  # type: ignore[type-arg]
    signer = SignedTwilio(None, AUTH_TOKEN, PUBLIC_BASE_URL, ACCOUNT_SID)
    return {"path": path, "method": "POST", "data": urlencode(params),
            "content_type": "application/x-www-form-urlencoded",
            "headers": {"X-Twilio-Signature": signer.sign(path, params), **headers}}


SIGNER = SignedTwilio(None, AUTH_TOKEN, PUBLIC_BASE_URL, ACCOUNT_SID)


def test_a_conversation_is_answered_as_the_flask_views_answer_it(both):
    # Two parents, the same texts: one through the dispatcher, one through Flask. Same replies, same headers.
    for body in ["hi", "4", "1", "2", "my 2 month old's leg keeps shaking and she feels hot", "no", "STOP", "START"]:
        fast = answer_for(both, body, "+15551230001", "+15551230002")
        assert fast[0][0] == "200 OK" and fast[0] == fast[1], body


def answer_for(both, body: str, first: str, second: str) -> tuple[Answer, Answer]:  # type: ignore[no-untyped-def]
    fast, _ = both(**signed("/twilio/sms", SIGNER.sms_params(body, first)))
    _, flask = both(**signed("/twilio/sms", SIGNER.sms_params(body, second)))
    return fast, flask


@pytest.mark.parametrize("case", ["unsigned", "badly signed", "signed for another path", "huge", "huge unsigned",
                                  "huge, no length", "json", "plain text", "multipart", "empty form",
                                  "signed JSON body", "query string"])
def test_refusals_and_odd_requests_get_the_same_answer_as_from_flask(both, case):
    params = SIGNER.sms_params("she is having a seizure", "+15551230009", message_sid="SM" + "7" * 32)
    request = signed("/twilio/sms", params)
    if case == "unsigned":
        request["headers"] = {}
    elif case == "badly signed":
        request["headers"] = {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}
    elif case == "signed for another path":
        request["headers"] = {"X-Twilio-Signature": SIGNER.sign("/twilio/voice", params)}
    elif case.startswith("huge"):
        request["data"] = urlencode({**params, "Body": "x" * 100_000})
        if case == "huge unsigned":
            request["headers"] = {}
        if case == "huge, no length":  # a chunked body: read no further than the cap
            request["input_stream"] = io.BytesIO(request.pop("data").encode())  # type: ignore[attr-defined]
            request["environ_overrides"] = {"wsgi.input_terminated": True}
    elif case in ("json", "plain text", "multipart"):
        request["data"] = json.dumps(params) if case == "json" else "Body=hi" if case == "plain text" else "--x--"
        request["content_type"] = {"json": "application/json", "plain text": "text/plain",
                                   "multipart": "multipart/form-data; boundary=x"}[case]
        request["headers"] = {"X-Twilio-Signature": SIGNER.sign("/twilio/sms", {})}
    elif case == "empty form":
        request = signed("/twilio/sms", {})
    elif case == "signed JSON body":
        body = json.dumps(params)
        path = f"/twilio/sms?bodySHA256={hashlib.sha256(body.encode()).hexdigest()}"
        request = {"path": path, "method": "POST", "data": body, "content_type": "application/json",
                   "headers": {"X-Twilio-Signature": SIGNER.sign(path, {})}}
    elif case == "query string":
        request = signed("/twilio/sms?lang=es", params)
    fast, flask = both(**request)
    assert fast == flask
    expected = {"unsigned": 403, "badly signed": 403, "signed for another path": 403, "huge": 413,
                "huge unsigned": 403, "huge, no length": 413}
    assert int(fast[0][:3]) == expected.get(case, 200), fast


def test_calls_and_delivery_statuses_are_answered_as_the_flask_views_answer_them(both):
    first, second = new_sid("CA"), new_sid("CA")
    fast, _ = both(**signed("/twilio/voice", SIGNER.voice_params(first, "+15551230003")))
    _, flask = both(**signed("/twilio/voice", SIGNER.voice_params(second, "+15551230004")))
    assert fast[0] == "200 OK" and fast == flask
    fast, _ = both(**signed("/twilio/voice/gather?n=1", SIGNER.voice_params(first, "+15551230003", Digits="1")))
    _, flask = both(**signed("/twilio/voice/gather?n=1", SIGNER.voice_params(second, "+15551230004", Digits="1")))
    assert fast[0] == "200 OK" and fast == flask
    for path in ("/twilio/voice/dialed?n=2", "/twilio/voice/recorded?n=2"):
        fast, flask = both(**signed(path, SIGNER.voice_params(new_sid("CA"), "+15551230005")))
        assert fast[0] == "200 OK" and fast[2] == flask[2] and fast[1] == flask[1]
    status = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered", "AccountSid": ACCOUNT_SID}
    fast, flask = both(**signed("/twilio/status", status))
    assert fast == flask and fast[0] == "200 OK"


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/twilio/sms", 405), ("HEAD", "/twilio/sms", 405), ("PUT", "/twilio/voice", 405),
    ("POST", "/twilio/sms/", 404), ("POST", "/twilio/other", 404), ("POST", "/twilio//sms", 308),
])
def test_other_methods_and_paths_fall_through_to_flask(app, method, path, status):
    response = Client(app).open(path, method=method)
    assert response.status_code == status
    assert response.headers["X-Frame-Options"] == "DENY"  # Flask's after_request added them


def test_a_failure_outside_the_use_case_is_flask_s_500_with_the_headers_and_counted(settings, redis, monkeypatch,
                                                                                     caplog):
    from hotline import webhooks

    app = create_app(services=build_services(settings))
    seen: list[tuple[str, str]] = []
    app.wsgi_app.observe = lambda path, status, seconds: seen.append((path, status))  # type: ignore[union-attr]

    def broken(*args: object) -> bool:
        raise RuntimeError("a bug")

    monkeypatch.setattr(webhooks, "refused", broken)
    response = Client(app).open(**signed("/twilio/sms", SIGNER.sms_params("hi", "+15551230006")))
    assert response.status_code == 500 and b"Internal Server Error" in response.data
    assert response.headers["Content-Security-Policy"] and response.headers["X-Frame-Options"] == "DENY"
    assert seen == [("/twilio/sms", "500")]
    assert "Exception on /twilio/sms [POST]" in caplog.text and "a bug" in caplog.text

    app.config["TESTING"] = True  # as Flask does when testing: the exception is let out
    with pytest.raises(RuntimeError, match="a bug"):
        Client(app).open(**signed("/twilio/sms", SIGNER.sms_params("hi", "+15551230006")))
    assert seen[-1] == ("/twilio/sms", "500")


def test_a_text_whose_fields_cannot_be_read_still_gets_an_answer(twilio):
    # '²' is a digit to str.isdigit(), not to int(): a failure before the use case is answered like one inside it.
    params = {**twilio.sms_params("she is having a seizure", "+15551230007"), "NumMedia": "²"}
    response = twilio.post("/twilio/sms", params)
    assert response.status_code == 200 and b"Call 911 now" in response.data
