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

CONF_MAX_SMS_PER_HOUR: Final = "max_sms_per_hour"
DEFAULT_MAX_SMS_PER_HOUR: Final = 100
CONF_MAX_PARTS: Final = "max_parts_per_message"
DEFAULT_MAX_PARTS: Final = 10

CONF_ACCEPT_UNKNOWN_SENDERS: Final = "accept_unknown_senders"
DEFAULT_ACCEPT_UNKNOWN_SENDERS: Final = True

ATTR_RECIPIENT: Final = "recipient"
ATTR_RECIPIENTS: Final = "recipients"
ATTR_MESSAGE: Final = "message"
ATTR_MAX_SMS: Final = "max_sms"

SERVICE_SEND_MESSAGE: Final = "send_message"

MAX_CONCURRENT_SENDS: Final = 8
DATA_HASS_CONFIG: Final = f"{DOMAIN}_hass_config"


def signal_status(entry_id: str) -> str:
    """Return the dispatcher signal for opt-in status changes of one entry."""
    return f"{DOMAIN}_status_{entry_id}"


def signal_outbox(entry_id: str) -> str:
    """Return the dispatcher signal for changes of one entry's outbox."""
    return f"{DOMAIN}_outbox_{entry_id}"


def signal_spend(entry_id: str) -> str:
    """Return the dispatcher signal for changes of one entry's SMS count."""
    return f"{DOMAIN}_spend_{entry_id}"


# Conversations over SMS: Assist answers, and the ask action waits for replies.
CONF_ASSIST_AGENT_ID: Final = "assist_agent_id"
CONF_ASSIST_SENDERS: Final = "assist_senders"
ASSIST_SENDERS_RECIPIENTS: Final = "recipients"
ASSIST_SENDERS_ANYONE: Final = "anyone"
DEFAULT_ASSIST_SENDERS: Final = ASSIST_SENDERS_RECIPIENTS
CONF_PERSON: Final = "person"

ATTR_ASSIST: Final = "assist"
ATTR_REPLY_TO_ASK: Final = "reply_to_ask"
ATTR_ANSWERS: Final = "answers"
ATTR_APPEND_ANSWERS: Final = "append_answers"
ATTR_TIMEOUT: Final = "timeout"

SERVICE_ASK: Final = "ask"
