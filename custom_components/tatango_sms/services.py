"""The tatango_sms.send_message and tatango_sms.ask actions."""

from __future__ import annotations

import voluptuous as vol

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv

from .ask import DEFAULT_TIMEOUT, check_ask
from .const import (
    ATTR_ANSWERS,
    ATTR_APPEND_ANSWERS,
    ATTR_CONFIG_ENTRY_ID,
    ATTR_MAX_SMS,
    ATTR_MESSAGE,
    ATTR_RECIPIENT,
    ATTR_RECIPIENTS,
    ATTR_TIMEOUT,
    DOMAIN,
    SERVICE_ASK,
    SERVICE_SEND_MESSAGE,
)
from .data import TatangoConfigEntry

SEND_MESSAGE_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_MESSAGE): cv.string,
        vol.Required(ATTR_RECIPIENTS): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_MAX_SMS): vol.All(vol.Coerce(int), vol.Range(min=1)),
    }
)
ASK_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_RECIPIENT): cv.string,
        vol.Required(ATTR_MESSAGE): cv.string,
        vol.Optional(ATTR_ANSWERS, default=list): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional(ATTR_APPEND_ANSWERS, default=True): cv.boolean,
        vol.Optional(ATTR_TIMEOUT, default=DEFAULT_TIMEOUT): cv.time_period,
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
    }
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_SEND_MESSAGE,
        _async_send_message,
        schema=SEND_MESSAGE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_ASK,
        _async_ask,
        schema=ASK_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )


def _loaded_entry(hass: HomeAssistant, entry_id: str | None) -> TatangoConfigEntry:
    """Return the entry the call names, or the only one when it names none."""
    if entry_id is None:
        entries = hass.config_entries.async_entries(DOMAIN)
        if len(entries) > 1:
            entries = [e for e in entries if e.state is ConfigEntryState.LOADED]
        if len(entries) != 1:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="config_entry_required"
            )
        entry: TatangoConfigEntry | None = entries[0]
    else:
        entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_entry",
            translation_placeholders={"config_entry_id": str(entry_id)},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    return entry


async def _async_send_message(call: ServiceCall) -> ServiceResponse:
    """Send an SMS to numbers and saved recipients."""
    entry = _loaded_entry(call.hass, call.data.get(ATTR_CONFIG_ENTRY_ID))
    recipients = entry.runtime_data.targets.resolve(call.data[ATTR_RECIPIENTS])
    results = await entry.runtime_data.sender.async_send(
        call.data[ATTR_MESSAGE],
        recipients,
        call.context,
        max_sms=call.data.get(ATTR_MAX_SMS),
    )
    return {"recipients": [result.as_response() for result in results]}


async def _async_ask(call: ServiceCall) -> ServiceResponse:
    """Send a question by SMS and wait for the reply."""
    answers = check_ask(
        call.data[ATTR_MESSAGE], call.data[ATTR_ANSWERS], call.data[ATTR_TIMEOUT]
    )
    entry = _loaded_entry(call.hass, call.data.get(ATTR_CONFIG_ENTRY_ID))
    recipients = entry.runtime_data.targets.resolve([call.data[ATTR_RECIPIENT]])
    return await entry.runtime_data.conversations.asks.async_ask(
        recipients[0],
        call.data[ATTR_MESSAGE],
        answers,
        append_answers=call.data[ATTR_APPEND_ANSWERS],
        timeout=call.data[ATTR_TIMEOUT],
        context=call.context,
    )
