"""Config flow for Tatango SMS."""

from __future__ import annotations

from collections.abc import Mapping
from hashlib import sha256
from typing import Any

import voluptuous as vol
from yarl import URL

from homeassistant.components import webhook
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME, CONF_PASSWORD, CONF_URL, CONF_WEBHOOK_ID
from homeassistant.core import DOMAIN as HOMEASSISTANT_DOMAIN, callback
from homeassistant.data_entry_flow import AbortFlow
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .const import (
    CONF_ACCEPT_UNKNOWN_SENDERS,
    CONF_CLOUDHOOK,
    CONF_GSM7_FRIENDLY,
    CONF_KEY,
    CONF_LONG_MESSAGES,
    CONF_MAX_QUEUE_AGE,
    CONF_NEW_WEBHOOK_URL,
    CONF_PHONE_NUMBER,
    CONF_TEST_RECIPIENT,
    DEFAULT_ACCEPT_UNKNOWN_SENDERS,
    DEFAULT_GSM7_FRIENDLY,
    DEFAULT_LONG_MESSAGES,
    DEFAULT_MAX_QUEUE_AGE,
    DEFAULT_TITLE,
    DOMAIN,
    LOGGER,
    LONG_MESSAGES_SEND,
    LONG_MESSAGES_SPLIT,
    LONG_MESSAGES_TRUNCATE,
    SUBENTRY_TYPE_RECIPIENT,
    TEST_MESSAGE,
)
from .gateway import (
    DEFAULT_URL,
    AuthenticationError,
    Delivery,
    GatewayError,
    InvalidPhoneNumberError,
    InvitationPendingError,
    NumberBlockedError,
    TatangoGateway,
)
from .phone import InvalidPhoneNumber, normalize_phone_number
from .webhook import (
    CloudhookUnavailable,
    async_cloud_active,
    async_delete_cloudhook,
    async_webhook_url,
)

PASSWORD_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
PHONE_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.TEL))


def is_gateway_url(url: str) -> bool:
    """Return whether a URL is one the gateway client can post to."""
    try:
        parsed = URL(url)
    except ValueError:
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)


def key_unique_id(key: str) -> str:
    """Return the entry's unique id: a digest of the key, so the key itself is not stored twice."""
    return sha256(key.encode()).hexdigest()


class TatangoSmsConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a Tatango gateway account."""

    VERSION = 1
    _webhook_id: str | None = None
    _cloudhook_created = False
    _removed = False

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
            # One webhook id for the whole flow: trying again reuses its cloudhook.
            if self._webhook_id is None:
                self._webhook_id = webhook.async_generate_id()
            cloudhook = async_cloud_active(self.hass)
            if is_gateway_url(url):
                errors, webhook_url = await self._async_webhook_url(
                    self._webhook_id, cloudhook, new=True
                )
            else:
                errors = {CONF_URL: "invalid_url"}
            if not errors:
                errors, delivery = await self._async_try_credentials(
                    key, user_input[CONF_PASSWORD], url, user_input
                )
            if not errors:
                self._abort_if_removed()
                # The entry owns the cloudhook now, if it uses it.
                self._cloudhook_created &= not cloudhook
                return self.async_create_entry(
                    title=self._next_title(),
                    data={
                        CONF_KEY: key,
                        CONF_PASSWORD: user_input[CONF_PASSWORD],
                        CONF_URL: url,
                        CONF_WEBHOOK_ID: self._webhook_id,
                        CONF_CLOUDHOOK: cloudhook,
                    },
                    description=delivery,
                    description_placeholders={"webhook_url": webhook_url},
                )

        schema: dict[vol.Marker, Any] = {
            vol.Required(CONF_KEY): str,
            vol.Required(CONF_PASSWORD): PASSWORD_SELECTOR,
        }
        # Not the show_advanced_options property: deprecated in 2026.x (a warning
        # on every call, removal in 2027.6), when the UI stopped sending the flag.
        if self.context.get("show_advanced_options", True):
            schema[vol.Required(CONF_URL, default=DEFAULT_URL)] = URL_SELECTOR
        schema[vol.Optional(CONF_TEST_RECIPIENT)] = PHONE_SELECTOR
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(schema), user_input
            ),
            errors=errors,
        )

    async def _async_webhook_url(
        self, webhook_id: str, cloudhook: bool, *, new: bool
    ) -> tuple[dict[str, str], str]:
        """Return the form errors and the webhook's URL ("-" when there is none).

        A new cloudhook made here is deleted if the flow ends without an entry
        that uses it.
        """
        errors: dict[str, str] = {}
        try:
            url = await async_webhook_url(self.hass, webhook_id, cloudhook)
        except NoURLAvailableError:
            errors, url = {"base": "no_url_available"}, "-"
        except CloudhookUnavailable:
            errors, url = {"base": "cloud_not_connected"}, "-"
        else:
            if new and cloudhook:
                self._webhook_id, self._cloudhook_created = webhook_id, True
        self._abort_if_removed()
        return errors, url

    def _abort_if_removed(self) -> None:
        """Stop a step that was still waiting when its flow was closed."""
        if self._removed:
            self._async_delete_unused_cloudhook()
            raise AbortFlow("abandoned")

    @callback
    def async_remove(self) -> None:
        """Delete the flow's cloudhook unless an entry uses it."""
        self._removed = True
        self._async_delete_unused_cloudhook()

    @callback
    def _async_delete_unused_cloudhook(self) -> None:
        if self._cloudhook_created and self._webhook_id is not None:
            self._cloudhook_created = False
            self.hass.async_create_task(
                async_delete_cloudhook(self.hass, self._webhook_id),
                eager_start=True,
            )

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
            errors = self._key_taken_errors(key, entry.entry_id)
            if not errors:
                errors, _ = await self._async_try_credentials(
                    key, user_input[CONF_PASSWORD], entry.data[CONF_URL], user_input
                )
                self._abort_if_removed()
            if not errors:
                if not self.hass.config_entries.async_update_entry(
                    entry,
                    unique_id=key_unique_id(key),
                    data={
                        **entry.data,
                        CONF_KEY: key,
                        CONF_PASSWORD: user_input[CONF_PASSWORD],
                    },
                ):
                    # The same credentials (the gateway's trouble has passed):
                    # the update listener does not reload, but the paused
                    # outbox must start again.
                    self.hass.config_entries.async_schedule_reload(entry.entry_id)
                return self.async_abort(reason="reauth_successful")

        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Required(CONF_KEY): str,
                        vol.Required(CONF_PASSWORD): PASSWORD_SELECTOR,
                        vol.Optional(CONF_TEST_RECIPIENT): PHONE_SELECTOR,
                    }
                ),
                user_input,
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
                errors, _ = await self._async_try_credentials(
                    key, password, url, user_input
                )
                self._abort_if_removed()
            if not errors:
                data = {
                    **entry.data,
                    CONF_KEY: key,
                    CONF_PASSWORD: password,
                    CONF_URL: url,
                }
                new_webhook = bool(user_input.get(CONF_NEW_WEBHOOK_URL))
                old_cloudhook = (
                    entry.data[CONF_CLOUDHOOK] and entry.data[CONF_WEBHOOK_ID]
                )
                if new_webhook:
                    data[CONF_WEBHOOK_ID] = webhook.async_generate_id()
                    data[CONF_CLOUDHOOK] = async_cloud_active(self.hass)
                errors, webhook_url = await self._async_webhook_url(
                    data[CONF_WEBHOOK_ID], data[CONF_CLOUDHOOK], new=new_webhook
                )
                if not new_webhook:
                    errors = {}  # keeping the webhook as it was needs no URL
                if not errors:
                    self._cloudhook_created = False  # the entry owns it now
                    changed = self.hass.config_entries.async_update_entry(
                        entry, unique_id=key_unique_id(key), data=data
                    )
                    if self._async_answer_reauth(entry) and not changed:
                        # The outbox waited for new credentials: start it again.
                        self.hass.config_entries.async_schedule_reload(entry.entry_id)
                    # Only now: if the new URL failed, the old one keeps working.
                    if new_webhook and old_cloudhook:
                        await async_delete_cloudhook(self.hass, old_cloudhook)
                    return self.async_abort(
                        reason="reconfigure_successful",
                        description_placeholders={"webhook_url": webhook_url},
                    )

        _, current_url = await self._async_webhook_url(
            entry.data[CONF_WEBHOOK_ID], entry.data[CONF_CLOUDHOOK], new=False
        )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Optional(CONF_KEY): str,
                        vol.Optional(CONF_PASSWORD): PASSWORD_SELECTOR,
                        vol.Required(CONF_URL): URL_SELECTOR,
                        vol.Optional(CONF_TEST_RECIPIENT): PHONE_SELECTOR,
                        vol.Required(CONF_NEW_WEBHOOK_URL, default=False): bool,
                    }
                ),
                {CONF_URL: entry.data[CONF_URL], **(user_input or {})},
            ),
            description_placeholders={"webhook_url": current_url},
            errors=errors,
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

    async def _async_try_credentials(
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
        except AuthenticationError:
            return {"base": "invalid_auth"}, None
        except InvalidPhoneNumberError:
            return {CONF_TEST_RECIPIENT: "invalid_phone_number"}, None
        except NumberBlockedError:
            return {CONF_TEST_RECIPIENT: "number_blocked"}, None
        except InvitationPendingError:
            # The gateway checked key and hash before it looked at the invitation.
            return {}, "invitation_pending"
        except GatewayError as err:
            LOGGER.debug("Test SMS failed: %s", err)
            return {"base": "cannot_connect"}, None
        return {}, "invited" if result.delivery is Delivery.INVITED else "sent"


class TatangoOptionsFlow(OptionsFlow):
    """What a message costs, how long it may wait, and who may send SMS to Home Assistant."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and save the options."""
        if user_input is not None:
            return self.async_create_entry(data=user_input)
        options = self.config_entry.options
        return self.async_show_form(
            step_id="init",
            data_schema=vol.Schema(
                {
                    vol.Required(
                        CONF_LONG_MESSAGES,
                        default=options.get(CONF_LONG_MESSAGES, DEFAULT_LONG_MESSAGES),
                    ): SelectSelector(
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
                    vol.Required(
                        CONF_GSM7_FRIENDLY,
                        default=options.get(CONF_GSM7_FRIENDLY, DEFAULT_GSM7_FRIENDLY),
                    ): bool,
                    vol.Required(
                        CONF_MAX_QUEUE_AGE,
                        default=options.get(CONF_MAX_QUEUE_AGE, DEFAULT_MAX_QUEUE_AGE),
                    ): NumberSelector(
                        NumberSelectorConfig(
                            min=1,
                            max=168,
                            step=1,
                            unit_of_measurement="h",
                            mode=NumberSelectorMode.BOX,
                        )
                    ),
                    vol.Required(
                        CONF_ACCEPT_UNKNOWN_SENDERS,
                        default=options.get(
                            CONF_ACCEPT_UNKNOWN_SENDERS, DEFAULT_ACCEPT_UNKNOWN_SENDERS
                        ),
                    ): bool,
                }
            ),
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
                vol.Schema(
                    {
                        vol.Required(CONF_NAME): str,
                        vol.Required(CONF_PHONE_NUMBER): PHONE_SELECTOR,
                    }
                ),
                {**suggested, **(user_input or {})},
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
