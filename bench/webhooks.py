"""Webhook throughput, latency and server CPU under a real HTTP server, on loopback only.

The server is started from a one-line command, as a Heroku-style platform starts the Procfile's web line
(`bash -c "exec <line>"` with PORT set): by default the Procfile's own line, so `make bench` measures what
production runs. The same line with the app swapped for bench/reference_app.py (a minimal stateless
Flask TwiML app) gives the in-repo reference the hotline's req/s is reported against, in the same run; swapped
for bench/floor_app.py (signature, two Redis round trips, compare-and-set, idempotency and nothing else) it
gives the floor: what any webhook keeping those guarantees costs on this machine and server.

Load: signed SMS webhooks from a pool of 6,000 distinct callers, each playing a realistic conversation in
order (menu, symptom check, free text, red flags), `concurrency` callers at a time, each over a kept-alive
socket when the server keeps it (else a new connection per request, inside the timed span, as Twilio
would pay). Requests are signed and serialized before the clock starts. Server CPU is read from /proc for
the server's whole process tree (master and workers); Redis's own CPU is not in it.
"""

from __future__ import annotations

import http.client
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from twilio.request_validator import RequestValidator

from hotline.redis_server import RedisServer, free_port

ROOT = Path(__file__).resolve().parent.parent
AUTH_TOKEN = "bench-auth-token"
ACCOUNT_SID = "AC" + "b" * 32
PUBLIC = "https://hotline.example.org"  # what Twilio signs; every server runs with PUBLIC_BASE_URL set to it
HOTLINE = "hotline:create_app"
REFERENCE = "bench.reference_app:create_app"
FLOOR = "bench.floor_app:create_app"  # the least a webhook that keeps the guarantees can do
APPS = {"hotline": HOTLINE, "reference": REFERENCE, "floor": FLOOR}
CALLERS = 6000  # distinct numbers in the pool (the per-number flood limit trips with too few)

# Realistic multi-step conversations: menu, symptom check, free text and red flags.
SCRIPTS = [
    ["hi", "4", "1", "2", "1", "2", "4", "4"],
    ["my 2 month old's leg keeps shaking and she feels hot", "no", "menu", "3", "1"],
    ["is it normal for my baby's legs to shake?", "1", "2", "1"],
    ["hola", "4", "2", "no", "si", "no", "4", "1"],
    ["his legs shake when he is tired", "how can i calm him down", "4", "3", "2", "1", "2", "4", "4", "no"],
    ["she is having a seizure", "menu", "2", "1"],
]


def procfile_line(kind: str) -> str:
    """The Procfile's command line for `kind` (web, worker...), as the platform runs it."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{kind}:"):
            return line.removeprefix(f"{kind}:").strip()
    raise RuntimeError(f"no {kind} line in the Procfile")


def procfile_web() -> str:
    """The Procfile's web command line, as the platform runs it."""
    return procfile_line("web")


@dataclass
class LoadResult:
    concurrency: int
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    server_cpu_s: float
    callers: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def row(self) -> dict[str, float]:
        return {"concurrency": self.concurrency, "requests": self.requests, "errors": self.errors,
                "rps": self.rps, "p50_ms": self.pct(50), "p90_ms": self.pct(90), "p99_ms": self.pct(99),
                "server_cpu_ms_per_request": 1000 * self.server_cpu_s / max(1, self.requests),
                "distinct_callers": self.callers}


def _cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


def _process_tree(root: int) -> list[int]:
    """`root` and all its descendants (a server's master and its workers)."""
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                todo += [int(p) for p in (task / "children").read_text().split()]
            except OSError:
                pass
    return pids


class Server:
    """A server started from a one-line command (default: the Procfile's web line) with `app` in place of the
    hotline's factory, and, for the hotline, its own Redis; on a free loopback port."""

    def __init__(self, command: str | None = None, app: str = HOTLINE, extra_env: dict[str, str] | None = None,
                 timeout: float = 60.0) -> None:
        self.command = (command or procfile_web()).replace("0.0.0.0", "127.0.0.1").replace(HOTLINE, app)
        self.redis = RedisServer(port=free_port()).start() if app != REFERENCE else None
        self.port = free_port()
        self.log = tempfile.TemporaryFile()  # stdout and stderr, as a platform's log router would take them
        env = dict(os.environ, PORT=str(self.port), TWILIO_AUTH_TOKEN=AUTH_TOKEN, HOTLINE_ENV="production",
                   HOTLINE_SECRET_KEY="bench", PUBLIC_BASE_URL=PUBLIC, PYTHONPATH=str(ROOT),
                   PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}", **(extra_env or {}))
        if self.redis is not None:
            env["REDIS_URL"] = self.redis.url
        self.process = subprocess.Popen(["bash", "-c", "exec " + self.command], env=env, cwd=ROOT,
                                        stdout=self.log, stderr=self.log, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        self.log.seek(0)
        raise RuntimeError(f"server did not start: {self.command}\n{self.log.read()[-2000:].decode(errors='replace')}")

    def pids(self) -> list[int]:
        return _process_tree(self.process.pid)

    def stop(self) -> None:
        """SIGTERM to the server's own process group (it was started in a new session), then SIGKILL."""
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
                self.process.wait(timeout=wait)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        if self.redis is not None:
            self.redis.stop()
            self.redis = None
        self.log.close()


def _signed(body: str, number: str, rng: random.Random, validator: RequestValidator) -> bytes:
    """A complete HTTP/1.1 request, with Twilio's usual parameters, signed for PUBLIC as Twilio signs it."""
    sid = f"SM{rng.getrandbits(128):032x}"
    params = {"ToCountry": "US", "ToState": "CA", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "",
              "FromZip": "", "SmsSid": sid, "FromState": "", "SmsStatus": "received", "FromCity": "",
              "Body": body, "FromCountry": "US", "To": "+15005550006", "ToZip": "", "NumSegments": "1",
              "MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": number, "ApiVersion": "2010-04-01"}
    signature = validator.compute_signature(PUBLIC + "/twilio/sms", params)
    payload = urllib.parse.urlencode(params).encode()
    head = (f"POST /twilio/sms HTTP/1.1\r\nHost: hotline.example.org\r\nX-Twilio-Signature: {signature}\r\n"
            f"I-Twilio-Idempotency-Token: {rng.getrandbits(64):016x}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(payload)}\r\n\r\n")
    return head.encode() + payload


@dataclass
class Pool:
    """Signed conversations, one per distinct caller: signed once per process (the signature does not depend
    on the server's port), and replayable on any server that starts with an empty Redis."""

    conversations: list[list[bytes]] = field(default_factory=list)

    @classmethod
    def build(cls, callers: int = CALLERS, first: int = 0, seed: int = 7) -> Pool:
        rng, validator = random.Random(seed), RequestValidator(AUTH_TOKEN)
        return cls([[_signed(body, f"+1202{n:07d}", rng, validator) for body in SCRIPTS[n % len(SCRIPTS)]]
                    for n in range(first, first + callers)])


_POOLS: dict[str, Pool] = {}


def pools() -> tuple[Pool, Pool]:
    """The measured pool and a separate warm-up pool (other numbers)."""
    if not _POOLS:
        _POOLS["run"] = Pool.build(CALLERS, first=0)
        _POOLS["warm"] = Pool.build(200, first=9_000_000, seed=8)
    return _POOLS["run"], _POOLS["warm"]


def _exchange(sock: socket.socket, request: bytes) -> tuple[int, bool]:
    """Send one request and read the whole response: (status, whether the server keeps the connection)."""
    sock.sendall(request)
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    length = 0
    keep = True
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
        if name.strip().lower() == b"connection" and value.strip().lower() == b"close":
            keep = False
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        rest += chunk
    return int(head.split(b" ", 2)[1]), keep


def drive(server: Server, concurrency: int, pool: Pool, max_requests: int = 20_000,
          max_seconds: float = 6.0) -> LoadResult:
    """`concurrency` client threads; thread t plays the conversations t, t + concurrency, ... in order,
    until `max_seconds` or `max_requests` (shared) run out."""
    latencies: list[float] = []
    errors, callers, sent = [0], [0], [0]
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds

    def connect() -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=15)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def client(conversations: list[list[bytes]]) -> None:
        sock: socket.socket | None = None
        mine: list[float] = []
        failed = started_conversations = 0
        for conversation in conversations:
            if time.monotonic() > deadline or sent[0] >= max_requests:
                break
            started_conversations += 1
            for request in conversation:
                start = time.perf_counter()
                try:
                    sock = sock or connect()
                    status, keep = _exchange(sock, request)
                    ok = status == 200
                except OSError:
                    ok, keep = False, False
                if not keep and sock is not None:
                    sock.close()
                    sock = None
                mine.append((time.perf_counter() - start) * 1000)
                failed += 0 if ok else 1
                sent[0] += 1  # approximate across threads: only a bound
        if sock is not None:
            sock.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed
            callers[0] += started_conversations

    work = [pool.conversations[t::concurrency] for t in range(concurrency)]
    pids = server.pids()
    cpu_before = _cpu_seconds(pids)
    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(items,)) for items in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds(pids) - cpu_before
    return LoadResult(concurrency, len(latencies), errors[0], seconds, latencies, cpu, callers[0])


def measure(command: str | None, app: str, concurrency: int, seconds: float = 6.0) -> LoadResult:
    """One run on a fresh server (and a fresh Redis): a short warm-up, then the measured load."""
    run_pool, warm_pool = pools()
    server = Server(command, app)
    try:
        drive(server, min(concurrency, 8), warm_pool, max_requests=400, max_seconds=2)
        return drive(server, concurrency, run_pool, max_seconds=seconds)
    finally:
        server.stop()


def _median_row(results: list[LoadResult]) -> dict[str, float]:
    rows = [r.row() for r in results]
    merged = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
    merged["errors"] = max(row["errors"] for row in rows)
    merged["runs"] = len(rows)
    return merged


def run(repetitions: int = 3, concurrencies: tuple[int, ...] = (1, 8, 32), seconds: float = 6.0,
        command: str | None = None) -> dict[str, list[dict[str, float]]]:
    """The Procfile's web line, hotline, stateless reference and floor interleaved (hotline, reference, floor,
    hotline...), medians of `repetitions` runs at each concurrency."""
    out: dict[str, list[dict[str, float]]] = {name: [] for name in APPS}
    for concurrency in concurrencies:
        results: dict[str, list[LoadResult]] = {name: [] for name in APPS}
        for _ in range(repetitions):
            for name, app in APPS.items():
                results[name].append(measure(command, app, concurrency, seconds))
        for name, found in results.items():
            out[name].append(_median_row(found))
    return out
