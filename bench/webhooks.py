"""Webhook throughput and latency under gunicorn (the Procfile's web settings), on loopback only."""

from __future__ import annotations

import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from twilio.request_validator import RequestValidator

from hotline.redis_server import RedisServer, free_port

ROOT = Path(__file__).resolve().parent.parent
AUTH_TOKEN = "bench-auth-token"
ACCOUNT_SID = "AC" + "b" * 32

# Realistic multi-step conversations: menu, symptom check, free text and red flags.
SCRIPTS = [
    ["hi", "4", "1", "2", "1", "2", "4", "4"],
    ["my 2 month old's leg keeps shaking and she feels hot", "no", "menu", "3", "1"],
    ["is it normal for my baby's legs to shake?", "1", "2", "1"],
    ["hola", "4", "2", "no", "si", "no", "4", "1"],
    ["his legs shake when he is tired", "how can i calm him down", "4", "3", "2", "1", "2", "4", "4", "no"],
    ["she is having a seizure", "menu", "2", "1"],
]


@dataclass
class LoadResult:
    concurrency: int
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    server_cpu_s: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


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


def _gunicorn_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    kids = [int(p) for p in children.read_text().split()] if children.exists() else []
    return [master, *kids]


class Server:
    """Redis + gunicorn with the Procfile's web settings (2 workers x 4 threads), on free loopback ports.

    Tried at concurrency 32 on 2 cores (one run each, +-30% run to run): 2 x 4 threads 906 req/s,
    p99 65 ms; 3 x 1 1,175 req/s, p99 63 ms; 4 x 1 773 req/s, p99 70 ms; 4 x 2 990 req/s, p99 106 ms.
    No setting wins beyond the noise, so the Procfile keeps threads: they keep connections alive and
    a slow Redis call then blocks one thread, not a whole process.
    """

    def __init__(self, workers: int = 2, threads: int = 4) -> None:
        self.redis = RedisServer(port=free_port()).start()
        self.port = free_port()
        env = dict(os.environ, REDIS_URL=self.redis.url, TWILIO_AUTH_TOKEN=AUTH_TOKEN, HOTLINE_ENV="production",
                   HOTLINE_SECRET_KEY="bench", PUBLIC_BASE_URL=f"http://127.0.0.1:{self.port}")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{self.port}", "--workers",
             str(workers), "--threads", str(threads), "--log-level", "warning", "hotline:create_app()"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.redis.stop()


def _signed(port: int, body: str, number: str) -> bytes:
    """A complete HTTP/1.1 request, signed as Twilio signs it, serialized ahead of the timed loop."""
    sid = f"SM{random.getrandbits(128):032x}"
    params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT_SID, "From": number, "To": "+15005550006",
              "Body": body, "NumMedia": "0", "NumSegments": "1", "ApiVersion": "2010-04-01"}
    url = f"http://127.0.0.1:{port}/twilio/sms"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    payload = urllib.parse.urlencode(params).encode()
    head = (f"POST /twilio/sms HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Twilio-Signature: {signature}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(payload)}\r\n\r\n")
    return head.encode() + payload


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


def drive(server: Server, concurrency: int, numbers: int = 1000, max_requests: int = 3000,
          max_seconds: float = 20.0) -> LoadResult:
    """Each client thread plays whole conversations for its own share of `numbers` distinct numbers.

    Requests are signed and serialized before the clock starts and sent over raw kept-alive sockets,
    so the load generator spends as little as possible of the two cores it shares with the server.
    """
    work: list[list[bytes]] = [[] for _ in range(concurrency)]
    count = 0
    for n in range(numbers):
        number = f"+1202555{n:04d}"
        for body in SCRIPTS[n % len(SCRIPTS)]:
            work[n % concurrency].append(_signed(server.port, body, number))
            count += 1
        if count >= max_requests:
            break
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds

    def connect() -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=15)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def client(items: list[bytes]) -> None:
        sock: socket.socket | None = None
        mine = []
        failed = 0
        for request in items:
            if time.monotonic() > deadline:
                break
            start = time.perf_counter()
            try:
                # A server that closes after each answer (gunicorn's sync workers) costs a connect each
                # time, inside the timed span, as it would for Twilio.
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
        if sock is not None:
            sock.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    pids = _gunicorn_pids(server.process.pid)
    cpu_before = _cpu_seconds(pids)
    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(items,)) for items in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    return LoadResult(concurrency, len(latencies), errors[0], seconds, latencies, _cpu_seconds(pids) - cpu_before)


def run(repetitions: int = 3) -> list[dict[str, float]]:
    rows = []
    for concurrency in (1, 8, 32):
        results = []
        for _ in range(repetitions):
            server = Server()
            try:
                drive(server, concurrency, numbers=60, max_requests=200)  # warm-up
                results.append(drive(server, concurrency))
            finally:
                server.stop()
        rows.append({
            "concurrency": concurrency,
            "requests": statistics.median(r.requests for r in results),
            "errors": max(r.errors for r in results),
            "rps": statistics.median(r.rps for r in results),
            "p50_ms": statistics.median(r.pct(50) for r in results),
            "p90_ms": statistics.median(r.pct(90) for r in results),
            "p99_ms": statistics.median(r.pct(99) for r in results),
            "server_cpu_ms_per_request": statistics.median(1000 * r.server_cpu_s / r.requests for r in results),
        })
    return rows
