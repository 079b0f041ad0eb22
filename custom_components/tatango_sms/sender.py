"""The one send path behind the action, the notify entities and the legacy notify service."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util.json import JsonObjectType

from .blocked import BlockedNumbers
from .const import (
    CONF_LONG_MESSAGES,
    CONF_PHONE_NUMBER,
    DEFAULT_LONG_MESSAGES,
    DOMAIN,
    LONG_MESSAGES_SEND,
    LONG_MESSAGES_TRUNCATE,
    MAX_CONCURRENT_SENDS,
    SUBENTRY_TYPE_RECIPIENT,
    signal_status,
)
from .gateway import (
    AuthenticationError,
    Delivery,
    GatewayError,
    InvitationPendingError,
    NumberBlockedError,
    TatangoGateway,
)
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
        """Return whether the gateway took the message."""
        return self.outcome in (Delivery.SENT, Delivery.INVITED)

    def as_response(self) -> JsonObjectType:
        """Return the action's response data for this recipient."""
        return {
            "recipient": self.recipient.number,
            "name": self.recipient.name,
            "outcome": str(self.outcome),
            "sms_sent": self.sms_sent,
        }


BLOCKED = "blocked"

_STATUS_BY_OUTCOME = {
    Delivery.SENT: OptInStatus.SUBSCRIBED,
    Delivery.INVITED: OptInStatus.INVITED,
    InvitationPendingError.reason: OptInStatus.INVITATION_PENDING,
    BLOCKED: OptInStatus.BLOCKED,
}

# Short English reasons inside the translated send_failed message.
_REASON_TEXT = {
    BLOCKED: "the number blocked messages from this account",
    "invalid_phone_number": "the gateway rejected the phone number",
    "invalid_auth": "the gateway refused the key or password",
    "invitation_pending": "the opt-in invitation is still pending, try again later",
    "queue_down": "the gateway's queue is down",
    "server_error": "the gateway failed",
    "unexpected_status": "the gateway gave an unexpected answer",
    "cannot_connect": "cannot connect to the gateway",
    "timeout": "the gateway did not answer in time",
}


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
    ) -> None:
        """Initialize the sender of one config entry."""
        self._hass = hass
        self._entry = entry
        self._gateway = gateway
        self._blocked = blocked
        self._semaphore = asyncio.Semaphore(MAX_CONCURRENT_SENDS)
        self.statuses: dict[str, OptInStatus] = {}
        # The entry reloads when its recipients change, so these stay current.
        self.saved_recipients = [
            Recipient(subentry.data[CONF_PHONE_NUMBER], subentry.title)
            for subentry in entry.subentries.values()
            if subentry.subentry_type == SUBENTRY_TYPE_RECIPIENT
        ]
        self._saved_by_number = {r.number: r for r in self.saved_recipients}
        self._saved_by_name = {
            r.name.casefold(): r for r in self.saved_recipients if r.name
        }

    def name_for(self, sender: str) -> str | None:
        """Return the saved recipient's name for an incoming sender, if any."""
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
            recipients = []
            for target in targets:
                if (
                    recipient := self._saved_by_name.get(target.strip().casefold())
                ) is None:
                    number = _normalize_target(target)
                    recipient = self._saved_by_number.get(number, Recipient(number))
                if recipient not in recipients:
                    recipients.append(recipient)
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
        """Send to every recipient; raise naming each failed one if any failed."""
        parts = self.message_parts(message)
        outcomes = await asyncio.gather(
            *(self._async_send_to(recipient, parts) for recipient in recipients)
        )
        if failed := [outcome for outcome in outcomes if not outcome.ok]:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="send_failed",
                translation_placeholders={
                    "failures": "; ".join(
                        f"{o.recipient.label}: {_REASON_TEXT.get(o.outcome, o.outcome)}"
                        for o in failed
                    )
                },
            )
        return outcomes

    async def _async_send_to(self, recipient: Recipient, parts: list[str]) -> Outcome:
        """Post the parts in order to one recipient; stop at the first failure."""
        if recipient.number in self._blocked:
            return Outcome(recipient, BLOCKED, 0)
        sms_sent = 0
        outcome: str = Delivery.SENT
        # What the last accepted part said about the opt-in, should a later part fail.
        accepted: str | None = None
        async with self._semaphore:
            for part in parts:
                try:
                    result = await self._gateway.send(recipient.number, part)
                except NumberBlockedError:
                    outcome = BLOCKED
                    await self._blocked.async_block(recipient.number, self._entry.title)
                except AuthenticationError as err:
                    outcome = err.reason
                    self._entry.async_start_reauth(self._hass)
                except GatewayError as err:
                    outcome = err.reason
                else:
                    outcome = accepted = result.delivery
                    sms_sent += sms_info(part).segments
                    if result.delivery is Delivery.SENT:
                        continue
                # After a failure, or an invitation (which holds only the first
                # part: the gateway answers 409 until the number opts in), stop.
                break
        self._record_status(
            recipient.number, outcome if outcome in _STATUS_BY_OUTCOME else accepted
        )
        return Outcome(recipient, outcome, sms_sent)

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
