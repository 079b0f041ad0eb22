"""Repair flow that clears a blocked number."""

from __future__ import annotations

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult

from .data import TatangoConfigEntry


class UnblockNumberFlow(ConfirmRepairFlow):
    """Asks the user to confirm the person opted back in, then clears the block."""

    def __init__(self, entry_id: str, number: str) -> None:
        """Initialize for one blocked number of one entry."""
        super().__init__()
        self._entry_id = entry_id
        self._number = number

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> FlowResult:
        """Clear the block once confirmed."""
        if user_input is not None:
            entry: TatangoConfigEntry | None = self.hass.config_entries.async_get_entry(
                self._entry_id
            )
            if entry is None or entry.state is not ConfigEntryState.LOADED:
                return self.async_abort(reason="entry_not_loaded")
            await entry.runtime_data.status_book.async_unblock(self._number)
            return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="confirm",
            description_placeholders={"number": self._number},
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Create the fix flow for a blocked-number issue."""
    assert data is not None
    return UnblockNumberFlow(str(data["entry_id"]), str(data["number"]))
