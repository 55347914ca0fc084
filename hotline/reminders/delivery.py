"""Delivering reminders: each due step sent at most once (Delivery, in named stages), what can happen to it
(DeliveryOutcome), and the pace texts leave at (Pacer)."""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import redis

from hotline.metrics import Metrics
from hotline.reminders.planning import QuietHours, next_allowed, plan_next, zone_for_number
from hotline.reminders.schedules import ReminderSchedule, ScheduleStore, render
from hotline.reminders.store import ACTIVE, COMPLETED, ENDED, Enrollment, EnrollmentStore
from hotline.sender import NO_LOOKUP, PermanentSendError, Sender, SentMessage, TransientSendError
from hotline.settings import Settings
from hotline.store import keys

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (30, 120, 600, 1800, 3600)  # transient Twilio errors; then the step is given up
UNREPLICATED_RETRY_SECONDS = 5.0  # a claim no replica confirmed: looked at again this soon
LOOKUP_SLACK_SECONDS = 60.0  # clock skew allowed between us and Twilio when matching a message's time
# What {baby_name} says when the parent gave no name, in the enrollment's language.
UNNAMED_BABY = {"en": "your baby", "es": "su bebé"}


def claim_time(value: bytes | str | None) -> float:
    """When a claim was taken: its value is "epoch[:token]"."""
    if not value:
        return 0.0
    text = value.decode() if isinstance(value, bytes) else value
    try:
        return float(text.partition(":")[0])
    except ValueError:
        return 0.0


class DeliveryOutcome(StrEnum):
    """What one delivery did with an enrollment's due step (counted by hotline/metrics.py, logged, tested)."""

    SENT = "sent"  # the text went out
    RESENT = "resent"  # a dead worker's send had not reached Twilio: sent now, once
    RECONCILED = "reconciled"  # a dead worker's send had reached Twilio (recorded), or cannot be checked (not resent)
    NOT_DUE = "not_due"  # woken early: looked at again when the step is due
    QUIET = "quiet"  # due inside quiet hours: looked at again when they end
    OPTED_OUT = "opted_out"  # the number texted STOP: the step is skipped for good
    DUPLICATE = "duplicate"  # another run sent (or settled) this step
    BUSY = "busy"  # another run holds the step, or Twilio could not be asked: looked at again later
    UNREPLICATED = "unreplicated"  # no replica confirmed the claim: nothing sent, looked at again shortly
    RETRY = "retry"  # Twilio failed for now: tried again after a backoff
    GAVE_UP = "gave_up"  # failed after every backoff: the step is skipped
    ENDED = "ended"  # Twilio says this number will never get a text: the enrollment ends
    COMPLETED = "completed"  # no step is left: the enrollment is complete
    INACTIVE = "inactive"  # the enrollment or its schedule is not active: nothing is planned
    ERROR = "error"  # an unexpected failure (logged); the enrollment stays leased and comes back


# Pacing: reserve the next send slot, `interval` after the last one, on Redis' clock.
# KEYS: pace key  ARGV: interval (s). Returns the seconds to wait (as a string).
_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, last + tonumber(ARGV[1]))
redis.call('SET', KEYS[1], string.format('%.6f', slot), 'EX', 60)
return string.format('%.6f', slot - now)
"""


class Pacer:
    """At most `per_second` sends per second per sender, across all workers (none: no pacing).

    Each send reserves the next free slot, 1/rate after the previous one, on Redis' clock (one
    round trip), then sleeps until it: sends are evenly spaced, with no burst at the start of
    each second, so any window of a few seconds sees the configured rate.
    """

    def __init__(self, connection: redis.Redis, key: str, per_second: float) -> None:
        self.key = key
        self.per_second = per_second
        self._slot = connection.register_script(_SLOT)

    @classmethod
    def for_settings(cls, settings: Settings, connection: redis.Redis) -> Pacer:
        """One pace per sending identity: the messaging service, else the number, else the console outbox."""
        sender_id = settings.twilio_messaging_service_sid or settings.twilio_from_number or "outbox"
        return cls(connection, keys.pace(sender_id), settings.sends_per_second)

    def reserve(self) -> float:
        """Seconds to wait before the send that just reserved the next slot."""
        return float(self._slot(keys=[self.key], args=[f"{1.0 / self.per_second:.6f}"]))

    def wait(self) -> None:
        """Wait for the next free slot (at once when pacing is off)."""
        if not self.per_second:
            return
        wait = self.reserve()
        if wait > 0:
            time.sleep(wait)


@dataclass(frozen=True)
class DueStep:
    """An enrollment's step that is due now, planned and rendered: what the stages after plan() work on."""

    enrollment: Enrollment
    schedule: ReminderSchedule
    offset: int  # the step's offset (minutes after enrolling): its id within the enrollment
    body: str
    zone: ZoneInfo
    enrolled_at: datetime
    moment: datetime  # "now" for this delivery
    late: int  # earlier steps skipped as too late: counted once the enrollment moves past them

    @property
    def eid(self) -> str:
        return self.enrollment.id


@dataclass(frozen=True)
class Claim:
    """This run's claim on a step: its token, the step's record so far, and the claim value another run held
    (None when this run took a free claim)."""

    token: str
    entry: dict[str, Any]
    held: bytes | None

    @property
    def attempts(self) -> int:
        """This send's attempt at the step."""
        return int(self.entry.get("attempts", 0)) + 1


class Delivery:
    """Send each due step at most once. Safe to run twice, or after a crash. One step goes through named stages:

        plan       the step due now and its text; or why not (inactive, completed, not due, quiet hours)
        claim      in one atomic round trip: still active at this step, not opted out, and claimed (SET NX)
        reconcile  only when another run holds the claim: settled already, still fresh, or abandoned; an abandoned
                   send is looked for at Twilio, and sent again only if Twilio has no such message
        send       at the pace allowed (Pacer); a Twilio failure is retried after a backoff, given up, or ends
                   the enrollment
        record     the MessageSid, the sent record and the next wake-up, in one round trip

    Each stage either hands the next one what it needs or returns the DeliveryOutcome that ends the delivery.
    """

    def __init__(self, settings: Settings, schedules: ScheduleStore, enrollments: EnrollmentStore,
                 quiet: QuietHours, metrics: Metrics, pacer: Pacer, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock  # the services' clock (hotline/clock.py): claim times, and "now" when none is given
        self.schedules = schedules
        self.enrollments = enrollments
        self.quiet = quiet
        self.metrics = metrics
        self.pacer = pacer

    def deliver_many(self, ids: list[str], sender: Sender, now: datetime | None = None, *, threads: int = 1,
                     sender_factory: Callable[[], Sender] | None = None) -> dict[str, int]:
        """Deliver a batch: records read in one round trip, each schedule read once, one sender (one
        HTTP session) per thread. Every guarantee is checked per text, atomically, at send time (see
        claim), so `threads` only overlaps the waits on Twilio and Redis. Returns how many ended which way.
        """
        moment = now or datetime.fromtimestamp(self.clock(), UTC)
        records = self.enrollments.get_many(ids)
        schedules: dict[str, ReminderSchedule | None] = {}
        for name in {r.schedule for r in records.values()}:
            self._schedule(name, schedules)
        counts: list[Counter[DeliveryOutcome]] = []

        def run(part: list[str], part_sender: Sender) -> None:
            outcomes: Counter[DeliveryOutcome] = Counter()
            counts.append(outcomes)  # one counter per thread, added up at the end
            for eid in part:
                try:
                    outcome = self.deliver_one(eid, records.get(eid), part_sender, moment, schedules)
                except redis.RedisError:
                    raise  # the job fails and RQ retries it; what was sent is recorded
                except Exception:
                    # One bad enrollment must not hold up the batch: it stays leased and comes back.
                    log.exception("reminder enrollment %s: delivery failed", eid)
                    outcome = DeliveryOutcome.ERROR
                outcomes[outcome] += 1
                self.metrics.reminder(outcome)

        threads = max(1, min(threads, len(ids)))
        if threads == 1 or sender_factory is None:
            run(list(ids), sender)
        else:
            parts = [list(ids[i::threads]) for i in range(threads)]
            senders = [sender] + [sender_factory() for _ in range(threads - 1)]
            with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="reminder-send") as pool:
                for future in [pool.submit(run, part, s) for part, s in zip(parts, senders, strict=True)]:
                    future.result()
        return {outcome.value: count for outcome, count in sum(counts, Counter()).items()}

    def deliver_one(self, eid: str, enrollment: Enrollment | None, sender: Sender, moment: datetime,
                    schedules: dict[str, ReminderSchedule | None]) -> DeliveryOutcome:
        """One enrollment, its record already read (None: there is none), through the stages."""
        step = self.plan(eid, enrollment, moment, schedules)
        if isinstance(step, DeliveryOutcome):
            return step
        claim = self.claim(step)
        if isinstance(claim, DeliveryOutcome):
            return claim
        if claim.held is not None:
            reconciled = self.reconcile(step, claim, sender)
            if reconciled is not None:
                return reconciled
            # Twilio has no such message: send it now (this run holds the claim).
        sent = self.send(step, claim, sender)
        if isinstance(sent, DeliveryOutcome):
            return sent
        self.record(step, {"status": sent.status, "sid": sent.sid, "attempts": claim.attempts,
                           "at": step.moment.timestamp()})
        return DeliveryOutcome.SENT if claim.held is None else DeliveryOutcome.RESENT

    # --- the stages ---------------------------------------------------------------------------------------

    def plan(self, eid: str, enrollment: Enrollment | None, moment: datetime,
             schedules: dict[str, ReminderSchedule | None]) -> DueStep | DeliveryOutcome:
        """The step due now, with its text; or why there is none (the enrollment sleeps, completes, or wakes
        again when the step is due or quiet hours end). Steps now too late to send are skipped on the way."""
        if enrollment is None or enrollment.status != ACTIVE:
            self.enrollments.sleep(eid)
            return DeliveryOutcome.INACTIVE
        schedule = self._schedule(enrollment.schedule, schedules)
        if schedule is None or not schedule.active:
            self.enrollments.sleep(eid)  # deactivating stops it; activating again replans
            return DeliveryOutcome.INACTIVE
        zone = zone_for_number(enrollment.number, self.settings.default_timezone, enrollment.zone)
        enrolled_at = datetime.fromtimestamp(enrollment.enrolled_at, UTC)
        planned = plan_next(schedule, enrolled_at, enrollment.last_offset, zone, self.quiet, moment)
        if planned is None:
            self.enrollments.advance(enrollment, enrollment.last_offset, COMPLETED, "all steps handled")
            return DeliveryOutcome.COMPLETED
        for skipped in planned.skipped:
            self.enrollments.write_log(eid, skipped.offset_minutes, {"status": "skipped", "error": "late",
                                                                     "at": moment.timestamp()})
        if planned.due > moment:
            self.enrollments.wake_at(eid, planned.due.timestamp())
            return DeliveryOutcome.NOT_DUE
        allowed = next_allowed(moment, zone, self.quiet)
        if allowed > moment:  # late (retries, a backlog) and now inside quiet hours
            self.enrollments.wake_at(eid, allowed.timestamp())
            return DeliveryOutcome.QUIET
        unnamed = UNNAMED_BABY.get(enrollment.language, UNNAMED_BABY["en"])
        values = {"emergency": self.settings.emergency_number, "baby_name": enrollment.baby_name or unnamed}
        body = render(planned.step.text.get(enrollment.language) or planned.step.text["en"], values)
        return DueStep(enrollment, schedule, planned.step.offset_minutes, body, zone, enrolled_at, moment,
                       late=len(planned.skipped))

    def claim(self, step: DueStep) -> Claim | DeliveryOutcome:
        """One round trip, atomically: the enrollment is still active at this step, the number has not
        opted out (checked at send time: a step due while stopped is dropped for good), and this
        run claims the step (SET NX)."""
        eid, offset, moment = step.eid, step.offset, step.moment
        token = uuid.uuid4().hex[:12]
        result, entry, held = self.enrollments.claim(eid, step.enrollment, offset, self.clock(), token,
                                                     self.settings.replicas_to_wait_for)
        if result == "unreplicated":
            # No replica confirmed the claim in time: a failover now could lose it, and a resend follow. Send
            # nothing; let the claim go and look again shortly (docs/operations.md#redis-failover).
            self.enrollments.release(eid, offset)
            self.enrollments.wake_at(eid, moment.timestamp() + UNREPLICATED_RETRY_SECONDS)
            log.warning("reminder %s:%s: no replica confirmed its claim; not sent yet", eid, offset)
            return DeliveryOutcome.UNREPLICATED
        if result == "moved":
            return DeliveryOutcome.DUPLICATE  # another run handled this step and moved the enrollment on
        if result == "opted_out":
            self.enrollments.write_log(eid, offset, {"status": "skipped", "error": "opted out",
                                                     "at": moment.timestamp()})
            self.move_on(step)
            return DeliveryOutcome.OPTED_OUT
        return Claim(token, entry, held if result == "held" else None)

    def reconcile(self, step: DueStep, claim: Claim, sender: Sender) -> DeliveryOutcome | None:
        """Another run holds the step's claim: it settled the step, or is still at it, or died. A dead run's
        send is looked for at Twilio; None when Twilio has no such message (this run has taken the claim over
        and sends it)."""
        eid, offset, moment, entry = step.eid, step.offset, step.moment, claim.entry
        stale = self.settings.reminder_claim_stale_seconds
        if entry.get("sid") or entry.get("status") in ("failed", "unknown"):
            self.move_on(step)  # sent (or settled) by another run that did not get to move on
            return DeliveryOutcome.DUPLICATE
        claimed = claim_time(claim.held)
        if self.clock() - claimed <= stale:
            self.enrollments.wake_at(eid, moment.timestamp() + stale)
            return DeliveryOutcome.BUSY
        # A worker died (or its request failed on the network) between claiming and recording:
        # Twilio may or may not have the message. Take the claim over (one run wins), then ask.
        if not self.enrollments.take_over(eid, offset, claim.held, self.clock(), claim.token,
                                          self.settings.replicas_to_wait_for):
            self.enrollments.wake_at(eid, moment.timestamp() + stale)
            return DeliveryOutcome.BUSY
        try:
            found = sender.find_sent(step.enrollment.number, step.body, claimed - LOOKUP_SLACK_SECONDS)
        except Exception as error:  # Twilio unreachable: keep the claim, ask again once it is stale
            log.warning("reminder %s:%s: could not check Twilio for an abandoned send (%s)", eid, offset,
                        type(error).__name__)
            self.enrollments.wake_at(eid, moment.timestamp() + stale)
            return DeliveryOutcome.BUSY
        if found is NO_LOOKUP:
            # This sender cannot be asked: at most once wins, the step is not sent again.
            self.enrollments.write_log(eid, offset, {**entry, "status": "unknown",
                                                     "error": "worker stopped mid-send; not resent",
                                                     "at": moment.timestamp()})
            self.move_on(step)
            log.warning("reconciled an abandoned claim on reminder %s:%s (not resent)", eid, offset)
            return DeliveryOutcome.RECONCILED
        if found is not None:
            self.record(step, {"status": found.status, "sid": found.sid, "reconciled": True,
                               "attempts": claim.attempts, "at": moment.timestamp()})
            log.info("reminder %s:%s: the abandoned send had reached Twilio; recorded, not resent", eid, offset)
            return DeliveryOutcome.RECONCILED
        return None

    def send(self, step: DueStep, claim: Claim, sender: Sender) -> SentMessage | DeliveryOutcome:
        """Send the text once the pace allows. A failure Twilio may recover from is retried after a backoff
        (then given up); one it never will ends the enrollment."""
        eid, offset, moment, attempts = step.eid, step.offset, step.moment, claim.attempts
        self.pacer.wait()
        try:
            return sender.send(step.enrollment.number, step.body)
        except TransientSendError as error:
            if error.status is None:
                # No answer (timeout, reset): the request may have reached Twilio. Keep the claim but
                # mark it stale, so the next attempt checks Twilio's message list before resending.
                self.enrollments.mark_stale(eid, offset, claim.token)
            else:
                self.enrollments.release(eid, offset)  # Twilio answered: nothing went out
            if attempts > len(BACKOFF_SECONDS):
                self.enrollments.write_log(eid, offset, {"status": "failed", "attempts": attempts,
                                                         "error": f"gave up: {error.code or 'network'}",
                                                         "at": moment.timestamp()})
                self.move_on(step)
                return DeliveryOutcome.GAVE_UP
            self.enrollments.write_log(eid, offset, {"status": "retrying", "attempts": attempts,
                                                     "error": str(error.code or "network"),
                                                     "at": moment.timestamp()})
            self.enrollments.wake_at(eid, moment.timestamp() + BACKOFF_SECONDS[attempts - 1])
            return DeliveryOutcome.RETRY
        except PermanentSendError as error:
            self.enrollments.write_log(eid, offset, {"status": "failed", "attempts": attempts,
                                                     "error": str(error.code), "at": moment.timestamp()})
            self.move_on(step, ENDED, f"twilio error {error.code}")
            log.info("reminder enrollment %s ended: twilio error %s", eid, error.code)
            return DeliveryOutcome.ENDED

    def record(self, step: DueStep, entry: dict[str, Any]) -> None:
        """The step reached Twilio: the MessageSid, the sent record and the next wake-up in one round trip."""
        self.metrics.reminder("late", step.late)
        self.enrollments.record_sent_and_advance(step.enrollment, step.offset, entry, checkin=step.schedule.checkin,
                                                 next_due=self._next_due(step))

    # --- moving on ----------------------------------------------------------------------------------------

    def move_on(self, step: DueStep, status: str = ACTIVE, reason: str = "") -> None:
        """Past this step without sending it: to the next step, or completed, or ended with `status`."""
        self.metrics.reminder("late", step.late)
        next_due = self._next_due(step)
        final = status if (next_due is not None or status != ACTIVE) else COMPLETED
        self.enrollments.advance(step.enrollment, step.offset, final, reason, next_due)

    def _next_due(self, step: DueStep) -> float | None:
        after = plan_next(step.schedule, step.enrolled_at, step.offset, step.zone, self.quiet, step.moment)
        return after.due.timestamp() if after else None

    def _schedule(self, name: str, cache: dict[str, ReminderSchedule | None]) -> ReminderSchedule | None:
        if name not in cache:
            cache[name] = self.schedules.get(name)
        return cache[name]
