"""The Tatango SMS integration."""

from __future__ import annotations

from homeassistant.const import CONF_PASSWORD, CONF_URL, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .const import CONF_KEY, DOMAIN
from .data import TatangoConfigEntry, TatangoData
from .gateway import TatangoGateway
from .webhook import async_delete_cloudhook, async_register_webhook

PLATFORMS: list[Platform] = [Platform.EVENT]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup_entry(hass: HomeAssistant, entry: TatangoConfigEntry) -> bool:
    """Set up Tatango SMS from a config entry."""
    gateway = TatangoGateway(
        async_get_clientsession(hass),
        entry.data[CONF_KEY],
        entry.data[CONF_PASSWORD],
        entry.data[CONF_URL],
    )
    entry.runtime_data = TatangoData(gateway)
    async_register_webhook(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_update_listener))
    return True


async def _async_update_listener(hass: HomeAssistant, entry: TatangoConfigEntry) -> None:
    """Reload the entry when its data, options or recipients change."""
    await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: TatangoConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: TatangoConfigEntry) -> None:
    """Delete the cloudhook of a removed entry."""
    await async_delete_cloudhook(hass, entry)
