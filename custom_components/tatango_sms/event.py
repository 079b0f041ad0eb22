"""Event entity for incoming SMS."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import ATTR_CONFIG_ENTRY_ID, EVENT_TYPE_RECEIVED, signal_received
from .data import TatangoConfigEntry
from .entity import TatangoAccountEntity

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TatangoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the incoming SMS event entity."""
    async_add_entities([IncomingSmsEvent(entry)])


class IncomingSmsEvent(TatangoAccountEntity, EventEntity):
    """Fires each time an SMS arrives through the webhook."""

    _attr_event_types = [EVENT_TYPE_RECEIVED]

    def __init__(self, entry: TatangoConfigEntry) -> None:
        """Initialize the event entity."""
        super().__init__(entry, "incoming_sms")
        self._entry_id = entry.entry_id

    async def async_added_to_hass(self) -> None:
        """Listen for messages received by this entry."""
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_received(self._entry_id), self._async_received
            )
        )

    @callback
    def _async_received(self, data: dict[str, Any]) -> None:
        attributes = {k: v for k, v in data.items() if k != ATTR_CONFIG_ENTRY_ID}
        self._trigger_event(EVENT_TYPE_RECEIVED, attributes)
        self.async_write_ha_state()
