"""What one entry remembers of each number it answers automatically."""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Final

from homeassistant.util import dt as dt_util

from .const import LOGGER
from .sender import Recipient

MAX_AUTO_REPLIES: Final = 5
AUTO_REPLY_WINDOW: Final = 600
"""Seconds in which a number gets at most MAX_AUTO_REPLIES automatic replies."""
MAX_REMEMBERED_NUMBERS: Final = 1000


@dataclass(slots=True)
class NumberMemory:
    """A number's recent automatic replies and its Assist conversation."""

    replies: deque[float] = field(default_factory=deque)
    conversation_id: str | None = None
    # One answer at a time per number, so a follow-up has the conversation's id.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    limit_logged: bool = False


class AutoReplies:
    """The reply-loop guard: Assist's answers and an ask's reminders are limited per number.

    Two machines that answer every SMS would otherwise text each other forever.
    """

    def __init__(self) -> None:
        """Initialize with nothing remembered."""
        # The least recently texted numbers are forgotten first, so SMS from
        # ever new numbers cannot fill the memory.
        self._numbers: OrderedDict[str, NumberMemory] = OrderedDict()

    def memory(self, number: str) -> NumberMemory:
        """Return what is remembered of a number."""
        if (memory := self._numbers.get(number)) is None:
            memory = self._numbers[number] = NumberMemory()
            if len(self._numbers) > MAX_REMEMBERED_NUMBERS:
                self._numbers.popitem(last=False)
        else:
            self._numbers.move_to_end(number)
        return memory

    def allow(self, recipient: Recipient) -> bool:
        """Count an automatic reply to a number; return False once it is over the limit."""
        memory = self.memory(recipient.number)
        now = dt_util.utcnow().timestamp()
        while memory.replies and memory.replies[0] <= now - AUTO_REPLY_WINDOW:
            memory.replies.popleft()
        if len(memory.replies) < MAX_AUTO_REPLIES:
            memory.replies.append(now)
            memory.limit_logged = False
            return True
        if not memory.limit_logged:
            memory.limit_logged = True
            LOGGER.info(
                "Not answering %s automatically for now: %s automatic replies in %s"
                " minutes (a reply loop with another machine?)",
                recipient.log_name,
                MAX_AUTO_REPLIES,
                AUTO_REPLY_WINDOW // 60,
            )
        return False
