"""The voice channel: a call webhook parsed into a CallEvent, and the call's reply rendered as TwiML.

What to say is decided by the call's state machine (`hotline/engine/call.py`) with the words of
`flows/voice.yaml`; this module decides which verbs carry it (<Say> in the caller's voice, <Gather> for keys
and speech, <Dial>, <Record>) and where Twilio posts next (`?n=`, so a retried webhook is recognised).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline.engine.call import Ask, CallEvent, CallTurn, ChooseLanguage, Connect, Goodbye, Record
from hotline.engine.call_script import VoiceScript
from hotline.phone import sender_number

LANGUAGE_CODES = {"en": "en-US", "es": "es-US"}
MAX_SPEECH_CHARS = 500
ROUTES = {"input": "/twilio/voice/gather", "dialed": "/twilio/voice/dialed", "recorded": "/twilio/voice/recorded"}


@dataclass(frozen=True)
class Voice:
    """How one language sounds: a Twilio voice name and its BCP-47 language code."""

    name: str
    language: str  # "en" | "es"

    @property
    def code(self) -> str:
        return LANGUAGE_CODES.get(self.language, "en-US")


@dataclass(frozen=True)
class Voices:
    en: Voice
    es: Voice

    def of(self, language: str) -> Voice:
        return self.es if language == "es" else self.en


def call_event(kind: str, form: Mapping[str, str], args: Mapping[str, str], default_region: str) -> CallEvent:
    """A call webhook's form and query (`n`), parsed and bounded: whatever Twilio or anyone posts."""
    try:
        n = max(0, int(args.get("n", "0")))
    except ValueError:
        n = 0
    try:
        seconds: int | None = int(form.get("RecordingDuration", ""))
    except ValueError:
        seconds = None
    recording = form.get("RecordingUrl", "")
    return CallEvent(
        kind=kind,
        call_sid="".join(ch for ch in form.get("CallSid", "") if ch.isalnum())[:64],
        number=sender_number(form.get("From", ""), default_region),
        n=n,
        digits=(form.get("Digits") or "").strip()[:1],
        speech=(form.get("SpeechResult") or "").strip()[:MAX_SPEECH_CHARS],
        dial_status=(form.get("DialCallStatus") or "").strip(),
        recording_url=recording if recording.startswith("https://") else "",
        recording_seconds=seconds,
    )


def render(turn: CallTurn, voices: Voices, transfer_number: str) -> str:
    """The turn's reply as TwiML, in the caller's language; its action URLs carry the call's next `n`."""
    reply, voice = turn.reply, voices.of(turn.state.language)

    def action(kind: str) -> str:
        return f"{ROUTES[kind]}?n={turn.state.seq}"

    if isinstance(reply, Ask):
        response = ask(voice, before=reply.before, question=reply.question, action=action("input"),
                       hints=reply.hints)
    elif isinstance(reply, ChooseLanguage):
        response = choose_language(voices, greeting=reply.greeting, choices=reply.choices, hints=reply.hints,
                                   action=action("input"))
    elif isinstance(reply, Goodbye):
        response = goodbye(voice, reply.parts)
    elif isinstance(reply, Connect):
        response = connect(voice, before=reply.before, number=transfer_number, action=action("dialed"))
    elif isinstance(reply, Record):
        response = record(voice, before=reply.before, action=action("recorded"), after=reply.after)
    else:
        raise TypeError(f"no TwiML for {reply!r}")
    return str(response)


# --- TwiML -------------------------------------------------------------------------------------


def _say(target: VoiceResponse | Gather, parts: Iterable[str], voice: Voice) -> None:
    for part in parts:
        if part.strip():
            target.say(part, voice=voice.name, language=voice.code)


def ask(voice: Voice, *, before: Sequence[str], question: Sequence[str], action: str, hints: str,
        timeout: int = 6) -> VoiceResponse:
    """Say `before`, then ask `question` inside a Gather the caller can answer by key or by voice.

    Everything the caller may interrupt sits inside the Gather; with no input Twilio still posts to
    `action` (actionOnEmptyResult), and the <Redirect> after it is the fallback when it does not.
    """
    response = VoiceResponse()
    _say(response, before, voice)
    gather = Gather(
        input="dtmf speech",
        num_digits=1,
        timeout=timeout,
        speech_timeout="auto",
        hints=hints,
        action=action,
        method="POST",
        action_on_empty_result=True,
        language=voice.code,
    )
    _say(gather, question, voice)
    response.append(gather)
    response.redirect(action, method="POST")
    return response


def choose_language(voices: Voices, *, greeting: Sequence[str], choices: Sequence[tuple[str, str]], hints: str,
                    action: str) -> VoiceResponse:
    """The greeting, then "For English, press 1. Para español, oprima 2." (each in its own voice)."""
    response = VoiceResponse()
    _say(response, greeting, voices.en)
    gather = Gather(
        input="dtmf speech", num_digits=1, timeout=4, speech_timeout="auto",
        hints=hints, action=action, method="POST",
        action_on_empty_result=True, language=voices.en.code,
    )
    for language, text in choices:
        _say(gather, [text], voices.of(language))
    response.append(gather)
    response.redirect(action, method="POST")
    return response


def goodbye(voice: Voice, parts: Sequence[str]) -> VoiceResponse:
    response = VoiceResponse()
    _say(response, parts, voice)
    response.hangup()
    return response


def connect(voice: Voice, *, before: Sequence[str], number: str, action: str, timeout: int = 20) -> VoiceResponse:
    """Dial the nurse line; Twilio posts DialCallStatus to `action` when the call ends or nobody answers."""
    response = VoiceResponse()
    _say(response, before, voice)
    response.dial(number, timeout=timeout, action=action, method="POST")
    return response


def record(voice: Voice, *, before: Sequence[str], action: str, after: Sequence[str],
           max_length: int = 60) -> VoiceResponse:
    """A short recorded message; with no audio Twilio falls through to `after` and the hang-up."""
    response = VoiceResponse()
    _say(response, before, voice)
    response.record(action=action, method="POST", max_length=max_length, timeout=5,
                    finish_on_key="#", play_beep=True)
    _say(response, after, voice)
    response.hangup()
    return response


def apology(voices: Voices, script: VoiceScript, emergency: str) -> str:
    """When anything fails: sorry and the emergency number, in both languages, then hang up."""
    response = VoiceResponse()
    for language in ("en", "es"):
        _say(response, [script.phrase("error", language, emergency)], voices.of(language))
    response.hangup()
    return str(response)
