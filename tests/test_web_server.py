"""The Procfile's web server: a body far beyond a webhook's is refused before it is read, a graceful restart
(SIGHUP) keeps answering, a deploy's SIGTERM lets the server finish and exit cleanly, and staff dashboards
streaming the live feed never take the threads parents' texts need."""

from __future__ import annotations

import http.client
import re
import signal
import socket
import time
from urllib.parse import urlencode

from hotline.store.staff_accounts import StaffAccounts
from tests.test_access_log import PARENT, signed_sms, start_web


def test_a_body_far_larger_than_a_webhook_is_refused_with_413_before_it_is_sent(redis_server, redis, tmp_path):
    web, process = start_web(redis_server, tmp_path)
    try:
        with socket.create_connection(("127.0.0.1", web.port), timeout=10) as sock:
            sock.sendall(b"POST /twilio/sms HTTP/1.1\r\nHost: hotline.example.org\r\nContent-Length: 50000000\r\n"
                         b"X-Twilio-Signature: c2lnbmF0dXJl\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                         b"\r\n" + b"a" * 4096)
            answer = sock.recv(200)  # answered while 49.99 MB are still unsent
        assert answer.startswith(b"HTTP/1.1 413")
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_graceful_restart_keeps_answering_and_sigterm_ends_the_server_cleanly(redis_server, redis, tmp_path):
    web, process = start_web(redis_server, tmp_path)
    try:
        assert signed_sms(web, "hi", PARENT) == 200
        process.send_signal(signal.SIGHUP)  # new workers replace the old ones, the socket stays open
        deadline = time.monotonic() + 20
        answered = 0
        while time.monotonic() < deadline and answered < 20:
            answered += web.request("GET", "/healthz") == 200
        assert answered == 20 and process.poll() is None
        assert signed_sms(web, "1", PARENT) == 200
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0


def _log_in_over_http(web) -> str:  # type: ignore[no-untyped-def]
    """Nurse Kim's session cookie, from the login form as a browser fills it."""
    connection = http.client.HTTPConnection("127.0.0.1", web.port, timeout=10)
    connection.request("GET", "/staff/login")
    response = connection.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie", "").split(";")[0]
    [token] = re.findall(r'name="csrf_token" value="([^"]+)"', page)
    connection.request("POST", "/staff/login", body=urlencode(
        {"csrf_token": token, "username": "nurse.kim", "password": "correct horse battery"}),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    response = connection.getresponse()
    response.read()
    assert response.status == 302, response.status
    connection.close()
    return response.getheader("Set-Cookie", "").split(";")[0]


def _open_feed(web, cookie: str) -> tuple[socket.socket, bool]:  # type: ignore[no-untyped-def]
    """A dashboard's live feed, read up to its first event: the socket, and whether the server streams to it."""
    sock = socket.create_connection(("127.0.0.1", web.port), timeout=10)
    sock.sendall(f"GET /staff/cases/feed HTTP/1.1\r\nHost: hotline.example.org\r\nCookie: {cookie}\r\n"
                 "Accept: text/event-stream\r\n\r\n".encode())
    received = b""
    while b"event: hello" not in received or b"\n\n" not in received.split(b"event: hello", 1)[1]:
        chunk = sock.recv(4096)  # a feed that gets no thread times out here: the test fails
        assert chunk, received
        received += chunk
    return sock, b'"streaming":true' in received


def test_parents_are_answered_while_more_dashboards_stream_the_live_feed_than_there_are_threads(
        redis_server, redis, tmp_path):
    """A streaming live feed holds one of the web process's threads for up to 15 s. Six nurses' dashboards on one
    process (the Procfile's default threads) must neither wait for a thread nor hold every thread: a parent's text
    is answered while the streams are still open."""
    StaffAccounts(redis).add("nurse.kim", "correct horse battery")
    web, process = start_web(redis_server, tmp_path)
    feeds: list[tuple[socket.socket, bool]] = []
    try:
        cookie = _log_in_over_http(web)
        feeds = [_open_feed(web, cookie) for _ in range(6)]
        streaming = [sock for sock, streams in feeds if streams]
        assert streaming, "no dashboard got a live stream"
        assert signed_sms(web, "hi", PARENT) == 200
        for sock in streaming:  # still streaming: the text did not wait for a stream to end
            sock.settimeout(5)
            assert sock.recv(4096), "a stream had ended before the parent was answered"
    finally:
        for sock, _ in feeds:
            sock.close()
        process.terminate()
        process.wait(timeout=30)
