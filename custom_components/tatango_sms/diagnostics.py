"""Diagnostics for Tatango SMS."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .const import CONF_KEY
from .data import TatangoConfigEntry

TO_REDACT = {CONF_KEY, CONF_PASSWORD, CONF_WEBHOOK_ID, "unique_id", "phone_number"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: TatangoConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry, with secrets and phone numbers redacted."""
    now = dt_util.utcnow().timestamp()
    sender = entry.runtime_data.sender
    entry_dict = async_redact_data(entry.as_dict(), TO_REDACT)
    entry_dict["data"][CONF_URL] = redact_url(entry.data[CONF_URL])
    return {
        "entry": entry_dict,
        "webhook": asdict(entry.runtime_data.webhook_stats),
        "blocked_numbers": len(list(entry.runtime_data.status_book.blocked)),
        "spend_guard": {
            "max_sms_per_hour": entry.runtime_data.spend_guard.limit,
            "sent_last_hour": entry.runtime_data.spend_guard.sent_last_hour,
        },
        "outbox": [
            {
                "recipient": REDACTED,
                "parts": len(message.parts),
                "attempts": message.attempts,
                "queued_for": message.queued_for(now),
                "next_attempt_in": round(message.next_attempt - now, 1),
            }
            for message in sender.outbox.messages
        ],
    }


def redact_url(url: str) -> str:
    """Return a URL with its user info, query and fragment redacted; scheme, host and path stay."""
    try:
        parts = urlsplit(url)
    except ValueError:  # such as an unclosed IPv6 bracket
        return REDACTED
    if parts.scheme not in ("http", "https"):
        # Without a scheme, user info would be read as part of the path.
        return REDACTED
    _, at, host = parts.netloc.rpartition("@")
    return urlunsplit(
        (
            parts.scheme,
            f"{REDACTED}@{host}" if at else host,
            parts.path,
            REDACTED if parts.query else "",
            REDACTED if parts.fragment else "",
        )
    )
