"""Phone numbers, SMS length and splitting, and plain GSM-7 text for the Tatango gateway.

Knows nothing about Home Assistant. The gateway takes 10-digit North American
numbers, and one SMS holds 160 GSM-7 septets or 70 UTF-16 code units ("UCS-2");
a concatenated message holds 153 or 67 per part.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from itertools import accumulate
from math import ceil
import re
import unicodedata

from text_unidecode import unidecode  # type: ignore[import-untyped]

from .graphemes import grapheme_boundaries

# Phone numbers


class PhoneNumberReason(StrEnum):
    """Why a phone number cannot be sent to."""

    EMPTY = "empty"
    INVALID_CHARACTERS = "invalid_characters"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    COUNTRY_CODE = "country_code"
    AREA_CODE = "area_code"
    EXCHANGE_CODE = "exchange_code"


_PHONE_NUMBER_PROBLEMS = {
    PhoneNumberReason.EMPTY: "it has no digits",
    PhoneNumberReason.INVALID_CHARACTERS: (
        "only digits, spaces, '-', '.', '(', ')' and a leading '+' are allowed"
    ),
    PhoneNumberReason.TOO_SHORT: "too few digits; expected 10, or 11 starting with 1",
    PhoneNumberReason.TOO_LONG: "too many digits; expected 10, or 11 starting with 1",
    PhoneNumberReason.COUNTRY_CODE: "only US and Canada numbers (country code +1) are supported",
    PhoneNumberReason.AREA_CODE: "the area code cannot start with 0 or 1",
    PhoneNumberReason.EXCHANGE_CODE: "the exchange code (digits 4 to 6) cannot start with 0 or 1",
}


class InvalidPhoneNumber(ValueError):
    """A phone number the gateway cannot send to; `reason` says why."""

    def __init__(self, reason: PhoneNumberReason, number: str) -> None:
        """Initialize with the reason code and the number as given."""
        super().__init__(
            f"invalid phone number {number!r}: {_PHONE_NUMBER_PROBLEMS[reason]}"
        )
        self.reason = reason
        self.number = number


_PHONE_NUMBER_CHARACTERS = re.compile(r"\+?[0-9\s().-]*")
_NON_DIGITS = re.compile(r"[^0-9]")
_NATIONAL_DIGITS = 10
_NORTH_AMERICAN_COUNTRY_CODE = "1"
_NATIONAL_NUMBER = re.compile(r"[2-9][0-9]{2}[2-9][0-9]{6}")
MAX_E164_DIGITS = 15


def normalize_phone_number(text: str) -> str:
    """Return a US/Canada number as the 10 digits the gateway expects, or raise InvalidPhoneNumber."""
    number = text.strip()
    if not _PHONE_NUMBER_CHARACTERS.fullmatch(number):
        raise InvalidPhoneNumber(PhoneNumberReason.INVALID_CHARACTERS, text)
    digits = _NON_DIGITS.sub("", number)
    if not digits:
        raise InvalidPhoneNumber(PhoneNumberReason.EMPTY, text)
    national = _national_digits(digits, international=number.startswith("+"), text=text)
    if national[0] in "01":
        raise InvalidPhoneNumber(PhoneNumberReason.AREA_CODE, text)
    if national[3] in "01":
        raise InvalidPhoneNumber(PhoneNumberReason.EXCHANGE_CODE, text)
    return national


def normalize_sender(text: str) -> str | None:
    """Return an SMS's sender the way recipients are stored, or None if it is not a phone number.

    A US/Canada number becomes its 10 digits; any other number of up to 15
    digits (E.164's limit) keeps only its digits, after its "+" if it had one.
    """
    if _NATIONAL_NUMBER.fullmatch(text):
        return text  # As the gateway sends it: nothing to do.
    number = text.strip()
    if not _PHONE_NUMBER_CHARACTERS.fullmatch(number):
        return None
    digits = _NON_DIGITS.sub("", number)
    if not digits or len(digits) > MAX_E164_DIGITS:
        return None
    try:
        return normalize_phone_number(number)
    except InvalidPhoneNumber:
        return f"+{digits}" if number.startswith("+") else digits


def _national_digits(digits: str, *, international: bool, text: str) -> str:
    """Return the digits after the country code 1, checking there are exactly 10."""
    if international:
        if not digits.startswith(_NORTH_AMERICAN_COUNTRY_CODE):
            raise InvalidPhoneNumber(PhoneNumberReason.COUNTRY_CODE, text)
        digits = digits[1:]
    elif len(digits) == _NATIONAL_DIGITS + 1 and digits.startswith(
        _NORTH_AMERICAN_COUNTRY_CODE
    ):
        digits = digits[1:]
    if len(digits) < _NATIONAL_DIGITS:
        raise InvalidPhoneNumber(PhoneNumberReason.TOO_SHORT, text)
    if len(digits) > _NATIONAL_DIGITS:
        raise InvalidPhoneNumber(PhoneNumberReason.TOO_LONG, text)
    return digits


# SMS encoding and length

# GSM 03.38 default alphabet in code order, without 0x1B (the escape to the
# extension table).
GSM7_BASIC_CHARACTERS = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039eÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# GSM 03.38 extension table: each is sent as escape + character, two septets.
GSM7_EXTENSION_CHARACTERS = frozenset("\f^{}\\[~]|€")
_GSM7_CHARACTERS = GSM7_BASIC_CHARACTERS | GSM7_EXTENSION_CHARACTERS
_LAST_BMP_CHARACTER = "\uffff"


class SmsEncoding(StrEnum):
    """How an SMS is encoded: GSM-7 if every character allows it, else UCS-2 (UTF-16)."""

    GSM_7 = "gsm7"
    UCS_2 = "ucs2"


_SINGLE_SMS_UNITS = {SmsEncoding.GSM_7: 160, SmsEncoding.UCS_2: 70}
_CONCATENATED_PART_UNITS = {SmsEncoding.GSM_7: 153, SmsEncoding.UCS_2: 67}


@dataclass(frozen=True, slots=True)
class SmsInfo:
    """How a text travels as SMS.

    `units` are GSM-7 septets (an extension character takes 2) or UTF-16 code
    units (a character outside the BMP, such as most emoji, takes 2).
    `segments` is how many SMS a concatenated message takes: 1 up to 160/70
    units (also for the empty text), else parts of 153/67 units, where a
    2-unit character never straddles two parts.
    """

    encoding: SmsEncoding
    characters: int
    units: int
    segments: int


def sms_encoding(text: str) -> SmsEncoding:
    """Return GSM-7 if every character is in the GSM 03.38 tables, else UCS-2."""
    if _GSM7_CHARACTERS.issuperset(text):
        return SmsEncoding.GSM_7
    return SmsEncoding.UCS_2


def sms_info(text: str) -> SmsInfo:
    """Return the encoding, length in units and number of SMS of a text."""
    encoding = sms_encoding(text)
    units = _unit_count(text, encoding)
    return SmsInfo(
        encoding=encoding,
        characters=len(text),
        units=units,
        segments=_segment_count(text, encoding, units),
    )


# GSM-7 stand-ins

# Characters outside GSM-7 with a plain GSM-7 equivalent, other than Latin
# letters (their base letter, or text-unidecode's transliteration).
_GSM7_STAND_INS = {
    **dict.fromkeys("‘’‚‛′ʹʻʼ´`‹›", "'"),
    **dict.fromkeys("“”„‟″«»", '"'),
    **dict.fromkeys("‐‑‒–—―−⁃", "-"),
    **dict.fromkeys("•‣◦∙", "-"),
    "…": "...",
    "\t": " ",
    **dict.fromkeys("\u2028\u2029", "\n"),
    # Invisible: a zero-width space, word joiner, byte order mark, soft hyphen.
    **dict.fromkeys("\u200b\u2060\ufeff\u00ad", ""),
    # Greek capitals that look like Latin ones (GSM-7 has the other ten),
    # as Greek phones send text in capitals.
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX", strict=True)),
}
_LATIN_LETTER_NAMES = ("LATIN CAPITAL ", "LATIN SMALL ")
_COMBINING_DIACRITICS = range(0x0300, 0x0370)
_UNKNOWN_TRANSLITERATION = "[?]"


def gsm7_friendly(text: str) -> str:
    """Return the text in GSM-7 if every other character has a plain stand-in, else as written.

    Curly quotes, dashes, the ellipsis, unusual spaces, bullets and Latin
    letters GSM-7 lacks are replaced (ó → o, ł → l); the accented letters
    GSM-7 has stay. One character without a stand-in (an emoji, a Cyrillic
    or Greek small letter, ...) makes the message UCS-2 whatever else it
    holds, so then nothing is replaced.
    """
    if _GSM7_CHARACTERS.issuperset(text):
        return text
    unusual = set(text).difference(_GSM7_CHARACTERS)
    if any(_gsm7_stand_in(char) is None for char in unusual):
        return text
    # Composed, a letter and its combining accent may be one GSM-7 letter.
    composed = unicodedata.normalize("NFC", text)
    stand_ins = {}
    for char in set(composed).difference(_GSM7_CHARACTERS):
        if (stand_in := _gsm7_stand_in(char)) is None:
            return text
        stand_ins[ord(char)] = stand_in
    return composed.translate(stand_ins)


@lru_cache(maxsize=1024)
def _gsm7_stand_in(char: str) -> str | None:
    """Return the GSM-7 text that stands in for a character, or None if there is none."""
    if (stand_in := _GSM7_STAND_INS.get(char)) is not None:
        return stand_in
    if unicodedata.category(char) == "Zs":
        return " "
    if ord(char) in _COMBINING_DIACRITICS:
        return ""  # an accent on a letter that has no composed form
    if _GSM7_CHARACTERS.issuperset(composed := unicodedata.normalize("NFC", char)):
        return composed  # Ω ohm sign → Ω, Å angstrom sign → Å, K kelvin sign → K
    if not unicodedata.name(char, "").startswith(_LATIN_LETTER_NAMES):
        return None
    # Without its accents, from the last one: ó → o, Ǻ → Å, ệ → e.
    decomposed = unicodedata.normalize("NFD", char)
    for end in range(len(decomposed) - 1, 0, -1):
        if (letter := unicodedata.normalize("NFC", decomposed[:end])) in (
            _GSM7_CHARACTERS
        ):
            return letter
    transliteration: str = unidecode(char)  # ł → l, œ → oe
    if (
        transliteration
        and _UNKNOWN_TRANSLITERATION not in transliteration
        and _GSM7_CHARACTERS.issuperset(transliteration)
    ):
        return transliteration
    return None


# Splitting and truncation


def split_message(text: str, *, max_units: int | None = None) -> list[str]:
    """Split a text into parts that each fit in one SMS.

    The encoding is decided for the text less its trailing whitespace, and
    each part holds at most `max_units` (default 160 GSM-7 or 70 UCS-2
    units). A part ends after the last space or newline that fits, unless
    that would leave the part whitespace-only; otherwise it is cut at the
    last character boundary that fits, so a flag, an emoji with a skin tone
    or a letter with its accent stays whole (only a single character longer
    than a part is cut, never inside a 2-unit code point).
    Whitespace costs nothing only where it fits: trailing whitespace stays
    only if the last part still fits with it, and a run of whitespace that
    would be a part of its own is dropped. So "".join(parts) is the text less
    that whitespace, and no part is blank. A text of nothing but whitespace
    is one empty part, like the empty text.
    """
    return list(_parts(text, max_units)) or [""]


def truncate_message(text: str, *, max_units: int | None = None) -> str:
    """Return the first SMS-worth of a text: the first part split_message would make."""
    return next(_parts(text, max_units), "")


def without_costly_trailing_whitespace(text: str) -> str:
    """Return the text without its trailing whitespace if that takes fewer SMS."""
    stripped = text.rstrip()
    if sms_info(stripped).segments < sms_info(text).segments:
        return stripped
    return text


def _unit_count(text: str, encoding: SmsEncoding) -> int:
    """Return the length of a text in GSM-7 septets or UTF-16 code units."""
    if encoding is SmsEncoding.GSM_7:
        return len(text) + sum(map(text.count, GSM7_EXTENSION_CHARACTERS))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _segment_count(text: str, encoding: SmsEncoding, units: int) -> int:
    """Return how many SMS a concatenated message of this text takes."""
    if units <= _SINGLE_SMS_UNITS[encoding]:
        return 1
    part_units = _CONCATENATED_PART_UNITS[encoding]
    if units == len(text):
        return ceil(units / part_units)
    cumulative = _cumulative_units(text, encoding)
    segments = 0
    start = 0
    while start < len(text):
        start = _fitting_end(cumulative, start, part_units)
        segments += 1
    return segments


@dataclass(frozen=True, slots=True)
class _Layout:
    """A text measured for splitting: its units and where it may be cut."""

    text: str
    limit: int
    cumulative: list[int]
    """Units of text[:i] for every i from 0 to len(text)."""
    cuts: Sequence[int]
    """Every index where a part may end, ascending: grapheme cluster boundaries."""


def _parts(text: str, max_units: int | None) -> Iterator[str]:
    """Yield the parts of a split text, none of them whitespace-only."""
    if max_units is not None and max_units < 2:
        raise ValueError("max_units must be at least 2 to fit any character")
    encoding = sms_encoding(text)
    if _unit_count(text, encoding) <= (max_units or _SINGLE_SMS_UNITS[encoding]):
        if not text.isspace():
            yield text
        return
    body = text.rstrip()
    if not body:
        return
    if len(body) < len(text):
        encoding = sms_encoding(body)
    layout = _Layout(
        body,
        max_units or _SINGLE_SMS_UNITS[encoding],
        _cumulative_units(body, encoding),
        _cuts(body, encoding),
    )
    parts = _body_parts(layout)
    part = next(parts)
    for following in parts:
        yield part
        part = following
    if len(body) < len(text):
        with_trailing = text[len(body) - len(part) :]
        if (
            sms_encoding(with_trailing) is encoding
            and _unit_count(with_trailing, encoding) <= layout.limit
        ):
            part = with_trailing
    yield part


def _body_parts(layout: _Layout) -> Iterator[str]:
    """Yield the parts of a text that does not end in whitespace."""
    text = layout.text
    start = 0
    while start < len(text):
        end = _part_end(layout, start)
        if text[start:end].isspace():
            # Skip the whole run of whitespace, to the cut before what follows it.
            after_run = len(text) - len(text[end:].lstrip())
            start = layout.cuts[bisect_right(layout.cuts, after_run) - 1]
            continue
        yield text[start:end]
        start = end


def _cuts(text: str, encoding: SmsEncoding) -> Sequence[int]:
    """Return the grapheme cluster boundaries of a text, from 0 to len(text)."""
    if encoding is SmsEncoding.UCS_2:
        return grapheme_boundaries(text)
    # Of the GSM-7 characters only CR LF forms a cluster.
    if "\r\n" not in text:
        return range(len(text) + 1)
    inside = {match.start() + 1 for match in re.finditer("\r\n", text)}
    return [i for i in range(len(text) + 1) if i not in inside]


def _cumulative_units(text: str, encoding: SmsEncoding) -> list[int]:
    """Return the units of text[:i] for every i from 0 to len(text)."""
    if encoding is SmsEncoding.GSM_7:
        widths = [2 if char in GSM7_EXTENSION_CHARACTERS else 1 for char in text]
    else:
        widths = [2 if char > _LAST_BMP_CHARACTER else 1 for char in text]
    return list(accumulate(widths, initial=0))


def _fitting_end(cumulative: list[int], start: int, limit: int) -> int:
    """Return the largest end such that text[start:end] is at most `limit` units."""
    return bisect_right(cumulative, cumulative[start] + limit) - 1


def _part_end(layout: _Layout, start: int) -> int:
    """Return where the part starting at `start` ends: after a space if possible."""
    text, cuts = layout.text, layout.cuts
    end = _fitting_end(layout.cumulative, start, layout.limit)
    if end == len(text):
        return end
    cut = cuts[bisect_right(cuts, end) - 1]
    if cut <= start:
        return end  # one character longer than a part: cut inside it
    search_end = cut
    while (
        last_break := max(
            text.rfind(" ", start, search_end), text.rfind("\n", start, search_end)
        )
    ) >= start and not text[start : last_break + 1].isspace():
        if _is_cut(cuts, last_break + 1):
            return last_break + 1
        search_end = last_break  # a space that carries a combining mark
    return cut


def _is_cut(cuts: Sequence[int], index: int) -> bool:
    """Return whether a part may end at index."""
    position = bisect_right(cuts, index) - 1
    return cuts[position] == index
