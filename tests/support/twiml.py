"""What Twilio documents for voice TwiML: verbs, nesting, attributes and their values.

There is no public XSD, so this is written from Twilio's TwiML reference pages (<Say>, <Gather>,
<Dial>, <Record>, <Redirect>, <Hangup>, <Pause>, <Play>). `check_voice_twiml` returns every problem.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

BOOL = {"true", "false"}
METHODS = {"GET", "POST"}
URL = re.compile(r"^(/[\w\-./]*(\?[\w\-=&.%]*)?|https://\S+)$")
INT = re.compile(r"^\d+$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")

# Say's languages for the voices this app uses (Amazon Polly, standard and neural).
POLLY_VOICES = {
    "Polly.Joanna": "en-US", "Polly.Joanna-Neural": "en-US", "Polly.Matthew": "en-US", "Polly.Salli": "en-US",
    "Polly.Lupe": "es-US", "Polly.Lupe-Neural": "es-US", "Polly.Penelope": "es-US", "Polly.Miguel": "es-US",
}
LANGUAGES = {"en-US", "es-US", "en-GB", "es-ES", "es-MX"}

ATTRIBUTES: dict[str, dict[str, object]] = {
    "Response": {},
    "Say": {"voice": set(POLLY_VOICES) | {"man", "woman", "alice"}, "language": LANGUAGES, "loop": INT},
    "Play": {"loop": INT, "digits": re.compile(r"^[0-9w*#]+$")},
    "Pause": {"length": INT},
    "Gather": {
        "action": URL, "method": METHODS, "input": {"dtmf", "speech", "dtmf speech", "speech dtmf"},
        "timeout": INT, "speechTimeout": re.compile(r"^(auto|\d+)$"), "numDigits": INT,
        "finishOnKey": re.compile(r"^[0-9#*]?$"), "hints": re.compile(r"^[^<>]{0,10000}$"),
        "language": LANGUAGES, "actionOnEmptyResult": BOOL, "profanityFilter": BOOL,
        "speechModel": {"default", "numbers_and_commands", "phone_call", "experimental_conversations"},
        "enhanced": BOOL, "partialResultCallback": URL, "partialResultCallbackMethod": METHODS,
    },
    "Dial": {
        "action": URL, "method": METHODS, "timeout": INT, "callerId": E164, "hangupOnStar": BOOL,
        "timeLimit": INT, "answerOnBridge": BOOL, "record": {"do-not-record", "record-from-answer",
                                                               "record-from-ringing"},
    },
    "Record": {
        "action": URL, "method": METHODS, "timeout": INT, "finishOnKey": re.compile(r"^[0-9#*]*$"),
        "maxLength": INT, "playBeep": BOOL, "trim": {"trim-silence", "do-not-trim"}, "transcribe": BOOL,
        "recordingStatusCallback": URL,
    },
    "Redirect": {"method": METHODS},
    "Hangup": {},
}
CHILDREN = {
    "Response": {"Say", "Play", "Pause", "Gather", "Dial", "Record", "Redirect", "Hangup"},
    "Gather": {"Say", "Play", "Pause"},
    "Dial": {"Number"},
}
TEXT_REQUIRED = {"Say", "Redirect"}
FINAL = {"Redirect", "Hangup"}  # nothing after these is ever reached
RANGES = {("Gather", "numDigits"): (1, 99), ("Gather", "timeout"): (1, 60), ("Dial", "timeout"): (5, 600),
          ("Record", "maxLength"): (1, 14400), ("Record", "timeout"): (0, 600), ("Pause", "length"): (1, 100)}


def _value_ok(rule: object, value: str) -> bool:
    if isinstance(rule, set):
        return value in rule
    if isinstance(rule, re.Pattern):
        return bool(rule.match(value))
    return False


def check_voice_twiml(document: bytes | str) -> list[str]:
    problems: list[str] = []
    try:
        root = ET.fromstring(document)
    except ET.ParseError as error:
        return [f"not XML: {error}"]
    if root.tag != "Response":
        return [f"root is <{root.tag}>, not <Response>"]
    if not list(root):
        problems.append("empty <Response> (a call would hang up at once)")

    def visit(element: ET.Element, parent: str | None) -> None:
        tag = element.tag
        if tag == "Number":
            if not E164.match((element.text or "").strip()):
                problems.append(f"<Number> is not E.164: {element.text!r}")
            return
        if tag not in ATTRIBUTES:
            problems.append(f"unknown verb <{tag}>")
            return
        if parent is not None and tag not in CHILDREN.get(parent, set()):
            problems.append(f"<{tag}> may not be inside <{parent}>")
        for name, value in element.attrib.items():
            rule = ATTRIBUTES[tag].get(name)
            if rule is None:
                problems.append(f"<{tag}> has undocumented attribute {name}")
            elif not _value_ok(rule, value):
                problems.append(f"<{tag} {name}={value!r}> is not a documented value")
            elif (tag, name) in RANGES:
                low, high = RANGES[(tag, name)]
                if not low <= int(value) <= high:
                    problems.append(f"<{tag} {name}={value}> is outside {low}..{high}")
        text = (element.text or "").strip()
        if tag in TEXT_REQUIRED and not text:
            problems.append(f"<{tag}> has no text")
        if tag == "Say":
            voice, language = element.get("voice"), element.get("language")
            if voice in POLLY_VOICES and language and POLLY_VOICES[voice] != language:
                problems.append(f"voice {voice} does not speak {language}")
            if len(text) > 4096:
                problems.append("<Say> longer than 4096 characters")
        if tag == "Redirect" and not URL.match(text):
            problems.append(f"<Redirect> to {text!r} is not a URL")
        if tag == "Dial" and not list(element) and not E164.match(text):
            problems.append(f"<Dial> number {text!r} is not E.164")
        if tag in ("Say", "Redirect", "Pause", "Hangup", "Record", "Play") and list(element):
            problems.append(f"<{tag}> may not contain verbs")
        for child in element:
            visit(child, tag)

    verbs = list(root)
    for index, child in enumerate(verbs):
        if child.tag in FINAL and index != len(verbs) - 1:
            problems.append(f"verbs after <{child.tag}> are never reached")
        visit(child, "Response")
    return problems
