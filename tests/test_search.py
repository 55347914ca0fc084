"""Free-text search: a parent's own words, typos and all, find the passage that answers them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from hotline.engine.guidance import Passage, parse_passages
from hotline.engine.search import THRESHOLD, Match, PassageIndex, stem, terms

GUIDANCE = Path(__file__).resolve().parent.parent / "flows" / "guidance.yaml"
PASSAGES = parse_passages(yaml.safe_load(GUIDANCE.read_text(encoding="utf-8")), str(GUIDANCE))
INDEX = PassageIndex(PASSAGES.values())

WHY = r"why-.*"
WORRY = r"doctor-when|flag-.*|worry-overview"
SOOTHE = r"soothe-.*"
MEDICAL = r"why-medical-conditions|why-low-blood-sugar|doctor-when|flag-.*"

# The six questions the article answers (its Q: lines and section titles), as parents would text them.
# Each row: message, then a pattern the best passage's id must match in full.
FAQ_ENGLISH = [
    ("Why do babies' legs shake?", WHY),
    ("why do my baby's legs shake", WHY),
    ("WHY ARE MY BABYS LEGS SHAKING", WHY),
    ("why do my babys legs shaek", WHY),
    ("what causes leg shaking in babies", WHY),
    ("what is making her legs tremble", WHY),
    ("Is it normal for babies to shake their legs?", "normal-common"),
    ("is it normal for her legs to shake", "normal-common"),
    ("is it normal that my newborn's legs shake", "normal-common"),
    ("is it normall for his legs to shake", "normal-common"),
    ("IS THIS NORMAL", "normal-common"),
    ("Should I be worried if my baby's legs shake often?", WORRY),
    ("should i be worried if his legs shake a lot", WORRY),
    ("shoud i be woried if his legs shake alot", WORRY),
    ("When should you be concerned about leg shaking?", WORRY),
    ("when to worry about baby leg shaking", WORRY),
    ("is it serious", WORRY),
    ("How can I help my baby stop shaking their legs?", SOOTHE),
    ("how do i get him to stop shaking his legs", SOOTHE),
    ("how can i calm my baby down so he stops shakng", SOOTHE),
    ("How can you ease your baby's shaking legs?", SOOTHE),
    ("what can i do to soothe her", SOOTHE),
    ("Can medical conditions cause babies to shake their legs?", MEDICAL),
    ("could it be an illness", MEDICAL),
    ("can low blood sugar cause shaking", "why-low-blood-sugar"),
    ("can low blod suger cause shaking", "why-low-blood-sugar"),
    ("does she shake when she is hungry", "why-low-blood-sugar"),
    ("Are there any exercises I can do to help with my baby's shaky legs?", "soothe-tummy-time"),
    ("are there exercises for shaky legs", "soothe-tummy-time"),
    ("are ther any excercises for shaky legs", "soothe-tummy-time"),
    ("does tummy time help", "soothe-tummy-time"),
]

FAQ_SPANISH = [
    ("¿Por qué les tiemblan las piernas a los bebés?", WHY),
    ("por que le tiemblan las piernas a mi bebe", WHY),
    ("POR QUÉ TIEMBLA MI BEBÉ", WHY),
    ("porq le tienblan las piernas a mi bebe", WHY),
    ("qué causa el temblor en las piernas", WHY),
    ("¿Es normal que los bebés tiemblen las piernas?", "normal-common"),
    ("es normal que a mi bebe le tiemblen las piernas", "normal-common"),
    ("es nomral que le tiemblen las piernas", "normal-common"),
    ("¿Me debo preocupar si a mi bebé le tiemblan mucho las piernas?", WORRY),
    ("me devo preocupar si le tiemblan mucho", WORRY),
    ("cuándo me debo preocupar", WORRY),
    ("es grave?", WORRY),
    ("¿Cómo puedo ayudar a mi bebé a que deje de temblar?", SOOTHE),
    ("como hago para que deje de temblar", SOOTHE),
    ("como lo calmo", SOOTHE),
    ("¿Una condición médica puede causar temblores?", MEDICAL),
    ("puede ser una enfermedad", MEDICAL),
    ("¿El azúcar baja puede causar temblores?", "why-low-blood-sugar"),
    ("el asucar baja causa temblores", "why-low-blood-sugar"),
    ("tiembla cuando tiene hambre", "why-low-blood-sugar"),
    ("¿Hay ejercicios para ayudar con las piernas temblorosas de mi bebé?", "soothe-tummy-time"),
    ("hay ejercisios para las piernas temblorosas", "soothe-tummy-time"),
    ("ayuda ponerlo boca abajo", "soothe-tummy-time"),
]

OTHER_TOPICS = [
    ("en", "should i swaddle him", "soothe-swaddle"),
    ("en", "does swadling help", "soothe-swaddle"),
    ("es", "¿lo puedo envolver en una manta?", "soothe-swaddle"),
    ("en", "will a pacifier help", "soothe-pacifier"),
    ("es", "le doy el chupón", "soothe-pacifier"),
    ("es", "el chupete ayuda?", "soothe-pacifier"),
    ("en", "can i massage her legs", "soothe-massage"),
    ("es", "le puedo dar masaje en las piernas", "soothe-massage"),
    ("en", "she jumps when there is a loud noise", "why-startle-reflex"),
    ("en", "what is the moro reflex", "why-startle-reflex"),
    ("es", "qué es el reflejo de moro", "why-startle-reflex"),
    ("es", "se sobresalta con los ruidos", "why-startle-reflex"),
    ("en", "i take medication while breastfeeding", "why-medicines"),
    ("en", "can my medicine pass through breast milk", "why-medicines"),
    ("es", "tomo medicamentos y estoy amamantando", "why-medicines"),
    ("en", "does he shake because he is cold", "why-cold-scared"),
    ("es", "tiembla cuando tiene frío", "why-cold-scared"),
    ("en", "his legs shake when he is tired", "why-tired"),
    ("es", "le tiemblan las piernas cuando tiene sueño", "why-tired"),
    ("en", "legs shake while breastfeeding", "why-feeding"),
    ("es", "le tiemblan las piernas cuando come", "why-feeding"),
    ("en", "is it his nervous system", "why-nervous-system"),
    ("es", "es por su sistema nervioso", "why-nervous-system"),
    ("en", "her arms shake too", "normal-arms-head"),
    ("en", "will it go away", "normal-fades"),
    ("es", "cuándo se le quita", "normal-fades"),
    ("en", "his legs only shake when he stands", "flag-weight-bearing"),
    ("en", "legs shake when she tries to stand up", "flag-weight-bearing"),
    ("es", "solo tiembla cuando se para", "flag-weight-bearing"),
    ("en", "only one leg is shaking", "flag-one-side"),
    ("en", "just his left leg shakes", "flag-one-side"),
    ("es", "solo le tiembla una pierna", "flag-one-side"),
    ("en", "she is 7 months and still shaking", "flag-after-6-months"),
    ("en", "my baby is older than 6 months and shakes a lot", "flag-after-6-months"),
    ("es", "tiene 8 meses y sigue temblando", "flag-after-6-months"),
    ("en", "he has a fever and his legs shake", "flag-fever"),
    ("es", "tiene fiebre y tiembla", "flag-fever"),
    ("en", "i think she is having a seizure", "flag-seizure"),
    ("es", "creo que está convulsionando", "flag-seizure"),
    ("en", "he is shaking and breathing fast", "flag-breathing"),
    ("es", "le cuesta respirar", "flag-breathing"),
    ("en", "she keeps throwing up", "flag-vomiting"),
    ("es", "tiembla y vomita", "flag-vomiting"),
    ("en", "he is very floppy and hard to wake", "flag-lethargy"),
    ("es", "está muy decaído", "flag-lethargy"),
    ("en", "he is shaking and not eating", "flag-poor-feeding"),
    ("es", "no quiere comer y tiembla", "flag-poor-feeding"),
    ("en", "the shaking is getting worse", "flag-more-frequent"),
    ("es", "cada vez tiembla más seguido", "flag-more-frequent"),
    ("en", "his legs have been shaking nonstop all day", "flag-persistent"),
    ("es", "tiembla sin parar", "flag-persistent"),
    ("en", "when should i call the doctor", "doctor-when"),
    ("es", "cuándo lo llevo al pediatra", "doctor-when"),
    ("en", "should i ignore it", "soothe-no-fuss"),
    ("es", "lo ignoro?", "soothe-no-fuss"),
    ("en", "should i keep her warm", "soothe-warm"),
    ("es", "lo abrigo más?", "soothe-warm"),
]

# Whole messages as parents really send them: greetings, the baby's age and name, filler words.
REAL_MESSAGES = [
    ("en", "hi, my 2 month old son's legs shake a lot when he sleeps, is that normal?", "normal-common"),
    ("en", "my daughter keeps shaking her legs, why?", WHY),
    ("en", "hello my baby girl legs are trembling every night what does it mean", WHY),
    ("en", "my 3 week old newborn twitches his legs all the time is this normal", "normal-common"),
    ("en", "i'm so scared, her whole body is jerking and she won't respond", "flag-seizure"),
    ("en", "he's been throwing up all morning and his legs are shaking", "flag-vomiting"),
    ("en", "she feels really hot and her legs keep shaking", "flag-fever"),
    ("en", "what can i do to help my son relax his legs keep trembling", SOOTHE),
    ("en", "why does my little one's leg shake when i feed him", "why-feeding"),
    (
        "en",
        "my baby is 9 months old and his legs still shake constantly",
        "flag-after-6-months|flag-persistent",
    ),
    ("en", "sorry to bother you but should I take her to the doctor for shaky legs", WORRY),
    ("es", "hola, mi hijo de 2 meses tiembla mucho las piernas cuando duerme, es normal?", "normal-common"),
    ("es", "mi niña tiembla las piernas, por qué?", WHY),
    ("es", "buenas noches, mi bebé tiene fiebre y le tiemblan las piernitas", "flag-fever"),
    ("es", "disculpe, qué hago para que mi bebé deje de temblar", SOOTHE),
    ("es", "mi bebé tiene 9 meses y todavía le tiemblan mucho las piernas", "flag-after-6-months"),
    ("en", "his legs won't stop shaking", "flag-persistent"),
    ("en", "she has been shaking for hours", "flag-persistent"),
    ("en", "what should i do when his legs shake", SOOTHE),
    ("en", "is there anything i can do at home", SOOTHE),
    ("en", "i'm on meds and nursing", "why-medicines"),
    ("en", "is this a seizure", "flag-seizure"),
    ("en", "he jerks when the door slams", "why-startle-reflex"),
    ("es", "no se le quita el temblor", "flag-persistent"),
    ("es", "tiembla cuando lo paro", "flag-weight-bearing"),
    ("es", "no ha comido en horas y tiembla", "why-low-blood-sugar"),
    ("es", "qué hago, mi bebé tiembla", SOOTHE),
    ("en", "my 3 week old keeps jerking her legs in her sleep is that ok", "normal-common"),
    ("en", "is it okay that her legs jerk while sleeping", "normal-common"),
    ("en", "his legs shake when he gets excited", "why-cold-scared"),
    ("en", "just the leg twitching when she startles. 7 weeks", "why-startle-reflex"),  # weeks, not months
    # A fall is an injury, not the startle reflex's "feeling of falling" nor tiredness ("falling asleep").
    ("en", "he had a fall and now his leg is shaking", "doctor-when"),
    ("en", "she fell off the bed and her leg is shaking", "doctor-when"),
    ("en", "she shakes before falling asleep", "why-tired"),
    ("es", "se cayó de la cama y le tiembla la pierna", "doctor-when"),
    ("en", "she gets startled by the dog barking and her legs shake", "why-startle-reflex"),
    ("es", "se asusta con el perro y tiembla", "why-startle-reflex"),
    ("en", "she is happy and playing but legs tremble sometimes", "normal-common"),
    ("en", "my 1 year old's legs shake when he walks", "flag-weight-bearing"),
    ("en", "could it be autism", MEDICAL),
    ("en", "is it a vitamin deficiency", MEDICAL),
    ("es", "puede ser autismo", MEDICAL),
    ("en", "my pediatrician said it's normal but i'm still worried", WORRY),
]

NO_MATCH = [
    ("en", "can i give him tylenol"),  # the article says nothing about medicine for the baby
    ("en", "2"),
    ("en", "10"),
    ("en", "hi"),
    ("en", "Hi!"),
    ("en", "hello"),
    ("en", "ok"),
    ("en", "OK"),
    ("en", "okay"),
    ("en", "thanks"),
    ("en", "thank you"),
    ("en", "Thanks!!"),
    ("en", "what's the weather"),
    ("en", "what's the weather like today"),
    ("en", "how are you"),
    ("en", "who is this"),
    ("en", "call me"),
    ("en", ""),
    ("en", "   "),
    ("en", "???"),
    ("en", "\U0001f44d"),
    ("en", "my baby"),
    ("en", "legs"),
    ("es", "hola"),
    ("es", "gracias"),
    ("es", "ok"),
    ("es", "3"),
    ("es", "qué tiempo hace hoy"),
    ("es", "como va a estar el clima"),
    ("es", "quién es"),
    ("es", "mi bebé"),
    ("es", "me puede llamar"),
]


def assert_finds(message: str, language: str, pattern: str) -> None:
    found = INDEX.best(message, language)
    ranked = [(match.passage.id, round(match.score, 2)) for match in INDEX.search(message, language, limit=5)]
    assert found is not None, f"{message!r} found nothing (scores: {ranked})"
    assert re.fullmatch(pattern, found.id), f"{message!r} found {found.id}, expected {pattern} ({ranked})"


@pytest.mark.parametrize(("message", "expected"), FAQ_ENGLISH)
def test_english_wordings_of_each_faq_question_find_the_right_passage(message, expected):
    assert_finds(message, "en", expected)


@pytest.mark.parametrize(("message", "expected"), FAQ_SPANISH)
def test_spanish_wordings_of_each_faq_question_find_the_right_passage(message, expected):
    assert_finds(message, "es", expected)


@pytest.mark.parametrize(("language", "message", "expected"), OTHER_TOPICS)
def test_other_topics_find_their_passage(language, message, expected):
    assert_finds(message, language, expected)


@pytest.mark.parametrize(("language", "message", "expected"), REAL_MESSAGES)
def test_real_messages_with_greetings_ages_and_filler_find_their_passage(language, message, expected):
    assert_finds(message, language, expected)


@pytest.mark.parametrize(("language", "message"), NO_MATCH)
def test_greetings_numbers_and_unrelated_messages_find_nothing(language, message):
    assert INDEX.search(message, language) == []
    assert INDEX.best(message, language) is None


def test_results_are_best_first_within_the_limit_and_at_least_the_threshold():
    results = INDEX.search("how do i calm my baby and stop the shaking", "en", limit=4)
    assert 1 <= len(results) <= 4
    scores = [match.score for match in results]
    assert scores == sorted(scores, reverse=True)
    assert all(THRESHOLD <= score <= 1.0 for score in scores)
    assert all(isinstance(match, Match) and isinstance(match.passage, Passage) for match in results)


def test_limit_one_returns_the_same_passage_as_best():
    message = "is it normal for her legs to shake"
    assert [match.passage for match in INDEX.search(message, "en", limit=1)] == [INDEX.best(message, "en")]


def test_threshold_is_a_score_between_zero_and_one():
    assert 0.0 < THRESHOLD < 1.0


@pytest.mark.parametrize(
    ("plain", "variant"),
    [
        ("is it normal for her legs to shake", "IS IT NORMAL FOR HER LEGS TO SHAKE???"),
        ("is it normal for her legs to shake", "is it normal for her legs to shake"),
        ("can low blood sugar cause shaking", "can low blood sugar cause shaking?!"),
    ],
)
def test_case_and_punctuation_do_not_change_the_result(plain, variant):
    assert INDEX.search(plain, "en") == INDEX.search(variant, "en")


def test_spanish_accents_are_optional():
    with_accents = INDEX.search("¿Qué es el reflejo de Moro? Mi bebé se sobresaltó", "es")
    without_accents = INDEX.search("que es el reflejo de moro mi bebe se sobresalto", "es")
    assert with_accents == without_accents
    assert with_accents[0].passage.id == "why-startle-reflex"


def test_a_typo_scores_a_little_lower_than_the_correct_spelling():
    right = INDEX.search("can low blood sugar cause shaking", "en")[0]
    typo = INDEX.search("can low blod suger cause shaking", "en")[0]
    assert right.passage == typo.passage
    assert THRESHOLD <= typo.score < right.score


def test_a_typo_is_only_corrected_to_a_word_with_the_same_first_letter():
    # "cries" is one letter from "tries" (as in "tries to stand"), but nobody mistypes c for t.
    found = INDEX.best("my son's legs shake when he cries", "en")
    assert found is None or found.id != "flag-weight-bearing"


@pytest.mark.parametrize("language", ["fr", "EN", "en-US"])
def test_an_unknown_or_regional_language_searches_english(language):
    assert INDEX.best("he has a fever", language) == PASSAGES["flag-fever"]


def test_spanish_regional_codes_search_spanish():
    assert INDEX.best("tiene fiebre", "es-MX") == PASSAGES["flag-fever"]


def test_an_index_of_no_passages_finds_nothing():
    assert PassageIndex([]).search("is it normal for her legs to shake", "en") == []


@pytest.mark.parametrize(
    ("language", "forms"),
    [
        ("en", ["shake", "shakes", "shaking"]),
        ("en", ["baby", "babies", "baby's"]),
        ("en", ["swaddle", "swaddling", "swaddled"]),
        ("en", ["worry", "worried", "worries"]),
        ("es", ["pierna", "piernas"]),
        ("es", ["temblor", "temblores"]),
        ("es", ["frío", "fria", "frio"]),
    ],
)
def test_word_forms_meet_in_one_stem(language, forms):
    assert len({tuple(terms(form, language)) for form in forms}) == 1, [terms(f, language) for f in forms]


def test_stem_keeps_short_words_whole():
    assert stem("leg", "en") == "leg"
    assert stem("mes", "es") == "mes"
