"""Tests of the diagnostics download."""

from __future__ import annotations

import json

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
from tatango_simulator import GatewaySimulator

from .conftest import ALICE_NUMBER, BOB_NUMBER
from .const import TEST_KEY, TEST_PASSWORD
from .helpers import TEST_NUMBER, send_sms, unique_id_for, webhook_path

REDACTED = "**REDACTED**"


async def test_diagnostics_redact_secrets_and_count_posts(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    loaded_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """Diagnostics hide key, password, webhook id and unique id, and count what the webhook answered."""
    webhook_id = loaded_entry.data[CONF_WEBHOOK_ID]
    assert await async_setup_component(hass, "diagnostics", {})
    client = await hass_client()
    path = webhook_path(webhook_id)
    assert (
        await simulator.post_mo(TEST_NUMBER, "hi", url=str(client.make_url(path)))
        == 200
    )
    assert (await client.post(path, data="not xml")).status == 400
    assert (await client.post(path, data=b"<" * (65 * 1024))).status == 413
    assert (await client.post(path, data=b"")).status == 400

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )

    entry = diagnostics["entry"]
    assert entry["data"] == {
        "key": REDACTED,
        "password": REDACTED,
        "url": simulator.messages_url,
        "webhook_id": REDACTED,
        "cloudhook": False,
    }
    assert entry["unique_id"] == REDACTED
    assert entry["title"] == "Tatango SMS"
    assert entry["domain"] == "tatango_sms"
    assert diagnostics["webhook"]["received"] == 1
    assert diagnostics["webhook"]["rejected"] == 2
    assert diagnostics["webhook"]["too_large"] == 1
    text = json.dumps(diagnostics)
    for secret in (TEST_KEY, TEST_PASSWORD, webhook_id, unique_id_for(TEST_KEY)):
        assert secret not in text


async def test_downloaded_file_holds_no_secrets(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """The whole file a user downloads and shares contains no key, password or webhook id."""
    assert await async_setup_component(hass, "diagnostics", {})
    client = await hass_client()

    response = await client.get(
        f"/api/diagnostics/config_entry/{loaded_entry.entry_id}"
    )

    assert response.status == 200
    text = await response.text()
    assert '"tatango_sms"' in text
    for secret in (
        TEST_KEY,
        TEST_PASSWORD,
        loaded_entry.data[CONF_WEBHOOK_ID],
        unique_id_for(TEST_KEY),
    ):
        assert secret not in text


# What diagnostics show of the entry: the keys every supported Home Assistant
# version has, without its random id and timestamps.
ENTRY_KEYS = ("data", "domain", "options", "source", "title", "unique_id", "version")


async def test_diagnostics_snapshot(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    setup_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    """The whole download after one sent SMS, one queued and one blocked number."""
    assert await async_setup_component(hass, "diagnostics", {})
    simulator.opt_in(ALICE_NUMBER)
    simulator.block(BOB_NUMBER)
    await send_sms(hass, "Hello", "Alice")
    with pytest.raises(HomeAssistantError):
        await send_sms(hass, "Hello", "Bob")
    simulator.set_queue_down(True)
    await send_sms(hass, "Later", "Alice")

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, setup_entry)

    diagnostics["entry"] = {key: diagnostics["entry"][key] for key in ENTRY_KEYS}
    # The simulator's port changes from run to run.
    assert diagnostics["entry"]["data"].pop("url") == simulator.messages_url
    assert diagnostics == snapshot(exclude=props("queued_for", "next_attempt_in"))
