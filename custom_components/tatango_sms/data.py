"""Runtime data of a Tatango SMS config entry."""

from __future__ import annotations

from dataclasses import dataclass, field

from homeassistant.config_entries import ConfigEntry

from .gateway import TatangoGateway


@dataclass(slots=True)
class WebhookStats:
    """Counts of what the webhook answered, for diagnostics."""

    received: int = 0
    rejected: int = 0
    too_large: int = 0


@dataclass(slots=True)
class TatangoData:
    """What a loaded entry shares between its platforms, webhook and actions."""

    gateway: TatangoGateway
    webhook_stats: WebhookStats = field(default_factory=WebhookStats)


type TatangoConfigEntry = ConfigEntry[TatangoData]
