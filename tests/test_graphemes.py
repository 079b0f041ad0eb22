"""Tests for grapheme cluster boundaries: where a text may be cut."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from custom_components.tatango_sms.tatango.graphemes import grapheme_boundaries

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # man ZWJ woman ZWJ girl
US_FLAG = "\U0001f1fa\U0001f1f8"  # regional indicators U, S
THUMBS_UP_MEDIUM = "\U0001f44d\U0001f3fd"  # thumbs up, skin tone modifier
SCOTLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
KEYCAP_ONE = "1\ufe0f\u20e3"


@pytest.mark.parametrize(
    ("text", "boundaries"),
    [
        ("", [0]),
        ("abc", [0, 1, 2, 3]),
        # GB3-GB5: CR LF is one cluster; controls stand alone.
        ("a\r\nb", [0, 1, 3, 4]),
        ("\n\r", [0, 1, 2]),
        ("a\x01\u0301", [0, 1, 2, 3]),
        # GB6-GB8: Hangul jamo sequences and syllables.
        ("\u1100\u1161\u11a8", [0, 3]),
        ("\uac00\u11a8", [0, 2]),
        ("\uac01\u1161", [0, 1, 2]),
        # GB9: combining marks, ZWJ; GB9a: spacing marks; GB9b: prepend.
        ("e\u0301", [0, 2]),
        ("a\u0308\u0301b", [0, 3, 4]),
        (" \u0301", [0, 2]),
        ("\u0915\u093f", [0, 2]),
        ("\u0600" + "1", [0, 2]),
        # GB9c: an Indic conjunct (consonant, virama, consonant), not across ZWNJ.
        ("\u0915\u094d\u0937", [0, 3]),
        ("\u0915\u094d\u200c\u0937", [0, 3, 4]),
        ("a\u094d\u0915", [0, 2, 3]),
        # GB11: emoji ZWJ sequences; an emoji modifier; keycaps; tag sequences.
        (FAMILY, [0, 5]),
        (FAMILY + FAMILY, [0, 5, 10]),
        ("\U0001f468\u200da", [0, 2, 3]),
        ("a\u200d\U0001f469", [0, 2, 3]),
        (THUMBS_UP_MEDIUM, [0, 2]),
        (KEYCAP_ONE, [0, 3]),
        (SCOTLAND, [0, 7]),
        # GB12, GB13: regional indicators pair up from the start of their run.
        (US_FLAG, [0, 2]),
        (US_FLAG + "\U0001f1eb\U0001f1f7", [0, 2, 4]),
        (US_FLAG + "\U0001f1eb", [0, 2, 3]),
        ("a" + US_FLAG, [0, 1, 3]),
    ],
)
def test_boundaries(text: str, boundaries: list[int]) -> None:
    """Flags, skin tones, ZWJ sequences, accents, CR LF, Hangul and conjuncts stay whole."""
    assert list(grapheme_boundaries(text)) == boundaries


# 1,000 random texts of emoji, regional indicators, ZWJ, marks, Hangul jamo,
# Indic letters, controls and random assigned characters, with the boundaries
# ICU 78 (Unicode 17.0) finds in them: Node.js's
# new Intl.Segmenter("en", {granularity: "grapheme"}). Only characters
# Python 3.13's Unicode 15.1 assigns are used.
ICU_CASES = json.loads(
    (Path(__file__).parent / "grapheme_breaks_icu.json").read_text(encoding="utf-8")
)


def test_boundaries_agree_with_icu() -> None:
    """On texts ICU segmented, every boundary is where ICU's is."""
    assert len(ICU_CASES) == 1000
    disagreements = [
        (text, boundaries, list(grapheme_boundaries(text)))
        for text, boundaries in ICU_CASES
        if list(grapheme_boundaries(text)) != boundaries
    ]
    assert disagreements == []
    # The texts exercise rules beyond "break everywhere".
    assert sum(len(b) < len(t) + 1 for t, b in ICU_CASES) > 400
