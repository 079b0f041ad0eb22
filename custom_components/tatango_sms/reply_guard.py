"""The reply-loop guard: automatic replies to one sender are capped, so two auto-replies cannot ping-pong."""

from __future__ import annotations

from collections import OrderedDict, defaultdict, deque

from homeassistant.core import Context
from homeassistant.util import dt as dt_util

from .const import LOGGER

MAX_REPLIES = 5
WINDOW_SECONDS = 600.0
REMEMBERED_SMS = 1000


class ReplyGuard:
    """Counts the replies to each sender; a send is a reply when its context comes from an incoming SMS.

    Home Assistant gives an automation triggered by `tatango_sms_received` a
    context whose parent is the event's context, so replies are recognised
    whoever wrote the automation.
    """

    def __init__(self) -> None:
        """Initialize with no incoming SMS seen."""
        self._incoming: OrderedDict[str, str] = OrderedDict()
        self._replies: defaultdict[str, deque[float]] = defaultdict(deque)
        self._silenced: set[str] = set()

    def note_incoming(self, context: Context, number: str) -> None:
        """Remember which number the SMS behind an event context came from."""
        self._incoming[context.id] = number
        if len(self._incoming) > REMEMBERED_SMS:
            self._incoming.popitem(last=False)

    def replied_to(self, context: Context | None) -> str | None:
        """Return the number whose SMS this call replies to, if it is a reply."""
        if context is None:
            return None
        return self._incoming.get(context.parent_id or context.id)

    def allow(self, number: str) -> bool:
        """Count a reply to number; False once it had MAX_REPLIES in the window."""
        now = dt_util.utcnow().timestamp()
        replies = self._replies[number]
        while replies and now - replies[0] >= WINDOW_SECONDS:
            replies.popleft()
        if len(replies) >= MAX_REPLIES:
            if number not in self._silenced:
                self._silenced.add(number)
                LOGGER.info(
                    "Not replying to %s: it got %d automatic replies in %d minutes",
                    number,
                    MAX_REPLIES,
                    WINDOW_SECONDS // 60,
                )
            return False
        self._silenced.discard(number)
        replies.append(now)
        return True
