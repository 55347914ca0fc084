"""RQ job: text a caller the advice they just heard ("press 1 to get this advice by text")."""

from __future__ import annotations

import logging

from hotline.privacy import NumberRefs
from hotline.sender import PermanentSendError, TransientSendError, build_sender
from hotline.services import connect_redis
from hotline.settings import Settings
from hotline.store.calls import SummaryStore
from hotline.store.conversations import ConversationStore

log = logging.getLogger(__name__)


def send_call_summary(summary_id: str) -> str:
    """Send summary `summary_id` once. Safe to run twice: the send is claimed with SET NX first.

    Returns what happened ("sent", "already-sent", "expired", "opted-out", "refused"); raises on a
    transient failure after releasing the claim, so RQ's Retry sends it later.
    """
    settings = Settings.from_env()
    connection = connect_redis(settings)
    summaries = SummaryStore(connection)
    found = summaries.read(summary_id)
    if found is None:
        return "expired"
    number, text = found
    refs = NumberRefs.for_settings(settings)
    conversations = ConversationStore(connection, settings.session_ttl_seconds, settings.transcript_retention_days)
    if conversations.is_opted_out(number):
        return "opted-out"  # texted STOP after the call: respect it
    if not summaries.claim(summary_id):
        return "already-sent"
    try:
        message = build_sender(settings, connection, refs).send(number, text)
    except TransientSendError:
        summaries.release(summary_id)
        raise
    except PermanentSendError as error:
        log.warning("call summary %s refused for %s: %s", summary_id, refs.of(number), error.code)
        return "refused"
    summaries.sent(summary_id, message.sid)
    log.info("call summary %s sent to %s as %s", summary_id, refs.of(number), message.sid)
    return "sent"
