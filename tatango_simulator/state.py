"""The simulated gateway's state: accounts, phones, recorded requests and faults.

Everything here is synchronous and free of I/O so it can be driven from the
HTTP server, from tests, or from a REPL alike. All of it runs on one event
loop; nothing is thread-safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from hashlib import md5
import hmac
import re
from typing import Any, Final

_NUMBER_RE: Final = re.compile(r"[2-9][0-9]{2}[2-9][0-9]{6}")


def gateway_hash(password: str, message: str) -> str:
    """Return lower-case hex MD5 of the UTF-8 bytes of password followed by message."""
    return md5((password + message).encode("utf-8"), usedforsecurity=False).hexdigest()


def is_valid_number(number: str) -> bool:
    """Return whether number is a bare 10-digit North American number.

    Area code (first digit) and exchange code (fourth digit) must be 2-9;
    no ``+1``, country code, spaces or punctuation are accepted because the
    integration normalises numbers before sending.
    """
    return _NUMBER_RE.fullmatch(number) is not None


def _now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


class NumberStatus(StrEnum):
    """Where a phone number stands with the gateway."""

    UNKNOWN = "unknown"
    """Never messaged: the next send invites it (202)."""
    INVITED = "invited"
    """Invited to opt in; one message is held and further sends get 409."""
    OPTED_IN = "opted_in"
    """Opted in: sends are delivered (200)."""
    BLOCKED = "blocked"
    """The phone blocked the gateway: sends get 403."""


class Direction(StrEnum):
    """Which way a message in a conversation went."""

    MT = "mt"
    """From the gateway to the phone (delivered send)."""
    MO = "mo"
    """From the phone to the gateway's MO URL."""


@dataclass(frozen=True, slots=True)
class ConversationEntry:
    """One message between the gateway and a phone."""

    direction: Direction
    text: str
    timestamp: datetime
    webhook_status: int | None = None
    """For an MO: the status the webhook answered (None if it was never reached)."""

    def as_json(self) -> dict[str, Any]:
        """Return a JSON-serialisable representation."""
        return {
            "direction": str(self.direction),
            "text": self.text,
            "timestamp": self.timestamp.isoformat(),
            "webhook_status": self.webhook_status,
        }


@dataclass(slots=True)
class Phone:
    """The simulated phone behind one number."""

    status: NumberStatus = NumberStatus.UNKNOWN
    held: str | None = None
    """The message held while an invitation is pending."""
    conversation: list[ConversationEntry] = field(default_factory=list)

    def deliver(self, text: str) -> None:
        """Put a message on the phone."""
        self.conversation.append(ConversationEntry(Direction.MT, text, _now()))

    def as_json(self) -> dict[str, Any]:
        """Return a JSON-serialisable representation."""
        return {
            "status": str(self.status),
            "held": self.held,
            "conversation": [entry.as_json() for entry in self.conversation],
        }


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One ``POST /messages`` as the simulator received and answered it."""

    fields: tuple[tuple[str, str], ...]
    """Every form field received, in order, duplicates included."""
    status: int | None
    """The status answered, or None when the connection was dropped unanswered."""
    timestamp: datetime

    def get(self, name: str) -> str | None:
        """Return the first value of a form field, or None if it was not sent."""
        return next((value for key, value in self.fields if key == name), None)

    @property
    def form(self) -> dict[str, str]:
        """Return the form as a dict (first value of each field)."""
        form: dict[str, str] = {}
        for key, value in self.fields:
            form.setdefault(key, value)
        return form

    @property
    def key(self) -> str | None:
        """Return the ``key`` field."""
        return self.get("key")

    @property
    def recipient(self) -> str | None:
        """Return the ``recipient`` field."""
        return self.get("recipient")

    @property
    def message(self) -> str | None:
        """Return the ``message`` field."""
        return self.get("message")

    @property
    def hash(self) -> str | None:
        """Return the ``hash`` field."""
        return self.get("hash")

    @property
    def dropped(self) -> bool:
        """Return whether the connection was dropped instead of answered."""
        return self.status is None

    def as_json(self) -> dict[str, Any]:
        """Return a JSON-serialisable representation."""
        return {
            "fields": [list(pair) for pair in self.fields],
            "key": self.key,
            "recipient": self.recipient,
            "message": self.message,
            "hash": self.hash,
            "status": self.status,
            "timestamp": self.timestamp.isoformat(),
        }


@dataclass(slots=True)
class _Forced:
    """A status to answer for a number of requests."""

    status: int
    remaining: int


class GatewayState:
    """The simulated gateway: credentials, phones, history and injected faults.

    How ``POST /messages`` is answered, first rule that applies wins:

    1. a pending connection drop (``drop_connections``): no answer at all;
    2. queue down (``set_queue_down``): 503;
    3. a status forced for the recipient, then one forced globally
       (``force_status``): that status, bypassing everything below — nothing is
       delivered, held or changed;
    4. ``key`` or ``hash`` missing, or ``key`` wrong: 401;
    5. ``message`` missing: 400 (an empty message is fine);
    6. ``hash`` not the lower-case hex MD5 of password + message: 401;
    7. ``recipient`` missing or not a bare valid 10-digit number: 400;
    8. by the number's status: blocked 403; invited 409 (not delivered, not
       held); opted in 200 (delivered); unknown 202 (the number becomes
       invited and the message is held until ``opt_in``).
    """

    def __init__(self, key: str, password: str) -> None:
        """Initialize with the account's gateway key and password."""
        self.key = key
        self.password = password
        self.phones: dict[str, Phone] = {}
        self.requests: list[RecordedRequest] = []
        self.latency = 0.0
        self.queue_down = False
        self.drops_pending = 0
        self._forced: _Forced | None = None
        self._forced_by_number: dict[str, _Forced] = {}

    # Faults

    def force_status(
        self, status: int, count: int = 1, number: str | None = None
    ) -> None:
        """Answer status to the next count requests (to number, if given).

        The status must be 200-599 (an informational status is not an
        answer). A later call for the same scope replaces the earlier one;
        count 0 cancels it.
        """
        if not 200 <= status <= 599:
            raise ValueError(f"status must be from 200 to 599, not {status}")
        if count < 0:
            raise ValueError("count must not be negative")
        forced = _Forced(status, count) if count else None
        if number is None:
            self._forced = forced
        elif forced is None:
            self._forced_by_number.pop(number, None)
        else:
            self._forced_by_number[number] = forced

    def forced(self) -> dict[str, Any]:
        """Return the pending forced statuses as JSON-serialisable data."""
        return {
            "global": (
                {"status": self._forced.status, "remaining": self._forced.remaining}
                if self._forced
                else None
            ),
            "numbers": {
                number: {"status": forced.status, "remaining": forced.remaining}
                for number, forced in self._forced_by_number.items()
            },
        }

    def set_latency(self, seconds: float) -> None:
        """Delay every answer to ``POST /messages`` by seconds."""
        if seconds < 0:
            raise ValueError("latency must not be negative")
        self.latency = float(seconds)

    def drop_connections(self, count: int) -> None:
        """Close the connection of the next count sends without answering."""
        if count < 0:
            raise ValueError("count must not be negative")
        self.drops_pending = count

    def reset(self) -> None:
        """Forget phones, history and faults; keep the credentials."""
        self.phones.clear()
        self.requests.clear()
        self.latency = 0.0
        self.queue_down = False
        self.drops_pending = 0
        self._forced = None
        self._forced_by_number.clear()

    # Phones

    def phone(self, number: str) -> Phone:
        """Return the phone behind number, creating an unknown one."""
        return self.phones.setdefault(number, Phone())

    def status_of(self, number: str) -> NumberStatus:
        """Return the number's opt-in status."""
        phone = self.phones.get(number)
        return phone.status if phone else NumberStatus.UNKNOWN

    def delivered(self, number: str) -> list[str]:
        """Return the texts delivered to number, oldest first."""
        phone = self.phones.get(number)
        if phone is None:
            return []
        return [e.text for e in phone.conversation if e.direction is Direction.MT]

    def opt_in(self, number: str) -> None:
        """Have the phone opt in: deliver its held message; later sends get 200.

        Works from any status, including blocked (the phone unblocked us).
        """
        phone = self.phone(number)
        phone.status = NumberStatus.OPTED_IN
        if phone.held is not None:
            phone.deliver(phone.held)
            phone.held = None

    def block(self, number: str) -> None:
        """Have the phone block the gateway: discard any held message; sends get 403."""
        phone = self.phone(number)
        phone.status = NumberStatus.BLOCKED
        phone.held = None

    def record_mo(self, sender: str, content: str, webhook_status: int | None) -> None:
        """Add an MO to the sender's conversation."""
        self.phone(sender).conversation.append(
            ConversationEntry(Direction.MO, content, _now(), webhook_status)
        )

    # Sends

    def handle_send(self, pairs: Iterable[tuple[str, str]]) -> int | None:
        """Answer one ``POST /messages`` and record it.

        Return the status to answer, or None to drop the connection.
        """
        fields = tuple(pairs)
        status = self._decide(fields)
        self.requests.append(RecordedRequest(fields, status, _now()))
        return status

    def _take_forced(self, recipient: str | None) -> int | None:
        """Consume and return a forced status for this request, if any."""
        if recipient is not None and (forced := self._forced_by_number.get(recipient)):
            forced.remaining -= 1
            if forced.remaining <= 0:
                del self._forced_by_number[recipient]
            return forced.status
        if forced := self._forced:
            forced.remaining -= 1
            if forced.remaining <= 0:
                self._forced = None
            return forced.status
        return None

    def _decide(self, fields: tuple[tuple[str, str], ...]) -> int | None:
        """Apply the rules in the class docstring to one request."""
        form: Mapping[str, str] = dict(reversed(fields))
        if self.drops_pending:
            self.drops_pending -= 1
            return None
        if self.queue_down:
            return 503
        recipient = form.get("recipient")
        if (forced := self._take_forced(recipient)) is not None:
            return forced
        key, digest, message = form.get("key"), form.get("hash"), form.get("message")
        if key is None or digest is None or not _equal(key, self.key):
            return 401
        if message is None:
            return 400
        if not _equal(digest, gateway_hash(self.password, message)):
            return 401
        if recipient is None or not is_valid_number(recipient):
            return 400
        phone = self.phone(recipient)
        match phone.status:
            case NumberStatus.BLOCKED:
                return 403
            case NumberStatus.INVITED:
                return 409
            case NumberStatus.OPTED_IN:
                phone.deliver(message)
                return 200
            case NumberStatus.UNKNOWN:
                phone.status = NumberStatus.INVITED
                phone.held = message
                return 202

    def as_json(self) -> dict[str, Any]:
        """Return the whole state as JSON-serialisable data (no password)."""
        return {
            "key": self.key,
            "latency": self.latency,
            "queue_down": self.queue_down,
            "drops_pending": self.drops_pending,
            "forced": self.forced(),
            "numbers": {
                number: phone.as_json() for number, phone in self.phones.items()
            },
            "requests": [request.as_json() for request in self.requests],
        }


def _equal(given: str, expected: str) -> bool:
    """Compare secrets in constant time."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
