"""The reply-loop guard: automatic replies to one sender are capped, so two auto-replies cannot ping-pong."""

from __future__ import annotations

from collections import OrderedDict, deque
from itertools import islice

from homeassistant.core import Context
from homeassistant.util import dt as dt_util

from .const import LOGGER
from .targets import Recipient

MAX_REPLIES = 5
WINDOW_SECONDS = 600
REMEMBERED = 1000
"""Incoming SMS (up to twice as many) and replied numbers remembered; the oldest are forgotten first."""


class ReplyGuard:
    """Counts the automatic replies to each number.

    A send is a reply when its context comes from an incoming SMS: Home
    Assistant gives an automation triggered by `tatango_sms_received` a
    context whose parent is the event's, so replies are recognised whoever
    wrote the automation. Assist and the ask action count theirs directly.
    """

    def __init__(self) -> None:
        """Initialize with no incoming SMS seen."""
        self._incoming: dict[str, str] = {}
        self._replies: OrderedDict[str, deque[float]] = OrderedDict()
        self._logged: set[str] = set()

    def note_incoming(self, context: Context, number: str) -> None:
        """Remember which number the SMS behind an event context came from."""
        self._incoming[context.id] = number
        if len(self._incoming) > 2 * REMEMBERED:
            # The older half at once: evicting one per SMS would touch memory
            # a thousand messages old on each.
            self._incoming = dict(islice(self._incoming.items(), REMEMBERED, None))

    def replied_to(self, context: Context | None) -> str | None:
        """Return the number whose SMS this call replies to, if it is a reply."""
        if context is None:
            return None
        return self._incoming.get(context.parent_id or context.id)

    def allow(self, recipient: Recipient) -> bool:
        """Count a reply to the recipient; False once it had MAX_REPLIES in the window."""
        number = recipient.number
        if (replies := self._replies.get(number)) is None:
            replies = self._replies[number] = deque()
            if len(self._replies) > REMEMBERED:
                self._logged.discard(self._replies.popitem(last=False)[0])
        else:
            self._replies.move_to_end(number)
        now = dt_util.utcnow().timestamp()
        while replies and now - replies[0] >= WINDOW_SECONDS:
            replies.popleft()
        if len(replies) < MAX_REPLIES:
            replies.append(now)
            self._logged.discard(number)
            return True
        if number not in self._logged:
            self._logged.add(number)
            LOGGER.info(
                "Not replying to %s: it got %d automatic replies in %d minutes"
                " (a reply loop with another machine?)",
                recipient.log_name,
                MAX_REPLIES,
                WINDOW_SECONDS // 60,
            )
        return False
