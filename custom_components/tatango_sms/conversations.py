"""Conversations over SMS: a waiting ask takes the reply, else Assist answers."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import Context, HomeAssistant, callback

from .ask import PendingAsks
from .const import (
    ASSIST_SENDERS_ANYONE,
    ATTR_ASSIST,
    ATTR_REPLY_TO_ASK,
    CONF_ASSIST_AGENT_ID,
    CONF_ASSIST_SENDERS,
    CONF_PERSON,
    CONF_PHONE_NUMBER,
    DEFAULT_ASSIST_SENDERS,
    DOMAIN,
    LOGGER,
)
from .data import recipient_subentries
from .reply_guard import REMEMBERED, ReplyGuard
from .sender import SmsSender
from .targets import Recipient

CONVERSATION: Final = "conversation"
NOT_ROUTED: Final = MappingProxyType({ATTR_ASSIST: False, ATTR_REPLY_TO_ASK: False})
_ASK: Final = MappingProxyType({ATTR_ASSIST: False, ATTR_REPLY_TO_ASK: True})
_ASSIST: Final = MappingProxyType({ATTR_ASSIST: True, ATTR_REPLY_TO_ASK: False})


@dataclass(slots=True)
class Conversation:
    """A number's Assist conversation."""

    conversation_id: str | None = None
    # One answer at a time per number, so a follow-up has the conversation's id.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class SmsConversations:
    """Decides who answers an incoming SMS, and has Assist answer it."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        sender: SmsSender,
        replies: ReplyGuard,
    ) -> None:
        """Initialize from the entry's options and saved recipients."""
        self._hass = hass
        self._entry = entry
        self._sender = sender
        self._replies = replies
        # The least recently texted numbers are forgotten first.
        self._conversations: OrderedDict[str, Conversation] = OrderedDict()
        self.asks = PendingAsks(hass, entry, sender, replies)
        # The Assist agent that answers SMS, None when Assist is off.
        self.agent_id: str | None = entry.options.get(CONF_ASSIST_AGENT_ID) or None
        self._anyone = (
            entry.options.get(CONF_ASSIST_SENDERS, DEFAULT_ASSIST_SENDERS)
            == ASSIST_SENDERS_ANYONE
        )
        # The entry reloads when its recipients change, so this stays current.
        self._persons: dict[str, str] = {
            subentry.data[CONF_PHONE_NUMBER]: subentry.data[CONF_PERSON]
            for subentry in recipient_subentries(entry)
            if subentry.data.get(CONF_PERSON)
        }

    @callback
    def async_route(
        self, sender: str, name: str | None, content: str
    ) -> Mapping[str, bool]:
        """Give an SMS to the ask waiting for its sender, else to Assist; return the event's fields saying which.

        name is the saved recipient's name of the sender, if any. The webhook
        asks only while Assist is on or an ask waits.
        """
        # The webhook normalised the sender: a US number is its 10 digits.
        if self.asks.async_take(sender, content):
            return _ASK
        if self._async_assist(Recipient(sender, name), content):
            return _ASSIST
        return NOT_ROUTED

    @callback
    def _async_assist(self, recipient: Recipient, content: str) -> bool:
        """Have Assist answer the SMS in the background; return whether it will."""
        if (
            self.agent_id is None
            or not content.strip()
            or (recipient.name is None and not self._anyone)
            # Agents register with it; without it there is no agent to ask.
            or CONVERSATION not in self._hass.config.components
            or not self._replies.allow(recipient)
        ):
            return False
        # Not started eagerly: nothing of the agent's runs inside the webhook.
        self._entry.async_create_background_task(
            self._hass,
            self._async_converse(self.agent_id, recipient, content),
            f"{DOMAIN} Assist answers an SMS",
            eager_start=False,
        )
        return True

    async def _async_converse(
        self, agent_id: str, recipient: Recipient, content: str
    ) -> None:
        """Pass the SMS to the agent and send its spoken answer back."""
        # Imported here: its requirements are not needed until Assist answers.
        from homeassistant.components.conversation import async_converse  # noqa: PLC0415

        memory = self._conversation(recipient.number)
        async with memory.lock:
            try:
                result = await async_converse(
                    self._hass,
                    content,
                    memory.conversation_id,
                    Context(user_id=self._user_id(recipient)),
                    language=self._hass.config.language,
                    agent_id=agent_id,
                )
            except Exception:  # noqa: BLE001
                # Any agent (an LLM's too) may fail; the sender just gets no answer.
                LOGGER.exception(
                    "The conversation agent %s could not answer an SMS", agent_id
                )
                return
            memory.conversation_id = result.conversation_id
            speech = result.response.speech.get("plain", {}).get("speech", "")
            if speech.strip():
                await self._sender.async_send_reply(speech, recipient)

    def _conversation(self, number: str) -> Conversation:
        """Return the number's conversation, remembered for the next SMS."""
        if (conversation := self._conversations.get(number)) is None:
            conversation = self._conversations[number] = Conversation()
            if len(self._conversations) > REMEMBERED:
                self._conversations.popitem(last=False)
        else:
            self._conversations.move_to_end(number)
        return conversation

    def _user_id(self, recipient: Recipient) -> str | None:
        """Return the Home Assistant user of the sender's person, if it has one."""
        if (person := self._persons.get(recipient.number)) is None:
            return None
        if (state := self._hass.states.get(person)) is None:
            return None
        user_id = state.attributes.get("user_id")
        return user_id if isinstance(user_id, str) else None
