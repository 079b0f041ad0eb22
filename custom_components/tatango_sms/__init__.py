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
    CONF_MAX_SMS_PER_HOUR,
    DATA_HASS_CONFIG,
    DEFAULT_MAX_SMS_PER_HOUR,
    DOMAIN,
)
from .conversations import SmsConversations
from .data import TatangoConfigEntry, TatangoData
from .outbox import Outbox
from .reply_guard import ReplyGuard
from .sender import SmsSender
from .services import async_setup_services
from .spend_guard import SpendGuard
from .status_book import StatusBook
from .targets import Targets
from .tatango.gateway import TatangoGateway
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
    status_book = StatusBook(hass, entry.entry_id, entry.title)
    await status_book.async_load()
    outbox = Outbox(hass, entry.entry_id)
    await outbox.async_load()
    spend_guard = SpendGuard(
        hass,
        entry.entry_id,
        entry.title,
        # NumberSelector saves a float.
        int(entry.options.get(CONF_MAX_SMS_PER_HOUR, DEFAULT_MAX_SMS_PER_HOUR)),
    )
    await spend_guard.async_load()
    entry.async_on_unload(spend_guard.async_stop)
    replies = ReplyGuard()
    sender = SmsSender(
        hass,
        entry,
        gateway,
        book=status_book,
        outbox=outbox,
        guard=spend_guard,
        replies=replies,
    )
    conversations = SmsConversations(hass, entry, sender, replies)
    entry.runtime_data = TatangoData(
        gateway,
        Targets(entry),
        status_book,
        spend_guard,
        replies,
        sender,
        conversations,
    )
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
    await SpendGuard(hass, entry.entry_id, entry.title, 0).async_remove()
    if entry.data.get(CONF_CLOUDHOOK):
        await async_delete_cloudhook(hass, entry.data[CONF_WEBHOOK_ID])
