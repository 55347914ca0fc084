"""SMS segment arithmetic: what a parent's phone receives and what the hotline pays for."""

import pytest

from hotline.channels.segments import encoding, non_gsm7_characters, segment_count


@pytest.mark.parametrize(("text", "segments"), [
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3), ("a" * 459, 3), ("a" * 460, 4),
    ("{" * 80, 1), ("{" * 81, 2),            # extension characters take two septets
    ("á" * 70, 1), ("á" * 71, 2), ("á" * 134, 2), ("á" * 135, 3),
    ("👶" * 35, 1), ("👶" * 36, 2),           # an emoji is two UTF-16 units
])
def test_segment_count_follows_gsm7_and_ucs2_rules(text, segments):
    assert segment_count(text) == segments


@pytest.mark.parametrize(("text", "expected"), [
    ("Call 911 now.", "GSM-7"), ("¿Qué edad tiene su bebé?", "GSM-7"), ("¿Qué día?", "UCS-2"),
    ("año, niño, ¿bebé?", "GSM-7"),
    ("it’s fine", "UCS-2"), ("wait — what", "UCS-2"),
])
def test_one_character_outside_gsm7_makes_the_whole_text_ucs2(text, expected):
    assert encoding(text) == expected


def test_offending_characters_are_named():
    assert non_gsm7_characters("it’s — ok") == ["—", "’"]
