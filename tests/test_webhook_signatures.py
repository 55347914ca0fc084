"""Signatures are checked with one HMAC for the URL Twilio called, and agree with twilio's RequestValidator."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from hotline.devtools.signed import SignedTwilio, reply_texts
from hotline.webhooks import expected_signature
from tests.conftest import AUTH_TOKEN, PUBLIC_BASE_URL

names = st.text(alphabet=string.ascii_letters + string.digits + "_", min_size=1, max_size=20)
# Any text a form can hold (werkzeug replaces undecodable bytes, so never a lone surrogate).
values = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)
urls = st.sampled_from([
    "https://hotline.example.org/twilio/sms", "https://hotline.example.org:443/twilio/sms",
    "http://127.0.0.1:5000/twilio/voice/gather?n=2", "https://h.example.org/twilio/voice/gather?n=1&x=%20y",
])


@settings(max_examples=300, deadline=None)
@given(url=urls, params=st.dictionaries(names, values, max_size=25))
def test_the_one_hmac_signs_exactly_as_twilio_does(url, params):
    validator = RequestValidator(AUTH_TOKEN)
    assert expected_signature(AUTH_TOKEN.encode(), url, params) == validator.compute_signature(url, params)
    assert expected_signature(AUTH_TOKEN.encode(), url, MultiDict(params)) == \
        validator.compute_signature(url, params)


def test_a_text_signed_for_the_url_with_its_port_is_still_answered(twilio, client):
    # Twilio has signed https URLs both with and without :443: either is accepted, as twilio's validator does.
    with_port = SignedTwilio(client, AUTH_TOKEN, PUBLIC_BASE_URL + ":443", twilio.account_sid)
    params = twilio.sms_params("hi", "+15551230077")
    response = client.post("/twilio/sms", data=params,
                           headers={"X-Twilio-Signature": with_port.sign("/twilio/sms", params)})
    assert reply_texts(response)


def test_a_signature_over_other_form_values_is_refused(twilio, client):
    params = twilio.sms_params("hi", "+15551230078")
    signature = twilio.sign("/twilio/sms", {**params, "Body": "something else"})
    response = client.post("/twilio/sms", data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def test_a_signature_with_characters_outside_base64_is_refused_not_an_error(twilio, client):
    params = twilio.sms_params("hi", "+15551230079")
    response = client.post("/twilio/sms", data=params, headers={"X-Twilio-Signature": "é" * 28})
    assert response.status_code == 403
