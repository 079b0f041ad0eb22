"""Notify entities per saved recipient, and the legacy notify service per account."""

from __future__ import annotations

from typing import Any

from homeassistant.components.notify import NotifyEntity, NotifyEntityFeature
from homeassistant.components.notify.const import ATTR_TARGET, ATTR_TITLE
from homeassistant.components.notify.legacy import BaseNotificationService
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

from .const import ATTR_CONFIG_ENTRY_ID
from .data import TatangoConfigEntry, TatangoData, recipient_subentries
from .entity import TatangoRecipientEntity
from .sender import fold_title

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TatangoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up one notify entity per saved recipient."""
    for subentry in recipient_subentries(entry):
        async_add_entities(
            [RecipientNotifyEntity(entry, subentry)],
            config_subentry_id=subentry.subentry_id,
        )


class RecipientNotifyEntity(TatangoRecipientEntity, NotifyEntity):
    """Sends an SMS to one saved recipient."""

    _attr_name = None
    _attr_supported_features = NotifyEntityFeature.TITLE

    def __init__(self, entry: TatangoConfigEntry, subentry: ConfigSubentry) -> None:
        """Initialize the notify entity."""
        super().__init__(entry, subentry, "recipient")
        self._sender = entry.runtime_data.sender

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Send the message, with its title in front, to this recipient."""
        await self._sender.async_send(
            fold_title(message, title), [self.recipient], self._context
        )


async def async_get_service(
    hass: HomeAssistant,
    config: ConfigType,
    discovery_info: DiscoveryInfoType | None = None,
) -> TatangoLegacyNotifyService | None:
    """Return the legacy notify service of the entry that asked for it."""
    if discovery_info is None:
        return None
    entry: TatangoConfigEntry | None = hass.config_entries.async_get_entry(
        discovery_info[ATTR_CONFIG_ENTRY_ID]
    )
    if entry is None or not hasattr(entry, "runtime_data"):
        return None
    service = TatangoLegacyNotifyService(entry.runtime_data)
    entry.runtime_data.legacy_notify = service
    return service


class TatangoLegacyNotifyService(BaseNotificationService):
    """notify.<entry title>, for alert: and YAML notify groups."""

    def __init__(self, data: TatangoData) -> None:
        """Initialize with the entry's targets and sender."""
        self._targets = data.targets
        self._sender = data.sender

    async def async_send_message(self, message: str = "", **kwargs: Any) -> None:
        """Send to the targets (names or numbers), or to every saved recipient."""
        targets = kwargs.get(ATTR_TARGET)
        message = fold_title(message, kwargs.get(ATTR_TITLE))
        await self._sender.async_send(message, self._targets.resolve(targets))
