"""The Tatango SMS integration."""

from __future__ import annotations

from contextlib import suppress

from homeassistant.components.notify.legacy import NOTIFY_SERVICES
from homeassistant.const import (
    CONF_NAME,
    CONF_PASSWORD,
    CONF_URL,
    CONF_WEBHOOK_ID,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, discovery
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .blocked import BlockedNumbers
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_CLOUDHOOK,
    CONF_KEY,
    DATA_HASS_CONFIG,
    DOMAIN,
)
from .conversations import SmsConversations
from .data import TatangoConfigEntry, TatangoData
from .gateway import TatangoGateway
from .outbox import Outbox
from .sender import SmsSender
from .services import async_setup_services
from .webhook import async_delete_cloudhook, async_register_webhook

PLATFORMS: list[Platform] = [Platform.EVENT, Platform.NOTIFY, Platform.SENSOR]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions, and keep the configuration for the legacy notify service."""
    hass.data[DATA_HASS_CONFIG] = config
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: TatangoConfigEntry) -> bool:
    """Set up Tatango SMS from a config entry."""
    gateway = TatangoGateway(
        async_get_clientsession(hass),
        entry.data[CONF_KEY],
        entry.data[CONF_PASSWORD],
        entry.data[CONF_URL],
    )
    blocked = BlockedNumbers(hass, entry.entry_id)
    await blocked.async_load(entry.title)
    outbox = Outbox(hass, entry.entry_id)
    await outbox.async_load()
    sender = SmsSender(hass, entry, gateway, blocked, outbox)
    conversations = SmsConversations(hass, entry, sender)
    entry.runtime_data = TatangoData(gateway, blocked, sender, conversations)
    entry.async_on_unload(conversations.asks.async_end_all)
    async_register_webhook(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # alert: and YAML notify groups can only call legacy notify services.
    entry.async_create_task(
        hass,
        discovery.async_load_platform(
            hass,
            Platform.NOTIFY,
            DOMAIN,
            {CONF_NAME: entry.title, ATTR_CONFIG_ENTRY_ID: entry.entry_id},
            hass.data[DATA_HASS_CONFIG],
        ),
    )
    outbox.async_start(sender.async_deliver_queued)
    entry.async_on_unload(outbox.async_stop)
    entry.async_on_unload(entry.add_update_listener(_async_update_listener))
    return True


async def _async_update_listener(
    hass: HomeAssistant, entry: TatangoConfigEntry
) -> None:
    """Reload the entry when its data, options or recipients change."""
    await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: TatangoConfigEntry) -> bool:
    """Unload a config entry."""
    if (service := entry.runtime_data.legacy_notify) is not None:
        await service.async_unregister_services()
        # Home Assistant keeps every legacy service it set up until its own
        # reload; this one's entry is gone, so let it (and its sender) go.
        with suppress(KeyError, ValueError):
            hass.data[NOTIFY_SERVICES][DOMAIN].remove(service)
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: TatangoConfigEntry) -> None:
    """Delete the saved blocks, outbox and cloudhook of a removed entry."""
    await BlockedNumbers(hass, entry.entry_id).async_remove()
    await Outbox(hass, entry.entry_id).async_remove()
    if entry.data.get(CONF_CLOUDHOOK):
        await async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
