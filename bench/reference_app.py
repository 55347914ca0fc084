"""The in-repo stateless reference: a minimal Flask TwiML app, written as Twilio's own quick-start samples are.

No signature check, no Redis, no state: the Body picks one of a few fixed menu replies, built with twilio's
MessagingResponse. `make bench` runs it under exactly the server command line the hotline runs under and
reports the hotline's req/s as a ratio of this one's, in the same run: what the server, Flask and werkzeug
cost by themselves, and so how much of the gap is the hotline's own work.
"""

from __future__ import annotations

from flask import Flask, Response, request
from twilio.twiml.messaging_response import MessagingResponse

MENU = {
    "1": "Shaky legs in a newborn are usually normal: an immature nervous system. Reply 0 for the menu.",
    "2": "Call your doctor if the shaking comes with a fever, stiffness or poor feeding. Reply 0 for the menu.",
    "3": "In an emergency, call 911 now.",
}
WELCOME = "Welcome. Reply 1 for why legs shake, 2 for when to call a doctor, 3 for emergencies."


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/twilio/sms")
    def sms() -> Response:
        reply = MessagingResponse()
        reply.message(MENU.get((request.form.get("Body") or "").strip(), WELCOME))
        return Response(str(reply), mimetype="text/xml")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
