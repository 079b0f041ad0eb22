"""Tests for the opt-in status sensor of each saved recipient."""

from __future__ import annotations

import asyncio

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)

from custom_components.tatango_sms.const import DOMAIN
from homeassistant.components.sensor import ATTR_OPTIONS, SensorDeviceClass
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_FRIENDLY_NAME,
    ATTR_UNIT_OF_MEASUREMENT,
)
from homeassistant.core import HomeAssistant, ServiceResponse, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from tatango_simulator import GatewaySimulator

from .conftest import ALICE_NUMBER, BOB_NUMBER
from .helpers import (
    QUEUED_MESSAGES_SENSOR,
    async_advance_time,
    queued_messages,
    send_sms,
)

ALICE_SENSOR = "sensor.alice_opt_in_status"
BOB_SENSOR = "sensor.bob_opt_in_status"
STATUSES = ["subscribed", "invited", "invitation_pending", "blocked"]


def outcomes(response: ServiceResponse) -> list[str]:
    """Return the outcome for each recipient in an action response."""
    assert response is not None
    recipients = response["recipients"]
    assert isinstance(recipients, list)
    return [r["outcome"] for r in recipients]  # type: ignore[index]


def status(hass: HomeAssistant, entity_id: str) -> str:
    """Return a sensor's state."""
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def test_queued_messages_sensor(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    """The account's outbox sensor counts messages, in the unit its translation gives."""
    state = hass.states.get(QUEUED_MESSAGES_SENSOR)
    assert state is not None
    assert state.state == "0"
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == "messages"
    assert state.attributes[ATTR_FRIENDLY_NAME] == "Tatango SMS Queued messages"


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


@pytest.mark.freeze_time(tick=True)
async def test_opt_in_journey(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The sensor follows the number through invitation, pending invitation and subscription."""
    await send_sms(hass, "First", "Alice")
    assert status(hass, ALICE_SENSOR) == "invited"
    assert status(hass, BOB_SENSOR) == "unknown"

    # While the invitation is pending (409) the message waits in the outbox.
    assert outcomes(await send_sms(hass, "Second", "Alice")) == ["queued"]
    assert [r.status for r in simulator.requests] == [202, 409]
    assert status(hass, ALICE_SENSOR) == "invitation_pending"
    assert queued_messages(hass) == 1

    # Retried while still pending: it keeps waiting.
    await async_advance_time(hass, freezer, 60)
    assert [r.status for r in simulator.requests] == [202, 409, 409]
    assert status(hass, ALICE_SENSOR) == "invitation_pending"
    assert queued_messages(hass) == 1

    # Alice opts in: the held first message arrives, the outbox sends the second.
    simulator.opt_in(ALICE_NUMBER)
    await async_advance_time(hass, freezer, 120)
    assert status(hass, ALICE_SENSOR) == "subscribed"
    assert queued_messages(hass) == 0
    assert simulator.delivered(ALICE_NUMBER) == ["First", "Second"]

    assert outcomes(await send_sms(hass, "Third", "Alice")) == ["sent"]
    assert simulator.delivered(ALICE_NUMBER) == ["First", "Second", "Third"]


async def test_status_follows_the_number_whatever_the_path(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """A recipient's sensor updates when their number is typed instead of their name, and from the notify entity."""
    simulator.opt_in(ALICE_NUMBER)

    await send_sms(hass, "By number", "+1 206-555-0101")
    assert status(hass, ALICE_SENSOR) == "subscribed"

    await hass.services.async_call(
        "notify",
        "send_message",
        {"entity_id": "notify.bob", "message": "By entity"},
        blocking=True,
    )
    assert status(hass, BOB_SENSOR) == "invited"


@pytest.mark.freeze_time(tick=True)
async def test_failure_that_says_nothing_about_opt_in_keeps_status(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A gateway failure (queue down, server error) leaves the last known opt-in status."""
    simulator.opt_in(ALICE_NUMBER)
    await send_sms(hass, "Hello", "Alice")
    assert status(hass, ALICE_SENSOR) == "subscribed"

    simulator.set_queue_down(True)
    assert outcomes(await send_sms(hass, "Hello again", "Alice")) == ["queued"]
    assert status(hass, ALICE_SENSOR) == "subscribed"
    # The retry meets a server error: still queued, status unchanged.
    simulator.set_queue_down(False)
    simulator.force_status(500)
    await async_advance_time(hass, freezer, 60)
    assert [r.status for r in simulator.requests] == [200, 503, 500]
    assert status(hass, ALICE_SENSOR) == "subscribed"
    assert queued_messages(hass) == 1

    await async_advance_time(hass, freezer, 120)
    assert simulator.delivered(ALICE_NUMBER) == ["Hello", "Hello again"]
    assert status(hass, ALICE_SENSOR) == "subscribed"
    assert queued_messages(hass) == 0


@pytest.mark.freeze_time(tick=True)
async def test_sent_part_counts_even_when_a_later_part_fails(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """When the first part of a long message is sent (200) and a later part fails, the sensor shows subscribed.

    Alice was invited, then opted in on her phone; the gateway's 200 for the
    first part is the news, even though the queue went down before the second.
    The parts not yet sent wait in the outbox.
    """
    await send_sms(hass, "Welcome", "Alice")
    assert status(hass, ALICE_SENSOR) == "invited"
    simulator.opt_in(ALICE_NUMBER)
    simulator.set_latency(0.2)
    long_message = " ".join(f"Water sensor {i} is wet." for i in range(20))

    task = hass.async_create_task(send_sms(hass, long_message, "Alice"))
    async with asyncio.timeout(5):
        while len(simulator.requests) < 2:
            await asyncio.sleep(0.01)
    # The first part has been taken; the queue goes down before the second.
    simulator.set_queue_down(True)
    response = await task

    assert response == {
        "recipients": [
            {
                "recipient": ALICE_NUMBER,
                "name": "Alice",
                "outcome": "queued",
                "sms_sent": 1,
                "encoding": "gsm7",
            }
        ]
    }
    assert [r.status for r in simulator.requests[1:]] == [200, 503]
    assert len(simulator.delivered(ALICE_NUMBER)) == 2  # "Welcome" and part one
    assert status(hass, ALICE_SENSOR) == "subscribed"
    assert queued_messages(hass) == 1

    # Once the queue is up again the rest follows, without resending part one.
    simulator.set_queue_down(False)
    simulator.set_latency(0)
    await async_advance_time(hass, freezer, 60)
    welcome, *parts = simulator.delivered(ALICE_NUMBER)
    assert welcome == "Welcome"
    assert len(parts) > 1
    assert "".join(parts) == long_message
    assert queued_messages(hass) == 0


@pytest.mark.freeze_time(tick=True)
async def test_status_survives_reload(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Reloading the entry keeps the last status the gateway gave, and the queued message."""
    await send_sms(hass, "Hi", "Alice")
    assert outcomes(await send_sms(hass, "Hi", "Alice")) == ["queued"]
    assert status(hass, ALICE_SENSOR) == "invitation_pending"

    assert await hass.config_entries.async_reload(setup_entry.entry_id)
    await hass.async_block_till_done()

    assert status(hass, ALICE_SENSOR) == "invitation_pending"
    assert status(hass, BOB_SENSOR) == "unknown"
    assert queued_messages(hass) == 1

    simulator.opt_in(ALICE_NUMBER)
    await async_advance_time(hass, freezer, 60)
    assert status(hass, ALICE_SENSOR) == "subscribed"
    assert simulator.delivered(ALICE_NUMBER) == ["Hi", "Hi"]
    assert queued_messages(hass) == 0


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
    await send_sms(hass, "Hi", "Alice")
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
    await send_sms(hass, "Hi", "Alice")
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

    await send_sms(hass, "Hi both", "Alice", "Bob")

    assert status(hass, ALICE_SENSOR) == "invited"
    assert status(hass, BOB_SENSOR) == "subscribed"
