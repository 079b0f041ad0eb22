"""Tests for saved recipients (config subentries) and the options flow."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.tatango_sms.const import (
    CONF_ACCEPT_UNKNOWN_SENDERS,
    CONF_ASSIST_AGENT_ID,
    CONF_ASSIST_SENDERS,
    CONF_GSM7_FRIENDLY,
    CONF_LONG_MESSAGES,
    CONF_MAX_PARTS,
    CONF_MAX_QUEUE_AGE,
    CONF_MAX_SMS_PER_HOUR,
    CONF_PERSON,
    CONF_PHONE_NUMBER,
    SUBENTRY_TYPE_RECIPIENT,
)
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntryState,
)
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from tatango_simulator import GatewaySimulator

from .conftest import ALICE_NUMBER, BOB_NUMBER, STRANGER_NUMBER
from .helpers import send_sms, suggested_values


def subentry_id_of(entry: MockConfigEntry, name: str) -> str:
    """Return the id of the saved recipient with this name."""
    (subentry_id,) = [
        subentry_id
        for subentry_id, subentry in entry.subentries.items()
        if subentry.title == name
    ]
    return subentry_id


async def start_add(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Open the 'Add recipient' form."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_RECIPIENT), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    assert suggested_values(result) == {
        CONF_NAME: None,
        CONF_PHONE_NUMBER: None,
        CONF_PERSON: None,
    }
    return result


async def start_reconfigure(
    hass: HomeAssistant, entry: MockConfigEntry, name: str
) -> dict[str, Any]:
    """Open the 'Change recipient' form of a saved recipient."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_RECIPIENT),
        context={
            "source": SOURCE_RECONFIGURE,
            "subentry_id": subentry_id_of(entry, name),
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    return result


# Adding a recipient


async def test_add_recipient(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """A new recipient is saved with a normalised number and at once gets a notify entity, a sensor and a device."""
    result = await start_add(hass, setup_entry)

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {CONF_NAME: "  Carol ", CONF_PHONE_NUMBER: "+1 (206) 555-0199"},
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Carol"
    assert result["data"] == {CONF_NAME: "Carol", CONF_PHONE_NUMBER: STRANGER_NUMBER}
    subentry = setup_entry.subentries[subentry_id_of(setup_entry, "Carol")]
    assert subentry.data[CONF_PHONE_NUMBER] == STRANGER_NUMBER
    assert subentry.unique_id == STRANGER_NUMBER

    assert setup_entry.state is ConfigEntryState.LOADED
    assert hass.states.get("notify.carol") is not None
    assert hass.states.get("sensor.carol_opt_in_status").state == "unknown"
    entity = entity_registry.async_get("notify.carol")
    assert entity is not None
    device = device_registry.async_get(entity.device_id or "")
    assert device is not None
    assert device.name == "Carol"

    # Carol can now be named in the action and reached through her entity.
    simulator.opt_in(STRANGER_NUMBER)
    response = await send_sms(hass, "Welcome Carol", "carol")
    assert response["recipients"][0]["name"] == "Carol"
    await hass.services.async_call(
        "notify",
        "send_message",
        {"entity_id": "notify.carol", "message": "Hi"},
        blocking=True,
    )
    assert simulator.delivered(STRANGER_NUMBER) == ["Welcome Carol", "Hi"]


@pytest.mark.parametrize(
    "phone_number",
    [
        "555-0123",
        "+44 20 7946 0958",
        "206-555-01234",
        "call me maybe",
        "(106) 555-0123",
        "",
    ],
)
async def test_add_recipient_invalid_number(
    hass: HomeAssistant, setup_entry: MockConfigEntry, phone_number: str
) -> None:
    """An invalid number is refused in the form, and a corrected one is accepted."""
    result = await start_add(hass, setup_entry)

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Carol", CONF_PHONE_NUMBER: phone_number}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_PHONE_NUMBER: "invalid_phone_number"}
    assert len(setup_entry.subentries) == 2

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Carol", CONF_PHONE_NUMBER: "206 555 0199"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PHONE_NUMBER] == STRANGER_NUMBER


@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        (
            {CONF_NAME: "Carol", CONF_PHONE_NUMBER: "1-206-555-0101"},
            {CONF_PHONE_NUMBER: "already_configured"},
        ),
        (
            {CONF_NAME: "alice", CONF_PHONE_NUMBER: "206-555-0199"},
            {CONF_NAME: "name_taken"},
        ),
        (
            {CONF_NAME: " BOB ", CONF_PHONE_NUMBER: "206-555-0199"},
            {CONF_NAME: "name_taken"},
        ),
    ],
)
async def test_add_recipient_duplicate(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    user_input: dict[str, str],
    errors: dict[str, str],
) -> None:
    """The same number (however written) or the same name (any case) cannot be saved twice."""
    result = await start_add(hass, setup_entry)

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], user_input
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert len(setup_entry.subentries) == 2


# Changing a recipient


async def test_reconfigure_recipient_number(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    entity_registry: er.EntityRegistry,
) -> None:
    """Changing a recipient's number keeps their entities, and their name now reaches the new number."""
    result = await start_reconfigure(hass, setup_entry, "Bob")
    unique_id = entity_registry.async_get("notify.bob").unique_id

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Bob", CONF_PHONE_NUMBER: "(206) 555-0199"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    subentry = setup_entry.subentries[subentry_id_of(setup_entry, "Bob")]
    assert subentry.data == {CONF_NAME: "Bob", CONF_PHONE_NUMBER: STRANGER_NUMBER}
    assert setup_entry.state is ConfigEntryState.LOADED
    assert entity_registry.async_get("notify.bob").unique_id == unique_id

    simulator.opt_in(STRANGER_NUMBER)
    simulator.opt_in(BOB_NUMBER)
    await send_sms(hass, "New phone?", "Bob")
    await hass.services.async_call(
        "notify",
        "send_message",
        {"entity_id": "notify.bob", "message": "Via entity"},
        blocking=True,
    )
    assert simulator.delivered(STRANGER_NUMBER) == ["New phone?", "Via entity"]
    assert simulator.delivered(BOB_NUMBER) == []
    assert hass.states.get("sensor.bob_opt_in_status").state == "subscribed"


async def test_reconfigure_recipient_name(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Renaming a recipient (keeping the number) works, and the new name is what the action accepts."""
    result = await start_reconfigure(hass, setup_entry, "Alice")
    assert suggested_values(result) == {
        CONF_NAME: "Alice",
        CONF_PHONE_NUMBER: ALICE_NUMBER,
        CONF_PERSON: None,
    }

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Ally", CONF_PHONE_NUMBER: ALICE_NUMBER}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    simulator.opt_in(ALICE_NUMBER)
    response = await send_sms(hass, "Hi", "Ally")
    assert response["recipients"][0] == {
        "recipient": ALICE_NUMBER,
        "name": "Ally",
        "outcome": "sent",
        "sms_sent": 1,
        "encoding": "gsm7",
    }


@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        (
            {CONF_NAME: "Bob", CONF_PHONE_NUMBER: "206.555.0101"},
            {CONF_PHONE_NUMBER: "already_configured"},
        ),
        (
            {CONF_NAME: "ALICE", CONF_PHONE_NUMBER: BOB_NUMBER},
            {CONF_NAME: "name_taken"},
        ),
        (
            {CONF_NAME: "Bob", CONF_PHONE_NUMBER: "12345"},
            {CONF_PHONE_NUMBER: "invalid_phone_number"},
        ),
    ],
)
async def test_reconfigure_recipient_refused(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    user_input: dict[str, str],
    errors: dict[str, str],
) -> None:
    """A change that would clash with another recipient, or an invalid number, is refused."""
    result = await start_reconfigure(hass, setup_entry, "Bob")

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], user_input
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    subentry = setup_entry.subentries[subentry_id_of(setup_entry, "Bob")]
    assert subentry.data[CONF_PHONE_NUMBER] == BOB_NUMBER


async def test_remove_recipient(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    entity_registry: er.EntityRegistry,
) -> None:
    """Removing a recipient removes their entities, and their name is no longer accepted."""
    assert hass.config_entries.async_remove_subentry(
        setup_entry, subentry_id_of(setup_entry, "Bob")
    )
    await hass.async_block_till_done()

    assert setup_entry.state is ConfigEntryState.LOADED
    assert hass.states.get("notify.bob") is None
    assert entity_registry.async_get("sensor.bob_opt_in_status") is None
    assert hass.states.get("notify.alice") is not None
    with pytest.raises(ServiceValidationError, match="Bob is not a saved recipient"):
        await send_sms(hass, "Hi", "Bob")
    assert simulator.requests == []


# Options


async def test_options_flow(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """The options form shows the defaults, saves the choices and reloads the account, which then uses them."""
    result = await hass.config_entries.options.async_init(setup_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert result["data_schema"]({}) == {
        CONF_LONG_MESSAGES: "split",
        CONF_GSM7_FRIENDLY: True,
        CONF_MAX_QUEUE_AGE: 24,
        CONF_ACCEPT_UNKNOWN_SENDERS: True,
        CONF_MAX_SMS_PER_HOUR: 100,
        CONF_MAX_PARTS: 10,
        CONF_ASSIST_SENDERS: "recipients",
    }
    runtime_data = setup_entry.runtime_data

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_LONG_MESSAGES: "truncate",
            CONF_GSM7_FRIENDLY: False,
            CONF_MAX_QUEUE_AGE: 12,
            CONF_ACCEPT_UNKNOWN_SENDERS: False,
            CONF_MAX_SMS_PER_HOUR: 50,
            CONF_MAX_PARTS: 10,
        },
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert setup_entry.options == {
        CONF_LONG_MESSAGES: "truncate",
        CONF_GSM7_FRIENDLY: False,
        CONF_MAX_QUEUE_AGE: 12,
        CONF_ACCEPT_UNKNOWN_SENDERS: False,
        CONF_MAX_SMS_PER_HOUR: 50,
        CONF_MAX_PARTS: 10,
        CONF_ASSIST_SENDERS: "recipients",
    }
    assert setup_entry.state is ConfigEntryState.LOADED
    assert setup_entry.runtime_data is not runtime_data  # reloaded

    # The form shows the saved choices next time.
    result = await hass.config_entries.options.async_init(setup_entry.entry_id)
    assert suggested_values(result) == {
        CONF_LONG_MESSAGES: "truncate",
        CONF_GSM7_FRIENDLY: False,
        CONF_MAX_QUEUE_AGE: 12,
        CONF_ACCEPT_UNKNOWN_SENDERS: False,
        CONF_MAX_SMS_PER_HOUR: 50,
        CONF_MAX_PARTS: 10,
        CONF_ASSIST_AGENT_ID: None,
        CONF_ASSIST_SENDERS: "recipients",
    }
    hass.config_entries.options.async_abort(result["flow_id"])

    simulator.opt_in(ALICE_NUMBER)
    long_message = " ".join(f"Door {i} is open." for i in range(30))
    await send_sms(hass, long_message, "Alice")
    (delivered,) = simulator.delivered(ALICE_NUMBER)
    assert long_message.startswith(delivered)
    assert len(delivered) <= 160


@pytest.mark.parametrize("choice", ["split", "truncate", "send"])
async def test_options_flow_accepts_each_long_message_choice(
    hass: HomeAssistant, setup_entry: MockConfigEntry, choice: str
) -> None:
    """Each long-message choice can be saved."""
    result = await hass.config_entries.options.async_init(setup_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_LONG_MESSAGES: choice, CONF_ACCEPT_UNKNOWN_SENDERS: True},
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert setup_entry.options[CONF_LONG_MESSAGES] == choice


async def test_options_flow_rejects_unknown_choice(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    """A long-message choice that does not exist is not saved."""
    result = await hass.config_entries.options.async_init(setup_entry.entry_id)

    with pytest.raises(InvalidData, match="long_messages"):
        await hass.config_entries.options.async_configure(
            result["flow_id"],
            {CONF_LONG_MESSAGES: "shout", CONF_ACCEPT_UNKNOWN_SENDERS: True},
        )

    assert setup_entry.options == {}
