"""The guidance passages: what they must contain, how they must read, and how a broken file is reported."""

from __future__ import annotations

import copy
import dataclasses
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from hotline.engine.guidance import ContentError, Passage, parse_passages
from hotline.engine.levels import SECTIONS

REPO = Path(__file__).resolve().parent.parent
GUIDANCE = REPO / "flows" / "guidance.yaml"
# The source article sits beside the repository (../shared/source), as in the team's workspace and CI.
ARTICLE = Path(os.environ.get("HOTLINE_ARTICLE") or REPO.parent / "shared" / "source" / "why-babies-legs-shake.txt")

REQUIRED_IDS = [
    "normal-common",
    "normal-fades",
    "why-nervous-system",
    "why-startle-reflex",
    "why-tired",
    "why-feeding",
    "why-low-blood-sugar",
    "why-medicines",
    "why-cold-scared",
    "flag-persistent",
    "flag-fever",
    "flag-lethargy",
    "flag-poor-feeding",
    "flag-vomiting",
    "flag-breathing",
    "flag-one-side",
    "flag-after-6-months",
    "flag-weight-bearing",
    "flag-seizure",
    "flag-more-frequent",
    "doctor-when",
    "soothe-hold-calm",
    "soothe-warm",
    "soothe-massage",
    "soothe-pacifier",
    "soothe-swaddle",
    "soothe-tummy-time",
    "soothe-no-fuss",
]

# GSM 03.38 basic character set, written out here so the spec does not trust the code it checks.
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
SPANISH_ACCENTS = set("áíóúÁÍÓÚ")
TU_FORMS = {"tu", "tú", "tus", "ti", "contigo", "tienes", "puedes", "quieres", "estás", "debes"}
MAX_SENTENCE_WORDS = 20
# The engine replaces this with the emergency number before sending; braces are not plain GSM-7.
EMERGENCY = "{emergency}"


def load_passages() -> dict[str, Passage]:
    return parse_passages(yaml.safe_load(GUIDANCE.read_text(encoding="utf-8")), str(GUIDANCE))


PASSAGES = load_passages()
ALL_IDS = list(PASSAGES)


def sentences(text: str) -> list[str]:
    return [part for part in re.split(r"(?<=[.!?:])\s+", text.strip()) if part]


def words(text: str) -> list[str]:
    """Lowercase words with curly quotes, apostrophes and punctuation taken out."""
    text = text.lower().replace("\u2019", "").replace("\u2018", "").replace("'", "")
    return re.findall(r"[a-z0-9]+", text)


# --- the content file -------------------------------------------------------------------------------


def test_content_file_parses_and_has_passages():
    assert len(PASSAGES) >= len(REQUIRED_IDS)


@pytest.mark.parametrize("passage_id", REQUIRED_IDS)
def test_every_required_passage_exists(passage_id):
    assert passage_id in PASSAGES, f"flows/guidance.yaml must have a passage with id {passage_id!r}"


@pytest.mark.parametrize("passage_id", ALL_IDS)
def test_every_passage_names_a_known_section_and_topic(passage_id):
    passage = PASSAGES[passage_id]
    assert passage.section in SECTIONS
    assert passage.topic in {"normal", "why", "worry", "soothe", "doctor"}


@pytest.mark.parametrize("passage_id", ALL_IDS)
def test_every_passage_has_text_questions_and_keywords_in_english_and_spanish(passage_id):
    passage = PASSAGES[passage_id]
    for language in ("en", "es"):
        assert passage.text[language].strip()
        assert passage.questions[language], f"{passage_id}: add questions.{language}"
        assert passage.keywords[language], f"{passage_id}: add keywords.{language}"


@pytest.mark.parametrize("passage_id", ALL_IDS)
def test_english_text_is_plain_gsm7_within_300_characters(passage_id):
    assert len(PASSAGES[passage_id].text["en"]) <= 300
    text = PASSAGES[passage_id].text["en"].replace(EMERGENCY, "")
    assert text.isascii(), [character for character in text if not character.isascii()]
    assert set(text) <= GSM7_BASIC, set(text) - GSM7_BASIC


@pytest.mark.parametrize("passage_id", ALL_IDS)
def test_spanish_text_fits_150_characters_in_gsm7_plus_accented_vowels(passage_id):
    assert len(PASSAGES[passage_id].text["es"]) <= 150
    text = PASSAGES[passage_id].text["es"].replace(EMERGENCY, "")
    assert set(text) <= GSM7_BASIC | SPANISH_ACCENTS, set(text) - GSM7_BASIC - SPANISH_ACCENTS


@pytest.mark.parametrize("passage_id", ALL_IDS)
def test_spanish_text_speaks_to_the_parent_as_usted(passage_id):
    spanish_words = set(re.findall(r"\w+", PASSAGES[passage_id].text["es"].lower()))
    assert not spanish_words & TU_FORMS


@pytest.mark.parametrize("passage_id", ALL_IDS)
@pytest.mark.parametrize("language", ["en", "es"])
def test_sentences_are_short_enough_to_read_at_3_am(passage_id, language):
    for sentence in sentences(PASSAGES[passage_id].text[language]):
        assert len(sentence.split()) <= MAX_SENTENCE_WORDS, sentence


@pytest.fixture
def article() -> list[str]:
    """The article's words. A clone outside the workspace has no ../shared: skip there, never on CI."""
    if not ARTICLE.exists():
        assert not os.environ.get("CI"), f"CI must have the source article at {ARTICLE}"
        pytest.skip(f"the source article is not at {ARTICLE} (set HOTLINE_ARTICLE to its path)")
    return words(ARTICLE.read_text(encoding="utf-8"))


def test_no_passage_copies_six_words_in_a_row_from_the_article(article):
    runs = {tuple(article[i : i + 6]) for i in range(len(article) - 5)}
    copied = []
    for passage in PASSAGES.values():
        text = words(passage.text["en"])
        copied += [
            f"{passage.id}: {' '.join(text[i : i + 6])}"
            for i in range(len(text) - 5)
            if tuple(text[i : i + 6]) in runs
        ]
    assert copied == []


def test_the_copy_check_would_catch_a_copied_sentence(article):
    runs = {tuple(article[i : i + 6]) for i in range(len(article) - 5)}
    copied = words("This type of shaking usually stops once the baby falls asleep.")
    assert any(tuple(copied[i : i + 6]) in runs for i in range(len(copied) - 5))


@pytest.mark.parametrize("passage_id", [pid for pid in ALL_IDS if PASSAGES[pid].topic in {"worry", "doctor"}])
def test_every_red_flag_tells_the_parent_whom_to_contact(passage_id):
    passage = PASSAGES[passage_id]
    assert re.search(r"doctor|pediatrician|emergency|medical", passage.text["en"], re.IGNORECASE)
    assert re.search(r"médic[oa]|pediatra|emergencia", passage.text["es"], re.IGNORECASE)


def test_seizure_passage_sends_the_parent_to_emergency_care_now_with_the_number():
    passage = PASSAGES["flag-seizure"]
    assert "emergency care right now" in passage.text["en"] and EMERGENCY in passage.text["en"]
    assert "emergencia" in passage.text["es"] and EMERGENCY in passage.text["es"]


def test_startle_reflex_passage_names_moro_and_the_age_it_fades():
    text = PASSAGES["why-startle-reflex"].text["en"]
    assert "Moro" in text and "4" in text and "6 months" in text


def test_tummy_time_passage_sends_parents_to_a_professional_for_exercises():
    text = PASSAGES["soothe-tummy-time"].text["en"].lower()
    assert "stretch" in text and "pediatrician" in text and "physical therapist" in text


# --- the passage model --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"), [("es", "es"), ("es-MX", "es"), ("en", "en"), ("fr", "en"), ("", "en")]
)
def test_in_language_falls_back_to_english(language, expected):
    passage = PASSAGES["normal-common"]
    assert passage.in_language(language) == passage.text[expected]


def test_passages_are_frozen_and_hashable():
    passage = PASSAGES["why-tired"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        passage.id = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        passage.text["en"] = "changed"  # type: ignore[index]
    assert {passage: 1}[passage] == 1


def test_passages_keep_the_order_of_the_file():
    data = yaml.safe_load(GUIDANCE.read_text(encoding="utf-8"))
    assert ALL_IDS == [entry["id"] for entry in data["passages"]]


# --- the parser's error messages ----------------------------------------------------------------------

SOURCE = "flows/test-guidance.yaml"


def valid_passage(**changes: Any) -> dict[str, Any]:
    passage: dict[str, Any] = {
        "id": "why-test",
        "section": "physiology",
        "topic": "why",
        "text": {"en": "Plain words.", "es": "Palabras sencillas."},
        "questions": {"en": ["why"], "es": ["por qué"]},
        "keywords": {"en": ["why"], "es": ["causa"]},
    }
    passage.update(changes)
    return passage


def parse(*entries: dict[str, Any]) -> dict[str, Passage]:
    return parse_passages({"passages": list(entries)}, SOURCE)


def with_text(language: str, text: str) -> dict[str, Any]:
    passage = valid_passage()
    passage["text"] = {**passage["text"], language: text}
    return passage


def without(key: str) -> dict[str, Any]:
    passage = valid_passage()
    del passage[key]
    return passage


def test_a_valid_passage_parses():
    passages = parse(valid_passage())
    assert passages["why-test"].questions["es"] == ("por qué",)


def test_the_emergency_placeholder_is_allowed_in_both_languages():
    entry = valid_passage(text={"en": "Call {emergency} now.", "es": "Llame al {emergency} ya."})
    assert parse(entry)["why-test"].text["en"] == "Call {emergency} now."


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        pytest.param(
            valid_passage(section="phisiology"),
            ["unknown section 'phisiology'", "did you mean 'physiology'?", ", ".join(SECTIONS)],
            id="unknown-section",
        ),
        pytest.param(
            valid_passage(topic="worried"),
            ["unknown topic 'worried'", "did you mean 'worry'?", "normal, why, worry, soothe, doctor"],
            id="unknown-topic",
        ),
        pytest.param(
            valid_passage(text={"en": "Plain words."}),
            ["missing language 'es'", "text.es"],
            id="missing-language",
        ),
        pytest.param(
            with_text("en", "x" * 305),
            ["text.en is too long", "305 characters", "5 over the limit of 300"],
            id="english-too-long",
        ),
        pytest.param(
            with_text("es", "á" * 151),
            ["text.es is too long", "151 characters", "1 over the limit of 150"],
            id="spanish-too-long",
        ),
        pytest.param(
            with_text("en", "Baby\u2019s legs"),
            ["non-GSM-7 character '\u2019'", "U+2019", "position 5", "straight quote"],
            id="curly-quote-in-english",
        ),
        pytest.param(
            with_text("en", "Calm down \u2014 it is OK"),
            ["non-GSM-7 character", "U+2014", "position 11", "hyphen"],
            id="long-dash-in-english",
        ),
        pytest.param(
            with_text("en", "Está bien"),
            ["non-GSM-7 character 'á'", "position 4"],
            id="accent-in-english",
        ),
        pytest.param(
            with_text("es", "Todo bien \U0001f476"),
            ["character not allowed in Spanish SMS", "U+1F476", "position 11"],
            id="emoji-in-spanish",
        ),
        pytest.param(
            with_text("en", "Call {emergencia} now"),
            ["non-GSM-7 character '{'", "position 6"],
            id="unknown-placeholder",
        ),
        pytest.param(without("section"), ["missing 'section'"], id="missing-section"),
        pytest.param(
            valid_passage(keyword={"en": ["x"]}),
            ["unknown key 'keyword'", "did you mean 'keywords'?"],
            id="misspelled-key",
        ),
        pytest.param(
            valid_passage(questions={"en": "not a list"}),
            ["questions.en must be a list"],
            id="questions-not-a-list",
        ),
        pytest.param(
            valid_passage(keywords={"fr": ["x"]}),
            ["unknown language 'fr' in 'keywords'", "supported: en, es"],
            id="unknown-language",
        ),
        pytest.param(with_text("es", "   "), ["text.es must be a non-empty string"], id="blank-text"),
    ],
)
def test_a_broken_passage_is_reported_with_file_passage_and_problem(entry, expected):
    with pytest.raises(ContentError) as caught:
        parse(entry)
    message = str(caught.value)
    assert message.startswith(f"{SOURCE}: passage 'why-test': ")
    for fragment in expected:
        assert fragment in message


def test_a_duplicate_id_is_reported():
    with pytest.raises(ContentError, match=rf"^{re.escape(SOURCE)}: passage 'why-test': duplicate id"):
        parse(valid_passage(), valid_passage(section="why"))


def test_a_passage_without_an_id_is_reported_by_its_position():
    with pytest.raises(ContentError, match=rf"^{re.escape(SOURCE)}: passage #2: missing 'id'"):
        parse(valid_passage(), without("id"))


@pytest.mark.parametrize(
    "data", [None, [], {"passages": []}, {"passage": [valid_passage()]}, {"passages": "x"}]
)
def test_a_file_without_a_passages_list_is_reported(data):
    with pytest.raises(ContentError, match=rf"^{re.escape(SOURCE)}: "):
        parse_passages(copy.deepcopy(data), SOURCE)


def test_content_error_is_a_value_error():
    assert issubclass(ContentError, ValueError)
