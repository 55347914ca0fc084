"""SMS triage through signed webhooks against real Redis: what a parent texting the hotline experiences."""

from __future__ import annotations

import json
import threading
import time

import pytest

from hotline import create_app
from hotline.devtools.signed import SignedTwilio, reply_texts
from hotline.services import build_services
from hotline.store import keys
from hotline.store.staff_tokens import StaffTokens

PARENT = "+15551230001"

EMERGENCY = "Call 911 now"
URGENT = "seen by a doctor today"
SOON = "call your pediatrician in the next day or two"
HOME = "sounds like the normal shaking"
URGENT_ES = "al médico hoy"
SOON_ES = "en uno o dos días"
HOME_ES = "temblor normal"
EMERGENCY_ES = "Llame al 911 ahora"


class Parent:
    """A parent's phone: sends texts through signed webhooks and keeps what came back."""

    def __init__(self, twilio: SignedTwilio, number: str = PARENT) -> None:
        self.twilio = twilio
        self.number = number

    def text(self, body: str) -> str:
        return "\n\n".join(reply_texts(self.twilio.sms(body, self.number)))

    def conversation(self, *bodies: str) -> str:
        last = ""
        for body in bodies:
            last = self.text(body)
        return last


@pytest.fixture
def parent(twilio) -> Parent:
    return Parent(twilio)


def session(redis, number: str = PARENT) -> dict:
    return json.loads(redis.get(keys.session(number)))


# --- First contact ------------------------------------------------------------------------------


def test_first_message_says_what_the_service_is_that_it_is_not_a_doctor_and_the_emergency_number(parent):
    reply = parent.text("hi")
    assert "does not replace a doctor" in reply
    assert "call 911" in reply
    assert "1 Is this normal?" in reply  # and the menu


def test_first_message_in_spanish_is_answered_in_spanish(parent):
    reply = parent.text("hola, necesito ayuda con mi bebé")
    assert "no reemplaza al médico" in reply
    assert "Responda:" in reply


def test_emergency_number_comes_from_configuration(services, redis):
    services.settings = services.settings.with_(emergency_number="112")
    client = create_app(services=services).test_client()
    from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL

    signer = SignedTwilio(client, AUTH_TOKEN, PUBLIC_BASE_URL, ACCOUNT_SID)
    reply = "\n".join(reply_texts(signer.sms("he is having a seizure", PARENT)))
    assert reply.startswith("Call 112 now")
    assert "911" not in reply


# --- Symptom checks to each level, both languages ------------------------------------------------

CHECKS = [
    # (language, answers after "4"/menu, expected headline)
    ("en", ["1", "2", "1", "2", "4", "4"], HOME),
    ("en", ["2", "2", "1", "2", "4", "1"], SOON),
    ("en", ["1", "2", "1", "1"], URGENT),
    ("en", ["3", "1"], EMERGENCY),
    ("en", ["3", "no", "yes", "no", "none", "none", "no"], HOME),
    ("en", ["3", "2", "1", "2", "4", "4", "1"], SOON),  # still often after 6 months
    ("es", ["1", "2", "1", "2", "4", "4"], HOME_ES),
    ("es", ["2", "2", "1", "2", "4", "2"], SOON_ES),
    ("es", ["2", "no", "si", "no", "1"], URGENT_ES),
    ("es", ["1", "si"], EMERGENCY_ES),
]


@pytest.mark.parametrize(("language", "answers", "headline"), CHECKS)
def test_symptom_check_reaches_the_expected_level(parent, redis, language, answers, headline):
    if language == "es":
        parent.text("ESPANOL")
    reply = parent.conversation("4", *answers)
    assert headline in reply
    level = session(redis)["level"]
    assert level is not None


def test_the_check_skips_questions_that_cannot_change_the_outcome(parent):
    parent.conversation("4", "1", "2")  # under 3 months, no danger signs
    reply = parent.text("2")  # shaking does not stop when held: 911 already (EpiFdn, Seizure-FA)
    assert reply.startswith("Call 911 now")
    assert "fever" not in reply.lower()  # straight to the outcome: no answer could change it


def test_answers_can_be_words_instead_of_numbers(parent):
    reply = parent.conversation("hi", "check my baby's symptoms", "under 3", "nope", "yes", "no", "none", "none")
    assert HOME in reply


def test_age_can_be_typed_in_the_parents_own_words(parent, redis):
    parent.conversation("4", "she's 7 weeks old")
    assert session(redis)["age_days"] == 49
    assert session(redis)["step"] == "danger"


# --- Safety screen ------------------------------------------------------------------------------


@pytest.mark.parametrize("where", [[], ["1"], ["3", "1"], ["4"], ["4", "1", "2"], ["4", "1", "2", "1", "2"]])
@pytest.mark.parametrize("text", ["she is having a seizure", "his lips are turning blue",
                                  "le cuesta respirar", "not breathing right!!"])
def test_emergency_wording_gets_the_emergency_number_first_whatever_the_menu_state(parent, redis, where, text):
    parent.conversation(*where) if where else None
    reply = parent.text(text)
    assert reply.startswith("Call 911 now") or reply.startswith("Llame al 911 ahora") or (
        not where and ("Call 911 now" in reply.split("\n\n")[0] or "Llame al 911" in reply.split("\n\n")[0])
    )
    assert session(redis)["level"] == 3


def test_an_emergency_reply_starts_with_the_instruction_even_for_a_new_number(parent):
    reply = parent.text("my baby is having a seizure")
    assert reply.split("\n")[0].startswith("Call 911 now")


@pytest.mark.parametrize("later", ["ok she's pink again now", "should I still go?", "1", "ya está mejor"])
def test_after_an_emergency_a_later_message_is_reminded_and_never_reassured(parent, later):
    parent.text("her lips are blue and she's not breathing right")
    reply = parent.text(later)
    first = reply.split("\n")[0]
    assert "911" in first and ("emergency" in first or "emergencia" in first), reply
    assert "No treatment is needed" not in reply and "normal" not in first, reply
    assert "could not find an answer" not in reply


def test_after_an_urgent_answer_keywords_are_answered_as_keywords(parent):
    parent.text("my 3 week old feels hot and his legs shake")
    assert parent.text("thanks").startswith("You're welcome")
    assert "How can I help?" in parent.text("menu") and "today" not in parent.text("menu").split("\n")[0]
    assert "doctor should see your baby today" in parent.text("is this normal?").split("\n")[0]


def test_a_corrected_age_raises_the_level_of_what_was_already_said(parent):
    assert "next day or two" in parent.text("my son is 5 months, he's got 38.3 this morning, no shaking, just cranky")
    assert "seen by a doctor today" in parent.text("omg sorry typo, 5 WEEKS not months").split("\n")[0]


def test_a_corrected_age_lowers_the_level_too_and_the_revision_is_recorded(parent, redis):
    """"sorry typo!! 6 MONTHS not weeks": the fever of a 6-month-old without shaking is for the pediatrician; the
    level said for a 6-week-old was for a baby who is not this one. Said at once, recorded as a revision."""
    assert "seen by a doctor today" in parent.text("she's 6 weeks and has a temp of 38.2, no shaking or anything")
    reply = parent.text("sorry typo!! 6 MONTHS not weeks")
    assert SOON in reply.split("\n")[0] and session(redis)["level"] == 1
    entries = [json.loads(raw) for raw in redis.lrange(keys.transcript(PARENT), 0, -1)]
    assessments = [e for e in entries if e.get("dir") == "assessment"]
    assert [a["level"] for a in assessments] == ["urgent", "soon"] and assessments[-1].get("revised") is True


@pytest.mark.parametrize(("first", "answer", "level_word", "yes", "emergency"), [
    ("my 3 wk old keeps jerking in her sleep, is that normal", "yeah it stops when I hold her", HOME, "yes", EMERGENCY),
    ("mi bebé de 2 semanas tiembla antes de comer", "sí, cuando come se le quita", HOME_ES, "sí", EMERGENCY_ES),
])
def test_a_yes_followed_by_when_the_shaking_happens_is_not_a_yes_to_the_red_flags(  # type: ignore[no-untyped-def]
        parent, first, answer, level_word, yes, emergency):
    """The parent answers what they thought was asked ("does it stop when...?"), not "is your baby struggling to
    breathe, blue, not waking or jerking all over?": the red-flag question is asked again, and no 911."""
    assert "1 " in parent.text(first)  # the red-flag question, answered 1 Yes / 2 No
    reply = parent.text(answer)
    assert EMERGENCY not in reply and EMERGENCY_ES not in reply and level_word in reply
    assert "?" in reply.split("\n\n")[-1]  # asked again
    assert emergency in parent.text(yes)  # a plain yes to the question asked again is the emergency


@pytest.mark.parametrize(("age", "level_word"), [("she's 4 months, not shaking, just fussy", SOON), ("2", SOON),
                                               ("6 weeks", URGENT)])
def test_a_fever_at_an_unknown_age_is_decided_when_the_age_is_given(parent, redis, age, level_word):
    """Unknown is the worse answer until the age comes; then the fever is what the age makes it, said at once."""
    assert URGENT in parent.text("temp 38.2 on the forehead thing")
    reply = parent.text(age)
    if level_word == SOON:
        assert SOON in reply.split("\n")[0] and session(redis)["level"] == 1
        # One timing in one reply: not "in the next day or two" beside "as soon as you can", nor shaking advice.
        assert "as soon as you can" not in reply and "Shaking together with a fever" not in reply
    else:  # under 3 months the fever stays urgent: nothing to revise
        assert SOON not in reply and session(redis)["level"] == 2


def test_an_armpit_reading_is_judged_again_when_the_age_is_corrected(parent):
    """37.6 under the arm is no fever at 3 months, but under 1 month an armpit 37.2 C is (CLINICAL-RULES)."""
    assert HOME in parent.text("she's 3 months, her legs shake when she cries, temp 37.6 under the arm")
    assert URGENT in parent.text("oops I meant 3 weeks not 3 months").split("\n")[0]


def test_how_long_it_has_lasted_is_an_answer_of_its_own(parent):
    """Held, still going, arms too; then "it's been like 5 min": an episode of 5 minutes (Seizure-FA)."""
    parent.text("her legs started shaking while she was lying in her crib, she's 6 weeks")
    parent.text("no I'm holding her and it keeps going")
    assert EMERGENCY in parent.text("it's been like 5 min")


def test_free_text_with_fever_and_young_age_is_urgent_at_once_then_refines(parent, redis):
    reply = parent.text("my 2 month old's leg keeps shaking and she feels hot")
    assert URGENT in reply
    assert "trouble breathing" in reply  # asks the question that could still raise the level
    assert session(redis)["level"] == 2


def test_fever_with_shaking_is_urgent_at_any_age_so_the_red_flag_question_comes_before_the_age(parent):
    """Shaking with a fever is urgent whatever the age (CLINICAL-RULES): only the red-flag question can still
    change the level, so it is the one asked."""
    reply = parent.text("his legs are shaking and he has a fever of 101")
    assert URGENT in reply
    assert "trouble breathing" in reply and "How old is your baby?" not in reply


def test_a_fever_alone_at_an_unknown_age_asks_the_age(parent):
    """A fever with no shaking is urgent under 3 months and soon after: the age decides, so it is asked."""
    reply = parent.text("he has a fever of 101, is that bad?")
    assert URGENT in reply
    assert "How old is your baby?" in reply


def test_a_fever_said_at_the_fever_question_is_urgent_past_3_months_too(parent, redis):
    """The check is about a shaking baby: a fever there is a fever with shaking, urgent at any age."""
    reply = parent.conversation("hi", "4", "3", "no", "yes")  # over 6 months, no red flags, stops when held
    assert "fever" in reply.lower()
    assert URGENT in parent.text("yes")
    assert session(redis)["level"] == 2


def test_a_denied_seizure_does_not_answer_the_red_flag_question(parent):
    """The question asks about breathing, colour and waking too: "jk, not a seizure" leaves them unasked."""
    reply = parent.text("lol my son had a 'seizure' when the blender went on, jk it was the startle thing. "
                        "he's 2 months")
    assert "trouble breathing" in reply


@pytest.mark.parametrize("text", ["legs shaking, no fever, not floppy, eating fine",
                                  "le tiemblan las piernas pero no tiene fiebre",
                                  "temp 37.2, she is feeding well"])
def test_denied_symptoms_are_not_treated_as_red_flags(parent, redis, text):
    reply = parent.text(text)
    assert URGENT not in reply and EMERGENCY not in reply and URGENT_ES not in reply
    assert session(redis)["level"] == 0  # assessed: home, the normal shaking it describes


# --- Free text ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "sections", "expected"), [
    ("why do babies legs shake", {"why", "physiology", "faq"}, "reason"),
    ("how can i help my baby stop shaking their legs", {"soothe", "faq", "ease"}, "hold"),
    ("is it normal for babies to shake their legs?", {"natural-tremors", "faq"}, "normal"),
    ("can low blood sugar cause shaking", {"physiology", "faq"}, "feed"),
    ("are there any exercises for shaky legs", {"ease", "faq"}, "tummy"),
    ("por qué le tiemblan las piernas a mi bebé", {"why", "physiology", "faq"}, "sistema nervioso"),
])
def test_free_text_questions_get_the_matching_guidance(parent, redis, text, sections, expected):
    parent.text("hi")
    reply = parent.text(text)
    assert expected in reply.lower()
    assert set(session(redis)["sections"]) & sections  # the article section is recorded


def test_denied_symptoms_do_not_steer_the_answer_to_their_guidance(parent, redis):
    parent.text("hi")
    reply = parent.text("she's 4 months, legs shake when excited, eating fine, no fever")
    assert "cold, scared or excited" in reply
    assert "fever" not in reply.lower() and "feeding" not in reply.lower()
    # A normal reading is no fever, and "temp" alone must not bring up the fever guidance.
    assert "fever" not in parent.text("temp 99.5 legs shaking 2 months").lower()


@pytest.mark.parametrize(("text", "expected"), [
    ("my 3 week old keeps jerking her legs in her sleep is that ok", "very common"),
    ("he had a fall and now his leg is shaking", "seen by a doctor today"),  # CLINICAL-RULES: after a fall
])
def test_questions_outside_the_menu_get_a_sensible_answer(parent, text, expected):
    parent.text("hi")
    assert expected in parent.text(text)


def test_thanks_gets_a_short_goodbye_and_the_conversation_keeps_its_place(parent, redis, twilio):
    parent.conversation("hi", "4")
    reply = parent.text("Thank you so much!!")
    assert reply == "You're welcome. Text MENU any time for more. In an emergency, call 911 now."
    assert session(redis)["step"] == "age"
    assert "Right now, is your baby having trouble breathing" in parent.text("2")
    spanish = Parent(twilio, "+15551230002")
    spanish.text("hola, por qué le tiemblan las piernas a mi bebé")
    assert spanish.text("muchas gracias") == "De nada. Escriba MENU cuando quiera. En una emergencia llame al 911."


@pytest.mark.parametrize("word", ["ok", "got it", "Sounds good!", "\U0001f44d\U0001f3fd", "vale"])
def test_an_acknowledgement_after_advice_gets_a_short_ok(parent, redis, word):
    parent.conversation("hi", "1")  # advice, then "want to know more?"
    reply = parent.text(word)
    assert reply.startswith(("OK. Text MENU any time", "De acuerdo.")) and "could not find" not in reply
    assert session(redis)["step"] == "normal"  # still where it was: "1" now means "why it happens"


def test_ok_to_a_question_is_no_answer_and_a_crying_emoji_no_acknowledgement(parent):
    parent.conversation("hi", "4")
    assert "did not catch that" in parent.text("ok")
    parent.text("menu")
    assert "OK." not in parent.text("\U0001f62d")


def test_thanks_with_a_red_flag_is_answered_for_the_red_flag(parent):
    parent.text("hi")
    reply = parent.text("thanks but now she has a fever")
    assert URGENT in reply and "You're welcome" not in reply


def test_a_denial_is_not_taken_as_no_to_another_question(parent, redis):
    parent.conversation("hi", "4", "2 weeks old", "2")
    reply = parent.text("no fever")  # asked whether the shaking stops when the leg is held
    assert "noted" in reply and "does the shaking stop?" in reply  # kept, and the question still stands
    assert session(redis)["flags"] == [] and "fever" in session(redis)["denied"]


@pytest.mark.parametrize("answer", ["no fever", "temp is 37.1", "no tiene fiebre"])
def test_a_denial_answers_the_question_it_denies(parent, redis, answer):
    parent.conversation("hi", "4", "2 weeks old", "2", "1")
    parent.text(answer)
    assert session(redis)["step"] == "unwell"  # the fever question was answered "no"
    assert "fever" not in session(redis)["flags"]


def test_not_sure_whether_holding_stops_it_counts_as_the_worse_answer(parent, twilio):
    unsure = parent.conversation("hi", "4", "2 weeks old", "2", "not sure")
    sure = Parent(twilio, "+15551230003").conversation("hi", "4", "2 weeks old", "2", "2")
    assert unsure.startswith("Call 911 now") and sure.startswith("Call 911 now")


def mms(twilio, body: str, count: str = "1", number: str = PARENT) -> str:
    params = twilio.sms_params(body, number)
    params.update(NumMedia=count, MediaContentType0="video/mp4",
                  MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1")
    response = twilio.post("/twilio/sms", params)
    assert response.status_code == 200
    return "\n\n".join(reply_texts(response))


def test_a_picture_or_video_is_thanked_for_and_words_are_asked_for(parent, twilio, client, redis):
    parent.text("hi")
    reply = mms(twilio, "")
    assert "We cannot look at pictures or videos here" in reply and "911" in reply and "1 Is this normal?" in reply
    token = StaffTokens(redis).create("nurse")
    transcript = client.post("/api/conversations/lookup", json={"number": PARENT},
                             headers={"Authorization": f"Bearer {token}"}).get_json()
    assert transcript["transcript"][-2]["media"] == 1  # staff see that a video came (the file is not kept)


def test_a_video_with_a_red_flag_in_its_text_is_answered_for_the_red_flag(twilio):
    assert mms(twilio, "video of her seizure right now").startswith("Call 911 now")


@pytest.mark.parametrize("count", ["abc", "-1", "99", ""])
def test_an_odd_media_count_is_still_answered(twilio, count):
    assert "911" in mms(twilio, "", count)


def test_gibberish_gets_the_menu_not_a_dead_end(parent):
    parent.text("hi")
    reply = parent.text("asdfgh qwerty")
    assert "Here is what I can help with" in reply and "1 Is this normal?" in reply


def test_unrecognized_answer_to_a_question_repeats_the_question(parent):
    parent.conversation("hi", "4")
    reply = parent.text("purple monkey dishwasher")
    assert "did not catch that" in reply and "How old is your baby?" in reply


# --- Keywords -----------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["MENU", "menu", "0", " Menu "])
def test_menu_returns_to_the_main_menu(parent, redis, word):
    parent.conversation("hi", "4", "1")
    reply = parent.text(word)
    assert "1 Is this normal?" in reply
    assert session(redis)["step"] == "menu"


def test_back_returns_to_the_previous_step(parent, redis):
    parent.conversation("hi", "4", "1")
    reply = parent.text("BACK")
    assert "How old is your baby?" in reply
    assert session(redis)["step"] == "age"


@pytest.mark.parametrize("word", ["HELP", "help", "INFO", "ayuda"])
def test_help_says_what_the_service_is_the_emergency_number_and_how_to_stop(parent, word):
    reply = parent.text(word)
    assert "911" in reply and "STOP" in reply


@pytest.mark.parametrize("word", ["STOP", "stop", " Stop ", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT",
                                  "OPTOUT", "REVOKE"])
def test_stop_confirms_once_then_the_hotline_says_nothing_until_start(parent, redis, word):
    parent.text("hi")
    confirmation = parent.text(word)
    assert "no more texts" in confirmation
    assert redis.hexists(keys.OPTOUTS, PARENT)
    assert parent.text("1") == ""
    assert parent.text("hello?") == ""
    assert parent.text(word) == ""  # no second confirmation


@pytest.mark.parametrize("question", ["how do i stop getting these texts",
                                      "cómo le hago para ya no recibir estos mensajes"])
def test_asking_how_to_stop_the_texts_is_told_the_keyword_and_is_not_opted_out(parent, redis, question):
    """Only the keyword opts out (a parent may be asking for someone else, or for later); the question is told it."""
    parent.text("hi")
    reply = parent.text(question)
    assert "STOP" in reply and "911" in reply
    assert not redis.hexists(keys.OPTOUTS, PARENT)


@pytest.mark.parametrize("word", ["S\u200bTOP", "ST\u00adOP", "STO\u200dP", "\u2060STOP"])
def test_invisible_characters_inside_stop_still_opt_out(parent, redis, word):
    parent.text("hi")
    assert "no more texts" in parent.text(word)
    assert redis.hexists(keys.OPTOUTS, PARENT)


@pytest.mark.parametrize("text", ["she is having a sei\u00adzure", "seizu\u200cre", "he is not bre\u200bathing",
                                  "her lips are turning bl\u200bue", "fe\u00adver and shaking, 3 weeks"])
def test_invisible_characters_inside_a_red_flag_do_not_hide_it(parent, text):
    reply = parent.text(text)
    assert reply.startswith(("Call 911 now", "Please have your baby seen by a doctor today")), reply


def test_after_stop_an_emergency_gets_no_text_but_is_recorded_for_staff(parent, redis):
    parent.conversation("hi", "STOP")
    assert parent.text("my baby isn't breathing right, his chest is sinking in") == ""  # the opt-out binds
    entries = [json.loads(e) for e in redis.lrange(keys.transcript(PARENT), 0, -1)]
    assert [e["level"] for e in entries if e["dir"] == "assessment"] == ["emergency"]


@pytest.mark.parametrize("word", ["START", "UNSTOP", "start"])
def test_start_opts_back_in(parent, redis, word):
    parent.conversation("hi", "STOP")
    reply = parent.text(word)
    assert "Welcome back" in reply and "1 Is this normal?" in reply
    assert not redis.hexists(keys.OPTOUTS, PARENT)


def test_a_sentence_in_spanish_mid_conversation_is_answered_in_spanish(parent, redis):
    parent.text("hi")
    reply = parent.text("mi bebé tiembla, es normal?")
    assert "Responda:" in reply
    assert session(redis)["language"] == "es"


def test_language_switch_both_ways(parent, redis):
    parent.text("hi")
    reply = parent.text("ESPAÑOL")
    assert "en español" in reply and "1 ¿Es normal?" in reply
    assert parent.text("1").count("común") >= 1
    reply = parent.text("ENGLISH")
    assert "in English" in reply
    assert session(redis)["language"] == "en"


# --- State, retries, concurrency, expiry --------------------------------------------------------


def test_retried_webhook_with_the_same_message_sid_gets_the_same_reply_and_changes_nothing(twilio, redis):
    twilio.sms("hi", PARENT)
    first = reply_texts(twilio.sms("4", PARENT, message_sid="SM" + "a" * 32))
    before = (redis.get(keys.session(PARENT)), redis.llen(keys.transcript(PARENT)))
    for _ in range(3):
        again = reply_texts(twilio.sms("4", PARENT, message_sid="SM" + "a" * 32))
        assert again == first
    assert (redis.get(keys.session(PARENT)), redis.llen(keys.transcript(PARENT))) == before


def test_retried_webhook_with_the_same_idempotency_token_changes_nothing(twilio, redis):
    twilio.sms("hi", PARENT)
    headers = {"I-Twilio-Idempotency-Token": "tok-123"}
    first = reply_texts(twilio.sms("4", PARENT, headers=headers))
    turns = session(redis)["turns"]
    assert reply_texts(twilio.sms("4", PARENT, headers=headers)) == first
    assert session(redis)["turns"] == turns


def test_concurrent_messages_for_one_number_are_all_kept(app, redis):
    from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL

    errors = []

    def send(i: int) -> None:
        signer = SignedTwilio(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL, ACCOUNT_SID)
        try:
            reply_texts(signer.sms(f"question {i}", PARENT))
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert session(redis)["turns"] == 12  # no lost update
    transcript = [json.loads(e) for e in redis.lrange(keys.transcript(PARENT), 0, -1)]
    assert sorted(e["text"] for e in transcript if e["dir"] == "in") == sorted(f"question {i}" for i in range(12))


def test_an_idle_conversation_expires_and_starts_fresh_with_a_welcome_back(settings, redis):
    services = build_services(settings.with_(session_ttl_seconds=1))
    client = create_app(services=services).test_client()
    from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL

    parent = Parent(SignedTwilio(client, AUTH_TOKEN, PUBLIC_BASE_URL, ACCOUNT_SID))
    parent.conversation("hi", "4", "1")
    time.sleep(1.3)
    reply = parent.text("2")
    assert "Welcome back" in reply
    assert "does not replace a doctor" not in reply


def test_webhook_answers_safely_when_redis_is_down(settings):
    from hotline.redis_server import free_port

    services = build_services(settings.with_(redis_url=f"redis://127.0.0.1:{free_port()}/0"))
    client = create_app(services=services).test_client()
    from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL

    signer = SignedTwilio(client, AUTH_TOKEN, PUBLIC_BASE_URL, ACCOUNT_SID)
    reply = "\n".join(reply_texts(signer.sms("hello", PARENT)))
    assert "911" in reply and "went wrong" in reply
    reply = "\n".join(reply_texts(signer.sms("she is having a seizure", PARENT)))
    assert reply.startswith("Call 911 now")


@pytest.mark.parametrize("form_change", [{"From": ""}, {"From": "not-a-number"}, {"Body": ""},
                                         {"Body": "x" * 5000}, {"Body": "\x00\x01\x02"}, {"Body": "🙏😭👶"}])
def test_odd_forms_still_get_a_useful_answer(twilio, form_change):
    params = twilio.sms_params("hi", PARENT)
    params.update(form_change)
    texts = reply_texts(twilio.post("/twilio/sms", params))
    assert texts and any("911" in t or "Reply:" in t for t in texts)


def test_a_flood_gets_one_slow_down_then_silence_while_others_and_emergencies_are_answered(
        parent, twilio, redis):
    from hotline.store.conversations import RATE_WINDOW_SECONDS

    replies = [parent.text(f"hello {i}") for i in range(18)]
    assert all(replies[:15])
    assert "sending messages very fast" in replies[15]
    assert replies[16:] == ["", ""]
    assert "911" in parent.text("she is having a seizure")  # an emergency is never held back
    other = Parent(twilio, "+15551230002")
    assert "1 Is this normal?" in other.text("hi")  # other numbers are unaffected
    transcript = [json.loads(e) for e in redis.lrange(keys.transcript(PARENT), 0, -1)]
    assert len([e for e in transcript if e["dir"] == "in"]) == 19  # nothing the parent sent is lost
    assert 0 < redis.ttl(keys.rate(PARENT)) <= RATE_WINDOW_SECONDS  # the window is Redis's: let it pass there
    redis.pexpire(keys.rate(PARENT), 1)
    time.sleep(0.01)
    assert parent.text("menu")  # after a pause, answered again


def test_a_stop_or_start_in_a_flood_is_still_honoured_and_confirmed(parent, redis):
    replies = [parent.text(f"hello {i}") for i in range(17)]
    assert replies[-1] == ""  # past the rate limit: silence
    assert "no more texts" in parent.text("STOP")
    assert redis.hexists(keys.OPTOUTS, PARENT)
    assert "Welcome back" in parent.text("START")
    assert not redis.hexists(keys.OPTOUTS, PARENT)
    assert parent.text("hello again") == ""  # and the flood is still held back


def test_an_answer_that_also_reports_a_red_flag_says_the_level_at_once(parent, redis):
    parent.conversation("hi", "4", "2")  # 3 to 6 months
    reply = parent.text("no but she threw up twice")  # answers "danger?" and reports vomiting
    assert reply.startswith("Please have your baby seen by a doctor today")
    # Whether holding stops the shaking could still make it 911, so that is asked next; the fever question
    # could not change "urgent" and is skipped.
    assert "gently hold" in reply
    reply = parent.text("yes")
    assert "fever" not in reply.lower() and "What next?" in reply
    assert "vomiting" in session(redis)["flags"]


def test_an_answer_with_a_red_flag_mid_check_gives_the_level_and_asks_what_could_still_raise_it(parent, redis):
    parent.conversation("hi", "4", "3")  # over 6 months
    reply = parent.text("no, but only his left leg shakes")  # answers "danger?" and reports one side only
    assert reply.startswith("Please call your pediatrician in the next day or two")
    assert "gently hold" in reply  # the check goes on: an urgent sign could still change the level


def test_a_new_check_after_an_outcome_keeps_a_red_flag_given_with_the_request(parent, redis):
    parent.conversation("hi", "4", "3", "2", "1", "2", "4", "4", "2")  # home outcome, then the menu
    parent.text("menu")
    parent.text("check symptoms, she has a fever now")
    assert "fever" in session(redis)["flags"]


@pytest.mark.parametrize(("first", "doubt", "emergency"), [
    ("my 3 week old's legs are shaking", "i dont know", EMERGENCY),
    ("my 3 week old's legs are shaking", "not sure", EMERGENCY),
    ("a mi bebé de 3 semanas le tiemblan las piernas", "no sé", EMERGENCY_ES),
])
def test_not_sure_at_the_red_flag_question_counts_as_yes(parent, first, doubt, emergency):
    """CLINICAL-RULES: unknown is the worse answer; "not sure" to a red-flag question counts as yes."""
    assert "?" in parent.text(first)  # the red-flag question, answered 1 Yes / 2 No
    assert emergency in parent.text(doubt)


@pytest.mark.parametrize("sure", ["no, estoy segura, nada de eso", "no. estoy seguro", "no, sé que no"])
def test_a_no_said_with_certainty_is_not_taken_for_no_estoy_segura(parent, sure):
    """ "no, estoy segura" is a no and "I'm sure": the stop after "no" keeps it from reading "no estoy segura" (not
    sure, a yes). The holding question comes next, not 911."""
    assert "?" in parent.text("a mi bebé de 2 meses le tiemblan las piernas cuando llora")
    reply = parent.text(sure)
    assert EMERGENCY_ES not in reply and "sujeta con suavidad la pierna" in reply


def test_a_question_back_about_the_red_flag_question_is_not_a_yes(parent):
    """ "wdym hard to wake, hes awake rn screaming at me lol" asks what the question means and says he is awake: no
    911. "hard to wake no hes crying his head off" (a call writes no question mark) says back a sign and answers no."""
    parent.text("our 6 wk old keeps doing this lil shiver thing when i change him")
    assert EMERGENCY not in parent.text("wdym hard to wake, hes awake rn screaming at me lol")
    assert EMERGENCY not in parent.text("hard to wake no hes crying his head off")
    assert EMERGENCY not in parent.text("nah nothing else, breathing fine not blue")


def test_not_doing_it_now_at_the_holding_question_is_not_a_shaking_that_keeps_going(parent):
    """ "no shes not doing it now" at "does it stop when you hold the leg?" leaves nothing to hold: the urgent level
    earned (a cluster of spasms on waking) stands, and it is not raised to 911."""
    assert URGENT in parent.text("my baby girl keeps doing these jerks when she wakes up her arms go up and her head "
                                 "drops over and over")
    parent.text("no")
    assert EMERGENCY not in parent.text("no shes not doing it now")


def test_no_para_nada_at_the_red_flag_question_is_a_no(parent):
    """ "no para nada" (no, not at all) answers the red-flag question: the holding question comes next, with no
    level raised for a shaking that "does not stop"."""
    parent.text("a mi bebé de 3 meses le brincan las piernas cuando se asusta con los ruidos")
    reply = parent.text("no para nada")
    assert "sujeta con suavidad la pierna" in reply and "pediatra" not in reply


def test_a_doubt_about_waking_beside_a_lesser_sign_is_a_yes(parent):
    """ "no sé, está muy dormida, no sé si se despierta" at the red-flag question: unsure whether she wakes is a
    yes (CLINICAL-RULES: not sure = yes), though "muy dormida" alone is a doctor today."""
    parent.text("tiene tres semanas y aguanta mucho entre tomas y tiembla antes de comer")
    assert EMERGENCY_ES in parent.text("este pues no sé está muy dormida no sé si se despierta")


def test_it_only_lasts_a_second_at_the_holding_question_is_no_shaking_that_keeps_going(parent):
    """ "it only lasts a second" at "does the shaking stop when you hold the leg?" is over before there is anything
    to hold: a later bare "no" answers the next question, not this one, and nothing says 911."""
    parent.text("my baby still jumps and throws her arms out every time the dog barks and her legs shake for a sec")
    parent.text("8 months")
    parent.text("no")
    assert EMERGENCY not in parent.text("it only lasts a second")
    assert EMERGENCY not in parent.text("no")


def test_a_doubt_about_the_temperature_is_not_a_yes_to_the_red_flags(parent):
    """ "i dont know we dont have a thermometer" answers a fever question the parent imagined, not "is your baby
    struggling to breathe, blue, not waking or jerking all over?": no 911, and the question is asked again."""
    parent.text("my 3 week old's legs are shaking")
    reply = parent.text("i dont know we dont have a thermometer")
    assert EMERGENCY not in reply and "?" in reply.split("\n\n")[-1]


def test_a_fever_told_in_words_then_measured_below_the_line_is_revised(parent, redis):
    """A reading beats words: "feels warm" with shaking is urgent at any age; "99.0 under the arm" at 7 months is no
    fever, and the level is revised, said at once and recorded."""
    assert URGENT in parent.text("my 7 month old feels warm and his legs are shaky")  # fever with shaking
    assert HOME in parent.text("just took it, 99.0 under the arm")
    entries = [json.loads(raw) for raw in redis.lrange(keys.transcript(PARENT), 0, -1)]
    assert [e["level"] for e in entries if e.get("dir") == "assessment"][-1] == "home"


@pytest.mark.parametrize("reply", ["🙏", "?", "...", "👍👍"])
def test_an_answer_of_only_an_emoji_or_punctuation_at_a_question_is_asked_again_not_an_error(parent, reply):
    parent.text("my 2 month old's legs shake")  # the red-flag question is asked
    again = parent.text(reply)
    assert "did not catch" in again and "trouble breathing" in again


def test_a_no_followed_by_reassurance_answers_the_red_flag_question(parent):
    """ "no, he's pink and breathing fine and wakes up easy" is the no; the next "yes it stops right away" then
    answers the holding question instead of calling 911."""
    parent.text("hey my 5 week old's legs tremble when he's falling asleep")
    after_no = parent.text("no, he's pink and breathing fine and wakes up easy")
    assert "hold the shaking leg" in after_no
    after_yes = parent.text("yes it stops right away")
    assert EMERGENCY not in after_yes


@pytest.mark.parametrize("yes", ["ya", "yep", "yup", "yea"])
def test_a_texted_yes_answers_the_holding_question(parent, yes):
    parent.conversation("my 8mo legs shake when i stand him up, lying down hes fine", "nope")
    reply = parent.text(yes)  # "does the shaking stop when you gently hold the leg?"
    assert "gently hold" not in reply and "did not catch" not in reply and EMERGENCY not in reply


def test_a_late_no_to_the_red_flag_question_is_not_a_no_to_the_holding_question(parent):
    """Voice runs "no, respira bien, normal" together; the parent is still answering the red-flag question."""
    parent.conversation("mi nieto tiene temblorcitos en las piernas", "tiene cuatro meses", "no fiebre no tiene")
    reply = parent.text("no respira bien normal está rosadito y despierto")
    assert EMERGENCY_ES not in reply and "sujeta" in reply  # the holding question, asked again


def test_a_no_about_temperature_at_the_holding_question_is_not_a_no_to_holding(parent):
    """"no, está fresquita" answers the fever question the parent expects next: it must not be taken for "no, the
    shaking does not stop when held" (an emergency)."""
    parent.conversation("Hola, a mi bebé le tiemblan las piernas", "tiene 4 meses", "no")  # holding question now
    reply = parent.text("no, está fresquita")
    assert EMERGENCY_ES not in reply and "sujeta" in reply  # the holding question, asked again


def test_a_leading_si_si_answers_the_holding_question(parent):
    parent.conversation("Hola, a mi bebé le tiemblan las piernas", "tiene 4 meses", "no")
    reply = parent.text("si si se calma cuando le agarro las piernitas")
    assert "fiebre" in reply and "sujeta" not in reply  # on to the fever question


def test_red_flags_denied_with_the_age_are_not_asked_again(parent):
    """"4 months, and no she's breathing fine, awake, good color" answers the age and the red-flag question: the
    next question is about holding, so the parent's "yes" is not a yes to the red flags."""
    parent.text("this is new, my babys legs have started trembling randomly and nothing seems to set it off")
    reply = parent.text("4 months, and no she's breathing fine, awake, good color")
    assert "gently hold" in reply and "trouble breathing" not in reply
    assert EMERGENCY not in parent.text("yes")


@pytest.mark.parametrize(("answer", "then"), [("none of those", "yes, stops"), ("ninguna", "yes, stops")])
def test_none_of_those_is_the_no_to_the_red_flag_question_and_yes_stops_answers_holding(parent, answer, then):
    parent.text("is it my coffee?? I drink a ton and nurse, my 4 week old is jittery")
    reply = parent.text(answer)
    assert "gently hold" in reply and "did not catch" not in reply
    assert EMERGENCY not in parent.text(then)


def test_a_long_english_answer_that_opens_with_doubt_is_the_doubtful_yes(parent):
    """CLINICAL-RULES: "not sure" to a red-flag question counts as yes, however much follows it."""
    parent.text("my 2 month old's legs are shaking")
    reply = parent.text("i don't know, maybe? her breathing looks kinda weird to me but i honestly can't tell")
    assert reply.startswith(EMERGENCY)


def test_a_spanish_no_se_followed_by_what_the_parent_sees_is_decided_by_what_they_see(parent):
    parent.text("a mi bebé de 2 meses le tiemblan las piernas")
    reply = parent.text("no sé, hoy está más dormido que de costumbre y no quiere comer")
    assert reply.startswith("Lleve a su bebé al médico hoy")


def test_an_emergency_word_taken_back_is_not_treated_as_the_baby(parent, redis):
    """"911 lol wrong chat": no emergency, and no symptom check about a baby the message does not describe."""
    reply = parent.text("911 lol wrong chat sorry!! that was meant for my brother's group chat about the game")
    assert EMERGENCY not in reply and "How old is your baby?" not in reply
    assert session(redis).get("level") is None


@pytest.mark.parametrize("answer", ["sorry my english is not good. she dont have any of that",
                                    "Hi! sorry for the delay, was feeding her. No, none of those"])
def test_an_answer_after_an_apology_or_greeting_is_read_and_the_next_yes_is_not_an_emergency(parent, answer):
    """The answer follows words that report nothing; before, the red-flag question was asked again and the
    parent's next "yes" (meant for the holding question) became a 911."""
    parent.conversation("hello, my baby 3 month, the legs shaking when she cry")
    assert "gently hold" in parent.text(answer)
    assert EMERGENCY not in parent.text("yes stop")


def test_no_jerking_at_the_red_flag_question_keeps_the_shaking_for_a_later_fever(parent):
    """"no jerking" answers the red-flag question; the legs still shake, so a fever at 8 months is urgent."""
    parent.conversation("Hola, mi hija de 8 meses tiene las piernas temblando",
                        "sorry, can we do English? my mom typed that. no, she's breathing fine, awake, no jerking",
                        "yes it stops")
    assert parent.text("she's hot, 101.3 in her ear").startswith("Please have your baby seen by a doctor today")


@pytest.mark.parametrize("age", ["about four months", "like 6 weeks", "around 2 months"])
def test_a_hedged_age_alone_answers_the_age_question(parent, age):
    """"about four months" is the baby's age, not a duration: the check moves on to the red-flag question,
    where "not sure" is then the worse answer (CLINICAL-RULES)."""
    parent.text("um my babys legs are shaking right now")
    assert "trouble breathing" in parent.text(age)
    assert parent.text("not sure").startswith(EMERGENCY)


def test_a_seizure_over_and_the_baby_back_to_normal_stays_urgent_through_the_questions(parent, redis):
    """Seizure-FA: an episode this morning, drowsy after it, "totally himself" now, is a doctor today. His
    drowsiness then is part of that episode: a "no" to the red flags does not make it 911, and neither does a
    shaking that has stopped by itself and so cannot be held."""
    first = parent.text("this morning his arms and legs were jerking for about a minute and he was out of it for a "
                        "bit after, now he's totally himself")
    assert URGENT in first and EMERGENCY not in first
    assert EMERGENCY not in parent.text("no")
    assert EMERGENCY not in parent.text("it's not shaking now so i can't tell")
    assert session(redis)["level"] == 2


def test_a_shaking_that_has_stopped_is_not_a_doubt_about_holding(parent, redis):
    """At the holding question, "not sure" is the worse answer (it does not stop); "it's not shaking now" is not
    a doubt: there is nothing to hold, and the next question comes."""
    parent.conversation("her legs were shaking a lot", "5 weeks", "no")
    assert "fever" in parent.text("it's not shaking now").lower()
    assert "not_stopping_when_held" not in session(redis)["flags"]


def test_a_yes_said_as_a_sound_answers_the_question(parent, redis):
    """"uh huh" (typed as a caller says it) is a yes, though "uh" alone is a filler."""
    parent.conversation("her legs shake when she's startled by a noise", "4 months", "no")
    assert "fever" in parent.text("uh huh").lower()  # the holding question answered: the next one comes


def test_an_age_heard_as_a_word_is_read_as_the_number_at_the_age_question(parent, redis):
    """A recogniser writes "four months" as "for months"; at the age question that is the age, not shaking that
    has gone on for months (which would be a reason to call the pediatrician)."""
    parent.text("my babys legs shake when she gets startled like with loud noises")
    assert SOON not in parent.text("for months")
    assert session(redis)["age_days"] == 120


def test_a_no_said_apart_answers_the_red_flags_though_more_denials_follow(parent, redis):
    """"no. and no fever, 36.9" answers the red-flag question (and the fever one): the next question comes, and
    a "yes" to it is no red flag."""
    parent.conversation("mi baby de 3 meses tiene los legs shaking cuando llora")
    reply = parent.text("no. ah y no tiene fiebre, le tomé la temp y tiene 36.9")
    assert "sujeta" in reply  # the holding question
    assert EMERGENCY_ES not in parent.text("sí") and session(redis)["level"] == 0


def test_a_correction_of_the_age_is_not_an_answer_to_the_question_asked(parent, redis):
    """"ah no perdón, tiene 10 semanas": the "no" corrects the age; the red-flag question is asked again, so the
    next "no" answers it (not the holding question, where "no" would mean the shaking goes on)."""
    parent.conversation("mi bebé tiembla de las piernas cuando llora mucho", "tres meses")
    parent.text("ah no perdón, tiene 10 semanas, me equivoqué")
    assert session(redis)["age_days"] == 70 and session(redis)["step"] == "danger"
    assert EMERGENCY_ES not in parent.text("no")


@pytest.mark.parametrize("answer", ["no it doesnt, its stopped now", "the right one keeps going, left isnt shaking",
                                    "sigue, la otra pierna ya no tiembla"])
def test_a_no_at_the_holding_question_is_not_taken_back_by_a_stopped_shaking(parent, answer):
    """Only a whole answer that the shaking has stopped leaves nothing to hold; a "no" or "keeps going" beside it
    is still movement that holding does not stop (EpiFdn): the emergency."""
    parent.conversation("my 2 month old's leg is shaking", "no")
    reply = parent.text(answer)
    assert EMERGENCY in reply or EMERGENCY_ES in reply


def test_a_recognisers_know_opening_an_answer_is_a_no_and_no_idea_is_doubt(parent, redis):
    """A recogniser writes a spoken "no" that opens an answer as "know": "know she is fine" at the red-flag
    question is a no (the holding question comes); "know idea" is "no idea", doubt, which counts as yes."""
    parent.conversation("hi my baby girl is nine months and her legs keep shaking when she tries to stand up")
    assert "hold" in parent.text("know she is fine").lower() and session(redis)["level"] == 1
    parent.text("MENU")
    parent.conversation("my 5 week old has shaky legs")
    assert EMERGENCY in parent.text("know idea honestly")


def test_a_reading_a_medicine_brought_down_does_not_replace_the_fever_read_before(parent, redis):
    """38.9 at 4 months, then "le di paracetamol y ahora tiene 37.6": the medicine hides the fever, so shaking that
    starts after it is still shaking with a fever (urgent), not shaking alone."""
    parent.conversation("mi bebé de 4 meses tiene 38.9 en el oído, no tiembla", "no")
    parent.text("le di paracetamol y ahora tiene 37.6")
    assert session(redis)["level"] == 1
    parent.text("ahora le empezaron a temblar las piernas")
    assert session(redis)["level"] == 2


def test_a_what_if_asking_which_number_to_call_is_told_the_emergency_number(parent, redis):
    """"What number do I call if her legs ever start jerking together with her arms? She is fine right now": the
    answer is the emergency number for that sign, not the thermometer's number for a fever; nothing is wrong now."""
    reply = parent.text("what number do i call if her legs ever start jerking together with her arms she is fine "
                        "right now")
    assert "call 911 right away" in reply and "100.4" not in reply
    assert session(redis)["level"] == 0


def test_holding_that_does_not_stop_it_now_is_now_though_it_started_this_morning(parent):
    """"This morning it started shaking and it doesn't stop when I hold it": the holding is told in the present
    tense, so the shaking goes on now."""
    reply = parent.text("this morning it started shaking and it doesnt stop when i hold it, she is 4 months")
    assert EMERGENCY in reply


def test_holding_that_did_not_stop_it_last_night_is_an_episode_over(parent, redis):
    """"Anoche no se le quitaba cuando lo agarré, hoy no ha vuelto a temblar": an episode last night that holding
    did not stop, and none since: a doctor today, not 911."""
    reply = parent.text("anoche no se le quitaba cuando lo agarré, hoy no ha vuelto a temblar, tiene 5 meses")
    assert EMERGENCY_ES not in reply and session(redis)["level"] == 2


def test_a_bare_number_at_the_age_question_is_asked_its_unit_and_the_unit_alone_answers(parent, redis):
    """"8" at the age question is no menu key: weeks or months decide the level, so the reply asks which, and
    "months, sorry" then gives the age (8 months), kept and not asked again."""
    parent.conversation("my baby's legs shake when she cries")
    assert "8 weeks or 8 months" in parent.text("8")
    reply = parent.text("months, sorry")
    assert session(redis)["age_days"] == 240 and "How old" not in reply


def test_at_the_red_flag_question_no_then_breathes_well_and_pink_is_a_no(parent, redis):
    """Heard without its comma, "no respira bien y está rosita" at the red-flag question is "no, she breathes well and
    is pink": the holding question comes next. Said alone there, or in a first message, "no respira bien" is a baby
    who does not breathe well (911)."""
    parent.conversation("a mi niña le tiembla nada más una piernita", "tiene seis semanas")
    reply = parent.text("no respira bien y está rosita pero sí está un poco llorona")
    assert EMERGENCY_ES not in reply and session(redis)["step"] == "held"


def test_no_respira_bien_alone_at_the_red_flag_question_is_an_emergency(parent):
    parent.conversation("a mi niña le tiembla nada más una piernita", "tiene seis semanas")
    assert EMERGENCY_ES in parent.text("no respira bien")


def test_no_respira_bien_in_a_first_message_is_an_emergency(parent):
    assert EMERGENCY_ES in parent.text("no respira bien y está rosita, tiene 6 semanas")


def test_at_the_holding_question_a_shaking_that_stops_by_itself_is_no_shaking_that_keeps_going(parent, redis):
    """"It usually stops on its own before I even pick him up" says the shaking does not keep going: the fever
    question comes next, and a "no" to it leaves the level at home (before, the holding question was asked again
    and that "no" became 911)."""
    parent.conversation("my son is 9 months and his legs shake sometimes when he's tired", "no")
    parent.text("it usually stops on its own before I even pick him up")
    assert session(redis)["step"] == "fever"
    assert EMERGENCY not in parent.text("no")


def test_at_the_holding_question_a_shaking_that_goes_on_for_minutes_before_it_stops_is_asked_again(parent, redis):
    """How long it went on before stopping by itself is not a "yes, it stops when held": the question stays."""
    parent.conversation("my 2 month old's legs shake", "no")
    parent.text("it stops on its own after like 6 minutes")
    assert session(redis)["step"] == "held"


def test_a_spoken_no_and_a_denied_fever_at_the_red_flag_question_is_a_no(parent, redis):
    """A recogniser writes no comma: "no and she does not have a fever either it was thirty seven point two" answers
    the red-flag question with a no, so the holding question comes next (a later "yes" is to that question)."""
    parent.conversation("her legs are shaking on and off since this morning", "she is ten weeks")
    parent.text("no and she does not have a fever either it was thirty seven point two")
    assert session(redis)["step"] == "held"
    assert EMERGENCY not in parent.text("yes")


def test_a_menu_key_at_the_age_question_then_a_unit_alone_is_that_many_months(parent, redis):
    """"2" picks "3 to 6 months", but "months." said next shows the parent meant 2 months: the age said wins, and a
    fever at 2 months is urgent."""
    parent.conversation("temp 38.6, nothing else going on")
    parent.text("2")
    reply = parent.text("months. she's acting normal otherwise")
    assert session(redis)["age_days"] == 60
    assert "seen by a doctor today" in reply


def test_after_a_menu_key_at_the_age_question_a_unit_inside_the_next_answer_is_no_age(parent):
    """"2" (3 to 6 months), then "not sure, she's been like this for days" at the red-flag question: "not sure"
    counts as yes (911); the "days" in it is how long, not the unit of the "2"."""
    parent.conversation("my baby's legs are shaking")
    parent.text("2")
    assert EMERGENCY in parent.text("not sure, she's been like this for days")


@pytest.mark.parametrize("answer", ["creo que se le quita solo", "it stops on its own when i let go",
                                    "no, it just passes on its own"])
def test_at_the_holding_question_a_doubt_or_a_no_beside_stops_by_itself_is_not_yes_it_stops(parent, redis, answer):
    parent.conversation("my 2 month old's legs shake", "no")
    parent.text(answer)
    assert session(redis)["step"] != "fever"



@pytest.mark.parametrize("answer", ["no she's pink and feeding fine", "no shes feeding fine"])
def test_a_no_then_a_reassurance_that_denies_poor_feeding_answers_the_red_flag_question(parent, redis, answer):
    """"no she's pink and feeding fine" at the red-flag question is its "no": feeding fine denies poor feeding by
    reassuring, not by naming another question's sign. The holding question comes next, and its "yes" is no 911."""
    parent.conversation("I'm on zoloft and nursing, my 3 week old is really jittery in her legs")
    parent.text(answer)
    assert session(redis)["step"] == "held"
    assert EMERGENCY not in parent.text("yes")


def test_a_denied_fever_alone_at_the_red_flag_question_is_asked_again(parent, redis):
    """"no fever" does not say the baby is breathing well, pink and awake: the red-flag question is asked again."""
    parent.conversation("I'm on zoloft and nursing, my 3 week old is really jittery in her legs")
    parent.text("no fever")
    assert session(redis)["step"] == "danger"


def test_a_first_message_that_denies_the_red_flags_is_not_asked_them_again(parent, redis):
    """"no fever, she's awake and pink, breathing fine, no jerking" answers the red-flag question before it is
    asked: the holding question comes next, and its "yes" (it stops) is no emergency."""
    parent.conversation("5 wk old, her legs shake while she's eating. no fever, she's awake and pink, breathing fine, "
                        "no jerking")
    assert session(redis)["step"] == "held"
    assert EMERGENCY not in parent.text("yes")


@pytest.mark.parametrize("first", [
    "5 wk old, her legs shake while she's eating. no fever, she's pink, not sure about her breathing, no jerking",
    "his legs shake a lot, hes 1 month. no fever, pink, breathing fine, but he's been really quiet today"])
def test_a_first_message_with_a_doubt_or_a_but_is_still_asked_the_red_flags(parent, redis, first):
    parent.conversation(first)
    assert session(redis)["step"] == "danger"


def test_a_long_answer_at_the_holding_question_whose_first_clause_says_it_keeps_going(parent):
    """"no se le quita, y ahora también le tiemblan los brazos": the first clause answers the holding question (it
    keeps going), and arms now shaking with the legs is an emergency either way."""
    parent.conversation("vomitó tres veces y le tiemblan las piernas, tiene 5 meses", "no, respira bien y está rosado")
    assert "911" in parent.text("no se le quita, y ahora también le tiemblan los brazos a la vez")


def test_a_yes_in_a_first_clause_about_yesterday_is_not_taken_over_what_follows(parent):
    """"ayer sí, hoy no se le quita cuando la cargo": only the worse answer is taken from a first clause; what the
    whole answer says (holding does not stop it today) is read, and that is an emergency."""
    parent.conversation("vomitó tres veces y le tiemblan las piernas, tiene 5 meses", "no, respira bien y está rosado")
    assert EMERGENCY_ES in parent.text("ayer sí, hoy no se le quita cuando la cargo, sigue temblando")


def test_a_first_clause_no_at_the_red_flag_question_answers_it_though_a_reading_follows(parent, redis):
    """"no none of that. and no fever either, I checked, 98.6": the red flags are denied; the holding question is
    next, and its "yes" (it stops) is no emergency."""
    parent.conversation("my son is 4 months and his legs shake when he's falling asleep")
    parent.text("no none of that. and no fever either, I checked, 98.6")
    assert session(redis)["step"] == "held"
    assert EMERGENCY not in parent.text("yes")


@pytest.mark.parametrize("answer", ["no none of that. but i'm not sure about his breathing",
                                    "nope. cant tell if hes really blue or its the light"])
def test_a_no_with_a_doubt_about_a_red_flag_is_a_yes(parent, answer):
    """Unsure of one of the red-flag question's signs is a yes to it (CLINICAL-RULES: unknown is the worse answer),
    whatever "no" comes first."""
    parent.conversation("my 5 week old's legs shake a lot")
    assert EMERGENCY in parent.text(answer)


def test_a_yes_that_names_which_red_flag_is_a_yes(parent):
    """"sí, brazos y piernas, empezó hace 3 minutos y sigue" at the red-flag question: the yes, then which of its
    signs (a yes that goes on to reassure, "yes she's breathing fine", is still asked again)."""
    parent.conversation("mi bebé está temblando", "5 meses")
    assert EMERGENCY_ES in parent.text("sí, brazos y piernas, empezó hace 3 minutos y sigue")



@pytest.mark.parametrize(("answer", "emergency"), [
    ("yes he was jerking 5 min ago, he just stopped", True),  # just over: still the emergency
    ("actually yes he is jerking now", True),
    ("yes, he was jerking arms and legs an hour ago, fine now", False),  # hours ago: asked again, a doctor today
])
def test_a_yes_at_the_red_flag_question_and_when_its_sign_was(parent, answer, emergency):
    parent.conversation("my baby's legs are shaking", "3 weeks")
    assert (EMERGENCY in parent.text(answer)) is emergency


def test_at_the_holding_question_nothing_shaking_is_not_it_keeps_going(parent, redis):
    """"no le tiembla nada" at the holding question: there is nothing shaking for holding to fail to stop."""
    parent.conversation("tiene fiebre de 38.4", "9 meses", "no")
    assert EMERGENCY_ES not in parent.text("no le tiembla nada")


@pytest.mark.parametrize("answer", ["no sé", "not sure"])
def test_a_caller_who_does_not_know_the_age_goes_on_to_the_red_flags(parent, redis, answer):
    """A grandparent or a babysitter who does not know the age is not asked it again and again: the age stays
    unknown (the younger band) and the red-flag question comes next."""
    parent.conversation("my baby's legs are shaking" if answer == "not sure" else "mi bebé tiembla")
    parent.text(answer)
    assert session(redis)["step"] == "danger"


@pytest.mark.parametrize(("first", "question_back", "meaning"), [
    ("my 2 month old's legs shake and it doesn't stop", "i dont understand", "ribs pulling in"),
    ("my 2 month old's legs shake and it doesn't stop", "wdym hard to wake", "will not stay awake"),
    ("a mi bebé de 2 meses le tiemblan las piernas y no para", "no sé qué quiere decir con eso",
     "se le hunden las costillas"),
    ("a mi bebé de 2 meses le tiemblan las piernas y no para", "no entiendo la pregunta", "pausas largas"),
])
def test_a_question_back_at_the_red_flag_question_gets_what_it_means_and_the_question_again(
        parent, redis, first, question_back, meaning):
    """A parent who does not understand the red-flag question is told what each sign looks like and asked again:
    neither a yes (911) nor a no (the holding question), and no unrelated advice."""
    parent.text(first)
    reply = parent.text(question_back)
    assert meaning in reply and EMERGENCY not in reply and EMERGENCY_ES not in reply
    assert session(redis)["step"] == "danger"


def test_what_counts_as_a_fever_at_the_fever_question_gets_the_line(parent, redis):
    parent.conversation("my 5 month old's legs shake sometimes", "no", "yes it stops")
    reply = parent.text("what counts as a fever?")
    assert "100.4 F (38 C) or more" in reply and session(redis)["step"] == "fever"


def test_an_age_said_with_doubt_at_the_red_flag_question_is_the_age_not_a_doubt_about_the_signs(parent, redis):
    """ "idk like 2 months i think" at the red-flag question answers the age: no 911, the age kept, the red-flag
    question asked again; a sign said next still calls 911."""
    assert URGENT in parent.text("babysittin my niece she feels hot n her legs r shakin")
    reply = parent.text("idk like 2 months i think")
    assert EMERGENCY not in reply and session(redis)["age_days"] == 60 and session(redis)["step"] == "danger"
    assert EMERGENCY in parent.text("shes rly sleepy n hard to wake up")


def test_a_fever_read_at_an_unknown_age_is_regraded_when_the_age_is_given(parent, redis):
    """39.6 at an unknown age is read in the younger band (a doctor today); at almost 8 months, with no shaking and
    no red flag, it is for the pediatrician in a day or two. Neither the holding question (nothing shakes) nor the
    fever question (the reading said it) is asked."""
    assert URGENT_ES in parent.text("tiene 39,6 de temperatura y no tiembla")
    assert SOON_ES in parent.text("ya va a cumplir 8 meses")
    reply = parent.text("no")
    assert "sujeta con suavidad la pierna" not in reply and "¿Tiene fiebre" not in reply
    assert session(redis)["level"] == 1  # soon


def test_at_the_holding_question_it_does_not_stop_for_six_minutes_calls_911(parent):
    parent.conversation("my baby is ten weeks and his legs shake when he is crying", "no")
    assert EMERGENCY in parent.text(
        "no it does not stop it has been going for like six minutes now and he stopped crying")


def test_a_low_reading_after_no_fever_at_the_fever_question_is_the_reading(parent):
    """ "no fever its actually low 95.8": the denial is corrected by the reading, too low at 5 days old."""
    parent.conversation("my baby is five days old and shes shivering her legs are shaking", "no", "yes")
    assert URGENT in parent.text(
        "no fever its actually low ninety five point eight and she still feels cold after an hour under the blanket")


def test_a_yes_at_the_holding_question_says_the_baby_with_a_fever_shakes(parent, redis):
    """ "she's hot 38.9", an age past 3 months, then "yes it stops when I hold her": the baby shakes, and a fever with
    shaking is urgent at any age (Article: shaking with a fever)."""
    parent.conversation("she's hot 38.9", "5 months", "no")
    assert URGENT in parent.text("yes it stops when i hold her")


def test_what_a_word_of_the_fever_question_means_is_explained_not_taken_for_yes(parent, redis):
    parent.conversation("my 5 month old legs shake sometimes", "no", "yes it stops")
    reply = parent.text("wdym feel hot?")
    assert URGENT not in reply and "100.4 F (38 C) or more" in reply and session(redis)["step"] == "fever"


def test_not_knowing_the_age_at_the_red_flag_question_is_no_doubt_about_the_signs(parent, redis):
    """A babysitter's "i dont know her age" at the red-flag question is about the age: no 911."""
    parent.text("babysitter here, she feels hot and her legs shake")
    assert EMERGENCY not in parent.text("i dont know her age")
    assert session(redis)["step"] == "danger"


def test_at_the_holding_question_a_start_and_a_time_now_by_the_clock_are_how_long_it_has_gone_on(parent):
    """ "empezó a las once y cuarto y ya son las once y media, no se detiene": 15 minutes, holding does not stop it."""
    parent.conversation("mi hijo de 5 semanas tiembla", "no")
    assert EMERGENCY_ES in parent.text("empezó a las once y cuarto y ya son las once y media, no se detiene")


def test_a_start_by_the_clock_then_the_time_now_in_the_next_text_is_how_long_it_has_gone_on(parent):
    """ "she started shaking at quarter to 4", then "its 4:05 and shes still shaking": 20 minutes (Seizure-FA: 5
    minutes or more), 911."""
    assert EMERGENCY not in parent.text("my 2 month old started shaking at quarter to 4")
    assert EMERGENCY in parent.text("its 4:05 and shes still shaking")


def test_a_start_by_the_clock_of_crying_times_no_shaking(parent):
    """ "he started crying at 3": the clock times the crying, so "its 3:30 now" is no half hour of shaking."""
    assert EMERGENCY not in parent.text("he started crying at 3 and his legs shake, hes 2 months")
    assert EMERGENCY not in parent.text("its 3:30 now")


def test_a_colour_said_alone_at_the_red_flag_question_is_the_baby_turning_that_colour(parent):
    parent.text("my 5 week old's legs are shaking")
    assert EMERGENCY in parent.text("no not blue, more like grey")


def test_un_color_dicho_solo_a_la_pregunta_de_las_senales_es_el_del_bebe(parent):
    parent.text("a mi bebé de 5 semanas le tiemblan las piernas")
    assert EMERGENCY_ES in parent.text("medio morado")


def test_an_answer_after_a_question_back_at_the_holding_question_counts(parent):
    """ "how do i hold it? i tried and its still going": the question, then the answer, holding does not stop it."""
    parent.conversation("my 5 week old's legs are shaking", "no")
    assert EMERGENCY in parent.text("how do i hold it? i tried and its still going")


def test_no_then_hes_awake_at_the_red_flag_question_is_no_not_hard_to_wake(parent):
    """ "no hes awake, breathing ok" after a floppy but awake baby: the "no" answers the question; "hes awake" is
    not "he is not awake" (a doctor today, no 911). "no he is not waking up" still calls 911."""
    assert URGENT in parent.text(
        "3 month old seems kind of floppy today, awake but his arms just flop, and his legs are shaky")
    assert EMERGENCY not in parent.text("no hes awake, breathing ok")
    assert EMERGENCY in parent.text("no he is not waking up now")


def test_a_reading_taken_just_in_case_after_a_no_fever_is_the_reading(parent):
    """ "no tiene fiebre" at 2 months, then "le puse el termometro por si acaso y marca 38.3": done just in case, and
    found (AAP-fever: 38.0 C or more under 3 months, a doctor now)."""
    parent.conversation("tiene 2 meses, le tiemblan las piernas cuando tiene hambre, no tiene fiebre", "no",
                        "sí, se le quita")
    assert URGENT_ES in parent.text("ay espere, le puse el termometro por si acaso y marca 38.3")


def test_a_corrected_holding_answer_with_a_start_and_a_time_now_calls_911(parent):
    """ "sí, se le quita", then "perdón, no se le quita ... la estoy agarrando y sigue, empezó a las 11:50 y ya son las
    12": holding does not stop it, ten minutes (Seizure-FA)."""
    parent.conversation("mi bebe de 2 meses le tiemblan las piernas", "no", "si, al agarrarla se le quita")
    assert EMERGENCY_ES in parent.text(
        "perdón, no se le quita, me confundí. la estoy agarrando y sigue, empezó a las 11:50 y ya son las 12")


def test_not_really_but_a_lesser_sign_at_the_red_flag_question_is_a_no_and_that_sign(parent):
    """ "not really, but she's a lot sleepier than usual today": no to the red flags, and a sleepier baby (a doctor
    today); the holding question comes next, and its "yes" is no 911."""
    parent.text("baby 6 weeks, legs shaky when she cries")
    assert URGENT in parent.text(
        "not really, but she's a lot sleepier than usual today. she does wake up and look around when i change her")
    assert EMERGENCY not in parent.text("yes")


def test_a_start_by_the_clock_then_a_time_now_with_nothing_going_on_is_no_episode(parent):
    """ "she started shaking at quarter to 4", then "it stopped after a few seconds, its 4:05 now and shes asleep":
    nothing has gone on for twenty minutes, no 911."""
    parent.text("she started shaking at quarter to 4")
    assert EMERGENCY not in parent.text("it stopped after a few seconds, its 4:05 now and shes asleep")


def test_no_then_breathing_is_fine_at_the_red_flag_question_is_a_no(parent):
    """ "no breathing is fine": the answer's no, and the breathing is fine (not "no breathing")."""
    parent.text("my son was born at 32 weeks, he's 4 months now, 2 months adjusted. temp 100.5 and legs shaky")
    assert EMERGENCY not in parent.text("no breathing is fine")


def test_more_like_ash_at_the_red_flag_question_is_grey(parent):
    parent.conversation("legs shaking", "2 months")
    assert EMERGENCY in parent.text("no not blue, more like ash")
