"""Who a message goes to: phone numbers and saved recipients, by name or number."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.exceptions import ServiceValidationError

from .const import CONF_PHONE_NUMBER, DOMAIN
from .data import recipient_subentries
from .tatango.phone import InvalidPhoneNumber, normalize_phone_number


@dataclass(frozen=True, slots=True)
class Recipient:
    """A normalised number and, for a saved recipient, its name."""

    number: str
    name: str | None = None

    @property
    def label(self) -> str:
        """Return how errors name the recipient."""
        return f"{self.name} ({self.number})" if self.name else self.number

    @property
    def log_name(self) -> str:
        """Return how logs name the recipient, without the whole number."""
        return self.name or f"the number ending in {self.number[-4:]}"


class Targets:
    """Resolves the names and numbers an action or notification is sent to."""

    def __init__(self, entry: ConfigEntry) -> None:
        """Initialize from the entry's saved recipients (it reloads when they change)."""
        self.saved_recipients = [
            Recipient(subentry.data[CONF_PHONE_NUMBER], subentry.title)
            for subentry in recipient_subentries(entry)
        ]
        self._saved_by_number = {r.number: r for r in self.saved_recipients}
        self._saved_by_name = {
            r.name.casefold(): r for r in self.saved_recipients if r.name
        }
        # An incoming SMS's normalized sender -> the saved recipient's name.
        self.names = {r.number: r.name for r in self.saved_recipients}

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


def _normalize_target(target: str) -> str:
    """Normalise a target that is not a saved name, or explain why it is neither."""
    try:
        return normalize_phone_number(target)
    except InvalidPhoneNumber as err:
        if any(char.isalpha() for char in target):
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_recipient",
                translation_placeholders={"recipient": _as_shown(target)},
            ) from err
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_phone_number",
            translation_placeholders={"recipient": _as_shown(target)},
        ) from err


_MAX_SHOWN_CHARACTERS = 60


def _as_shown(target: str) -> str:
    """Return a target for an error message (which may be logged): escaped and cut short."""
    # A target can come from an incoming SMS: it must not forge log lines.
    shown = target if target.isprintable() else repr(target)[1:-1]
    if len(shown) > _MAX_SHOWN_CHARACTERS:
        return f"{shown[: _MAX_SHOWN_CHARACTERS - 1]}…"
    return shown
