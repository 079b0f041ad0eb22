"""Tests for phone number normalisation and SMS length."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, strategies as st
import pytest

from custom_components.tatango_sms.tatango.phone import (
    InvalidPhoneNumber,
    PhoneNumberReason,
    SmsEncoding,
    SmsInfo,
    normalize_phone_number,
    normalize_sender,
    sms_info,
    split_message,
    truncate_message,
)

# Phone numbers


@pytest.mark.parametrize(
    "text",
    [
        "(999) 888-7777",
        "999.888.7777",
        "999-888-7777",
        "999 888 7777",
        "+1 999 888 7777",
        "+1 (999) 888-7777",
        "19998887777",
        "1-999-888-7777",
        "9998887777",
        "+19998887777",
        "+1-999-888-7777",
        "+1.999.888.7777",
        "1 (999) 888-7777",
        "(999)888-7777",
        "  9998887777\n",
        "999\u00a0888\u00a07777",
    ],
)
def test_accepted_numbers(text: str) -> None:
    """North American numbers in common formats become the gateway's 10 digits."""
    assert normalize_phone_number(text) == "9998887777"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+1 (212) 555-0123", "2125550123"),
        ("204.555.0199", "2045550199"),
        ("1 800 555 0100", "8005550100"),
    ],
)
def test_accepted_numbers_keep_their_digits(text: str, expected: str) -> None:
    """Normalisation keeps the area code, exchange and line digits."""
    assert normalize_phone_number(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", PhoneNumberReason.EMPTY),
        ("   ", PhoneNumberReason.EMPTY),
        ("+", PhoneNumberReason.EMPTY),
        ("( ) -", PhoneNumberReason.EMPTY),
        ("999888777", PhoneNumberReason.TOO_SHORT),
        ("888-7777", PhoneNumberReason.TOO_SHORT),
        ("+1 999 888 777", PhoneNumberReason.TOO_SHORT),
        ("+1", PhoneNumberReason.TOO_SHORT),
        ("99988877770", PhoneNumberReason.TOO_LONG),
        ("199988877770", PhoneNumberReason.TOO_LONG),
        ("+1 999 888 77770", PhoneNumberReason.TOO_LONG),
        ("999-888-777a", PhoneNumberReason.INVALID_CHARACTERS),
        ("call 9998887777", PhoneNumberReason.INVALID_CHARACTERS),
        ("1-800-FLOWERS", PhoneNumberReason.INVALID_CHARACTERS),
        ("9998887777 ext 12", PhoneNumberReason.INVALID_CHARACTERS),
        ("999/888/7777", PhoneNumberReason.INVALID_CHARACTERS),
        ("999_888_7777", PhoneNumberReason.INVALID_CHARACTERS),
        ("999+888+7777", PhoneNumberReason.INVALID_CHARACTERS),
        ("++19998887777", PhoneNumberReason.INVALID_CHARACTERS),
        ("9998887777+", PhoneNumberReason.INVALID_CHARACTERS),
        (
            "\u0669\u0669\u0669\u0668\u0668\u0668\u0667\u0667\u0667\u0667",
            PhoneNumberReason.INVALID_CHARACTERS,
        ),
        (
            "\uff19\uff19\uff19\uff18\uff18\uff18\uff17\uff17\uff17\uff17",
            PhoneNumberReason.INVALID_CHARACTERS,
        ),
        ("+44 20 7946 0958", PhoneNumberReason.COUNTRY_CODE),
        ("+52 55 1234 5678", PhoneNumberReason.COUNTRY_CODE),
        ("+999 888 7777", PhoneNumberReason.COUNTRY_CODE),
        ("0998887777", PhoneNumberReason.AREA_CODE),
        ("1998887777", PhoneNumberReason.AREA_CODE),
        ("(099) 888-7777", PhoneNumberReason.AREA_CODE),
        ("+1 199 888 7777", PhoneNumberReason.AREA_CODE),
        ("1 099 888 7777", PhoneNumberReason.AREA_CODE),
        ("9990887777", PhoneNumberReason.EXCHANGE_CODE),
        ("999-188-7777", PhoneNumberReason.EXCHANGE_CODE),
        ("+1 999 088 7777", PhoneNumberReason.EXCHANGE_CODE),
    ],
)
def test_rejected_numbers(text: str, reason: PhoneNumberReason) -> None:
    """Numbers the gateway cannot take are refused with the reason why."""
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalize_phone_number(text)
    assert caught.value.reason == reason
    assert caught.value.number == text
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "+44 20 7946 0958",
            "invalid phone number '+44 20 7946 0958': only US and Canada numbers (country code +1) are supported",
        ),
        (
            "999888777",
            "invalid phone number '999888777': too few digits; expected 10, or 11 starting with 1",
        ),
        (
            "1-800-FLOWERS",
            "invalid phone number '1-800-FLOWERS': only digits, spaces, '-', '.', '(', ')' and a leading '+' are allowed",
        ),
        (
            "999-188-7777",
            "invalid phone number '999-188-7777': the exchange code (digits 4 to 6) cannot start with 0 or 1",
        ),
    ],
)
def test_rejection_message(text: str, message: str) -> None:
    """The error explains itself to the person who typed the number."""
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalize_phone_number(text)
    assert str(caught.value) == message


def test_reason_codes_are_strings() -> None:
    """Reason codes compare equal to their string values."""
    assert {reason.value for reason in PhoneNumberReason} == {
        "empty",
        "invalid_characters",
        "too_short",
        "too_long",
        "country_code",
        "area_code",
        "exchange_code",
    }
    assert PhoneNumberReason.COUNTRY_CODE == "country_code"


# Senders of incoming SMS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9998887777", "9998887777"),
        ("+1 (999) 888-7777", "9998887777"),
        ("1.999.888.7777", "9998887777"),
        ("  (999) 888-7777\n", "9998887777"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+52 (55) 1234-5678", "+525512345678"),
        ("0998887777", "0998887777"),
        ("9990887777", "9990887777"),
        ("+1 999 888 777", "+1999888777"),
        ("12345", "12345"),
        ("7", "7"),
        ("+123 456 789 012 345", "+123456789012345"),
        ("123456789012345", "123456789012345"),
    ],
)
def test_sender_is_normalized(text: str, expected: str) -> None:
    """A sender is stored as recipients are: US/Canada as 10 digits, any other number as its digits (and '+')."""
    assert normalize_sender(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        "+",
        "( ) -",
        "PHONE_NUMBER",
        "1-800-FLOWERS",
        "9998887777 ext 12",
        "++19998887777",
        "999+888+7777",
        "9998887777\n2025-01-01 00:00:00.000 ERROR forged",
        "+1234567890123456",
        "1234567890123456",
        "9" * 60_000,
        "\u0669\u0669\u0669\u0668\u0668\u0668\u0667\u0667\u0667\u0667",
        "\uff19\uff19\uff19\uff18\uff18\uff18\uff17\uff17\uff17\uff17",
    ],
)
def test_sender_that_is_no_phone_number(text: str) -> None:
    """Anything but digits with the usual punctuation, at most 15 digits (E.164's limit), is no sender."""
    assert normalize_sender(text) is None


@given(st.from_regex(r"\A\+?[0-9 ().-]{1,30}\Z"))
def test_normalized_sender_is_plus_and_digits(text: str) -> None:
    """A sender accepted is only digits, after at most a '+', and normalizes to itself."""
    number = normalize_sender(text)
    if number is not None:
        assert number.removeprefix("+").isdecimal()
        assert number.isascii()
        assert len(number.removeprefix("+")) <= 15
        assert normalize_sender(number) == number


# GSM 03.38, from the Unicode consortium's GSM0338.TXT: the default alphabet by
# septet value (None for 0x1B, the escape), then the extension table.
GSM7_BASIC_CODE_POINTS = [
    0x40, 0xA3, 0x24, 0xA5, 0xE8, 0xE9, 0xF9, 0xEC, 0xF2, 0xC7, 0x0A, 0xD8, 0xF8, 0x0D, 0xC5, 0xE5,
    0x394, 0x5F, 0x3A6, 0x393, 0x39B, 0x3A9, 0x3A0, 0x3A8, 0x3A3, 0x398, 0x39E, None, 0xC6, 0xE6, 0xDF, 0xC9,
    0x20, 0x21, 0x22, 0x23, 0xA4, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x2D, 0x2E, 0x2F,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F,
    0xA1, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F,
    0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0xC4, 0xD6, 0xD1, 0xDC, 0xA7,
    0xBF, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F,
    0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0xE4, 0xF6, 0xF1, 0xFC, 0xE0,
]  # fmt: skip
GSM7_EXTENSION_CODE_POINTS = [
    0x0C,
    0x5E,
    0x7B,
    0x7D,
    0x5C,
    0x5B,
    0x7E,
    0x5D,
    0x7C,
    0x20AC,
]
GSM7_BASIC = "".join(chr(c) for c in GSM7_BASIC_CODE_POINTS if c is not None)
GSM7_EXTENSION = "".join(chr(c) for c in GSM7_EXTENSION_CODE_POINTS)


def test_gsm7_tables_are_complete() -> None:
    """The reference tables in this test have 127 and 10 distinct characters."""
    assert len(set(GSM7_BASIC)) == 127
    assert len(set(GSM7_EXTENSION)) == 10
    assert not set(GSM7_BASIC) & set(GSM7_EXTENSION)


@pytest.mark.parametrize("char", list(GSM7_BASIC))
def test_gsm7_basic_character_is_one_septet(char: str) -> None:
    """Every character of the default alphabet is GSM-7 and takes one septet."""
    assert sms_info(char) == SmsInfo(
        encoding=SmsEncoding.GSM_7, characters=1, units=1, segments=1
    )


@pytest.mark.parametrize("char", list(GSM7_EXTENSION))
def test_gsm7_extension_character_is_two_septets(char: str) -> None:
    """Every extension character is GSM-7 and takes two septets (escape + code)."""
    assert sms_info(char) == SmsInfo(
        encoding=SmsEncoding.GSM_7, characters=1, units=2, segments=1
    )


def test_every_other_character_needs_ucs2() -> None:
    """Every other code point of the BMP, and beyond it, forces UCS-2."""
    gsm7 = set(GSM7_BASIC) | set(GSM7_EXTENSION)
    others = [
        chr(c)
        for c in range(0x10000)
        if chr(c) not in gsm7 and not 0xD800 <= c < 0xE000
    ]
    others += ["\U0001f600", "\U00010000", "\U0010ffff"]
    assert len(others) == 0x10000 - 0x800 - 137 + 3
    wrong = [c for c in others if sms_info("a" + c).encoding is not SmsEncoding.UCS_2]
    assert wrong == []


@pytest.mark.parametrize(
    ("char", "name"),
    [
        ("\t", "tab"),
        ("`", "backtick"),
        ("ç", "small c cedilla (only the capital is GSM-7)"),
        ("\u2126", "ohm sign (the GSM-7 omega is U+03A9)"),
        ("\u00a0", "no-break space"),
        ("\u2019", "right single quotation mark"),
        ("\u0080", "C1 control"),
    ],
)
def test_lookalikes_need_ucs2(char: str, name: str) -> None:
    """Characters that resemble GSM-7 ones are still UCS-2."""
    assert sms_info(f"Hi{char}").encoding == SmsEncoding.UCS_2, name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SmsInfo(SmsEncoding.GSM_7, characters=0, units=0, segments=1)),
        (
            "Hello @ home! £5 ÆØÅ",
            SmsInfo(SmsEncoding.GSM_7, characters=20, units=20, segments=1),
        ),
        ("a" * 160, SmsInfo(SmsEncoding.GSM_7, characters=160, units=160, segments=1)),
        ("a" * 161, SmsInfo(SmsEncoding.GSM_7, characters=161, units=161, segments=2)),
        ("a" * 306, SmsInfo(SmsEncoding.GSM_7, characters=306, units=306, segments=2)),
        ("a" * 307, SmsInfo(SmsEncoding.GSM_7, characters=307, units=307, segments=3)),
        ("a" * 459, SmsInfo(SmsEncoding.GSM_7, characters=459, units=459, segments=3)),
        ("a" * 460, SmsInfo(SmsEncoding.GSM_7, characters=460, units=460, segments=4)),
        (
            "{price}: 5€",
            SmsInfo(SmsEncoding.GSM_7, characters=11, units=14, segments=1),
        ),
        ("€" * 80, SmsInfo(SmsEncoding.GSM_7, characters=80, units=160, segments=1)),
        (
            "€" * 80 + "a",
            SmsInfo(SmsEncoding.GSM_7, characters=81, units=161, segments=2),
        ),
        (
            "a" * 159 + "^",
            SmsInfo(SmsEncoding.GSM_7, characters=160, units=161, segments=2),
        ),
        ("\f", SmsInfo(SmsEncoding.GSM_7, characters=1, units=2, segments=1)),
        ("ж" * 70, SmsInfo(SmsEncoding.UCS_2, characters=70, units=70, segments=1)),
        ("ж" * 71, SmsInfo(SmsEncoding.UCS_2, characters=71, units=71, segments=2)),
        ("ж" * 134, SmsInfo(SmsEncoding.UCS_2, characters=134, units=134, segments=2)),
        ("ж" * 135, SmsInfo(SmsEncoding.UCS_2, characters=135, units=135, segments=3)),
        (
            "€" * 69 + "ж",
            SmsInfo(SmsEncoding.UCS_2, characters=70, units=70, segments=1),
        ),
        ("😀", SmsInfo(SmsEncoding.UCS_2, characters=1, units=2, segments=1)),
        ("hello 😀", SmsInfo(SmsEncoding.UCS_2, characters=7, units=8, segments=1)),
        ("👍🏽", SmsInfo(SmsEncoding.UCS_2, characters=2, units=4, segments=1)),
        (
            "👨\u200d👩\u200d👧",
            SmsInfo(SmsEncoding.UCS_2, characters=5, units=8, segments=1),
        ),
        ("😀" * 35, SmsInfo(SmsEncoding.UCS_2, characters=35, units=70, segments=1)),
        (
            "😀" * 35 + "a",
            SmsInfo(SmsEncoding.UCS_2, characters=36, units=71, segments=2),
        ),
    ],
)
def test_sms_info(text: str, expected: SmsInfo) -> None:
    """Encoding, characters, units and segments follow GSM 03.38 and UTF-16."""
    assert sms_info(text) == expected


@pytest.mark.parametrize(
    ("text", "units", "segments"),
    [
        ("a" * 152 + "€" + "a" * 152, 306, 3),
        ("€" + "a" * 304, 306, 2),
        ("a" * 151 + "€" + "a" * 153, 306, 2),
        ("ж" * 66 + "😀" + "ж" * 66, 134, 3),
        ("😀" + "ж" * 132, 134, 2),
        ("😀" * 67, 134, 3),
    ],
)
def test_two_unit_character_never_straddles_segments(
    text: str, units: int, segments: int
) -> None:
    """A 2-unit character that would straddle two parts moves to the next one."""
    info = sms_info(text)
    assert info.units == units
    assert info.segments == segments


def test_sms_info_is_frozen() -> None:
    """SmsInfo is an immutable value."""
    info = sms_info("hi")
    with pytest.raises(AttributeError):
        info.units = 3  # type: ignore[misc]


def test_encodings_are_strings() -> None:
    """Encodings compare equal to their usual names."""
    assert SmsEncoding.GSM_7 == "GSM-7"
    assert SmsEncoding.UCS_2 == "UCS-2"


# Splitting and truncation


def gsm7_units(text: str) -> int:
    """Return the GSM-7 septets of text (reference implementation for the tests)."""
    return len(text) + sum(char in GSM7_EXTENSION for char in text)


def utf16_units(text: str) -> int:
    """Return the UTF-16 code units of text (reference implementation for the tests)."""
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("", [""]),
        ("Hello", ["Hello"]),
        ("a" * 160, ["a" * 160]),
        ("word " * 99 + "word", ["word " * 32] * 3 + ["word " * 3 + "word"]),
        ("a" * 100 + " " + "b" * 100, ["a" * 100 + " ", "b" * 100]),
        ("a" * 100 + "\n" + "b" * 100, ["a" * 100 + "\n", "b" * 100]),
        ("a" * 100 + "  " + "b" * 100, ["a" * 100 + "  ", "b" * 100]),
        ("a" * 159 + " " + "b" * 10, ["a" * 159 + " ", "b" * 10]),
        ("a" * 160 + " " + "b" * 10, ["a" * 160, " " + "b" * 10]),
        ("a" * 160 + " ", ["a" * 160, " "]),
        ("x" * 400, ["x" * 160, "x" * 160, "x" * 80]),
        (" " + "x" * 200, [" " + "x" * 159, "x" * 41]),
        ("a" * 159 + "€b", ["a" * 159, "€b"]),
        ("a" * 158 + "€b", ["a" * 158 + "€", "b"]),
        ("a b " + "c" * 155 + "€d", ["a b ", "c" * 155 + "€d"]),
        ("ж" * 69 + "😀ж", ["ж" * 69, "😀ж"]),
        ("ж" * 68 + "😀ж", ["ж" * 68 + "😀", "ж"]),
        ("😀" * 36, ["😀" * 35, "😀"]),
        ("a" * 100 + " 😀", ["a" * 70, "a" * 30 + " 😀"]),
        ("Привет " * 20, ["Привет " * 10, "Привет " * 10]),
    ],
)
def test_split_message(text: str, parts: list[str]) -> None:
    """Parts fit one SMS, end after a space where possible and rejoin to the text."""
    assert split_message(text) == parts
    assert "".join(parts) == text


def test_split_keeps_extension_characters_whole() -> None:
    """A text of extension characters splits into whole escapes, 80 per part."""
    parts = split_message("{" * 200)
    assert parts == ["{" * 80, "{" * 80, "{" * 40]
    assert [gsm7_units(part) for part in parts] == [160, 160, 80]


@pytest.mark.parametrize(
    ("text", "max_units", "parts"),
    [
        ("one two three", 8, ["one two ", "three"]),
        ("one two three", 7, ["one ", "two ", "three"]),
        ("abcdef", 2, ["ab", "cd", "ef"]),
        ("€€€", 2, ["€", "€", "€"]),
        ("a€b", 2, ["a", "€", "b"]),
        ("😀😀", 2, ["😀", "😀"]),
        ("a" * 200, 500, ["a" * 200]),
    ],
)
def test_split_with_max_units(text: str, max_units: int, parts: list[str]) -> None:
    """A smaller budget, such as room left for an appended ad, is respected."""
    assert split_message(text, max_units=max_units) == parts


@pytest.mark.parametrize("max_units", [1, 0, -5])
def test_max_units_below_two_is_refused(max_units: int) -> None:
    """A budget that cannot hold a 2-unit character is an error."""
    with pytest.raises(ValueError, match="max_units"):
        split_message("hello", max_units=max_units)
    with pytest.raises(ValueError, match="max_units"):
        truncate_message("hello", max_units=max_units)


MESSAGE_TEXT = st.text(
    alphabet=st.sampled_from(["a", "b", " ", "\n", "€", "{", "😀", "ж", "é"]),
    max_size=600,
)


@given(text=MESSAGE_TEXT, max_units=st.one_of(st.none(), st.integers(2, 40)))
def test_split_parts_fit_and_rejoin(text: str, max_units: int | None) -> None:
    """For any text, parts rejoin to it, are non-empty and fit the budget."""
    parts = split_message(text, max_units=max_units)
    assert "".join(parts) == text
    is_gsm7 = sms_info(text).encoding is SmsEncoding.GSM_7
    units = gsm7_units if is_gsm7 else utf16_units
    limit = max_units or (160 if is_gsm7 else 70)
    assert all(0 < units(part) <= limit for part in parts) or parts == [""]
    for part, following in pairwise(parts):
        if part[-1] not in " \n":
            assert units(part + following[0]) > limit
    assert truncate_message(text, max_units=max_units) == parts[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("Short message", "Short message"),
        ("a" * 160, "a" * 160),
        ("a" * 100 + " " + "b" * 100, "a" * 100 + " "),
        ("x" * 200, "x" * 160),
        ("a" * 159 + "€b", "a" * 159),
        ("😀" * 40, "😀" * 35),
        ("ж" * 69 + "😀", "ж" * 69),
        (
            "The door is open and the lights are on " * 5,
            "The door is open and the lights are on " * 4 + "The ",
        ),
    ],
)
def test_truncate_message(text: str, expected: str) -> None:
    """Truncation keeps the first SMS-worth, broken like split's first part."""
    assert truncate_message(text) == expected
    assert truncate_message(text) == split_message(text)[0]


def test_truncate_with_max_units() -> None:
    """Truncation respects a smaller budget."""
    assert truncate_message("one two three", max_units=10) == "one two "
