"""Tests of Assist over SMS: an incoming SMS answered by a conversation agent, by SMS.

The main paths use Home Assistant's own agent (`conversation.home_assistant`)
with a template light exposed to Assist; a scripted agent stands in where an
agent must fail or take its time. SMS arrive as the gateway posts them, through
the webhook; replies are checked at the gateway simulator.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import logging
from typing import Any, Final, Literal

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tatango_sms.const import DOMAIN
from custom_components.tatango_sms.reply_guard import (
    MAX_REPLIES,
    REMEMBERED,
    ReplyGuard,
)
from custom_components.tatango_sms.targets import Recipient
from homeassistant.components import conversation
from homeassistant.components.conversation.trace import (
    ConversationTraceEventType,
    async_clear_traces,
    async_get_traces,
)
from homeassistant.const import CONF_WEBHOOK_ID, MATCH_ALL, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component
from tatango_simulator import GatewaySimulator

from .conftest import ALICE_NUMBER, BOB_NUMBER, STRANGER_NUMBER
from .helpers import (
    Sms,
    async_add_and_set_up,
    async_add_second_account,
    async_advance_time,
    event_data,
    make_entry,
    sent,
    state_of,
    webhook_path,
)

# Alice is a saved recipient with a person, Bob one whose person was removed;
# the stranger's number is not saved.
ALICE: Final = ALICE_NUMBER
BOB: Final = BOB_NUMBER
STRANGER: Final = STRANGER_NUMBER
HOME_ASSISTANT_AGENT: Final = "conversation.home_assistant"
KITCHEN_LIGHT: Final = "light.kitchen_light"
TURN_ON: Final = "turn on the kitchen light"
OUR_LOGGER: Final = "custom_components.tatango_sms"


@pytest.fixture(autouse=True)
def no_traces() -> Iterator[None]:
    """Start each test without the conversation traces of earlier ones."""
    async_clear_traces()
    yield
    async_clear_traces()


async def async_set_up_home(hass: HomeAssistant) -> None:
    """Set up Assist with Home Assistant's own agent and a kitchen light exposed to it."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"kitchen": {}}}
    )
    switch = {"target": {"entity_id": "input_boolean.kitchen"}}
    assert await async_setup_component(
        hass,
        "template",
        {
            "template": [
                {
                    "light": [
                        {
                            "name": "Kitchen light",
                            "state": "{{ is_state('input_boolean.kitchen', 'on') }}",
                            "turn_on": {"action": "input_boolean.turn_on", **switch},
                            "turn_off": {"action": "input_boolean.turn_off", **switch},
                        }
                    ]
                }
            ]
        },
    )
    assert await async_setup_component(hass, "conversation", {})
    await hass.async_block_till_done()


@pytest.fixture
async def alice_user_id(hass: HomeAssistant) -> str:
    """Return the id of Alice's Home Assistant user, whose person is person.alice."""
    user = await hass.auth.async_create_user("Alice", group_ids=["system-users"])
    assert await async_setup_component(
        hass,
        "person",
        {"person": [{"id": "alice", "name": "Alice", "user_id": user.id}]},
    )
    return user.id


@pytest.fixture
def assist_options() -> dict[str, Any]:
    """Return the entry's options: Assist with Home Assistant's own agent; parametrize to change them."""
    return {"assist_agent_id": HOME_ASSISTANT_AGENT}


@pytest.fixture
async def entry(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    ha_url: str,
    alice_user_id: str,
    assist_options: dict[str, Any],
) -> MockConfigEntry:
    """Return a loaded account with Assist over SMS, in a home with a kitchen light; every phone opted in."""
    await async_set_up_home(hass)
    config_entry = make_entry(
        simulator.messages_url,
        options=assist_options,
        recipients={"Alice": ALICE, "Bob": BOB},
        persons={"Alice": "person.alice", "Bob": "person.removed"},
    )
    await async_add_and_set_up(hass, config_entry)
    for number in (ALICE, BOB, STRANGER):
        simulator.opt_in(number)
    return config_entry


async def async_answered(hass: HomeAssistant) -> None:
    """Wait until Assist has answered every SMS (its answers run in the background)."""
    await hass.async_block_till_done(wait_background_tasks=True)


def agent_inputs() -> list[dict[str, Any]]:
    """Return what Home Assistant's conversation agents were given, oldest first."""
    return [
        event["data"]
        for trace in async_get_traces()
        for event in trace.as_dict()["events"]
        if event["event_type"] == ConversationTraceEventType.ASYNC_PROCESS
    ]


def agent_results() -> list[dict[str, Any]]:
    """Return what Home Assistant's conversation agents answered, oldest first."""
    return [trace.as_dict()["result"] for trace in async_get_traces()]


# Home Assistant's own agent


async def test_turn_on_the_kitchen_light(
    hass: HomeAssistant, simulator: GatewaySimulator, entry: MockConfigEntry, sms: Sms
) -> None:
    """A saved recipient texts "turn on the kitchen light": the light turns on and Assist's answer comes back by SMS."""
    events = async_capture_events(hass, f"{DOMAIN}_received")
    assert state_of(hass, KITCHEN_LIGHT) == STATE_OFF

    await sms(BOB, TURN_ON)

    assert state_of(hass, KITCHEN_LIGHT) == STATE_ON
    [answer] = agent_results()
    speech = answer["response"]["speech"]["plain"]["speech"]
    assert speech == "Turned on the light"
    assert sent(simulator) == [(BOB, speech)]
    assert simulator.delivered(BOB) == [speech]
    [given] = agent_inputs()
    assert (given["text"], given["agent_id"], given["language"]) == (
        TURN_ON,
        HOME_ASSISTANT_AGENT,
        hass.config.language,
    )
    assert [event.data for event in events] == [
        event_data(entry.entry_id, BOB, TURN_ON, "TURN", "Bob", assist=True)
    ]


async def test_follow_ups_keep_the_conversation(
    hass: HomeAssistant, simulator: GatewaySimulator, entry: MockConfigEntry, sms: Sms
) -> None:
    """Two SMS in a row from one number reach the agent in the same conversation; another number has its own."""
    await sms(ALICE, "what time is it")
    await sms(ALICE, TURN_ON)
    await sms(BOB, "what time is it")

    alice_first, alice_second, bob = agent_inputs()
    first_answer, _, bob_answer = agent_results()
    assert alice_first["conversation_id"] is None
    assert first_answer["conversation_id"]
    assert alice_second["conversation_id"] == first_answer["conversation_id"]
    assert bob["conversation_id"] is None
    assert bob_answer["conversation_id"] != first_answer["conversation_id"]
    assert [number for number, _ in sent(simulator)] == [ALICE, ALICE, BOB]


async def test_assist_acts_as_the_recipients_person(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    entry: MockConfigEntry,
    sms: Sms,
    alice_user_id: str,
) -> None:
    """A saved recipient with a person has Assist act as that person's user; one whose person is gone, as no user."""
    await sms(ALICE, TURN_ON)

    light = hass.states.get(KITCHEN_LIGHT)
    assert light is not None
    assert light.state == STATE_ON
    # The logbook shows who turned it on: Alice's user.
    assert light.context.user_id == alice_user_id

    await sms(BOB, "turn off the kitchen light")

    light = hass.states.get(KITCHEN_LIGHT)
    assert light is not None
    assert light.state == STATE_OFF
    assert light.context.user_id is None
    assert [given["context"].user_id for given in agent_inputs()] == [
        alice_user_id,
        None,
    ]
    assert [number for number, _ in sent(simulator)] == [ALICE, BOB]


@pytest.mark.parametrize(
    ("assist_options", "sender", "content"),
    [
        # Only saved recipients, by default.
        ({"assist_agent_id": HOME_ASSISTANT_AGENT}, STRANGER, TURN_ON),
        # Assist over SMS off (the default).
        ({}, ALICE, TURN_ON),
        ({"assist_senders": "anyone"}, STRANGER, TURN_ON),
        # Nothing to answer.
        ({"assist_agent_id": HOME_ASSISTANT_AGENT}, ALICE, "   "),
    ],
)
async def test_assist_does_not_answer(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    entry: MockConfigEntry,
    sms: Sms,
    *,
    sender: str,
    content: str,
) -> None:
    """An SMS Assist may not answer reaches no agent and gets no reply; the event says so."""
    events = async_capture_events(hass, f"{DOMAIN}_received")

    await sms(sender, content)

    assert agent_inputs() == []
    assert sent(simulator) == []
    assert state_of(hass, KITCHEN_LIGHT) == STATE_OFF
    [event] = events
    assert event.data["assist"] is False
    assert event.data["reply_to_ask"] is False


@pytest.mark.parametrize(
    "assist_options",
    [{"assist_agent_id": HOME_ASSISTANT_AGENT, "assist_senders": "anyone"}],
)
async def test_assist_answers_anyone_when_chosen(
    hass: HomeAssistant, simulator: GatewaySimulator, entry: MockConfigEntry, sms: Sms
) -> None:
    """With "anyone", a number that is not saved is answered too, as no user."""
    events = async_capture_events(hass, f"{DOMAIN}_received")

    await sms(STRANGER, TURN_ON)

    assert state_of(hass, KITCHEN_LIGHT) == STATE_ON
    assert sent(simulator) == [(STRANGER, "Turned on the light")]
    [given] = agent_inputs()
    assert given["context"].user_id is None
    assert [event.data for event in events] == [
        event_data(entry.entry_id, STRANGER, TURN_ON, "TURN", assist=True)
    ]


async def test_two_accounts_answer_through_their_own_gateway(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    other_simulator: GatewaySimulator,
    entry: MockConfigEntry,
    sms: Sms,
) -> None:
    """Each account answers through its own gateway, in a conversation of its own."""
    other = await async_add_second_account(
        hass,
        other_simulator,
        {"Alice": ALICE},
        options={"assist_agent_id": HOME_ASSISTANT_AGENT},
    )

    await sms(ALICE, "what time is it")
    await sms(ALICE, TURN_ON, entry=other, gateway=other_simulator)

    assert [number for number, _ in sent(simulator)] == [ALICE]
    assert sent(other_simulator) == [(ALICE, "Turned on the light")]
    first, second = agent_inputs()
    assert first["conversation_id"] is None
    assert second["conversation_id"] is None


# A scripted agent, where an agent must fail, wait or talk at length

SCRIPTED_AGENT: Final = "scripted_agent"


class ScriptedAgent(conversation.AbstractConversationAgent):
    """Answers what it is told to, when it is let go; or fails."""

    def __init__(self) -> None:
        """Start answering "OK" at once."""
        self.answer = "OK"
        self.error: Exception | None = None
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()

    @property
    def supported_languages(self) -> Literal["*"]:
        """Return every language."""
        return MATCH_ALL

    async def async_process(
        self, user_input: conversation.ConversationInput
    ) -> conversation.ConversationResult:
        """Answer once released."""
        self.started.set()
        await self.release.wait()
        if self.error is not None:
            raise self.error
        response = intent.IntentResponse(language=user_input.language)
        response.async_set_speech(self.answer)
        return conversation.ConversationResult(
            response=response, conversation_id=user_input.conversation_id
        )


@pytest.fixture
def agent(hass: HomeAssistant) -> ScriptedAgent:
    """Return a scripted conversation agent with the id `scripted_agent`."""
    agent_entry = MockConfigEntry(domain="test", entry_id=SCRIPTED_AGENT)
    agent_entry.add_to_hass(hass)
    scripted = ScriptedAgent()
    conversation.async_set_agent(hass, agent_entry, scripted)
    return scripted


scripted = pytest.mark.parametrize(
    "assist_options", [{"assist_agent_id": SCRIPTED_AGENT}]
)


@scripted
async def test_the_webhook_does_not_wait_for_the_agent(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    entry: MockConfigEntry,
    sms: Sms,
    agent: ScriptedAgent,
) -> None:
    """The gateway gets its answer while the agent is still thinking; the reply follows."""
    agent.release.clear()
    agent.answer = "Done thinking"

    async with asyncio.timeout(10):
        await sms(ALICE, "think hard", wait=False)
        await agent.started.wait()
    assert sent(simulator) == []

    agent.release.set()
    await async_answered(hass)

    assert sent(simulator) == [(ALICE, "Done thinking")]


@scripted
async def test_a_long_answer_follows_the_long_message_option(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    entry: MockConfigEntry,
    sms: Sms,
    agent: ScriptedAgent,
) -> None:
    """An answer longer than one SMS is split, as the account's long-message option says."""
    agent.answer = " ".join(["word"] * 50)  # 249 characters: two SMS

    await sms(ALICE, "tell me a lot")

    parts = simulator.delivered(ALICE)
    assert len(parts) == 2
    assert " ".join(part.strip() for part in parts) == agent.answer


@scripted
async def test_an_agent_error_sends_nothing(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    entry: MockConfigEntry,
    sms: Sms,
    agent: ScriptedAgent,
    *,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An agent that fails leaves the gateway answered and the sender without a reply; the log says why."""
    agent.error = RuntimeError("the model is down")

    await sms(ALICE, "hello")

    assert sent(simulator) == []
    assert (
        f"The conversation agent {SCRIPTED_AGENT} could not answer an SMS"
        in caplog.text
    )

    # The next SMS is answered once the agent works again.
    agent.error = None
    await sms(ALICE, "hello again")
    assert sent(simulator) == [(ALICE, "OK")]


@pytest.mark.parametrize("assist_options", [{"assist_agent_id": "conversation.gone"}])
async def test_a_removed_agent_sends_nothing(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    entry: MockConfigEntry,
    sms: Sms,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An agent that no longer exists answers nothing; the log names it."""
    await sms(ALICE, TURN_ON)

    assert sent(simulator) == []
    assert state_of(hass, KITCHEN_LIGHT) == STATE_OFF
    assert "The conversation agent conversation.gone could not answer" in caplog.text


@scripted
async def test_unloading_while_the_agent_thinks_sends_nothing(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    entry: MockConfigEntry,
    sms: Sms,
    agent: ScriptedAgent,
) -> None:
    """Unloading the account ends its answers in progress: nothing is sent afterwards."""
    agent.release.clear()
    await sms(ALICE, "think hard", wait=False)
    async with asyncio.timeout(10):
        await agent.started.wait()

    assert await hass.config_entries.async_unload(entry.entry_id)
    agent.release.set()
    await async_answered(hass)

    assert sent(simulator) == []


async def test_a_failed_reply_fires_tatango_sms_failed(
    hass: HomeAssistant, simulator: GatewaySimulator, entry: MockConfigEntry, sms: Sms
) -> None:
    """A reply the gateway refuses fires tatango_sms_failed; Assist has still acted."""
    failed = async_capture_events(hass, f"{DOMAIN}_failed")
    simulator.block(BOB)

    await sms(BOB, TURN_ON)

    assert state_of(hass, KITCHEN_LIGHT) == STATE_ON
    assert [event.data for event in failed] == [
        {
            "recipient": BOB,
            "name": "Bob",
            "outcome": "blocked",
            "attempts": 1,
            "queued_for": 0,
            "config_entry_id": entry.entry_id,
        }
    ]


@scripted
@pytest.mark.freeze_time(tick=True)
async def test_the_reply_loop_guard(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    entry: MockConfigEntry,
    sms: Sms,
    *,
    agent: ScriptedAgent,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A number gets at most 5 answers in 10 minutes; beyond that Assist is silent and says so once in the log."""
    events = async_capture_events(hass, f"{DOMAIN}_received")
    caplog.set_level(logging.INFO, logger=OUR_LOGGER)

    for index in range(7):
        await sms(ALICE, f"message {index}")
        await async_advance_time(hass, freezer, 60)

    assert sent(simulator) == [(ALICE, "OK")] * 5
    assert [event.data["assist"] for event in events] == [True] * 5 + [False] * 2
    limit_logs = [
        record
        for record in caplog.records
        if record.name == OUR_LOGGER and "Not replying" in record.getMessage()
    ]
    assert [(r.levelno, r.getMessage()) for r in limit_logs] == [
        (
            logging.INFO,
            (
                "Not replying to Alice: it got 5 automatic replies in 10 minutes"
                " (a reply loop with another machine?)"
            ),
        )
    ]
    # Another number is not held back.
    await sms(BOB, "hello")
    assert sent(simulator)[-1] == (BOB, "OK")

    # Over 10 minutes after her first answer, Alice is answered again.
    await async_advance_time(hass, freezer, 200)
    await sms(ALICE, "are you back?")
    assert sent(simulator)[-1] == (ALICE, "OK")


# A minimal installation


async def test_assist_without_the_conversation_component(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    ha_url: str,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """Without Home Assistant's conversation component the account loads, and SMS are not answered."""
    config_entry = make_entry(
        simulator.messages_url,
        options={"assist_agent_id": HOME_ASSISTANT_AGENT},
        recipients={"Alice": ALICE},
    )
    await async_add_and_set_up(hass, config_entry)
    events = async_capture_events(hass, f"{DOMAIN}_received")
    client = await hass_client_no_auth()
    url = str(client.make_url(webhook_path(config_entry.data[CONF_WEBHOOK_ID])))

    assert await simulator.post_mo(ALICE, TURN_ON, url=url) == 200
    await async_answered(hass)

    assert "conversation" not in hass.config.components
    assert sent(simulator) == []
    assert [event.data["assist"] for event in events] == [False]


def test_the_oldest_numbers_are_forgotten_first() -> None:
    """SMS from ever new numbers cannot fill the memory: past 1,000 numbers the oldest one is forgotten."""
    replies = ReplyGuard()
    first = Recipient(ALICE)
    for _ in range(MAX_REPLIES):
        assert replies.allow(first)
    assert not replies.allow(first)

    for index in range(REMEMBERED):
        assert replies.allow(Recipient(f"312555{index:04d}"))

    # Forgotten, and so answered again.
    assert replies.allow(first)
