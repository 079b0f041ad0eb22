"""The durable outbox: messages the gateway will take later, retried without duplicates."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
import random
from typing import Any
import uuid

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER

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
        ):
            raise ValueError("a queued message has a field of the wrong type")
        return message

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
    """Queued messages of one account, persisted at every change."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Initialize the outbox of one config entry."""
        self._hass = hass
        self._store: Store[list[dict[str, Any]]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.outbox"
        )
        self.messages: list[QueuedMessage] = []
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
        return len(self.messages)

    def has_number(self, number: str) -> bool:
        """Return whether messages to this number wait, so new ones must queue behind."""
        return any(message.number == number for message in self.messages)

    @property
    def running(self) -> bool:
        """Return whether the outbox delivers (its entry is loaded)."""
        return self._deliver is not None

    async def async_load(self) -> None:
        """Load what was queued before a restart; start empty if the file is unreadable."""
        try:
            self.messages = _read_messages(await self._store.async_load() or [])
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
            self.messages = []

    async def async_save(self) -> None:
        """Write the outbox to disk."""
        await self._store.async_save([asdict(message) for message in self.messages])

    async def async_remove(self) -> None:
        """Delete the stored outbox of a removed entry."""
        await self._store.async_remove()

    @callback
    def async_start(self, deliver: DeliverCallback) -> None:
        """Start retrying due messages through `deliver`."""
        self._deliver = deliver
        self.async_schedule()

    async def async_stop(self) -> None:
        """Stop retrying (the entry unloads); queued messages stay on disk.

        Waits for a delivery under way, which stops after the message it is
        sending and saves the outbox, so the next setup reads what is left.
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
        """Set the timer for the earliest due message."""
        if self._cancel_timer:
            self._cancel_timer()
            self._cancel_timer = None
        if self._deliver is None or not self.messages:
            return
        now = dt_util.utcnow().timestamp()
        earliest = max(
            min(message.next_attempt for message in self.messages), self._paused_until
        )
        self._cancel_timer = async_call_later(
            self._hass, max(earliest - now, minimum_delay, 0.0), self._async_due
        )

    def queued_for_number(self, number: str) -> list[QueuedMessage]:
        """Return the messages waiting for one number, oldest first."""
        return [message for message in self.messages if message.number == number]

    async def _async_due(self, _now: Any) -> None:
        self._cancel_timer = None
        async with self._delivering:
            if self._deliver is None:
                return
            now = dt_util.utcnow().timestamp()
            heads: dict[str, QueuedMessage] = {}
            for message in self.messages:
                heads.setdefault(message.number, message)
            if due := [
                head.number for head in heads.values() if head.next_attempt <= now
            ]:
                await self._deliver(due)
        self.async_schedule()
