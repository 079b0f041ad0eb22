"""The opt-in status book: what the gateway last said about each number."""

from __future__ import annotations

from enum import StrEnum

from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .blocked import BlockedNumbers
from .const import signal_status
from .tatango.outcome import Outcome


class OptInStatus(StrEnum):
    """What the gateway last said about a number's opt-in."""

    UNKNOWN = "unknown"
    SUBSCRIBED = "subscribed"
    INVITED = "invited"
    INVITATION_PENDING = "invitation_pending"
    BLOCKED = "blocked"


_STATUS_BY_OUTCOME = {
    Outcome.SENT: OptInStatus.SUBSCRIBED,
    Outcome.INVITED: OptInStatus.INVITED,
    Outcome.INVITATION_PENDING: OptInStatus.INVITATION_PENDING,
    Outcome.BLOCKED: OptInStatus.BLOCKED,
}


class StatusBook:
    """Opt-in statuses of one account; the only writer of them and of its blocked numbers.

    Changes are announced with the entry's status signal (the number as argument).
    """

    def __init__(self, hass: HomeAssistant, entry_id: str, title: str) -> None:
        """Initialize the book of one config entry."""
        self._hass = hass
        self._entry_id = entry_id
        self._title = title
        self.blocked = BlockedNumbers(hass, entry_id)
        self._statuses: dict[str, OptInStatus] = {}

    async def async_load(self) -> None:
        """Load the numbers that blocked the account."""
        await self.blocked.async_load(self._title)

    def is_blocked(self, number: str) -> bool:
        """Return whether the number blocked the account."""
        return number in self.blocked

    def status_of(self, number: str) -> OptInStatus:
        """Return the opt-in status last seen for a number."""
        if number in self.blocked:
            return OptInStatus.BLOCKED
        return self._statuses.get(number, OptInStatus.UNKNOWN)

    def restore(self, number: str, status: OptInStatus) -> None:
        """Take a status seen before a restart, unless the gateway said something since."""
        if status is not OptInStatus.BLOCKED:
            self._statuses.setdefault(number, status)

    async def async_record(self, number: str, *outcomes: Outcome | None) -> None:
        """Record the opt-in status the first outcome that says one says, if any."""
        said = (_STATUS_BY_OUTCOME.get(outcome) for outcome in outcomes if outcome)
        if (status := next((s for s in said if s is not None), None)) is None:
            return
        if status is OptInStatus.BLOCKED:
            await self.blocked.async_block(number, self._title)
        self._statuses[number] = status
        self._announce(number)

    async def async_unblock(self, number: str) -> None:
        """Clear a block once the person opted back in."""
        await self.blocked.async_unblock(number)
        self._statuses.pop(number, None)
        self._announce(number)

    def _announce(self, number: str) -> None:
        async_dispatcher_send(self._hass, signal_status(self._entry_id), number)
