"""Tests for numbers that blocked the account (403): remembered, never contacted, repaired."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tatango_sms.const import DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from tatango_simulator import GatewaySimulator

from .conftest import ALICE_NUMBER, BOB_NUMBER, STRANGER_NUMBER
from .helpers import send_sms

ALICE_SENSOR = "sensor.alice_opt_in_status"
BLOCKED_TEXT = "The number blocked messages from this account"


def store_key(entry: MockConfigEntry) -> str:
    """Return the storage key of the entry's blocked numbers."""
    return f"{DOMAIN}.{entry.entry_id}.blocked"


def issue_id(entry: MockConfigEntry, number: str) -> str:
    """Return the repair issue id for a blocked number."""
    return f"blocked_{entry.entry_id}_{number}"


def blocked_issue(
    hass: HomeAssistant, entry: MockConfigEntry, number: str
) -> ir.IssueEntry | None:
    """Return the repair issue shown for a blocked number, if any."""
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id(entry, number))


async def block_alice(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """Have Alice's phone block the account, and let the gateway say so (403)."""
    simulator.opt_in(ALICE_NUMBER)
    simulator.block(ALICE_NUMBER)
    with pytest.raises(HomeAssistantError, match=BLOCKED_TEXT):
        await send_sms(hass, "Are you there?", "Alice")
    assert [r.status for r in simulator.requests] == [403]


def sensor_state(hass: HomeAssistant) -> str:
    """Return Alice's opt-in status."""
    state = hass.states.get(ALICE_SENSOR)
    assert state is not None
    return state.state


async def test_403_blocks_the_number(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    hass_storage: dict[str, Any],
) -> None:
    """A 403 fails the send, marks the number blocked, saves it and raises a fixable repair issue."""
    simulator.opt_in(ALICE_NUMBER)
    simulator.block(ALICE_NUMBER)

    with pytest.raises(HomeAssistantError) as exc_info:
        await send_sms(hass, "Are you there?", "Alice")

    assert exc_info.value.translation_key == "send_failed_blocked"
    assert f"{BLOCKED_TEXT}. Not sent: Alice ({ALICE_NUMBER}): blocked" in str(
        exc_info.value
    )
    assert sensor_state(hass) == "blocked"
    assert hass_storage[store_key(setup_entry)]["data"] == [ALICE_NUMBER]
    issue = blocked_issue(hass, setup_entry, ALICE_NUMBER)
    assert issue is not None
    assert issue.is_fixable
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_key == "number_blocked"
    assert issue.translation_placeholders == {
        "number": ALICE_NUMBER,
        "title": "Tatango SMS",
    }
    assert blocked_issue(hass, setup_entry, BOB_NUMBER) is None


async def test_blocked_number_is_never_sent_to_again(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """After a 403, every way of sending to that number fails at once without contacting the gateway."""
    await block_alice(hass, simulator)

    with pytest.raises(HomeAssistantError, match=BLOCKED_TEXT):
        await send_sms(hass, "Again", "+1 (206) 555-0101")
    with pytest.raises(HomeAssistantError, match=BLOCKED_TEXT):
        await hass.services.async_call(
            "notify",
            "send_message",
            {"entity_id": "notify.alice", "message": "Again"},
            blocking=True,
        )
    with pytest.raises(HomeAssistantError, match=BLOCKED_TEXT):
        await hass.services.async_call(
            "notify",
            "tatango_sms",
            {"message": "Again", "target": "Alice"},
            blocking=True,
        )

    assert len(simulator.requests) == 1
    assert sensor_state(hass) == "blocked"


async def test_others_still_get_the_message(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """A blocked number in a call fails only itself: the others get the message and the error names only it."""
    await block_alice(hass, simulator)
    simulator.opt_in(BOB_NUMBER)

    with pytest.raises(HomeAssistantError) as exc_info:
        await send_sms(hass, "Family dinner", "Alice", "Bob")

    assert f"{BLOCKED_TEXT}. Not sent: Alice ({ALICE_NUMBER}): blocked" in str(
        exc_info.value
    )
    assert "Bob" not in str(exc_info.value)
    assert simulator.delivered(BOB_NUMBER) == ["Family dinner"]
    assert [r.recipient for r in simulator.requests[1:]] == [BOB_NUMBER]


async def test_unsaved_number_is_blocked_too(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    hass_storage: dict[str, Any],
) -> None:
    """A typed number that answers 403 is remembered and reported like a saved one."""
    simulator.block(STRANGER_NUMBER)

    with pytest.raises(
        HomeAssistantError,
        match=f"{BLOCKED_TEXT}. Not sent: {STRANGER_NUMBER}: blocked",
    ):
        await send_sms(hass, "Hello", STRANGER_NUMBER)
    with pytest.raises(HomeAssistantError, match=BLOCKED_TEXT):
        await send_sms(hass, "Hello", STRANGER_NUMBER)

    assert len(simulator.requests) == 1
    assert hass_storage[store_key(setup_entry)]["data"] == [STRANGER_NUMBER]
    assert blocked_issue(hass, setup_entry, STRANGER_NUMBER) is not None


async def _reload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_reload(entry.entry_id)


async def _unload_and_set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload the entry and set it up again, as a restart does."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert await hass.config_entries.async_setup(entry.entry_id)


@pytest.mark.parametrize(
    "restart", [_reload, _unload_and_set_up], ids=["reload", "unload-and-set-up"]
)
async def test_block_survives_reload(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    restart: Callable[[HomeAssistant, MockConfigEntry], Awaitable[None]],
) -> None:
    """Reloading the entry, or setting it up again, keeps the number blocked, its issue shown and the gateway uncontacted."""
    await block_alice(hass, simulator)

    await restart(hass, setup_entry)
    await hass.async_block_till_done()

    assert sensor_state(hass) == "blocked"
    assert blocked_issue(hass, setup_entry, ALICE_NUMBER) is not None
    with pytest.raises(HomeAssistantError, match=BLOCKED_TEXT):
        await send_sms(hass, "After the restart", "Alice")
    assert len(simulator.requests) == 1


async def test_block_saved_before_restart_applies_at_startup(
    hass: HomeAssistant,
    tatango_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    hass_storage: dict[str, Any],
) -> None:
    """Blocks saved by an earlier run are shown and enforced as soon as Home Assistant starts."""
    hass_storage[store_key(tatango_entry)] = {
        "version": 1,
        "minor_version": 1,
        "key": store_key(tatango_entry),
        "data": [ALICE_NUMBER],
    }
    tatango_entry.add_to_hass(hass)
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()

    assert sensor_state(hass) == "blocked"
    issue = blocked_issue(hass, tatango_entry, ALICE_NUMBER)
    assert issue is not None
    assert issue.is_fixable
    simulator.opt_in(ALICE_NUMBER)
    with pytest.raises(HomeAssistantError, match=BLOCKED_TEXT):
        await send_sms(hass, "Hi", "Alice")
    assert simulator.requests == []


@pytest.mark.parametrize(
    "stored",
    [{"not": "a list"}, [ALICE_NUMBER, 42], "garbage"],
    ids=["dict", "mixed-types", "string"],
)
async def test_unreadable_blocks_start_clean(
    hass: HomeAssistant,
    tatango_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    hass_storage: dict[str, Any],
    *,
    caplog: pytest.LogCaptureFixture,
    stored: Any,
) -> None:
    """A corrupt blocked-numbers file is reported in the log; the entry loads and sends."""
    hass_storage[store_key(tatango_entry)] = {
        "version": 1,
        "minor_version": 1,
        "key": store_key(tatango_entry),
        "data": stored,
    }
    tatango_entry.add_to_hass(hass)
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()

    assert tatango_entry.state is ConfigEntryState.LOADED
    assert "The blocked numbers could not be read" in caplog.text
    simulator.opt_in(ALICE_NUMBER)
    await send_sms(hass, "Hi", "Alice")
    assert simulator.delivered(ALICE_NUMBER) == ["Hi"]


async def start_fix_flow(
    hass: HomeAssistant, client: Any, entry: MockConfigEntry, number: str
) -> dict[str, Any]:
    """Open the repair issue's fix flow the way the frontend does."""
    response = await client.post(
        "/api/repairs/issues/fix",
        json={"handler": DOMAIN, "issue_id": issue_id(entry, number)},
    )
    assert response.status == HTTPStatus.OK
    data: dict[str, Any] = await response.json()
    assert data["type"] == "form"
    assert data["step_id"] == "confirm"
    assert data["description_placeholders"] == {"number": number}
    return data


async def test_repair_flow_clears_the_block(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    hass_client: ClientSessionGenerator,
    hass_storage: dict[str, Any],
) -> None:
    """Confirming the repair clears the block: the issue goes, and once the person opted back in they get messages."""
    await block_alice(hass, simulator)
    assert await async_setup_component(hass, "repairs", {})
    client = await hass_client()

    flow = await start_fix_flow(hass, client, setup_entry, ALICE_NUMBER)
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert response.status == HTTPStatus.OK
    assert (await response.json())["type"] == "create_entry"
    await hass.async_block_till_done()

    assert blocked_issue(hass, setup_entry, ALICE_NUMBER) is None
    assert hass_storage[store_key(setup_entry)]["data"] == []
    assert sensor_state(hass) == "unknown"

    simulator.opt_in(ALICE_NUMBER)
    await send_sms(hass, "Welcome back", "Alice")
    assert simulator.delivered(ALICE_NUMBER) == ["Welcome back"]
    assert sensor_state(hass) == "subscribed"

    # The cleared block stays cleared after a reload.
    assert await hass.config_entries.async_reload(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert blocked_issue(hass, setup_entry, ALICE_NUMBER) is None
    await send_sms(hass, "Still here", "Alice")
    assert simulator.delivered(ALICE_NUMBER) == ["Welcome back", "Still here"]


async def test_repair_flow_with_entry_not_loaded(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    hass_client: ClientSessionGenerator,
    hass_storage: dict[str, Any],
) -> None:
    """The repair cannot clear a block while the account is unloaded; it says so and the block stays."""
    await block_alice(hass, simulator)
    assert await async_setup_component(hass, "repairs", {})
    client = await hass_client()
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    await hass.async_block_till_done()

    flow = await start_fix_flow(hass, client, setup_entry, ALICE_NUMBER)
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    data = await response.json()

    assert data["type"] == "abort"
    assert data["reason"] == "entry_not_loaded"
    assert hass_storage[store_key(setup_entry)]["data"] == [ALICE_NUMBER]
    assert await hass.config_entries.async_setup(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert sensor_state(hass) == "blocked"


async def test_removing_the_entry_forgets_its_blocks(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    hass_storage: dict[str, Any],
) -> None:
    """Deleting the account removes its saved blocks and their repair issues."""
    await block_alice(hass, simulator)
    assert store_key(setup_entry) in hass_storage

    await hass.config_entries.async_remove(setup_entry.entry_id)
    await hass.async_block_till_done()

    assert blocked_issue(hass, setup_entry, ALICE_NUMBER) is None
    assert store_key(setup_entry) not in hass_storage
