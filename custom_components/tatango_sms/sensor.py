"""Opt-in status sensor per saved recipient."""

from __future__ import annotations

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import signal_outbox, signal_spend, signal_status
from .data import TatangoConfigEntry, recipient_subentries
from .entity import TatangoAccountEntity, TatangoRecipientEntity
from .status_book import OptInStatus

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TatangoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the outbox sensor, and one opt-in status sensor per saved recipient."""
    async_add_entities([QueuedMessagesSensor(entry), SmsLastHourSensor(entry)])
    for subentry in recipient_subentries(entry):
        async_add_entities(
            [OptInStatusSensor(entry, subentry)],
            config_subentry_id=subentry.subentry_id,
        )


class OptInStatusSensor(TatangoRecipientEntity, RestoreSensor):
    """What the gateway last said about the recipient's opt-in."""

    _attr_device_class = SensorDeviceClass.ENUM
    # Not "unknown": Home Assistant's own state for a sensor without a value.
    _attr_options = [
        status.value for status in OptInStatus if status is not OptInStatus.UNKNOWN
    ]

    def __init__(self, entry: TatangoConfigEntry, subentry: ConfigSubentry) -> None:
        """Initialize the sensor."""
        super().__init__(entry, subentry, "opt_in_status")
        self._entry_id = entry.entry_id
        self._book = entry.runtime_data.status_book

    async def async_added_to_hass(self) -> None:
        """Restore the last status and follow the gateway's answers."""
        await super().async_added_to_hass()
        number = self.recipient.number
        if (last := await self.async_get_last_sensor_data()) and (
            last.native_value in self._attr_options
        ):
            self._book.restore(number, OptInStatus(str(last.native_value)))
        self._show(self._book.status_of(number))
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_status(self._entry_id), self._async_status_changed
            )
        )

    @callback
    def _async_status_changed(self, number: str) -> None:
        if number == self.recipient.number:
            self._show(self._book.status_of(number))
            self.async_write_ha_state()

    def _show(self, status: OptInStatus) -> None:
        self._attr_native_value = (
            None if status is OptInStatus.UNKNOWN else status.value
        )


class QueuedMessagesSensor(TatangoAccountEntity, SensorEntity):
    """How many messages wait in the outbox for the gateway."""

    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, entry: TatangoConfigEntry) -> None:
        """Initialize the sensor."""
        super().__init__(entry, "queued_messages")
        self._entry_id = entry.entry_id
        self._outbox = entry.runtime_data.sender.outbox

    @property
    def native_value(self) -> int:
        """Return the number of queued messages."""
        return len(self._outbox)

    async def async_added_to_hass(self) -> None:
        """Follow the outbox."""
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_outbox(self._entry_id), self.async_write_ha_state
            )
        )


class SmsLastHourSensor(TatangoAccountEntity, SensorEntity):
    """SMS the account sent in the last hour, as the spend guard counts them."""

    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, entry: TatangoConfigEntry) -> None:
        """Initialize the sensor."""
        super().__init__(entry, "sms_last_hour")
        self._entry_id = entry.entry_id
        self._guard = entry.runtime_data.spend_guard

    @property
    def native_value(self) -> int:
        """Return the SMS counted in the last hour."""
        return self._guard.sent_last_hour

    async def async_added_to_hass(self) -> None:
        """Follow the count."""
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_spend(self._entry_id), self.async_write_ha_state
            )
        )
