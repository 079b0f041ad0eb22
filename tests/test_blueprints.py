"""Tests of the automation blueprints in blueprints/automation/tatango_sms/.

The blueprints are loaded the way Home Assistant loads a user's blueprints:
copied into the configuration directory's blueprints folder and used by
automations with `use_blueprint:`. SMS reach them as the gateway posts them,
through the webhook; replies are checked at the gateway simulator.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import logging
from pathlib import Path
import shutil
from typing import Any, Final

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tatango_sms.const import DOMAIN
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.const import CONF_WEBHOOK_ID, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import extract_inputs, load_yaml_dict
from tatango_simulator import GatewaySimulator
from tatango_simulator.state import Direction

from .helpers import (
    Sms,
    async_add_and_set_up,
    async_add_second_account,
    make_entry,
    sent,
    state_of,
    until,
    webhook_path,
)

BLUEPRINTS: Final = (
    Path(__file__).parent.parent / "blueprints" / "automation" / "tatango_sms"
)
REPOSITORY: Final = "https://github.com/tatango-sms/ha-tatango-sms"
ALICE: Final = "2065550101"
"""A saved recipient's number."""
STRANGER: Final = "2065550199"
"""A number that is not a saved recipient."""
COMMAND_EVENT: Final = "tatango_test_command_ran"
GARAGE: Final = "input_boolean.garage"


@pytest.fixture(autouse=True)
def no_errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test in which anything (an automation, a failed send) logged a warning or an error."""
    yield
    problems = [
        f"{record.name}: {record.getMessage()}"
        for record in caplog.get_records("call")
        if record.levelno >= logging.WARNING
        # asyncio's debug mode (on in the test harness) warns of slow callbacks
        # whenever the machine is busy; that says nothing about the blueprints.
        and not record.name.startswith(
            ("homeassistant.loader", "aiohttp_fast_zlib", "asyncio")
        )
    ]
    assert problems == []


@pytest.fixture
def blueprints_installed(
    hass: HomeAssistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Install this repository's blueprints in a temporary configuration directory."""
    monkeypatch.setattr(hass.config, "config_dir", str(tmp_path))
    target = Path(hass.config.path("blueprints/automation/tatango_sms"))
    shutil.copytree(BLUEPRINTS, target)
    return target


@pytest.fixture
async def entry(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    ha_url: str,
    blueprints_installed: Path,
) -> MockConfigEntry:
    """Return a loaded account with Alice as its saved recipient; both phones opted in."""
    config_entry = make_entry(simulator.messages_url, recipients={"Alice": ALICE})
    await async_add_and_set_up(hass, config_entry)
    simulator.opt_in(ALICE)
    simulator.opt_in(STRANGER)
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"garage": {}}}
    )
    return config_entry


async def set_up_automations(hass: HomeAssistant, *configs: dict[str, Any]) -> None:
    """Set up automations from blueprints; fail unless each one loaded and is on."""
    automations = [
        {"id": f"test_{index}", "alias": f"Test {index}", **config}
        for index, config in enumerate(configs)
    ]
    assert await async_setup_component(hass, "automation", {"automation": automations})
    await hass.async_block_till_done()
    for index in range(len(configs)):
        state = hass.states.get(f"automation.test_{index}")
        assert state is not None, f"automation {index} was not created"
        assert state.state == STATE_ON


def command(**inputs: Any) -> dict[str, Any]:
    """Return an automation config that uses the SMS command blueprint."""
    return {"use_blueprint": {"path": "tatango_sms/sms_command.yaml", "input": inputs}}


def auto_reply(**inputs: Any) -> dict[str, Any]:
    """Return an automation config that uses the auto-reply blueprint."""
    return {"use_blueprint": {"path": "tatango_sms/auto_reply.yaml", "input": inputs}}


def ask_and_act(**inputs: Any) -> dict[str, Any]:
    """Return an automation config that uses the ask-and-act blueprint."""
    return {"use_blueprint": {"path": "tatango_sms/ask_and_act.yaml", "input": inputs}}


GARAGE_COMMAND: Final = {
    "keyword": "garage",
    "command_actions": [
        {"action": "input_boolean.turn_on", "target": {"entity_id": GARAGE}},
        {
            "event": COMMAND_EVENT,
            "event_data": {
                # Templates that render to a number become one: keep this a string.
                "sender": "from {{ trigger.event.data.sender }}",
                "content": "{{ trigger.event.data.content }}",
                "recipient": "{{ trigger.event.data.recipient }}",
            },
        },
    ],
    "reply": "Garage is {{ states('input_boolean.garage') }}",
}


def mos_from(simulator: GatewaySimulator, number: str) -> list[str]:
    """Return what a phone texted Home Assistant, in order."""
    return [
        entry.text
        for entry in simulator.state.phone(number).conversation
        if entry.direction is Direction.MO
    ]


# The blueprint files


@pytest.mark.parametrize(
    ("file_name", "inputs"),
    [
        (
            "sms_command.yaml",
            {"keyword", "command_actions", "reply", "saved_recipients_only"},
        ),
        ("auto_reply.yaml", {"reply", "max_sms", "saved_recipients_only"}),
    ],
)
def test_blueprint_metadata(file_name: str, inputs: set[str]) -> None:
    """Each blueprint is a valid automation blueprint pointing at its own file in the repository."""
    blueprint = Blueprint(
        load_yaml_dict(BLUEPRINTS / file_name),
        path=f"tatango_sms/{file_name}",
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )
    assert blueprint.validate() is None
    metadata = blueprint.metadata
    assert metadata["source_url"] == (
        f"{REPOSITORY}/blob/main/blueprints/automation/tatango_sms/{file_name}"
    )
    assert metadata["homeassistant"] == {"min_version": "2025.4.0"}
    assert set(blueprint.inputs) == inputs
    assert extract_inputs(blueprint.data) == inputs
    assert blueprint.data["triggers"] == [
        {"trigger": "event", "event_type": f"{DOMAIN}_received"}
    ]
    for name, spec in blueprint.inputs.items():
        assert spec["name"], name
        assert spec["description"], name


def test_ask_and_act_metadata() -> None:
    """The ask-and-act blueprint is a valid automation blueprint, triggered by an entity's state."""
    blueprint = Blueprint(
        load_yaml_dict(BLUEPRINTS / "ask_and_act.yaml"),
        path="tatango_sms/ask_and_act.yaml",
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )
    assert blueprint.validate() is None
    metadata = blueprint.metadata
    assert metadata["name"] == "Ask by SMS and act on the answer"
    assert metadata["source_url"] == (
        f"{REPOSITORY}/blob/main/blueprints/automation/tatango_sms/ask_and_act.yaml"
    )
    assert metadata["homeassistant"] == {"min_version": "2025.4.0"}
    inputs = {
        "trigger_entity",
        "trigger_state",
        "trigger_for",
        "recipient",
        "question",
        "append_answers",
        *(f"answer_{n}{suffix}" for n in (1, 2, 3) for suffix in ("", "_actions")),
        "no_answer_actions",
        "timeout",
        "config_entry_id",
    }
    assert set(blueprint.inputs) == inputs
    assert extract_inputs(blueprint.data) == inputs
    assert [trigger["trigger"] for trigger in blueprint.data["triggers"]] == ["state"]
    for name, spec in blueprint.inputs.items():
        assert spec["name"], name


# SMS command


async def test_command_runs_actions_then_replies(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    sms: Sms,
) -> None:
    """The keyword, in any case, runs the actions; the reply, rendered afterwards, goes to the sender."""
    await set_up_automations(hass, command(**GARAGE_COMMAND))
    events = async_capture_events(hass, COMMAND_EVENT)
    assert state_of(hass, GARAGE) == STATE_OFF

    await sms(ALICE, "GaRaGe please")

    assert state_of(hass, GARAGE) == STATE_ON
    assert [event.data for event in events] == [
        {"sender": f"from {ALICE}", "content": "GaRaGe please", "recipient": "Alice"}
    ]
    assert sent(simulator) == [(ALICE, "Garage is on")]
    assert simulator.delivered(ALICE) == ["Garage is on"]


@pytest.mark.parametrize(
    "content",
    ["Garages please", "open the garage", "", "   ", "gar age"],
)
async def test_command_ignores_other_keywords(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    sms: Sms,
    content: str,
) -> None:
    """An SMS whose first word is not the keyword runs nothing and gets no reply."""
    await set_up_automations(hass, command(**GARAGE_COMMAND))
    events = async_capture_events(hass, COMMAND_EVENT)

    await sms(ALICE, content)

    assert state_of(hass, GARAGE) == STATE_OFF
    assert events == []
    assert sent(simulator) == []


async def test_command_ignores_strangers_by_default(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    sms: Sms,
) -> None:
    """By default only saved recipients can run a command; a stranger's SMS does nothing."""
    await set_up_automations(hass, command(**GARAGE_COMMAND))

    await sms(STRANGER, "garage")

    assert state_of(hass, GARAGE) == STATE_OFF
    assert sent(simulator) == []

    await sms(ALICE, "garage")

    assert state_of(hass, GARAGE) == STATE_ON
    assert sent(simulator) == [(ALICE, "Garage is on")]


async def test_command_from_anyone(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    sms: Sms,
) -> None:
    """With "only from saved recipients" off, a stranger can run the command and gets the reply."""
    await set_up_automations(
        hass, command(**GARAGE_COMMAND, saved_recipients_only=False)
    )
    events = async_capture_events(hass, COMMAND_EVENT)

    await sms(STRANGER, "GARAGE")

    assert state_of(hass, GARAGE) == STATE_ON
    assert [event.data for event in events] == [
        {"sender": f"from {STRANGER}", "content": "GARAGE", "recipient": None}
    ]
    assert sent(simulator) == [(STRANGER, "Garage is on")]


async def test_command_reply_only_and_actions_only(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    sms: Sms,
) -> None:
    """A command without actions only replies; a command without a reply only acts, silently."""
    await set_up_automations(
        hass,
        command(keyword=" Ping ", reply="PONG {{ trigger.event.data.recipient }}"),
        command(
            keyword="GARAGE",
            command_actions=GARAGE_COMMAND["command_actions"],
        ),
    )

    await sms(ALICE, "ping")
    await sms(ALICE, "Garage")

    assert state_of(hass, GARAGE) == STATE_ON
    assert sent(simulator) == [(ALICE, "PONG Alice")]


async def test_commands_side_by_side(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    sms: Sms,
) -> None:
    """Several commands each answer only their own keyword."""
    await set_up_automations(
        hass,
        command(**GARAGE_COMMAND),
        command(
            keyword="close",
            command_actions=[
                {"action": "input_boolean.turn_off", "target": {"entity_id": GARAGE}}
            ],
            reply="Closed",
        ),
    )

    await sms(ALICE, "garage")
    await sms(ALICE, "close it")

    assert state_of(hass, GARAGE) == STATE_OFF
    assert sent(simulator) == [(ALICE, "Garage is on"), (ALICE, "Closed")]


# Auto-reply

AUTOMATIC_REPLY: Final = (
    "Thanks, your message was received. This is an automatic reply."
)
REVERSED: Final = "{{ trigger.event.data.content[::-1] }}"
"""The gateway documentation's example reply: as long as the SMS it answers."""


async def test_auto_reply_default_reply(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    sms: Sms,
) -> None:
    """By default anyone gets the same short reply in one SMS, however long their SMS was."""
    await set_up_automations(hass, auto_reply())

    await sms(STRANGER, "Hello, world! <3 & 🏠")
    await sms(ALICE, "x" * 1600)

    assert sent(simulator) == [(STRANGER, AUTOMATIC_REPLY), (ALICE, AUTOMATIC_REPLY)]
    assert simulator.delivered(STRANGER) == [AUTOMATIC_REPLY]


async def test_auto_reply_is_one_sms_by_default(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    sms: Sms,
) -> None:
    """A reply longer than one SMS is cut to one, at a space: one SMS received makes at most one sent."""
    await set_up_automations(hass, auto_reply(reply=REVERSED))
    words = " ".join(f"w{i:04}" for i in range(266))

    await sms(STRANGER, words)

    # Words of five characters and a space: 26 of them fit in 160 characters.
    reply = words[::-1]
    assert sent(simulator) == [(STRANGER, reply[:156])]
    assert reply[155] == " "


async def test_auto_reply_longer_when_allowed(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    sms: Sms,
) -> None:
    """With "Longest reply" raised, a long reply goes out in that many SMS at most."""
    await set_up_automations(hass, auto_reply(reply=REVERSED, max_sms=3))

    await sms(STRANGER, "a" * 1600)
    await sms(ALICE, "b" * 200)

    assert sent(simulator) == [
        (STRANGER, "a" * 160),
        (STRANGER, "a" * 160),
        (STRANGER, "a" * 160),
        (ALICE, "b" * 160),
        (ALICE, "b" * 40),
    ]


async def test_auto_reply_to_a_new_number_invites_it(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    sms: Sms,
) -> None:
    """A reply to a number that has not opted in is accepted by the gateway and held until it does."""
    await set_up_automations(hass, auto_reply())
    newcomer = "2065550177"

    await sms(newcomer, "abc")

    assert [(r.recipient, r.message, r.status) for r in simulator.requests] == [
        (newcomer, AUTOMATIC_REPLY, 202)
    ]
    simulator.opt_in(newcomer)
    assert simulator.delivered(newcomer) == [AUTOMATIC_REPLY]


async def test_auto_reply_saved_recipients_only(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    sms: Sms,
) -> None:
    """With "only to saved recipients" on, strangers get no reply."""
    await set_up_automations(hass, auto_reply(saved_recipients_only=True))

    await sms(STRANGER, "hello")
    await sms(ALICE, "hello")

    assert sent(simulator) == [(ALICE, AUTOMATIC_REPLY)]


async def test_auto_reply_custom_and_empty_replies(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    sms: Sms,
) -> None:
    """The reply can be any template; a reply that comes out empty is not sent."""
    await set_up_automations(
        hass,
        auto_reply(
            reply=(
                "{% if trigger.event.data.keyword != 'QUIET' %}"
                "Thanks {{ trigger.event.data.recipient or 'stranger' }}, got "
                "{{ trigger.event.data.content | length }} characters"
                "{% endif %}"
            )
        ),
    )

    await sms(ALICE, "hi there")
    await sms(STRANGER, "quiet please")
    await sms(STRANGER, "yo")

    assert sent(simulator) == [
        (ALICE, "Thanks Alice, got 8 characters"),
        (STRANGER, "Thanks stranger, got 2 characters"),
    ]


async def test_auto_reply_to_an_empty_message_sends_nothing(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    sms: Sms,
) -> None:
    """The reverse of an empty SMS is empty: nothing is sent, and nothing fails."""
    await set_up_automations(hass, auto_reply(reply=REVERSED))

    await sms(ALICE, "")
    await sms(ALICE, "  ")

    assert sent(simulator) == []


async def test_replies_go_out_through_the_receiving_account(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    other_simulator: GatewaySimulator,
    sms: Sms,
) -> None:
    """With two accounts, each reply is sent by the account that received the SMS."""
    other = await async_add_second_account(hass, other_simulator, {"Alice": ALICE})
    await set_up_automations(
        hass, auto_reply(reply=REVERSED), command(**GARAGE_COMMAND)
    )

    await sms(ALICE, "one")
    await sms(ALICE, "two", entry=other, gateway=other_simulator)
    await sms(ALICE, "garage", entry=other, gateway=other_simulator)

    assert sent(simulator) == [(ALICE, "eno")]
    # The two automations triggered by "garage" run side by side, in no set order.
    assert sorted(sent(other_simulator)) == [
        (ALICE, "Garage is on"),
        (ALICE, "egarag"),
        (ALICE, "owt"),
    ]


async def test_two_auto_replies_stop_after_five(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A phone whose auto-reply answers ours gets five replies in ten minutes, then silence, logged once."""
    await set_up_automations(hass, auto_reply())
    client = await hass_client_no_auth()
    simulator.mo_url = str(client.make_url(webhook_path(entry.data[CONF_WEBHOOK_ID])))
    simulator.set_auto_reply(ALICE, "I am away until Monday.")
    caplog.set_level(logging.INFO, logger="custom_components.tatango_sms")

    # The phones answer each other over real sockets.
    assert await simulator.post_mo(ALICE, "Are you home?") == 200
    await until(lambda: len(mos_from(simulator, ALICE)) >= 6)
    await asyncio.sleep(0.5)
    await hass.async_block_till_done()

    assert len(simulator.delivered(ALICE)) == 5
    assert mos_from(simulator, ALICE) == [
        "Are you home?",
        *["I am away until Monday."] * 5,
    ]
    assert [
        record.getMessage()
        for record in caplog.records
        if record.getMessage().startswith("Not replying")
    ] == [
        (
            "Not replying to Alice: it got 5 automatic replies in 10 minutes"
            " (a reply loop with another machine?)"
        )
    ]


# Ask by SMS and act on the answer

ANSWER_EVENT: Final = "tatango_test_answer"


def answer_event(name: str) -> list[dict[str, Any]]:
    """Return actions that fire ANSWER_EVENT with the answer's name and the ask's response."""
    return [
        {
            "event": ANSWER_EVENT,
            "event_data": {
                "name": name,
                "reply": "{{ reply.reply }}",
                "timed_out": "{{ reply.timed_out }}",
            },
        }
    ]


GARAGE_QUESTION: Final = {
    "trigger_entity": GARAGE,
    "trigger_state": "on",
    "recipient": "Alice",
    "question": "The garage is {{ states('input_boolean.garage') }}. Close it?",
    "answer_1": "close",
    "answer_1_actions": [
        {"action": "input_boolean.turn_off", "target": {"entity_id": GARAGE}}
    ],
    "answer_2": "Ignore",
    "answer_2_actions": answer_event("ignore"),
    "answer_3": " later ",
    "answer_3_actions": answer_event("later"),
    "no_answer_actions": answer_event("none"),
}


async def open_the_garage(hass: HomeAssistant, simulator: GatewaySimulator) -> None:
    """Turn the garage on and wait for the question it makes the automation send.

    The automation then waits for the reply, so nothing here waits for it.
    """
    hass.states.async_set(GARAGE, STATE_ON)
    await until(lambda: len(simulator.requests) == 1)


async def test_ask_and_act_on_the_first_answer(
    hass: HomeAssistant, simulator: GatewaySimulator, sms: Sms
) -> None:
    """The entity's state sends the question with the answers; the reply runs its answer's actions.

    Other blueprints leave the reply to the question alone.
    """
    await set_up_automations(
        hass, ask_and_act(**GARAGE_QUESTION), auto_reply(), command(**GARAGE_COMMAND)
    )
    answers = async_capture_events(hass, ANSWER_EVENT)

    await open_the_garage(hass, simulator)
    assert sent(simulator) == [
        (ALICE, "The garage is on. Close it? Reply CLOSE, IGNORE or LATER.")
    ]

    await sms(ALICE, "Close")

    assert state_of(hass, GARAGE) == STATE_OFF
    assert answers == []
    assert len(simulator.requests) == 1


@pytest.mark.parametrize(
    ("reply", "answer"), [("IGNORE it", "ignore"), ("later!", "later")]
)
async def test_ask_and_act_on_another_answer(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    sms: Sms,
    *,
    reply: str,
    answer: str,
) -> None:
    """The second and third answers run their own actions."""
    await set_up_automations(hass, ask_and_act(**GARAGE_QUESTION))
    answers = async_capture_events(hass, ANSWER_EVENT)
    await open_the_garage(hass, simulator)

    await sms(ALICE, reply)

    assert state_of(hass, GARAGE) == STATE_ON
    assert [event.data for event in answers] == [
        {"name": answer, "reply": reply, "timed_out": False}
    ]


async def test_ask_and_act_without_an_answer(
    hass: HomeAssistant, simulator: GatewaySimulator, sms: Sms
) -> None:
    """When no answer comes in time the "no answer" actions run; a one-answer question says so."""
    await set_up_automations(
        hass,
        ask_and_act(
            **(GARAGE_QUESTION | {"answer_2": "", "answer_3": ""}),
            timeout={"seconds": 1},
        ),
    )
    answers = async_capture_events(hass, ANSWER_EVENT)
    await open_the_garage(hass, simulator)
    assert sent(simulator) == [(ALICE, "The garage is on. Close it? Reply CLOSE.")]

    await hass.async_block_till_done()

    assert state_of(hass, GARAGE) == STATE_ON
    assert [event.data for event in answers] == [
        {"name": "none", "reply": None, "timed_out": True}
    ]


async def test_ask_and_act_through_the_chosen_account(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    other_simulator: GatewaySimulator,
    sms: Sms,
) -> None:
    """With two accounts the question goes through the chosen one, as written when told so."""
    other = await async_add_second_account(hass, other_simulator, {"Alice": ALICE})
    await set_up_automations(
        hass,
        ask_and_act(
            **GARAGE_QUESTION
            | {
                "question": "Garage open. Reply CLOSE to close it.",
                "append_answers": False,
                "config_entry_id": other.entry_id,
            }
        ),
    )

    await open_the_garage(hass, other_simulator)
    await sms(ALICE, "close", entry=other, gateway=other_simulator)

    assert state_of(hass, GARAGE) == STATE_OFF
    assert sent(other_simulator) == [(ALICE, "Garage open. Reply CLOSE to close it.")]
    assert sent(simulator) == []


@pytest.fixture
async def assist(hass: HomeAssistant) -> None:
    """Set up Assist with Home Assistant's own agent (before the HTTP server starts)."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})


async def test_commands_leave_sms_answered_by_assist_alone(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    entry: MockConfigEntry,
    assist: None,
    sms: Sms,
) -> None:
    """With Assist over SMS on, the SMS it answers run no command and get no auto-reply; others do."""
    hass.config_entries.async_update_entry(
        entry, options={"assist_agent_id": "conversation.home_assistant"}
    )
    await hass.async_block_till_done()
    await set_up_automations(
        hass,
        command(**GARAGE_COMMAND, saved_recipients_only=False),
        auto_reply(reply=REVERSED),
    )

    await sms(ALICE, "garage")
    await hass.async_block_till_done(wait_background_tasks=True)

    assert state_of(hass, GARAGE) == STATE_OFF
    # Only Assist answered Alice.
    assert [number for number, _ in sent(simulator)] == [ALICE]

    # Assist answers only saved recipients: a stranger's SMS is the blueprints'.
    await sms(STRANGER, "garage")

    assert state_of(hass, GARAGE) == STATE_ON
    assert sorted(sent(simulator)[1:]) == [
        (STRANGER, "Garage is on"),
        (STRANGER, "egarag"),
    ]
