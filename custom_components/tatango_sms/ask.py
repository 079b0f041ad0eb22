"""The ask action: send a question by SMS and wait for the reply."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util.json import JsonObjectType

from .const import DOMAIN
from .reply_guard import ReplyGuard
from .sender import SmsSender
from .targets import Recipient
from .tatango.outcome import Outcome

DEFAULT_TIMEOUT: Final = timedelta(minutes=5)
MAX_TIMEOUT: Final = timedelta(hours=24)
MAX_REMINDERS: Final = 3
"""Replies that match no answer and get the accepted answers by SMS."""
_TRAILING_PUNCTUATION: Final = ".,;:!?"


def match_answer(reply: str, answers: Sequence[str]) -> str | None:
    """Return the answer the reply's first word is (in any case), or None."""
    words = reply.split(maxsplit=1)
    if not words:
        return None
    first = words[0].rstrip(_TRAILING_PUNCTUATION).casefold()
    return next((answer for answer in answers if answer.casefold() == first), None)


def check_ask(message: str, answers: Sequence[str], timeout: timedelta) -> list[str]:
    """Return the answers stripped; raise on an empty message, a bad answer or timeout."""
    if not message.strip():
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="empty_message"
        )
    stripped = [answer.strip() for answer in answers]
    for answer in stripped:
        if not answer or len(answer.split()) > 1:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_answer",
                translation_placeholders={"answer": answer},
            )
    if not timedelta(0) < timeout <= MAX_TIMEOUT:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_timeout",
            translation_placeholders={
                "max_hours": str(MAX_TIMEOUT // timedelta(hours=1))
            },
        )
    return stripped


@dataclass(slots=True)
class PendingAsks:
    """The questions of one entry that wait for a reply, one per number."""

    hass: HomeAssistant
    entry: ConfigEntry
    sender: SmsSender
    replies: ReplyGuard
    # The numbers whose question waits for a reply, and the replies' queue
    # (None: the entry unloads). Changed only here; read on every incoming SMS.
    waiting: dict[str, asyncio.Queue[str | None]] = field(default_factory=dict)

    @callback
    def async_take(self, number: str, content: str) -> bool:
        """Hand an incoming SMS to the question waiting for its number; return whether one was."""
        if (replies := self.waiting.get(number)) is None:
            return False
        replies.put_nowait(content)
        return True

    @callback
    def async_end_all(self) -> None:
        """End every waiting question: the entry unloads."""
        for replies in self.waiting.values():
            replies.put_nowait(None)

    async def async_ask(
        self,
        recipient: Recipient,
        message: str,
        answers: list[str],
        *,
        append_answers: bool,
        timeout: timedelta,
        context: Context | None = None,
    ) -> JsonObjectType:
        """Send the question, wait for the reply and return it with the matched answer."""
        if recipient.number in self.waiting:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="ask_pending",
                translation_placeholders={"recipient": recipient.label},
            )
        # Waiting from before the question is sent: a quick reply is not missed.
        replies = self.waiting[recipient.number] = asyncio.Queue()
        try:
            if answers and append_answers:
                message = f"{message} {await self._async_reply_with(answers)}"
            outcome = (await self.sender.async_send(message, [recipient], context))[0]
            reply, answer, timed_out = await self._async_wait(
                recipient, replies, answers, timeout
            )
        finally:
            del self.waiting[recipient.number]
        return {
            "reply": reply,
            "answer": answer,
            "timed_out": timed_out,
            # Queued or invited: the person may answer once it is delivered.
            "delivered": outcome.outcome is Outcome.SENT,
        }

    async def _async_wait(
        self,
        recipient: Recipient,
        replies: asyncio.Queue[str | None],
        answers: list[str],
        timeout: timedelta,
    ) -> tuple[str | None, str | None, bool]:
        """Return (reply, matched answer, timed out) once a reply ends the wait."""
        reply: str | None = None
        reminders = 0
        try:
            async with asyncio.timeout(timeout.total_seconds()):
                while (reply := await replies.get()) is not None:
                    if not answers:
                        return reply, None, False
                    if (answer := match_answer(reply, answers)) is not None:
                        return reply, answer, False
                    if reminders == MAX_REMINDERS:
                        return reply, None, False
                    reminders += 1
                    if self.replies.allow(recipient):
                        # Not awaited: the timeout must not cut a send short.
                        self.entry.async_create_background_task(
                            self.hass,
                            self.sender.async_send_reply(
                                await self._async_reply_with(answers), recipient
                            ),
                            f"{DOMAIN} reminds of the accepted answers",
                        )
        except TimeoutError:
            return reply, None, True
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="ask_ended",
            translation_placeholders={"title": self.entry.title},
        )

    async def _async_reply_with(self, answers: list[str]) -> str:
        """Return "Reply YES or NO." for the answers, in Home Assistant's language."""
        texts = await async_get_translations(
            self.hass, self.hass.config.language, "exceptions", {DOMAIN}
        )

        def text(key: str) -> str:
            return texts[f"component.{DOMAIN}.exceptions.{key}.message"]

        shown = [answer.upper() for answer in answers]
        listed = shown[0]
        if len(shown) > 1:
            listed = text("answers_or").format(
                answers=", ".join(shown[:-1]), last=shown[-1]
            )
        return text("reply_with").format(answers=listed)
