"""Parser for the incoming messages (MO) the Tatango gateway posts to the webhook.

Knows nothing about Home Assistant. The gateway posts this XML::

    <?xml version="1.0"?>
    <message>
      <sender>PHONE_NUMBER</sender>
      <content><![CDATA[MESSAGE_BODY]]></content>
    </message>

Anyone who knows the webhook URL can post anything, so the body is size-capped
and parsed with defusedxml with DTDs forbidden: no entity declaration, internal
or external, is ever expanded. The sender must be a phone number (it is
normalized as recipients are) and the content at most MAX_CONTENT_CHARACTERS.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]

from .phone import normalize_sender

MAX_BODY_BYTES = 64 * 1024
# Ten SMS of 160 characters: more than anyone types into a phone (SMS APIs such
# as Twilio's cap a message there too). Longer posts did not come from a phone,
# and whatever replies to them should not have to handle them.
MAX_CONTENT_CHARACTERS = 1600
_MAX_UTF8_BYTES_PER_CHARACTER = 4


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


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One SMS sent to the gateway: who sent it (normalized) and exactly what they typed."""

    sender: str
    content: str


def parse_mo(body: bytes | str) -> IncomingMessage:
    """Parse a posted MO body; raise MOError unless it is a valid message."""
    _check_size(body)
    root = _parse_xml(body)
    if root.tag != "message":
        raise MOError(MOReason.WRONG_ROOT, "the root element is not <message>")
    sender_element, content_element = _sender_and_content(root)
    sender = _text_of(sender_element).strip()
    if not sender:
        raise MOError(MOReason.MISSING_SENDER, "the message has no sender")
    if (number := normalize_sender(sender)) is None:
        raise MOError(MOReason.INVALID_SENDER, "the sender is not a phone number")
    content = _text_of(content_element)
    if len(content) > MAX_CONTENT_CHARACTERS:
        raise MOError(
            MOReason.CONTENT_TOO_LONG,
            f"the content is over {MAX_CONTENT_CHARACTERS} characters",
        )
    return IncomingMessage(sender=number, content=content)


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


def _parse_xml(body: bytes | str) -> Element:
    """Parse the body with DTDs, entities and external references forbidden."""
    try:
        root: Element = fromstring(
            body, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as err:
        raise MOError(
            MOReason.FORBIDDEN_XML, f"the body uses forbidden XML: {type(err).__name__}"
        ) from err
    except (ParseError, ValueError, LookupError) as err:
        raise MOError(
            MOReason.MALFORMED_XML, "the body is not well-formed XML"
        ) from err
    return root


def _sender_and_content(root: Element) -> tuple[Element | None, Element | None]:
    """Return the single <sender> and <content> children, ignoring other children."""
    found: dict[str, Element] = {}
    for child in root:
        if child.tag in ("sender", "content"):
            if child.tag in found:
                raise MOError(
                    MOReason.UNEXPECTED_MARKUP,
                    f"the message has more than one <{child.tag}>",
                )
            found[child.tag] = child
    return found.get("sender"), found.get("content")


def _text_of(element: Element | None) -> str:
    """Return an element's text ("" if absent); raise MOError if it holds elements."""
    if element is None:
        return ""
    if len(element):
        raise MOError(
            MOReason.UNEXPECTED_MARKUP, f"<{element.tag}> contains elements, not text"
        )
    return element.text or ""
