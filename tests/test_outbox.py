"""Scratch."""
from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.tatango_sms.const import DOMAIN, SERVICE_SEND_MESSAGE
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from tatango_simulator import GatewaySimulator

from .conftest import ALICE_NUMBER

pytestmark = pytest.mark.freeze_time(tick=True)


async def test_scratch(hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator, freezer: FrozenDateTimeFactory) -> None:
    simulator.opt_in(ALICE_NUMBER)
    simulator.set_queue_down(True)
    r = await hass.services.async_call(DOMAIN, SERVICE_SEND_MESSAGE, {"message": "Hi", "recipients": ["Alice"]}, blocking=True, return_response=True)
    print(r, hass.states.get("sensor.tatango_sms_queued_messages"))
    simulator.set_queue_down(False)
    freezer.tick(timedelta(seconds=60))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    print(simulator.delivered(ALICE_NUMBER), [ (r.status, r.timestamp) for r in simulator.requests])
    simulator.set_queue_down(True)
    r = await hass.services.async_call(DOMAIN, SERVICE_SEND_MESSAGE, {"message": "Hi2", "recipients": ["Alice"]}, blocking=True, return_response=True)
