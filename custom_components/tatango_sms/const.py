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
EVENT_SENT: Final = f"{DOMAIN}_sent"
EVENT_FAILED: Final = f"{DOMAIN}_failed"
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

SUBENTRY_TYPE_RECIPIENT: Final = "recipient"
CONF_PHONE_NUMBER: Final = "phone_number"

CONF_LONG_MESSAGES: Final = "long_messages"
LONG_MESSAGES_SPLIT: Final = "split"
LONG_MESSAGES_TRUNCATE: Final = "truncate"
LONG_MESSAGES_SEND: Final = "send"
DEFAULT_LONG_MESSAGES: Final = LONG_MESSAGES_SPLIT

CONF_GSM7_FRIENDLY: Final = "gsm7_friendly"
DEFAULT_GSM7_FRIENDLY: Final = True

CONF_MAX_QUEUE_AGE: Final = "max_queue_age"
DEFAULT_MAX_QUEUE_AGE: Final = 24

CONF_ACCEPT_UNKNOWN_SENDERS: Final = "accept_unknown_senders"
DEFAULT_ACCEPT_UNKNOWN_SENDERS: Final = True

ATTR_RECIPIENT: Final = "recipient"
ATTR_RECIPIENTS: Final = "recipients"
ATTR_MESSAGE: Final = "message"

SERVICE_SEND_MESSAGE: Final = "send_message"

MAX_CONCURRENT_SENDS: Final = 8
DATA_HASS_CONFIG: Final = f"{DOMAIN}_hass_config"


def signal_status(entry_id: str) -> str:
    """Return the dispatcher signal for opt-in status changes of one entry."""
    return f"{DOMAIN}_status_{entry_id}"


def signal_outbox(entry_id: str) -> str:
    """Return the dispatcher signal for changes of one entry's outbox."""
    return f"{DOMAIN}_outbox_{entry_id}"
