"""Parser for the incoming messages (MO) the Tatango gateway posts to the webhook.

Knows nothing about Home Assistant. The gateway posts this XML::

    <?xml version="1.0"?>
    <message>
      <sender>PHONE_NUMBER</sender>
      <content><![CDATA[MESSAGE_BODY]]></content>
    </message>

Anyone who knows the webhook URL can post anything, so the body is size-capped
and read by Python's own expat (C) with any document type declaration refused,
as defusedxml does: without a DTD no entity can be declared, so none is ever
expanded, internal or external. No tree is built: only the sender and the
content are kept. The sender must be a phone number (it is normalized as
recipients are) and the content at most MAX_CONTENT_CHARACTERS.

That exact layout, with a 10-digit sender, is read without a parser
(read_documented), to what the parser would give; every other body goes to
expat (parse_document). parse_mo does both.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, NamedTuple, NoReturn
from xml.parsers.expat import ExpatError, ParserCreate

from .phone import normalize_sender

MAX_BODY_BYTES = 64 * 1024
# Ten SMS of 160 characters: more than anyone types into a phone (SMS APIs such
# as Twilio's cap a message there too). Longer posts did not come from a phone,
# and whatever replies to them should not have to handle them.
MAX_CONTENT_CHARACTERS = 1600
_MAX_UTF8_BYTES_PER_CHARACTER = 4
# As ElementTree: qualified names become "uri}name", so a namespaced element
# never passes for <message>, <sender> or <content>.
_NAMESPACE_SEPARATOR = "}"
_FIELDS = ("sender", "content")

# The document exactly as the gateway's documentation shows it, around a
# number as the gateway sends them (10 digits) and the content in CDATA.
_DOCUMENTED_START = b'<?xml version="1.0"?>\n<message>\n  <sender>'
_SENDER_END = len(_DOCUMENTED_START) + 10
_DOCUMENTED_MIDDLE = b"</sender>\n  <content><![CDATA["
_CONTENT_START = _SENDER_END + len(_DOCUMENTED_MIDDLE)
_DOCUMENTED_END = b"]]></content>\n</message>"
_NEXT_CDATA_SECTION = b"]]><![CDATA["
# C0 controls XML forbids, and CR, which it turns into LF: left to the parser.
_CONTROLS = bytes([*range(0x09), *range(0x0B, 0x20)])


class MOReason(StrEnum):
    """Why a posted body is not an incoming message."""

    BODY_TOO_LARGE = "body_too_large"
    EMPTY_BODY = "empty_body"
    MALFORMED_XML = "malformed_xml"
    FORBIDDEN_XML = "forbidden_xml"
    WRONG_ROOT = "wrong_root"
    MISSING_SENDER = "missing_sender"
    INVALID_SENDER = "invalid_sender"
    UNEXPECTED_MARKUP = "unexpected_markup"
    CONTENT_TOO_LONG = "content_too_long"


class MOError(ValueError):
    """A posted body that is not an incoming message; `reason` says why."""

    def __init__(self, reason: MOReason, detail: str) -> None:
        """Initialize with the reason code and a human-readable detail."""
        super().__init__(detail)
        self.reason = reason


class IncomingMessage(NamedTuple):
    """One SMS sent to the gateway: who sent it (normalized) and exactly what they typed."""

    sender: str
    content: str


def parse_mo(body: bytes | str) -> IncomingMessage:
    """Parse a posted MO body; raise MOError unless it is a valid message."""
    return read_documented(body) or parse_document(body)


def parse_document(body: bytes | str) -> IncomingMessage:
    """Parse a posted MO body with expat, whatever its layout; raise MOError unless it is a valid message."""
    _check_size(body)
    return _read_message(body)


def keyword(content: str) -> str:
    """Return the first word of a message upper-cased, or "" if there is none."""
    words = content.split(maxsplit=1)
    return words[0].upper() if words else ""


def _check_size(body: bytes | str) -> None:
    """Raise MOError if the body is over MAX_BODY_BYTES (as UTF-8) or blank."""
    if _exceeds_size_limit(body):
        raise MOError(
            MOReason.BODY_TOO_LARGE, f"the body is over {MAX_BODY_BYTES} bytes"
        )
    if not body or body.isspace():
        raise MOError(MOReason.EMPTY_BODY, "the body is empty")


def _exceeds_size_limit(body: bytes | str) -> bool:
    """Return whether the body is over MAX_BODY_BYTES, encoding a str only when in doubt."""
    if len(body) > MAX_BODY_BYTES:
        return True
    if isinstance(body, bytes) or body.isascii():
        return False
    if len(body) * _MAX_UTF8_BYTES_PER_CHARACTER <= MAX_BODY_BYTES:
        return False
    return len(body.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES


def read_documented(body: bytes | str) -> IncomingMessage | None:
    """Return the message of a body in exactly the documented layout, or None (then parse_document says why).

    What the gateway posts, read without a parser to the very result the
    parser gives: well-formed by construction, with no room for a DTD.
    Anything else, or anything in doubt, is left to the parser.
    """
    if isinstance(body, str):
        try:
            body = body.encode()
        except UnicodeEncodeError:
            return None
    if not (
        len(body) <= MAX_BODY_BYTES
        and body.startswith(_DOCUMENTED_START)
        and body.startswith(_DOCUMENTED_MIDDLE, _SENDER_END)
        and body.endswith(_DOCUMENTED_END)
    ):
        return None
    sender = body[len(_DOCUMENTED_START) : _SENDER_END]
    content = body[_CONTENT_START : -len(_DOCUMENTED_END)]
    if not sender.isdigit():  # ten ASCII digits, which normalize_sender keeps
        return None
    # Each check is a find (memchr for one byte): `in` on bytes takes
    # several times longer, and most texts have none of these.
    sections = None
    if content.find(b"]]>") >= 0:
        # A "]]>" of the text comes split across two sections, "]]" and ">";
        # any other ends the section, and markup follows.
        sections = content.split(_NEXT_CDATA_SECTION)
        if any(section.find(b"]]>") >= 0 for section in sections):
            return None
    if content.find(b"\xef\xbf") >= 0 and (
        content.find(b"\xef\xbf\xbe") >= 0 or content.find(b"\xef\xbf\xbf") >= 0
    ):
        return None  # U+FFFE and U+FFFF are no XML characters
    if len(content.translate(None, _CONTROLS)) != len(content):
        return None
    try:
        # Section by section: a character never spans two.
        text = (
            content.decode()
            if sections is None
            else "".join([section.decode() for section in sections])
        )
    except UnicodeDecodeError:
        return None
    if len(text) > MAX_CONTENT_CHARACTERS:
        return None  # for the parser to say why
    # NamedTuple's own __new__ does this, in a Python frame of its own.
    return tuple.__new__(IncomingMessage, (sender.decode(), text))


class _ForbiddenXML(Exception):
    """The body declares a DTD, an entity or an external reference."""


def _refuse(*_args: Any) -> NoReturn:
    """Stop the parse at a DTD, entity declaration or external reference."""
    raise _ForbiddenXML


def _read_message(body: bytes | str) -> IncomingMessage:
    """Parse the body with expat, keeping only the text of <sender> and <content>.

    What is wrong with the document is noted while reading and reported once
    the whole body proved well-formed, in the order checks of a finished tree
    would find it.
    """
    parser = ParserCreate(None, _NAMESPACE_SEPARATOR)
    depth = 0
    root = ""
    texts: dict[str, list[str]] = {}
    # The text of the <sender> or <content> being read, and which one it is.
    chunks: list[str] | None = None
    field = ""
    repeated = ""
    with_elements: set[str] = set()

    def start(name: str, _attributes: Any) -> None:
        nonlocal depth, root, chunks, field, repeated
        depth += 1
        if depth == 2:
            if name in _FIELDS:
                if name in texts:
                    repeated = repeated or name
                chunks = texts[name] = []
                field = name
        elif depth == 1:
            root = name
        elif chunks is not None:
            with_elements.add(field)

    def end(_name: str) -> None:
        nonlocal depth, chunks
        if depth == 2:
            chunks = None
        depth -= 1

    def text(data: str) -> None:
        if chunks is not None:
            chunks.append(data)

    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(body, True)
    except _ForbiddenXML as err:
        raise MOError(
            MOReason.FORBIDDEN_XML, "the body has a document type declaration"
        ) from err
    except (ExpatError, ValueError, LookupError) as err:
        # ValueError: a str that is not valid Unicode; LookupError: an
        # encoding declaration that names no codec.
        raise MOError(
            MOReason.MALFORMED_XML, "the body is not well-formed XML"
        ) from err

    if root != "message":
        raise MOError(MOReason.WRONG_ROOT, "the root element is not <message>")
    if repeated:
        raise MOError(
            MOReason.UNEXPECTED_MARKUP, f"the message has more than one <{repeated}>"
        )
    if "sender" in with_elements:
        raise MOError(
            MOReason.UNEXPECTED_MARKUP, "<sender> contains elements, not text"
        )
    if not (sender := "".join(texts.get("sender", ())).strip()):
        raise MOError(MOReason.MISSING_SENDER, "the message has no sender")
    if (number := normalize_sender(sender)) is None:
        raise MOError(MOReason.INVALID_SENDER, "the sender is not a phone number")
    if "content" in with_elements:
        raise MOError(
            MOReason.UNEXPECTED_MARKUP, "<content> contains elements, not text"
        )
    content = "".join(texts.get("content", ()))
    if len(content) > MAX_CONTENT_CHARACTERS:
        raise MOError(
            MOReason.CONTENT_TOO_LONG,
            f"the content is over {MAX_CONTENT_CHARACTERS} characters",
        )
    return IncomingMessage(sender=number, content=content)
