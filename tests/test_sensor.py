"""Tests for the opt-in status sensor of each saved recipient."""

from __future__ import annotations

import asyncio

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)

from custom_components.tatango_sms.const import DOMAIN, SERVICE_SEND_MESSAGE
from homeassistant.components.sensor import ATTR_OPTIONS, SensorDeviceClass
from homeassistant.const import ATTR_DEVICE_CLASS, ATTR_FRIENDLY_NAME
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from tatango_simulator import GatewaySimulator

from .conftest import ALICE_NUMBER, BOB_NUMBER

ALICE_SENSOR = "sensor.alice_opt_in_status"
BOB_SENSOR = "sensor.bob_opt_in_status"
STATUSES = ["unknown", "subscribed", "invited", "invitation_pending", "blocked"]


async def send(hass: HomeAssistant, message: str, *recipients: str) -> None:
    """Send a message with the action."""
    await hass.services.async_call(
        DOMAIN,
        SERVICE_SEND_MESSAGE,
        {"message": message, "recipients": list(recipients)},
        blocking=True,
    )


def status(hass: HomeAssistant, entity_id: str) -> str:
    """Return a sensor's state."""
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def test_sensor_per_recipient(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Each saved recipient has an opt-in status sensor on its own service device, unknown until the gateway answers."""
    for name, entity_id in (("Alice", ALICE_SENSOR), ("Bob", BOB_SENSOR)):
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.state == "unknown"
        assert state.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.ENUM
        assert state.attributes[ATTR_OPTIONS] == STATUSES
        assert state.attributes[ATTR_FRIENDLY_NAME] == f"{name} Opt-in status"
        entity = entity_registry.async_get(entity_id)
        assert entity is not None
        device = device_registry.async_get(entity.device_id or "")
        assert device is not None
        assert device.name == name
        assert device.entry_type is dr.DeviceEntryType.SERVICE
        assert entity.config_subentry_id in setup_entry.subentries
        assert setup_entry.subentries[entity.config_subentry_id].title == name


async def test_opt_in_journey(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """The sensor follows the number through invitation, pending invitation and subscription."""
    await send(hass, "First", "Alice")
    assert status(hass, ALICE_SENSOR) == "invited"
    assert status(hass, BOB_SENSOR) == "unknown"

    with pytest.raises(
        HomeAssistantError,
        match=r"Alice \(2065550101\): the opt-in invitation is still pending",
    ):
        await send(hass, "Second", "Alice")
    assert [r.status for r in simulator.requests] == [202, 409]
    assert status(hass, ALICE_SENSOR) == "invitation_pending"

    simulator.opt_in(ALICE_NUMBER)
    await send(hass, "Third", "Alice")
    assert status(hass, ALICE_SENSOR) == "subscribed"
    # The held first message arrived on opt-in; the second was never sent.
    assert simulator.delivered(ALICE_NUMBER) == ["First", "Third"]


async def test_status_follows_the_number_whatever_the_path(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """A recipient's sensor updates when their number is typed instead of their name, and from the notify entity."""
    simulator.opt_in(ALICE_NUMBER)

    await send(hass, "By number", "+1 206-555-0101")
    assert status(hass, ALICE_SENSOR) == "subscribed"

    await hass.services.async_call(
        "notify",
        "send_message",
        {"entity_id": "notify.bob", "message": "By entity"},
        blocking=True,
    )
    assert status(hass, BOB_SENSOR) == "invited"


async def test_failure_that_says_nothing_about_opt_in_keeps_status(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """A gateway failure (queue down, server error) leaves the last known opt-in status."""
    simulator.opt_in(ALICE_NUMBER)
    await send(hass, "Hello", "Alice")
    assert status(hass, ALICE_SENSOR) == "subscribed"

    simulator.set_queue_down(True)
    with pytest.raises(HomeAssistantError):
        await send(hass, "Hello again", "Alice")
    simulator.set_queue_down(False)
    simulator.force_status(500)
    with pytest.raises(HomeAssistantError):
        await send(hass, "Hello again", "Alice")

    assert status(hass, ALICE_SENSOR) == "subscribed"


async def test_sent_part_counts_even_when_a_later_part_fails(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """When the first part of a long message is sent (200) and a later part fails, the sensor shows subscribed.

    Alice was invited, then opted in on her phone; the gateway's 200 for the
    first part is the news, even though the queue went down before the second.
    """
    await send(hass, "Welcome", "Alice")
    assert status(hass, ALICE_SENSOR) == "invited"
    simulator.opt_in(ALICE_NUMBER)
    simulator.set_latency(0.2)
    long_message = " ".join(f"Water sensor {i} is wet." for i in range(20))

    task = hass.async_create_task(send(hass, long_message, "Alice"))
    async with asyncio.timeout(5):
        while len(simulator.requests) < 2:
            await asyncio.sleep(0.01)
    # The first part has been taken; the queue goes down before the second.
    simulator.set_queue_down(True)
    with pytest.raises(HomeAssistantError, match="the gateway's queue is down"):
        await task

    assert [r.status for r in simulator.requests[1:]] == [200, 503]
    assert len(simulator.delivered(ALICE_NUMBER)) == 2  # "Welcome" and part one
    assert status(hass, ALICE_SENSOR) == "subscribed"


async def test_status_survives_reload(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Reloading the entry keeps the last status the gateway gave."""
    await send(hass, "Hi", "Alice")
    with pytest.raises(HomeAssistantError):
        await send(hass, "Hi", "Alice")
    assert status(hass, ALICE_SENSOR) == "invitation_pending"

    assert await hass.config_entries.async_reload(setup_entry.entry_id)
    await hass.async_block_till_done()

    assert status(hass, ALICE_SENSOR) == "invitation_pending"
    assert status(hass, BOB_SENSOR) == "unknown"


def _restored(entity_id: str, value: str) -> tuple[State, dict[str, str | None]]:
    """Return what Home Assistant saved for the sensor before a restart."""
    return (
        State(entity_id, value),
        {"native_value": value, "native_unit_of_measurement": None},
    )


async def test_status_restored_after_restart(
    hass: HomeAssistant, tatango_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """After a restart the sensor shows the status it had, until the gateway says otherwise."""
    mock_restore_cache_with_extra_data(
        hass,
        [_restored(ALICE_SENSOR, "invited"), _restored(BOB_SENSOR, "subscribed")],
    )
    tatango_entry.add_to_hass(hass)
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()

    assert status(hass, ALICE_SENSOR) == "invited"
    assert status(hass, BOB_SENSOR) == "subscribed"

    simulator.opt_in(ALICE_NUMBER)
    await send(hass, "Hi", "Alice")
    assert status(hass, ALICE_SENSOR) == "subscribed"


async def test_restored_blocked_status_needs_the_block_list(
    hass: HomeAssistant, tatango_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """A restored 'blocked' is not trusted: only the saved block list makes a number blocked."""
    mock_restore_cache_with_extra_data(hass, [_restored(ALICE_SENSOR, "blocked")])
    tatango_entry.add_to_hass(hass)
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()

    assert status(hass, ALICE_SENSOR) == "unknown"
    simulator.opt_in(ALICE_NUMBER)
    await send(hass, "Hi", "Alice")
    assert simulator.delivered(ALICE_NUMBER) == ["Hi"]


async def test_invalid_restored_status_is_ignored(
    hass: HomeAssistant, tatango_entry: MockConfigEntry
) -> None:
    """A saved state that is not an opt-in status does not break the sensor."""
    mock_restore_cache_with_extra_data(
        hass,
        [_restored(ALICE_SENSOR, "unavailable"), _restored(BOB_SENSOR, "nonsense")],
    )
    tatango_entry.add_to_hass(hass)
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()

    assert status(hass, ALICE_SENSOR) == "unknown"
    assert status(hass, BOB_SENSOR) == "unknown"


async def test_bob_unaffected_by_alice(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Each sensor follows only its own number."""
    simulator.opt_in(BOB_NUMBER)

    await send(hass, "Hi both", "Alice", "Bob")

    assert status(hass, ALICE_SENSOR) == "invited"
    assert status(hass, BOB_SENSOR) == "subscribed"
