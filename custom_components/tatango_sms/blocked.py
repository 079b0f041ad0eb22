"""Numbers that blocked the account: persisted, never contacted again until cleared."""

from __future__ import annotations

from collections.abc import Iterator

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store

from .const import DOMAIN, LOGGER

STORAGE_VERSION = 1


def blocked_issue_id(entry_id: str, number: str) -> str:
    """Return the repair issue id for a blocked number."""
    return f"blocked_{entry_id}_{number}"


class BlockedNumbers:
    """The set of numbers that answered 403 for one account."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Initialize the store of one config entry."""
        self._hass = hass
        self._entry_id = entry_id
        self._store: Store[list[str]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.blocked"
        )
        self._numbers: set[str] = set()

    def __contains__(self, number: object) -> bool:
        """Return whether the number is blocked."""
        return number in self._numbers

    def __iter__(self) -> Iterator[str]:
        """Iterate over the blocked numbers."""
        return iter(sorted(self._numbers))

    async def async_load(self, title: str) -> None:
        """Load the blocked numbers saved earlier and show their repair issues."""
        try:
            stored = await self._store.async_load() or []
        except (HomeAssistantError, NotImplementedError, ValueError) as err:
            LOGGER.warning("The blocked numbers could not be read: %s", err)
            stored = []
        if not isinstance(stored, list) or not all(
            isinstance(number, str) for number in stored
        ):
            LOGGER.warning("The blocked numbers could not be read: unexpected data")
            stored = []
        self._numbers = set(stored)
        for number in self._numbers:
            self._create_issue(number, title)

    async def async_block(self, number: str, title: str) -> None:
        """Remember a number as blocked and raise a repair issue for it."""
        if number not in self._numbers:
            self._numbers.add(number)
            await self._store.async_save(sorted(self._numbers))
        self._create_issue(number, title)

    def _create_issue(self, number: str, title: str) -> None:
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            blocked_issue_id(self._entry_id, number),
            is_fixable=True,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="number_blocked",
            translation_placeholders={"number": number, "title": title},
            data={"entry_id": self._entry_id, "number": number},
        )

    async def async_unblock(self, number: str) -> None:
        """Forget a block, after the person opted back in."""
        self._numbers.discard(number)
        await self._store.async_save(sorted(self._numbers))
        ir.async_delete_issue(
            self._hass, DOMAIN, blocked_issue_id(self._entry_id, number)
        )

    async def async_remove(self) -> None:
        """Delete the saved numbers and repair issues of a removed entry."""
        for number in await self._store.async_load() or []:
            ir.async_delete_issue(
                self._hass, DOMAIN, blocked_issue_id(self._entry_id, number)
            )
        await self._store.async_remove()
