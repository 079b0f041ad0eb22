"""The one send path behind the action, the notify entities and the legacy notify service."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from functools import partial
import math

from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_RECONFIGURE, ConfigEntry
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonObjectType

from .const import (
    ATTR_CONFIG_ENTRY_ID,
    CONF_GSM7_FRIENDLY,
    CONF_LONG_MESSAGES,
    CONF_MAX_PARTS,
    CONF_MAX_QUEUE_AGE,
    DEFAULT_GSM7_FRIENDLY,
    DEFAULT_LONG_MESSAGES,
    DEFAULT_MAX_PARTS,
    DEFAULT_MAX_QUEUE_AGE,
    DOMAIN,
    EVENT_FAILED,
    LOGGER,
    LONG_MESSAGES_SEND,
    LONG_MESSAGES_TRUNCATE,
    MAX_CONCURRENT_SENDS,
    signal_outbox,
)
from .outbox import MAX_RETRY_SECONDS, Outbox, retry_delay
from .reply_guard import ReplyGuard
from .spend_guard import Reservation, SpendGuard, source_of
from .status_book import StatusBook
from .targets import Recipient
from .tatango.gateway import AuthenticationError, GatewayError, TatangoGateway
from .tatango.outcome import FAILURES_BY_SEVERITY, Outcome
from .tatango.phone import (
    SmsEncoding,
    gsm7_friendly,
    sms_encoding,
    sms_info,
    split_message,
    truncate_message,
    without_costly_trailing_whitespace,
)


@dataclass(frozen=True, slots=True)
class RecipientResult:
    """What happened to the message for one recipient."""

    recipient: Recipient
    outcome: Outcome
    sms_sent: int
    encoding: SmsEncoding | None = None
    """The message's encoding, set once its parts are known."""

    def as_response(self) -> JsonObjectType:
        """Return the action's response data for this recipient."""
        return {
            "recipient": self.recipient.number,
            "name": self.recipient.name,
            "outcome": self.outcome.value,
            "sms_sent": self.sms_sent,
            "encoding": None if self.encoding is None else self.encoding.value,
        }


@dataclass(slots=True)
class Attempt:
    """The result of posting a message's parts in order."""

    outcome: Outcome
    sms_sent: int = 0
    remaining: list[str] = field(default_factory=list)
    retryable: bool = False


def fold_title(message: str, title: str | None) -> str:
    """Put a notification's title in front of its message."""
    return f"{title}: {message}" if title else message


REFUSED = {Outcome.RATE_LIMITED, Outcome.TOO_LONG}
"""Outcomes of a message refused before it was posted."""
HELD_BACK = Reservation(0.0, 0, "")
"""Stands for a reply the reply-loop guard holds back, where a reservation goes."""


class SmsSender:
    """Validates, sends and reports messages for one gateway account."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        gateway: TatangoGateway,
        *,
        book: StatusBook,
        outbox: Outbox,
        guard: SpendGuard,
        replies: ReplyGuard,
    ) -> None:
        """Initialize the sender of one config entry."""
        self._hass = hass
        self._entry = entry
        self._gateway = gateway
        self._book = book
        self.outbox = outbox
        self._guard = guard
        self._replies = replies
        self._semaphore = asyncio.Semaphore(MAX_CONCURRENT_SENDS)
        # Set by a 401: queued messages wait for new credentials from then on.
        self._auth_refused = False
        # One message at a time per number keeps them in order, queued or not.
        self._number_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def message_parts(self, message: str, max_sms: int | None = None) -> list[str]:
        """Return the texts to post for one message under the GSM-7 and long-message options, in at most max_sms SMS."""
        if self._entry.options.get(CONF_GSM7_FRIENDLY, DEFAULT_GSM7_FRIENDLY):
            message = gsm7_friendly(message)
        if not message.strip():
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="empty_message"
            )
        policy = self._entry.options.get(CONF_LONG_MESSAGES, DEFAULT_LONG_MESSAGES)
        if policy == LONG_MESSAGES_SEND and (
            max_sms is None or sms_info(message).segments <= max_sms
        ):
            return [without_costly_trailing_whitespace(message)]
        if policy == LONG_MESSAGES_TRUNCATE:
            return [truncate_message(message)]
        return split_message(message)[:max_sms]

    async def async_send(
        self,
        message: str,
        recipients: list[Recipient],
        context: Context | None = None,
        *,
        max_sms: int | None = None,
    ) -> list[RecipientResult]:
        """Send to every recipient; raise naming each failed one if any failed.

        A message longer than max_sms SMS is cut to fit. Each recipient's SMS are counted against the hourly limit before any is
        posted; a recipient they would not fit is refused (`rate_limited`). A
        retryable failure queues the message in the outbox (outcome `queued`),
        persisted before this returns.
        """
        parts = self.message_parts(message, max_sms)
        segments = sum(sms_info(part).segments for part in parts)
        if segments > int(self._entry.options.get(CONF_MAX_PARTS, DEFAULT_MAX_PARTS)):
            raise SendFailed(
                [RecipientResult(r, Outcome.TOO_LONG, 0) for r in recipients]
            )
        source = source_of(self._hass, context)
        replied_to = self._replies.replied_to(context)
        held_back = {
            recipient
            for recipient in recipients
            if recipient.number == replied_to and not self._replies.allow(recipient)
        }
        reservations = {
            recipient: self._guard.try_reserve(segments, source)
            for recipient in recipients
            if recipient not in held_back
            and not self._book.is_blocked(recipient.number)
        }
        if any(reservation is None for reservation in reservations.values()):
            self._guard.async_report_refused()
        if any(reservations.values()):
            await self._guard.async_save()
        encoding = sms_encoding("".join(parts))
        results = [
            replace(result, encoding=encoding)
            for result in await asyncio.gather(
                *(
                    self._async_send_to(
                        recipient, parts, reservations.get(recipient, HELD_BACK)
                    )
                    for recipient in recipients
                )
            )
        ]
        if any(result.outcome is Outcome.QUEUED for result in results):
            await self._async_outbox_changed()
        if failed := [result for result in results if not result.outcome.ok]:
            raise SendFailed(failed, self._guard)
        return results

    async def async_send_reply(
        self, message: str, recipient: Recipient, context: Context | None = None
    ) -> None:
        """Send a message no action waits for, such as Assist's answer; fire tatango_sms_failed if it fails."""
        try:
            await self.async_send(message, [recipient], context)
        except SendFailed as err:
            outcome = err.failed[0].outcome
        else:
            return
        LOGGER.warning("A reply to %s was not sent: %s", recipient.log_name, outcome)
        self._hass.bus.async_fire(
            EVENT_FAILED,
            {
                "recipient": recipient.number,
                "name": recipient.name,
                "outcome": outcome.value,
                "attempts": 0 if outcome in REFUSED else 1,
                "queued_for": 0,
                ATTR_CONFIG_ENTRY_ID: self._entry.entry_id,
            },
        )

    async def _async_send_to(
        self, recipient: Recipient, parts: list[str], reservation: Reservation | None
    ) -> RecipientResult:
        """Send one message now, or queue it behind earlier ones or after a retryable failure.

        `reservation` counted its SMS against the limit; None: they did not fit;
        HELD_BACK: the reply-loop guard holds the reply back.
        """
        number = recipient.number
        if self._book.is_blocked(number):
            return RecipientResult(recipient, Outcome.BLOCKED, 0)
        if reservation is HELD_BACK:
            return RecipientResult(recipient, Outcome.REPLY_LIMITED, 0)
        if reservation is None:
            return RecipientResult(recipient, Outcome.RATE_LIMITED, 0)
        result = await self._async_send_or_queue(recipient, parts)
        self._guard.settle(reservation, result.sms_sent)
        return result

    async def _async_send_or_queue(
        self, recipient: Recipient, parts: list[str]
    ) -> RecipientResult:
        """Post a message, or queue it behind the number's earlier ones or after a retryable failure."""
        number = recipient.number
        async with self._number_locks[number]:
            if self.outbox.has_number(number):
                self.outbox.enqueue(number, recipient.name, parts, attempts=0)
                return RecipientResult(recipient, Outcome.QUEUED, 0)
            async with self._semaphore:
                attempt = await self._async_post_parts(number, parts)
            if attempt.retryable:
                self.outbox.enqueue(
                    number, recipient.name, attempt.remaining, attempts=1
                )
                return RecipientResult(recipient, Outcome.QUEUED, attempt.sms_sent)
        return RecipientResult(recipient, attempt.outcome, attempt.sms_sent)

    async def _async_post_parts(
        self,
        number: str,
        parts: list[str],
        part_taken: Callable[[], Awaitable[None]] | None = None,
    ) -> Attempt:
        """Post the parts in order; stop at the first failure or invitation.

        `part_taken` is awaited after each part the gateway took when more
        follow. The caller holds the semaphore that limits concurrent sends.
        """
        attempt = Attempt(Outcome.SENT)
        # What the last accepted part said about the opt-in, should a later part fail.
        accepted: Outcome | None = None
        for index, part in enumerate(parts):
            try:
                result = await self._gateway.send(number, part)
            except AuthenticationError as err:
                attempt.outcome = err.outcome
                self._auth_refused = True
                self._entry.async_start_reauth(self._hass)
            except GatewayError as err:
                attempt.outcome = err.outcome
                attempt.retryable = err.retryable
                attempt.remaining = parts[index:]
            else:
                attempt.outcome = accepted = result.outcome
                attempt.sms_sent += sms_info(part).segments
                if result.outcome is Outcome.SENT:
                    if part_taken is not None and index + 1 < len(parts):
                        await part_taken()
                    continue
            # After a failure, or an invitation (which holds only the first
            # part: the gateway answers 409 until the number opts in), stop.
            break
        await self._book.async_record(number, attempt.outcome, accepted)
        return attempt

    async def async_deliver_queued(self, numbers: list[str]) -> None:
        """Retry the queued messages of numbers whose first message is due."""
        if self._reauth_pending():
            # Paused until the new credentials reload the entry. Nothing was
            # sent, so nothing is saved: look again now and then.
            self.outbox.async_pause(MAX_RETRY_SECONDS)
            return
        self._auth_refused = False
        await asyncio.gather(*(self._async_deliver_number(n) for n in numbers))
        if self._auth_refused:
            self.outbox.async_pause(retry_delay(1))
        await self._async_outbox_changed()

    def _reauth_pending(self) -> bool:
        """Return whether new credentials are being asked for.

        After a 401 an open Reconfigure counts too: Home Assistant starts no
        reauthentication while one is open.
        """
        sources = (
            {SOURCE_REAUTH, SOURCE_RECONFIGURE}
            if self._auth_refused
            else {SOURCE_REAUTH}
        )
        return any(self._entry.async_get_active_flows(self._hass, sources))

    async def _async_deliver_number(self, number: str) -> None:
        """Send one number's queued messages in order until one must wait again.

        Each message is counted against the hourly limit, then marked in flight
        on disk, before it is posted (see Outbox).
        """
        max_age = 3600 * self._entry.options.get(
            CONF_MAX_QUEUE_AGE, DEFAULT_MAX_QUEUE_AGE
        )
        outbox = self.outbox
        async with self._number_locks[number]:
            for message in outbox.queued_for_number(number):
                if dt_util.utcnow().timestamp() - message.queued_at >= max_age:
                    await outbox.async_finish(message, Outcome.EXPIRED)
                    continue
                if self._book.is_blocked(number):
                    await outbox.async_finish(message, Outcome.BLOCKED)
                    continue
                segments = sum(sms_info(part).segments for part in message.parts)
                if (reservation := self._guard.try_reserve(segments, "-")) is None:
                    # Not failed: it waits until the hour has room again.
                    self._guard.async_report_refused()
                    outbox.async_pause(self._guard.seconds_until_room(segments))
                    break
                await self._guard.async_save()
                async with self._semaphore:
                    if (
                        self._auth_refused
                        or not outbox.running
                        or not await outbox.async_begin(message)
                    ):
                        # Another message met a 401, or the entry unloads, or
                        # Home Assistant stops: wait.
                        self._guard.settle(reservation, 0)
                        break
                    attempt = await self._async_post_parts(
                        number,
                        message.parts,
                        partial(outbox.async_part_taken, message),
                    )
                self._guard.settle(reservation, attempt.sms_sent)
                if not attempt.retryable:
                    await outbox.async_finish(message, attempt.outcome)
                    if attempt.outcome is Outcome.INVALID_AUTH:
                        break  # The rest wait for the reauthentication.
                    continue
                await outbox.async_retry_later(message, attempt.remaining)
                break

    async def _async_outbox_changed(self) -> None:
        """Write the outbox, set its timer and update its sensor."""
        await self.outbox.async_write()
        self.outbox.async_schedule()
        async_dispatcher_send(self._hass, signal_outbox(self._entry.entry_id))


class SendFailed(HomeAssistantError):
    """The message failed for at least one recipient; `failed` says how.

    Its message is the most serious outcome's translation; a refusal by the
    spend guard also names the limit and when it frees up.
    """

    def __init__(
        self, failed: list[RecipientResult], guard: SpendGuard | None = None
    ) -> None:
        """Initialize with the failed recipients' results."""
        worst = min(failed, key=lambda r: FAILURES_BY_SEVERITY.index(r.outcome)).outcome
        limit = {}
        if worst is Outcome.RATE_LIMITED and guard is not None:
            limit = {
                "limit": str(guard.limit),
                "minutes": str(math.ceil(guard.seconds_until_room(1) / 60)),
            }
        super().__init__(
            translation_domain=DOMAIN,
            translation_key=f"send_failed_{worst}",
            translation_placeholders={
                "recipients": ", ".join(
                    f"{result.recipient.label}: {result.outcome}" for result in failed
                ),
                **limit,
            },
        )
        self.failed = failed
