"""Runtime data of a Tatango SMS config entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry, ConfigSubentry

from .const import SUBENTRY_TYPE_RECIPIENT
from .tatango.gateway import TatangoGateway

if TYPE_CHECKING:
    from .conversations import SmsConversations
    from .notify import TatangoLegacyNotifyService
    from .reply_guard import ReplyGuard
    from .sender import SmsSender
    from .spend_guard import SpendGuard
    from .status_book import StatusBook
    from .targets import Targets


@dataclass(slots=True)
class WebhookStats:
    """Counts of what the webhook answered, for diagnostics."""

    received: int = 0
    rejected: int = 0
    too_large: int = 0
    timed_out: int = 0
    unknown_senders_ignored: int = 0


@dataclass(slots=True)
class TatangoData:
    """What a loaded entry shares between its platforms, webhook and actions."""

    gateway: TatangoGateway
    targets: Targets
    status_book: StatusBook
    spend_guard: SpendGuard
    replies: ReplyGuard
    sender: SmsSender
    conversations: SmsConversations
    webhook_stats: WebhookStats = field(default_factory=WebhookStats)
    legacy_notify: TatangoLegacyNotifyService | None = None


type TatangoConfigEntry = ConfigEntry[TatangoData]


def recipient_subentries(entry: ConfigEntry) -> list[ConfigSubentry]:
    """Return the entry's saved recipients."""
    return [
        subentry
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_TYPE_RECIPIENT
    ]
