"""Tests of the tatango_sms.ask action: a question by SMS, and the reply it waits for.

Questions are checked at the gateway simulator; replies arrive as the gateway
posts them, through the webhook. Assist over SMS is on (Home Assistant's own
agent), to show that it leaves the replies to a waiting question alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Final

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.tatango_sms.const import DOMAIN
from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component
from tatango_simulator import GatewaySimulator

from .conftest import ALICE_NUMBER, BOB_NUMBER
from .helpers import (
    Sms,
    async_add_and_set_up,
    async_add_second_account,
    async_advance_time,
    make_entry,
    sent,
    until,
)

ALICE: Final = ALICE_NUMBER
BOB: Final = BOB_NUMBER
NEWCOMER: Final = "2065550177"
"""A number that has not opted in yet: the gateway invites it."""
QUESTION: Final = "Close the garage?"
YES_OR_NO: Final = "Reply YES or NO."


@pytest.fixture
async def entry(
    hass: HomeAssistant, simulator: GatewaySimulator, ha_url: str
) -> MockConfigEntry:
    """Return a loaded account with Assist over SMS on, and Alice and Bob saved and opted in."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    config_entry = make_entry(
        simulator.messages_url,
        options={"assist_agent_id": "conversation.home_assistant"},
        recipients={"Alice": ALICE, "Bob": BOB},
    )
    await async_add_and_set_up(hass, config_entry)
    simulator.opt_in(ALICE)
    simulator.opt_in(BOB)
    return config_entry


def response(
    reply: str | None,
    answer: str | None,
    *,
    timed_out: bool = False,
    delivered: bool = True,
) -> dict[str, Any]:
    """Return the ask action's response."""
    return {
        "reply": reply,
        "answer": answer,
        "timed_out": timed_out,
        "delivered": delivered,
    }


def ask(hass: HomeAssistant, **data: Any) -> asyncio.Task[ServiceResponse]:
    """Start a tatango_sms.ask action; it runs until the reply, the timeout or an error."""
    return asyncio.create_task(
        hass.services.async_call(
            DOMAIN, "ask", data, blocking=True, return_response=True
        )
    )


async def asked(simulator: GatewaySimulator, count: int = 1) -> None:
    """Wait until the gateway has received `count` sends."""
    await until(lambda: len(simulator.requests) >= count)


async def test_ask_returns_the_matched_answer(
    hass: HomeAssistant, simulator: GatewaySimulator, entry: MockConfigEntry, sms: Sms
) -> None:
    """The question goes out with the accepted answers; the reply's first word, in any case, is the answer."""
    received = async_capture_events(hass, f"{DOMAIN}_received")
    task = ask(hass, recipient="alice", message=QUESTION, answers=["yes", "no"])
    await asked(simulator)
    assert sent(simulator) == [(ALICE, f"{QUESTION} {YES_OR_NO}")]

    await sms(ALICE, "Yes, please")

    assert await task == response("Yes, please", "yes")
    # Assist left the reply alone: nothing more was sent.
    assert len(simulator.requests) == 1
    assert [(e.data["assist"], e.data["reply_to_ask"]) for e in received] == [
        (False, True)
    ]

    # Once answered, the number's SMS are Assist's again.
    await sms(ALICE, "what time is it")
    assert [(e.data["assist"], e.data["reply_to_ask"]) for e in received][-1] == (
        True,
        False,
    )
    assert len(simulator.requests) == 2


async def test_a_reply_matching_no_answer_is_told_the_answers(
    hass: HomeAssistant, simulator: GatewaySimulator, entry: MockConfigEntry, sms: Sms
) -> None:
    """A reply that matches no answer gets the accepted answers by SMS, and the wait goes on."""
    received = async_capture_events(hass, f"{DOMAIN}_received")
    task = ask(hass, recipient=ALICE, message=QUESTION, answers=["Yes", "No"])
    await asked(simulator)

    await sms(ALICE, "maybe later")
    await asked(simulator, 2)
    assert not task.done()
    await sms(ALICE, "NO.")

    assert await task == response("NO.", "No")
    assert sent(simulator) == [
        (ALICE, f"{QUESTION} {YES_OR_NO}"),
        (ALICE, YES_OR_NO),
    ]
    assert [e.data["reply_to_ask"] for e in received] == [True, True]


async def test_after_three_reminders_the_ask_gives_up(
    hass: HomeAssistant, simulator: GatewaySimulator, entry: MockConfigEntry, sms: Sms
) -> None:
    """Three replies matching no answer get a reminder each; the fourth ends the wait with no answer."""
    task = ask(
        hass, recipient=ALICE, message="Which door?", answers=["front", "back", "side"]
    )
    await asked(simulator)
    # An empty reply matches nothing either.
    for count, reply in enumerate(["", "huh", "what?"], start=2):
        await sms(ALICE, reply)
        await asked(simulator, count)
    await sms(ALICE, "the garage")

    assert await task == response("the garage", None)
    assert sent(simulator) == [
        (ALICE, "Which door? Reply FRONT, BACK or SIDE."),
        (ALICE, "Reply FRONT, BACK or SIDE."),
        (ALICE, "Reply FRONT, BACK or SIDE."),
        (ALICE, "Reply FRONT, BACK or SIDE."),
    ]


@pytest.mark.freeze_time(tick=True)
async def test_no_reply_times_out(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    entry: MockConfigEntry,
    sms: Sms,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Without a matching reply the ask ends after its timeout, 5 minutes by default."""
    received = async_capture_events(hass, f"{DOMAIN}_received")
    task = ask(hass, recipient=ALICE, message=QUESTION, answers=["yes", "no"])
    await asked(simulator)
    await sms(ALICE, "hmm")

    await async_advance_time(hass, freezer, 4 * 60)
    assert not task.done()
    await async_advance_time(hass, freezer, 61)

    assert await task == response("hmm", None, timed_out=True)
    # Nobody waits any more: the next SMS goes to Assist.
    await sms(ALICE, "yes")
    assert [e.data["reply_to_ask"] for e in received] == [True, False]


async def test_a_short_timeout_and_no_reply(
    hass: HomeAssistant, simulator: GatewaySimulator, entry: MockConfigEntry
) -> None:
    """A timeout given in seconds ends the wait with no reply at all."""
    result = await ask(hass, recipient=BOB, message="Home yet?", timeout=1)

    assert result == response(None, None, timed_out=True)
    assert sent(simulator) == [(BOB, "Home yet?")]


async def test_without_answers_any_reply_ends_the_wait(
    hass: HomeAssistant, simulator: GatewaySimulator, entry: MockConfigEntry, sms: Sms
) -> None:
    """Without answers the question is sent as it is and the first reply is returned."""
    task = ask(hass, recipient=BOB, message="What should I cook?")
    await asked(simulator)
    await sms(BOB, "pasta!")

    assert await task == response("pasta!", None)
    assert sent(simulator) == [(BOB, "What should I cook?")]


async def test_the_answers_need_not_be_appended(
    hass: HomeAssistant, simulator: GatewaySimulator, entry: MockConfigEntry, sms: Sms
) -> None:
    """With append_answers off the question is sent as written; answers still match."""
    message = "Garage open for 10 minutes. Reply CLOSE to close it."
    task = ask(
        hass, recipient=BOB, message=message, answers=["close"], append_answers=False
    )
    await asked(simulator)
    await sms(BOB, "close")

    response = await task
    assert response is not None
    assert response["answer"] == "close"
    assert sent(simulator) == [(BOB, message)]


async def test_a_second_ask_to_the_same_number_fails_at_once(
    hass: HomeAssistant, simulator: GatewaySimulator, entry: MockConfigEntry, sms: Sms
) -> None:
    """While a question waits for a number, another to it fails at once; other numbers can be asked."""
    first = ask(hass, recipient=ALICE, message=QUESTION, answers=["yes", "no"])
    await asked(simulator)

    with pytest.raises(HomeAssistantError) as err:
        await ask(hass, recipient="Alice", message="Lights off?", answers=["yes"])
    assert err.value.translation_key == "ask_pending"
    assert str(err.value) == (
        "A question to Alice (2065550101) is already waiting for a reply;"
        " wait until it ends"
    )

    second = ask(hass, recipient=BOB, message="Lights off?", answers=["yes", "no"])
    await asked(simulator, 2)
    await sms(BOB, "no")
    await sms(ALICE, "yes")

    assert (await first or {})["answer"] == "yes"
    assert (await second or {})["answer"] == "no"
    assert sent(simulator) == [
        (ALICE, f"{QUESTION} {YES_OR_NO}"),
        (BOB, f"Lights off? {YES_OR_NO}"),
    ]


async def test_a_question_that_fails_ends_the_ask(
    hass: HomeAssistant, simulator: GatewaySimulator, entry: MockConfigEntry, sms: Sms
) -> None:
    """A question the gateway refuses fails the action with the send's error; nothing waits."""
    received = async_capture_events(hass, f"{DOMAIN}_received")
    simulator.block(ALICE)

    with pytest.raises(HomeAssistantError) as err:
        await ask(hass, recipient=ALICE, message=QUESTION)
    assert err.value.translation_key == "send_failed_blocked"
    assert str(err.value) == (
        "The number blocked messages from this account. Not sent: Alice (2065550101): blocked"
    )

    await sms(ALICE, "yes")
    assert [e.data["reply_to_ask"] for e in received] == [False]


@pytest.mark.parametrize(
    ("recipient", "prepare"),
    [
        # Queued: the gateway's queue is down; the outbox delivers it later.
        (ALICE, lambda simulator: simulator.set_queue_down(True)),
        # Invited: the gateway holds it until the number opts in.
        (NEWCOMER, lambda simulator: None),
    ],
    ids=["queued", "invited"],
)
async def test_a_question_not_delivered_yet_still_waits(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    entry: MockConfigEntry,
    sms: Sms,
    *,
    recipient: str,
    prepare: Callable[[GatewaySimulator], None],
) -> None:
    """A queued or invited question still waits for the reply, and says it was not delivered yet."""
    prepare(simulator)
    task = ask(hass, recipient=recipient, message=QUESTION, answers=["yes", "no"])
    await asked(simulator)
    await sms(recipient, "yes")

    assert await task == response("yes", "yes", delivered=False)


async def test_unloading_ends_the_wait(
    hass: HomeAssistant, simulator: GatewaySimulator, entry: MockConfigEntry, sms: Sms
) -> None:
    """Unloading the account ends a waiting question with a clear error; nothing is left waiting."""
    received = async_capture_events(hass, f"{DOMAIN}_received")
    task = ask(hass, recipient=ALICE, message=QUESTION, answers=["yes", "no"])
    await asked(simulator)

    assert await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(HomeAssistantError) as err:
        await task
    assert err.value.translation_key == "ask_ended"
    assert str(err.value) == (
        "The Tatango SMS account Tatango SMS was unloaded while the question"
        " waited for a reply"
    )

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await sms(ALICE, "yes")
    assert [e.data["reply_to_ask"] for e in received] == [False]


async def test_a_cancelled_ask_stops_waiting(
    hass: HomeAssistant, simulator: GatewaySimulator, entry: MockConfigEntry, sms: Sms
) -> None:
    """An ask cancelled while it waits (its automation stopped or restarted) leaves nothing waiting."""
    received = async_capture_events(hass, f"{DOMAIN}_received")
    task = ask(hass, recipient=ALICE, message=QUESTION, answers=["yes", "no"])
    await asked(simulator)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await sms(ALICE, "yes")

    assert [e.data["reply_to_ask"] for e in received] == [False]
    again = ask(hass, recipient=ALICE, message=QUESTION, answers=["yes", "no"])
    await asked(simulator, 3)
    await sms(ALICE, "no")
    assert await again == response("no", "no")


async def test_two_accounts(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    other_simulator: GatewaySimulator,
    entry: MockConfigEntry,
    sms: Sms,
) -> None:
    """With two accounts the ask names one; only a reply to that account answers it."""
    other = await async_add_second_account(hass, other_simulator, {"Alice": ALICE})

    with pytest.raises(ServiceValidationError) as err:
        await ask(hass, recipient=ALICE, message=QUESTION)
    assert err.value.translation_key == "config_entry_required"

    received = async_capture_events(hass, f"{DOMAIN}_received")
    task = ask(
        hass,
        recipient="Alice",
        message=QUESTION,
        answers=["yes", "no"],
        config_entry_id=other.entry_id,
    )
    await asked(other_simulator)
    await sms(ALICE, "no")
    assert not task.done()
    await sms(ALICE, "yes", entry=other, gateway=other_simulator)

    assert (await task or {})["answer"] == "yes"
    assert sent(other_simulator) == [(ALICE, f"{QUESTION} {YES_OR_NO}")]
    assert [(e.data["config_entry_id"], e.data["reply_to_ask"]) for e in received] == [
        (entry.entry_id, False),
        (other.entry_id, True),
    ]


@pytest.mark.parametrize(
    ("data", "translation_key"),
    [
        ({"message": "  "}, "empty_message"),
        ({"answers": ["yes please"]}, "invalid_answer"),
        ({"answers": ["yes", ""]}, "invalid_answer"),
        ({"timeout": {"hours": 24, "seconds": 1}}, "invalid_timeout"),
        ({"timeout": 0}, "invalid_timeout"),
        ({"recipient": "Carol"}, "unknown_recipient"),
        ({"recipient": "12345"}, "invalid_phone_number"),
    ],
)
async def test_bad_input_is_refused(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    entry: MockConfigEntry,
    *,
    data: dict[str, Any],
    translation_key: str,
) -> None:
    """Bad input fails the action with a clear error, and nothing is sent."""
    with pytest.raises(ServiceValidationError) as err:
        await ask(hass, **({"recipient": ALICE, "message": QUESTION} | data))

    assert err.value.translation_key == translation_key
    assert simulator.requests == []


async def test_reminders_count_against_the_reply_loop_guard(
    hass: HomeAssistant, simulator: GatewaySimulator, entry: MockConfigEntry, sms: Sms
) -> None:
    """A number that had 5 automatic replies in 10 minutes gets no reminder; its answer still counts."""
    for _ in range(5):
        await sms(ALICE, "what time is it")
    assert len(simulator.requests) == 5

    task = ask(hass, recipient=ALICE, message=QUESTION, answers=["yes", "no"])
    await asked(simulator, 6)
    await sms(ALICE, "what?")
    await sms(ALICE, "yes")

    assert (await task or {})["answer"] == "yes"
    assert len(simulator.requests) == 6
