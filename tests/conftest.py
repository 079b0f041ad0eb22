"""Shared fixtures for the Tatango SMS tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any, Final
from unittest.mock import AsyncMock, patch

import aiohttp
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

# Importing the integration at module level makes the test package put this
# repository's custom_components first, not the test package's own.
from custom_components.tatango_sms.const import DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.setup import async_setup_component
from tatango_simulator import GatewaySimulator

from .const import TEST_KEY, TEST_PASSWORD
from .helpers import (
    INTERNAL_URL,
    OTHER_KEY,
    OTHER_PASSWORD,
    CloudStub,
    Sms,
    async_add_and_set_up,
    make_entry,
    webhook_path,
)

__all__ = ["DOMAIN"]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom integrations from this repository in every test."""


@pytest.fixture
def mock_setup_entry() -> Iterator[AsyncMock]:
    """Let a flow test create an entry without setting it up."""
    with patch(
        "custom_components.tatango_sms.async_setup_entry", return_value=True
    ) as mock:
        yield mock


@asynccontextmanager
async def _running_simulator(
    key: str, password: str
) -> AsyncIterator[GatewaySimulator]:
    """Run a gateway simulator for an account on 127.0.0.1 (a free port)."""
    sim = GatewaySimulator(key=key, password=password)
    await sim.start(host="127.0.0.1", port=0)
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[GatewaySimulator]:
    """Run a gateway simulator on 127.0.0.1 (a free port) for one test."""
    async with _running_simulator(TEST_KEY, TEST_PASSWORD) as sim:
        yield sim


@pytest.fixture
async def other_simulator(socket_enabled: None) -> AsyncIterator[GatewaySimulator]:
    """Run a second gateway simulator, for a second account."""
    async with _running_simulator(OTHER_KEY, OTHER_PASSWORD) as sim:
        yield sim


@pytest.fixture
async def http_session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """Return a plain aiohttp session for talking to local servers."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def ha_url(hass: HomeAssistant) -> str:
    """Give Home Assistant an internal URL, so webhooks have an address."""
    await async_process_ha_core_config(hass, {"internal_url": INTERNAL_URL})
    return INTERNAL_URL


@pytest.fixture
def cloud(hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch) -> CloudStub:
    """Stand in for a loaded Home Assistant Cloud with an active subscription."""
    stub = CloudStub()
    stub.install(hass, monkeypatch)
    return stub


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant, simulator: GatewaySimulator, ha_url: str
) -> MockConfigEntry:
    """Return a loaded entry for the simulator's account, as the config flow makes it."""
    entry = make_entry(simulator.messages_url)
    await async_add_and_set_up(hass, entry)
    return entry


# Sending: an entry with saved recipients, pointing at the simulator.

ALICE: Final = "Alice"
ALICE_NUMBER: Final = "2065550101"
BOB: Final = "Bob"
BOB_NUMBER: Final = "2065550102"
STRANGER_NUMBER: Final = "2065550199"
"""A valid number that is not a saved recipient."""


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Return the options of `tatango_entry`; parametrize to change them."""
    return {}


@pytest.fixture
def saved_recipients() -> dict[str, str]:
    """Return name -> number of the recipients saved in `tatango_entry`; parametrize to change them."""
    return {ALICE: ALICE_NUMBER, BOB: BOB_NUMBER}


@pytest.fixture
def tatango_entry(
    simulator: GatewaySimulator,
    entry_options: dict[str, Any],
    saved_recipients: dict[str, str],
) -> MockConfigEntry:
    """Return an entry for the simulator's account with saved recipients (not yet added)."""
    return make_entry(
        simulator.messages_url, options=entry_options, recipients=saved_recipients
    )


@pytest.fixture
async def setup_entry(
    hass: HomeAssistant, tatango_entry: MockConfigEntry
) -> MockConfigEntry:
    """Add `tatango_entry`, set up the integration and wait for the legacy notify service."""
    tatango_entry.add_to_hass(hass)
    assert await async_setup_component(hass, DOMAIN, {})
    # The legacy notify service is loaded by discovery, in a task.
    await hass.async_block_till_done()
    assert tatango_entry.state is ConfigEntryState.LOADED
    return tatango_entry


@pytest.fixture
async def sms(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> Sms:
    """Return a function that texts Home Assistant, by default the test module's `entry` through `simulator`."""
    client = await hass_client_no_auth()

    async def send(
        sender: str,
        content: str,
        *,
        entry: MockConfigEntry = entry,
        gateway: GatewaySimulator = simulator,
        wait: bool = True,
    ) -> None:
        url = str(client.make_url(webhook_path(entry.data[CONF_WEBHOOK_ID])))
        assert await gateway.post_mo(sender, content, url=url) == 200
        if wait:
            await hass.async_block_till_done(wait_background_tasks=True)

    return send
