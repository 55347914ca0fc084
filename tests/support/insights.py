"""A day at the hotline for the insights tests, through the real paths only: signed SMS and voice webhooks, the
enrollments those conversations ask for, a real RQ worker sending the check-ins to the fake Twilio API, Twilio's
status callbacks, the parents' answers, and nurses replying to the cases the serious ones opened."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hotline.devtools.signed import reply_texts
from hotline.store import keys
from tests.support.reminders import run_worker
from tests.test_voice import Call, in_language

URGENT_EN = "+12025550171"  # texts: a symptom check that ends urgent (a case opens)
HOME_ES = "+12025550172"  # texts in Spanish: home, then YES to check-ins; answers "better", then "same"
HOME_EN = "+12025550173"  # texts: home, then YES to check-ins; answers the first check-in "worse" (a case opens)
CALLER = "+12025550174"  # calls: a symptom check that ends urgent (a case opens), then 3 for check-ins
EMERGENCY_EN = "+12025550175"  # texts a red flag: emergency (a case opens)
HELLO = "+12025550176"  # texts "hi" and nothing more: a conversation with no assessment
NUMBERS = (URGENT_EN, HOME_ES, HOME_EN, CALLER, EMERGENCY_EN, HELLO)

# What the day above comes to on the insights page (the levels are the ones tests/test_sms_conversations.py and
# tests/test_voice.py specify for these scripts).
CONVERSATIONS_BY_LEVEL = {"emergency": 1, "urgent": 2, "soon": 0, "home": 2, "none": 1}
CONVERSATIONS_BY_CHANNEL = {"sms": 5, "voice": 1}
LEVELS_BY_LANGUAGE = {"en": {"emergency": 1, "urgent": 2, "home": 1, "none": 1}, "es": {"home": 1}}
ENROLLED = 3
# Step (minutes after enrolling) -> sent, delivered, answered; and its answers.
FUNNEL = {1440: (3, 2, 2), 4320: (3, 0, 1)}
ANSWERS = {1440: {"better": 1, "worse": 1}, 4320: {"same": 1}}
# The nurses' first replies: under a minute (the call's case), 7 minutes (the urgent text's), 3 hours (the
# emergency's). The median is within 15 minutes, the 95th percentile within 4 hours.
FIRST_REPLY_MINUTES = {CALLER: 0, URGENT_EN: 7, EMERGENCY_EN: 180}


@dataclass
class Seeded:
    texts: list[str] = field(default_factory=list)  # every message the parents sent and the nurses wrote
    call_sids: list[str] = field(default_factory=list)

    def sections(self, redis) -> Counter[str]:  # type: ignore[no-untyped-def]
        """Conversations per article section, from what the hotline itself kept: each conversation's engine state
        lists the sections its guidance drew on (a text's session, a call's state)."""
        found: dict[str, set[str]] = {}
        for number in NUMBERS:
            raw = redis.get(keys.session(number))
            if raw:
                found.setdefault(number, set()).update(json.loads(raw).get("sections", ()))
        for sid in self.call_sids:
            state = json.loads(redis.get(keys.call(sid)))
            engine = json.loads(state.get("engine") or "{}")
            found.setdefault(state["number"], set()).update(engine.get("sections", ()))
        return Counter(section for sections in found.values() for section in sections)


def _text(seeded: Seeded, twilio, number: str, *bodies: str) -> str:  # type: ignore[no-untyped-def]
    reply = ""
    for body in bodies:
        seeded.texts.append(body)
        reply = "\n".join(reply_texts(twilio.sms(body, number)))
    return reply


def deliver_due(services, redis) -> list[str]:  # type: ignore[no-untyped-def]
    """Run the dispatcher at the moment the next reminders fall due (as time passing would), then a real worker."""
    [(_, due), *_] = services.reminders.enrollments.upcoming()
    ids = services.reminders.dispatch(datetime.fromtimestamp(due, UTC))
    run_worker(redis)
    return ids


def a_day_at_the_hotline(services, twilio, redis, fake_twilio) -> Seeded:  # type: ignore[no-untyped-def]
    seeded = Seeded()
    assert "seen by a doctor today" in _text(seeded, twilio, URGENT_EN, "hi", "4", "1", "2", "1", "1")
    assert "temblor normal" in _text(seeded, twilio, HOME_ES, "ESPANOL", "4", "1", "2", "1", "2", "4", "4")
    assert "mañana" in _text(seeded, twilio, HOME_ES, "SI")
    assert "normal shaking" in _text(seeded, twilio, HOME_EN, "4", "1", "2", "1", "2", "4", "4")
    assert "tomorrow" in _text(seeded, twilio, HOME_EN, "YES")
    call = Call(twilio, CALLER)
    assert "seen by a doctor today" in in_language(call, "en").answers("4", "1", "2", "1", "1")
    call.press("3")  # check-in texts, please
    seeded.call_sids.append(call.sid)
    assert _text(seeded, twilio, EMERGENCY_EN, "she is having a seizure").startswith("Call 911 now")
    _text(seeded, twilio, HELLO, "hi")
    assert services.reminders.enrollments.pending_count() == 3

    # Day 1: the first check-in to each; two are delivered, one is not; two parents answer.
    assert len(deliver_due(services, redis)) == 3
    sids = {message.to: message.sid for message in fake_twilio.messages}
    assert set(sids) == {HOME_ES, HOME_EN, CALLER}
    twilio.status(sids[HOME_ES], "sent")
    twilio.status(sids[HOME_ES], "delivered")
    twilio.status(sids[HOME_ES], "delivered")  # Twilio repeats itself: counted once
    twilio.status(sids[HOME_EN], "delivered")
    twilio.status(sids[CALLER], "undelivered", "30003")
    assert "mejor" in _text(seeded, twilio, HOME_ES, "1").lower()  # better (in the language she enrolled in)
    # Worse: a new symptom check (its age already known).
    assert "Right now, is your baby having trouble breathing" in _text(seeded, twilio, HOME_EN, "3")

    # Day 3: the second check-in to each, not yet delivered; one parent answers.
    assert len(deliver_due(services, redis)) == 3
    _text(seeded, twilio, HOME_ES, "2")

    # Nurses reply to three of the cases, after as long as FIRST_REPLY_MINUTES says.
    cases = {case.number: case for case in services.cases.store.open_cases()}
    assert set(FIRST_REPLY_MINUTES) <= set(cases)
    try:
        for number, minutes in FIRST_REPLY_MINUTES.items():
            case = cases[number]
            services.cases.claim(case.id, "nurse.kim")
            services.clock.set(case.opened_at + minutes * 60 + 5)
            text = f"This is nurse Kim. How is your baby now? ({number[-2:]})"
            seeded.texts.append(text)
            services.cases.reply(case.id, "nurse.kim", text)
            services.clock.set(None)
            services.cases.reply(case.id, "nurse.kim", "A second reply is not a first reply.")
    finally:
        services.clock.set(None)  # the system's time again
    return seeded
