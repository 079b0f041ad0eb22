"""The one send path behind the action, the notify entities and the legacy notify service."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial

from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_RECONFIGURE, ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.translation import async_get_exception_message
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonObjectType

from .blocked import BlockedNumbers
from .const import (
    CONF_LONG_MESSAGES,
    CONF_MAX_QUEUE_AGE,
    CONF_PHONE_NUMBER,
    DEFAULT_LONG_MESSAGES,
    DEFAULT_MAX_QUEUE_AGE,
    DOMAIN,
    LONG_MESSAGES_SEND,
    LONG_MESSAGES_TRUNCATE,
    MAX_CONCURRENT_SENDS,
    signal_outbox,
    signal_status,
)
from .data import recipient_subentries
from .gateway import (
    AuthenticationError,
    Delivery,
    GatewayError,
    InvitationPendingError,
    NumberBlockedError,
    TatangoGateway,
)
from .outbox import MAX_RETRY_SECONDS, UNKNOWN, Outbox, retry_delay
from .phone import (
    InvalidPhoneNumber,
    normalize_phone_number,
    sms_info,
    split_message,
    truncate_message,
)


class OptInStatus(StrEnum):
    """What the gateway last said about a number's opt-in."""

    UNKNOWN = "unknown"
    SUBSCRIBED = "subscribed"
    INVITED = "invited"
    INVITATION_PENDING = "invitation_pending"
    BLOCKED = "blocked"


BLOCKED = "blocked"
QUEUED = "queued"
EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Recipient:
    """A normalised number and, for a saved recipient, its name."""

    number: str
    name: str | None = None

    @property
    def label(self) -> str:
        """Return how errors name the recipient."""
        return f"{self.name} ({self.number})" if self.name else self.number


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to the message for one recipient."""

    recipient: Recipient
    outcome: str
    sms_sent: int

    @property
    def ok(self) -> bool:
        """Return whether the gateway took the message, or will be asked again later."""
        return self.outcome in (Delivery.SENT, Delivery.INVITED, QUEUED)

    def as_response(self) -> JsonObjectType:
        """Return the action's response data for this recipient."""
        return {
            "recipient": self.recipient.number,
            "name": self.recipient.name,
            "outcome": str(self.outcome),
            "sms_sent": self.sms_sent,
        }


_STATUS_BY_OUTCOME = {
    Delivery.SENT: OptInStatus.SUBSCRIBED,
    Delivery.INVITED: OptInStatus.INVITED,
    InvitationPendingError.reason: OptInStatus.INVITATION_PENDING,
    BLOCKED: OptInStatus.BLOCKED,
}


@dataclass(slots=True)
class Attempt:
    """The result of posting a message's parts in order."""

    outcome: str
    sms_sent: int = 0
    remaining: list[str] = field(default_factory=list)
    retryable: bool = False


def _reason_text(outcome: str) -> str:
    """Return why a recipient's message failed, from the translations (English, as every exception message)."""
    return async_get_exception_message(DOMAIN, f"reason_{outcome}")


def fold_title(message: str, title: str | None) -> str:
    """Put a notification's title in front of its message."""
    return f"{title}: {message}" if title else message


class SmsSender:
    """Validates, sends and reports messages for one gateway account."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        gateway: TatangoGateway,
        blocked: BlockedNumbers,
        outbox: Outbox,
    ) -> None:
        """Initialize the sender of one config entry."""
        self._hass = hass
        self._entry = entry
        self._gateway = gateway
        self._blocked = blocked
        self.outbox = outbox
        self._semaphore = asyncio.Semaphore(MAX_CONCURRENT_SENDS)
        # Set by a 401: queued messages wait for new credentials from then on.
        self._auth_refused = False
        # One message at a time per number keeps them in order, queued or not.
        self._number_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.statuses: dict[str, OptInStatus] = {}
        # The entry reloads when its recipients change, so these stay current.
        self.saved_recipients = [
            Recipient(subentry.data[CONF_PHONE_NUMBER], subentry.title)
            for subentry in recipient_subentries(entry)
        ]
        self._saved_by_number = {r.number: r for r in self.saved_recipients}
        self._saved_by_name = {
            r.name.casefold(): r for r in self.saved_recipients if r.name
        }

    def name_for(self, sender: str) -> str | None:
        """Return the saved recipient's name for an incoming sender, if any."""
        if (recipient := self._saved_by_number.get(sender)) is None:
            try:
                number = normalize_phone_number(sender)
            except InvalidPhoneNumber:
                return None
            recipient = self._saved_by_number.get(number)
        return recipient.name if recipient else None

    def status_of(self, number: str) -> OptInStatus:
        """Return the opt-in status last seen for a number."""
        if number in self._blocked:
            return OptInStatus.BLOCKED
        return self.statuses.get(number, OptInStatus.UNKNOWN)

    def resolve(self, targets: Iterable[str] | None) -> list[Recipient]:
        """Turn names and numbers into recipients; None means every saved recipient."""
        if targets is None:
            recipients = list(self.saved_recipients)
        else:
            # A dict keeps the first of duplicates in order without a linear
            # search per target (1,000 targets took 30 ms of the event loop).
            chosen: dict[Recipient, None] = {}
            for target in targets:
                if (
                    recipient := self._saved_by_name.get(target.strip().casefold())
                ) is None:
                    number = _normalize_target(target)
                    recipient = self._saved_by_number.get(number, Recipient(number))
                chosen.setdefault(recipient)
            recipients = list(chosen)
        if not recipients:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_recipients"
            )
        return recipients

    def message_parts(self, message: str) -> list[str]:
        """Return the texts to post for one message under the long-message option."""
        if not message.strip():
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="empty_message"
            )
        policy = self._entry.options.get(CONF_LONG_MESSAGES, DEFAULT_LONG_MESSAGES)
        if policy == LONG_MESSAGES_SEND:
            return [message]
        if policy == LONG_MESSAGES_TRUNCATE:
            return [truncate_message(message)]
        return split_message(message)

    async def async_send(
        self, message: str, recipients: list[Recipient]
    ) -> list[Outcome]:
        """Send to every recipient; raise naming each failed one if any failed.

        A retryable failure queues the message in the outbox (outcome `queued`),
        persisted before this returns.
        """
        parts = self.message_parts(message)
        outcomes = await asyncio.gather(
            *(self._async_send_to(recipient, parts) for recipient in recipients)
        )
        if any(outcome.outcome == QUEUED for outcome in outcomes):
            await self._async_outbox_changed()
        if failed := [outcome for outcome in outcomes if not outcome.ok]:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="send_failed",
                translation_placeholders={
                    "failures": "; ".join(
                        f"{o.recipient.label}: {_reason_text(o.outcome)}"
                        for o in failed
                    )
                },
            )
        return outcomes

    async def _async_send_to(self, recipient: Recipient, parts: list[str]) -> Outcome:
        """Send one message now, or queue it behind earlier ones or after a retryable failure."""
        number = recipient.number
        if number in self._blocked:
            return Outcome(recipient, BLOCKED, 0)
        async with self._number_locks[number]:
            if self.outbox.has_number(number):
                self.outbox.enqueue(number, recipient.name, parts, attempts=0)
                return Outcome(recipient, QUEUED, 0)
            async with self._semaphore:
                attempt = await self._async_post_parts(number, parts)
            if attempt.retryable:
                self.outbox.enqueue(
                    number, recipient.name, attempt.remaining, attempts=1
                )
                return Outcome(recipient, QUEUED, attempt.sms_sent)
        return Outcome(recipient, attempt.outcome, attempt.sms_sent)

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
        attempt = Attempt(Delivery.SENT)
        # What the last accepted part said about the opt-in, should a later part fail.
        accepted: str | None = None
        for index, part in enumerate(parts):
            try:
                result = await self._gateway.send(number, part)
            except NumberBlockedError:
                attempt.outcome = BLOCKED
                await self._blocked.async_block(number, self._entry.title)
            except AuthenticationError as err:
                attempt.outcome = err.reason
                self._auth_refused = True
                self._entry.async_start_reauth(self._hass)
            except GatewayError as err:
                attempt.outcome = UNKNOWN if err.maybe_taken else err.reason
                attempt.retryable = err.retryable
                attempt.remaining = parts[index:]
            else:
                attempt.outcome = accepted = result.delivery
                attempt.sms_sent += sms_info(part).segments
                if result.delivery is Delivery.SENT:
                    if part_taken is not None and index + 1 < len(parts):
                        await part_taken()
                    continue
            # After a failure, or an invitation (which holds only the first
            # part: the gateway answers 409 until the number opts in), stop.
            break
        outcome = attempt.outcome
        self._record_status(
            number, outcome if outcome in _STATUS_BY_OUTCOME else accepted
        )
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
        """Send one number's queued messages in order until one must wait again."""
        max_age = 3600 * self._entry.options.get(
            CONF_MAX_QUEUE_AGE, DEFAULT_MAX_QUEUE_AGE
        )
        outbox = self.outbox
        async with self._number_locks[number]:
            for message in outbox.queued_for_number(number):
                if dt_util.utcnow().timestamp() - message.queued_at >= max_age:
                    await outbox.async_finish(message, EXPIRED)
                    continue
                if number in self._blocked:
                    await outbox.async_finish(message, BLOCKED)
                    continue
                async with self._semaphore:
                    if (
                        self._auth_refused
                        or not outbox.running
                        or not await outbox.async_begin(message)
                    ):
                        # Another message met a 401, or the entry unloads, or
                        # Home Assistant stops: wait.
                        break
                    attempt = await self._async_post_parts(
                        number,
                        message.parts,
                        partial(outbox.async_part_taken, message),
                    )
                if not attempt.retryable:
                    await outbox.async_finish(message, attempt.outcome)
                    if attempt.outcome == AuthenticationError.reason:
                        break  # The rest wait for the reauthentication.
                    continue
                await outbox.async_retry_later(message, attempt.remaining)
                break

    async def _async_outbox_changed(self) -> None:
        """Write the outbox, set its timer and update its sensor."""
        await self.outbox.async_write()
        self.outbox.async_schedule()
        async_dispatcher_send(self._hass, signal_outbox(self._entry.entry_id))

    async def async_unblock(self, number: str) -> None:
        """Clear a block once the person opted back in."""
        await self._blocked.async_unblock(number)
        self.statuses.pop(number, None)
        async_dispatcher_send(self._hass, signal_status(self._entry.entry_id), number)

    def _record_status(self, number: str, outcome: str | None) -> None:
        if outcome is None or (status := _STATUS_BY_OUTCOME.get(outcome)) is None:
            return
        self.statuses[number] = status
        async_dispatcher_send(self._hass, signal_status(self._entry.entry_id), number)


def _normalize_target(target: str) -> str:
    """Normalise a target that is not a saved name, or explain why it is neither."""
    try:
        return normalize_phone_number(target)
    except InvalidPhoneNumber as err:
        if any(char.isalpha() for char in target):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_recipient",
                translation_placeholders={"recipient": target},
            ) from err
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_phone_number",
            translation_placeholders={"recipient": target},
        ) from err
