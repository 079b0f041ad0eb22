"""Tests of the spend guard: at most so many SMS in any rolling hour, and parts per message."""

from __future__ import annotations

import asyncio
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.tatango_sms.const import (
    CONF_LONG_MESSAGES,
    CONF_MAX_PARTS,
    CONF_MAX_SMS_PER_HOUR,
    DOMAIN,
    EVENT_FAILED,
    EVENT_SENT,
)
from custom_components.tatango_sms.spend_guard import spend_issue_id
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from tatango_simulator import GatewaySimulator

from .conftest import ALICE_NUMBER
from .helpers import async_advance_time, queued_messages, send_sms

SENT_LAST_HOUR = "sensor.tatango_sms_sent_in_the_last_hour"
NUMBERS = [f"312555{1000 + i}" for i in range(150)]
TWO_PARTS = "Two parts. " * 20  # 220 GSM-7 characters: 2 SMS
THREE_PARTS = "Three parts. " * 30  # 390 characters: 3 SMS


def sent_last_hour(hass: HomeAssistant) -> int:
    """Return the state of the SMS-in-the-last-hour sensor."""
    state = hass.states.get(SENT_LAST_HOUR)
    assert state is not None
    return int(state.state)


def spend_issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """Return the entry's limit-reached repair issue, if any."""
    return ir.async_get(hass).async_get_issue(DOMAIN, spend_issue_id(entry.entry_id))


async def send_each(hass: HomeAssistant, message: str, numbers: list[str]) -> list[str]:
    """Send one action per number at once; return each call's outcome or error key."""

    async def one(number: str) -> str:
        try:
            response: Any = await send_sms(hass, message, number)
        except HomeAssistantError as err:
            return str(err.translation_key)
        return str(response["recipients"][0]["outcome"])

    return list(await asyncio.gather(*(one(number) for number in numbers)))


@pytest.mark.freeze_time(tick=True)
async def test_a_burst_past_the_limit_is_refused_and_reported(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """150 sends at the default limit of 100: exactly 100 reach the gateway, 50 fail as rate_limited, a repair issue says so and clears after the hour."""
    for number in NUMBERS:
        simulator.opt_in(number)

    outcomes = await send_each(hass, "Water leak in the basement", NUMBERS)

    assert outcomes.count("sent") == 100
    assert outcomes.count("send_failed_rate_limited") == 50
    assert len(simulator.requests) == 100
    assert sent_last_hour(hass) == 100
    issue = spend_issue(hass, setup_entry)
    assert issue is not None
    assert issue.translation_key == "spend_limit_reached"
    assert issue.translation_placeholders == {
        "title": "Tatango SMS",
        "limit": "100",
        "count": "100",
        "senders": "- (100)",
    }
    with pytest.raises(HomeAssistantError) as exc_info:
        await send_sms(hass, "Still leaking", NUMBERS[0])
    assert str(exc_info.value) == (
        "The account's limit of 100 SMS an hour is reached; there is room again "
        f"in 60 min. Not sent: {NUMBERS[0]}: rate_limited"
    )

    await async_advance_time(hass, freezer, 3610)
    assert spend_issue(hass, setup_entry) is None
    assert sent_last_hour(hass) == 0
    assert await send_each(hass, "Dry again", NUMBERS[:1]) == ["sent"]
    assert len(simulator.requests) == 101


@pytest.mark.freeze_time(tick=True)
@pytest.mark.parametrize("entry_options", [{CONF_MAX_SMS_PER_HOUR: 10}])
async def test_the_window_rolls(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """SMS leave the count an hour after they were sent, one by one."""
    for number in NUMBERS[:20]:
        simulator.opt_in(number)
    assert await send_each(hass, "Early", NUMBERS[:6]) == ["sent"] * 6
    await async_advance_time(hass, freezer, 30 * 60)
    assert await send_each(hass, "Later", NUMBERS[6:10]) == ["sent"] * 4
    assert await send_each(hass, "One more", NUMBERS[10:11]) == [
        "send_failed_rate_limited"
    ]

    await async_advance_time(hass, freezer, 31 * 60)  # the first six left the hour
    assert sent_last_hour(hass) == 4
    assert await send_each(hass, "Room", NUMBERS[11:17]) == ["sent"] * 6
    assert len(simulator.requests) == 16


@pytest.mark.parametrize("entry_options", [{CONF_MAX_SMS_PER_HOUR: 10}])
async def test_the_count_survives_a_restart(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    hass_storage: dict[str, Any],
) -> None:
    """A reload (as a restart) keeps the hour's count, so a restart loop cannot reset it."""
    for number in NUMBERS[:20]:
        simulator.opt_in(number)
    assert await send_each(hass, "Before", NUMBERS[:8]) == ["sent"] * 8
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert len(hass_storage[f"{DOMAIN}.{setup_entry.entry_id}.sent"]["data"]) == 8

    assert await hass.config_entries.async_setup(setup_entry.entry_id)
    await hass.async_block_till_done()

    assert sent_last_hour(hass) == 8
    assert await send_each(hass, "After", NUMBERS[8:12]) == [
        "sent",
        "sent",
        "send_failed_rate_limited",
        "send_failed_rate_limited",
    ]
    assert len(simulator.requests) == 10


@pytest.mark.parametrize("entry_options", [{CONF_MAX_SMS_PER_HOUR: 10}])
async def test_a_split_message_goes_whole_or_not_at_all(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """With 8 of 10 SMS used, a 3-part message is not posted at all; a 2-part one is posted whole."""
    for number in NUMBERS[:10]:
        simulator.opt_in(number)
    assert await send_each(hass, "Single", NUMBERS[:8]) == ["sent"] * 8

    assert await send_each(hass, THREE_PARTS, NUMBERS[8:9]) == [
        "send_failed_rate_limited"
    ]
    assert simulator.delivered(NUMBERS[8]) == []

    response: Any = await send_sms(hass, TWO_PARTS, NUMBERS[9])
    assert response["recipients"][0]["sms_sent"] == 2
    assert len(simulator.delivered(NUMBERS[9])) == 2
    assert sent_last_hour(hass) == 10


@pytest.mark.freeze_time(tick=True)
@pytest.mark.parametrize("entry_options", [{CONF_MAX_SMS_PER_HOUR: 3}])
async def test_queued_messages_wait_for_room(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Messages queued during an outage wait, not fail, while the hour is full, then go out."""
    events = async_capture_events(hass, EVENT_SENT)
    failed = async_capture_events(hass, EVENT_FAILED)
    simulator.opt_in(ALICE_NUMBER)
    simulator.set_queue_down(True)
    for i in range(5):
        await send_sms(hass, f"Reading {i}", "Alice")
    assert queued_messages(hass) == 5
    assert sent_last_hour(hass) == 0  # the 503 took nothing

    simulator.set_queue_down(False)
    await async_advance_time(hass, freezer, 60)
    assert simulator.delivered(ALICE_NUMBER) == ["Reading 0", "Reading 1", "Reading 2"]
    assert queued_messages(hass) == 2
    assert failed == []
    assert spend_issue(hass, setup_entry) is not None

    await async_advance_time(hass, freezer, 30 * 60)
    assert queued_messages(hass) == 2  # still no room
    await async_advance_time(hass, freezer, 31 * 60)
    assert simulator.delivered(ALICE_NUMBER) == [f"Reading {i}" for i in range(5)]
    assert queued_messages(hass) == 0
    assert len(events) == 5
    assert failed == []


async def test_limit_counts_every_path(
    hass: HomeAssistant,
    tatango_entry: MockConfigEntry,
    simulator: GatewaySimulator,
) -> None:
    """The action, notify entities and the legacy notify service share one hourly count."""
    tatango_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        tatango_entry, options={CONF_MAX_SMS_PER_HOUR: 3}
    )
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    simulator.opt_in(ALICE_NUMBER)

    await send_sms(hass, "By the action", "Alice")
    await hass.services.async_call(
        "notify",
        "send_message",
        {"entity_id": "notify.alice", "message": "By the entity"},
        blocking=True,
    )
    await hass.services.async_call(
        "notify",
        "tatango_sms",
        {"message": "By legacy", "target": "Alice"},
        blocking=True,
    )
    with pytest.raises(HomeAssistantError, match="rate_limited"):
        await hass.services.async_call(
            "notify",
            "send_message",
            {"entity_id": "notify.alice", "message": "One too many"},
            blocking=True,
        )

    assert len(simulator.delivered(ALICE_NUMBER)) == 3


async def test_top_senders_name_the_automation(
    hass: HomeAssistant, tatango_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """The repair issue names the automation whose sends filled the hour."""
    tatango_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        tatango_entry, options={CONF_MAX_SMS_PER_HOUR: 2}
    )
    assert await async_setup_component(hass, DOMAIN, {})
    simulator.opt_in(ALICE_NUMBER)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": "flapping",
                "alias": "Flapping sensor",
                "triggers": {"trigger": "event", "event_type": "flap"},
                "actions": {
                    "action": f"{DOMAIN}.send_message",
                    "data": {"message": "Flap", "recipients": "Alice"},
                    "continue_on_error": True,
                },
            }
        },
    )
    for _ in range(3):
        hass.bus.async_fire("flap")
        await hass.async_block_till_done()

    assert simulator.delivered(ALICE_NUMBER) == ["Flap", "Flap"]
    issue = spend_issue(hass, tatango_entry)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["senders"] == "automation.flapping_sensor (2)"


@pytest.mark.parametrize(
    ("entry_options", "delivered"),
    [
        ({CONF_MAX_PARTS: 2}, None),
        ({CONF_MAX_PARTS: 2, CONF_LONG_MESSAGES: "truncate"}, 1),
        ({CONF_MAX_PARTS: 3}, 3),
    ],
    ids=["too-long", "truncated", "fits"],
)
async def test_parts_per_message(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    delivered: int | None,
) -> None:
    """A message that needs more SMS than allowed fails as too_long, nothing posted, unless it is truncated."""
    simulator.opt_in(ALICE_NUMBER)
    if delivered is None:
        with pytest.raises(HomeAssistantError) as exc_info:
            await send_sms(hass, THREE_PARTS, "Alice")
        assert exc_info.value.translation_key == "send_failed_too_long"
        assert simulator.requests == []
        return
    response: Any = await send_sms(hass, THREE_PARTS, "Alice")
    assert response["recipients"][0]["sms_sent"] == delivered
    assert len(simulator.delivered(ALICE_NUMBER)) == delivered
