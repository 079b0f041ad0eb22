"""Base entity for Tatango SMS."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity

from .const import DOMAIN
from .data import TatangoConfigEntry


class TatangoAccountEntity(Entity):
    """An entity of the gateway account's service device."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: TatangoConfigEntry, key: str) -> None:
        """Initialize the entity on the account's device."""
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_translation_key = key
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer="Tatango",
            model="SMS Gateway",
            entry_type=DeviceEntryType.SERVICE,
        )
