"""Phone numbers and SMS length for the Tatango gateway.

Knows nothing about Home Assistant. The gateway takes 10-digit North American
numbers, and one SMS holds 160 GSM-7 septets or 70 UTF-16 code units ("UCS-2");
a concatenated message holds 153 or 67 per part.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from enum import StrEnum
from itertools import accumulate
from math import ceil
import re

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

    GSM_7 = "GSM-7"
    UCS_2 = "UCS-2"


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


def split_message(text: str, *, max_units: int | None = None) -> list[str]:
    """Split a text into parts that each fit in one SMS.

    The encoding is decided for the whole text, and each part holds at most
    `max_units` (default 160 GSM-7 or 70 UCS-2 units). A part ends after the
    last space or newline that fits, unless that would leave the part
    whitespace-only; otherwise it is cut hard, never inside a 2-unit
    character. The space stays at the end of its part, so "".join(parts)
    is the text. The empty text is one empty part.
    """
    if not text:
        return [""]
    cumulative, limit = _cumulative_units_and_limit(text, max_units)
    parts = []
    start = 0
    while start < len(text):
        end = _part_end(text, cumulative, start, limit)
        parts.append(text[start:end])
        start = end
    return parts


def truncate_message(text: str, *, max_units: int | None = None) -> str:
    """Return the first SMS-worth of a text: the first part split_message would make."""
    cumulative, limit = _cumulative_units_and_limit(text, max_units)
    return text[: _part_end(text, cumulative, 0, limit)]


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


def _cumulative_units_and_limit(
    text: str, max_units: int | None
) -> tuple[list[int], int]:
    """Return the text's cumulative units and the units allowed in one part."""
    encoding = sms_encoding(text)
    if max_units is None:
        max_units = _SINGLE_SMS_UNITS[encoding]
    elif max_units < 2:
        raise ValueError("max_units must be at least 2 to fit any character")
    return _cumulative_units(text, encoding), max_units


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


def _part_end(text: str, cumulative: list[int], start: int, limit: int) -> int:
    """Return where the part starting at `start` ends: after a space if possible."""
    end = _fitting_end(cumulative, start, limit)
    if end == len(text):
        return end
    last_break = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
    if last_break < start or text[start : last_break + 1].isspace():
        return end
    return last_break + 1
