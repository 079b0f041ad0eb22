"""Snapshot of every entity an account with saved recipients gets."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.tatango_sms.const import DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from tatango_simulator import GatewaySimulator

from .conftest import ALICE_NUMBER
from .helpers import send_sms

# What a user sees of an entity, without the registry fields that differ
# between the Home Assistant versions the tests run on.
ENTITY_FIELDS = (
    "entity_id",
    "device_class",
    "entity_category",
    "has_entity_name",
    "original_icon",
    "original_name",
    "translation_key",
    "unit_of_measurement",
    "capabilities",
)
DEVICE_FIELDS = ("name", "manufacturer", "model", "entry_type")


def _entity(hass: HomeAssistant, entry: er.RegistryEntry) -> Any:
    """Return an entity's registry fields, its device and its state, as JSON.

    As JSON, an enum is its value on every version (2026.x made some keys enums).
    """
    device = dr.async_get(hass).async_get(entry.device_id or "")
    state = hass.states.get(entry.entity_id)
    assert device is not None
    assert state is not None
    return json.loads(
        json.dumps(
            {
                **{field: getattr(entry, field) for field in ENTITY_FIELDS},
                "device": {field: getattr(device, field) for field in DEVICE_FIELDS},
                "state": state.state,
                "attributes": dict(state.attributes),
            }
        )
    )


@pytest.mark.usefixtures("setup_entry")
async def test_entities(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    snapshot: SnapshotAssertion,
) -> None:
    """The account's and each recipient's entities, devices and states after one SMS to Alice."""
    simulator.opt_in(ALICE_NUMBER)
    await send_sms(hass, "Hello", "Alice")
    await hass.async_block_till_done()

    entities = er.async_entries_for_config_entry(
        er.async_get(hass), setup_entry.entry_id
    )
    assert {entry.platform for entry in entities} == {DOMAIN}
    assert {
        entry.entity_id: _entity(hass, entry)
        for entry in sorted(entities, key=lambda entry: entry.entity_id)
    } == snapshot
