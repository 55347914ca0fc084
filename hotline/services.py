"""The hotline's parts, built once from one Settings: the web app, workers and CLI all use this."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from rq import Queue

from hotline.cases import Cases, build_cases
from hotline.clock import Clock
from hotline.engine.flow import Flow, load_flow
from hotline.insights import InsightCounters
from hotline.metrics import Metrics, configure
from hotline.privacy import NumberRefs
from hotline.redis_connection import connect_redis
from hotline.reminders.service import Reminders
from hotline.sender import Sender, build_sender
from hotline.settings import Settings
from hotline.store.conversations import ConversationStore

__all__ = ["Services", "build_services", "connect_redis"]  # connect_redis: hotline/redis_connection.py


@dataclass
class Services:
    settings: Settings
    redis: redis.Redis
    queue: Queue
    sender: Sender
    flow: Flow
    conversations: ConversationStore
    reminders: Reminders
    refs: NumberRefs  # what log lines and page URLs call a number
    cases: Cases  # the staff inbox: cases, on-call alerts, claims and staff replies
    metrics: Metrics  # counted here, added up with every other process's at /metrics (hotline/metrics.py)
    clock: Clock  # the one "now" of everything built here; tests set it (hotline/clock.py)


def build_services(settings: Settings, connection: redis.Redis | None = None, flow: Flow | None = None,
                   clock: Clock | None = None) -> Services:
    connection = connection or connect_redis(settings)
    clock = clock or Clock()
    metrics = configure(settings.metrics_directory)
    refs = NumberRefs.for_settings(settings)
    sender = build_sender(settings, connection, refs)
    flow = flow or load_flow(settings.flows_dir)
    conversations = ConversationStore(
        connection, settings.session_ttl_seconds, settings.transcript_retention_days, refs=refs,
        flood_limit=settings.flood_store_limit, flood_window=settings.flood_window_seconds,
        max_entries=settings.transcript_max_entries, insights=InsightCounters.for_settings(settings),
        wait_replicas=settings.replicas_to_wait_for, clock=clock,
    )
    return Services(
        settings=settings,
        redis=connection,
        queue=Queue(settings.queue_name, connection=connection),
        sender=sender,
        flow=flow,
        conversations=conversations,
        reminders=Reminders(settings, connection, refs=refs, metrics=metrics, clock=clock),
        refs=refs,
        cases=build_cases(settings, connection, sender, refs, conversations, flow, metrics=metrics),
        metrics=metrics,
        clock=clock,
    )
