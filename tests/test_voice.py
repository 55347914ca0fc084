"""Voice triage through signed webhooks against real Redis: what a parent calling the hotline hears.

Every TwiML document any test receives is checked against what Twilio documents (tests/support/twiml.py).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hotline import create_app
from hotline.devtools.signed import SignedTwilio, new_sid
from hotline.engine import call as call_machine
from hotline.services import build_services
from hotline.store import keys
from hotline.store.calls import CALL_TTL
from hotline.store.staff_tokens import StaffTokens
from tests.support.twiml import check_voice_twiml
from workers.base import InlineWorker

PARENT = "+15551230001"
NURSE = "+15557650000"

EMERGENCY = "Call 911 now"
URGENT = "seen by a doctor today"
SOON = "call your pediatrician in the next day or two"
HOME = "sounds like the normal shaking"
EMERGENCY_ES = "Llame al 911 ahora"
URGENT_ES = "al médico hoy"
SOON_ES = "en uno o dos días"
HOME_ES = "temblor normal"


class Call:
    """A parent's phone call: posts what Twilio would post, and checks every TwiML answer."""

    def __init__(self, twilio: SignedTwilio, number: str = PARENT, call_sid: str | None = None) -> None:
        self.twilio = twilio
        self.number = number
        self.sid = call_sid or new_sid("CA")
        self.root: ET.Element | None = None
        self.path = ""
        self.documents: list[bytes] = []

    # --- what the caller does -------------------------------------------------------------------

    def dial_in(self) -> str:
        return self._post("/twilio/voice", {})

    def press(self, digits: str) -> str:
        return self._post(self.gather_action(), {"Digits": digits, "FinishedOnKey": ""})

    def say(self, speech: str) -> str:
        return self._post(self.gather_action(), {"SpeechResult": speech, "Confidence": "0.91"})

    def silence(self) -> str:
        return self._post(self.gather_action(), {})

    def answers(self, *inputs: str) -> str:
        """Digits (and * #) are pressed; anything else is said. Returns what was heard last."""
        heard = ""
        for value in inputs:
            heard = self.press(value) if len(value) == 1 and value in "0123456789*#" else self.say(value)
        return heard

    def dial_ended(self, status: str) -> str:
        dial = self._only("Dial")
        return self._post(dial.get("action", ""), {"DialCallStatus": status, "DialCallDuration": "0"})

    def recorded(self, url: str = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1") -> str:
        record = self._only("Record")
        return self._post(record.get("action", ""), {"RecordingUrl": url, "RecordingDuration": "12",
                                                     "RecordingSid": new_sid("RE"), "Digits": "#"})

    # --- what the caller hears ------------------------------------------------------------------

    def _post(self, path: str, extra: dict[str, str]) -> str:
        assert path, "the last answer offered nothing to post to"
        response = self.twilio.post(path, self.twilio.voice_params(self.sid, self.number, **extra))
        assert response.status_code == 200, response.data
        assert response.mimetype == "text/xml"
        problems = check_voice_twiml(response.data)
        assert not problems, (problems, response.data)
        self.documents.append(response.data)
        self.root = ET.fromstring(response.data)
        self.path = path
        return self.heard

    @property
    def heard(self) -> str:
        assert self.root is not None
        return " ".join((say.text or "") for say in self.root.iter("Say"))

    @property
    def says(self) -> list[ET.Element]:
        assert self.root is not None
        return list(self.root.iter("Say"))

    @property
    def verbs(self) -> list[str]:
        assert self.root is not None
        return [child.tag for child in self.root]

    def _only(self, tag: str) -> ET.Element:
        assert self.root is not None
        found = self.root.find(tag)
        assert found is not None, f"no <{tag}> in {ET.tostring(self.root)!r}"
        return found

    def gather_action(self) -> str:
        return self._only("Gather").get("action", "")

    @property
    def hung_up(self) -> bool:
        return self.verbs[-1:] == ["Hangup"]


@pytest.fixture
def call(twilio) -> Call:
    return Call(twilio)


def in_language(call: Call, language: str) -> Call:
    call.dial_in()
    call.press("2" if language == "es" else "1")
    return call


def session(redis, call: Call) -> dict:
    return json.loads(redis.get(keys.call(call.sid)))


def staff_get(client, redis, path: str):  # type: ignore[no-untyped-def]
    token = StaffTokens(redis).create("nurse")
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def at_local_time(services, hour: int) -> None:  # type: ignore[no-untyped-def]
    services.clock.set(datetime(2026, 3, 10, hour, 30, tzinfo=ZoneInfo("America/New_York")))


# --- Answering a call ----------------------------------------------------------------------------


def test_a_call_is_greeted_with_what_the_service_is_not_a_doctor_and_the_emergency_number(call):
    heard = call.dial_in()
    assert "Baby Shaky Legs Line" in heard
    assert "does not replace a doctor" in heard
    assert "call 911" in heard


def test_the_language_choice_is_offered_in_spanish_with_the_spanish_voice(call):
    call.dial_in()
    spanish = [s for s in call.says if "Para español, oprima 2" in (s.text or "")]
    assert spanish and spanish[0].get("voice") == "Polly.Lupe" and spanish[0].get("language") == "es-US"
    gather = call.root.find("Gather")
    assert gather is not None and gather.get("input") == "dtmf speech"


@pytest.mark.parametrize(("choice", "menu_words"), [
    ("1", "Press 1, or say normal."), ("2", "Oprima 1, o diga es normal."), ("", "Press 1, or say normal."),
    ("español", "Oprima 1, o diga es normal."), ("English", "Press 1, or say normal."),
])
def test_the_language_is_chosen_by_key_by_voice_or_by_default_then_the_menu_is_read(call, choice, menu_words):
    call.dial_in()
    heard = call.answers(choice) if choice else call.silence()
    assert menu_words in heard
    gather = call.root.find("Gather")
    assert gather is not None
    assert gather.get("language") == ("es-US" if "Oprima" in menu_words else "en-US")
    assert gather.get("hints") and "normal" in gather.get("hints", "")


def test_menu_options_read_well_aloud(call):
    heard = in_language(call, "en").heard
    assert "Is this normal? Press 1, or say normal." in heard
    assert "Check my baby's symptoms. Press 4, or say symptoms." in heard
    assert "Press star to hear this again, 0 for the main menu, or 9 for an emergency." in heard


def test_temperatures_are_spoken_as_degrees(call):
    heard = in_language(call, "en").answers("4", "1", "2", "1")
    assert "fever (100.4 °F, 38 °C or more)" in heard and " F /" not in heard
    spanish = in_language(Call(call.twilio), "es").answers("4", "1", "2", "1")
    assert "fiebre (38 °C o más)" in spanish


def test_long_guidance_is_split_into_short_spoken_parts(call):
    in_language(call, "en").press("3")  # how to soothe: several guidance passages
    says = call.says
    assert len(says) >= 4
    assert all(len(s.text or "") <= 230 for s in says)


def test_an_unsigned_call_webhook_is_refused(twilio):
    params = twilio.voice_params(new_sid("CA"), PARENT)
    assert twilio.post("/twilio/voice", params, signature="forged").status_code == 403


# --- Symptom checks to each level, both languages, by keys and by voice ---------------------------

CHECKS = [
    ("en", ["4", "1", "2", "1", "2", "4", "4"], HOME),
    ("en", ["4", "2", "2", "1", "2", "4", "1"], SOON),
    ("en", ["4", "1", "2", "1", "1"], URGENT),
    ("en", ["4", "3", "1"], EMERGENCY),
    ("en", ["check symptoms", "under 3 months", "no", "yes it stops", "no", "none of these", "none of these"],
     HOME),
    ("en", ["check my baby's symptoms", "3 to 6 months", "no", "no it keeps going"], EMERGENCY),
    ("en", ["check my baby's symptoms", "under 3 months", "no", "yes it stops", "yes she feels hot"], URGENT),
    ("en", ["symptoms", "over 6 months", "no", "yes", "no", "none", "one leg"], SOON),
    ("en", ["check", "under 3", "yes"], EMERGENCY),
    ("es", ["4", "1", "2", "1", "2", "4", "4"], HOME_ES),
    ("es", ["4", "2", "2", "1", "2", "4", "1"], SOON_ES),
    ("es", ["4", "1", "2", "1", "1"], URGENT_ES),
    ("es", ["4", "1", "1"], EMERGENCY_ES),
    ("es", ["revisar síntomas", "menos de 3 meses", "no", "sí", "no", "ninguna", "ninguna"], HOME_ES),
    ("es", ["revisar", "de 3 a 6", "no", "no sigue"], EMERGENCY_ES),
    ("es", ["revisar", "menos de 3", "no", "sí se detiene", "sí tiene fiebre"], URGENT_ES),
    ("es", ["síntomas", "menos de 3", "no", "sí", "no", "ninguna", "una pierna"], SOON_ES),
    ("es", ["revisar", "recién nacido", "sí"], EMERGENCY_ES),
]


@pytest.mark.parametrize(("language", "answers", "headline"), CHECKS)
def test_a_symptom_check_by_phone_reaches_the_expected_level(call, redis, language, answers, headline):
    in_language(call, language)
    heard = call.answers(*answers)
    assert headline in heard
    state = session(redis, call)
    assert state["mode"] == ("emergency" if headline in (EMERGENCY, EMERGENCY_ES) else "outcome")
    if headline not in (EMERGENCY, EMERGENCY_ES):
        assert ("press 1" if language == "en" else "oprima 1") in heard  # the advice by text


def test_an_emergency_outcome_says_hang_up_and_call_before_anything_else(call):
    in_language(call, "en").answers("4", "3", "1")
    assert (call.says[0].text or "").startswith(EMERGENCY)
    assert "Please hang up now and call 911." in call.heard
    assert "Text MENU" not in call.heard  # SMS-only hints are not read aloud


def test_spanish_is_spoken_with_the_spanish_voice_and_heard_as_spanish(call):
    in_language(call, "es").press("4")
    assert {s.get("voice") for s in call.says} == {"Polly.Lupe"}
    assert {s.get("language") for s in call.says} == {"es-US"}
    assert call.root.find("Gather").get("language") == "es-US"


# --- The safety screen hears speech at any prompt -------------------------------------------------


@pytest.mark.parametrize("where", [[], ["1"], ["3"], ["4"], ["4", "1"], ["4", "1", "2", "1"]])
@pytest.mark.parametrize("speech", ["she is having a seizure", "his lips are turning blue", "le cuesta respirar"])
def test_emergency_speech_at_any_prompt_gets_the_emergency_instruction_at_once(call, redis, where, speech):
    in_language(call, "en").answers(*where)
    call.say(speech)
    first = call.says[0].text or ""
    assert first.startswith(EMERGENCY) or first.startswith(EMERGENCY_ES)
    assert session(redis, call)["level"] == "emergency"


def test_emergency_speech_instead_of_a_language_choice_is_heard_at_once(call):
    call.dial_in()
    call.say("my baby is having a seizure")
    assert (call.says[0].text or "").startswith(EMERGENCY)


# --- Keys that work everywhere -------------------------------------------------------------------


@pytest.mark.parametrize("where", [[], ["4"], ["4", "2"], ["2"]])
def test_star_repeats_the_last_prompt(call, where):
    in_language(call, "en").answers(*where)
    before = call.heard
    assert call.press("*") == before
    assert call.say("repeat") == before


@pytest.mark.parametrize("where", [["4"], ["4", "2", "2"], ["1"], ["4", "1", "2", "1", "2", "4", "4"]])
def test_zero_returns_to_the_main_menu(call, redis, where):
    in_language(call, "en").answers(*where)
    heard = call.press("0")
    assert "How can I help?" in heard and "Press 1, or say normal." in heard
    assert json.loads(session(redis, call)["engine"])["step"] == "menu"


@pytest.mark.parametrize("how", ["9", "emergency", "this is an emergency", "nine"])
@pytest.mark.parametrize("where", [[], ["4", "2"]])
def test_nine_or_the_word_emergency_gives_the_emergency_instruction(call, redis, how, where):
    in_language(call, "en").answers(*where)
    heard = call.answers(how)
    assert heard.startswith(EMERGENCY)
    assert "Please hang up now and call 911." in heard
    entries = [json.loads(e) for e in redis.lrange(keys.transcript(PARENT), 0, -1)]
    assert [e["level"] for e in entries if e["dir"] == "assessment"] == ["emergency"]  # staff see it


def test_an_emergency_said_with_what_is_happening_is_recorded_as_by_text(call, redis):
    in_language(call, "en")
    heard = call.answers("this is an emergency my baby is shaking all over and it will not stop")
    assert heard.startswith(EMERGENCY) and "Please hang up now and call 911." in heard
    # The signs heard and the article sections the spoken advice comes from, not only "the caller said so".
    assert "seizure" in heard.lower()
    entries = [json.loads(e) for e in redis.lrange(keys.transcript(PARENT), 0, -1)]
    [assessment] = [e for e in entries if e["dir"] == "assessment"]
    assert assessment["level"] == "emergency" and assessment["sections"], assessment


@pytest.mark.parametrize(("language", "said", "asked_back"), [("en", "nine", "9 weeks or 9 months old?"),
                                                              ("es", "nueve", "9 semanas o 9 meses?")])
def test_nine_said_at_the_age_question_is_an_age_not_the_emergency_key(call, redis, language, said, asked_back):
    in_language(call, language).say("my baby's legs shake sometimes" if language == "en" else
                                    "a mi niño a veces le tiemblan las piernas")
    heard = call.say(said)
    assert asked_back in heard and "911 now" not in heard and "911 ahora" not in heard
    entries = [json.loads(e) for e in redis.lrange(keys.transcript(PARENT), 0, -1)]
    assert "emergency" not in [e["level"] for e in entries if e["dir"] == "assessment"]
    assert call.press("9").startswith(EMERGENCY if language == "en" else EMERGENCY_ES)  # the key still is


@pytest.mark.parametrize(("language", "said"), [("en", "press nine"), ("en", "option 9"), ("es", "oprima nueve")])
def test_saying_press_nine_at_the_age_question_is_still_the_emergency_key(call, language, said):
    in_language(call, language).say("my baby's legs shake sometimes" if language == "en" else
                                    "a mi niño a veces le tiemblan las piernas")
    assert call.say(said).startswith(EMERGENCY if language == "en" else EMERGENCY_ES)


def test_nine_in_spanish_gives_the_instruction_in_spanish(call):
    heard = in_language(call, "es").press("9")
    assert heard.startswith(EMERGENCY_ES)


# --- Silence and bad input ------------------------------------------------------------------------


@pytest.mark.parametrize("where", [[], ["4"], ["4", "1", "2", "1", "2", "4", "4"], ["9"]])
def test_silence_is_asked_again_twice_then_a_polite_goodbye_that_offers_texting(call, where):
    in_language(call, "en").answers(*where)
    question = call.root.find("Gather")
    for _ in range(2):
        heard = call.silence()
        assert heard.startswith("Sorry, I did not hear anything.")
        assert not call.hung_up and call.root.find("Gather") is not None
    assert question is not None
    heard = call.silence()
    assert call.hung_up
    assert "Goodbye" in heard and "text this number" in heard and "911" in heard


@pytest.mark.parametrize("bad", ["7", "purple monkey dishwasher", "#"])
def test_an_unrecognized_answer_is_asked_again_twice_then_goodbye(call, redis, bad):
    in_language(call, "en").press("4")
    for _ in range(2):
        heard = call.answers(bad)
        assert "How old is your baby?" in heard
        assert not call.hung_up
    call.answers(bad)
    assert call.hung_up
    assert session(redis, call)["mode"] == "done"


def test_a_good_answer_resets_the_reprompt_count(call):
    in_language(call, "en").press("4")
    call.answers("7", "7", "1", "7", "7")
    assert not call.hung_up
    assert "Right now, is your baby having trouble breathing" in call.heard


def test_thank_you_on_a_call_is_acknowledged_and_the_question_asked_again(call):
    in_language(call, "en").press("4")
    heard = call.say("thank you")
    assert heard.startswith("You're welcome.") and "How old is your baby?" in heard
    assert "Text MENU" not in heard
    another = in_language(Call(call.twilio), "en")
    another.press("1")  # advice, then "want to know more?"
    heard = another.say("thanks so much")
    assert heard.startswith("You're welcome. Want to know more?")  # the advice is not read again
    assert another.say("okay").startswith("OK. Want to know more?")


def test_stop_on_a_call_is_not_an_opt_out_from_texts(call, redis):
    in_language(call, "en")
    heard = call.say("stop")
    assert heard.startswith("Sorry, I did not catch that.")
    assert not redis.hexists(keys.OPTOUTS, PARENT)


def test_a_call_has_a_maximum_number_of_steps_then_a_polite_goodbye(call):
    in_language(call, "en")
    for _ in range(call_machine.MAX_STEPS - 1):
        call.press("*")
        assert not call.hung_up
    heard = call.press("*")
    assert call.hung_up and "Goodbye" in heard


def test_a_call_with_no_number_can_still_be_triaged(twilio):
    anonymous = Call(twilio, number="anonymous")
    in_language(anonymous, "en")
    heard = anonymous.answers("4", "1", "2", "1", "2", "4", "4")
    assert HOME in heard
    assert "press 1" not in heard.lower().split(HOME)[1].split("hear it again")[0]  # no texting offer


def test_an_anonymous_emergency_caller_is_told_to_call_911_when_no_callback_is_possible(twilio):
    anonymous = Call(twilio, number="anonymous")
    heard = in_language(anonymous, "en").press("9")
    assert "call you back" not in heard and "by text" not in heard
    heard = anonymous.press("1")
    assert anonymous.hung_up and "cannot see your phone number" in heard and "call 911" in heard


def test_a_late_webhook_after_the_goodbye_still_gets_a_spoken_goodbye(call):
    in_language(call, "en").answers("4", "1", "2", "1", "2", "4", "4", "1")
    assert call.hung_up
    call._post(call.path.split("?")[0] + "?n=99", {"Digits": "1"})
    assert call.hung_up and "Goodbye" in call.heard


# --- Emergency: a nurse, or a callback ------------------------------------------------------------


@pytest.fixture
def staffed(services):  # type: ignore[no-untyped-def]
    services.settings = services.settings.with_(transfer_number=NURSE)
    at_local_time(services, 12)
    return services


def test_within_staffed_hours_an_emergency_caller_can_be_connected_to_a_nurse(staffed, call):
    in_language(call, "en").say("she is having a seizure")
    assert "press 1 to be connected to a nurse" in call.heard
    heard = call.press("1")
    dial = call.root.find("Dial")
    assert dial is not None and (dial.text or "").strip() == NURSE
    assert dial.get("timeout") == "20" and dial.get("action", "").startswith("/twilio/voice/dialed")
    assert "Connecting you to a nurse" in heard
    heard = call.dial_ended("completed")
    assert call.hung_up and "Goodbye" in heard


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed", "canceled"])
def test_when_no_nurse_answers_the_caller_hears_the_emergency_advice_and_can_ask_for_a_callback(
        staffed, call, client, redis, status):
    in_language(call, "en").press("9")
    call.press("1")
    heard = call.dial_ended(status)
    assert "no nurse could answer" in heard and "call 911 now" in heard
    assert "call you back" in heard
    call.press("1")
    assert call.root.find("Record") is not None
    body = staff_get(client, redis, "/api/callbacks?reveal=1").get_json()
    assert [c["number"] for c in body["callbacks"]] == [PARENT]


@pytest.mark.parametrize("hour", [6, 21])
def test_outside_staffed_hours_no_transfer_is_offered_but_a_callback_is(staffed, call, hour):
    at_local_time(staffed, hour)
    heard = in_language(call, "en").press("9")
    assert "nurse" in heard and "connected" not in heard
    assert "To ask a nurse to call you back at this number, press 1." in heard


def test_without_a_transfer_number_an_emergency_caller_can_leave_a_callback_request(call, client, redis):
    in_language(call, "en").answers("4", "3", "1")
    heard = call.press("1")
    record = call.root.find("Record")
    assert record is not None and record.get("maxLength") == "60"
    assert "After the tone" in heard
    heard = call.recorded()
    assert call.hung_up and "A nurse will call you back" in heard
    callbacks = staff_get(client, redis, "/api/callbacks?reveal=1").get_json()["callbacks"]
    assert len(callbacks) == 1
    assert callbacks[0]["number"] == PARENT
    assert callbacks[0]["level"] == "emergency"
    assert callbacks[0]["recording_url"].startswith("https://api.twilio.com/")
    assert callbacks[0]["recording_seconds"] == 12


def test_a_callback_request_without_a_recording_is_still_kept(call, client, redis):
    in_language(call, "es").press("9")
    call.press("1")
    fallthrough = call.verbs
    assert fallthrough[-3:] == ["Record", "Say", "Hangup"]  # no audio: thanks, then hang up
    callbacks = staff_get(client, redis, "/api/callbacks?reveal=1").get_json()["callbacks"]
    assert callbacks[0]["number"] == PARENT and callbacks[0]["recording_url"] is None
    assert callbacks[0]["language"] == "es"


def test_staff_see_callbacks_newest_first_and_only_with_a_token(twilio, client, redis, services):
    for n, number in enumerate(["+15551230002", "+15551230003"]):
        services.clock.set(1_800_000_000.0 + n)
        caller = Call(twilio, number=number)
        in_language(caller, "en").press("9")
        caller.press("1")
    assert client.get("/api/callbacks").status_code == 401
    body = staff_get(client, redis, "/api/callbacks?reveal=1").get_json()
    assert [c["number"] for c in body["callbacks"]] == ["+15551230003", "+15551230002"]


def test_a_retried_callback_webhook_makes_one_request(call, twilio, client, redis):
    in_language(call, "en").press("9")
    path = call.gather_action()
    params = twilio.voice_params(call.sid, PARENT, Digits="1")
    first, second = twilio.post(path, params), twilio.post(path, params)
    assert first.data == second.data
    assert len(staff_get(client, redis, "/api/callbacks").get_json()["callbacks"]) == 1


# --- The advice by text ---------------------------------------------------------------------------


@pytest.fixture
def worker_env(settings, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", settings.twilio_account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", settings.twilio_auth_token)
    monkeypatch.setenv("TWILIO_API_BASE_URL", settings.twilio_api_base_url)
    monkeypatch.setenv("TWILIO_FROM_NUMBER", settings.twilio_from_number)
    monkeypatch.setenv("HOTLINE_SECRET_KEY", settings.secret_key)
    monkeypatch.chdir(settings.data_dir.parent)  # no stray .env from the working tree


def run_worker(services, redis) -> None:  # type: ignore[no-untyped-def]
    InlineWorker([services.queue], connection=redis).work(burst=True)


@pytest.mark.parametrize(("language", "answers", "headline"), [
    ("en", ["4", "1", "2", "1", "2", "4", "4"], HOME),
    ("en", ["4", "1", "2", "1", "1"], URGENT),
    ("es", ["revisar", "menos de 3", "no", "sí", "no", "ninguna", "ninguna"], HOME_ES),
])
def test_press_1_at_the_end_texts_the_advice_through_a_real_worker(
        call, services, redis, fake_twilio, worker_env, language, answers, headline):
    in_language(call, language).answers(*answers)
    heard = call.press("1")
    assert call.hung_up
    assert "text" in heard.lower()
    assert fake_twilio.bodies_to(PARENT) == []  # not inside the webhook
    jobs = services.queue.jobs
    assert len(jobs) == 1 and PARENT not in jobs[0].description and headline not in jobs[0].description
    run_worker(services, redis)
    bodies = fake_twilio.bodies_to(PARENT)
    assert len(bodies) == 1
    assert headline in bodies[0] and len(bodies[0]) <= 1600


def test_the_summary_job_is_safe_to_run_twice(call, services, redis, fake_twilio, worker_env):
    from workers.summary import send_call_summary

    in_language(call, "en").answers("4", "1", "2", "1", "2", "4", "4", "1")
    job = services.queue.jobs[0]
    assert send_call_summary(*job.args) == "sent"
    assert send_call_summary(*job.args) == "already-sent"
    run_worker(services, redis)
    assert len(fake_twilio.bodies_to(PARENT)) == 1


def test_a_summary_that_twilio_rate_limits_is_released_for_a_retry(call, services, redis, fake_twilio,
                                                                   worker_env):
    from hotline.sender import TransientSendError
    from workers.summary import send_call_summary

    in_language(call, "en").answers("9", "2")
    job = services.queue.jobs[0]
    fake_twilio.fail_next(20429)
    with pytest.raises(TransientSendError):
        send_call_summary(*job.args)
    assert send_call_summary(*job.args) == "sent"
    assert EMERGENCY in fake_twilio.bodies_to(PARENT)[0]


def test_an_emergency_caller_can_get_the_advice_by_text_with_2(call, services, redis, fake_twilio, worker_env):
    in_language(call, "en").press("9")
    assert "To get this advice by text, press 2." in call.heard
    call.press("2")
    run_worker(services, redis)
    assert EMERGENCY in fake_twilio.bodies_to(PARENT)[0]


@pytest.mark.parametrize(("language", "speech"), [("en", "text me"), ("es", "por mensaje de texto")])
def test_the_advice_by_text_can_be_asked_for_in_words(call, services, redis, fake_twilio, worker_env,
                                                       language, speech):
    in_language(call, language).answers("4", "1", "2", "1", "1")
    call.say(speech)
    assert call.hung_up
    run_worker(services, redis)
    assert len(fake_twilio.bodies_to(PARENT)) == 1


def test_saying_nurse_after_an_emergency_asks_for_a_callback(call):
    in_language(call, "en").say("he is not breathing")
    call.say("I want a nurse")
    assert call.root.find("Record") is not None


def test_a_caller_who_texted_stop_is_not_offered_the_advice_by_text(call, services, redis, twilio, fake_twilio,
                                                                   worker_env):
    twilio.sms("STOP", PARENT)
    in_language(call, "en").answers("4", "1", "2", "1", "2", "4", "4")
    assert "by text" not in call.heard
    heard = call.press("1")
    assert "cannot text" in heard
    run_worker(services, redis)
    assert fake_twilio.bodies_to(PARENT) == []


# --- State, idempotency and the transcript --------------------------------------------------------


def test_call_state_is_kept_by_call_sid_and_expires(call, redis):
    in_language(call, "en").press("4")
    ttl = redis.ttl(keys.call(call.sid))
    assert 0 < ttl <= CALL_TTL
    assert json.loads(session(redis, call)["engine"])["step"] == "age"


def test_a_retried_webhook_gets_the_same_answer_and_changes_nothing(call, twilio, redis):
    in_language(call, "en")
    path = call.gather_action()
    params = twilio.voice_params(call.sid, PARENT, Digits="4")
    first = twilio.post(path, params)
    before = session(redis, call)
    transcript_length = redis.llen(keys.transcript(PARENT))
    second = twilio.post(path, params)
    assert first.data == second.data
    assert session(redis, call) == before
    assert redis.llen(keys.transcript(PARENT)) == transcript_length


def test_two_calls_from_one_number_do_not_share_state(twilio, redis):
    first, second = Call(twilio), Call(twilio)
    in_language(first, "en").press("4")
    in_language(second, "es")
    assert "How old is your baby?" in first.press("*")
    assert "¿En qué le ayudo?" in second.press("*")


def test_the_call_transcript_and_assessment_are_kept_with_the_callers_conversation(twilio, client, redis):
    number = "+12025550123"  # the staff API accepts only numbers phonenumbers calls valid
    twilio.sms("hi", number)
    call = Call(twilio, number=number)
    in_language(call, "en").answers("4", "1", "2", "1", "1")
    token = StaffTokens(redis).create("nurse")
    body = client.post("/api/conversations/lookup", json={"number": number},
                       headers={"Authorization": f"Bearer {token}"}).get_json()
    channels = {entry["channel"] for entry in body["transcript"]}
    assert channels == {"sms", "voice"}
    voice_in = [e["text"] for e in body["transcript"] if e["channel"] == "voice" and e["dir"] == "in"]
    assert voice_in == ["1", "4", "1", "2", "1", "1"]
    assert body["assessment"]["level"] == "urgent"
    assert body["assessments"][-1]["channel"] == "voice"


# --- Never an application error -------------------------------------------------------------------


def test_a_failure_is_answered_with_a_spoken_apology_and_the_emergency_number(call, monkeypatch):
    in_language(call, "en")

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(call_machine, "step", broken)
    heard = call.press("4")
    assert call.hung_up
    assert "went wrong" in heard and "call 911 now" in heard and "llame al 911" in heard


def test_a_call_is_answered_safely_when_redis_is_down(settings):
    from hotline.redis_server import free_port
    from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL

    services = build_services(settings.with_(redis_url=f"redis://127.0.0.1:{free_port()}/0"))
    client = create_app(services=services).test_client()
    down = Call(SignedTwilio(client, AUTH_TOKEN, PUBLIC_BASE_URL, ACCOUNT_SID))
    heard = down.dial_in()
    assert down.hung_up and "911" in heard


@pytest.mark.parametrize("form_change", [{"From": ""}, {"From": "anonymous"}, {"CallSid": ""},
                                         {"SpeechResult": "x" * 5000}, {"Digits": "123"},
                                         {"SpeechResult": "\x00\x01"}, {"Digits": "é"}])
def test_odd_call_webhooks_still_get_a_spoken_answer(twilio, form_change):
    sid = new_sid("CA")
    for path in ["/twilio/voice", "/twilio/voice/gather?n=1", "/twilio/voice/gather?n=x",
                 "/twilio/voice/dialed?n=2", "/twilio/voice/recorded?n=3"]:
        params = twilio.voice_params(sid, PARENT)
        params.update(form_change)
        response = twilio.post(path, params)
        assert response.status_code == 200
        assert not check_voice_twiml(response.data), response.data
        assert ET.fromstring(response.data).find(".//Say") is not None


# --- The TwiML checker itself ---------------------------------------------------------------------


@pytest.mark.parametrize(("document", "problem"), [
    ("<Response><Gather><Dial>+15551230001</Dial></Gather></Response>", "may not be inside"),
    ("<Response><Say voice='Polly.Lupe' language='en-US'>hi</Say></Response>", "does not speak"),
    ("<Response><Gather input='keys'/></Response>", "not a documented value"),
    ("<Response><Gather speechTimeOut='auto'/></Response>", "undocumented attribute"),
    ("<Response><Hangup/><Say>hi</Say></Response>", "never reached"),
    ("<Response><Say language='en-XX'>hi</Say></Response>", "not a documented value"),
    ("<Response><Dial timeout='2'>+15551230001</Dial></Response>", "outside"),
    ("<Response><Play>x</Play><Speak>hi</Speak></Response>", "unknown verb"),
])
def test_the_twiml_check_rejects_what_twilio_does_not_document(document, problem):
    assert any(problem in p for p in check_voice_twiml(document))


# --- hotline simulate --voice ---------------------------------------------------------------------


def test_the_terminal_call_plays_a_whole_call_through_signed_webhooks(client):
    from hotline.call_simulator import CallSimulator
    from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL

    def post(path, params, headers):  # type: ignore[no-untyped-def]
        response = client.post(path, data=params, headers=headers)
        assert not check_voice_twiml(response.data)
        return response.status_code, response.data

    typed = iter(["1", "4", "under 3 months", "yes", "1", "she started shaking at noon"])
    spoken: list[str] = []
    CallSimulator(post, PUBLIC_BASE_URL, AUTH_TOKEN, PARENT).run(lambda prompt: next(typed), spoken.append)
    said = "\n".join(spoken)
    assert "does not replace a doctor" in said
    assert EMERGENCY in said
    assert "After the tone" in said and "A nurse will call you back" in said
    assert spoken[-1] == "  (the hotline hangs up)"


@pytest.mark.parametrize(("language", "press", "said"), [("en", "3", None), ("es", None, "seguimiento")])
def test_a_caller_signs_up_for_check_in_texts_at_the_outcome(call, services, language, press, said):
    in_language(call, language)
    call.answers("4", "1", "2", "1", "2", "4", "4")
    assert ("press 3" in call.heard) or ("oprima 3" in call.heard)
    heard = call.press(press) if press else call.say(said)
    assert "Done." in heard or "Listo." in heard
    enrolled = [e for e in services.reminders.enrollments.all() if e.number == PARENT]
    assert [(e.schedule, e.channel) for e in enrolled] == [("checkin", "voice")]
    call.press("1")  # the advice by text is still on offer after signing up
    assert call.hung_up


@pytest.mark.parametrize(("language", "answers"), [("en", ["5", "2"]), ("en", ["check-in texts", "yes"]),
                                                    ("es", ["5", "2"])])
def test_a_caller_who_says_yes_to_check_ins_from_the_menu_is_enrolled(call, services, language, answers):
    in_language(call, language)
    heard = call.answers(*answers)
    assert "Done." in heard or "Listo." in heard  # what the caller is told...
    enrolled = [e for e in services.reminders.enrollments.all() if e.number == PARENT]
    assert [(e.schedule, e.channel, e.language) for e in enrolled] == [("checkin", "voice", language)]  # ...is true


@pytest.mark.parametrize("answers", [["5", "2"], ["check-in texts", "yes"]])
def test_a_caller_who_texted_stop_is_not_enrolled_from_the_menu_and_is_told_why(call, services, twilio, answers):
    """Issue 17: voice told the engine the caller had not opted out, so 5 then YES enrolled a number that texted
    STOP (and "Done" was said). Now nothing is signed up and the caller hears how to allow texts again."""
    twilio.sms("STOP", PARENT)
    heard = in_language(call, "en").answers(*answers)
    assert "cannot send check-ins" in heard and "text START" in heard and "Done." not in heard
    assert [e for e in services.reminders.enrollments.all() if e.number == PARENT] == []


def test_saying_it_is_not_an_emergency_is_not_taken_for_one(call, redis):
    heard = in_language(call, "en").answers("hi this is not an emergency")
    assert not heard.startswith(EMERGENCY)
    entries = [json.loads(e) for e in redis.lrange(keys.transcript(PARENT), 0, -1)]
    assert [e for e in entries if e["dir"] == "assessment" and e["level"] == "emergency"] == []


# --- Callback requests show masked numbers; a reveal is recorded like one on a conversation page --------------


def test_the_callbacks_page_masks_numbers_and_a_nurse_reveals_one_with_a_recorded_button(
        call, client, redis, services):
    from hotline.store.audit import RevealAudit
    from hotline.store.staff_accounts import StaffAccounts
    from tests.test_staff_access import csrf_from, log_in

    in_language(call, "en").press("9")
    call.press("1")
    StaffAccounts(redis).add("nurse.kim", "correct horse battery")
    log_in(client)
    page = client.get("/staff/callbacks").data.decode()
    assert PARENT not in page and "+1*******001" in page
    assert RevealAudit(redis).recent() == []
    reveal = f"/staff/callbacks/{call.sid}/reveal"
    for refused in (client.get(reveal), client.post(reveal), client.post(reveal, data={"csrf_token": "forged"})):
        assert PARENT not in refused.data.decode()
    assert RevealAudit(redis).recent() == []
    shown = client.post(reveal, data={"csrf_token": csrf_from(page.encode())}).data.decode()
    assert PARENT in shown
    [record] = RevealAudit(redis).recent()
    assert (record.by, record.ref) == ("nurse.kim", services.refs.of(PARENT))
    assert PARENT not in client.get("/staff/callbacks").data.decode()  # masked again on the next visit


def test_the_callbacks_api_masks_numbers_unless_asked_and_records_who_asked(call, client, redis, services):
    from hotline.store.audit import RevealAudit

    in_language(call, "en").press("9")
    call.press("1")
    [masked] = staff_get(client, redis, "/api/callbacks").get_json()["callbacks"]
    assert masked["number"] == "+1*******001" and masked["ref"] == services.refs.of(PARENT)
    assert RevealAudit(redis).recent() == []
    [shown] = staff_get(client, redis, "/api/callbacks?reveal=1").get_json()["callbacks"]
    assert shown["number"] == PARENT
    [record] = RevealAudit(redis).recent()
    assert (record.by, record.ref) == ("nurse", services.refs.of(PARENT))
