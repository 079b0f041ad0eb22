"""The webhook the gateway posts incoming SMS (MO) to."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from http import HTTPStatus
from typing import Any

from aiohttp import ClientError, StreamReader, hdrs, web
from aiohttp.http_exceptions import HttpProcessingError

from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_CONTENT,
    ATTR_KEYWORD,
    ATTR_RECIPIENT,
    ATTR_SENDER,
    CONF_ACCEPT_UNKNOWN_SENDERS,
    CONF_CLOUDHOOK,
    DEFAULT_ACCEPT_UNKNOWN_SENDERS,
    DOMAIN,
    EVENT_RECEIVED,
    LOGGER,
    signal_received,
)
from .conversations import NOT_ROUTED
from .data import TatangoConfigEntry, WebhookStats
from .tatango.mo import (
    MAX_BODY_BYTES,
    MAX_CONTENT_CHARACTERS,
    MOError,
    MOReason,
    keyword,
    parse_document,
    read_documented,
)

# A real MO is a few hundred bytes that arrive at once; a body still arriving
# after this long is being trickled in to hold the connection.
BODY_TIMEOUT = 5.0

# The text charsets HTTP clients send XML in, by IANA name and common alias.
# Any other name is refused, although Python may know it: some codecs decode
# escapes the poster chose (utf-7, unicode_escape, idna), others are no text
# at all (base64, undefined).
_CODECS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-16": "utf-16",
    "utf-16le": "utf-16-le",
    "utf-16be": "utf-16-be",
    "us-ascii": "ascii",
    "ascii": "ascii",
    "iso-8859-1": "latin-1",
    "iso8859-1": "latin-1",
    "latin1": "latin-1",
    "windows-1252": "cp1252",
    "cp1252": "cp1252",
}

# Every method Home Assistant routes to webhooks (PATCH and DELETE it answers
# 405 itself): for a method not registered it logs the webhook id at WARNING.
_METHODS = (hdrs.METH_GET, hdrs.METH_HEAD, hdrs.METH_POST, hdrs.METH_PUT)
WEBHOOK_PAGE = (
    "This is the Tatango SMS webhook of Home Assistant: "
    "the Tatango gateway POSTs incoming SMS here.\n"
)


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
        allowed_methods=_METHODS,
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


class FlowWebhook:
    """The webhook a config flow sets up, and the cloudhook it made until an entry owns it."""

    def __init__(self) -> None:
        """Initialize with no webhook yet."""
        self._webhook_id: str | None = None
        self.cloudhook = False
        self._cloudhook_made = False

    @property
    def webhook_id(self) -> str:
        """Return the flow's new webhook id: one per flow, so trying again reuses its cloudhook."""
        if self._webhook_id is None:
            self._webhook_id = webhook.async_generate_id()
        return self._webhook_id

    async def async_new_url(self, hass: HomeAssistant) -> str:
        """Return the URL of the flow's new webhook, a cloudhook with an active subscription.

        Raises what async_webhook_url raises.
        """
        self.cloudhook = async_cloud_active(hass)
        url = await async_webhook_url(hass, self.webhook_id, self.cloudhook)
        self._cloudhook_made |= self.cloudhook
        return url

    async def async_hand_over(
        self, hass: HomeAssistant, replaced: Mapping[str, Any] | None = None
    ) -> None:
        """Leave the new webhook to the entry that uses it now; delete the cloudhook it replaced."""
        self._cloudhook_made = False
        if replaced is not None and replaced[CONF_CLOUDHOOK]:
            await async_delete_cloudhook(hass, replaced[CONF_WEBHOOK_ID])

    @callback
    def async_discard(self, hass: HomeAssistant) -> None:
        """Delete the cloudhook the flow made, which no entry uses."""
        if self._cloudhook_made and self._webhook_id is not None:
            self._cloudhook_made = False
            hass.async_create_task(
                async_delete_cloudhook(hass, self._webhook_id), eager_start=True
            )


def _answer_not_posted(method: str) -> web.Response:
    """Tell a browser what this URL is; refuse other methods."""
    if method in (hdrs.METH_GET, hdrs.METH_HEAD):
        return web.Response(text=WEBHOOK_PAGE)
    return web.Response(
        status=HTTPStatus.METHOD_NOT_ALLOWED, headers={hdrs.ALLOW: "GET, HEAD, POST"}
    )


async def _async_read_body(request: web.Request) -> bytes | None:
    """Return the posted body, or None if it is declared or found over MAX_BODY_BYTES.

    Raises TimeoutError when the body takes over BODY_TIMEOUT to arrive.
    """
    # From the headers: requests Home Assistant Cloud relays have no content_length.
    declared = request.headers.get(hdrs.CONTENT_LENGTH, "")
    if declared.isdecimal() and int(declared) > MAX_BODY_BYTES:
        return None
    stream = request.content  # a new reader on each access for relayed requests
    if not hasattr(request, "read"):
        return await _async_read_capped(stream)  # relayed: complete
    if stream.is_eof():
        # Most posts: the whole body came with the headers.
        raw = stream.read_nowait(MAX_BODY_BYTES + 1)
        return raw if len(raw) <= MAX_BODY_BYTES else None
    async with asyncio.timeout(BODY_TIMEOUT):
        return await _async_read_capped(stream)


async def _async_read_capped(stream: StreamReader) -> bytes | None:
    """Read a body, or return None as soon as it is over MAX_BODY_BYTES."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await stream.read(MAX_BODY_BYTES + 1 - size):
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
    return b"".join(chunks)


def _decode(raw: bytes, charset: str | None) -> str | bytes | None:
    """Return the body in the Content-Type's charset as the parser should see it, or None if it cannot be read."""
    if not charset:
        # No charset in the Content-Type (newer aiohttp reads an empty one so
        # too): the XML itself says how it is encoded (BOM, encoding
        # declaration, else UTF-8; RFC 7303).
        return raw
    if (codec := _CODECS.get(charset.lower())) is None:
        LOGGER.debug("Refused an incoming SMS in the charset %.40r", charset)
        return None
    try:
        return raw.decode(codec)
    except UnicodeError:
        LOGGER.debug("Refused an incoming SMS that is not valid %s", codec)
        return None


_TOO_LARGE = frozenset({MOReason.BODY_TOO_LARGE, MOReason.CONTENT_TOO_LONG})


def _too_large(stats: WebhookStats) -> web.Response:
    LOGGER.debug(
        "Refused an incoming SMS over %s bytes or %s characters",
        MAX_BODY_BYTES,
        MAX_CONTENT_CHARACTERS,
    )
    stats.too_large += 1
    return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)


def _rejected(stats: WebhookStats) -> web.Response:
    stats.rejected += 1
    return web.Response(status=HTTPStatus.BAD_REQUEST)


def _timed_out(stats: WebhookStats) -> web.Response:
    LOGGER.debug("An incoming SMS took over %s s to arrive", BODY_TIMEOUT)
    stats.timed_out += 1
    return web.Response(status=HTTPStatus.REQUEST_TIMEOUT)


async def async_handle_incoming_sms(
    hass: HomeAssistant, entry: TatangoConfigEntry, request: web.Request
) -> web.Response:
    """Fire an event for one incoming SMS, or refuse the post."""
    if request.method != hdrs.METH_POST:
        return _answer_not_posted(request.method)
    stats = entry.runtime_data.webhook_stats
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
    except TimeoutError:
        return _timed_out(stats)
    if raw is None:
        return _too_large(stats)
    body: str | bytes = raw
    # Relayed by Home Assistant Cloud: text, passed on as UTF-8. The gateway
    # posts a bare "text/xml", so its XML says how it is encoded.
    relayed = not hasattr(request, "read")
    if relayed or ";" in request.headers.get(hdrs.CONTENT_TYPE, ""):
        if (decoded := _decode(raw, "utf-8" if relayed else request.charset)) is None:
            return _rejected(stats)
        body = decoded
    try:
        # parse_mo's two steps, called here: a call less per SMS.
        message = read_documented(body) or parse_document(body)
    except MOError as err:
        if err.reason in _TOO_LARGE:
            return _too_large(stats)
        LOGGER.debug("Rejected an incoming SMS: %s", err.reason)
        return _rejected(stats)

    recipient = entry.runtime_data.targets.names.get(message.sender)
    if recipient is None and not entry.options.get(
        CONF_ACCEPT_UNKNOWN_SENDERS, DEFAULT_ACCEPT_UNKNOWN_SENDERS
    ):
        stats.unknown_senders_ignored += 1
        LOGGER.debug("Ignored an SMS from a sender that is not a saved recipient")
        return web.Response(status=HTTPStatus.OK)

    stats.received += 1
    conversations = entry.runtime_data.conversations
    data = {
        ATTR_SENDER: message.sender,
        ATTR_RECIPIENT: recipient,
        ATTR_CONTENT: message.content,
        ATTR_KEYWORD: keyword(message.content),
        ATTR_CONFIG_ENTRY_ID: entry.entry_id,
        # Whether a waiting ask or Assist answers it; most SMS go to neither.
        **(
            conversations.async_route(message.sender, recipient, message.content)
            if conversations.agent_id or conversations.asks.waiting
            else NOT_ROUTED
        ),
    }
    context = Context()
    entry.runtime_data.replies.note_incoming(context, message.sender)
    hass.bus.async_fire(EVENT_RECEIVED, data, context=context)
    async_dispatcher_send(hass, signal_received(entry.entry_id), data)
    return web.Response(status=HTTPStatus.OK)
