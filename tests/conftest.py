"""Shared fixtures for the Tatango SMS tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

# Importing the integration at module level makes the test package put this
# repository's custom_components first (see home-assistant-notes.md).
from custom_components.tatango_sms.const import DOMAIN
from tatango_simulator import GatewaySimulator

from .const import TEST_KEY, TEST_PASSWORD

__all__ = ["DOMAIN"]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom integrations from this repository in every test."""


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[GatewaySimulator]:
    """Run a gateway simulator on 127.0.0.1 (a free port) for one test."""
    sim = GatewaySimulator(key=TEST_KEY, password=TEST_PASSWORD)
    await sim.start(host="127.0.0.1", port=0)
    try:
        yield sim
    finally:
        await sim.stop()


@pytest.fixture
async def http_session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """Return a plain aiohttp session for talking to local servers."""
    async with aiohttp.ClientSession() as session:
        yield session
