"""The durable outbox: messages the gateway will take later, retried without duplicates.

Write-ahead: a message is marked in flight, and that is on disk, before it is
posted; what the gateway took is on disk as soon as it answers. A message
found in flight after a restart may or may not have reached the gateway, so it
is never posted again: it ends as `unknown`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
import random
from typing import Any
import uuid

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import ATTR_CONFIG_ENTRY_ID, DOMAIN, EVENT_FAILED, EVENT_SENT, LOGGER
from .tatango.outcome import Outcome

STORAGE_VERSION = 1
FIRST_RETRY_SECONDS = 30.0
MAX_RETRY_SECONDS = 15 * 60.0
JITTER = 0.2


def retry_delay(attempts: int) -> float:
    """Return the wait before the next try: 30 s doubling to 15 min, with ±20 % jitter."""
    base: float = min(
        FIRST_RETRY_SECONDS * 2.0 ** max(attempts - 1, 0), MAX_RETRY_SECONDS
    )
    return base * random.uniform(1 - JITTER, 1 + JITTER)


@dataclass(slots=True)
class QueuedMessage:
    """A message, or what is left of a split one, waiting for the gateway."""

    id: str
    number: str
    name: str | None
    parts: list[str]
    queued_at: float
    next_attempt: float
    attempts: int = 0
    in_flight: bool = False
    """Posted and not answered yet: the gateway may have its first part."""

    @classmethod
    def new(
        cls, number: str, name: str | None, parts: list[str], *, attempts: int
    ) -> QueuedMessage:
        """Return a message queued now, after `attempts` tries."""
        now = dt_util.utcnow().timestamp()
        return cls(
            id=uuid.uuid4().hex,
            number=number,
            name=name,
            parts=parts,
            queued_at=now,
            next_attempt=now + retry_delay(1),
            attempts=attempts,
        )

    @classmethod
    def from_stored(cls, item: Any) -> QueuedMessage:
        """Return a message read back from storage; raise TypeError or ValueError if it is none."""
        if not isinstance(item, dict):
            raise TypeError(f"a queued message is a {type(item).__name__}")
        message = cls(**item)
        numeric = (message.queued_at, message.next_attempt, message.attempts)
        if not (
            isinstance(message.id, str)
            and isinstance(message.number, str)
            and isinstance(message.name, str | None)
            and isinstance(message.parts, list)
            and message.parts
            and all(isinstance(part, str) for part in message.parts)
            and all(
                isinstance(value, int | float) and not isinstance(value, bool)
                for value in numeric
            )
            and isinstance(message.attempts, int)
            and isinstance(message.in_flight, bool)
        ):
            raise ValueError("a queued message has a field of the wrong type")
        return message

    def as_stored(self) -> dict[str, Any]:
        """Return the message as it is written to disk: a copy the loop can go on changing."""
        stored: dict[str, Any] = {
            "id": self.id,
            "number": self.number,
            "name": self.name,
            "parts": list(self.parts),
            "queued_at": self.queued_at,
            "next_attempt": self.next_attempt,
            "attempts": self.attempts,
        }
        # Only when true, so that what a clean stop leaves, version 0.1.0 reads.
        if self.in_flight:
            stored["in_flight"] = True
        return stored

    def queued_for(self, now: float) -> float:
        """Return how long the message has waited, in seconds."""
        return round(now - self.queued_at, 1)


def _read_messages(stored: Any) -> list[QueuedMessage]:
    """Return the messages of a stored outbox; raise TypeError or ValueError if it is none."""
    if not isinstance(stored, list):
        raise TypeError(f"the outbox is a {type(stored).__name__}")
    return [QueuedMessage.from_stored(item) for item in stored]


type DeliverCallback = Callable[[list[str]], Awaitable[None]]


class Outbox:
    """Queued messages of one account; every change that matters is on disk before it counts."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Initialize the outbox of one config entry."""
        self._hass = hass
        self._entry_id = entry_id
        # Atomic writes fsync the file: in flight means on disk, even after a
        # power cut.
        self._store: Store[list[dict[str, Any]]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.outbox", atomic_writes=True
        )
        self._messages: list[QueuedMessage] = []
        # Found in flight at load: reported when the outbox starts.
        self._interrupted: list[QueuedMessage] = []
        # Changes made, and how many of them are on disk: a write covers every
        # change made before it started, so concurrent writers share one.
        self._changes = 0
        self._written = 0
        self._write_lock = asyncio.Lock()
        self._cancel_timer: CALLBACK_TYPE | None = None
        self._deliver: DeliverCallback | None = None
        # Held while due messages are being delivered: one round at a time,
        # and stopping waits for the round under way.
        self._delivering = asyncio.Lock()
        # No round starts before this (a timestamp); kept in memory only, so
        # the next setup, with new credentials, starts at once.
        self._paused_until = 0.0

    def __len__(self) -> int:
        """Return the number of queued messages."""
        return len(self._messages)

    @property
    def messages(self) -> Sequence[QueuedMessage]:
        """Return the queued messages, oldest first (read only: the methods below change them)."""
        return tuple(self._messages)

    def has_number(self, number: str) -> bool:
        """Return whether messages to this number wait, so new ones must queue behind."""
        return any(message.number == number for message in self._messages)

    def queued_for_number(self, number: str) -> list[QueuedMessage]:
        """Return the messages waiting for one number, oldest first."""
        return [message for message in self._messages if message.number == number]

    @property
    def running(self) -> bool:
        """Return whether the outbox delivers: its entry is loaded and Home Assistant not stopping."""
        return self._deliver is not None and not self._hass.is_stopping

    async def async_load(self) -> None:
        """Load what was queued before a restart; start empty if the file is unreadable.

        Messages that were in flight when Home Assistant stopped are given up
        as `unknown` (the gateway may have them), reported once it starts.
        """
        try:
            self._messages = _read_messages(await self._store.async_load() or [])
        except (
            HomeAssistantError,
            KeyError,
            NotImplementedError,
            TypeError,
            ValueError,
        ) as err:
            # NotImplementedError: written by a newer version of the integration.
            LOGGER.warning(
                "The outbox could not be read and starts empty: %s",
                f"{type(err).__name__}: {err}",
            )
            self._messages = []
        if interrupted := [m for m in self._messages if m.in_flight]:
            self._messages = [m for m in self._messages if not m.in_flight]
            self._changes += 1
            await self.async_write()
        self._interrupted = interrupted

    async def async_remove(self) -> None:
        """Delete the stored outbox of a removed entry."""
        await self._store.async_remove()

    def enqueue(
        self, number: str, name: str | None, parts: list[str], *, attempts: int
    ) -> None:
        """Queue a message behind the others; `async_write` puts it on disk."""
        self._messages.append(QueuedMessage.new(number, name, parts, attempts=attempts))
        self._changes += 1

    async def async_begin(self, message: QueuedMessage) -> bool:
        """Mark a message in flight and count the attempt, on disk; return whether it may be posted now."""
        message.in_flight = True
        message.attempts += 1
        self._changes += 1
        await self.async_write()
        if not self._hass.is_stopping:
            return True
        # Home Assistant is stopping: its store may now write only at the
        # final write, so this attempt is not made (nor counted).
        message.in_flight = False
        message.attempts -= 1
        self._changes += 1
        return False

    async def async_part_taken(self, message: QueuedMessage) -> None:
        """Drop the first part of a message in flight, which the gateway took, on disk."""
        message.parts = message.parts[1:]
        self._changes += 1
        await self.async_write()

    async def async_retry_later(
        self, message: QueuedMessage, remaining: list[str]
    ) -> None:
        """Keep the parts the gateway did not take for a later try, on disk."""
        message.parts = remaining
        message.in_flight = False
        message.next_attempt = dt_util.utcnow().timestamp() + retry_delay(
            message.attempts
        )
        self._changes += 1
        await self.async_write()

    async def async_finish(self, message: QueuedMessage, outcome: Outcome) -> None:
        """Take a message out of the outbox, on disk, then tell automations how it ended."""
        self._messages.remove(message)
        self._changes += 1
        await self.async_write()
        self._fire_outcome(message, outcome)

    @callback
    def _fire_outcome(self, message: QueuedMessage, outcome: Outcome) -> None:
        """Fire the event that says how a message left the outbox."""
        self._hass.bus.async_fire(
            EVENT_SENT if outcome.delivered else EVENT_FAILED,
            {
                "recipient": message.number,
                "name": message.name,
                "outcome": outcome.value,
                "attempts": message.attempts,
                "queued_for": message.queued_for(dt_util.utcnow().timestamp()),
                ATTR_CONFIG_ENTRY_ID: self._entry_id,
            },
        )

    async def async_write(self) -> None:
        """Return once every change made so far is on disk (one write may cover many)."""
        wanted = self._changes
        async with self._write_lock:
            if self._written >= wanted:
                return
            changes = self._changes
            await self._store.async_save(
                [message.as_stored() for message in self._messages]
            )
            self._written = changes

    @callback
    def async_start(self, deliver: DeliverCallback) -> None:
        """Report the messages a restart interrupted; start retrying due messages through `deliver`."""
        for message in self._interrupted:
            self._fire_outcome(message, Outcome.UNKNOWN)
        self._interrupted = []
        self._deliver = deliver
        self.async_schedule()

    async def async_stop(self) -> None:
        """Stop retrying (the entry unloads); queued messages stay on disk.

        Waits for a delivery under way, which stops after the message it is
        sending and writes what happened to it, so the next setup reads what
        is left.
        """
        self._deliver = None
        if self._cancel_timer:
            self._cancel_timer()
            self._cancel_timer = None
        async with self._delivering:
            pass

    @callback
    def async_pause(self, seconds: float) -> None:
        """Start no delivery for seconds from now, whatever is due."""
        self._paused_until = dt_util.utcnow().timestamp() + seconds

    @callback
    def async_schedule(self, minimum_delay: float = 0.0) -> None:
        """Set the timer for the earliest due first message of a number.

        Only a number's first message is ever tried, so a later one due
        earlier must not wake the outbox before it.
        """
        if self._cancel_timer:
            self._cancel_timer()
            self._cancel_timer = None
        if not self.running or not self._messages:
            return
        now = dt_util.utcnow().timestamp()
        earliest = max(
            min(head.next_attempt for head in self._heads()), self._paused_until
        )
        self._cancel_timer = async_call_later(
            self._hass, max(earliest - now, minimum_delay, 0.0), self._async_due
        )

    def _heads(self) -> list[QueuedMessage]:
        """Return the first queued message of each number."""
        heads: dict[str, QueuedMessage] = {}
        for message in self._messages:
            heads.setdefault(message.number, message)
        return list(heads.values())

    async def _async_due(self, _now: Any) -> None:
        self._cancel_timer = None
        async with self._delivering:
            if self._deliver is None:
                return
            now = dt_util.utcnow().timestamp()
            if due := [
                head.number for head in self._heads() if head.next_attempt <= now
            ]:
                await self._deliver(due)
        self.async_schedule()
