"""A flood from one number is stored up to a cap per window, and what was not stored is counted for staff
(security review F21: 600 texts of 1,600 characters from one number were all stored, 1.15 MB, and the
conversation page rendered every one of them). The cap is only about storage: every text is still screened,
and an emergency is answered, and kept, whatever the cap."""

from __future__ import annotations

import json
import re
import time

import pytest

from hotline import create_app
from hotline.devtools.signed import SignedTwilio, new_sid, reply_texts
from hotline.services import build_services
from hotline.store import keys
from hotline.store.staff_accounts import StaffAccounts
from hotline.store.staff_tokens import StaffTokens
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL
from tests.test_staff_access import log_in

FLOODER = "+12025559999"
LONG = "my baby shakes " * 106  # 1,590 characters, about Twilio's cap for one text


class Hotline:
    """The app built with some settings changed; a parent's phone and a nurse's browser and token on it."""

    def __init__(self, settings, redis, **changes) -> None:  # type: ignore[no-untyped-def]
        self.services = build_services(settings.with_(**changes))
        self.client = create_app(services=self.services).test_client()
        self.twilio = SignedTwilio(self.client, AUTH_TOKEN, PUBLIC_BASE_URL, ACCOUNT_SID)
        self.redis = redis

    def text(self, body: str, number: str = FLOODER) -> list[str]:
        return reply_texts(self.twilio.sms(body, number))

    def stored(self, number: str = FLOODER) -> list[dict]:
        return [json.loads(e) for e in self.redis.lrange(keys.transcript(number), 0, -1)]

    def texts_stored(self, number: str = FLOODER) -> list[str]:
        return [e["text"] for e in self.stored(number) if e["dir"] == "in"]

    def page(self, number: str = FLOODER) -> str:
        if not hasattr(self, "_logged_in"):
            StaffAccounts(self.redis).add("nurse.kim", "correct horse battery")
            log_in(self.client)
            self._logged_in = True
        response = self.client.get(f"/staff/conversations/{self.services.refs.of(number)}")
        assert response.status_code == 200
        return re.sub(r"\s+", " ", response.data.decode())

    def api(self, number: str = FLOODER) -> dict:
        token = StaffTokens(self.redis).create("Nurse Kim")
        response = self.client.post("/api/conversations/lookup", json={"number": number},
                                    headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        return response.get_json()


@pytest.fixture
def hotline(settings, redis):  # type: ignore[no-untyped-def]
    """As shipped: the default limits."""
    return Hotline(settings, redis)


def test_a_flood_of_long_texts_is_stored_up_to_the_limit_and_the_rest_counted(hotline, redis):
    answered = sum(1 for i in range(200) if hotline.text(f"{i} {LONG}"))
    assert answered == 16  # the rate limit: 15 answers and one "please slow down", as before

    stored = hotline.texts_stored()
    assert len(stored) == 60  # HOTLINE_FLOOD_STORE_LIMIT's default, in HOTLINE_FLOOD_WINDOW_MINUTES (60)
    assert stored[0].startswith("0 ") and stored[-1].startswith("59 ")  # the first ones, in order
    assert redis.memory_usage(keys.transcript(FLOODER)) < 160_000  # before: all 200 texts, 376 KB

    page = hotline.page()
    assert "140 texts from this number were not stored: more than 60 came within 60 minutes" in page
    assert hotline.api()["texts_not_stored"] == 140
    assert hotline.api()["last_text_not_stored_at"] == pytest.approx(time.time(), abs=60)


def test_past_the_limit_texts_are_still_answered_an_emergency_is_kept_and_stop_still_stops(settings, redis):
    hotline = Hotline(settings, redis, flood_store_limit=3)
    for body in ["hi", "1", "menu"]:
        assert hotline.text(body)
    assert "1 Is this normal?" in "".join(hotline.text("menu"))  # the 4th: answered, not stored
    emergency = hotline.text("she is having a seizure and her lips are blue")
    assert emergency[0].startswith("Call 911 now")  # the cap never holds back an emergency...
    assert hotline.texts_stored() == ["hi", "1", "menu", "she is having a seizure and her lips are blue"]
    assert [e["level"] for e in hotline.stored() if e["dir"] == "assessment"][-1] == "emergency"  # ...nor hides it
    assert "no more texts" in "".join(hotline.text("STOP"))
    assert redis.hexists(keys.OPTOUTS, FLOODER)  # the opt-out is not storage: it is honoured
    assert hotline.api()["texts_not_stored"] == 2  # the 4th "menu" and the STOP
    assert "Latest assessment: <span class=\"level level-emergency\">emergency" in hotline.page()

    other = "+12025559998"
    assert hotline.text("hi", other) and hotline.texts_stored(other) == ["hi"]  # other numbers: their own limit


def test_texts_are_stored_again_once_the_flood_window_has_passed(settings, redis):
    hotline = Hotline(settings, redis, flood_store_limit=2, flood_window_seconds=1)
    for body in ["hi", "1", "2"]:
        hotline.text(body)
    assert hotline.texts_stored() == ["hi", "1"]
    time.sleep(1.2)
    hotline.text("menu")
    assert hotline.texts_stored() == ["hi", "1", "menu"]


def test_a_transcript_keeps_its_newest_entries_and_counts_those_removed(settings, redis):
    hotline = Hotline(settings, redis, transcript_max_entries=20)
    for i in range(12):
        hotline.text(f"question {i}")  # each is the text and a reply at least
    entries = hotline.stored()
    assert len(entries) == 20
    assert entries[-1]["dir"] == "out" and "question 11" in hotline.texts_stored()
    assert "question 0" not in hotline.texts_stored()
    removed = hotline.api()["older_entries_removed"]
    assert removed >= 4
    assert f"{removed} older entries were removed: a transcript keeps its newest 20" in hotline.page()

    # A call writes to the same transcript: it is kept to the same length.
    call = new_sid("CA")
    hotline.twilio.post("/twilio/voice", hotline.twilio.voice_params(call, FLOODER))
    hotline.twilio.post("/twilio/voice/gather?n=1", hotline.twilio.voice_params(call, FLOODER, Digits="1"))
    assert redis.llen(keys.transcript(FLOODER)) == 20
    assert hotline.api()["older_entries_removed"] > removed


def test_the_conversation_page_shows_the_newest_entries_and_says_older_ones_are_not_shown(settings, redis):
    hotline = Hotline(settings, redis, flood_store_limit=1000)
    for i in range(250):
        hotline.text(f"message number {i}.")
    total = redis.llen(keys.transcript(FLOODER))
    assert total > 250

    page = hotline.page()
    newest = hotline.stored()[-200:]
    assert page.count('class="bubble') == sum(1 for e in newest if e["dir"] in ("in", "out"))
    assert "message number 249." in page and "message number 0." not in page
    assert f"Showing the newest 200 entries; {total - 200} older ones are not shown here" in page
    # The API still gives the whole transcript.
    assert len(hotline.api()["transcript"]) == sum(1 for e in hotline.stored() if e["dir"] in ("in", "out"))


def test_the_limits_are_settings_and_a_bad_one_is_named():
    from hotline.settings import Settings, SettingsError

    settings = Settings.from_env({"HOTLINE_FLOOD_STORE_LIMIT": "20", "HOTLINE_FLOOD_WINDOW_MINUTES": "15",
                                  "HOTLINE_TRANSCRIPT_MAX_ENTRIES": "500"}, dotenv=None)
    limits = (settings.flood_store_limit, settings.flood_window_seconds, settings.transcript_max_entries)
    assert limits == (20, 15 * 60, 500)
    for name in ("HOTLINE_FLOOD_STORE_LIMIT", "HOTLINE_FLOOD_WINDOW_MINUTES", "HOTLINE_TRANSCRIPT_MAX_ENTRIES"):
        for bad in ("0", "lots"):
            with pytest.raises(SettingsError, match=name):
                Settings.from_env({name: bad}, dotenv=None)
