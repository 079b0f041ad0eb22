"""Runtime data of a Tatango SMS config entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

from .blocked import BlockedNumbers
from .gateway import TatangoGateway

if TYPE_CHECKING:
    from .notify import TatangoLegacyNotifyService
    from .sender import SmsSender


@dataclass(slots=True)
class WebhookStats:
    """Counts of what the webhook answered, for diagnostics."""

    received: int = 0
    rejected: int = 0
    too_large: int = 0
    unknown_senders_ignored: int = 0


@dataclass(slots=True)
class TatangoData:
    """What a loaded entry shares between its platforms, webhook and actions."""

    gateway: TatangoGateway
    blocked: BlockedNumbers
    sender: SmsSender
    webhook_stats: WebhookStats = field(default_factory=WebhookStats)
    legacy_notify: TatangoLegacyNotifyService | None = None


type TatangoConfigEntry = ConfigEntry[TatangoData]
