"""Tests for incoming SMS naming the saved recipient, and the unknown-sender option."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tatango_sms.const import (
    CONF_ACCEPT_UNKNOWN_SENDERS,
    CONF_LONG_MESSAGES,
    EVENT_RECEIVED,
)
from homeassistant.const import CONF_WEBHOOK_ID, STATE_UNKNOWN
from homeassistant.core import Event, HomeAssistant
from homeassistant.setup import async_setup_component
from tatango_simulator import GatewaySimulator

from .conftest import ALICE_NUMBER, STRANGER_NUMBER
from .helpers import webhook_path

EVENT_ENTITY = "event.tatango_sms_incoming_sms"
IGNORE_UNKNOWN = {CONF_ACCEPT_UNKNOWN_SENDERS: False}


class Phone:
    """Posts incoming SMS to the entry's webhook through the gateway simulator."""

    def __init__(self, simulator: GatewaySimulator, url: str) -> None:
        """Initialize with the simulator and the webhook's full URL."""
        self._simulator = simulator
        self._url = url

    async def text(self, sender: str, content: str) -> int:
        """Send an SMS from sender to Home Assistant; return the webhook's status."""
        return await self._simulator.post_mo(sender, content, url=self._url)


@pytest.fixture
async def phone(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    hass_client_no_auth: ClientSessionGenerator,
) -> Phone:
    """Return a phone that texts the set-up entry's webhook.

    Diagnostics are set up first: HTTP routes cannot be added once a test
    client has started the server.
    """
    assert await async_setup_component(hass, "diagnostics", {})
    client = await hass_client_no_auth()
    url = str(client.make_url(webhook_path(setup_entry.data[CONF_WEBHOOK_ID])))
    return Phone(simulator, url)


@pytest.fixture
def webhook_diagnostics(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> Callable[[], Awaitable[dict[str, Any]]]:
    """Return a function that downloads the entry's diagnostics and returns its webhook counters."""

    async def read() -> dict[str, Any]:
        diagnostics = await get_diagnostics_for_config_entry(
            hass, hass_client, setup_entry
        )
        webhook: dict[str, Any] = diagnostics["webhook"]  # type: ignore[assignment]
        return webhook

    return read


@pytest.fixture
def received(hass: HomeAssistant) -> list[Event[dict[str, Any]]]:
    """Capture tatango_sms_received events."""
    return async_capture_events(hass, EVENT_RECEIVED)


def event_entity_attributes(hass: HomeAssistant) -> dict[str, Any]:
    """Return the incoming SMS event entity's state attributes."""
    state = hass.states.get(EVENT_ENTITY)
    assert state is not None
    return dict(state.attributes)


@pytest.mark.parametrize("sender", [ALICE_NUMBER, "+12065550101", "1-206-555-0101"])
async def test_sms_from_saved_recipient_is_named(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    phone: Phone,
    received: list[Event[dict[str, Any]]],
    sender: str,
) -> None:
    """An SMS from a saved recipient's number, however written, names the recipient in the event and the event entity.

    The event's sender is the number as saved, so automations can compare it.
    """
    assert await phone.text(sender, "STATUS garage") == 200
    await hass.async_block_till_done()

    assert len(received) == 1
    assert received[0].data["recipient"] == "Alice"
    assert received[0].data["sender"] == ALICE_NUMBER
    assert received[0].data["content"] == "STATUS garage"
    assert received[0].data["config_entry_id"] == setup_entry.entry_id
    attributes = event_entity_attributes(hass)
    assert attributes["event_type"] == "received"
    assert attributes["recipient"] == "Alice"
    assert attributes["sender"] == ALICE_NUMBER
    assert attributes["content"] == "STATUS garage"


async def test_sms_from_unknown_sender_has_no_recipient(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    phone: Phone,
    received: list[Event[dict[str, Any]]],
) -> None:
    """By default an SMS from a number that is not saved is accepted, with recipient None."""
    assert await phone.text(STRANGER_NUMBER, "Hello?") == 200
    await hass.async_block_till_done()

    assert len(received) == 1
    assert received[0].data["recipient"] is None
    assert received[0].data["sender"] == STRANGER_NUMBER
    assert event_entity_attributes(hass)["recipient"] is None


@pytest.mark.parametrize("entry_options", [IGNORE_UNKNOWN])
@pytest.mark.parametrize("sender", [STRANGER_NUMBER, "+44 20 7946 0958", "12345"])
async def test_unknown_sender_ignored_when_option_off(
    hass: HomeAssistant,
    phone: Phone,
    received: list[Event[dict[str, Any]]],
    webhook_diagnostics: Callable[[], Awaitable[dict[str, Any]]],
    sender: str,
) -> None:
    """With unknown senders off, their SMS is answered 200 but fires nothing, and diagnostics count it."""
    assert await phone.text(sender, "OPEN garage") == 200
    await hass.async_block_till_done()

    assert received == []
    assert hass.states.get(EVENT_ENTITY).state == STATE_UNKNOWN
    stats = await webhook_diagnostics()
    assert stats["unknown_senders_ignored"] == 1
    assert stats["received"] == 0


@pytest.mark.parametrize("entry_options", [IGNORE_UNKNOWN])
async def test_saved_recipient_still_heard_when_option_off(
    hass: HomeAssistant,
    phone: Phone,
    received: list[Event[dict[str, Any]]],
    webhook_diagnostics: Callable[[], Awaitable[dict[str, Any]]],
) -> None:
    """With unknown senders off, saved recipients' SMS still fire the event, named."""
    assert await phone.text(STRANGER_NUMBER, "ignored") == 200
    assert await phone.text("+1 (206) 555-0101", "heard") == 200
    await hass.async_block_till_done()

    assert [(e.data["recipient"], e.data["content"]) for e in received] == [
        ("Alice", "heard")
    ]
    assert event_entity_attributes(hass)["recipient"] == "Alice"
    stats = await webhook_diagnostics()
    assert stats["unknown_senders_ignored"] == 1
    assert stats["received"] == 1


async def test_turning_the_option_off_in_the_options_flow(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    hass_client_no_auth: ClientSessionGenerator,
    received: list[Event[dict[str, Any]]],
) -> None:
    """Turning off unknown senders in the options stops strangers' SMS from firing events; turning it on again lets them in."""
    client = await hass_client_no_auth()
    url = str(client.make_url(webhook_path(setup_entry.data[CONF_WEBHOOK_ID])))

    async def set_accept(accept: bool) -> None:
        result = await hass.config_entries.options.async_init(setup_entry.entry_id)
        await hass.config_entries.options.async_configure(
            result["flow_id"],
            {CONF_LONG_MESSAGES: "split", CONF_ACCEPT_UNKNOWN_SENDERS: accept},
        )
        await hass.async_block_till_done()

    await set_accept(False)
    assert await simulator.post_mo(STRANGER_NUMBER, "first", url=url) == 200
    await hass.async_block_till_done()
    assert received == []

    await set_accept(True)
    assert await simulator.post_mo(STRANGER_NUMBER, "second", url=url) == 200
    await hass.async_block_till_done()
    assert [e.data["content"] for e in received] == ["second"]


async def test_recipient_added_later_is_named(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    phone: Phone,
    received: list[Event[dict[str, Any]]],
) -> None:
    """Once a number is saved as a recipient, its SMS carry the new name."""
    result = await hass.config_entries.subentries.async_init(
        (setup_entry.entry_id, "recipient"), context={"source": "user"}
    )
    await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Carol", "phone_number": STRANGER_NUMBER}
    )
    await hass.async_block_till_done()

    assert await phone.text(STRANGER_NUMBER, "It's Carol") == 200
    await hass.async_block_till_done()

    assert received[-1].data["recipient"] == "Carol"
