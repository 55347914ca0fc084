"""/metrics as Prometheus scrapes it: parsed with prometheus_client's own parser, the counters move with real signed
webhooks and with a real RQ worker's sends, every process's counts add up, and no label holds a number or a text."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hotline import create_app
from hotline.access_log import PHONE_LIKE
from hotline.devtools.signed import SignedTwilio, new_sid, reply_texts
from hotline.redis_server import free_port
from hotline.reminders.service import DELIVER_BATCH
from hotline.services import build_services
from hotline.store.staff_tokens import StaffTokens
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL
from tests.support.reminders import local
from tests.support.web import signed_sms, start_web_line

ROOT = Path(__file__).resolve().parent.parent
RQ = str(Path(sys.executable).parent / "rq")
PARENT = "+15551230001"
NY = "+12125550123"
URGENT = "my 5 week old is shaking and has a fever of 38.5"
TEXTS = ["hi", URGENT, "Carlos tiene fiebre y tiembla", "she is having a seizure", "4"]

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def scrape(client, token: str) -> Samples:  # type: ignore[no-untyped-def]
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.data
    assert response.content_type.startswith("text/plain; version=")
    return parse(response.get_data(as_text=True))


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


@pytest.fixture
def token(redis) -> str:  # type: ignore[no-untyped-def]
    return StaffTokens(redis).create("prometheus")


def start_call(twilio: SignedTwilio, number: str) -> tuple[str, str]:
    """A call comes in: its CallSid and where its first <Gather> posts."""
    sid = new_sid("CA")
    response = twilio.post("/twilio/voice", twilio.voice_params(sid, number))
    assert response.status_code == 200
    gather = ET.fromstring(response.data).find("Gather")
    assert gather is not None
    return sid, gather.get("action", "")


def run_production_worker(env: dict[str, str]) -> None:
    """The Procfile's worker class (a work-horse forked per job), in its own process, until the queues are empty."""
    worker = subprocess.run([RQ, "worker", "--burst", "-w", "workers.worker.HotlineWorker", "--url", env["REDIS_URL"],
                             "--logging_level", "WARNING", "hotline-alerts", "hotline"], cwd=ROOT,
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
    assert worker.returncode == 0, worker.stderr.decode()


def test_counters_move_with_real_webhooks_and_a_worker_process_s_reminder_send(
        client, twilio, token, reminders, redis, fake_twilio, env, settings):
    before = scrape(client, token)

    for body in ("hi", URGENT):
        reply_texts(twilio.sms(body, PARENT))
    unsigned = twilio.client.post("/twilio/sms", data=twilio.sms_params("hi", PARENT))
    assert unsigned.status_code == 403
    call_sid, gather = start_call(twilio, "+15551230002")
    assert twilio.post(gather, twilio.voice_params(call_sid, "+15551230002", Digits="9")).status_code == 200

    # A check-in falls due; a worker process (its own, and a forked work-horse per job) sends it through the API.
    zone = "America/New_York"
    reminders.enroll(NY, now=local(zone, 2027, 5, 10, 12, 0))
    assert reminders.dispatch(local(zone, 2027, 5, 11, 10, 0))
    run_production_worker({**env, "HOTLINE_DATA_DIR": str(settings.data_dir)})
    [message] = fake_twilio.messages
    assert twilio.status(message.sid, "delivered").status_code == 200

    after = scrape(client, token)
    requests = "hotline_webhook_duration_seconds_count"
    assert moved(before, after, requests, route="/twilio/sms", status="200") == 2
    assert moved(before, after, requests, route="/twilio/sms", status="403") == 1
    assert moved(before, after, requests, route="/twilio/voice", status="200") == 1
    assert moved(before, after, requests, route="/twilio/voice/gather", status="200") == 1
    assert moved(before, after, requests, route="/twilio/status", status="200") == 1
    assert value(after, "hotline_webhook_duration_seconds_bucket", route="/twilio/sms", status="200", le="+Inf") \
        == value(after, requests, route="/twilio/sms", status="200")
    assert moved(before, after, "hotline_assessments_total", level="urgent", channel="sms") == 1
    assert moved(before, after, "hotline_assessments_total", level="emergency", channel="voice") == 1
    assert moved(before, after, "hotline_reminders_total", outcome="sent") == 1
    assert moved(before, after, "hotline_reminders_total", outcome="delivered") == 1
    assert moved(before, after, "hotline_reminders_total", outcome="failed") == 0
    assert value(after, "hotline_redis_up") == 1
    assert value(after, "hotline_queue_jobs", queue="hotline") == 0  # the worker drained it
    assert value(after, "hotline_queue_oldest_job_age_seconds", queue="hotline") == 0


def test_queue_depth_and_the_oldest_job_s_age_are_read_from_rq_at_scrape_time(client, token, services):
    for _ in range(3):
        services.queue.enqueue("workers.reminders.dispatch", now=1.0)
    assert value(scrape(client, token), "hotline_queue_jobs", queue="hotline") == 3
    first = value(scrape(client, token), "hotline_queue_oldest_job_age_seconds", queue="hotline")
    services.redis.blpop(["hl:test:never"], timeout=0.1)  # some time passes
    assert value(scrape(client, token), "hotline_queue_oldest_job_age_seconds", queue="hotline") > first
    assert value(scrape(client, token), "hotline_queue_jobs", queue="hotline-alerts") == 0


def test_a_worker_s_jobs_share_one_file_set_so_the_directory_does_not_grow_with_every_job(
        client, token, reminders, settings, env):
    zone = "America/New_York"
    numbers = [f"+1212555{n:04d}" for n in range(200, 206)]
    for number in numbers:
        eid = reminders.enroll(number, now=local(zone, 2027, 5, 10, 12, 0)).enrollment.id
        # One job per text, as six dispatcher runs would hand them out: the file set must not grow with the jobs.
        reminders.queue.enqueue(DELIVER_BATCH, [eid], now=local(zone, 2027, 5, 11, 10, 0).timestamp())
    run_production_worker({**env, "HOTLINE_DATA_DIR": str(settings.data_dir)})
    assert value(scrape(client, token), "hotline_reminders_total", outcome="sent") == len(numbers)
    files = sorted(path.name for path in settings.metrics_directory.glob("*.db"))
    # This test's process, the worker and its work-horses: a counter and a histogram file each, not six jobs' worth.
    print(files)
    assert len(files) <= 6, files


def test_the_scrape_needs_a_staff_token(client, token):
    for headers in ({}, {"Authorization": "Bearer hlt_not-a-token"}, {"Authorization": token}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401
        assert "a valid staff token is needed" in response.get_json()["error"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_with_a_metrics_bind_address_they_are_served_there_without_a_token_and_not_on_the_app_s_port(settings, redis):
    port = free_port()
    app = create_app(services=build_services(settings.with_(metrics_bind=("127.0.0.1", port))))
    server = app.extensions["hotline_metrics_server"]
    try:
        assert app.test_client().get("/metrics").status_code == 404
        SignedTwilio(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL, ACCOUNT_SID).sms("hi", PARENT)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            samples = parse(response.read().decode())
        assert value(samples, "hotline_webhook_duration_seconds_count", route="/twilio/sms", status="200") == 1
    finally:
        server.shutdown()
        server.server_close()


def test_redis_errors_and_outage_answers_are_counted_and_every_process_s_counts_add_up(settings, client, token):
    # A second web process of the same deployment (same metrics folder) that cannot reach Redis.
    dead = f"redis://127.0.0.1:{free_port()}/0"
    down = create_app(services=build_services(settings.with_(redis_url=dead)))
    signer = SignedTwilio(down.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL, ACCOUNT_SID)
    before = scrape(client, token)
    assert reply_texts(signer.sms("she is having a seizure", PARENT))[0].startswith("Call 911 now")
    assert "911" in "".join(reply_texts(signer.sms("hi", PARENT)))
    assert signer.post("/twilio/voice", signer.voice_params(new_sid("CA"), PARENT)).status_code == 200
    refused = down.test_client().get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 503 and "HOTLINE_METRICS_BIND" in refused.get_json()["error"]

    after = scrape(client, token)  # the healthy process answers for both
    assert moved(before, after, "hotline_redis_errors_total", source="sms") == 2
    assert moved(before, after, "hotline_redis_errors_total", source="voice") == 1
    assert moved(before, after, "hotline_outage_answers_total", channel="sms", reply="emergency") == 1
    assert moved(before, after, "hotline_outage_answers_total", channel="sms", reply="apology") == 1
    assert moved(before, after, "hotline_outage_answers_total", channel="voice", reply="apology") == 1
    assert moved(before, after, "hotline_webhook_duration_seconds_count", route="/twilio/sms", status="200") == 2
    assert value(after, "hotline_redis_up") == 1


def test_no_label_value_looks_like_a_phone_number_or_holds_message_text(client, twilio, token, services):
    for body in TEXTS:
        twilio.sms(body, PARENT)
    call_sid, gather = start_call(twilio, PARENT)
    twilio.post(gather, twilio.voice_params(call_sid, PARENT, SpeechResult="my baby Emma is shaking"))
    twilio.post("/twilio/sms" + "/" + PARENT[1:], twilio.sms_params("hi", PARENT))  # a path with a number in it
    services.cases.open(PARENT, level="urgent", reason="sms")

    samples = scrape(client, token)
    labels = {(name, label, v) for (name, pairs) in samples for label, v in pairs}
    assert labels, "the scrape had no labelled samples"
    words = {word.lower() for text in [*TEXTS, "my baby Emma is shaking"] for word in text.split() if len(word) > 3}
    for name, label, v in labels:
        assert not PHONE_LIKE.search(v), f"{name}{{{label}={v!r}}} looks like a phone number"
        assert PARENT[2:] not in v and not (set(v.lower().replace("/", " ").split()) & words), (name, label, v)
    assert {label for _, label, _ in labels} <= {"route", "status", "le", "level", "channel", "source", "reply",
                                                 "outcome", "queue"}
    assert value(samples, "hotline_webhook_duration_seconds_count", route="other", status="404") == 1


def test_under_the_procfile_s_web_line_every_process_answers_a_scrape_with_the_same_totals(redis_server, redis, token,
                                                                                         tmp_path):
    web, process = start_web_line(redis_server, tmp_path, WEB_CONCURRENCY="2")
    try:
        sent = 12
        for n in range(sent):
            assert signed_sms(web, "hi", f"+1555123{n:04d}") == 200
        # Each scrape is a new connection, answered by either process: both give every process's requests.
        for _ in range(6):
            text = web.get("/metrics", token)
            assert value(parse(text), "hotline_webhook_duration_seconds_count", route="/twilio/sms", status="200") \
                == sent
    finally:
        process.terminate()
        process.wait(timeout=30)
    writers = {path.stem.split("_")[-1] for path in (tmp_path / "var" / "metrics").glob("*.db")}
    assert len(writers) == 2  # the two web processes each kept their own counts


def test_every_metric_the_example_alert_rules_name_is_one_the_scrape_serves(client, token):
    import yaml

    rules = yaml.safe_load((ROOT / "docs" / "prometheus-alerts.yml").read_text())
    alerts = {rule["alert"]: rule["expr"] for group in rules["groups"] for rule in group["rules"]}
    assert {"HotlineRedisDown", "HotlineWebhook5xx", "HotlineOutageAnswers", "HotlineRemindersFailing",
            "HotlineQueueBackingUp", "HotlineOnCallAlertsNotSent"} <= set(alerts)
    served = {name for name, _ in scrape(client, token)}
    named = {name for expr in alerts.values() for name in re.findall(r"\bhotline_[a-z_]+", expr)}
    assert named and not named - served, f"named by a rule but not served: {sorted(named - served)}"


COUNT = """
import sys
from pathlib import Path
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from hotline import metrics

directory = Path(sys.argv[1])
metrics.configure(directory).reminder("sent", int(sys.argv[2]))
registry = CollectorRegistry()
MultiProcessCollector(registry, path=str(directory))
print(int(registry.get_sample_value("hotline_reminders_total", {"outcome": "sent"})), flush=True)
sys.stdin.read()  # until the test lets it end
"""


def test_a_dead_process_s_counts_stay_while_others_run_and_a_fresh_start_begins_at_zero(tmp_path):
    directory = tmp_path / "metrics"

    def process(sent: int) -> tuple[subprocess.Popen, int]:
        started = subprocess.Popen([sys.executable, "-c", COUNT, str(directory), str(sent)], cwd=ROOT, text=True,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE)
        assert started.stdout is not None
        return started, int(started.stdout.readline())

    first, total = process(1)
    assert total == 1
    second, total = process(2)  # a respawned web process, say, beside the first
    assert total == 3
    second.communicate("")  # it dies; its counts stay in the totals while the first still runs
    third, total = process(4)
    assert total == 7
    for running in (first, third):
        running.communicate("")
    fourth, total = process(5)  # everything had stopped: a new run starts from zero
    fourth.communicate("")
    assert total == 5


def test_a_metrics_folder_that_cannot_be_made_is_reported_and_the_hotline_still_answers(settings, redis, caplog):
    blocker = settings.data_dir.parent / "not-a-folder"
    blocker.write_text("")
    app = create_app(services=build_services(settings.with_(metrics_dir=blocker / "metrics")))
    signer = SignedTwilio(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL, ACCOUNT_SID)
    assert reply_texts(signer.sms("hi", PARENT))
    assert "HOTLINE_METRICS_DIR" in caplog.text and "cannot use" in caplog.text


@pytest.mark.parametrize(("written", "bind"), [("127.0.0.1:9464", ("127.0.0.1", 9464)), (":9464", ("0.0.0.0", 9464)),
                                               ("[::1]:9464", ("::1", 9464))])
def test_the_metrics_address_is_read_as_host_and_port(written, bind):
    from hotline.settings import Settings

    assert Settings._parse({"HOTLINE_METRICS_BIND": written}).metrics_bind == bind


@pytest.mark.parametrize("written", ["9464", "localhost", "host:http", "host:70000"])
def test_a_metrics_address_without_a_port_stops_the_start_with_the_variable_named(written):
    from hotline.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="HOTLINE_METRICS_BIND: expected HOST:PORT"):
        Settings._parse({"HOTLINE_METRICS_BIND": written})


def test_on_call_alerts_sent_by_a_worker_process_are_counted_with_their_latency(settings, redis, fake_twilio,
                                                                                  monkeypatch):
    from tests.support.reminders import worker_env

    oncall = settings.with_(oncall_numbers=("+15550001111",))
    app = create_app(services=build_services(oncall))
    token = StaffTokens(redis).create("prometheus")
    signer = SignedTwilio(app.test_client(), AUTH_TOKEN, PUBLIC_BASE_URL, ACCOUNT_SID)
    before = scrape(app.test_client(), token)
    reply_texts(signer.sms(URGENT, PARENT))  # an urgent assessment opens a case, which queues its first alert
    assert value(scrape(app.test_client(), token), "hotline_queue_jobs", queue="hotline-alerts") == 1

    env = worker_env(monkeypatch, oncall)
    run_production_worker({**env, "HOTLINE_DATA_DIR": str(settings.data_dir)})
    assert [m.to for m in fake_twilio.messages] == ["+15550001111"]
    after = scrape(app.test_client(), token)
    assert moved(before, after, "hotline_oncall_alerts_total", outcome="sent") == 1
    assert moved(before, after, "hotline_oncall_alert_latency_seconds_count") == 1
    assert value(after, "hotline_queue_jobs", queue="hotline-alerts") == 0
