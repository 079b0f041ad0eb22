"""Fuzz tests of the MO parser and the webhook: no body, however hostile, breaks either.

Bodies come from hypothesis strategies: random bytes and text, valid messages with
bytes or characters inserted, deleted or replaced, deep nesting, huge attributes,
odd encodings (BOMs, declared encodings right, wrong and unknown) and entity/DTD
injections mixed into valid messages. Every run is derandomized, so CI and every
developer see the same bodies.

The webhook test cannot use @given (Home Assistant's fixtures are per test), so it
draws its bodies from the same strategies with a derandomized inner @given and
posts them all through Home Assistant's HTTP server in one test.
"""

from __future__ import annotations

from collections.abc import Callable
import logging

from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tatango_sms.const import EVENT_RECEIVED
from custom_components.tatango_sms.tatango.mo import (
    MAX_BODY_BYTES,
    IncomingMessage,
    MOError,
    MOReason,
    _read_message,
    keyword,
    parse_mo,
)
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from tatango_simulator import mo_xml
from tatango_simulator.mo import cdata

from .helpers import event_data, webhook_path

# On Python 3.14 Hypothesis's check of its own PRNG registration misfires once
# per process, when Hypothesis first runs (a false alarm about its own Random).
pytestmark = pytest.mark.filterwarnings(
    "ignore:It looks like `register_random`:hypothesis.errors.HypothesisWarning"
)

PARSER_EXAMPLES = 1500
WEBHOOK_BODIES = 1200
ROUND_TRIP_EXAMPLES = 300
INJECTION_EXAMPLES = 300
DOCUMENTED_EXAMPLES = 1500

FUZZ_SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# Characters XML 1.0 forbids in a document. Generated text also leaves out CR,
# which XML turns into LF, so that sender and content can be compared exactly.
_NOT_XML = [chr(c) for c in range(0x20) if c not in (0x9, 0xA, 0xD)] + [
    "\ufffe",
    "\uffff",
]
XML_TEXT = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters=[*_NOT_XML, "\r"]),
    max_size=200,
)
PHONE_NUMBERS = st.from_regex(r"\A[2-9][0-9]{2}[2-9][0-9]{6}\Z")
# Phone numbers as a sender may write them, with the number the event carries.
WRITTEN_NUMBERS = st.one_of(
    PHONE_NUMBERS.map(lambda number: (number, number)),
    st.sampled_from(
        [
            ("+1 (206) 555-0123", "2065550123"),
            ("19998887777", "9998887777"),
            (" 2065550123\n", "2065550123"),
            ("+44 20 7946 0958", "+442079460958"),
            ("12345", "12345"),
        ]
    ),
)
SENDERS = st.one_of(
    WRITTEN_NUMBERS.map(lambda written: written[0]),
    st.sampled_from(["PHONE_NUMBER", "a&b<c>", "1234567890123456"]),
    XML_TEXT.filter(str.strip),
)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _as_text(sender: str, content: str) -> str:
    """Render a message without declaration, its content as escaped text."""
    return (
        f"<message><sender>{_escape(sender)}</sender>"
        f"<content>{_escape(content)}</content></message>"
    )


def _shuffled(sender: str, content: str) -> str:
    """Render a message with an attribute, a comment, content first and an extra element."""
    return (
        f'<message id="7"><!-- from the gateway --><content>{cdata(content)}</content>'
        f"<extra>ignored</extra>\n<sender>{_escape(sender)}</sender></message>"
    )


RENDERERS: list[Callable[[str, str], str]] = [mo_xml, _as_text, _shuffled]
VALID_DOCUMENTS = st.builds(
    lambda render, sender, content: render(sender, content),
    st.sampled_from(RENDERERS),
    SENDERS,
    XML_TEXT,
)

# Pieces that make markup interesting when they land somewhere in a document.
MARKUP_TOKENS = [
    "<",
    ">",
    "&",
    "/",
    '"',
    "]]>",
    "<![CDATA[",
    "</content>",
    "<content>",
    "<sender>",
    "</sender>",
    "</message>",
    "<message>",
    "<sender/>",
    "<b>x</b>",
    "&amp;",
    "&lt;",
    "&#0;",
    "&#x110000;",
    "&#xD800;",
    "&#65;",
    "&undefined;",
    "<!--",
    "-->",
    "<?pi data?>",
    '<?xml version="1.0"?>',
    "<!DOCTYPE message>",
    "\x00",
    "\r\n",
    " ",
]
BYTE_PIECES = st.one_of(
    st.sampled_from([token.encode() for token in MARKUP_TOKENS]),
    st.sampled_from(
        [b"\xff", b"\xfe", b"\xc3", b"\x80", b"\xed\xa0\x80", b"\xef\xbb\xbf"]
    ),
    st.binary(min_size=1, max_size=8),
)
TEXT_PIECES = st.one_of(
    st.sampled_from(MARKUP_TOKENS),
    st.sampled_from(["\ud800", "\udfff", "\ufffe", "\ufeff", "é", "😀"]),
    st.text(min_size=1, max_size=8),
)


@st.composite
def mutated_documents(draw: st.DrawFn) -> bytes | str:
    """Draw a valid message with bytes (or characters) inserted, deleted or replaced."""
    document: str = draw(VALID_DOCUMENTS)
    body: bytes | str = document.encode() if draw(st.booleans()) else document
    pieces = BYTE_PIECES if isinstance(body, bytes) else TEXT_PIECES
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, 1 << 16)) % (len(body) + 1)
        operation = draw(st.sampled_from(["insert", "delete", "replace"]))
        if operation == "delete":
            body = body[:at] + body[at + draw(st.integers(1, 16)) :]
            continue
        piece = draw(pieces)
        end = at + len(piece) if operation == "replace" else at
        body = body[:at] + piece + body[end:]
    return body


@st.composite
def deeply_nested(draw: st.DrawFn) -> str:
    """Draw elements nested thousands deep: inside the message, its content, or as the root."""
    depth = draw(st.integers(1, 12_000))
    tag = draw(st.sampled_from(["a", "message", "content", "sender", "p:q"]))
    tail = draw(st.sampled_from(["closed", "unclosed", "mismatched"]))
    opening = f"<{tag}>" * depth
    closing = {"closed": f"</{tag}>", "unclosed": "", "mismatched": "</z>"}[
        tail
    ] * depth
    nest = f"{opening}hi{closing}"
    return draw(
        st.sampled_from(
            [
                nest,
                f"<message><sender>2065550123</sender>{nest}</message>",
                f"<message><sender>2065550123</sender><content>{nest}</content></message>",
                f"<message><sender>{nest}</sender></message>",
            ]
        )
    )


@st.composite
def huge_attributes(draw: st.DrawFn) -> str:
    """Draw a valid message with attributes up to beyond the size limit."""
    unit = draw(
        st.sampled_from(["x", "&amp;", "&#x1F600;", "é", "😀", "&lol;", "<", '"', " "])
    )
    length = draw(st.integers(0, 70_000)) // len(unit)
    name = draw(st.sampled_from(["a", "n" * 2000, "xmlns", "xmlns:p", "p:a"]))
    count = draw(st.integers(1, 3))
    names = [name if draw(st.booleans()) else f"{name}{i}" for i in range(count)]
    attributes = "".join(f' {n}="{unit * length}"' for n in names)
    element = draw(st.sampled_from(["message", "sender", "content"]))
    parts = {
        "message": "<message{}><sender>2065550123</sender><content>hi</content></message>",
        "sender": "<message><sender{}>2065550123</sender><content>hi</content></message>",
        "content": "<message><sender>2065550123</sender><content{}>hi</content></message>",
    }
    return parts[element].format(attributes)


DECLARED_ENCODINGS = [
    None,
    "UTF-8",
    "utf-8",
    "UTF-16",
    "UTF-16LE",
    "UTF-16BE",
    "ISO-8859-1",
    "latin-1",
    "windows-1252",
    "US-ASCII",
    "UTF-32",
    "cp037",
    "koi8-r",
    "shift_jis",
    "utf-7",
    "no-such-encoding",
    "",
    "rot13",
    "base64",
    "undefined",
    "idna",
]
CODECS = [
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "latin-1",
    "cp1252",
    "ascii",
    "utf-32",
    "cp037",
]


@st.composite
def odd_encodings(draw: st.DrawFn) -> bytes:
    """Draw a message in some encoding, declaring that one, another, an unknown or none."""
    declared = draw(st.sampled_from(DECLARED_ENCODINGS))
    codec = draw(st.sampled_from(CODECS))
    declaration = (
        "" if declared is None else f'<?xml version="1.0" encoding="{declared}"?>\n'
    )
    render = draw(st.sampled_from(RENDERERS))
    document = declaration + render(draw(SENDERS), draw(XML_TEXT)).removeprefix(
        '<?xml version="1.0"?>\n'
    )
    return document.encode(codec, "replace")


def _billion_laughs(levels: int) -> str:
    entities = "".join(
        f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">'
        for level in range(1, levels + 1)
    )
    return f'<!DOCTYPE message [<!ENTITY lol0 "EXPANDED">{entities}]>'


DTD_INJECTIONS = [
    '<!DOCTYPE message [<!ENTITY e "EXPANDED">]>',
    '<!DOCTYPE message [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE message SYSTEM "http://127.0.0.1:1/evil.dtd">',
    '<!DOCTYPE message PUBLIC "-//EVIL//EN" "file:///etc/passwd">',
    '<!DOCTYPE message [<!ENTITY % p SYSTEM "http://127.0.0.1:1/x.dtd"> %p;]>',
    "<!DOCTYPE message [<!ENTITY % p \"<!ENTITY e 'EXPANDED'>\"> %p;]>",
    '<!DOCTYPE message [<!ATTLIST message a CDATA "EXPANDED">]>',
    "<!DOCTYPE message [<!ELEMENT message ANY>]>",
    '<!DOCTYPE message [<!NOTATION n SYSTEM "x"><!ENTITY u SYSTEM "x" NDATA n>]>',
    "<!DOCTYPE message>",
    _billion_laughs(3),
    _billion_laughs(9),
]
ENTITY_REFERENCES = ["&e;", "&xxe;", "&lol9;", "&lol3;", "&u;", "%p;", "&#x26;e;"]


@st.composite
def dtd_injections(draw: st.DrawFn, *, in_prolog: bool | None = None) -> bytes | str:
    """Draw a valid message with a DTD and entity references put into it.

    in_prolog: True puts the DTD before the root element, where it is a real DTD;
    False anywhere; None either.
    """
    document: str = draw(VALID_DOCUMENTS)
    injection = draw(st.sampled_from(DTD_INJECTIONS))
    if in_prolog is None:
        in_prolog = draw(st.booleans())
    if in_prolog:
        declaration = '<?xml version="1.0"?>\n'
        at = len(declaration) if document.startswith(declaration) else 0
    else:
        at = draw(st.integers(0, len(document)))
    body = document[:at] + injection + document[at:]
    after = at + len(injection)
    for reference in draw(st.lists(st.sampled_from(ENTITY_REFERENCES), max_size=4)):
        spot = draw(st.integers(after, len(body)))
        body = body[:spot] + reference + body[spot:]
    return body.encode() if draw(st.booleans()) else body


ANY_BODY = st.one_of(
    VALID_DOCUMENTS,
    st.binary(max_size=4096),
    st.text(max_size=2048),
    mutated_documents(),
    deeply_nested(),
    huge_attributes(),
    odd_encodings(),
    dtd_injections(),
)


def parse_or_error(body: bytes | str) -> IncomingMessage | MOError:
    """Return what parse_mo makes of a body; fail on anything but a message or MOError."""
    try:
        message = parse_mo(body)
    except MOError as err:
        return _checked_error(err)
    assert isinstance(message, IncomingMessage)
    assert isinstance(message.sender, str)
    assert isinstance(message.content, str)
    assert message.sender
    assert message.sender == message.sender.strip()
    return message


def _checked_error(error: MOError) -> MOError:
    assert isinstance(error.reason, MOReason)
    # A short, fixed detail: never the (possibly huge, hostile) body.
    assert 0 < len(str(error)) < 200
    return error


def _marker_count(body: bytes | str, marker: str) -> int:
    return (
        body.count(marker.encode()) if isinstance(body, bytes) else body.count(marker)
    )


# The parser


def test_parser_never_fails_otherwise(
    record_property: Callable[[str, object], None],
) -> None:
    """parse_mo returns a message or raises MOError, for every kind of hostile body."""
    bodies: set[bytes | str] = set()

    @settings(FUZZ_SETTINGS, max_examples=PARSER_EXAMPLES)
    @given(body=ANY_BODY)
    def check(body: bytes | str) -> None:
        bodies.add(body)
        result = parse_or_error(body)
        if isinstance(result, IncomingMessage):
            assert parse_mo(body) == result
            # Nothing is ever expanded: text shows up at most as often as it was posted.
            for marker in ("EXPANDED", "root:"):
                found = result.sender.count(marker) + result.content.count(marker)
                assert found <= _marker_count(body, marker)

    check()

    record_property("bodies", len(bodies))
    assert len(bodies) >= 1000


@settings(FUZZ_SETTINGS, max_examples=ROUND_TRIP_EXAMPLES)
@given(data=st.data())
def test_valid_documents_round_trip(data: st.DataObject) -> None:
    """A valid message in UTF-8, UTF-16, Latin-1 or ASCII keeps its content exactly, and its sender's number."""
    codec, declared, alphabet = data.draw(
        st.sampled_from(
            [
                ("utf-8", None, None),
                ("utf-8", "UTF-8", None),
                ("utf-8-sig", None, None),
                ("utf-16", "UTF-16", None),
                ("utf-16", None, None),
                ("latin-1", "ISO-8859-1", 0xFF),
                ("ascii", "US-ASCII", 0x7F),
            ]
        )
    )
    characters = st.characters(
        max_codepoint=alphabet,
        exclude_categories=("Cs",),
        exclude_characters=[*_NOT_XML, "\r"],
    )
    sender, number = data.draw(WRITTEN_NUMBERS)
    content = data.draw(st.text(characters, max_size=300))
    render = data.draw(st.sampled_from(RENDERERS))
    declaration = (
        "" if declared is None else f'<?xml version="1.0" encoding="{declared}"?>\n'
    )
    document = declaration + render(sender, content).removeprefix(
        '<?xml version="1.0"?>\n'
    )

    expected = IncomingMessage(sender=number, content=content)
    assert parse_mo(document.encode(codec)) == expected
    if codec.startswith("utf-8"):
        assert parse_mo(document) == expected


@settings(FUZZ_SETTINGS, max_examples=INJECTION_EXAMPLES)
@given(body=dtd_injections(in_prolog=True))
def test_dtd_before_the_root_is_forbidden(body: bytes | str) -> None:
    """A message with any DTD at all is refused as forbidden XML, whatever it declares."""
    result = parse_or_error(body)
    assert isinstance(result, MOError)
    assert result.reason == MOReason.FORBIDDEN_XML


# The gateway's own layout, read without the parser

# Text around the edges of what the shortcut takes: CDATA ends, CR, C0
# controls, the non-characters U+FFFE and U+FFFF and lone surrogates.
AWKWARD_TEXT = st.lists(
    st.one_of(
        st.text(max_size=20),
        st.sampled_from(
            [
                *("]]>", "]", "]]", ">", "]]><![CDATA[", "<![CDATA["),
                *("\r", "\r\n", "\t", "\n"),
                *("\x00", "\x08", "\x0b", "\x1f", "\x7f", "\x85"),
                *("\ufffe", "\uffff", "\ufffd", "\ud800", "😀", "é"),
            ]
        ),
    ),
    max_size=12,
).map("".join)
DOCUMENTED_SENDERS = st.one_of(
    PHONE_NUMBERS,
    st.sampled_from(["", " 2065550123", "+12065550123", "２０６", "2065550123 ", "1"]),
    AWKWARD_TEXT,
)


def _documented(sender: str, content: str) -> str:
    """Render the documented layout with the content in one CDATA section, unescaped."""
    return (
        f'<?xml version="1.0"?>\n<message>\n  <sender>{sender}</sender>\n'
        f"  <content><![CDATA[{content}]]></content>\n</message>"
    )


@st.composite
def documented_layouts(draw: st.DrawFn) -> bytes | str:
    """Draw a body in the gateway's layout, as str or bytes, now and then with bytes replaced."""
    render = draw(st.sampled_from([_documented, mo_xml]))
    document = render(draw(DOCUMENTED_SENDERS), draw(AWKWARD_TEXT))
    if draw(st.booleans()):
        return document
    body = document.encode("utf-8", "surrogatepass")
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(body)))
        piece = draw(
            st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\r", b"]]>"])
        )
        body = body[:at] + piece + body[at:]
    return body


def _parsed_in_full(body: bytes | str) -> IncomingMessage | MOReason:
    try:
        return _read_message(body)
    except MOError as err:
        return err.reason


EDGES_OF_THE_LAYOUT = [
    _documented("2065550123", "a]]>b"),  # the section ends inside: malformed
    mo_xml("2065550123", "a]]>b"),  # written as two sections: "a]]>b"
    _documented("2065550123", "a]]><![CDATA[b"),
    _documented("2065550123", "a]"),
    _documented("2065550123", "a]]"),
    _documented("2065550123", "line\r\nbreak"),
    _documented("2065550123", "nul\x00"),
    _documented("2065550123", "\ufffe"),
    _documented("+12065550123", "plus"),
    # Ten digits that are no national number, and numbers of other lengths.
    _documented("1065550123", "area code 1"),
    _documented("2061550123", "exchange 1"),
    _documented("12065550123", "eleven digits"),
    _documented("206555012", "nine digits"),
    _documented("２０６５５５０１２３", "fullwidth digits"),
    # Halves of "é" in two sections: each section must be UTF-8 on its own.
    _documented("2065550123", "\udcc3]]><![CDATA[\udca9"),
]


@settings(FUZZ_SETTINGS, max_examples=DOCUMENTED_EXAMPLES)
@given(body=documented_layouts())
def test_documented_layout_reads_as_the_parser_does(body: bytes | str) -> None:
    """A body in the gateway's own layout, read without the XML parser, gives exactly what the parser gives."""
    result = parse_or_error(body)
    expected = _parsed_in_full(body)
    assert (result.reason if isinstance(result, MOError) else result) == expected


@pytest.mark.parametrize("body", EDGES_OF_THE_LAYOUT)
@pytest.mark.parametrize("encoded", [False, True], ids=["str", "bytes"])
def test_edges_of_the_documented_layout(body: str, *, encoded: bool) -> None:
    """Where the layout ends, reading it without the parser gives what the parser gives."""
    posted = body.encode("utf-8", "surrogateescape") if encoded else body
    result = parse_or_error(posted)
    expected = _parsed_in_full(posted)
    assert (result.reason if isinstance(result, MOError) else result) == expected


# The webhook


@pytest.fixture
async def client(
    loaded_entry: MockConfigEntry, hass_client_no_auth: ClientSessionGenerator
) -> TestClient:
    """Return an HTTP client for Home Assistant, with the entry's webhook registered."""
    return await hass_client_no_auth()


# Bodies whose meaning depends on who decodes them, posted as the gateway posts
# (text/xml, no charset): the XML's BOM or encoding declaration decides.
DECLARED_ENCODINGS_CASES = [
    pytest.param(
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        "<message><sender>2065550123</sender><content>Straß° Â£5 Ã©</content>"
        "</message>".encode("latin-1"),
        "Straß° Â£5 Ã©",
        # Its bytes are valid UTF-8 too: read as UTF-8 they say "Stra߰ £5 é".
        id="latin-1-also-valid-utf-8",
    ),
    pytest.param(
        '<?xml version="1.0" encoding="UTF-16"?>'
        "<message><sender>2065550123</sender><content>sans BOM</content>"
        "</message>".encode("utf-16-le"),
        "sans BOM",
        id="utf-16-without-bom",
    ),
    pytest.param(
        mo_xml("2065550123", "café ✓").encode("utf-16"), "café ✓", id="utf-16-bom"
    ),
    pytest.param(
        mo_xml("2065550123", "café ✓").encode("utf-8-sig"), "café ✓", id="utf-8-bom"
    ),
    pytest.param(
        b'<?xml version="1.0" encoding="UTF-16"?>'
        b"<message><sender>2065550123</sender><content>liar</content></message>",
        None,
        id="ascii-declared-utf-16",
    ),
]


@pytest.mark.parametrize(("body", "content"), DECLARED_ENCODINGS_CASES)
async def test_xml_declares_its_own_encoding(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    client: TestClient,
    body: bytes,
    content: str | None,
) -> None:
    """Without a charset in the Content-Type, the webhook reads the body as the XML says."""
    events = async_capture_events(hass, EVENT_RECEIVED)

    response = await client.post(
        webhook_path(loaded_entry.data[CONF_WEBHOOK_ID]),
        data=body,
        headers={"Content-Type": "text/xml"},
    )
    await hass.async_block_till_done()

    if content is None:
        assert response.status == 400
        assert events == []
    else:
        assert response.status == 200
        assert [event.data["content"] for event in events] == [content]


# Fuzzing the webhook

# Posted in turn: the gateway's own, others, and charsets right, wrong and unknown.
CONTENT_TYPES = [
    "text/xml",
    "application/xml",
    "text/plain",
    "application/octet-stream",
    "text/xml; charset=utf-8",
    "text/xml; charset=iso-8859-1",
    "text/xml; charset=utf-16",
    "text/xml; charset=no-such-charset",
]


def generated_bodies(count: int) -> list[bytes]:
    """Return count distinct bodies drawn, derandomized, from the fuzzing strategies."""
    bodies: dict[bytes, None] = {}

    @settings(FUZZ_SETTINGS, max_examples=count, phases=[Phase.generate])
    @given(body=ANY_BODY)
    def draw(body: bytes | str) -> None:
        if isinstance(body, str):
            body = body.encode("utf-8", "surrogatepass")
        bodies[body] = None

    draw()
    return list(bodies)


# The charsets of CONTENT_TYPES the webhook honours, as Python codecs.
HONOURED_CHARSETS = {"utf-8": "utf-8", "iso-8859-1": "latin-1", "utf-16": "utf-16"}


def expected_outcome(
    body: bytes, content_type: str
) -> IncomingMessage | MOError | None:
    """Return what the webhook should make of a post; None if it cannot read it.

    Without a charset in the Content-Type the XML decides its own encoding
    (RFC 7303). A charset must be one the webhook honours, and the body valid
    in it.
    """
    _, _, charset = content_type.partition("; charset=")
    if not charset or len(body) > MAX_BODY_BYTES:
        return parse_or_error(body)
    if (codec := HONOURED_CHARSETS.get(charset)) is None:
        return None
    try:
        return parse_or_error(body.decode(codec))
    except UnicodeDecodeError:
        return None


async def test_webhook_fuzz(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
    record_property: Callable[[str, object], None],
) -> None:
    """Every body gets 200, 400 or 413 as the charset and parse_mo decide (never a 5xx or a crash), and an event iff it is a message."""
    path = webhook_path(loaded_entry.data[CONF_WEBHOOK_ID])
    pinned = [case.values[0] for case in DECLARED_ENCODINGS_CASES]
    bodies = pinned + generated_bodies(WEBHOOK_BODIES)
    events = async_capture_events(hass, EVENT_RECEIVED)
    mismatches = []
    received = 0

    for index, body in enumerate(bodies):
        content_type = CONTENT_TYPES[index % len(CONTENT_TYPES)]
        expected = expected_outcome(body, content_type)
        before = len(events)
        response = await client.post(
            path, data=body, headers={"Content-Type": content_type}
        )
        fired = [event.data for event in events[before:]]
        if expected is None:
            wanted = (400, [])
        elif isinstance(expected, IncomingMessage):
            received += 1
            wanted = (
                200,
                [
                    event_data(
                        loaded_entry.entry_id,
                        expected.sender,
                        expected.content,
                        keyword(expected.content),
                    )
                ],
            )
        elif expected.reason in (MOReason.BODY_TOO_LARGE, MOReason.CONTENT_TOO_LONG):
            wanted = (413, [])
        else:
            wanted = (400, [])
        if (response.status, fired) != wanted:
            mismatches.append(
                (index, content_type, body[:300], wanted, (response.status, fired))
            )
    await hass.async_block_till_done()

    record_property("bodies", len(bodies))
    record_property("messages", received)
    assert mismatches == []
    assert len(events) == received
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert len(bodies) >= 1000
    # Both outcomes are well exercised.
    assert 100 < received < len(bodies) - 100
    assert any(len(body) > MAX_BODY_BYTES for body in bodies)
