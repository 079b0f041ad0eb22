"""The webhook the gateway posts incoming SMS (MO) to."""

from __future__ import annotations

from collections.abc import Coroutine
from http import HTTPStatus
from typing import Any

from aiohttp import ClientError, hdrs, web
from aiohttp.http_exceptions import HttpProcessingError

from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_CONTENT,
    ATTR_KEYWORD,
    ATTR_RECIPIENT,
    ATTR_SENDER,
    CONF_ACCEPT_UNKNOWN_SENDERS,
    DEFAULT_ACCEPT_UNKNOWN_SENDERS,
    DOMAIN,
    EVENT_RECEIVED,
    LOGGER,
    signal_received,
)
from .data import TatangoConfigEntry, WebhookStats
from .mo import MAX_BODY_BYTES, MOError, MOReason, keyword, parse_mo


class CloudhookUnavailable(Exception):
    """Home Assistant Cloud cannot provide the cloudhook now."""


# Home Assistant Cloud is imported only where it is loaded: importing it pulls in
# alexa, google_assistant and camera, whose requirements a minimal install lacks.


@callback
def async_cloud_active(hass: HomeAssistant) -> bool:
    """Return whether Home Assistant Cloud is loaded with an active subscription."""
    if "cloud" not in hass.config.components:
        return False
    from homeassistant.components import cloud  # noqa: PLC0415

    return cloud.async_active_subscription(hass)


async def async_webhook_url(
    hass: HomeAssistant, webhook_id: str, cloudhook: bool
) -> str:
    """Return the URL to paste into Tatango's provider control panel.

    Raises NoURLAvailableError when Home Assistant has no URL, and
    CloudhookUnavailable when the entry's cloudhook cannot be had.
    """
    if not cloudhook:
        return webhook.async_generate_url(hass, webhook_id)
    if "cloud" not in hass.config.components:
        raise CloudhookUnavailable
    # hass-nabucasa 0.94 (Home Assistant 2025.4) does not export it explicitly.
    from hass_nabucasa import CloudError  # type: ignore[attr-defined]  # noqa: PLC0415

    from homeassistant.components import cloud  # noqa: PLC0415

    try:
        return await cloud.async_get_or_create_cloudhook(hass, webhook_id)
    except (
        cloud.CloudNotAvailable,
        cloud.CloudNotConnected,
        # Raised by Home Assistant Cloud's client when its API fails.
        CloudError,
        ValueError,
        ClientError,
        TimeoutError,
    ) as err:
        raise CloudhookUnavailable from err


@callback
def async_register_webhook(hass: HomeAssistant, entry: TatangoConfigEntry) -> None:
    """Register the entry's webhook and unregister it when the entry unloads."""
    webhook_id: str = entry.data[CONF_WEBHOOK_ID]

    def handle(
        hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> Coroutine[Any, Any, web.Response]:
        # The handler's own coroutine, for Home Assistant to await: no second
        # one per post.
        return async_handle_incoming_sms(hass, entry, request)

    webhook.async_register(
        hass,
        DOMAIN,
        entry.title,
        webhook_id,
        handle,
        local_only=False,
        allowed_methods=[hdrs.METH_POST],
    )
    entry.async_on_unload(lambda: webhook.async_unregister(hass, webhook_id))


async def async_delete_cloudhook(hass: HomeAssistant, webhook_id: str) -> None:
    """Delete a webhook's cloudhook, if Home Assistant Cloud has one."""
    if "cloud" not in hass.config.components:
        return
    from homeassistant.components import cloud  # noqa: PLC0415

    try:
        await cloud.async_delete_cloudhook(hass, webhook_id)
    except cloud.CloudNotAvailable:
        LOGGER.debug("Home Assistant Cloud is not available to delete the cloudhook")
    except ValueError:
        # Already deleted, for example in Home Assistant Cloud's settings.
        LOGGER.debug("The cloudhook was already deleted")


def _declared_length(request: web.Request) -> int:
    try:
        return int(request.headers.get(hdrs.CONTENT_LENGTH, 0))
    except ValueError:
        return 0


async def _async_read_body(request: web.Request) -> bytes | None:
    """Return the posted body, or None as soon as it is over MAX_BODY_BYTES."""
    stream = request.content  # a new reader on each access for relayed requests
    chunks: list[bytes] = []
    size = 0
    while chunk := await stream.read(MAX_BODY_BYTES + 1 - size):
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
    return b"".join(chunks)


def _charset(request: web.Request) -> str | None:
    """Return the Content-Type's charset, parsing the header only when it has parameters."""
    # The gateway posts a bare "text/xml", and a charset is a parameter.
    if ";" not in request.headers.get(hdrs.CONTENT_TYPE, ""):
        return None
    return request.charset


def _decode(request: web.Request, raw: bytes) -> str | bytes | None:
    """Return the body as the parser should see it, or None if it cannot be read."""
    relayed = not hasattr(request, "read")  # by Home Assistant Cloud: always text
    if not (charset := "utf-8" if relayed else _charset(request)):
        # No charset in the Content-Type: the XML itself says how it is
        # encoded (BOM, encoding declaration, else UTF-8; RFC 7303).
        return raw
    try:
        return raw.decode(charset)
    except (UnicodeDecodeError, LookupError):
        # Not text in the Content-Type's charset: let the XML declaration
        # decide, as the gateway's own MO reader did.
        return None if relayed else raw


def _too_large(stats: WebhookStats) -> web.Response:
    stats.too_large += 1
    return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)


def _rejected(stats: WebhookStats) -> web.Response:
    stats.rejected += 1
    return web.Response(status=HTTPStatus.BAD_REQUEST)


async def async_handle_incoming_sms(
    hass: HomeAssistant, entry: TatangoConfigEntry, request: web.Request
) -> web.Response:
    """Fire an event for one incoming SMS, or refuse the post."""
    stats = entry.runtime_data.webhook_stats
    if _declared_length(request) > MAX_BODY_BYTES:
        return _too_large(stats)
    try:
        raw = await _async_read_body(request)
    except (
        ClientError,
        ConnectionError,
        HttpProcessingError,
        web.RequestPayloadError,
    ) as err:
        # The sender went away in the middle of the body, or sent a broken
        # chunked or compressed one.
        LOGGER.debug("Could not read an incoming SMS: %s", type(err).__name__)
        return _rejected(stats)
    if raw is None:
        return _too_large(stats)
    if (body := _decode(request, raw)) is None:
        return _rejected(stats)
    try:
        message = parse_mo(body)
    except MOError as err:
        if err.reason == MOReason.BODY_TOO_LARGE:
            return _too_large(stats)
        LOGGER.debug("Rejected an incoming SMS: %s", err.reason)
        return _rejected(stats)

    recipient = entry.runtime_data.sender.name_for(message.sender)
    if recipient is None and not entry.options.get(
        CONF_ACCEPT_UNKNOWN_SENDERS, DEFAULT_ACCEPT_UNKNOWN_SENDERS
    ):
        stats.unknown_senders_ignored += 1
        LOGGER.debug("Ignored an SMS from a sender that is not a saved recipient")
        return web.Response(status=HTTPStatus.OK)

    stats.received += 1
    data = {
        ATTR_SENDER: message.sender,
        ATTR_RECIPIENT: recipient,
        ATTR_CONTENT: message.content,
        ATTR_KEYWORD: keyword(message.content),
        ATTR_CONFIG_ENTRY_ID: entry.entry_id,
    }
    hass.bus.async_fire(EVENT_RECEIVED, data)
    async_dispatcher_send(hass, signal_received(entry.entry_id), data)
    return web.Response(status=HTTPStatus.OK)
