"""Assessment levels and the article's sections: the vocabulary every engine module shares."""

from __future__ import annotations

from enum import IntEnum


class Level(IntEnum):
    """How soon a baby should be seen. Higher is more serious; the highest level found wins."""

    HOME = 0  # normal; home care and soothing
    SOON = 1  # contact the pediatrician within a day or two
    URGENT = 2  # see a doctor today / go in now
    EMERGENCY = 3  # call the emergency number now

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Level:
        try:
            return cls[value.strip().upper()]
        except KeyError:
            names = ", ".join(level.label for level in cls)
            raise ValueError(f"unknown level {value!r} (expected one of: {names})") from None


# Section headings of ../shared/source/why-babies-legs-shake.txt, in article order, as short ids.
# Every guidance passage names one of these ids, so staff can trace advice back to its source.
SECTIONS: dict[str, str] = {
    "intro": "Unraveling the Mystery: Why Do Babies' Legs Shake? (introduction)",
    "natural-tremors": "Understanding the Natural Tremors in Babies' Legs",
    "why": "Why Do Babies' Legs Shake?",
    "when-concerned": "When Should You Be Concerned?",
    "ease": "How Can You Ease Your Baby's Shaking Legs?",
    "bottom-line": "The Bottom Line",
    "physiology": "The Physiology of Baby Leg Shaking",
    "when-worry": "When to Worry about Baby Leg Shaking",
    "soothe": "How Can Parents Help Soothe Baby Leg Shaking?",
    "faq": "Questions and answers (Q: / A:)",
    "conclusion": "In conclusion (closing paragraphs)",
    # Not the article: the pediatric telephone-triage rules it is silent on (docs/clinical-rules.md).
    "triage-rules": "Pediatric telephone-triage rules (docs/clinical-rules.md, from CLINICAL-RULES.md)",
}
