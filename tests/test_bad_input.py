"""Bad input never gets a 5xx or a stack trace, and an unsigned request never changes anything."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
any_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300)
phone_like = st.one_of(any_text, st.from_regex(r"\+[0-9]{1,18}", fullmatch=True), st.just(""))


@FUZZ
@given(body=any_text, sender=phone_like, extra=st.dictionaries(st.text(max_size=20), any_text, max_size=5),
       drop=st.sets(st.sampled_from(["From", "Body", "MessageSid", "To", "AccountSid"])))
def test_any_signed_sms_form_gets_a_twiml_answer(twilio, body, sender, extra, drop):
    params = {**twilio.sms_params(body, sender), **extra}
    for key in drop:
        params.pop(key, None)
    response = twilio.post("/twilio/sms", params)
    assert response.status_code == 200, response.data
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    assert all(child.tag == "Message" for child in root)


@FUZZ
@given(body=any_text, signature=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40))
def test_unsigned_or_wrongly_signed_requests_get_403_and_write_nothing(twilio, client, redis, body, signature):
    before = redis.dbsize()
    params = twilio.sms_params(body, "+15551230001")
    response = client.post("/twilio/sms", data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert redis.dbsize() == before


def test_wrong_content_types_are_refused_without_a_server_error(client, twilio):
    for content_type, data in [("application/json", '{"Body": "hi"}'), ("text/plain", "Body=hi"),
                               ("multipart/form-data; boundary=x", "--x--")]:
        response = client.post("/twilio/sms", data=data, headers={
            "Content-Type": content_type, "X-Twilio-Signature": twilio.sign("/twilio/sms", {})})
        assert response.status_code < 500


def test_huge_bodies_are_refused_before_they_are_read(client, twilio):
    params = twilio.sms_params("x" * 100_000, "+15551230001")
    response = client.post("/twilio/sms", data=params, headers={"X-Twilio-Signature": "x"})
    assert response.status_code == 413
