"""One reminder's delivery, run in this process with 'now' injected: what each outcome leaves behind.

(tests/test_reminders_delivery.py runs deliveries through real workers against the fake Twilio API.)
"""

from __future__ import annotations

import io
import time

from hotline.metrics import REMINDER_OUTCOMES
from hotline.reminders.delivery import DeliveryOutcome, Pacer
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
    assert reminders.deliver_many([eid], outbox, local(ZONE, 2027, 5, 11, 10, 0)) == {"reconciled": 1}
    assert ConsoleOutbox.read(redis) == []  # at most once: not sent again
    logged = reminders.enrollments.log(eid, 1440)
    assert (logged["status"], logged["error"]) == ("unknown", "worker stopped mid-send; not resent")


def test_a_batch_counts_its_outcomes_by_name_as_plain_strings(reminders, redis, services):
    sent = reminders.enroll(NY, now=local(ZONE, 2027, 5, 10, 12, 0)).enrollment.id
    cancelled = reminders.enroll("+12125550124", now=local(ZONE, 2027, 5, 10, 12, 0)).enrollment.id
    reminders.cancel(cancelled)
    outbox = ConsoleOutbox(redis, services.refs, stream=io.StringIO())
    counts = reminders.deliver_many([sent, cancelled], outbox, local(ZONE, 2027, 5, 11, 10, 0))
    assert counts == {"sent": 1, "inactive": 1}
    assert {type(outcome) for outcome in counts} == {str}  # an RQ job's result: plain values
    assert reminders.deliver_many([sent], outbox, local(ZONE, 2027, 5, 11, 10, 1)) == {DeliveryOutcome.NOT_DUE: 1}


def test_every_outcome_is_counted_for_the_metrics():
    assert {outcome.value for outcome in DeliveryOutcome} - set(REMINDER_OUTCOMES) == {
        "not_due", "duplicate", "busy", "unreplicated", "completed", "inactive"}  # not counted, on purpose


def test_the_pacer_spaces_sends_evenly_on_redis_clock(settings, redis):
    pacer = Pacer.for_settings(settings.with_(sends_per_second=10), redis)
    waits = [pacer.reserve() for _ in range(5)]
    for n, wait in enumerate(waits):
        assert 0.1 * n - 0.05 < wait <= 0.1 * n + 1e-6


def test_without_pacing_the_pacer_neither_waits_nor_asks_redis(settings, redis):
    pacer = Pacer.for_settings(settings.with_(sends_per_second=0), redis)
    started = time.monotonic()
    pacer.wait()
    assert time.monotonic() - started < 0.05 and not redis.exists(pacer.key)
