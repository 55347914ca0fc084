"""Webhook requests signed exactly as Twilio signs them, with Twilio's full parameter sets."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any

from twilio.request_validator import RequestValidator

_counter = itertools.count(1)


def new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


@dataclass
class SignedTwilio:
    """Posts to the app (a Flask test client, or any object with .post) as Twilio would."""

    client: Any
    auth_token: str
    public_base_url: str
    account_sid: str
    hotline_number: str = "+15005550006"

    def sign(self, path: str, params: dict[str, str]) -> str:
        return RequestValidator(self.auth_token).compute_signature(self.public_base_url + path, params)

    def post(self, path: str, params: dict[str, str], *, signature: str | None = None,
             headers: dict[str, str] | None = None) -> Any:
        sig = self.sign(path, params) if signature is None else signature
        all_headers = {"X-Twilio-Signature": sig, "I-Twilio-Idempotency-Token": str(uuid.uuid4())}
        all_headers.update(headers or {})
        return self.client.post(path, data=params, headers=all_headers)

    def sms_params(self, body: str, from_: str, message_sid: str | None = None) -> dict[str, str]:
        sid = message_sid or new_sid("SM")
        return {
            "ToCountry": "US", "ToState": "CA", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "",
            "FromZip": "", "SmsSid": sid, "FromState": "", "SmsStatus": "received", "FromCity": "",
            "Body": body, "FromCountry": "US", "To": self.hotline_number, "ToZip": "",
            "NumSegments": "1", "MessageSid": sid, "AccountSid": self.account_sid, "From": from_,
            "ApiVersion": "2010-04-01",
        }

    def sms(self, body: str, from_: str = "+15551230001", *, message_sid: str | None = None,
            headers: dict[str, str] | None = None) -> Any:
        return self.post("/twilio/sms", self.sms_params(body, from_, message_sid), headers=headers)

    def voice_params(self, call_sid: str, from_: str, **extra: str) -> dict[str, str]:
        params = {
            "AccountSid": self.account_sid, "ApiVersion": "2010-04-01", "CallSid": call_sid,
            "CallStatus": "in-progress", "Called": self.hotline_number, "Caller": from_,
            "Direction": "inbound", "From": from_, "FromCountry": "US", "To": self.hotline_number,
            "ToCountry": "US",
        }
        params.update(extra)
        return params

    def status(self, message_sid: str, status: str, error_code: str | None = None) -> Any:
        params = {
            "AccountSid": self.account_sid, "ApiVersion": "2010-04-01", "MessageSid": message_sid,
            "SmsSid": message_sid, "MessageStatus": status, "SmsStatus": status,
            "To": "+15551230001", "From": self.hotline_number,
        }
        if error_code:
            params["ErrorCode"] = error_code
        return self.post("/twilio/status", params)


def reply_texts(response: Any) -> list[str]:
    """The text of every <Message> in a TwiML answer (an empty list means 'reply nothing')."""
    import xml.etree.ElementTree as ET

    assert response.status_code == 200, response.data
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    return [(m.text or "") for m in root.iter("Message")]
