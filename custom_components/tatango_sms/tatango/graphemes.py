"""Where a text may be cut without breaking a character a reader sees as one.

The extended grapheme cluster boundaries of Unicode Standard Annex #29 (rules
GB3 to GB13): a flag, an emoji with a skin tone, a ZWJ sequence, a letter with
combining marks, CR LF, a Hangul syllable or an Indic conjunct stays whole.
Built on Python's unicodedata plus the few Unicode tables it lacks, as Home
Assistant 2025.4 installs no library that segments text (2026.x brings
`regex`, through hass-nabucasa). Knows nothing about Home Assistant.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from enum import IntEnum
from functools import lru_cache
from typing import NamedTuple
import unicodedata


class _Break(IntEnum):
    """Grapheme_Cluster_Break property values."""

    OTHER = 0
    CR = 1
    LF = 2
    CONTROL = 3
    EXTEND = 4
    ZWJ = 5
    REGIONAL_INDICATOR = 6
    PREPEND = 7
    SPACING_MARK = 8
    L = 9
    V = 10
    T = 11
    LV = 12
    LVT = 13


class _Conjunct(IntEnum):
    """Indic_Conjunct_Break property values (rule GB9c)."""

    NONE = 0
    CONSONANT = 1
    LINKER = 2
    EXTEND = 3


class _Properties(NamedTuple):
    """What the boundary rules need to know about one character."""

    kind: _Break
    pictographic: bool
    conjunct: _Conjunct


class _CodePoints:
    """A set of code points, given as inclusive ranges."""

    __slots__ = ("_firsts", "_lasts")

    def __init__(self, *ranges: tuple[int, int]) -> None:
        """Initialize from (first, last) pairs."""
        ordered = sorted(ranges)
        self._firsts = [first for first, _ in ordered]
        self._lasts = [last for _, last in ordered]

    def __contains__(self, code: int) -> bool:
        """Return whether the code point is in one of the ranges."""
        index = bisect_right(self._firsts, code) - 1
        return index >= 0 and code <= self._lasts[index]


# Unicode 17.0 (as ICU 78 segments text), what unicodedata cannot derive
# from a character's general category. Characters Python's unicodedata does
# not know yet are classified by their category only (unassigned: Other).
_PREPEND = _CodePoints(
    (0x0600, 0x0605), (0x06DD, 0x06DD), (0x070F, 0x070F), (0x0890, 0x0891),
    (0x08E2, 0x08E2), (0x0D4E, 0x0D4E), (0x110BD, 0x110BD), (0x110CD, 0x110CD),
    (0x111C2, 0x111C3), (0x113D1, 0x113D1), (0x1193F, 0x1193F), (0x11941, 0x11941),
    (0x11A84, 0x11A89), (0x11D46, 0x11D46), (0x11F02, 0x11F02),
)  # fmt: skip
# Extend beyond the nonspacing and enclosing marks: some spacing vowel signs,
# ZWNJ, the emoji modifiers (skin tones) and the tags of subdivision flags.
_EXTEND = _CodePoints(
    (0x09BE, 0x09BE), (0x09D7, 0x09D7), (0x0B3E, 0x0B3E), (0x0B57, 0x0B57),
    (0x0BBE, 0x0BBE), (0x0BD7, 0x0BD7), (0x0CC0, 0x0CC0), (0x0CC2, 0x0CC2),
    (0x0CC7, 0x0CC8), (0x0CCA, 0x0CCB), (0x0CD5, 0x0CD6), (0x0D3E, 0x0D3E),
    (0x0D57, 0x0D57), (0x0DCF, 0x0DCF), (0x0DDF, 0x0DDF), (0x1715, 0x1715),
    (0x1734, 0x1734), (0x1B35, 0x1B35), (0x1B3B, 0x1B3B), (0x1B3D, 0x1B3D),
    (0x1B43, 0x1B44), (0x1BAA, 0x1BAA), (0x1BF2, 0x1BF3), (0x200C, 0x200C),
    (0x302E, 0x302F), (0xA953, 0xA953), (0xA9C0, 0xA9C0), (0xFF9E, 0xFF9F),
    (0x111C0, 0x111C0), (0x11235, 0x11235), (0x1133E, 0x1133E), (0x1134D, 0x1134D),
    (0x11357, 0x11357), (0x113B8, 0x113B8), (0x113C2, 0x113C2), (0x113C5, 0x113C5),
    (0x113C7, 0x113C9), (0x113CF, 0x113CF), (0x114B0, 0x114B0), (0x114BD, 0x114BD),
    (0x115AF, 0x115AF), (0x116B6, 0x116B6), (0x11930, 0x11930), (0x1193D, 0x1193D),
    (0x11F41, 0x11F41), (0x16FF0, 0x16FF1), (0x1D165, 0x1D166), (0x1D16D, 0x1D172),
    (0x1F3FB, 0x1F3FF), (0xE0020, 0xE007F),
)  # fmt: skip
# Spacing marks (category Mc) that are not SpacingMark, and letters that are.
_NOT_SPACING_MARK = _CodePoints(
    (0x102B, 0x102C), (0x1038, 0x1038), (0x1062, 0x1064), (0x1067, 0x106D),
    (0x1083, 0x1083), (0x1087, 0x108C), (0x108F, 0x108F), (0x109A, 0x109C),
    (0x1A61, 0x1A61), (0x1A63, 0x1A64), (0xAA7B, 0xAA7B), (0xAA7D, 0xAA7D),
    (0x11720, 0x11721),
)  # fmt: skip
_SPACING_MARK = _CodePoints(
    (0x0E33, 0x0E33), (0x0EB3, 0x0EB3), (0x1171E, 0x1171E),
)  # fmt: skip
# Unassigned default-ignorable code points: Control, like the assigned ones.
_IGNORABLE_UNASSIGNED = _CodePoints(
    (0x2065, 0x2065), (0xFFF0, 0xFFF8), (0xE0000, 0xE0000), (0xE0002, 0xE001F),
    (0xE0080, 0xE00FF), (0xE01F0, 0xE0FFF),
)  # fmt: skip
_EXTENDED_PICTOGRAPHIC = _CodePoints(
    (0x00A9, 0x00A9), (0x00AE, 0x00AE), (0x203C, 0x203C), (0x2049, 0x2049),
    (0x2122, 0x2122), (0x2139, 0x2139), (0x2194, 0x2199), (0x21A9, 0x21AA),
    (0x231A, 0x231B), (0x2328, 0x2328), (0x23CF, 0x23CF), (0x23E9, 0x23F3),
    (0x23F8, 0x23FA), (0x24C2, 0x24C2), (0x25AA, 0x25AB), (0x25B6, 0x25B6),
    (0x25C0, 0x25C0), (0x25FB, 0x25FE), (0x2600, 0x2604), (0x260E, 0x260E),
    (0x2611, 0x2611), (0x2614, 0x2615), (0x2618, 0x2618), (0x261D, 0x261D),
    (0x2620, 0x2620), (0x2622, 0x2623), (0x2626, 0x2626), (0x262A, 0x262A),
    (0x262E, 0x262F), (0x2638, 0x263A), (0x2640, 0x2640), (0x2642, 0x2642),
    (0x2648, 0x2653), (0x265F, 0x2660), (0x2663, 0x2663), (0x2665, 0x2666),
    (0x2668, 0x2668), (0x267B, 0x267B), (0x267E, 0x267F), (0x2692, 0x2697),
    (0x2699, 0x2699), (0x269B, 0x269C), (0x26A0, 0x26A1), (0x26A7, 0x26A7),
    (0x26AA, 0x26AB), (0x26B0, 0x26B1), (0x26BD, 0x26BE), (0x26C4, 0x26C5),
    (0x26C8, 0x26C8), (0x26CE, 0x26CF), (0x26D1, 0x26D1), (0x26D3, 0x26D4),
    (0x26E9, 0x26EA), (0x26F0, 0x26F5), (0x26F7, 0x26FA), (0x26FD, 0x26FD),
    (0x2702, 0x2702), (0x2705, 0x2705), (0x2708, 0x270D), (0x270F, 0x270F),
    (0x2712, 0x2712), (0x2714, 0x2714), (0x2716, 0x2716), (0x271D, 0x271D),
    (0x2721, 0x2721), (0x2728, 0x2728), (0x2733, 0x2734), (0x2744, 0x2744),
    (0x2747, 0x2747), (0x274C, 0x274C), (0x274E, 0x274E), (0x2753, 0x2755),
    (0x2757, 0x2757), (0x2763, 0x2764), (0x2795, 0x2797), (0x27A1, 0x27A1),
    (0x27B0, 0x27B0), (0x27BF, 0x27BF), (0x2934, 0x2935), (0x2B05, 0x2B07),
    (0x2B1B, 0x2B1C), (0x2B50, 0x2B50), (0x2B55, 0x2B55), (0x3030, 0x3030),
    (0x303D, 0x303D), (0x3297, 0x3297), (0x3299, 0x3299), (0x1F004, 0x1F004),
    (0x1F02C, 0x1F02F), (0x1F094, 0x1F09F), (0x1F0AF, 0x1F0B0), (0x1F0C0, 0x1F0C0),
    (0x1F0CF, 0x1F0D0), (0x1F0F6, 0x1F0FF), (0x1F170, 0x1F171), (0x1F17E, 0x1F17F),
    (0x1F18E, 0x1F18E), (0x1F191, 0x1F19A), (0x1F1AE, 0x1F1E5), (0x1F201, 0x1F20F),
    (0x1F21A, 0x1F21A), (0x1F22F, 0x1F22F), (0x1F232, 0x1F23A), (0x1F23C, 0x1F23F),
    (0x1F249, 0x1F25F), (0x1F266, 0x1F321), (0x1F324, 0x1F393), (0x1F396, 0x1F397),
    (0x1F399, 0x1F39B), (0x1F39E, 0x1F3F0), (0x1F3F3, 0x1F3F5), (0x1F3F7, 0x1F3FA),
    (0x1F400, 0x1F4FD), (0x1F4FF, 0x1F53D), (0x1F549, 0x1F54E), (0x1F550, 0x1F567),
    (0x1F56F, 0x1F570), (0x1F573, 0x1F57A), (0x1F587, 0x1F587), (0x1F58A, 0x1F58D),
    (0x1F590, 0x1F590), (0x1F595, 0x1F596), (0x1F5A4, 0x1F5A5), (0x1F5A8, 0x1F5A8),
    (0x1F5B1, 0x1F5B2), (0x1F5BC, 0x1F5BC), (0x1F5C2, 0x1F5C4), (0x1F5D1, 0x1F5D3),
    (0x1F5DC, 0x1F5DE), (0x1F5E1, 0x1F5E1), (0x1F5E3, 0x1F5E3), (0x1F5E8, 0x1F5E8),
    (0x1F5EF, 0x1F5EF), (0x1F5F3, 0x1F5F3), (0x1F5FA, 0x1F64F), (0x1F680, 0x1F6C5),
    (0x1F6CB, 0x1F6D2), (0x1F6D5, 0x1F6E5), (0x1F6E9, 0x1F6E9), (0x1F6EB, 0x1F6F0),
    (0x1F6F3, 0x1F6FF), (0x1F7DA, 0x1F7FF), (0x1F80C, 0x1F80F), (0x1F848, 0x1F84F),
    (0x1F85A, 0x1F85F), (0x1F888, 0x1F88F), (0x1F8AE, 0x1F8AF), (0x1F8BC, 0x1F8BF),
    (0x1F8C2, 0x1F8CF), (0x1F8D9, 0x1F8FF), (0x1F90C, 0x1F93A), (0x1F93C, 0x1F945),
    (0x1F947, 0x1F9FF), (0x1FA58, 0x1FA5F), (0x1FA6E, 0x1FAFF), (0x1FC00, 0x1FFFD),
)  # fmt: skip
# Indic_Conjunct_Break: the viramas that join consonants into one conjunct,
# and the consonants they join.
_CONJUNCT_LINKERS = _CodePoints(
    (0x094D, 0x094D), (0x09CD, 0x09CD), (0x0ACD, 0x0ACD), (0x0B4D, 0x0B4D),
    (0x0C4D, 0x0C4D), (0x0D4D, 0x0D4D), (0x1039, 0x1039), (0x17D2, 0x17D2),
    (0x1A60, 0x1A60), (0x1B44, 0x1B44), (0x1BAB, 0x1BAB), (0xA9C0, 0xA9C0),
    (0xAAF6, 0xAAF6), (0x10A3F, 0x10A3F), (0x11133, 0x11133), (0x113D0, 0x113D0),
    (0x1193E, 0x1193E), (0x11A47, 0x11A47), (0x11A99, 0x11A99), (0x11F42, 0x11F42),
)  # fmt: skip
_CONJUNCT_CONSONANTS = _CodePoints(
    (0x0915, 0x0939), (0x0958, 0x095F), (0x0978, 0x097F), (0x0995, 0x09A8),
    (0x09AA, 0x09B0), (0x09B2, 0x09B2), (0x09B6, 0x09B9), (0x09DC, 0x09DD),
    (0x09DF, 0x09DF), (0x09F0, 0x09F1), (0x0A95, 0x0AA8), (0x0AAA, 0x0AB0),
    (0x0AB2, 0x0AB3), (0x0AB5, 0x0AB9), (0x0AF9, 0x0AF9), (0x0B15, 0x0B28),
    (0x0B2A, 0x0B30), (0x0B32, 0x0B33), (0x0B35, 0x0B39), (0x0B5C, 0x0B5D),
    (0x0B5F, 0x0B5F), (0x0B71, 0x0B71), (0x0C15, 0x0C28), (0x0C2A, 0x0C39),
    (0x0C58, 0x0C5A), (0x0D15, 0x0D3A), (0x1000, 0x102A), (0x103F, 0x103F),
    (0x1050, 0x1055), (0x105A, 0x105D), (0x1061, 0x1061), (0x1065, 0x1066),
    (0x106E, 0x1070), (0x1075, 0x1081), (0x108E, 0x108E), (0x1780, 0x17B3),
    (0x1A20, 0x1A54), (0x1B0B, 0x1B0C), (0x1B13, 0x1B33), (0x1B45, 0x1B4C),
    (0x1B83, 0x1BA0), (0x1BAE, 0x1BAF), (0x1BBB, 0x1BBD), (0xA989, 0xA98B),
    (0xA98F, 0xA9B2), (0xA9E0, 0xA9E4), (0xA9E7, 0xA9EF), (0xA9FA, 0xA9FE),
    (0xAA60, 0xAA6F), (0xAA71, 0xAA73), (0xAA7A, 0xAA7A), (0xAA7E, 0xAA7F),
    (0xAAE0, 0xAAEA), (0xABC0, 0xABDA), (0x10A00, 0x10A00), (0x10A10, 0x10A13),
    (0x10A15, 0x10A17), (0x10A19, 0x10A35), (0x11103, 0x11126), (0x11144, 0x11144),
    (0x11147, 0x11147), (0x11380, 0x11389), (0x1138B, 0x1138B), (0x1138E, 0x1138E),
    (0x11390, 0x113B5), (0x11900, 0x11906), (0x11909, 0x11909), (0x1190C, 0x11913),
    (0x11915, 0x11916), (0x11918, 0x1192F), (0x11A00, 0x11A00), (0x11A0B, 0x11A32),
    (0x11A50, 0x11A50), (0x11A5C, 0x11A83), (0x11F04, 0x11F10), (0x11F12, 0x11F33),
)  # fmt: skip
_ZWNJ = "\u200c"
_HANGUL_L = _CodePoints((0x1100, 0x115F), (0xA960, 0xA97C))
_HANGUL_V = _CodePoints((0x1160, 0x11A7), (0xD7B0, 0xD7C6))
_HANGUL_T = _CodePoints((0x11A8, 0x11FF), (0xD7CB, 0xD7FB))
_HANGUL_SYLLABLES = (0xAC00, 0xD7A3)
_HANGUL_T_COUNT = 28
_REGIONAL_INDICATORS = (0x1F1E6, 0x1F1FF)
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


@lru_cache(maxsize=4096)
def _properties(char: str) -> _Properties:
    """Return a character's Grapheme_Cluster_Break and the other properties the rules use."""
    code = ord(char)
    kind = _break_kind(char, code)
    if code in _CONJUNCT_LINKERS:
        conjunct = _Conjunct.LINKER
    elif kind in (_Break.EXTEND, _Break.ZWJ) and char != _ZWNJ:
        conjunct = _Conjunct.EXTEND
    elif code in _CONJUNCT_CONSONANTS:
        conjunct = _Conjunct.CONSONANT
    else:
        conjunct = _Conjunct.NONE
    return _Properties(kind, code in _EXTENDED_PICTOGRAPHIC, conjunct)


def _break_kind(char: str, code: int) -> _Break:
    """Return a character's Grapheme_Cluster_Break value."""
    if char == "\r":
        return _Break.CR
    if char == "\n":
        return _Break.LF
    if char == "\u200d":
        return _Break.ZWJ
    if _REGIONAL_INDICATORS[0] <= code <= _REGIONAL_INDICATORS[1]:
        return _Break.REGIONAL_INDICATOR
    if code in _PREPEND:
        return _Break.PREPEND
    category = unicodedata.category(char)
    if code in _SPACING_MARK:
        return _Break.SPACING_MARK
    if category in ("Mn", "Me") or code in _EXTEND:
        return _Break.EXTEND
    if category in _CONTROL_CATEGORIES or (
        category == "Cn" and code in _IGNORABLE_UNASSIGNED
    ):
        return _Break.CONTROL
    if category == "Mc" and code not in _NOT_SPACING_MARK:
        return _Break.SPACING_MARK
    return _hangul_kind(code)


def _hangul_kind(code: int) -> _Break:
    """Return the Hangul syllable type of a code point, or OTHER."""
    if _HANGUL_SYLLABLES[0] <= code <= _HANGUL_SYLLABLES[1]:
        if (code - _HANGUL_SYLLABLES[0]) % _HANGUL_T_COUNT == 0:
            return _Break.LV
        return _Break.LVT
    if code in _HANGUL_L:
        return _Break.L
    if code in _HANGUL_V:
        return _Break.V
    if code in _HANGUL_T:
        return _Break.T
    return _Break.OTHER


_NEVER_AFTER = frozenset({_Break.CONTROL, _Break.CR, _Break.LF})
_JOINS_LV = {
    _Break.L: frozenset({_Break.L, _Break.V, _Break.LV, _Break.LVT}),
    _Break.LV: frozenset({_Break.V, _Break.T}),
    _Break.V: frozenset({_Break.V, _Break.T}),
    _Break.LVT: frozenset({_Break.T}),
    _Break.T: frozenset({_Break.T}),
}
_ALWAYS_JOINS = frozenset({_Break.EXTEND, _Break.ZWJ, _Break.SPACING_MARK})
# What can join a character to another (CR only to LF).
_JOINING = (
    _ALWAYS_JOINS | _JOINS_LV.keys() | {_Break.PREPEND, _Break.REGIONAL_INDICATOR}
)


def grapheme_boundaries(text: str) -> Sequence[int]:
    """Return every index where text may be cut, from 0 to len(text), in order."""
    if "\r\n" not in text and _never_joins(text):
        return range(len(text) + 1)
    properties = list(map(_properties, text))
    boundaries = [0]
    # State of the rules that look further back than one character.
    regional_indicators = 0  # GB12, GB13: regional indicators in a row so far
    emoji = False  # GB11: ExtPict Extend* ends here
    emoji_zwj = False  # GB11: ExtPict Extend* ZWJ ends here
    conjunct = _Conjunct.NONE  # GB9c: Consonant, then LINKER once a linker followed
    for index in range(1, len(text)):
        before = properties[index - 1]
        kind = before.kind
        regional_indicators = (
            regional_indicators + 1 if kind is _Break.REGIONAL_INDICATOR else 0
        )
        emoji_zwj = kind is _Break.ZWJ and emoji
        emoji = before.pictographic or (kind is _Break.EXTEND and emoji)
        if before.conjunct is _Conjunct.CONSONANT:
            conjunct = _Conjunct.CONSONANT
        elif before.conjunct is _Conjunct.LINKER and conjunct is not _Conjunct.NONE:
            conjunct = _Conjunct.LINKER
        elif before.conjunct is not _Conjunct.EXTEND:
            conjunct = _Conjunct.NONE
        if not _joins(
            before, properties[index], regional_indicators, emoji_zwj, conjunct
        ):
            boundaries.append(index)
    boundaries.append(len(text))
    return boundaries


# Characters seen that join no neighbour, so that most texts are checked at
# the speed of a set operation; bounded, as any character may come along.
_NON_JOINING: set[str] = set()
_NON_JOINING_MAX = 4096


def _never_joins(text: str) -> bool:
    """Return whether no character of the text can join another (CR LF aside)."""
    if _NON_JOINING.issuperset(text):
        return True
    unknown = set(text).difference(_NON_JOINING)
    if any(_properties(char).kind in _JOINING for char in unknown):
        return False
    if len(_NON_JOINING) + len(unknown) <= _NON_JOINING_MAX:
        _NON_JOINING.update(unknown)
    return True


def _joins(
    before: _Properties,
    after: _Properties,
    regional_indicators: int,
    emoji_zwj: bool,
    conjunct: _Conjunct,
) -> bool:
    """Return whether two characters belong to one cluster, given the look-back state at `before`."""
    if before.kind is _Break.CR:
        return after.kind is _Break.LF  # GB3, GB4
    if before.kind in _NEVER_AFTER or after.kind in _NEVER_AFTER:
        return False  # GB4, GB5
    if after.kind in _JOINS_LV.get(before.kind, ()):
        return True  # GB6-GB8
    if after.kind in _ALWAYS_JOINS or before.kind is _Break.PREPEND:
        return True  # GB9, GB9a, GB9b
    if after.conjunct is _Conjunct.CONSONANT and conjunct is _Conjunct.LINKER:
        return True  # GB9c
    if after.pictographic and emoji_zwj:
        return True  # GB11
    # GB12, GB13: regional indicators pair up from the start of their run.
    return after.kind is _Break.REGIONAL_INDICATOR and regional_indicators % 2 == 1
