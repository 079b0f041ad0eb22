"""Diagnostics for Tatango SMS."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant

from .const import CONF_KEY
from .data import TatangoConfigEntry

TO_REDACT = {CONF_KEY, CONF_PASSWORD, CONF_WEBHOOK_ID, "unique_id", "phone_number"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: TatangoConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry, with secrets and phone numbers redacted."""
    return {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT),
        "webhook": asdict(entry.runtime_data.webhook_stats),
    }
