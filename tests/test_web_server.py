"""The Procfile's web server: a body far beyond a webhook's is refused before it is read, a graceful restart
(SIGHUP) keeps answering, and a deploy's SIGTERM lets the server finish and exit cleanly."""

from __future__ import annotations

import signal
import socket
import time

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
