"""The voice channel: the engine's replies read aloud, as TwiML a phone call can follow.

Pure rendering: no Redis, no Flask. `hotline.calls` decides what to say; this module decides how
it sounds (short <Say> parts, "Press 1, or say normal.") and which verbs carry it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline.engine.runner import Option, normalize

LANGUAGE_CODES = {"en": "en-US", "es": "es-US"}
MAX_SAY_CHARS = 220  # one <Say> per sentence group: a caller can take in about this much at once
MAX_HINTS = 60

# What the caller hears around the flow's own words, in each language.
PHRASES: dict[str, dict[str, str]] = {
    "greeting": {
        "en": "Hi, this is the Baby Shaky Legs Line. We share general advice from a parenting article; "
              "it does not replace a doctor. In an emergency, hang up and call {emergency} now.",
        "es": "Hola, esta es la Línea de Piernas Temblorosas. Damos consejos generales; no reemplaza al "
              "médico. En una emergencia, cuelgue y llame al {emergency} ya.",
    },
    "choose_language": {"en": "For English, press 1.", "es": "Para español, oprima 2."},
    "press": {"en": "Press {key}, or say {word}.", "es": "Oprima {key}, o diga {word}."},
    "press_only": {"en": "Press {key}.", "es": "Oprima {key}."},
    "thanks": {"en": "You're welcome.", "es": "De nada."},
    "acknowledged": {"en": "OK.", "es": "De acuerdo."},
    "keys_help": {
        "en": "Press star to hear this again, 0 for the main menu, or 9 for an emergency.",
        "es": "Oprima asterisco para repetir, 0 para el menú, o 9 para una emergencia.",
    },
    "silence": {"en": "Sorry, I did not hear anything.", "es": "Perdón, no le escuché."},
    "not_understood": {"en": "Sorry, I did not catch that.", "es": "Perdón, no le entendí."},
    "goodbye_no_answer": {
        "en": "I am sorry we could not understand each other. You can also text this number, and we "
              "will answer by text. In an emergency, call {emergency}. Goodbye.",
        "es": "Perdón, no pudimos entendernos. También puede enviar un mensaje de texto a este número y "
              "le responderemos por texto. En una emergencia, llame al {emergency}. Adiós.",
    },
    "goodbye_long_call": {
        "en": "We have reached the end of what I can do on this call. You can call again or text this "
              "number any time. In an emergency, call {emergency}. Goodbye.",
        "es": "Llegamos al final de lo que puedo hacer en esta llamada. Puede volver a llamar o enviar un "
              "mensaje a este número cuando quiera. En una emergencia, llame al {emergency}. Adiós.",
    },
    "outcome_text": {
        "en": "To get this advice by text, press 1.",
        "es": "Para recibir este consejo por texto, oprima 1.",
    },
    "emergency_text": {
        "en": "To get this advice by text, press 2.",
        "es": "Para recibir este consejo por texto, oprima 2.",
    },
    "summary_intro": {
        "en": "From your call to the Baby Shaky Legs Line:",
        "es": "De su llamada a la Línea de Piernas Temblorosas:",
    },
    "outcome_repeat": {"en": "To hear it again, press 2.", "es": "Para escucharlo otra vez, oprima 2."},
    "outcome_menu": {"en": "For the main menu, press 0.", "es": "Para el menú, oprima 0."},
    "emergency_hang_up": {
        "en": "Please hang up now and call {emergency}.",
        "es": "Por favor cuelgue ahora y llame al {emergency}.",
    },
    "offer_transfer": {
        "en": "If you cannot call {emergency}, press 1 to be connected to a nurse.",
        "es": "Si no puede llamar al {emergency}, oprima 1 para hablar con una enfermera.",
    },
    "offer_callback": {
        "en": "To ask a nurse to call you back at this number, press 1.",
        "es": "Para que una enfermera le devuelva la llamada a este número, oprima 1.",
    },
    "connecting": {
        "en": "Connecting you to a nurse. Please stay on the line.",
        "es": "Le comunicamos con una enfermera. Por favor no cuelgue.",
    },
    "transfer_done": {
        "en": "Thank you for calling. In an emergency, call {emergency}. Goodbye.",
        "es": "Gracias por llamar. En una emergencia, llame al {emergency}. Adiós.",
    },
    "transfer_failed": {
        "en": "Sorry, no nurse could answer right now. If your baby may be in danger, hang up and call "
              "{emergency} now.",
        "es": "Perdón, ninguna enfermera pudo contestar ahora. Si su bebé puede estar en peligro, cuelgue y "
              "llame al {emergency} ya.",
    },
    "record_prompt": {
        "en": "After the tone, you can leave a short message: your baby's age and what is happening. "
              "Then press the pound key, or just hang up.",
        "es": "Después del tono puede dejar un mensaje corto: la edad de su bebé y qué está pasando. "
              "Luego oprima la tecla de número, o cuelgue.",
    },
    "callback_saved": {
        "en": "Thank you. A nurse will call you back at this number. If your baby gets worse, call "
              "{emergency} now. Goodbye.",
        "es": "Gracias. Una enfermera le devolverá la llamada a este número. Si su bebé empeora, llame al "
              "{emergency} ya. Adiós.",
    },
    "no_number": {
        "en": "Sorry, I cannot see your phone number, so I cannot call or text you back.",
        "es": "Perdón, no veo su número, así que no puedo llamarle ni enviarle un texto.",
    },
    "summary_queued": {
        "en": "We will text you this advice in a moment. Thank you for calling. If anything changes, call "
              "or text us again. In an emergency, call {emergency}. Goodbye.",
        "es": "Le enviaremos este consejo por texto en un momento. Gracias por llamar. Si algo cambia, "
              "llámenos o escríbanos. En una emergencia, llame al {emergency}. Adiós.",
    },
    "outcome_checkins": {
        "en": "To get short check-in texts over the next week, press 3, or say check in.",
        "es": "Para recibir mensajes de seguimiento durante la semana, oprima 3, o diga seguimiento.",
    },
    "checkins_enrolled": {
        "en": "Done. We will text you a short check-in tomorrow morning. Reply STOP to any text to end them.",
        "es": "Listo. Le enviaremos un mensaje corto mañana por la mañana. Responda STOP para terminarlos.",
    },
    "summary_not_possible": {
        "en": "Sorry, I cannot text this number. Thank you for calling. In an emergency, call {emergency}. "
              "Goodbye.",
        "es": "Perdón, no puedo enviar textos a este número. Gracias por llamar. En una emergencia, llame "
              "al {emergency}. Adiós.",
    },
    "help": {
        "en": "This line gives general advice about a baby's shaking legs. It does not replace a doctor. "
              "In an emergency, call {emergency}.",
        "es": "Esta línea da consejos generales sobre el temblor de piernas de un bebé. No reemplaza al "
              "médico. En una emergencia, llame al {emergency}.",
    },
    "error": {
        "en": "Sorry, something went wrong on our side. If your baby may be in danger, hang up and call "
              "{emergency} now. Please call again in a minute.",
        "es": "Perdón, tuvimos un problema. Si su bebé puede estar en peligro, cuelgue y llame al "
              "{emergency} ya. Llame de nuevo en un minuto.",
    },
}

# Words a caller may say instead of pressing a key, in both languages.
KEY_WORDS: dict[str, set[str]] = {
    "repeat": {"repeat", "again", "say again", "repetir", "repita", "otra vez", "star", "asterisco"},
}
NUMBER_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "to": "2", "too": "2", "three": "3", "four": "4",
    "for": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
    "cero": "0", "uno": "1", "una": "1", "dos": "2", "tres": "3", "cuatro": "4", "cinco": "5", "seis": "6",
    "siete": "7", "ocho": "8", "nueve": "9",
}
_NUMBER_PREFIX = re.compile(r"^(?:number|option|press|numero|opcion|oprima|el|la)\s+")


def phrase(name: str, language: str, emergency: str = "") -> str:
    texts = PHRASES[name]
    return (texts.get(language) or texts["en"]).replace("{emergency}", emergency)


@dataclass(frozen=True)
class Voice:
    """How one language sounds: a Twilio voice name and its BCP-47 language code."""

    name: str
    language: str  # "en" | "es"

    @property
    def code(self) -> str:
        return LANGUAGE_CODES.get(self.language, "en-US")


# --- Reading text aloud ------------------------------------------------------------------------


def spoken_key(text: str) -> str | None:
    """A spoken key ("two", "number 2", "dos") as the digit it stands for, else None."""
    norm = _NUMBER_PREFIX.sub("", normalize(text))
    if re.fullmatch(r"\d", norm):
        return norm
    return NUMBER_WORDS.get(norm)


def speech_parts(text: str, limit: int = MAX_SAY_CHARS) -> list[str]:
    """Split text into short parts at sentence ends (never inside a sentence unless it is very long)."""
    flat = " ".join(text.replace("\n", " ").split())
    # SMS line items ("1 Is this normal?") and bullets read badly; plain sentences read well.
    flat = re.sub(r"\s*[•·]\s*", ". ", flat)
    # "100.4 F / 38 C" is written for a screen; "100.4 °F, 38 °C" is read as degrees in either language.
    flat = re.sub(r"(\d+(?:\.\d+)?) ?([FC])\b", r"\1 °\2", flat)
    flat = re.sub(r"(°[FC]) / ", r"\1, ", flat)
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", flat) if s]
    parts: list[str] = []
    for sentence in sentences:
        while len(sentence) > limit:
            cut = sentence.rfind(", ", 0, limit)
            cut = cut + 1 if cut > limit // 3 else sentence.rfind(" ", 0, limit)
            if cut <= 0:
                cut = limit
            parts.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if parts and len(parts[-1]) + 1 + len(sentence) <= limit and not parts[-1].endswith("?"):
            parts[-1] = f"{parts[-1]} {sentence}"
        elif sentence:
            parts.append(sentence)
    return parts


def spoken_word(option: Option) -> str:
    """What to tell the caller to say for an option: a word the engine matches, as close to the label as can be."""
    label = normalize(option.label)
    words = [w for w in option.words if len(normalize(w)) > 1 and not normalize(w).isdigit()]
    in_label = [w for w in words if re.search(rf"(?<!\w){re.escape(normalize(w))}(?!\w)", label)]
    if in_label:
        return max(in_label, key=len)
    return words[0] if words else option.label.rstrip("?.!")


def option_sentences(options: Sequence[Option], language: str) -> list[str]:
    """"Is this normal? Press 1, or say normal." for every option."""
    sentences = []
    for option in options:
        word = spoken_word(option)
        press = phrase("press", language).format(key=option.key, word=word)
        label = option.label.strip()
        if normalize(label) == normalize(word):
            sentences.append(press)
        else:
            end = "" if label[-1:] in ".?!" else "."
            sentences.append(f"{label}{end} {press}")
    return sentences


def hints_for(options: Sequence[Option], language: str) -> str:
    """Speech hints: the words that answer this prompt, plus the call's own key words."""
    found: list[str] = []
    for option in options:
        found.append(option.label.rstrip("?.!¿¡"))
        found.extend(w for w in option.words if len(w) > 1)
    found += ["repeat", "menu", "emergency"] if language == "en" else ["repetir", "menú", "emergencia"]
    unique = list(dict.fromkeys(h.strip() for h in found if h.strip() and "," not in h))
    return ", ".join(unique[:MAX_HINTS])


# --- TwiML -------------------------------------------------------------------------------------


def _say(target: VoiceResponse | Gather, parts: Iterable[str], voice: Voice) -> None:
    for part in parts:
        if part.strip():
            target.say(part, voice=voice.name, language=voice.code)


def ask(voice: Voice, *, before: Sequence[str], question: Sequence[str], action: str, hints: str,
        timeout: int = 6) -> VoiceResponse:
    """Say `before`, then ask `question` inside a Gather the caller can answer by key or by voice.

    Everything the caller may interrupt sits inside the Gather; with no input Twilio still posts to
    `action` (actionOnEmptyResult), and the <Redirect> after it is the fallback when it does not.
    """
    response = VoiceResponse()
    _say(response, before, voice)
    gather = Gather(
        input="dtmf speech",
        num_digits=1,
        timeout=timeout,
        speech_timeout="auto",
        hints=hints,
        action=action,
        method="POST",
        action_on_empty_result=True,
        language=voice.code,
    )
    _say(gather, question, voice)
    response.append(gather)
    response.redirect(action, method="POST")
    return response


def choose_language(english: Voice, spanish: Voice, *, greeting: Sequence[str], action: str) -> VoiceResponse:
    """The greeting, then "For English, press 1. Para español, oprima 2." (each in its own voice)."""
    response = VoiceResponse()
    _say(response, greeting, english)
    gather = Gather(
        input="dtmf speech", num_digits=1, timeout=4, speech_timeout="auto",
        hints="English, Spanish, español", action=action, method="POST",
        action_on_empty_result=True, language=english.code,
    )
    _say(gather, [phrase("choose_language", "en")], english)
    _say(gather, [phrase("choose_language", "es")], spanish)
    response.append(gather)
    response.redirect(action, method="POST")
    return response


def goodbye(voice: Voice, parts: Sequence[str]) -> VoiceResponse:
    response = VoiceResponse()
    _say(response, parts, voice)
    response.hangup()
    return response


def connect(voice: Voice, *, before: Sequence[str], number: str, action: str, timeout: int = 20) -> VoiceResponse:
    """Dial the nurse line; Twilio posts DialCallStatus to `action` when the call ends or nobody answers."""
    response = VoiceResponse()
    _say(response, before, voice)
    response.dial(number, timeout=timeout, action=action, method="POST")
    return response


def record(voice: Voice, *, before: Sequence[str], action: str, after: Sequence[str],
           max_length: int = 60) -> VoiceResponse:
    """A short recorded message; with no audio Twilio falls through to `after` and the hang-up."""
    response = VoiceResponse()
    _say(response, before, voice)
    response.record(action=action, method="POST", max_length=max_length, timeout=5,
                    finish_on_key="#", play_beep=True)
    _say(response, after, voice)
    response.hangup()
    return response


def apology(english: Voice, spanish: Voice, emergency: str) -> VoiceResponse:
    """When anything fails: sorry and the emergency number, in both languages, then hang up."""
    response = VoiceResponse()
    _say(response, [phrase("error", "en", emergency)], english)
    _say(response, [phrase("error", "es", emergency)], spanish)
    response.hangup()
    return response
