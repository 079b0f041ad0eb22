"""Tests of the "Incoming SMS" event entity."""

from __future__ import annotations

from datetime import datetime

from aiohttp.test_utils import TestClient
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tatango_sms.const import DOMAIN
from homeassistant.const import ATTR_FRIENDLY_NAME, CONF_WEBHOOK_ID, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from tatango_simulator import GatewaySimulator

from .helpers import TEST_NUMBER, webhook_path

EVENT_ENTITY = "event.tatango_sms_incoming_sms"


@pytest.fixture
async def client(
    loaded_entry: MockConfigEntry, hass_client_no_auth: ClientSessionGenerator
) -> TestClient:
    """Return an HTTP client for Home Assistant, with the entry's webhook registered."""
    return await hass_client_no_auth()


async def post(
    simulator: GatewaySimulator,
    client: TestClient,
    entry: MockConfigEntry,
    content: str,
) -> None:
    """Have the gateway post an SMS from the test number to the entry's webhook."""
    url = str(client.make_url(webhook_path(entry.data[CONF_WEBHOOK_ID])))
    assert await simulator.post_mo(TEST_NUMBER, content, url=url) == 200


async def test_entity_on_the_account_device(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The account has an "Incoming SMS" event entity on a Tatango service device, waiting for SMS."""
    entity = entity_registry.async_get(EVENT_ENTITY)
    assert entity is not None
    assert entity.unique_id == f"{loaded_entry.entry_id}_incoming_sms"
    assert entity.config_entry_id == loaded_entry.entry_id
    assert entity.capabilities == {"event_types": ["received"]}
    device = device_registry.async_get(entity.device_id)
    assert device is not None
    assert device.identifiers == {(DOMAIN, loaded_entry.entry_id)}
    assert device.name == "Tatango SMS"
    assert device.manufacturer == "Tatango"
    assert device.entry_type is dr.DeviceEntryType.SERVICE

    state = hass.states.get(EVENT_ENTITY)
    assert state is not None
    assert state.state == STATE_UNKNOWN
    assert state.attributes[ATTR_FRIENDLY_NAME] == "Tatango SMS Incoming SMS"
    assert state.attributes["event_type"] is None


async def test_entity_shows_each_message(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    loaded_entry: MockConfigEntry,
    client: TestClient,
) -> None:
    """Each SMS updates the entity: a new timestamp, and the sender, content and keyword."""
    await post(simulator, client, loaded_entry, "Garage open?")
    await hass.async_block_till_done()
    first = hass.states.get(EVENT_ENTITY)
    assert first is not None
    datetime.fromisoformat(first.state)
    assert {
        name: value
        for name, value in first.attributes.items()
        if name not in (ATTR_FRIENDLY_NAME, "event_types")
    } == {
        "event_type": "received",
        "sender": TEST_NUMBER,
        "content": "Garage open?",
        "keyword": "GARAGE",
        "recipient": None,
        "assist": False,
        "reply_to_ask": False,
    }

    await post(simulator, client, loaded_entry, "")
    await hass.async_block_till_done()
    second = hass.states.get(EVENT_ENTITY)
    assert second is not None
    assert datetime.fromisoformat(second.state) >= datetime.fromisoformat(first.state)
    assert second.last_updated > first.last_updated
    assert second.attributes["content"] == ""
    assert second.attributes["keyword"] == ""


async def test_refused_post_leaves_the_entity_alone(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, client: TestClient
) -> None:
    """A refused post does not touch the entity."""
    path = webhook_path(loaded_entry.data[CONF_WEBHOOK_ID])

    response = await client.post(
        path, data="<message><content>no sender</content></message>"
    )
    await hass.async_block_till_done()

    assert response.status == 400
    state = hass.states.get(EVENT_ENTITY)
    assert state is not None
    assert state.state == STATE_UNKNOWN
