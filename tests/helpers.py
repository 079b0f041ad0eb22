"""Helpers shared by the config flow, setup, webhook, event and diagnostics tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import timedelta
from hashlib import sha256
import logging
import secrets
import sys
from types import ModuleType
from typing import Any, Final, Protocol

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.tatango_sms.const import (
    CONF_CLOUDHOOK,
    CONF_KEY,
    CONF_PERSON,
    CONF_PHONE_NUMBER,
    DOMAIN,
    SERVICE_SEND_MESSAGE,
    SUBENTRY_TYPE_RECIPIENT,
)
from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.const import CONF_NAME, CONF_PASSWORD, CONF_URL, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.exceptions import HomeAssistantError
from tatango_simulator import GatewaySimulator

from .const import TEST_KEY, TEST_PASSWORD

INTERNAL_URL: Final = "http://example.local:8123"
TEST_NUMBER: Final = "2065550123"
"""A valid 10-digit number, as the gateway expects it."""
TEST_NUMBER_AS_TYPED: Final = "+1 (206) 555-0123"
"""The same number as a user may type it."""
OTHER_KEY: Final = "other-gateway-key"
OTHER_PASSWORD: Final = "other-s3cret"
CLOSED_PORT_URL: Final = "http://127.0.0.1:1/messages"
"""A gateway URL on loopback where nothing listens: connection refused."""
OUR_LOGGER: Final = "custom_components.tatango_sms"
QUEUED_MESSAGES_SENSOR: Final = "sensor.tatango_sms_queued_messages"


def unique_id_for(key: str) -> str:
    """Return the unique id an entry for this key gets: the key's SHA-256 digest."""
    return sha256(key.encode()).hexdigest()


def webhook_path(webhook_id: str) -> str:
    """Return the path Home Assistant serves a webhook on."""
    return webhook.async_generate_path(webhook_id)


def make_entry(
    url: str,
    *,
    key: str = TEST_KEY,
    password: str = TEST_PASSWORD,
    webhook_id: str | None = None,
    cloudhook: bool = False,
    title: str = "Tatango SMS",
    options: Mapping[str, Any] | None = None,
    recipients: Mapping[str, str] | None = None,
    persons: Mapping[str, str] | None = None,
) -> MockConfigEntry:
    """Return a config entry as the config flow creates it (not yet added to hass).

    recipients maps saved recipients' names to their 10-digit numbers; persons
    maps some of those names to their person entity.
    """
    persons = persons or {}
    return MockConfigEntry(
        domain=DOMAIN,
        title=title,
        unique_id=unique_id_for(key),
        options=dict(options or {}),
        subentries_data=[
            ConfigSubentryData(
                data={CONF_NAME: name, CONF_PHONE_NUMBER: number}
                | ({CONF_PERSON: persons[name]} if name in persons else {}),
                subentry_type=SUBENTRY_TYPE_RECIPIENT,
                title=name,
                unique_id=number,
            )
            for name, number in (recipients or {}).items()
        ],
        data={
            CONF_KEY: key,
            CONF_PASSWORD: password,
            CONF_URL: url,
            CONF_WEBHOOK_ID: webhook_id or webhook.async_generate_id(),
            CONF_CLOUDHOOK: cloudhook,
        },
    )


async def async_add_and_set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add an entry to hass and set it up; fail unless it loads."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def async_advance_time(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Move the clock forward and wait for what fell due, such as the outbox's retries.

    Use with ``@pytest.mark.freeze_time(tick=True)``: the event loop then keeps
    real time for sockets and timeouts, and jumps with the clock.
    """
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def queued_messages(hass: HomeAssistant) -> int:
    """Return the state of the queued-messages sensor."""
    state = hass.states.get(QUEUED_MESSAGES_SENSOR)
    assert state is not None
    return int(state.state)


# Home Assistant Cloud stand-in


class CloudNotAvailable(HomeAssistantError):
    """Mirror of homeassistant.components.cloud.CloudNotAvailable."""


class CloudNotConnected(CloudNotAvailable):
    """Mirror of homeassistant.components.cloud.CloudNotConnected."""


class CloudStub:
    """A stand-in for Home Assistant Cloud: the real one cannot be imported here.

    It keeps cloudhooks the way the real one does: one per webhook id, at a
    random URL that does not reveal the webhook id.
    """

    def __init__(self) -> None:
        """Start as a connected cloud with an active subscription."""
        self.subscribed = True
        self.connected = True
        self.available = True
        self.cloudhooks: dict[str, str] = {}
        self.deleted: list[str] = []
        self.create_error: Exception | None = None
        """Raised when a cloudhook is created, as Home Assistant Cloud's API can fail."""
        self.create_delay = 0.0
        """Seconds Home Assistant Cloud's API takes to create a cloudhook."""
        self.module = ModuleType("homeassistant.components.cloud")
        self.module.CloudNotAvailable = CloudNotAvailable  # type: ignore[attr-defined]
        self.module.CloudNotConnected = CloudNotConnected  # type: ignore[attr-defined]
        self.module.async_active_subscription = self._active_subscription  # type: ignore[attr-defined]
        self.module.async_get_or_create_cloudhook = self._get_or_create  # type: ignore[attr-defined]
        self.module.async_delete_cloudhook = self._delete  # type: ignore[attr-defined]

    def install(self, hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> None:
        """Make `from homeassistant.components import cloud` return this stub, and mark cloud loaded."""
        import homeassistant.components  # noqa: PLC0415

        monkeypatch.setitem(sys.modules, "homeassistant.components.cloud", self.module)
        monkeypatch.setattr(
            homeassistant.components, "cloud", self.module, raising=False
        )
        hass.config.components.add("cloud")

    def _active_subscription(self, hass: HomeAssistant) -> bool:
        return self.subscribed

    async def _get_or_create(self, hass: HomeAssistant, webhook_id: str) -> str:
        if not self.connected:
            raise CloudNotConnected
        if webhook_id not in self.cloudhooks:
            await asyncio.sleep(self.create_delay)
            if self.create_error is not None:
                raise self.create_error
            self.cloudhooks[webhook_id] = (
                f"https://hooks.nabu.casa/{secrets.token_urlsafe(24)}"
            )
        return self.cloudhooks[webhook_id]

    async def _delete(self, hass: HomeAssistant, webhook_id: str) -> None:
        if not self.available:
            raise CloudNotAvailable
        if webhook_id not in self.cloudhooks:
            raise ValueError("Hook is not enabled for the cloud.")
        self.deleted.append(webhook_id)
        del self.cloudhooks[webhook_id]


# Logs


def leaked_secrets(
    records: list[logging.LogRecord], secrets_: Mapping[str, str]
) -> list[tuple[str, str, str]]:
    """Return (secret name, logger, message) for every record that shows a secret.

    Checked: every record of this integration's logger at any level, and every
    record of any logger at INFO or above. Exception text counts as message.
    """
    formatter = logging.Formatter()
    leaks = []
    for record in records:
        ours = record.name == OUR_LOGGER or record.name.startswith(f"{OUR_LOGGER}.")
        if not ours and record.levelno < logging.INFO:
            continue
        text = record.getMessage()
        if record.exc_info:
            text += formatter.formatException(record.exc_info)
        leaks.extend(
            (name, record.name, text)
            for name, value in secrets_.items()
            if value and value in text
        )
    return leaks


def suggested_values(result: Mapping[str, Any]) -> dict[str, Any]:
    """Return the values a form is pre-filled with (None for an empty field)."""
    return {
        str(key): (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }


# Incoming SMS


def event_data(
    entry_id: str,
    sender: str,
    content: str,
    keyword: str,
    recipient: str | None = None,
    *,
    assist: bool = False,
    reply_to_ask: bool = False,
) -> dict[str, Any]:
    """Return exactly the data a `tatango_sms_received` event carries."""
    return {
        "sender": sender,
        "content": content,
        "keyword": keyword,
        "recipient": recipient,
        "config_entry_id": entry_id,
        "assist": assist,
        "reply_to_ask": reply_to_ask,
    }


class Sms(Protocol):
    """Text Home Assistant from a phone, as the gateway posts it."""

    async def __call__(
        self,
        sender: str,
        content: str,
        *,
        entry: MockConfigEntry = ...,
        gateway: GatewaySimulator = ...,
        wait: bool = True,
    ) -> None:
        """Post the SMS to the entry's webhook; fail unless it is answered 200.

        Then, unless wait is False, wait for what it started: automations, and
        Assist's answer (which runs in the background).
        """


def sent(simulator: GatewaySimulator) -> list[tuple[str | None, str | None]]:
    """Return (recipient, message) of every send the gateway received."""
    return [(request.recipient, request.message) for request in simulator.requests]


async def until(condition: Callable[[], bool]) -> None:
    """Wait (at most 10 seconds) until the condition holds."""
    async with asyncio.timeout(10):
        while not condition():
            await asyncio.sleep(0.01)


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """Return an entity's state; fail if it has none."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def async_add_second_account(
    hass: HomeAssistant,
    other_simulator: GatewaySimulator,
    recipients: Mapping[str, str],
    options: Mapping[str, Any] | None = None,
) -> MockConfigEntry:
    """Set up a second account ("Tatango SMS 2") on the other simulator, its recipients opted in."""
    other = make_entry(
        other_simulator.messages_url,
        key=OTHER_KEY,
        password=OTHER_PASSWORD,
        title="Tatango SMS 2",
        options=options,
        recipients=recipients,
    )
    await async_add_and_set_up(hass, other)
    for number in recipients.values():
        other_simulator.opt_in(number)
    return other


async def send_sms(
    hass: HomeAssistant, message: str, *recipients: str
) -> ServiceResponse:
    """Send a message with the tatango_sms.send_message action and return its response."""
    return await hass.services.async_call(
        DOMAIN,
        SERVICE_SEND_MESSAGE,
        {"message": message, "recipients": list(recipients)},
        blocking=True,
        return_response=True,
    )
