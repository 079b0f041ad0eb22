"""Constants for the Tatango SMS integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "tatango_sms"
LOGGER = logging.getLogger(__package__)

DEFAULT_TITLE: Final = "Tatango SMS"

CONF_CLOUDHOOK: Final = "cloudhook"
CONF_TEST_RECIPIENT: Final = "test_recipient"
CONF_NEW_WEBHOOK_URL: Final = "new_webhook_url"

EVENT_RECEIVED: Final = f"{DOMAIN}_received"
EVENT_TYPE_RECEIVED: Final = "received"

ATTR_SENDER: Final = "sender"
ATTR_CONTENT: Final = "content"
ATTR_KEYWORD: Final = "keyword"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"

TEST_MESSAGE: Final = "Home Assistant is now connected to Tatango SMS."


def signal_received(entry_id: str) -> str:
    """Return the dispatcher signal for SMS received by one entry."""
    return f"{DOMAIN}_received_{entry_id}"

CONF_KEY: Final = "key"
