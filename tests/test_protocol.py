"""The protocol table and the vocabulary are data, checked when loaded like the flow compiler checks flows."""

from __future__ import annotations

import pytest

from hotline.engine.levels import Level
from hotline.engine.lexicon import Lexicon
from hotline.engine.protocol import Facts, ProtocolError, parse_protocol
from hotline.engine.reading import Reader, VocabularyError

KNOWN = {"vomiting": "sign", "seizure": "sign", "startle": "context"}


def rule(**fields):  # type: ignore[no-untyped-def]
    return {"rules": [{"id": "r", "level": "urgent", "any": ["vomiting"], "source": "Article", **fields}]}


@pytest.mark.parametrize(("change", "message"), [
    ({"any": ["vomitting"]}, "unknown finding 'vomitting' (did you mean 'vomiting'?)"),
    ({"source": ""}, "every rule names its source"),
    ({"level": "home"}, "home is what no rule gives"),
    ({"level": "later"}, "unknown level 'later'"),
    ({"age_days": "young"}, "is not a comparison"),
    ({"colour": "red"}, "unknown key(s) colour"),
])
def test_a_broken_rule_is_refused_with_the_file_the_rule_and_the_fix(change, message):  # type: ignore[no-untyped-def]
    with pytest.raises(ProtocolError) as error:
        parse_protocol(rule(**change), "flows/protocol.yaml", KNOWN)
    assert "flows/protocol.yaml: rule" in str(error.value) and message in str(error.value)


def test_an_unknown_age_counts_as_the_younger_band() -> None:
    protocol = parse_protocol(rule(age_days="<90"), "p", KNOWN)
    assert protocol.decide(Facts(frozenset({"vomiting"}), age_days=None)).level is Level.URGENT
    assert protocol.decide(Facts(frozenset({"vomiting"}), age_days=120)).level is None
    older = parse_protocol(rule(age_days=">180"), "p", KNOWN)
    assert older.decide(Facts(frozenset({"vomiting"}), age_days=None)).level is None


def test_unless_keeps_a_rule_from_firing() -> None:
    protocol = parse_protocol(rule(any=["seizure"], unless=["startle"], level="emergency"), "p", KNOWN)
    assert protocol.decide(Facts(frozenset({"seizure"}))).level is Level.EMERGENCY
    assert protocol.decide(Facts(frozenset({"seizure", "startle"}))).level is None


def test_an_excuse_that_must_be_said_does_not_count_when_only_guessed_at() -> None:
    """"breathing really fast... is that just from crying so much?": crying asked about does not explain the fast
    breathing (`unless_said`); crying said of the baby does, as `unless` would."""
    protocol = parse_protocol(rule(any=["vomiting"], unless_said=["startle"]), "p", KNOWN)
    guessed = Facts(frozenset({"vomiting"}), mentioned=frozenset({"vomiting", "startle"}))
    assert protocol.decide(guessed).level is Level.URGENT
    assert protocol.decide(Facts(frozenset({"vomiting", "startle"}))).level is None


@pytest.mark.parametrize(("vocabulary", "message"), [
    ({"findings": {"x": {"kind": "sign", "en": ["b@d"]}}}, "is not a word"),
    ({"findings": {"x": {"kind": "sign", "en": ["(open"]}}}, "groups are written (a b|c)"),
    ({"findings": {"x": {"kind": "sign", "en": ["she is|he is blue"]}}}, "write alternatives of several words"),
    ({"findings": {"x": {"kind": "sign", "en": ["~2 word"]}}}, "starts with a word"),
    ({"findings": {"x": {"kind": "thing", "en": ["word"]}}}, "kind must be one of"),
    ({"findings": {"x": {"kind": "sign"}}}, "lists no words"),
    ({"findings": {"x": {"kind": "sign", "en": ["w"], "hides": ["y"]}}}, "hides unknown finding 'y'"),
    # (a pattern that stands for a million plain ones would take a minute to load: each group multiplies them)
    ({"findings": {"x": {"kind": "sign", "en": [" ".join(["(a|b|c|d|e|f|g|h|i|j)"] * 5)]}}},
     "write single words as bare alternatives"),
])
def test_a_broken_vocabulary_is_refused_with_the_finding_named(vocabulary, message):  # type: ignore[no-untyped-def]
    with pytest.raises(VocabularyError) as error:
        Reader(vocabulary, source="flows/findings.yaml")
    assert "flows/findings.yaml" in str(error.value) and message in str(error.value)


def test_a_group_offers_alternatives_of_several_words() -> None:
    lexicon = Lexicon([("cyanosis", "(she is|hes|baby is) ~1 blue"), ("x", "wakes for (feeds|to eat)?")])
    found = lambda text: [(h.label, h.start, h.end) for h in lexicon.find(tuple(text.split()))]  # noqa: E731
    assert found("she is blue") == [("cyanosis", 0, 3)]
    assert found("hes so blue") == [("cyanosis", 0, 3)]
    assert found("is blue") == [] and found("she blue") == []
    assert ("x", 0, 4) in found("wakes for to eat") and found("wakes for") == [("x", 0, 2)]


def test_many_patterns_on_one_word_and_its_stems_are_all_still_found() -> None:
    """The index narrows a word's patterns by the most telling word they need ("word7" rather than "the"), and
    joins a word's own patterns with its stems' ("legs" starts "legs ..." and "leg* ..."): no match is lost."""
    entries = [(f"n{i}", f"legs ~2 the word{i}") for i in range(20)] + \
        [(f"s{i}", f"leg* are (x{i}|y{i})") for i in range(20)] + [("both", "legs|leg* shake")]
    lexicon = Lexicon(entries)
    labels = lambda text: sorted({h.label for h in lexicon.find(tuple(text.split()))})  # noqa: E731
    assert labels("legs go the word7") == ["n7"]
    assert labels("legs the word19 and legs are y3") == ["n19", "s3"]
    assert labels("leggy are x11") == ["s11"] and labels("legs shake") == ["both"]
    assert labels("legs go the word20") == [] and labels("the word7 legs") == []


def test_a_situation_said_earlier_does_not_excuse_a_sign_said_now() -> None:
    protocol = parse_protocol(rule(any=["seizure"], unless=["startle"], level="emergency"), "p", KNOWN)
    # "she startled" an hour ago, "now her arms and legs are jerking": the sign is new, the excuse is old.
    assert protocol.decide(Facts(frozenset({"seizure", "startle"}), here=frozenset({"seizure"}))).level \
        is Level.EMERGENCY
    # Both in this message: the startle explains it.
    assert protocol.decide(Facts(frozenset({"seizure", "startle"}), here=frozenset({"seizure", "startle"}))).level \
        is None
    # The sign only remembered, the excuse with it: as before.
    assert protocol.decide(Facts(frozenset({"seizure", "startle"}), here=frozenset())).level is None


def test_a_key_written_twice_in_a_content_file_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """PyYAML would keep the second `es:` and drop the first list's phrases without a word."""
    from hotline.engine.reading import load_reader

    path = tmp_path / "findings.yaml"
    path.write_text("findings:\n  x:\n    kind: sign\n    es: [uno]\n    en: [one]\n    es: [dos]\n", encoding="utf-8")
    with pytest.raises(VocabularyError) as error:
        load_reader(path)
    assert "findings.yaml" in str(error.value) and "'es' is written twice" in str(error.value)
