"""`hotline simulate --voice`: a phone call in the terminal, through the same signed webhooks Twilio posts.

The tester types a key (0-9, *, #) or words (sent as a speech result), or just Enter for silence,
and reads what would be spoken. A <Dial> asks whether the nurse answers; a <Record> asks for the
message (typed, standing in for the recording).
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

from twilio.request_validator import RequestValidator

# post(path, params, headers) -> (HTTP status, body)
Post = Callable[[str, dict[str, str], dict[str, str]], tuple[int, bytes]]
KEYS = set("0123456789*#")


@dataclass
class CallSimulator:
    post: Post
    public_base_url: str
    auth_token: str
    caller: str
    hotline_number: str = "+15005550006"

    def __post_init__(self) -> None:
        self.call_sid = "CA" + uuid.uuid4().hex
        self.validator = RequestValidator(self.auth_token)

    def params(self, **extra: str) -> dict[str, str]:
        params = {
            "AccountSid": "AC" + "0" * 32, "ApiVersion": "2010-04-01", "CallSid": self.call_sid,
            "CallStatus": "in-progress", "Called": self.hotline_number, "Caller": self.caller,
            "Direction": "inbound", "From": self.caller, "To": self.hotline_number,
            "FromCountry": "US", "ToCountry": "US",
        }
        params.update(extra)
        return params

    def send(self, path: str, **extra: str) -> ET.Element | None:
        params = self.params(**extra)
        signature = self.validator.compute_signature(self.public_base_url + path, params)
        status, body = self.post(path, params, {"X-Twilio-Signature": signature})
        if status != 200:
            return None
        return ET.fromstring(body)

    def run(self, read: Callable[[str], str], echo: Callable[[str], None]) -> None:
        """Play one call until the hotline hangs up or the tester types 'quit'."""
        root = self.send("/twilio/voice")
        while root is not None:
            next_step: tuple[str, dict[str, str]] | None = None
            for verb in root:
                for say in [verb] if verb.tag == "Say" else verb.iter("Say"):
                    echo(f"  [{say.get('voice', '')}] {say.text or ''}")
                if verb.tag == "Gather":
                    typed = read("press a key, say words, or Enter for silence > ").strip()
                    if typed.lower() in {"quit", "exit", "hang up"}:
                        return
                    extra = ({"Digits": typed} if len(typed) == 1 and typed in KEYS
                             else {"SpeechResult": typed, "Confidence": "0.9"} if typed else {})
                    next_step = (verb.get("action", ""), extra)
                elif verb.tag == "Dial":
                    echo(f"  (ringing {(verb.text or '').strip()} for up to {verb.get('timeout')} s)")
                    answered = read("does the nurse answer? [y/N] > ").strip().lower().startswith("y")
                    status = "completed" if answered else "no-answer"
                    next_step = (verb.get("action", ""), {"DialCallStatus": status})
                elif verb.tag == "Record":
                    message = read("(beep) type the recorded message, or Enter for none > ").strip()
                    if message:
                        url = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE" + uuid.uuid4().hex
                        next_step = (verb.get("action", ""), {"RecordingUrl": url, "RecordingDuration": "5"})
                elif verb.tag == "Redirect" and next_step is None:
                    next_step = ((verb.text or "").strip(), {})
                elif verb.tag == "Hangup":
                    echo("  (the hotline hangs up)")
                    return
                if next_step is not None:
                    break
            if next_step is None:
                echo("  (the call ends)")
                return
            root = self.send(next_step[0], **next_step[1])
        echo("  (the hotline did not answer)")
