"""Tests for the notify entities, the legacy notify service, alert: and notify groups."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tatango_sms.const import DOMAIN
from homeassistant.components.notify import ATTR_TITLE, NotifyEntityFeature
from homeassistant.components.notify.legacy import NOTIFY_SERVICES
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_SUPPORTED_FEATURES
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from tatango_simulator import GatewaySimulator

from .conftest import ALICE_NUMBER, BOB_NUMBER, STRANGER_NUMBER
from .helpers import async_advance_time, queued_messages

NOTIFY = "notify"


def opt_in_everyone(simulator: GatewaySimulator) -> None:
    """Have every number used here opt in, so messages are delivered at once."""
    for number in (ALICE_NUMBER, BOB_NUMBER, STRANGER_NUMBER):
        simulator.opt_in(number)


async def notify_entity(
    hass: HomeAssistant, entity_id: str, message: str, **data: Any
) -> None:
    """Call notify.send_message on one entity."""
    await hass.services.async_call(
        NOTIFY,
        "send_message",
        {"entity_id": entity_id, "message": message, **data},
        blocking=True,
    )


async def legacy_notify(hass: HomeAssistant, message: str, **data: Any) -> None:
    """Call the legacy notify.tatango_sms service."""
    await hass.services.async_call(
        NOTIFY, "tatango_sms", {"message": message, **data}, blocking=True
    )


# Notify entities


async def test_notify_entity_per_recipient(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Each saved recipient has a notify entity, supporting a title, on a service device named after them."""
    for name, entity_id in (("Alice", "notify.alice"), ("Bob", "notify.bob")):
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.attributes[ATTR_SUPPORTED_FEATURES] == NotifyEntityFeature.TITLE
        entity = entity_registry.async_get(entity_id)
        assert entity is not None
        assert entity.config_subentry_id is not None
        assert setup_entry.subentries[entity.config_subentry_id].title == name
        device = device_registry.async_get(entity.device_id or "")
        assert device is not None
        assert device.name == name
        assert device.entry_type is dr.DeviceEntryType.SERVICE
        assert entity.config_entry_id == setup_entry.entry_id


async def test_notify_entity_puts_title_in_front(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """A notification with a title arrives as 'Title: message', only at that recipient."""
    opt_in_everyone(simulator)

    await notify_entity(
        hass, "notify.alice", "Water in the basement", **{ATTR_TITLE: "Leak"}
    )
    await notify_entity(hass, "notify.alice", "All dry again")

    assert simulator.delivered(ALICE_NUMBER) == [
        "Leak: Water in the basement",
        "All dry again",
    ]
    assert simulator.delivered(BOB_NUMBER) == []
    request = simulator.requests[0]
    assert set(request.form) == {"key", "recipient", "message", "hash"}


async def test_notify_entity_failure_raises(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """A failed SMS from a notify entity surfaces as an error naming the recipient and the problem."""
    opt_in_everyone(simulator)
    simulator.force_status(400, number=BOB_NUMBER)

    with pytest.raises(HomeAssistantError) as exc_info:
        await notify_entity(hass, "notify.bob", "Hello")

    assert exc_info.value.translation_key == "send_failed_invalid_phone_number"
    assert str(exc_info.value) == (
        f"The gateway rejected the phone number. Not sent: Bob ({BOB_NUMBER}): invalid_phone_number"
    )
    assert queued_messages(hass) == 0


@pytest.mark.freeze_time(tick=True)
async def test_notify_entity_queues_while_gateway_is_down(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A notification the gateway cannot take now (503) is queued without an error and sent once it is back."""
    opt_in_everyone(simulator)
    simulator.set_queue_down(True)

    await notify_entity(hass, "notify.bob", "Hello")

    assert queued_messages(hass) == 1
    assert [r.status for r in simulator.requests] == [503]
    simulator.set_queue_down(False)
    await async_advance_time(hass, freezer, 60)
    assert simulator.delivered(BOB_NUMBER) == ["Hello"]
    assert queued_messages(hass) == 0


async def test_notify_entity_rejects_empty_message(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """An empty notification is refused without contacting the gateway."""
    with pytest.raises(ServiceValidationError) as exc_info:
        await notify_entity(hass, "notify.alice", " ")

    assert exc_info.value.translation_key == "empty_message"
    assert simulator.requests == []


async def test_notify_entity_long_message_is_split(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """A long notification follows the long-message option like the action does."""
    opt_in_everyone(simulator)
    message = " ".join(f"Window {i} is open." for i in range(20))

    await notify_entity(hass, "notify.alice", message, **{ATTR_TITLE: "House"})

    parts = simulator.delivered(ALICE_NUMBER)
    assert len(parts) > 1
    assert "".join(parts) == f"House: {message}"


# The legacy notify service (notify.<slug of the entry title>)


async def test_legacy_service_exists(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    """The account offers notify.tatango_sms, named after the entry title."""
    assert hass.services.has_service(NOTIFY, "tatango_sms")


@pytest.mark.parametrize(
    ("target", "numbers"),
    [
        ("Alice", [ALICE_NUMBER]),
        (["bob"], [BOB_NUMBER]),
        (["Alice", "(206) 555-0199"], [ALICE_NUMBER, STRANGER_NUMBER]),
        ("+1 206 555 0102", [BOB_NUMBER]),
    ],
)
async def test_legacy_service_targets(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    target: str | list[str],
    numbers: list[str],
) -> None:
    """The legacy service sends to the names and numbers in target, given as a string or a list."""
    opt_in_everyone(simulator)

    await legacy_notify(hass, "Porch light left on", target=target)

    assert sorted(r.recipient for r in simulator.requests) == sorted(numbers)
    for number in numbers:
        assert simulator.delivered(number) == ["Porch light left on"]


async def test_legacy_service_without_target_reaches_every_saved_recipient(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Without a target the legacy service notifies every saved recipient, title first."""
    opt_in_everyone(simulator)

    await legacy_notify(hass, "Smoke detected", title="Fire")

    assert simulator.delivered(ALICE_NUMBER) == ["Fire: Smoke detected"]
    assert simulator.delivered(BOB_NUMBER) == ["Fire: Smoke detected"]
    assert simulator.delivered(STRANGER_NUMBER) == []


async def test_legacy_service_rejects_bad_target(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """An unknown name or invalid number in target is refused and nobody is messaged."""
    opt_in_everyone(simulator)

    with pytest.raises(ServiceValidationError) as exc_info:
        await legacy_notify(hass, "Hi", target=["Alice", "Carol"])
    assert exc_info.value.translation_key == "unknown_recipient"

    with pytest.raises(ServiceValidationError) as exc_info:
        await legacy_notify(hass, "Hi", target=["Alice", "12345"])
    assert exc_info.value.translation_key == "invalid_phone_number"

    assert simulator.requests == []


async def test_legacy_service_failure_raises(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """A failed SMS through the legacy service raises, after the other recipients got it."""
    opt_in_everyone(simulator)
    simulator.force_status(403, number=ALICE_NUMBER)

    with pytest.raises(
        HomeAssistantError,
        match=r"The number blocked messages from this account\. Not sent: Alice \(2065550101\): blocked",
    ):
        await legacy_notify(hass, "Hi")

    assert simulator.delivered(BOB_NUMBER) == ["Hi"]


@pytest.mark.freeze_time(tick=True)
async def test_legacy_service_queues_while_gateway_fails(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A server error (503) through the legacy service queues that recipient's SMS without an error, for later."""
    opt_in_everyone(simulator)
    simulator.force_status(503, number=ALICE_NUMBER)

    await legacy_notify(hass, "Hi")

    assert simulator.delivered(BOB_NUMBER) == ["Hi"]
    assert simulator.delivered(ALICE_NUMBER) == []
    assert queued_messages(hass) == 1
    await async_advance_time(hass, freezer, 60)
    assert simulator.delivered(ALICE_NUMBER) == ["Hi"]
    assert queued_messages(hass) == 0


@pytest.mark.parametrize("saved_recipients", [{}])
async def test_legacy_service_without_saved_recipients_needs_target(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """With no saved recipients, the legacy service without a target is refused; with a number it works."""
    opt_in_everyone(simulator)

    with pytest.raises(ServiceValidationError) as exc_info:
        await legacy_notify(hass, "Hi")
    assert exc_info.value.translation_key == "no_recipients"

    await legacy_notify(hass, "Hi", target=STRANGER_NUMBER)
    assert simulator.delivered(STRANGER_NUMBER) == ["Hi"]


async def test_legacy_service_follows_entry_lifecycle(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Unloading removes the legacy service; loading again brings back exactly one."""
    opt_in_everyone(simulator)

    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert setup_entry.state is ConfigEntryState.NOT_LOADED
    assert not hass.services.has_service(NOTIFY, "tatango_sms")

    assert await hass.config_entries.async_setup(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.services.has_service(NOTIFY, "tatango_sms")

    assert await hass.config_entries.async_reload(setup_entry.entry_id)
    await hass.async_block_till_done()

    await legacy_notify(hass, "Once", target="Alice")
    assert simulator.delivered(ALICE_NUMBER) == ["Once"]
    assert len(simulator.requests) == 1
    # Home Assistant lets go of the services of the unloaded setups (and of
    # everything they hold): only the current one is left.
    (service,) = hass.data[NOTIFY_SERVICES][DOMAIN]
    assert service is setup_entry.runtime_data.legacy_notify


async def test_legacy_service_named_after_entry_title(
    hass: HomeAssistant, tatango_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Renaming the entry renames its legacy service."""
    opt_in_everyone(simulator)
    tatango_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(tatango_entry, title="Family Phones")
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()

    assert hass.services.has_service(NOTIFY, "family_phones")
    assert not hass.services.has_service(NOTIFY, "tatango_sms")
    await hass.services.async_call(
        NOTIFY,
        "family_phones",
        {"message": "Hi", "target": "Bob"},
        blocking=True,
    )
    assert simulator.delivered(BOB_NUMBER) == ["Hi"]


# alert: and notify groups, which call legacy notify services only


async def test_alert_reaches_the_phones(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """An alert: whose notifier is tatango_sms texts every saved recipient when it fires and when it is done."""
    opt_in_everyone(simulator)
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"leak": {"name": "Leak"}}}
    )
    assert await async_setup_component(
        hass,
        "alert",
        {
            "alert": {
                "basement_leak": {
                    "name": "Basement leak",
                    "entity_id": "input_boolean.leak",
                    "state": "on",
                    "repeat": 30,
                    "title": "Alert",
                    "message": "Water in the basement!",
                    "done_message": "The basement is dry.",
                    "notifiers": ["tatango_sms"],
                }
            }
        },
    )
    await hass.async_block_till_done()

    await hass.services.async_call(
        "input_boolean", "turn_on", {"entity_id": "input_boolean.leak"}, blocking=True
    )
    await hass.async_block_till_done()

    assert simulator.delivered(ALICE_NUMBER) == ["Alert: Water in the basement!"]
    assert simulator.delivered(BOB_NUMBER) == ["Alert: Water in the basement!"]

    await hass.services.async_call(
        "input_boolean", "turn_off", {"entity_id": "input_boolean.leak"}, blocking=True
    )
    await hass.async_block_till_done()

    assert simulator.delivered(ALICE_NUMBER)[-1] == "Alert: The basement is dry."


@pytest.mark.parametrize("action_key", ["action", "service"])
async def test_yaml_notify_group_reaches_the_phones(
    hass: HomeAssistant,
    tatango_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    action_key: str,
) -> None:
    """A YAML notify group containing tatango_sms reaches the phones through notify.family."""
    opt_in_everyone(simulator)
    assert await async_setup_component(
        hass,
        NOTIFY,
        {
            NOTIFY: [
                {
                    "platform": "group",
                    "name": "family",
                    "services": [{action_key: "tatango_sms"}],
                }
            ]
        },
    )
    tatango_entry.add_to_hass(hass)
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    assert hass.services.has_service(NOTIFY, "family")

    await hass.services.async_call(
        NOTIFY,
        "family",
        {"message": "Dinner is ready", "title": "Home"},
        blocking=True,
    )
    await hass.async_block_till_done()

    assert simulator.delivered(ALICE_NUMBER) == ["Home: Dinner is ready"]
    assert simulator.delivered(BOB_NUMBER) == ["Home: Dinner is ready"]


async def test_notify_group_helper_reaches_the_phones(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """A notify group helper made of the recipients' notify entities texts each of them."""
    opt_in_everyone(simulator)
    group = MockConfigEntry(
        domain="group",
        title="Everyone",
        options={
            "group_type": "notify",
            "name": "Everyone",
            "entities": ["notify.alice", "notify.bob"],
            "hide_members": False,
        },
    )
    group.add_to_hass(hass)
    assert await hass.config_entries.async_setup(group.entry_id)
    await hass.async_block_till_done()

    await notify_entity(
        hass, "notify.everyone", "Movie night", **{ATTR_TITLE: "Tonight"}
    )

    assert simulator.delivered(ALICE_NUMBER) == ["Tonight: Movie night"]
    assert simulator.delivered(BOB_NUMBER) == ["Tonight: Movie night"]
