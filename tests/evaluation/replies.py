"""Reading a reply: accent-free matching, and the reply without the welcome and the main menu.

Every first message of a conversation is answered after the welcome ("... In an emergency, call 911 now.") and
often with the main menu ("1 Is this normal?"). That boilerplate already contains 911, doctor / médico and normal,
so wording checks run on the *substance*: the reply with the welcome, the main menu lines and the menu prompts
removed. The wording is read from flows/triage.yaml (and the call's own phrases), never copied here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# "Press 2, or say when to worry." / "Oprima 1, o diga es normal." / "Press 1." : how a call reads any option.
VOICE_PRESS = re.compile(r"(?:Press|Oprima) \d+(?:, (?:or say|o diga) [^.?!]*)?\.")
WELCOME_MESSAGES = ("welcome", "welcome_back")
PROMPT_MESSAGES = ("choices_intro", "menu_hint", "no_match", "not_understood")
VOICE_PROMPTS = ("keys_help", "not_understood", "silence")


def fold(text: str) -> str:
    """Case- and accent-insensitive form: NFKD, combining marks dropped, casefolded."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def mentions(reply: str, wanted: tuple[str, ...]) -> bool:
    """Every wanted string is in the reply (case and accents ignored)."""
    folded = fold(reply)
    return all(fold(word) in folded for word in wanted)


@dataclass(frozen=True)
class Boilerplate:
    welcome: tuple[str, ...]  # the welcome sentences, both languages, emergency number filled in
    prompts: tuple[str, ...]  # "How can I help?", "Reply:", "Text MENU for options." ...
    sms_lines: tuple[re.Pattern[str], ...]  # "1 Is this normal?" as a whole line
    voice_labels: tuple[re.Pattern[str], ...]  # "Is this normal?" read just before "Press 1, ..."

    @classmethod
    def from_flow(cls, flows_dir: Path, emergency: str) -> Boilerplate:
        flow: dict[str, Any] = yaml.safe_load((flows_dir / "triage.yaml").read_text(encoding="utf-8"))
        messages: dict[str, dict[str, str]] = flow.get("messages") or {}
        start: dict[str, Any] = (flow.get("steps") or {}).get(flow.get("start", "menu")) or {}

        def texts(localized: dict[str, str] | None) -> list[str]:
            return [t.replace("{emergency}", emergency) for t in (localized or {}).values() if t]

        welcome = [t for name in WELCOME_MESSAGES for t in texts(messages.get(name))]
        phrases: dict[str, dict[str, str]] = yaml.safe_load((flows_dir / "voice.yaml").read_text(encoding="utf-8"))[
            "phrases"]
        welcome += texts(phrases["greeting"])
        prompts = [t for name in PROMPT_MESSAGES for t in texts(messages.get(name))]
        prompts += texts(start.get("text"))
        prompts += [t for name in VOICE_PROMPTS for t in texts(phrases[name])]
        sms_lines, voice_labels = [], []
        for choice in start.get("choices") or ():
            for label in texts(choice.get("label")):
                sms_lines.append(re.compile(rf"^{re.escape(str(choice['key']))} {re.escape(label)}$", re.M))
                spoken = label if label[-1:] in ".?!" else f"{label}."
                voice_labels.append(re.compile(rf"{re.escape(spoken)}\s+(?=(?:Press|Oprima) \d)"))
        by_length = sorted(prompts, key=len, reverse=True)  # "Reply:" must not break a longer prompt first
        return cls(tuple(welcome), tuple(by_length), tuple(sms_lines), tuple(voice_labels))

    def without_welcome(self, reply: str) -> str:
        for sentence in self.welcome:
            reply = reply.replace(sentence, "")
        return reply.strip()

    def substance(self, reply: str) -> str:
        """The reply with the welcome, the main menu and the menu prompts removed ("" when nothing else is left)."""
        text = self.without_welcome(reply)
        for pattern in (*self.sms_lines, *self.voice_labels):
            text = pattern.sub("", text)
        text = VOICE_PRESS.sub("", text)
        for prompt in self.prompts:
            text = text.replace(prompt, "")
        text = "\n".join(line.strip() for line in text.splitlines() if line.strip())
        return text if any(ch.isalnum() for ch in text) else ""
