"""How fast on-call staff hear of a serious case (issue 14; docs/on-call.md), on loopback.

    .venv/bin/python -m bench.alert_latency [CASES] [--browser N]

Starts its own redis-server, the Procfile's web line (granian, its default workers and threads), one worker as
the Procfile runs it (`hotline worker`: HotlineWorker, with the scheduler, `hotline-alerts hotline`) and the fake
Twilio API. Then, CASES times (default 200), a new number texts an emergency through a signed webhook, and we wait
for the fake Twilio API to receive the on-call alert: the latency is from just before the webhook is sent to the
moment the fake accepted the alert (both on this machine's clock). One case at a time, so each figure is one
case's own path (webhook, case opened with its job in one transaction, the worker's dequeue and work-horse, the
alert's HTTP request), not a queue.

With --browser N (needs Chromium and Playwright, as the browser tests), a logged-in staff page (the inbox) is open
in headless Chromium, and for N more cases we also record when the page's live feed received the new case's
event and when its row was in the page: the live-feed latency a nurse sees.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

import redis
from rq import Worker
from twilio.request_validator import RequestValidator

from bench.webhooks import procfile_line, procfile_web
from hotline.devtools.fake_twilio import FakeTwilio
from hotline.redis_server import RedisServer, free_port
from hotline.store import keys

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ACCOUNT_SID = "AC" + "c" * 32
AUTH_TOKEN = "bench-alert-token"
ONCALL = "+15557650001"
TEXT = "my baby is having a seizure"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "median_ms": round(statistics.median(values), 1),
            "p90_ms": round(percentile(values, 90), 1), "p99_ms": round(percentile(values, 99), 1),
            "max_ms": round(max(values), 1)}


class Hotline:
    """Redis, the Procfile's web line, one Procfile worker and the fake Twilio API."""

    def __init__(self) -> None:
        self.redis_server = RedisServer(port=free_port()).start()
        self.fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN).start()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, REDIS_URL=self.redis_server.url, HOTLINE_ENV="production",
                        HOTLINE_SECRET_KEY="bench-secret", PUBLIC_BASE_URL=self.base,
                        TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN,
                        TWILIO_FROM_NUMBER="+15005550006", TWILIO_API_BASE_URL=self.fake.base_url,
                        HOTLINE_ONCALL_NUMBERS=ONCALL, HOTLINE_SENDS_PER_SECOND="0")
        self.redis = redis.Redis.from_url(self.redis_server.url)
        self.env["PORT"] = str(self.port)
        self.env["PATH"] = f"{BIN}{os.pathsep}{self.env['PATH']}"
        self.web = subprocess.Popen(
            ["sh", "-c", "exec " + procfile_web().replace("0.0.0.0", "127.0.0.1")],
            env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.worker = subprocess.Popen(
            ["sh", "-c", "exec " + procfile_line("worker").replace("--logging-level INFO", "--logging-level WARNING")],
            env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while not self._healthy():
            if time.monotonic() > deadline:
                raise RuntimeError("the web line did not start")
            time.sleep(0.1)
        while not any(w.get_state() == "idle" for w in Worker.all(connection=self.redis)):
            if time.monotonic() > deadline:
                raise RuntimeError("the worker did not start")
            time.sleep(0.1)

    def _healthy(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        except OSError:
            return False

    def text(self, number: str, body: str = TEXT) -> float:
        """Post a signed inbound text; returns the time (epoch) just before it was sent."""
        sid = "SM" + uuid.uuid4().hex
        params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT_SID, "From": number,
                  "To": "+15005550006", "Body": body, "NumMedia": "0", "NumSegments": "1", "ApiVersion": "2010-04-01"}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(f"{self.base}/twilio/sms", params)
        payload = urllib.parse.urlencode(params)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        headers = {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}
        started = time.time()
        conn.request("POST", "/twilio/sms", body=payload, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"webhook answered {response.status}")
        return started

    def wait_for_alerts(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while sum(m.to == ONCALL for m in self.fake.messages) < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(self.fake.messages)} alerts after {timeout} s")
            time.sleep(0.0005)

    def stop(self) -> None:
        for process in (self.worker, self.web):
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.fake.stop()
        self.redis_server.stop()


def alert_latencies(hotline: Hotline, cases: int, first: int = 0) -> list[float]:
    latencies = []
    before = sum(m.to == ONCALL for m in hotline.fake.messages)
    for i in range(cases):
        started = hotline.text(f"+1202556{first + i:04d}")
        hotline.wait_for_alerts(before + i + 1)
        alert = [m for m in hotline.fake.messages if m.to == ONCALL][-1]
        latencies.append((alert.at - started) * 1000)
    return latencies


RECORD_EVENTS = """
window.__events = {}; window.__rows = {};
const Original = window.EventSource;
window.EventSource = function (url, options) {
  const source = new Original(url, options);
  source.addEventListener("case", (e) => { const d = JSON.parse(e.data);
    if (d.kind === "opened" && !(d.case in window.__events)) window.__events[d.case] = Date.now(); });
  return source;
};
window.EventSource.prototype = Original.prototype;
document.addEventListener("DOMContentLoaded", () => {
  const rows = document.getElementById("inbox-rows");
  if (!rows) return;
  new MutationObserver(() => { for (const row of rows.querySelectorAll("tr[data-case]")) {
    if (!(row.dataset.case in window.__rows)) window.__rows[row.dataset.case] = Date.now(); } })
    .observe(rows, {childList: true, subtree: true});
});
"""


def browser_latencies(hotline: Hotline, cases: int, first: int) -> dict[str, list[float]]:
    from playwright.sync_api import expect, sync_playwright

    from hotline.store.cases import CaseStore
    from hotline.store.staff_accounts import StaffAccounts
    from tests.test_dashboard_browser import find_chromium

    StaffAccounts(hotline.redis).add("bench.nurse", "correct horse battery")
    store = CaseStore(hotline.redis, 90 * 24 * 3600)
    for case in store.open_cases(10_000):  # the alert run's cases: the inbox starts empty
        store.close(case.id, "bench")
    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError("no Chromium (apt-get install chromium, or set CHROMIUM_PATH)")
    events, rows = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_context(base_url=hotline.base).new_page()
        page.add_init_script(RECORD_EVENTS)
        page.goto("/staff/login?next=/staff/inbox")
        page.get_by_label("Username").fill("bench.nurse")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/staff/inbox")
        # Locators, not wait_for_function: its polling evaluates strings, which the pages' CSP refuses.
        expect(page.locator("#live")).to_have_attribute("data-state", "streaming")
        for i in range(cases):
            number = f"+1202557{first + i:04d}"
            started = hotline.text(number)
            case_id = hotline.redis.get(keys.open_case(number)).decode()
            page.locator(f'#inbox-rows tr[data-case="{case_id}"]').wait_for(timeout=30_000)
            seen = page.evaluate(f"[window.__events[{json.dumps(case_id)}], window.__rows[{json.dumps(case_id)}]]")
            events.append(seen[0] - started * 1000)
            rows.append(seen[1] - started * 1000)
            time.sleep(0.2)  # let the page settle: each case measured on its own
        browser.close()
    return {"event": events, "row": rows}


def run(cases: int = 200, browser_cases: int = 0) -> dict[str, object]:
    hotline = Hotline()
    try:
        alert_latencies(hotline, 5, first=9000)  # warm-up: imports, connections, the scheduler lock
        figures: dict[str, object] = {"alert": summary(alert_latencies(hotline, cases))}
        if browser_cases:
            seen = browser_latencies(hotline, browser_cases, first=0)
            figures["live_feed_event"] = summary(seen["event"])
            figures["live_feed_row"] = summary(seen["row"])
        return figures
    finally:
        hotline.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="?", type=int, default=200)
    parser.add_argument("--browser", type=int, default=0, metavar="N", help="also N cases watched in Chromium")
    args = parser.parse_args()
    figures = run(args.cases, args.browser)
    alert = figures["alert"]
    print(f"on-call alert, inbound webhook -> fake Twilio API ({alert['n']} cases, one at a time): "  # type: ignore[index]
          f"median {alert['median_ms']} ms, p90 {alert['p90_ms']} ms, p99 {alert['p99_ms']} ms, "  # type: ignore[index]
          f"max {alert['max_ms']} ms")  # type: ignore[index]
    for key, label in (("live_feed_event", "the page's live feed has the event"),
                       ("live_feed_row", "the case's row is in the inbox page")):
        if key in figures:
            f = figures[key]
            print(f"live feed, inbound webhook -> {label} ({f['n']} cases): median {f['median_ms']} ms, "  # type: ignore[index]
                  f"p90 {f['p90_ms']} ms, p99 {f['p99_ms']} ms, max {f['max_ms']} ms")  # type: ignore[index]
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    threading.excepthook = lambda args: None
    sys.exit(main())
