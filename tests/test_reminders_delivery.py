"""Reminder delivery through a real RQ worker against the fake Twilio API, with 'now' injected.

Enrollment times are in 2027 so the real-time dispatcher chain (started on enrollment) finds nothing
due; each test moves 'now' by calling the dispatcher with it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rq import Queue

from hotline.reminders.schedules import parse_schedule as parse_schedule_dict
from hotline.reminders.service import DELIVER_BATCH
from hotline.settings import Settings
from hotline.store import keys
from tests.support.reminders import local, run_worker, wait_until_listening

ROOT = Path(__file__).resolve().parent.parent
NY = "+12125550123"  # America/New_York
LA = "+14155550123"  # America/Los_Angeles
LONDON = "+442079460000"  # Europe/London



def tick(reminders, redis, when: datetime) -> list[str]:
    """The dispatcher runs at `when`, then a real worker runs whatever it enqueued."""
    ids = reminders.dispatch(when)
    run_worker(redis)
    return ids


def entry(reminders, eid: str, offset: int) -> dict:
    return reminders.enrollments.log(eid, offset)


@pytest.mark.parametrize(("number", "zone"), [(NY, "America/New_York"), (LA, "America/Los_Angeles"),
                                              (LONDON, "Europe/London")])
def test_the_first_checkin_goes_out_at_10_local_the_next_day(reminders, redis, fake_twilio, number, zone):
    enrolled = local(zone, 2027, 5, 10, 16, 0)
    eid = reminders.enroll(number, now=enrolled, channel="sms").enrollment.id
    assert tick(reminders, redis, local(zone, 2027, 5, 11, 9, 59)) == []
    assert fake_twilio.bodies_to(number) == []
    assert tick(reminders, redis, local(zone, 2027, 5, 11, 10, 0)) == [eid]
    [body] = fake_twilio.bodies_to(number)
    assert "Reply 1 if better, 2 if the same, 3 if worse" in body and "STOP" in body
    assert entry(reminders, eid, 1440)["sid"].startswith("SM")
    # The next step is planned for day 3 at 10:00 local.
    [(_, due)] = reminders.enrollments.upcoming()
    assert datetime.fromtimestamp(due, UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None) == \
        datetime(2027, 5, 13, 10, 0)


def test_all_three_checkins_across_a_dst_change_arrive_at_10_local_then_the_enrollment_completes(
        reminders, redis, fake_twilio):
    zone = "America/New_York"
    eid = reminders.enroll(NY, now=local(zone, 2027, 3, 12, 12, 0)).enrollment.id  # DST starts 03-14
    for day in (13, 15, 19):
        tick(reminders, redis, local(zone, 2027, 3, day, 9, 59, 59))
        before = len(fake_twilio.bodies_to(NY))
        tick(reminders, redis, local(zone, 2027, 3, day, 10, 0))
        assert len(fake_twilio.bodies_to(NY)) == before + 1
    assert len(fake_twilio.bodies_to(NY)) == 3
    assert reminders.enrollments.get(eid).status == "completed"
    assert reminders.enrollments.pending_count() == 0


def test_a_step_due_in_quiet_hours_waits_for_8_local(reminders, redis, fake_twilio):
    reminders.schedules.save(_hours_schedule(reminders, "evening", "2 hours"))
    zone = "America/Los_Angeles"
    eid = reminders.enroll(LA, "evening", now=local(zone, 2027, 6, 1, 20, 30)).enrollment.id
    tick(reminders, redis, local(zone, 2027, 6, 1, 22, 30))  # due, but 22:30 is quiet
    tick(reminders, redis, local(zone, 2027, 6, 2, 7, 59))
    assert fake_twilio.bodies_to(LA) == []
    tick(reminders, redis, local(zone, 2027, 6, 2, 8, 0))
    assert len(fake_twilio.bodies_to(LA)) == 1
    assert entry(reminders, eid, 120)["status"] == "queued"


def test_a_late_retry_that_lands_in_quiet_hours_is_held_until_morning(reminders, redis, fake_twilio):
    reminders.schedules.save(_hours_schedule(reminders, "evening", "30 minutes"))
    zone = "America/New_York"
    reminders.enroll(NY, "evening", now=local(zone, 2027, 6, 1, 20, 20))
    fake_twilio.fail_next(20429)
    tick(reminders, redis, local(zone, 2027, 6, 1, 20, 50))  # 429: retry in 30 s...
    tick(reminders, redis, local(zone, 2027, 6, 1, 21, 5))  # ...but by then it is quiet
    assert fake_twilio.bodies_to(NY) == []
    tick(reminders, redis, local(zone, 2027, 6, 2, 8, 0))
    assert len(fake_twilio.bodies_to(NY)) == 1


def test_stop_after_scheduling_sends_nothing_and_start_does_not_send_what_fell_due_meanwhile(
        reminders, redis, fake_twilio, twilio):
    zone = "America/New_York"
    eid = reminders.enroll(NY, now=local(zone, 2027, 5, 10, 12, 0)).enrollment.id
    reminders.dispatch(local(zone, 2027, 5, 11, 10, 0))  # day 1 is queued...
    twilio.sms("STOP", NY)  # ...and the parent stops before a worker picks it up
    run_worker(redis)
    tick(reminders, redis, local(zone, 2027, 5, 13, 10, 0))  # day 3 falls due while stopped
    assert fake_twilio.bodies_to(NY) == []
    assert entry(reminders, eid, 1440)["error"] == "opted out"
    twilio.sms("START", NY)
    tick(reminders, redis, local(zone, 2027, 5, 13, 12, 0))
    assert fake_twilio.bodies_to(NY) == []  # day 3 is not sent late
    tick(reminders, redis, local(zone, 2027, 5, 17, 10, 0))
    assert len(fake_twilio.bodies_to(NY)) == 1  # day 7 is


@pytest.mark.parametrize("code", [20429, 20500])
def test_transient_errors_are_retried_with_backoff_and_sent_once(reminders, redis, fake_twilio, code):
    zone = "America/New_York"
    eid = reminders.enroll(NY, now=local(zone, 2027, 5, 10, 12, 0)).enrollment.id
    fake_twilio.fail_next(code, times=2)
    due = local(zone, 2027, 5, 11, 10, 0)
    tick(reminders, redis, due)
    assert entry(reminders, eid, 1440) | {"at": 0} == {"status": "retrying", "attempts": 1, "error": str(code),
                                                       "at": 0}
    tick(reminders, redis, due + timedelta(seconds=10))  # the backoff has not passed
    assert fake_twilio.requests == 1
    tick(reminders, redis, due + timedelta(seconds=30))
    tick(reminders, redis, due + timedelta(seconds=30 + 120))
    assert len(fake_twilio.bodies_to(NY)) == 1
    assert entry(reminders, eid, 1440)["attempts"] == 3


def test_a_step_is_given_up_after_the_last_retry_and_the_next_step_still_goes(reminders, redis, fake_twilio):
    zone = "America/New_York"
    eid = reminders.enroll(NY, now=local(zone, 2027, 5, 10, 12, 0)).enrollment.id
    fake_twilio.fail_next(20500, times=6)
    when = local(zone, 2027, 5, 11, 10, 0)
    for _ in range(6):
        tick(reminders, redis, when)
        when += timedelta(hours=2)
    assert entry(reminders, eid, 1440)["status"] == "failed"
    assert reminders.enrollments.get(eid).status == "active"
    tick(reminders, redis, local(zone, 2027, 5, 13, 10, 0))
    assert len(fake_twilio.bodies_to(NY)) == 1


@pytest.mark.parametrize("code", [21610, 21211, 21614])
def test_a_permanent_error_ends_the_enrollment_with_the_reason(reminders, redis, fake_twilio, code):
    zone = "America/New_York"
    eid = reminders.enroll(NY, now=local(zone, 2027, 5, 10, 12, 0)).enrollment.id
    fake_twilio.fail_for(NY, code)
    tick(reminders, redis, local(zone, 2027, 5, 11, 10, 0))
    enrollment = reminders.enrollments.get(eid)
    assert (enrollment.status, enrollment.reason) == ("ended", f"twilio error {code}")
    assert reminders.enrollments.pending_count() == 0
    tick(reminders, redis, local(zone, 2027, 5, 13, 10, 0))
    assert fake_twilio.requests == 1


def deliver_batch(reminders, ids: list[str], when: float) -> None:
    """Enqueue the delivery job production enqueues (Reminders.dispatch), as a dispatcher run would hand it out."""
    reminders.queue.enqueue(DELIVER_BATCH, ids, now=when)


def test_the_same_step_delivered_twice_is_sent_once(reminders, redis, fake_twilio, env):
    zone = "America/New_York"
    eid = reminders.enroll(NY, now=local(zone, 2027, 5, 10, 12, 0)).enrollment.id
    when = local(zone, 2027, 5, 11, 10, 0).timestamp()
    for _ in range(3):
        deliver_batch(reminders, [eid], when)
    run_worker(redis)
    assert len(fake_twilio.bodies_to(NY)) == 1


def _start_workers(count: int, env: dict[str, str]) -> list[subprocess.Popen]:
    rq = str(Path(sys.executable).parent / "rq")
    return [subprocess.Popen([rq, "worker", "--burst", "-w", "workers.worker.InlineWorker", "--url", env["REDIS_URL"],
                              "--logging_level", "WARNING", "hotline"], cwd=ROOT, env={**os.environ, **env},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            for _ in range(count)]


def test_no_duplicates_with_two_worker_processes_and_every_job_enqueued_twice(reminders, redis, fake_twilio, env):
    zone = "America/New_York"
    numbers = [f"+1212555{n:04d}" for n in range(100, 130)]
    ids = [reminders.enroll(n, now=local(zone, 2027, 5, 10, 12, 0)).enrollment.id for n in numbers]
    when = local(zone, 2027, 5, 11, 10, 0).timestamp()
    batches = [ids[start:start + 10] for start in range(0, len(ids), 10)]
    for batch in batches * 2:
        deliver_batch(reminders, batch, when)
    for worker in _start_workers(2, env):
        assert worker.wait(timeout=60) == 0
    assert sorted(m.to for m in fake_twilio.messages) == sorted(numbers)


def _make_stale(redis, key: str) -> None:
    stale = Settings().reminder_claim_stale_seconds + 1
    redis.set(key, f"{time.time() - stale:.3f}:dead", xx=True, keepttl=True)


def test_a_worker_killed_mid_send_is_reconciled_with_twilio_and_not_resent(reminders, redis, fake_twilio, env):
    zone = "America/New_York"
    eid = reminders.enroll(NY, now=local(zone, 2027, 5, 10, 12, 0)).enrollment.id
    due = local(zone, 2027, 5, 11, 10, 0)
    fake_twilio.delay = 3.0
    deliver_batch(reminders, [eid], due.timestamp())
    [worker] = _start_workers(1, env)
    deadline = time.monotonic() + 30
    while not fake_twilio.received and time.monotonic() < deadline:
        time.sleep(0.02)
    assert redis.exists(keys.reminder_claim(eid, 1440))
    os.killpg(worker.pid, signal.SIGKILL)  # mid-send: the claim is taken, the MessageSid never recorded
    worker.wait(timeout=10)
    time.sleep(fake_twilio.delay + 0.5)  # Twilio (the fake) still accepts the message
    [message] = fake_twilio.messages
    assert entry(reminders, eid, 1440) == {}
    fake_twilio.delay = 0.0
    # The lease runs out, the dispatcher hands the step to another worker: the claim is still fresh
    # -> it waits; once stale -> one run takes it over, finds the message in Twilio's list, records it.
    tick(reminders, redis, due + timedelta(minutes=6))
    assert entry(reminders, eid, 1440) == {} and fake_twilio.received == 1 and fake_twilio.lookups == 0
    _make_stale(redis, keys.reminder_claim(eid, 1440))
    tick(reminders, redis, due + timedelta(minutes=9))
    assert entry(reminders, eid, 1440)["sid"] == message.sid
    assert entry(reminders, eid, 1440)["reconciled"] is True
    assert (fake_twilio.received, fake_twilio.lookups) == (1, 1)
    assert reminders.enrollments.get(eid).last_offset == 1440
    tick(reminders, redis, local(zone, 2027, 5, 13, 10, 0))  # the next step carries on
    assert len(fake_twilio.bodies_to(NY)) == 2


def test_a_claim_abandoned_before_the_request_left_is_sent_once(reminders, redis, fake_twilio, env):
    zone = "America/New_York"
    eid = reminders.enroll(NY, now=local(zone, 2027, 5, 10, 12, 0)).enrollment.id
    due = local(zone, 2027, 5, 11, 10, 0)
    # A worker claimed the step and died before its request reached Twilio.
    redis.set(keys.reminder_claim(eid, 1440), "1.000:dead")
    _make_stale(redis, keys.reminder_claim(eid, 1440))
    tick(reminders, redis, due)
    tick(reminders, redis, due + timedelta(seconds=1))
    assert len(fake_twilio.bodies_to(NY)) == 1 and fake_twilio.lookups == 1
    assert entry(reminders, eid, 1440)["sid"] == fake_twilio.messages[0].sid


def test_a_stale_claim_is_taken_over_by_one_run_only(reminders, redis, fake_twilio, env):
    zone = "America/New_York"
    eid = reminders.enroll(NY, now=local(zone, 2027, 5, 10, 12, 0)).enrollment.id
    when = local(zone, 2027, 5, 11, 10, 0).timestamp()
    redis.set(keys.reminder_claim(eid, 1440), "1.000:dead")
    for _ in range(4):
        deliver_batch(reminders, [eid], when)
    for worker in _start_workers(2, env):
        assert worker.wait(timeout=60) == 0
    assert len(fake_twilio.bodies_to(NY)) == 1


def test_status_callbacks_are_recorded_tolerating_duplicates_and_disorder(reminders, redis, fake_twilio, twilio):
    zone = "America/New_York"
    eid = reminders.enroll(NY, now=local(zone, 2027, 5, 10, 12, 0)).enrollment.id
    tick(reminders, redis, local(zone, 2027, 5, 11, 10, 0))
    sid = entry(reminders, eid, 1440)["sid"]
    for status in ["sent", "delivered", "delivered", "sent", "queued"]:
        assert twilio.status(sid, status).status_code == 200
    assert entry(reminders, eid, 1440)["status"] == "delivered"
    assert twilio.status("SM" + "f" * 32, "delivered").status_code == 200  # not a reminder: ignored
    assert twilio.post("/twilio/status", {"MessageSid": sid, "MessageStatus": "failed"},
                       signature="bad").status_code == 403


def test_an_undelivered_status_keeps_its_error_code(reminders, redis, fake_twilio, twilio):
    zone = "America/New_York"
    eid = reminders.enroll(NY, now=local(zone, 2027, 5, 10, 12, 0)).enrollment.id
    tick(reminders, redis, local(zone, 2027, 5, 11, 10, 0))
    sid = entry(reminders, eid, 1440)["sid"]
    twilio.status(sid, "undelivered", "30003")
    twilio.status(sid, "sent")
    assert entry(reminders, eid, 1440) | {"at": 0, "status_at": 0} == {
        "status": "undelivered", "error": "30003", "sid": sid, "attempts": 1, "at": 0, "status_at": 0,
        "ins": "2027-05-10|2027-05-10|checkin|staff|en"}  # where it counts for the staff's insights


def test_an_edited_schedule_applies_to_future_steps(reminders, redis, fake_twilio):
    zone = "America/New_York"
    reminders.enroll(NY, now=local(zone, 2027, 5, 10, 12, 0))
    tick(reminders, redis, local(zone, 2027, 5, 11, 10, 0))
    edited = reminders.schedules.get("checkin").to_dict()
    for step in edited["steps"]:
        step.pop("offset_minutes")
    edited["steps"][1]["at"] = "15:30"
    edited["steps"][1]["text"]["en"] = "Edited check-in. Reply 1, 2 or 3. Text STOP to stop."
    from hotline.reminders.schedules import parse_schedule

    reminders.schedules.save(parse_schedule(edited))
    reminders.replan("checkin", now=local(zone, 2027, 5, 11, 11, 0))
    tick(reminders, redis, local(zone, 2027, 5, 13, 10, 0))
    assert len(fake_twilio.bodies_to(NY)) == 1
    tick(reminders, redis, local(zone, 2027, 5, 13, 15, 30))
    assert fake_twilio.bodies_to(NY)[-1].startswith("Edited check-in")


def test_deactivating_a_schedule_stops_its_reminders_and_activating_resumes_future_ones(
        reminders, redis, fake_twilio):
    zone = "America/New_York"
    reminders.enroll(NY, now=local(zone, 2027, 5, 10, 12, 0))
    reminders.schedules.set_active("checkin", False)
    reminders.replan("checkin")
    assert reminders.enrollments.pending_count() == 0
    tick(reminders, redis, local(zone, 2027, 5, 11, 10, 0))
    assert fake_twilio.bodies_to(NY) == []
    reminders.schedules.set_active("checkin", True)
    reminders.replan("checkin", now=local(zone, 2027, 5, 12, 9, 0))
    tick(reminders, redis, local(zone, 2027, 5, 13, 10, 0))
    assert len(fake_twilio.bodies_to(NY)) == 1  # day 1 (missed while inactive) skipped; day 3 sent
    assert fake_twilio.bodies_to(NY)[0].startswith("Checking in again")


def test_a_cancelled_enrollment_sends_nothing(reminders, redis, fake_twilio):
    zone = "America/New_York"
    eid = reminders.enroll(NY, now=local(zone, 2027, 5, 10, 12, 0)).enrollment.id
    reminders.dispatch(local(zone, 2027, 5, 11, 10, 0))
    reminders.cancel(eid)
    run_worker(redis)
    assert fake_twilio.bodies_to(NY) == []


def test_spanish_enrollments_get_spanish_texts_and_jobs_carry_no_number_or_text(reminders, redis, fake_twilio):
    zone = "America/New_York"
    reminders.enroll(NY, language="es", now=local(zone, 2027, 5, 10, 12, 0))
    reminders.dispatch(local(zone, 2027, 5, 11, 10, 0))
    queue = Queue("hotline", connection=redis)
    for job in queue.jobs:
        assert NY not in job.description and "12125550123" not in json.dumps(job.args)
    run_worker(redis)
    assert fake_twilio.bodies_to(NY)[0].startswith("Línea de Piernas Temblorosas")


def test_pacing_limits_how_many_sends_one_dispatch_hands_out(services, env, redis):
    reminders = services.reminders  # settings: 1 send per second
    for n in range(50):
        reminders.enroll(f"+1212555{n:04d}", now=local("America/New_York", 2027, 5, 10, 12, 0))
    assert len(reminders.dispatch(local("America/New_York", 2027, 5, 11, 10, 0))) == 20
    assert reminders.enrollments.pending_count() == 50


def _hours_schedule(reminders, name: str, after: str):
    from hotline.reminders.schedules import parse_schedule

    return parse_schedule({"name": name, "description": "test", "steps": [
        {"after": after, "text": {"en": "Evening check. Reply 1, 2 or 3. Text STOP to stop.",
                                  "es": "Control. Responda 1, 2 o 3. STOP para salir."}}]})


def test_the_dispatcher_is_one_self_rescheduling_rq_job(reminders, redis):
    from rq.registry import ScheduledJobRegistry

    registry = ScheduledJobRegistry("hotline", connection=redis)
    reminders.ensure_dispatcher()
    reminders.ensure_dispatcher()
    [first] = registry.get_job_ids()
    chain = redis.get(keys.DISPATCHER).decode()
    assert first == f"hl-dispatch-{chain}-0"
    reminders.queue.enqueue("workers.reminders.dispatch", chain=chain, tick=0)
    run_worker(redis)
    assert f"hl-dispatch-{chain}-1" in registry.get_job_ids()
    # A chain that lost the key to another one ends instead of doubling the work.
    redis.set(keys.DISPATCHER, "another")
    reminders.queue.enqueue("workers.reminders.dispatch", chain=chain, tick=5)
    run_worker(redis)
    assert f"hl-dispatch-{chain}-6" not in registry.get_job_ids()


def _daytime_zone(now: datetime) -> str:
    """A zone where it is day now, so quiet hours hold nothing back."""
    return next(z for z in ("America/New_York", "Europe/London", "Asia/Tokyo", "Australia/Sydney",
                            "America/Los_Angeles", "Asia/Kolkata") if 9 <= now.astimezone(ZoneInfo(z)).hour < 20)


@contextmanager
def _worker_with_scheduler(env: dict[str, str], worker_class: str, *options: str) -> Iterator[None]:
    """A real `rq worker --with-scheduler` process for the test's duration."""
    rq = str(Path(sys.executable).parent / "rq")
    worker = subprocess.Popen([rq, "worker", "--with-scheduler", "-w", worker_class, *options, "--url",
                               env["REDIS_URL"], "--logging_level", "WARNING", "hotline"], cwd=ROOT,
                              env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        yield
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=20)


def _texts_within(fake_twilio, number: str, seconds: float) -> list[str]:
    deadline = time.monotonic() + seconds
    while not fake_twilio.bodies_to(number) and time.monotonic() < deadline:
        time.sleep(0.2)
    return fake_twilio.bodies_to(number)


def test_an_idle_worker_starts_scheduling_when_the_worker_that_held_the_scheduler_died(
        reminders, redis, fake_twilio, env):
    """A SIGKILLed worker leaves RQ's scheduler lock behind until it expires. The worker left is idle
    (the dispatcher's next run is a scheduled job, so nothing is queued), yet it must start a scheduler
    once the lock expires, and the due reminder goes out: RQ alone would wait 405 s on the empty queue."""
    now = datetime.now(UTC)
    reminders.schedules.save(_hours_schedule(reminders, "soon", "1 minute"))
    redis.delete(keys.DISPATCHER)
    redis.set("rq:scheduler-lock:hotline", "a-worker-that-was-killed", ex=3)
    with _worker_with_scheduler(env, "workers.worker.HotlineWorker", "--maintenance-interval", "2"):
        wait_until_listening(redis)  # the worker is up, found the lock taken, and waits on its empty queue
        reminders.enroll(NY, "soon", zone=_daytime_zone(now), now=now - timedelta(minutes=2))
        sent = _texts_within(fake_twilio, NY, 45)
    assert sent == ["Evening check. Reply 1, 2 or 3. Text STOP to stop."]


def test_a_real_worker_with_the_scheduler_delivers_a_due_reminder_on_its_own(reminders, redis, fake_twilio, env):
    """The production path: enrollment starts the dispatcher chain; `rq worker --with-scheduler` does the rest."""
    now = datetime.now(UTC)
    reminders.schedules.save(_hours_schedule(reminders, "soon", "1 minute"))
    redis.delete(keys.DISPATCHER)
    reminders.enroll(NY, "soon", zone=_daytime_zone(now), now=now - timedelta(minutes=2))
    with _worker_with_scheduler(env, "workers.worker.InlineWorker"):
        sent = _texts_within(fake_twilio, NY, 60)
    assert sent == ["Evening check. Reply 1, 2 or 3. Text STOP to stop."]


def test_each_schedules_active_count_follows_its_enrollments_through_their_lives(reminders, redis, fake_twilio):
    """The count staff see beside each schedule (kept by the scripts, not counted by a scan)."""
    reminders.schedules.save(_hours_schedule(reminders, "evening", "1 hour"))
    enrolled = local("America/New_York", 2027, 5, 10, 12, 0)

    def counts() -> dict[str, tuple[int, int]]:  # schedule -> (shown, found by reading every enrollment)
        return {name: (reminders.active_count(name),
                       sum(1 for e in reminders.enrollments.all() if e.schedule == name and e.status == "active"))
                for name in ("checkin", "evening")}

    ids = [reminders.enroll(f"+1212555{n:04d}", now=enrolled).enrollment.id for n in range(100, 105)]
    reminders.enroll_many([f"+1212555{n:04d}" for n in range(102, 109)], "evening", now=enrolled)
    reminders.enroll("+12125550100", now=enrolled)  # already enrolled: no change
    assert counts() == {"checkin": (5, 5), "evening": (7, 7)}

    reminders.cancel(ids[0])
    reminders.enrollments.end(ids[1], "ended", "twilio error 21610")
    reminders.enroll("+12125550101", now=enrolled)  # ended, so enrolled again afresh
    reminders.enrollments.forget("+12125550102")
    assert counts() == {"checkin": (3, 3), "evening": (6, 6)}

    tick(reminders, redis, enrolled + timedelta(hours=2))  # evening's only step: those six complete
    assert counts() == {"checkin": (3, 3), "evening": (0, 0)}


def test_a_spanish_parent_who_gave_no_name_reads_su_bebe(reminders, redis, fake_twilio):
    zone = "America/New_York"
    reminders.schedules.save(parse_schedule_dict({"name": "nombre", "description": "name check", "steps": [
        {"after": "1 hour", "text": {"en": "How is {baby_name}? Reply 1, 2 or 3. Text STOP to stop.",
                                     "es": "¿Cómo está {baby_name}? Responda 1, 2 o 3. STOP para salir."}}]}))
    reminders.enroll(NY, "nombre", language="es", now=local(zone, 2027, 5, 10, 12, 0))
    reminders.enroll(LA, "nombre", now=local(zone, 2027, 5, 10, 12, 0))
    tick(reminders, redis, local(zone, 2027, 5, 10, 14, 0))
    assert fake_twilio.bodies_to(NY) == ["¿Cómo está su bebé? Responda 1, 2 o 3. STOP para salir."]
    assert fake_twilio.bodies_to(LA) == ["How is your baby? Reply 1, 2 or 3. Text STOP to stop."]


def test_every_checkin_text_gives_the_emergency_number_and_none_says_the_shaking_is_normal(reminders):
    for step in reminders.schedules.get("checkin").steps:
        for language, text in step.text.items():
            assert "{emergency}" in text, (language, text)
            assert not any(words in text.lower() for words in ("normal", "fades", "come and go", "van y vienen",
                                                              "suele pasar")), (language, text)
