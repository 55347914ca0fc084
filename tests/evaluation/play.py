"""Plays a set through the real signed webhooks (SMS and voice) and reads what the hotline recorded.

The only fake is Twilio's side: requests signed exactly as Twilio signs them (hotline/devtools/signed.py). The app,
the engine, the stores and Redis are the real ones. What is read back per input:
  - the assessments recorded in the transcript (`keys.transcript(number)`) by that one webhook;
  - the reply as the parent gets it: the <Message> bodies (SMS) or the <Say> texts (voice) of the TwiML answer.
"""

from __future__ import annotations

import itertools
import json
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotline import create_app
from hotline.devtools.signed import SignedTwilio, new_sid
from hotline.services import Services, build_services
from hotline.settings import Settings
from hotline.store import keys
from tests.evaluation.replies import Boilerplate
from tests.evaluation.sets import RANK, Conversation, EvalSet, Message

ACCOUNT_SID = "AC" + "0" * 31 + "2"
AUTH_TOKEN = "evaluation-auth-token-0123456789"
PUBLIC_BASE_URL = "https://hotline.example.org"
NO_API = "http://127.0.0.1:9"  # nothing is sent during an evaluation; if something tried, it would fail at once
LANGUAGE_KEYS = {"en": "1", "es": "2"}  # "For English, press 1. Para español, oprima 2."


@dataclass(frozen=True)
class Heard:
    """What one input (a text, or one thing said on a call) produced."""

    level: str  # the highest assessment level recorded for this input; "none" without an assessment
    sections: bool  # that assessment names article sections (the guidance is traced to the source)
    reply: str  # what the parent reads or hears
    revised: bool = False  # the level replaces one given while the baby's age was unknown


@dataclass(frozen=True)
class PlayedMessage:
    message: Message
    heard: Heard
    substance: str  # the reply without the welcome, the main menu and menu prompts
    after_welcome: str  # the reply without the welcome only


@dataclass(frozen=True)
class PlayedTurn:
    say: str
    expect: str | None
    held: str  # the highest level assessed so far in the conversation
    reply: str


@dataclass(frozen=True)
class PlayedConversation:
    conversation: Conversation
    turns: tuple[PlayedTurn, ...]


@dataclass(frozen=True)
class Played:
    name: str
    sealed: bool
    emergency_number: str
    messages: tuple[PlayedMessage, ...]
    conversations: tuple[PlayedConversation, ...]


class Hotline:
    """One app on one Redis, reached only through signed webhooks (signed with the services' own Twilio settings:
    the evaluation's here, the test fixtures' in tests/test_transcripts.py)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        app = create_app(services=services)
        app.config["TESTING"] = True
        settings = services.settings
        self.twilio = SignedTwilio(app.test_client(), settings.twilio_auth_token or "",
                                   settings.public_base_url or "", settings.twilio_account_sid or "")
        self.boilerplate = Boilerplate.from_flow(services.settings.flows_dir, services.settings.emergency_number)
        self._numbers = (f"+1555{n:07d}" for n in itertools.count(1000001))

    def new_number(self) -> str:
        return next(self._numbers)

    def transcript_length(self, number: str) -> int:
        return int(self.services.redis.llen(keys.transcript(number)))

    def assessments_since(self, number: str, start: int) -> list[dict[str, Any]]:
        entries = [json.loads(raw) for raw in self.services.redis.lrange(keys.transcript(number), start, -1)]
        return [e for e in entries if e.get("dir") == "assessment"]

    def heard_since(self, number: str, start: int, reply: str) -> Heard:
        assessments = self.assessments_since(number, start)
        if not assessments:
            return Heard("none", False, reply)
        top = max(assessments, key=lambda a: RANK.get(str(a.get("level")), 0))
        return Heard(str(top.get("level")), bool(top.get("sections")), reply, bool(top.get("revised")))

    def sms(self, number: str, text: str) -> Heard:
        start = self.transcript_length(number)
        response = self.twilio.sms(text, number)
        if response.status_code != 200:
            raise RuntimeError(f"SMS webhook answered {response.status_code}")
        root = ET.fromstring(response.data)
        reply = "\n\n".join((m.text or "") for m in root.iter("Message"))
        return self.heard_since(number, start, reply)

    def call(self, number: str, language: str) -> Call:
        return Call(self, number, language)


class Call:
    """A parent's phone call: dials in, picks the language by key as a caller would, then speaks.

    If the hotline hangs up (no <Gather> to answer), the parent calls again from the same number.
    """

    def __init__(self, hotline: Hotline, number: str, language: str) -> None:
        self.hotline = hotline
        self.number = number
        self.language = language
        self.action: str | None = None
        self.sid = ""

    def _post(self, path: str, **extra: str) -> str:
        twilio = self.hotline.twilio
        response = twilio.post(path, twilio.voice_params(self.sid, self.number, **extra))
        if response.status_code != 200:
            raise RuntimeError(f"voice webhook {path} answered {response.status_code}")
        root = ET.fromstring(response.data)
        gather = root.find("Gather")
        self.action = gather.get("action") if gather is not None else None
        return " ".join((say.text or "").strip() for say in root.iter("Say"))

    def dial_in(self) -> None:
        self.sid = new_sid("CA")
        self._post("/twilio/voice")
        if self.action:
            self._post(self.action, Digits=LANGUAGE_KEYS.get(self.language, "1"), FinishedOnKey="")

    def say(self, text: str) -> Heard:
        if not self.action:
            self.dial_in()
        if not self.action:
            raise RuntimeError("the call offered nothing to answer after the language choice")
        start = self.hotline.transcript_length(self.number)
        reply = self._post(self.action, SpeechResult=text, Confidence="0.91")
        return self.hotline.heard_since(self.number, start, reply)


def play_message(hotline: Hotline, message: Message) -> PlayedMessage:
    number = hotline.new_number()
    if message.channel == "voice":
        heard = hotline.call(number, message.lang).say(message.text)
    else:
        heard = hotline.sms(number, message.text)
    boilerplate = hotline.boilerplate
    return PlayedMessage(message, heard, boilerplate.substance(heard.reply), boilerplate.without_welcome(heard.reply))


def play_conversation(hotline: Hotline, conversation: Conversation) -> PlayedConversation:
    number = hotline.new_number()
    call = hotline.call(number, conversation.lang) if conversation.channel == "voice" else None
    held = "none"
    turns = []
    for turn in conversation.turns:
        heard = call.say(turn.say) if call else hotline.sms(number, turn.say)
        # What the hotline holds only goes up, except when the age it had to assume arrives (devset README:
        # a fever at an unknown age is decided when the age is given).
        held = heard.level if heard.revised else max(held, heard.level, key=RANK.__getitem__)
        turns.append(PlayedTurn(turn.say, turn.expect, held, heard.reply))
    return PlayedConversation(conversation, tuple(turns))


def play_set(services: Services, eval_set: EvalSet) -> Played:
    hotline = Hotline(services)
    return Played(
        name=eval_set.name,
        sealed=eval_set.sealed,
        emergency_number=services.settings.emergency_number,
        messages=tuple(play_message(hotline, m) for m in eval_set.messages),
        conversations=tuple(play_conversation(hotline, c) for c in eval_set.conversations),
    )


def evaluation_settings(redis_url: str, data_dir: Path) -> Settings:
    return Settings(
        env="test", redis_url=redis_url, twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
        twilio_from_number="+15005550006", twilio_api_base_url=NO_API, public_base_url=PUBLIC_BASE_URL,
        secret_key="evaluation", data_dir=data_dir,
    )


@contextmanager
def hotline_services(redis_url: str) -> Iterator[Services]:
    """The hotline's services on an emptied Redis (one per set: fresh numbers keep conversations apart)."""
    with tempfile.TemporaryDirectory(prefix="hotline-eval-") as data_dir:
        services = build_services(evaluation_settings(redis_url, Path(data_dir)))
        services.redis.flushall()
        try:
            yield services
        finally:
            services.redis.close()
