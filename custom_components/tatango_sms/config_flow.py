"""Config flow for Tatango SMS."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from hashlib import sha256
from typing import Any

import voluptuous as vol

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
)
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_WEBHOOK_ID
from homeassistant.core import DOMAIN as HOMEASSISTANT_DOMAIN, callback
from homeassistant.data_entry_flow import AbortFlow
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .const import (
    CONF_CLOUDHOOK,
    CONF_KEY,
    CONF_NEW_WEBHOOK_URL,
    CONF_TEST_RECIPIENT,
    DEFAULT_TITLE,
    DOMAIN,
    LOGGER,
    SUBENTRY_TYPE_RECIPIENT,
    TEST_MESSAGE,
)
from .options_flow import TatangoOptionsFlow
from .recipient_flow import PHONE_SELECTOR, RecipientSubentryFlow
from .tatango.gateway import (
    DEFAULT_URL,
    AuthenticationError,
    GatewayError,
    InvalidPhoneNumberError,
    InvitationPendingError,
    NumberBlockedError,
    TatangoGateway,
    is_gateway_url,
)
from .tatango.phone import InvalidPhoneNumber, normalize_phone_number
from .webhook import CloudhookUnavailable, FlowWebhook, async_webhook_url

PASSWORD_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))

CANNOT_CONNECT = {"base": "cannot_connect"}
TEST_SMS_ERRORS = {
    AuthenticationError.reason: {"base": "invalid_auth"},
    InvalidPhoneNumberError.reason: {CONF_TEST_RECIPIENT: "invalid_phone_number"},
    NumberBlockedError.reason: {CONF_TEST_RECIPIENT: "number_blocked"},
}
TEST_RECIPIENT_FIELD: dict[vol.Marker, Any] = {
    vol.Optional(CONF_TEST_RECIPIENT): PHONE_SELECTOR
}
CREDENTIALS_FIELDS: dict[vol.Marker, Any] = {
    vol.Required(CONF_KEY): str,
    vol.Required(CONF_PASSWORD): PASSWORD_SELECTOR,
}
CREDENTIALS_SCHEMA = vol.Schema({**CREDENTIALS_FIELDS, **TEST_RECIPIENT_FIELD})
USER_SCHEMA = vol.Schema(
    {
        **CREDENTIALS_FIELDS,
        vol.Required(CONF_URL, default=DEFAULT_URL): URL_SELECTOR,
        **TEST_RECIPIENT_FIELD,
    }
)
RECONFIGURE_SCHEMA = vol.Schema(
    {
        # Empty keeps the current key and password: secrets are not sent back.
        vol.Optional(CONF_KEY): str,
        vol.Optional(CONF_PASSWORD): PASSWORD_SELECTOR,
        vol.Required(CONF_URL): URL_SELECTOR,
        **TEST_RECIPIENT_FIELD,
        vol.Required(CONF_NEW_WEBHOOK_URL, default=False): bool,
    }
)


def key_unique_id(key: str) -> str:
    """Return the entry's unique id: a digest of the key, so the key itself is not stored twice."""
    return sha256(key.encode()).hexdigest()


class TatangoSmsConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a Tatango gateway account."""

    VERSION = 1

    def __init__(self) -> None:
        """Initialize the flow's webhook."""
        self._webhook = FlowWebhook()
        self._removed = False

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> TatangoOptionsFlow:
        """Return the options flow."""
        return TatangoOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Return the subentry types: saved recipients."""
        return {SUBENTRY_TYPE_RECIPIENT: RecipientSubentryFlow}

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the gateway key and password."""
        errors: dict[str, str] = {}
        if user_input is not None:
            key = user_input[CONF_KEY].strip()
            url = user_input.get(CONF_URL, DEFAULT_URL).strip()
            await self.async_set_unique_id(key_unique_id(key))
            self._abort_if_unique_id_configured()
            errors = {} if is_gateway_url(url) else {CONF_URL: "invalid_url"}
            if not errors:
                errors, webhook_url = await self._async_url(
                    self._webhook.async_new_url(self.hass)
                )
            if not errors:
                errors, delivery = await self._async_test_sms(
                    key, user_input[CONF_PASSWORD], url, user_input
                )
            if not errors:
                await self._webhook.async_hand_over(self.hass)
                return self.async_create_entry(
                    title=self._next_title(),
                    data={
                        CONF_KEY: key,
                        CONF_PASSWORD: user_input[CONF_PASSWORD],
                        CONF_URL: url,
                        CONF_WEBHOOK_ID: self._webhook.webhook_id,
                        CONF_CLOUDHOOK: self._webhook.cloudhook,
                    },
                    description=delivery,
                    description_placeholders={"webhook_url": webhook_url},
                )
        # Not the show_advanced_options property: deprecated in 2026.x (a warning
        # on every call, removal in 2027.6), when the UI stopped sending the flag.
        advanced = self.context.get("show_advanced_options", True)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                USER_SCHEMA if advanced else CREDENTIALS_SCHEMA, user_input
            ),
            errors=errors,
        )

    async def _async_url(self, url: Awaitable[str]) -> tuple[dict[str, str], str]:
        """Return the form errors and the webhook's URL ("-" when there is none)."""
        errors: dict[str, str] = {}
        try:
            webhook_url = await url
        except NoURLAvailableError:
            errors, webhook_url = {"base": "no_url_available"}, "-"
        except CloudhookUnavailable:
            errors, webhook_url = {"base": "cloud_not_connected"}, "-"
        self._abort_if_removed()
        return errors, webhook_url

    def _abort_if_removed(self) -> None:
        """Stop a step that was still waiting when its flow was closed."""
        if self._removed:
            self._webhook.async_discard(self.hass)
            raise AbortFlow("abandoned")

    @callback
    def async_remove(self) -> None:
        """Delete the flow's cloudhook unless an entry uses it."""
        self._removed = True
        self._webhook.async_discard(self.hass)

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start reauthentication after the gateway refused the credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the key and password again."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            key = user_input[CONF_KEY].strip()
            password = user_input[CONF_PASSWORD]
            errors = self._key_taken_errors(key, entry.entry_id)
            if not errors:
                errors, _ = await self._async_test_sms(
                    key, password, entry.data[CONF_URL], user_input
                )
            if not errors:
                data = {**entry.data, CONF_KEY: key, CONF_PASSWORD: password}
                if not self.hass.config_entries.async_update_entry(
                    entry, unique_id=key_unique_id(key), data=data
                ):
                    # The same credentials (the gateway's trouble has passed):
                    # the update listener does not reload, but the paused
                    # outbox must start again.
                    self.hass.config_entries.async_schedule_reload(entry.entry_id)
                return self.async_abort(reason="reauth_successful")
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(
                CREDENTIALS_SCHEMA, user_input
            ),
            description_placeholders={"title": entry.title},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the gateway URL, key or password, or get a new webhook URL."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            key = user_input.get(CONF_KEY, "").strip() or entry.data[CONF_KEY]
            password = user_input.get(CONF_PASSWORD) or entry.data[CONF_PASSWORD]
            url = user_input[CONF_URL].strip()
            errors = self._key_taken_errors(key, entry.entry_id)
            if not is_gateway_url(url):
                errors[CONF_URL] = "invalid_url"
            if not errors:
                errors, _ = await self._async_test_sms(key, password, url, user_input)
            data = {**entry.data, CONF_KEY: key, CONF_PASSWORD: password, CONF_URL: url}
            new_webhook = bool(user_input.get(CONF_NEW_WEBHOOK_URL))
            if not errors and new_webhook:
                # Keeping the webhook as it was needs no URL.
                errors, webhook_url = await self._async_url(
                    self._webhook.async_new_url(self.hass)
                )
                data[CONF_WEBHOOK_ID] = self._webhook.webhook_id
                data[CONF_CLOUDHOOK] = self._webhook.cloudhook
            elif not errors:
                _, webhook_url = await self._async_entry_url(entry)
            if not errors:
                replaced = entry.data if new_webhook else None
                changed = self.hass.config_entries.async_update_entry(
                    entry, unique_id=key_unique_id(key), data=data
                )
                if self._async_answer_reauth(entry) and not changed:
                    # The outbox waited for new credentials: start it again.
                    self.hass.config_entries.async_schedule_reload(entry.entry_id)
                # Only now: if the new URL failed, the old one keeps working.
                await self._webhook.async_hand_over(self.hass, replaced)
                return self.async_abort(
                    reason="reconfigure_successful",
                    description_placeholders={"webhook_url": webhook_url},
                )
        _, current_url = await self._async_entry_url(entry)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                RECONFIGURE_SCHEMA,
                {CONF_URL: entry.data[CONF_URL], **(user_input or {})},
            ),
            description_placeholders={"webhook_url": current_url},
            errors=errors,
        )

    async def _async_entry_url(self, entry: ConfigEntry) -> tuple[dict[str, str], str]:
        """Return the form errors and the URL of the entry's current webhook."""
        return await self._async_url(
            async_webhook_url(
                self.hass, entry.data[CONF_WEBHOOK_ID], entry.data[CONF_CLOUDHOOK]
            )
        )

    @callback
    def _async_answer_reauth(self, entry: ConfigEntry) -> bool:
        """Close the entry's pending reauthentication, which new settings answer.

        Returns whether there was one.
        """
        flows = entry.async_get_active_flows(self.hass, {SOURCE_REAUTH})
        for flow in flows:
            self.hass.config_entries.flow.async_abort(flow["flow_id"])
        if flows:
            # Home Assistant 2025.x deletes its repair issue only when the
            # reauthentication itself finishes.
            ir.async_delete_issue(
                self.hass,
                HOMEASSISTANT_DOMAIN,
                f"config_entry_reauth_{DOMAIN}_{entry.entry_id}",
            )
        return bool(flows)

    def _key_taken_errors(self, key: str, own_entry_id: str) -> dict[str, str]:
        """Return an error when another entry already uses this key."""
        unique_id = key_unique_id(key)
        for other in self._async_current_entries(include_ignore=False):
            if other.entry_id != own_entry_id and other.unique_id == unique_id:
                return {CONF_KEY: "already_configured"}
        return {}

    def _next_title(self) -> str:
        """Return "Tatango SMS", or "Tatango SMS 2" and so on beside existing entries."""
        titles = {entry.title for entry in self._async_current_entries()}
        title, number = DEFAULT_TITLE, 1
        while title in titles:
            number += 1
            title = f"{DEFAULT_TITLE} {number}"
        return title

    async def _async_test_sms(
        self, key: str, password: str, url: str, user_input: Mapping[str, Any]
    ) -> tuple[dict[str, str], str | None]:
        """Send the test SMS, when a test number was given.

        Returns the form errors and, on success, what happened to the test SMS
        (None when none was sent).
        """
        if not (raw_number := user_input.get(CONF_TEST_RECIPIENT, "").strip()):
            return {}, None
        try:
            number = normalize_phone_number(raw_number)
        except InvalidPhoneNumber:
            return {CONF_TEST_RECIPIENT: "invalid_phone_number"}, None
        gateway = TatangoGateway(async_get_clientsession(self.hass), key, password, url)
        try:
            result = await gateway.send(number, TEST_MESSAGE)
        except InvitationPendingError:
            # The gateway checked key and hash before it looked at the invitation.
            errors, delivery = {}, "invitation_pending"
        except GatewayError as err:
            LOGGER.debug("Test SMS failed: %s", err)
            errors, delivery = TEST_SMS_ERRORS.get(err.reason, CANNOT_CONNECT), None
        else:
            errors, delivery = {}, result.outcome.value
        self._abort_if_removed()
        return errors, delivery
