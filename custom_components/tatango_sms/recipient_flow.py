"""Saved recipients: config subentries of a Tatango SMS account."""

from __future__ import annotations

from typing import Any

import voluptuous as vol

from homeassistant.config_entries import (
    ConfigSubentry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .const import CONF_PERSON, CONF_PHONE_NUMBER
from .tatango.phone import InvalidPhoneNumber, normalize_phone_number

PHONE_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.TEL))
RECIPIENT_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_NAME): str,
        vol.Required(CONF_PHONE_NUMBER): PHONE_SELECTOR,
        # Assist answers this recipient's SMS as the person's user.
        vol.Optional(CONF_PERSON): EntitySelector(
            EntitySelectorConfig(domain="person")
        ),
    }
)


class RecipientSubentryFlow(ConfigSubentryFlow):
    """Add or change a saved recipient."""

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Add a recipient."""
        return await self._async_recipient_form("user", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a recipient's name or number."""
        return await self._async_recipient_form("reconfigure", user_input)

    async def _async_recipient_form(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        errors: dict[str, str] = {}
        current = self._get_reconfigure_subentry() if step_id == "reconfigure" else None
        if user_input is not None:
            name = user_input[CONF_NAME].strip()
            try:
                number = normalize_phone_number(user_input[CONF_PHONE_NUMBER])
            except InvalidPhoneNumber:
                errors[CONF_PHONE_NUMBER] = "invalid_phone_number"
            else:
                errors = self._duplicate_errors(name, number, current)
            if not errors:
                data = {CONF_NAME: name, CONF_PHONE_NUMBER: number}
                if person := user_input.get(CONF_PERSON):
                    data[CONF_PERSON] = person
                if current is None:
                    return self.async_create_entry(
                        title=name, data=data, unique_id=number
                    )
                return self.async_update_and_abort(
                    self._get_entry(),
                    current,
                    title=name,
                    data=data,
                    unique_id=number,
                )
        suggested = dict(current.data) if current else {}
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                RECIPIENT_SCHEMA, {**suggested, **(user_input or {})}
            ),
            errors=errors,
        )

    def _duplicate_errors(
        self, name: str, number: str, current: ConfigSubentry | None
    ) -> dict[str, str]:
        """Return errors when another recipient has this number or name."""
        for subentry in self._get_entry().subentries.values():
            if current is not None and subentry.subentry_id == current.subentry_id:
                continue
            if subentry.data.get(CONF_PHONE_NUMBER) == number:
                return {CONF_PHONE_NUMBER: "already_configured"}
            if subentry.title.casefold() == name.casefold():
                return {CONF_NAME: "name_taken"}
        return {}
