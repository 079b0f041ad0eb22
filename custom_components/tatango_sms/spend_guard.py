"""The spend guard: at most so many SMS in any rolling hour, counted across restarts."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from homeassistant.core import CALLBACK_TYPE, Context, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER, signal_spend

STORAGE_VERSION = 1
WINDOW_SECONDS = 3600.0
TOP_SENDERS = 3
UNKNOWN_SOURCE = "-"


@dataclass(slots=True)
class Reservation:
    """SMS counted against the hour before they are posted; settled to what the gateway took."""

    at: float
    count: int
    source: str

    def as_stored(self) -> list[Any]:
        """Return the reservation as saved."""
        return [self.at, self.count, self.source]


def spend_issue_id(entry_id: str) -> str:
    """Return the repair issue id of an entry's reached limit."""
    return f"spend_limit_{entry_id}"


def source_of(hass: HomeAssistant, context: Context | None) -> str:
    """Return the automation or script a call came from, where Home Assistant knows it."""
    if context is not None:
        for state in hass.states.async_all(("automation", "script")):
            if state.context.id == context.id:
                return state.entity_id
    return UNKNOWN_SOURCE


class SpendGuard:
    """SMS sent in the last hour for one account, and the limit on them.

    The only writer of its reservations; announces changes with the entry's
    spend signal.
    """

    def __init__(
        self, hass: HomeAssistant, entry_id: str, title: str, limit: int
    ) -> None:
        """Initialize the guard of one config entry; a limit of 0 means none."""
        self._hass = hass
        self._entry_id = entry_id
        self._title = title
        self.limit = limit
        self._store: Store[list[list[Any]]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.sent"
        )
        # Oldest first; `_total` is the sum of their counts.
        self._reservations: deque[Reservation] = deque()
        self._total = 0
        self._cancel_timer: CALLBACK_TYPE | None = None
        self._stopped = False

    async def async_load(self) -> None:
        """Load the last hour's count saved before a restart."""
        try:
            stored = await self._store.async_load() or []
            reservations = sorted(
                (
                    Reservation(float(at), int(count), str(source))
                    for at, count, source in stored
                ),
                key=lambda r: r.at,
            )
        except (HomeAssistantError, NotImplementedError, TypeError, ValueError) as err:
            LOGGER.warning("The SMS count of the last hour could not be read: %s", err)
            reservations = []
        self._reservations = deque(reservations)
        self._total = sum(r.count for r in reservations)
        self._async_expire()

    @callback
    def async_stop(self) -> None:
        """Stop the timer (the entry unloads)."""
        self._stopped = True
        if self._cancel_timer:
            self._cancel_timer()
            self._cancel_timer = None

    async def async_remove(self) -> None:
        """Delete the saved count and the repair issue of a removed entry."""
        await self._store.async_remove()
        ir.async_delete_issue(self._hass, DOMAIN, spend_issue_id(self._entry_id))

    @property
    def sent_last_hour(self) -> int:
        """Return the SMS counted in the last hour."""
        self._drop_expired()
        return self._total

    def _drop_expired(self) -> bool:
        """Forget what left the hour; return whether anything did."""
        now = dt_util.utcnow().timestamp()
        dropped = False
        while self._reservations and now - self._reservations[0].at >= WINDOW_SECONDS:
            self._total -= self._reservations.popleft().count
            dropped = True
        return dropped

    def try_reserve(self, count: int, source: str) -> Reservation | None:
        """Count `count` SMS now, or return None if they would pass the limit.

        Call async_save before posting them, so a crash cannot forget them.
        """
        if self.limit and self.sent_last_hour + count > self.limit:
            return None
        reservation = Reservation(dt_util.utcnow().timestamp(), count, source)
        self._reservations.append(reservation)
        self._total += count
        return reservation

    async def async_save(self) -> None:
        """Write the reservations to disk (when there is a limit) and tell the sensor."""
        if self.limit:
            # At most `limit` reservations: the file stays small.
            await self._store.async_save([r.as_stored() for r in self._reservations])
        self._async_changed()
        if self._cancel_timer is None:
            self._async_schedule()

    @callback
    def settle(self, reservation: Reservation, taken: int) -> None:
        """Count only the SMS the gateway took (saved with the next change)."""
        if taken != reservation.count:
            # Posts end within a minute: the reservation is still in the hour.
            self._total += taken - reservation.count
            reservation.count = taken
            if self.limit:
                self._store.async_delay_save(
                    lambda: [r.as_stored() for r in self._reservations], 1
                )
            self._async_changed()

    def seconds_until_room(self, count: int) -> float:
        """Return how long until `count` more SMS fit in the hour."""
        excess = self.sent_last_hour + count - self.limit
        now = dt_util.utcnow().timestamp()
        for reservation in self._reservations:
            excess -= reservation.count
            if excess <= 0:
                return reservation.at + WINDOW_SECONDS - now
        return WINDOW_SECONDS

    @callback
    def async_report_refused(self) -> None:
        """Raise the repair issue: the limit was reached and a send refused."""
        self._drop_expired()
        sources = Counter[str]()
        for reservation in self._reservations:
            sources[reservation.source] += reservation.count
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            spend_issue_id(self._entry_id),
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="spend_limit_reached",
            translation_placeholders={
                "title": self._title,
                "limit": str(self.limit),
                "count": str(self.sent_last_hour),
                "senders": ", ".join(
                    f"{source} ({count})"
                    for source, count in sources.most_common(TOP_SENDERS)
                ),
            },
        )
        self._async_schedule()

    @callback
    def _async_expire(self, _now: Any = None) -> None:
        """Drop what left the hour, clear the issue once there is room, and look again later."""
        self._cancel_timer = None
        if self._drop_expired():
            self._async_changed()
        if not self.limit or self._total < self.limit:
            ir.async_delete_issue(self._hass, DOMAIN, spend_issue_id(self._entry_id))
        self._async_schedule()

    @callback
    def _async_schedule(self) -> None:
        """Wake up when the oldest counted SMS leaves the hour."""
        if self._cancel_timer:
            self._cancel_timer()
            self._cancel_timer = None
        if self._reservations and not self._stopped:
            oldest = self._reservations[0].at
            delay = max(oldest + WINDOW_SECONDS - dt_util.utcnow().timestamp(), 0)
            self._cancel_timer = async_call_later(self._hass, delay, self._async_expire)

    @callback
    def _async_changed(self) -> None:
        async_dispatcher_send(self._hass, signal_spend(self._entry_id))
