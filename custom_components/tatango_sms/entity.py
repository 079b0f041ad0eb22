"""Base entities for Tatango SMS."""

from __future__ import annotations

from homeassistant.config_entries import ConfigSubentry
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity

from .const import CONF_PHONE_NUMBER, DOMAIN
from .data import TatangoConfigEntry
from .targets import Recipient


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


class TatangoRecipientEntity(Entity):
    """An entity of a saved recipient's service device."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self, entry: TatangoConfigEntry, subentry: ConfigSubentry, key: str
    ) -> None:
        """Initialize the entity on the recipient's device."""
        self.recipient = Recipient(subentry.data[CONF_PHONE_NUMBER], subentry.title)
        self._attr_unique_id = f"{entry.entry_id}_{subentry.subentry_id}_{key}"
        self._attr_translation_key = key
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, f"{entry.entry_id}_{subentry.subentry_id}")},
            name=subentry.title,
            manufacturer="Tatango",
            model="SMS recipient",
            entry_type=DeviceEntryType.SERVICE,
        )
