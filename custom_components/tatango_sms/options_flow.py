"""Options of a Tatango SMS account."""

from __future__ import annotations

from typing import Any

import voluptuous as vol

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import (
    ConversationAgentSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from .const import (
    ASSIST_SENDERS_ANYONE,
    ASSIST_SENDERS_RECIPIENTS,
    CONF_ACCEPT_UNKNOWN_SENDERS,
    CONF_ASSIST_AGENT_ID,
    CONF_ASSIST_SENDERS,
    CONF_GSM7_FRIENDLY,
    CONF_LONG_MESSAGES,
    CONF_MAX_PARTS,
    CONF_MAX_QUEUE_AGE,
    CONF_MAX_SMS_PER_HOUR,
    DEFAULT_ACCEPT_UNKNOWN_SENDERS,
    DEFAULT_ASSIST_SENDERS,
    DEFAULT_GSM7_FRIENDLY,
    DEFAULT_LONG_MESSAGES,
    DEFAULT_MAX_PARTS,
    DEFAULT_MAX_QUEUE_AGE,
    DEFAULT_MAX_SMS_PER_HOUR,
    LONG_MESSAGES_SEND,
    LONG_MESSAGES_SPLIT,
    LONG_MESSAGES_TRUNCATE,
)

OPTIONS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_LONG_MESSAGES, default=DEFAULT_LONG_MESSAGES): SelectSelector(
            SelectSelectorConfig(
                options=[
                    LONG_MESSAGES_SPLIT,
                    LONG_MESSAGES_TRUNCATE,
                    LONG_MESSAGES_SEND,
                ],
                mode=SelectSelectorMode.LIST,
                translation_key=CONF_LONG_MESSAGES,
            )
        ),
        vol.Required(CONF_GSM7_FRIENDLY, default=DEFAULT_GSM7_FRIENDLY): bool,
        vol.Required(CONF_MAX_QUEUE_AGE, default=DEFAULT_MAX_QUEUE_AGE): NumberSelector(
            NumberSelectorConfig(
                min=1,
                max=168,
                step=1,
                unit_of_measurement="h",
                mode=NumberSelectorMode.BOX,
            )
        ),
        vol.Required(
            CONF_ACCEPT_UNKNOWN_SENDERS, default=DEFAULT_ACCEPT_UNKNOWN_SENDERS
        ): bool,
        vol.Required(
            CONF_MAX_SMS_PER_HOUR, default=DEFAULT_MAX_SMS_PER_HOUR
        ): NumberSelector(
            NumberSelectorConfig(min=0, max=10000, step=1, mode=NumberSelectorMode.BOX)
        ),
        vol.Required(CONF_MAX_PARTS, default=DEFAULT_MAX_PARTS): NumberSelector(
            NumberSelectorConfig(min=1, max=50, step=1, mode=NumberSelectorMode.BOX)
        ),
        # No agent: Assist does not answer SMS.
        vol.Optional(CONF_ASSIST_AGENT_ID): ConversationAgentSelector(),
        vol.Required(
            CONF_ASSIST_SENDERS, default=DEFAULT_ASSIST_SENDERS
        ): SelectSelector(
            SelectSelectorConfig(
                options=[ASSIST_SENDERS_RECIPIENTS, ASSIST_SENDERS_ANYONE],
                mode=SelectSelectorMode.LIST,
                translation_key=CONF_ASSIST_SENDERS,
            )
        ),
    }
)


class TatangoOptionsFlow(OptionsFlow):
    """Long-message policy, who may send SMS to Home Assistant, and Assist over SMS."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and save the options."""
        if user_input is not None:
            return self.async_create_entry(data=user_input)
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                OPTIONS_SCHEMA, self.config_entry.options
            ),
        )
