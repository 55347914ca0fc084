"""A nurse in the loop: cases opened on serious assessments, on-call alerts, claims and staff replies by text.

What opens a case: an assessment at urgent or emergency (a text or a call), a callback request, a check-in
answered "worse". One open case per number: anything later is folded into it (its level only rises).

On-call staff (HOTLINE_ONCALL_NUMBERS, in order) are texted by an RQ job, at most once per case and round,
with only the level and a link to the case (never the parent's number or words). A case nobody claims is
alerted again after HOTLINE_ESCALATE_AFTER_MINUTES (the first number again), then the next number on the list
each time, then everyone once; each next round is an RQ scheduled job, and a transient Twilio failure is retried
by RQ's Retry. Quiet hours and opt-outs are for parents: they never hold back an alert to staff.

A staff member who claims a case has the conversation: the engine still screens every message first (an
emergency is answered at once, and the claiming nurse is alerted on the dashboard) and otherwise says nothing
(Context.claimed); the messages go to the inbox live. Staff replies go out through the same sender as every text,
with status callbacks. Hand back (or close) returns the conversation to the bot with a short note to the parent;
a claim with no staff action for HOTLINE_CLAIM_TIMEOUT_MINUTES ends by itself (its Redis key expires, so the bot
answers the very next message) and a job tidies the case and texts the same note. STOP wins over everything:
nobody texts a number that opted out. docs/on-call.md has the set-up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import redis
from rq import Queue, Retry

from hotline.channels.segments import MAX_SEGMENTS, encoding, segment_count
from hotline.engine.levels import Level
from hotline.engine.runner import CheckinReply
from hotline.insights import InsightCounters
from hotline.metrics import Metrics
from hotline.metrics import configure as configure_metrics
from hotline.privacy import NumberRefs
from hotline.sender import PermanentSendError, Sender, TransientSendError
from hotline.settings import Settings
from hotline.store.cases import SYSTEM, Case, CaseStore, Outcome
from hotline.store.conversations import ConversationStore, Loaded

if TYPE_CHECKING:
    from hotline.engine.flow import Flow
    from hotline.engine.runner import Turn

log = logging.getLogger(__name__)

ALERT_JOB = "workers.cases.alert"
EXPIRE_JOB = "workers.cases.expire_claim"
ALERT_RETRY = Retry(max=3, interval=[5, 30, 120])  # a transient Twilio failure (429, 5xx, network): again soon
MAX_REPLY_CHARS = 1600  # Twilio's cap for one text
OPTED_OUT = ("This number has opted out (it texted STOP): nobody can text it, the hotline or staff, until the "
             "parent texts START.")
REASONS = {"sms": "a text assessed urgent or emergency", "voice": "a call assessed urgent or emergency",
           "callback": "a callback request", "checkin": "a check-in answered \"worse\""}


def alert_queue_name(settings: Settings) -> str:
    """Alerts and claim timers have their own queue, listed first by every worker (Procfile, `hotline dev`), so
    they never wait behind a queue of reminder batches."""
    return f"{settings.queue_name}-alerts"


def alert_targets(round_: int, count: int) -> list[int]:
    """Which on-call numbers (indexes into the list) a round texts: the first; the first again; then the next
    one each round; then, with two or more on the list, everyone once. [] when the escalation is over."""
    if count == 0:
        return []
    if round_ <= 1:
        return [0]
    if round_ - 1 < count:
        return [round_ - 1]
    if round_ == count + 1 and count >= 2:
        return list(range(count))
    return []


class CaseError(Exception):
    """A staff action that cannot be done, with the HTTP status and a message saying why."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class SentReply:
    sid: str
    status: str
    parts: int
    encoding: str


def check_reply_text(text: str) -> str:
    """The reply as it will be sent, or CaseError(400) saying what to fix: the same parts and encoding the
    schedules page's counter shows (hotline/channels/segments.py)."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise CaseError("Type a message first.", 400)
    parts = segment_count(text)
    if parts > MAX_SEGMENTS or len(text) > MAX_REPLY_CHARS:
        raise CaseError(f"That message takes {parts} SMS parts ({encoding(text)}); {MAX_SEGMENTS} at most. "
                        "Please shorten it.", 400)
    return text


class Cases:
    def __init__(self, settings: Settings, connection: redis.Redis, sender: Sender, refs: NumberRefs,
                 conversations: ConversationStore, flow: Callable[[], Flow], metrics: Metrics | None = None) -> None:
        self.settings = settings
        self.metrics = metrics or configure_metrics(settings.metrics_directory)
        self.redis = connection
        self.sender = sender
        self.refs = refs
        self.conversations = conversations
        self.clock = conversations.clock  # one clock for a number's conversation and its case (hotline/clock.py)
        self._flow = flow
        self.store = CaseStore(connection, conversations.retention_ttl, conversations.max_entries, clock=self.clock,
                               insights=InsightCounters.for_settings(settings))
        self.queue = Queue(alert_queue_name(settings), connection=connection)

    def link(self, case_id: str) -> str:
        base = self.settings.public_base_url or f"http://{self.settings.host}:{self.settings.port}"
        return f"{base}/staff/cases/{case_id}"

    # --- opening ---------------------------------------------------------------------------------------

    def open(self, number: str, *, level: str, flags: tuple[str, ...] = (), reason: str,
             event: str = "", none_open: bool = False) -> tuple[str, bool]:
        """Open a case for the number, or fold into its open one; a new case's first alert is queued with it."""

        def enqueue_alert(case_id: str, pipe: redis.client.Pipeline) -> None:
            # Jobs carry the case id only (RQ stores and logs arguments): never a number or a message.
            self.queue.enqueue(ALERT_JOB, case_id, 0, job_id=f"hl-case-{case_id}-alert-0", retry=ALERT_RETRY,
                               result_ttl=3600, failure_ttl=7 * 24 * 3600, description=f"alert case {case_id}",
                               pipeline=pipe)

        case_id, created = self.store.open(number, ref=self.refs.of(number), level=level, flags=flags,
                                           reason=reason, enqueue=enqueue_alert, event=event, none_open=none_open)
        if created:
            log.info("case %s opened (%s, %s) for %s", case_id, level or "no level", reason, self.refs.of(number))
        return case_id, created

    def after_inbound(self, number: str, loaded: Loaded, turn: Turn | None) -> None:
        """After a text is saved: open or update the number's case, and tell the live feed. A number with no
        case and nothing serious costs nothing here (the conversation's read already said so). No turn: a text
        that was only stored (a flood), which still shows on the case live."""
        assessment = turn.assessment if turn else None
        serious = assessment is not None and assessment.level >= Level.URGENT
        worse = turn is not None and any(isinstance(e, CheckinReply) and e.answer == "worse" for e in turn.effects)
        level = assessment.level.label if serious and assessment else ""
        flags = tuple(assessment.flags) if serious and assessment else ()
        reason = "sms" if serious else "checkin" if worse else ""
        if loaded.open_case or loaded.claim:
            folded = self.store.fold(number, level=level, flags=flags, reason=reason, message=True, event="message")
            if folded is not None:
                case_id, holder, _ = folded
                screening = turn.screening if turn is not None else None
                emergency = screening is not None and screening.level is Level.EMERGENCY
                if holder and emergency:
                    # The bot has already given the emergency instruction; the nurse who has the case must know.
                    self.store.event(case_id, what="emergency while claimed",
                                     detail=f"the emergency instruction was sent at once; {holder} alerted",
                                     kind="emergency", to=holder)
                return
        if serious or worse:
            self.open(number, level=level, flags=flags, reason=reason, event="message",
                      none_open=not (loaded.open_case or loaded.claim))

    def after_call(self, number: str, *, level: str | None, flags: tuple[str, ...] = (),
                   callback: bool = False) -> None:
        """A call assessed urgent or emergency, or a callback request."""
        if not number:
            return  # a withheld number: nobody to call or text back
        serious = level in (Level.URGENT.label, Level.EMERGENCY.label)
        if serious:
            self.open(number, level=level or "", flags=flags, reason="voice", event="message")
        if callback:
            self.open(number, level=(level or "") if serious else "", reason="callback", event="message")

    # --- staff actions -----------------------------------------------------------------------------------

    def get(self, case_id: str) -> Case:
        case = self.store.get(case_id)
        if case is None:
            raise CaseError(f"There is no case {case_id} (it may have expired).", 404)
        return case

    def _refused(self, case_id: str, outcome: Outcome) -> CaseError:
        if outcome.result == "gone":
            return CaseError(f"There is no case {case_id} (it may have expired).", 404)
        if outcome.result == "closed":
            return CaseError(f"Case {case_id} is closed.")
        if outcome.holder:
            return CaseError(f"Case {case_id} is claimed by {outcome.holder}.")
        if outcome.result == "not-claimed":
            return CaseError(f"Claim case {case_id} first: only the staff member who has it claimed can do that.")
        if outcome.result == "opted-out":
            return CaseError(OPTED_OUT)
        return CaseError(f"Case {case_id}: {outcome.result}.")

    def claim(self, case_id: str, by: str) -> Case:
        """Take the conversation: the bot stays silent (but for the safety screen) until hand back, close, or
        HOTLINE_CLAIM_TIMEOUT_MINUTES without a staff action."""
        outcome = self.store.claim(case_id, by, self.settings.claim_timeout_seconds)
        if outcome.result == "mine":
            return self.get(case_id)
        if not outcome.ok:
            raise self._refused(case_id, outcome)
        self._schedule_expiry(case_id, outcome.extra, self.settings.claim_timeout_seconds, 0)
        log.info("case %s claimed by %s", case_id, by)
        return self.get(case_id)

    def reply(self, case_id: str, by: str, text: str) -> SentReply:
        text = check_reply_text(text)
        outcome = self.store.reserve_reply(case_id, by, self.settings.claim_timeout_seconds)
        if not outcome.ok:
            raise self._refused(case_id, outcome)
        number = outcome.number
        try:
            sent = self.sender.send(number, text)
        except PermanentSendError as error:
            self.store.event(case_id, what="reply not sent", detail=f"Twilio error {error.code}", by=by)
            if error.code == 21610:  # the carrier has the number as unsubscribed
                raise CaseError(OPTED_OUT) from None
            raise CaseError(f"Twilio refused the text (error {error.code}); it was not sent.", 502) from None
        except TransientSendError as error:
            self.store.event(case_id, what="reply not sent", detail=f"Twilio unreachable ({error.code or 'network'})",
                             by=by)
            raise CaseError("Could not reach Twilio, so the text was not sent. Please try again.", 503) from None
        parts, enc = segment_count(text), encoding(text)
        self.store.record_sent(
            case_id, number, by=by, sid=sent.sid, kind="reply", what="replied",
            detail=f"{sent.sid}, {parts} SMS part{'s' if parts != 1 else ''}, {enc}",
            entry={"dir": "staff", "channel": "sms", "text": text, "by": by, "sid": sent.sid, "case": case_id})
        log.info("case %s: %s replied to %s as %s", case_id, by, self.refs.of(number), sent.sid)
        return SentReply(sent.sid, sent.status, parts, enc)

    def release(self, case_id: str, by: str) -> Case:
        """Hand back: the bot answers the number again; the parent gets a short note saying so."""
        outcome = self.store.release(case_id, by)
        if not outcome.ok:
            raise self._refused(case_id, outcome)
        self._note(case_id, outcome.number, "handed_back")
        log.info("case %s handed back by %s", case_id, by)
        return self.get(case_id)

    def close(self, case_id: str, by: str) -> Case:
        outcome = self.store.close(case_id, by)
        if not outcome.ok:
            raise self._refused(case_id, outcome)
        if outcome.extra == "1":  # it was claimed: the bot is back, and the parent is told
            self._note(case_id, outcome.number, "handed_back")
        log.info("case %s closed by %s", case_id, by)
        return self.get(case_id)

    def _note(self, case_id: str, number: str, message: str) -> None:
        """The short note that the bot answers again, in the parent's language; never to a number that opted out."""
        if self.conversations.is_opted_out(number):
            self.store.event(case_id, what="no note to the parent", detail="the number has opted out (STOP)")
            return
        language = self.conversations.contact(number).get("language", "en")
        text = self._flow().message(message, language).replace("{emergency}", self.settings.emergency_number)
        try:
            sent = self.sender.send(number, text)
        except (PermanentSendError, TransientSendError) as error:
            log.warning("case %s: the %s note to %s was not sent: %s", case_id, message, self.refs.of(number),
                        error.code or type(error).__name__)
            self.store.event(case_id, what="note not sent", detail=f"{message}: {error.code or 'network'}")
            return
        self.store.record_sent(case_id, number, by=SYSTEM, sid=sent.sid, kind="note", what="note sent",
                               detail=f"{message}, {sent.sid}",
                               entry={"dir": "out", "channel": "sms", "text": text, "note": message,
                                      "sid": sent.sid, "case": case_id})

    # --- jobs (workers/cases.py) ----------------------------------------------------------------------------

    def _schedule_expiry(self, case_id: str, token: str, seconds: float, check: int) -> None:
        self.queue.enqueue_in(timedelta(seconds=seconds), EXPIRE_JOB, case_id, token, check,
                              job_id=f"hl-case-{case_id}-expire-{token}-{check}", result_ttl=600,
                              failure_ttl=7 * 24 * 3600, description=f"claim timer of case {case_id}")

    def _schedule_alert(self, case_id: str, round_: int) -> None:
        self.queue.enqueue_in(timedelta(seconds=self.settings.escalate_after_seconds), ALERT_JOB, case_id, round_,
                              job_id=f"hl-case-{case_id}-alert-{round_}", retry=ALERT_RETRY, result_ttl=3600,
                              failure_ttl=7 * 24 * 3600, description=f"alert case {case_id} again")

    def alert_text(self, case: Case, round_: int) -> str:
        level = (case.level or "unassessed").upper()
        if round_ == 0:
            return f"Hotline: new {level} case {case.id}. {self.link(case.id)}"
        waited = max(0.0, self.clock() - case.opened_at)
        since = f"{int(waited)} s" if waited < 60 else f"{round(waited / 60)} min"
        return f"Hotline: {level} case {case.id} unclaimed for {since}. {self.link(case.id)}"

    def alert(self, case_id: str, round_: int) -> str:
        """Text the on-call number(s) of this round, at most once each, unless the case was claimed or closed;
        the next round is scheduled first, so a worker dying mid-send never ends the escalation."""
        case = self.store.get(case_id)
        if case is None:
            return "gone"
        if not case.is_open:
            return "closed"
        if case.claimed_by or case.handled:
            return "claimed"
        numbers = self.settings.oncall_numbers
        targets = alert_targets(round_, len(numbers))
        if not numbers:
            log.warning("case %s: no HOTLINE_ONCALL_NUMBERS to alert", case_id)
            return "no-oncall"
        if not targets:
            return "done"
        if alert_targets(round_ + 1, len(numbers)):
            self._schedule_alert(case_id, round_ + 1)
        self.store.note_round(case_id, round_)
        text = self.alert_text(case, round_)
        sent = 0
        for index in targets:
            if not self.store.claim_alert(case_id, round_, index):
                continue  # this round already texted this number (a retried or repeated job)
            who = f"on-call {index + 1} of {len(numbers)}" + (", again" if round_ == 1 else "")
            try:
                message = self.sender.send(numbers[index], text)
            except TransientSendError:
                self.store.release_alert(case_id, round_, index)
                self.metrics.alert("retried")
                raise  # RQ's Retry runs the job again; numbers already texted this round are not texted twice
            except PermanentSendError as error:
                log.warning("case %s: alert to on-call %d refused: %s", case_id, index + 1, error.code)
                self.store.alert_sent(case_id, round_, index, "", f"{who}: refused ({error.code})")
                self.metrics.alert("refused")
                continue
            self.store.alert_sent(case_id, round_, index, message.sid, f"{who}, {message.sid}")
            self.metrics.alert("sent")
            if round_ == 0 and sent == 0:
                self.metrics.first_alert_sent(self.clock() - case.opened_at)
            sent += 1
        log.info("case %s: round %d alert sent to %d on-call number(s)", case_id, round_, sent)
        return "sent" if sent else "already-sent"

    def expire_claim(self, case_id: str, token: str, check: int = 0) -> str:
        """A claim's timer: a staff action since restarted it (check again later), or it has run out (the case is
        open and unclaimed again, the parent is told the bot answers again, and the escalation starts over)."""
        outcome = self.store.expire_claim(case_id, token)
        if outcome.result == "alive":
            self._schedule_expiry(case_id, token, int(outcome.extra) / 1000 + 0.05, check + 1)
            return "alive"
        if outcome.result != "expired":
            return outcome.result
        log.info("case %s: the claim expired after %.0f minutes without a staff action", case_id,
                 self.settings.claim_timeout_seconds / 60)
        self._note(case_id, outcome.number, "claim_ended")
        case = self.store.get(case_id)
        if case is not None and self.settings.oncall_numbers:
            round_ = self.store.alert_round(case_id) + 1
            if alert_targets(round_, len(self.settings.oncall_numbers)):
                self._schedule_alert(case_id, round_)
        return "expired"

    def record_status(self, sid: str, status: str, error_code: str, now: float) -> str:
        return self.store.record_status(sid, status, error_code, now)


def build_cases(settings: Settings, connection: redis.Redis, sender: Sender, refs: NumberRefs,
                conversations: ConversationStore, flow: Flow | Callable[[], Flow] | None = None,
                metrics: Metrics | None = None) -> Cases:
    """Cases wired to the hotline's sender; the flow (for the notes to parents) is loaded when first needed."""
    from hotline.engine.flow import Flow, load_flow

    loaded: list[Flow] = [flow] if isinstance(flow, Flow) else []

    def get_flow() -> Flow:
        if not loaded:
            loaded.append(flow() if callable(flow) else load_flow(settings.flows_dir))
        return loaded[0]

    return Cases(settings, connection, sender, refs, conversations, get_flow, metrics)
