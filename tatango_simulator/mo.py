"""The gateway's MO (mobile originated) XML document."""

from __future__ import annotations

from typing import Final

MO_CONTENT_TYPE: Final = "text/xml"


def _escape_text(text: str) -> str:
    """Escape the characters XML reserves in element text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cdata(text: str) -> str:
    """Return text as CDATA section(s).

    A ``]]>`` inside the text would end the section, so it is split across two
    sections: ``]]`` ends the first and ``>`` starts the next.
    """
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def mo_xml(sender: str, content: str) -> str:
    """Return the documented MO body for a message from sender.

    Exactly the published format, without a trailing newline::

        <?xml version="1.0"?>
        <message>
          <sender>PHONE_NUMBER</sender>
          <content><![CDATA[MESSAGE_BODY]]></content>
        </message>

    The sender is escaped as XML text (a phone number needs no escaping).
    """
    return (
        '<?xml version="1.0"?>\n'
        "<message>\n"
        f"  <sender>{_escape_text(sender)}</sender>\n"
        f"  <content>{cdata(content)}</content>\n"
        "</message>"
    )
