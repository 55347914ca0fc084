"""Start-up: from `hotline dev` to the first answered signed webhook."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from twilio.request_validator import RequestValidator

from hotline.redis_server import free_port


def run() -> dict[str, float]:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "TWILIO_", "HOTLINE_"))}
        token = "bench-startup-signing-token"  # dev.json holds no token: sign with the one dev is given
        env.update(HOTLINE_PORT=str(port), HOTLINE_DATA_DIR=str(Path(tmp) / "var"), TWILIO_AUTH_TOKEN=token)
        started = time.perf_counter()
        dev = subprocess.Popen([str(Path(sys.executable).parent / "hotline"), "dev"], env=env, cwd=tmp,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            state_file = Path(tmp) / "var" / "dev.json"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if state_file.exists():
                    try:
                        params = {"MessageSid": "SM" + "1" * 32, "From": "+12025550100", "To": "+15005550006",
                                  "Body": "hi", "AccountSid": "AC" + "1" * 32}
                        url = f"http://127.0.0.1:{port}/twilio/sms"
                        signature = RequestValidator(token).compute_signature(url, params)
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                        conn.request("POST", "/twilio/sms", body=urllib.parse.urlencode(params),
                                     headers={"X-Twilio-Signature": signature,
                                              "Content-Type": "application/x-www-form-urlencoded"})
                        if conn.getresponse().status == 200:
                            return {"seconds_to_first_webhook": time.perf_counter() - started}
                    except OSError:
                        pass
                time.sleep(0.05)
            raise RuntimeError("hotline dev did not answer within 60 s")
        finally:
            os.killpg(dev.pid, signal.SIGINT)
            dev.wait(timeout=30)
