"""One reminder's delivery, run in this process with 'now' injected: what each outcome leaves behind.

(tests/test_reminders_delivery.py runs deliveries through real workers against the fake Twilio API.)
"""

from __future__ import annotations

import io

from hotline.reminders.store import claim_key
from hotline.sender import NO_LOOKUP, ConsoleOutbox
from tests.support.reminders import local

NY = "+12125550123"  # America/New_York
ZONE = "America/New_York"


def test_a_sender_that_cannot_list_its_texts_does_not_resend_an_abandoned_claim(reminders, redis, services):
    eid = reminders.enroll(NY, now=local(ZONE, 2027, 5, 10, 12, 0)).enrollment.id
    redis.set(claim_key(eid, 1440), "1.000:dead")  # a worker claimed the step long ago, then died
    outbox = ConsoleOutbox(redis, services.refs, stream=io.StringIO())
    assert outbox.find_sent(NY, "How is your baby?", 0) is NO_LOOKUP
    assert reminders.deliver(eid, outbox, local(ZONE, 2027, 5, 11, 10, 0)) == "reconciled"
    assert ConsoleOutbox.read(redis) == []  # at most once: not sent again
    logged = reminders.enrollments.log(eid, 1440)
    assert (logged["status"], logged["error"]) == ("unknown", "worker stopped mid-send; not resent")
