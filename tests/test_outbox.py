"""Tests for the durable outbox: queued messages are delivered once, in order, or reported.

Time is driven by freezegun with ``tick=True``: the clock (and the event loop)
keeps running in real time, so sockets and client timeouts behave, and
``async_advance_time`` jumps it forward to run the outbox's retries.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
import copy
from dataclasses import dataclass
import json
import logging
from typing import Any, Final

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.tatango_sms import outbox as outbox_module
from custom_components.tatango_sms.const import (
    CONF_KEY,
    CONF_MAX_QUEUE_AGE,
    DOMAIN,
    EVENT_FAILED,
    EVENT_SENT,
    MAX_CONCURRENT_SENDS,
    SERVICE_SEND_MESSAGE,
)
from custom_components.tatango_sms.diagnostics import async_get_config_entry_diagnostics
from custom_components.tatango_sms.outbox import Outbox, retry_delay
from custom_components.tatango_sms.tatango.gateway import TatangoGateway
from custom_components.tatango_sms.tatango.phone import split_message
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_URL
from homeassistant.core import CoreState, Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from tatango_simulator import GatewaySimulator

from .conftest import ALICE_NUMBER, BOB_NUMBER, STRANGER_NUMBER
from .const import TEST_KEY, TEST_PASSWORD
from .helpers import async_advance_time, queued_messages

pytestmark = pytest.mark.freeze_time(tick=True)

EVENT_FIELDS: Final = {
    "recipient",
    "name",
    "outcome",
    "attempts",
    "queued_for",
    "config_entry_id",
}
ACCEPTED: Final = (200, 202)
NEW_PASSWORD: Final = "n3w-password"


def outbox_key(entry: MockConfigEntry) -> str:
    """Return the storage key of an entry's outbox."""
    return f"{DOMAIN}.{entry.entry_id}.outbox"


@dataclass(slots=True)
class Message:
    """One message to one number, as the action reported it."""

    number: str
    text: str
    outcome: str
    """What the action said: sent, invited, queued, or error."""


class Ledger:
    """Sends single-part messages with unique texts and checks that none is lost or doubled.

    Texts must be unique per test: the simulator's request log is matched to
    messages by recipient and text.
    """

    def __init__(self, hass: HomeAssistant, simulator: GatewaySimulator) -> None:
        """Start listening for the outbox's outcome events."""
        self.hass = hass
        self.simulator = simulator
        self.messages: list[Message] = []
        self.events: list[Event] = []

        @callback
        def record(event: Event) -> None:
            self.events.append(event)

        hass.bus.async_listen(EVENT_SENT, record)
        hass.bus.async_listen(EVENT_FAILED, record)

    async def send(self, text: str, *numbers: str) -> list[str]:
        """Send one text to numbers with the action; return each recipient's outcome."""
        response = await self.hass.services.async_call(
            DOMAIN,
            SERVICE_SEND_MESSAGE,
            {"message": text, "recipients": list(numbers)},
            blocking=True,
            return_response=True,
        )
        assert response is not None
        outcomes = []
        for item in response["recipients"]:  # type: ignore[union-attr]
            assert isinstance(item, dict)
            self.messages.append(Message(item["recipient"], text, item["outcome"]))
            outcomes.append(item["outcome"])
        return outcomes

    async def send_failing(self, text: str, number: str) -> str:
        """Send one text to one number, expecting the action to fail; return the error."""
        with pytest.raises(HomeAssistantError) as exc_info:
            await self.hass.services.async_call(
                DOMAIN,
                SERVICE_SEND_MESSAGE,
                {"message": text, "recipients": [number]},
                blocking=True,
                return_response=True,
            )
        self.messages.append(Message(number, text, "error"))
        return str(exc_info.value)

    def events_for(self, number: str) -> list[dict[str, Any]]:
        """Return the data of the outcome events for one number, in order."""
        return [
            {"event_type": e.event_type, **e.data}
            for e in self.events
            if e.data["recipient"] == number
        ]

    def fates(self) -> list[tuple[Message, dict[str, Any] | None]]:
        """Pair each queued message with its outcome event (None while still queued).

        The outbox keeps each number's messages in order, so the n-th event for
        a number is about its n-th queued message.
        """
        queued: defaultdict[str, list[Message]] = defaultdict(list)
        for message in self.messages:
            if message.outcome == "queued":
                queued[message.number].append(message)
        numbers = {event.data["recipient"] for event in self.events}
        assert numbers <= set(queued), "an outcome event for a message never queued"
        pairs: list[tuple[Message, dict[str, Any] | None]] = []
        for number, messages in queued.items():
            events = self.events_for(number)
            assert len(events) <= len(messages), f"more events than messages: {number}"
            pairs.extend(zip(messages, events, strict=False))
            pairs.extend((message, None) for message in messages[len(events) :])
        return pairs

    def assert_accounted_for(self, *, still_queued: int = 0) -> None:
        """Assert every message was taken at most once and ended known: sent, unknown or failed.

        Only `still_queued` messages may still wait in the outbox.
        """
        requests: defaultdict[tuple[str | None, str | None], list[int | None]] = (
            defaultdict(list)
        )
        for request in self.simulator.requests:
            requests[request.recipient, request.message].append(request.status)
        for message in self.messages:
            statuses = requests[message.number, message.text]
            taken = sum(status in ACCEPTED for status in statuses)
            assert taken <= 1, f"{message} was taken {taken} times: {statuses}"
            if message.outcome in ("sent", "invited"):
                assert statuses == [200 if message.outcome == "sent" else 202]
            elif message.outcome == "error":
                assert len(statuses) <= 1, f"{message} was resent: {statuses}"
        pending = 0
        for message, event in self.fates():
            statuses = requests[message.number, message.text]
            if event is None:
                pending += 1
                assert not any(status in ACCEPTED for status in statuses), message
                continue
            # Every try is one request: nothing is posted twice in one try.
            assert event["attempts"] == len(statuses), (message, event, statuses)
            if event["event_type"] == EVENT_SENT:
                assert event["outcome"] in ("sent", "invited"), event
                assert statuses[-1] == (200 if event["outcome"] == "sent" else 202)
            elif event["outcome"] == "unknown":
                # The gateway may have it; it was not posted again.
                assert statuses, event
            else:
                assert event["outcome"], event
                assert not any(status in ACCEPTED for status in statuses), event
        assert pending == still_queued, f"{pending} still queued"


@pytest.fixture
def ledger(hass: HomeAssistant, simulator: GatewaySimulator) -> Ledger:
    """Return a ledger for this test's messages."""
    return Ledger(hass, simulator)


def numbers_for(count: int) -> list[str]:
    """Return distinct valid numbers that are not saved recipients."""
    return [f"206555{1000 + i}" for i in range(count)]


async def async_wait_for_requests(simulator: GatewaySimulator, count: int) -> None:
    """Wait (in real time) until the simulator has received count requests."""
    async with asyncio.timeout(10):
        while len(simulator.requests) < count:
            await asyncio.sleep(0.01)


# Outages


async def test_outage_delivers_every_message_once_in_order(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    ledger: Ledger,
) -> None:
    """While the queue is down messages queue; once it is back each is delivered exactly once, in order per number."""
    numbers = [ALICE_NUMBER, BOB_NUMBER, STRANGER_NUMBER]
    for number in numbers:
        simulator.opt_in(number)
    simulator.set_queue_down(True)
    texts: dict[str, list[str]] = {number: [] for number in numbers}
    for i in range(4):
        for number in numbers[: 3 - i // 2]:
            text = f"Message {i} for {number}"
            assert await ledger.send(text, number) == ["queued"]
            texts[number].append(text)

    # Only the first message to each number went to the gateway; the rest wait behind it.
    assert [r.status for r in simulator.requests] == [503] * 3
    assert queued_messages(hass) == 10

    # Retries while the queue is still down: only each number's first message is tried.
    await async_advance_time(hass, freezer, 60)
    await async_advance_time(hass, freezer, 120)
    assert {r.message for r in simulator.requests} == {
        texts[number][0] for number in numbers
    }
    assert queued_messages(hass) == 10

    # The gateway works again; a new message still waits behind the queued ones.
    simulator.set_queue_down(False)
    assert await ledger.send("Late for Alice", ALICE_NUMBER) == ["queued"]
    texts[ALICE_NUMBER].append("Late for Alice")
    assert simulator.delivered(ALICE_NUMBER) == []

    await async_advance_time(hass, freezer, 15 * 60)

    for number in numbers:
        assert simulator.delivered(number) == texts[number]
    assert queued_messages(hass) == 0
    assert all(e.event_type == EVENT_SENT for e in ledger.events)
    assert len(ledger.events) == 11
    ledger.assert_accounted_for()

    # Nothing more is sent later.
    count = len(simulator.requests)
    await async_advance_time(hass, freezer, 3600)
    assert len(simulator.requests) == count


def test_retry_delay_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The wait is 30 s doubling per try up to 15 min, with at most 20 % jitter either way."""
    delays = [retry_delay(1) for _ in range(200)]
    assert all(24 <= delay <= 36 for delay in delays)
    assert len(set(delays)) > 100  # jittered

    monkeypatch.setattr(outbox_module.random, "uniform", lambda low, high: low)
    assert [round(retry_delay(n), 6) for n in range(1, 9)] == [
        24,
        48,
        96,
        192,
        384,
        720,
        720,
        720,
    ]
    monkeypatch.setattr(outbox_module.random, "uniform", lambda low, high: high)
    assert [round(retry_delay(n), 6) for n in (1, 5, 6, 50)] == [36, 576, 1080, 1080]


async def test_retries_back_off(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    ledger: Ledger,
) -> None:
    """The first retry comes within a minute, later ones wait longer, never more than 15 min + 20 %."""
    simulator.opt_in(ALICE_NUMBER)
    simulator.set_queue_down(True)
    assert await ledger.send("Keep trying", ALICE_NUMBER) == ["queued"]

    step = 5
    for _ in range(10):
        count = len(simulator.requests)
        waited = 0
        while len(simulator.requests) == count:
            await async_advance_time(hass, freezer, step)
            waited += step
            assert waited <= 1100, "no retry within 15 min + 20 %"
    times = [r.timestamp for r in simulator.requests]
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]

    assert len(gaps) == 10
    assert gaps[0] < 60
    for n, gap in enumerate(gaps, start=1):
        base = min(30 * 2 ** (n - 1), 15 * 60)
        assert 0.8 * base - 1 <= gap <= 1.2 * base + step + 1, (n, gaps)
    # Doubling outruns the jitter: each wait is longer until the cap.
    assert gaps[:6] == sorted(gaps[:6])
    assert queued_messages(hass) == 1

    simulator.set_queue_down(False)
    await async_advance_time(hass, freezer, 20 * 60)
    assert simulator.delivered(ALICE_NUMBER) == ["Keep trying"]
    (event,) = ledger.events
    assert event.data["attempts"] == 12
    ledger.assert_accounted_for()


# Restarts and storage


@pytest.mark.parametrize("entry_options", [{"max_sms_per_hour": 0}])  # no limit
async def test_thousand_queued_messages_survive_restart(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    ledger: Ledger,
) -> None:
    """1,000 queued messages are on disk when Home Assistant stops, and all are delivered once after it starts."""
    simulator = ledger.simulator
    numbers = numbers_for(20)
    for number in numbers:
        simulator.opt_in(number)
    simulator.set_queue_down(True)
    for i in range(50):
        assert await ledger.send(f"Reading {i:02d}", *numbers) == ["queued"] * 20
    assert queued_messages(hass) == 1000
    assert len(simulator.requests) == 20

    # Home Assistant stops; the outbox is on disk.
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    await hass.async_block_till_done()
    stored = hass_storage[outbox_key(setup_entry)]["data"]
    assert len(stored) == 1000
    assert [item["parts"] for item in stored if item["number"] == numbers[7]] == [
        [f"Reading {i:02d}"] for i in range(50)
    ]
    simulator.set_queue_down(False)
    await async_advance_time(hass, freezer, 3600)
    assert len(simulator.requests) == 20  # nothing is sent while stopped

    # Home Assistant starts again.
    simulator.set_queue_down(True)
    assert await hass.config_entries.async_setup(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert queued_messages(hass) == 1000

    simulator.set_queue_down(False)
    await async_advance_time(hass, freezer, 15 * 60)

    for number in numbers:
        assert simulator.delivered(number) == [f"Reading {i:02d}" for i in range(50)]
    assert queued_messages(hass) == 0
    assert len(ledger.events) == 1000
    ledger.assert_accounted_for()
    assert hass_storage[outbox_key(setup_entry)]["data"] == []


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param({"version": 1, "data": {"messages": []}}, id="dict"),
        pytest.param({"version": 1, "data": "garbage"}, id="string"),
        pytest.param({"version": 1, "data": [1, 2, 3]}, id="numbers"),
        pytest.param({"version": 1, "data": [{"id": "x"}]}, id="missing-fields"),
        pytest.param(
            {
                "version": 1,
                "data": [
                    {
                        "id": "x",
                        "number": ALICE_NUMBER,
                        "name": None,
                        "parts": ["Hi"],
                        "queued_at": "yesterday",
                        "next_attempt": "soon",
                        "attempts": "many",
                    }
                ],
            },
            id="wrong-types",
        ),
        pytest.param(
            {
                "version": 1,
                "data": [
                    {
                        "id": "x",
                        "number": ALICE_NUMBER,
                        "name": None,
                        "parts": [],
                        "queued_at": 0.0,
                        "next_attempt": 0.0,
                        "attempts": 0,
                    }
                ],
            },
            id="no-parts",
        ),
        pytest.param({"version": 99, "data": []}, id="unknown-version"),
    ],
)
async def test_corrupt_storage_starts_clean(
    hass: HomeAssistant,
    tatango_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    stored: dict[str, Any],
) -> None:
    """An outbox file that cannot be read is reported in the log; the account loads with an empty outbox."""
    hass_storage[outbox_key(tatango_entry)] = {
        "key": outbox_key(tatango_entry),
        **stored,
    }
    tatango_entry.add_to_hass(hass)
    with caplog.at_level(logging.WARNING):
        assert await async_setup_component(hass, DOMAIN, {})
        await hass.async_block_till_done()

    assert tatango_entry.state is ConfigEntryState.LOADED
    assert "The outbox could not be read and starts empty" in caplog.text
    assert queued_messages(hass) == 0
    response = await hass.services.async_call(
        DOMAIN,
        SERVICE_SEND_MESSAGE,
        {"message": "Still works", "recipients": ["Alice"]},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["recipients"][0]["outcome"] == "invited"  # type: ignore[index]


# Outcomes of queued messages


@pytest.mark.parametrize("entry_options", [{CONF_MAX_QUEUE_AGE: 1}])
async def test_max_age_expires(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    ledger: Ledger,
) -> None:
    """A message still queued after the maximum age is given up: a failed event with outcome expired."""
    simulator.opt_in(ALICE_NUMBER)
    simulator.set_queue_down(True)
    assert await ledger.send("Old news", ALICE_NUMBER) == ["queued"]
    start = dt_util.utcnow()
    await async_advance_time(hass, freezer, 20 * 60)
    assert await ledger.send("Newer news", ALICE_NUMBER) == ["queued"]

    while (dt_util.utcnow() - start).total_seconds() < 2 * 3600:
        await async_advance_time(hass, freezer, 60)

    # The first expired; the second, queued 20 min later, was tried after that.
    assert len(ledger.events) == 2
    assert [e.event_type for e in ledger.events] == [EVENT_FAILED] * 2
    assert [e.data["outcome"] for e in ledger.events] == ["expired"] * 2
    for event in ledger.events:
        assert 3600 <= event.data["queued_for"] <= 3600 + 20 * 60
    assert queued_messages(hass) == 0
    old_tries = [r.timestamp for r in simulator.requests if r.message == "Old news"]
    assert all((time - start).total_seconds() < 3600 for time in old_tries)
    assert any(r.message == "Newer news" for r in simulator.requests)
    ledger.assert_accounted_for()

    simulator.set_queue_down(False)
    await async_advance_time(hass, freezer, 3600)
    assert simulator.delivered(ALICE_NUMBER) == []


async def test_slow_gateway_is_unknown_and_not_resent(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    ledger: Ledger,
) -> None:
    """A queued message the gateway takes but answers too late for is reported unknown and never posted again."""
    simulator = ledger.simulator
    url_default, _ = TatangoGateway.__init__.__defaults__  # type: ignore[misc]
    monkeypatch.setattr(TatangoGateway.__init__, "__defaults__", (url_default, 0.2))
    assert await hass.config_entries.async_reload(setup_entry.entry_id)
    await hass.async_block_till_done()
    simulator.opt_in(ALICE_NUMBER)
    simulator.set_queue_down(True)
    assert await ledger.send("Slow one", ALICE_NUMBER) == ["queued"]

    simulator.set_queue_down(False)
    simulator.set_latency(2)
    await async_advance_time(hass, freezer, 60)

    (event,) = ledger.events
    assert event.event_type == EVENT_FAILED
    assert event.data["outcome"] == "unknown"
    assert event.data["attempts"] == 2
    assert queued_messages(hass) == 0

    simulator.set_latency(0)
    for _ in range(8):
        await async_advance_time(hass, freezer, 15 * 60)
    assert [r.message for r in simulator.requests] == ["Slow one", "Slow one"]
    assert [r.status for r in simulator.requests] == [503, 200]
    # The gateway took it: it arrived exactly once.
    assert simulator.delivered(ALICE_NUMBER) == ["Slow one"]
    ledger.assert_accounted_for()


async def test_dropped_retry_is_unknown_and_the_next_message_follows(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    ledger: Ledger,
) -> None:
    """A retry whose connection drops after sending is unknown and not resent; the next queued message goes on."""
    simulator.opt_in(ALICE_NUMBER)
    simulator.set_queue_down(True)
    assert await ledger.send("Dropped", ALICE_NUMBER) == ["queued"]
    assert await ledger.send("After", ALICE_NUMBER) == ["queued"]

    simulator.set_queue_down(False)
    simulator.drop_connections(1)
    await async_advance_time(hass, freezer, 60)
    await async_advance_time(hass, freezer, 3600)

    assert [(e.event_type, e.data["outcome"]) for e in ledger.events] == [
        (EVENT_FAILED, "unknown"),
        (EVENT_SENT, "sent"),
    ]
    assert [(r.message, r.status) for r in simulator.requests] == [
        ("Dropped", 503),
        ("Dropped", None),
        ("After", 200),
    ]
    assert simulator.delivered(ALICE_NUMBER) == ["After"]
    ledger.assert_accounted_for()


async def test_blocked_while_queued(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    ledger: Ledger,
) -> None:
    """A 403 for a queued message fails it as blocked, and the later ones fail without contacting the gateway."""
    simulator = ledger.simulator
    simulator.opt_in(ALICE_NUMBER)
    simulator.set_queue_down(True)
    for text in ("One", "Two", "Three"):
        assert await ledger.send(text, ALICE_NUMBER) == ["queued"]
    simulator.block(ALICE_NUMBER)
    simulator.set_queue_down(False)

    await async_advance_time(hass, freezer, 60)

    assert [(e.event_type, e.data["outcome"]) for e in ledger.events] == [
        (EVENT_FAILED, "blocked")
    ] * 3
    assert [(r.message, r.status) for r in simulator.requests] == [
        ("One", 503),
        ("One", 403),
    ]
    assert queued_messages(hass) == 0
    assert len(issue_registry.issues) == 1
    # Later sends are refused without contacting the gateway.
    assert "blocked" in await ledger.send_failing("Four", ALICE_NUMBER)
    assert len(simulator.requests) == 2
    ledger.assert_accounted_for()


async def queue_then_answer(
    ledger: Ledger, number: str, texts: list[str], status: int
) -> None:
    """Queue texts to an opted-in number while the queue is down; its next try gets status."""
    simulator = ledger.simulator
    simulator.opt_in(number)
    simulator.set_queue_down(True)
    for text in texts:
        assert await ledger.send(text, number) == ["queued"]
    simulator.set_queue_down(False)
    simulator.force_status(status, number=number)


async def test_rejected_number_while_queued(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    ledger: Ledger,
) -> None:
    """A 400 for a queued message fails that message; the next one to the number is still tried."""
    await queue_then_answer(ledger, BOB_NUMBER, ["Rejected", "Fine"], 400)

    await async_advance_time(hass, freezer, 60)

    assert [(e.event_type, e.data["outcome"]) for e in ledger.events] == [
        (EVENT_FAILED, "invalid_phone_number"),
        (EVENT_SENT, "sent"),
    ]
    assert simulator.delivered(BOB_NUMBER) == ["Fine"]
    ledger.assert_accounted_for()


def reauth_flows(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Return the reauthentication flows in progress."""
    return [
        flow
        for flow in hass.config_entries.flow.async_progress()
        if flow["context"]["source"] == SOURCE_REAUTH
    ]


async def test_refused_credentials_pause_the_outbox(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    ledger: Ledger,
    *,
    hass_storage: dict[str, Any],
) -> None:
    """A 401 fails the message and asks to reauthenticate; the rest wait, and are delivered with the new password."""
    numbers = numbers_for(MAX_CONCURRENT_SENDS + 2)
    for number in numbers:
        simulator.opt_in(number)
    simulator.set_queue_down(True)
    for i in range(2):
        assert await ledger.send(f"Note {i}", *numbers) == ["queued"] * len(numbers)
    before = len(simulator.requests)

    # The password was changed at the gateway while the queue was down.
    simulator.state.password = NEW_PASSWORD
    simulator.set_queue_down(False)
    simulator.set_latency(0.1)
    await async_advance_time(hass, freezer, 60)

    refused = simulator.requests[before:]
    # The tries already under way when the first 401 came back got one too; no try started after it.
    assert [r.status for r in refused] == [401] * MAX_CONCURRENT_SENDS
    assert [e.data["outcome"] for e in ledger.events] == ["invalid_auth"] * len(refused)
    (flow,) = reauth_flows(hass)
    assert queued_messages(hass) == 2 * len(numbers) - len(refused)

    # Nothing is tried, nor written to disk again, while the reauthentication is pending.
    simulator.set_latency(0)
    await async_advance_time(hass, freezer, 60)
    saved = hass_storage[outbox_key(setup_entry)]
    for _ in range(8 * 6):
        await async_advance_time(hass, freezer, 10 * 60)
    assert len(simulator.requests) == before + len(refused)
    assert hass_storage[outbox_key(setup_entry)] is saved

    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_KEY: TEST_KEY, CONF_PASSWORD: NEW_PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert setup_entry.state is ConfigEntryState.LOADED
    await async_advance_time(hass, freezer, 60)

    refused_texts = {(r.recipient, r.message) for r in refused}
    for number in numbers:
        assert simulator.delivered(number) == [
            text for text in ("Note 0", "Note 1") if (number, text) not in refused_texts
        ]
    assert queued_messages(hass) == 0
    assert reauth_flows(hass) == []
    ledger.assert_accounted_for()


async def test_reauth_with_the_same_credentials_resumes_the_outbox(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    ledger: Ledger,
) -> None:
    """A 401 the gateway gave by mistake: confirming the same key and password starts the outbox again."""
    await queue_then_answer(ledger, ALICE_NUMBER, ["First", "Second"], 401)

    await async_advance_time(hass, freezer, 60)
    (flow,) = reauth_flows(hass)
    assert [e.data["outcome"] for e in ledger.events] == ["invalid_auth"]
    # The outbox notices the pending reauthentication and waits; a message
    # sent meanwhile queues behind the others (and the outbox is saved).
    await async_advance_time(hass, freezer, 60)
    assert await ledger.send("Third", ALICE_NUMBER) == ["queued"]

    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_KEY: TEST_KEY, CONF_PASSWORD: TEST_PASSWORD}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    await async_advance_time(hass, freezer, 60)

    assert simulator.delivered(ALICE_NUMBER) == ["Second", "Third"]
    assert queued_messages(hass) == 0
    ledger.assert_accounted_for()


def reauth_issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """Return Home Assistant's "reauthentication required" repair issue of the entry."""
    return ir.async_get(hass).async_get_issue(
        "homeassistant", f"config_entry_reauth_{DOMAIN}_{entry.entry_id}"
    )


@pytest.mark.parametrize("new_password", [True, False], ids=["new-password", "same"])
async def test_reconfigure_answers_the_reauthentication(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    ledger: Ledger,
    *,
    new_password: bool,
) -> None:
    """After a 401, saving Reconfigure (with a new password, or unchanged after a 401 by mistake) answers the reauthentication.

    Its flow and repair issue are gone and the outbox goes on at once.
    """
    await queue_then_answer(ledger, ALICE_NUMBER, ["First", "Second"], 401)
    await async_advance_time(hass, freezer, 60)
    assert len(reauth_flows(hass)) == 1
    assert reauth_issue(hass, setup_entry) is not None
    await async_advance_time(hass, freezer, 60)  # the outbox sees it and waits
    changes = {CONF_URL: simulator.messages_url}
    if new_password:
        simulator.state.password = NEW_PASSWORD
        changes[CONF_PASSWORD] = NEW_PASSWORD

    result = await setup_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], changes)
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    await async_advance_time(hass, freezer, 60)

    assert reauth_flows(hass) == []
    assert reauth_issue(hass, setup_entry) is None
    assert simulator.delivered(ALICE_NUMBER) == ["Second"]
    assert queued_messages(hass) == 0
    ledger.assert_accounted_for()


async def test_401_while_reconfigure_is_open_pauses_the_outbox(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    ledger: Ledger,
) -> None:
    """A 401 while the user has Reconfigure open (so no reauthentication can start) pauses the outbox: nothing else fails."""
    await queue_then_answer(ledger, ALICE_NUMBER, ["First", "Second", "Third"], 401)
    simulator.state.password = NEW_PASSWORD
    result = await setup_entry.start_reconfigure_flow(hass)

    for _ in range(10):
        await async_advance_time(hass, freezer, 60)
    assert [e.data["outcome"] for e in ledger.events] == ["invalid_auth"]
    assert reauth_flows(hass) == []

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: simulator.messages_url, CONF_PASSWORD: NEW_PASSWORD},
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    await async_advance_time(hass, freezer, 60)

    assert simulator.delivered(ALICE_NUMBER) == ["Second", "Third"]
    ledger.assert_accounted_for()


# Crashes: what a kill -9 leaves on disk, read by the next start


async def async_unload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload the entry; an outbox delivering finishes the message under way."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def async_restart_from(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    on_disk: dict[str, Any],
) -> list[Event]:
    """Set the (unloaded) entry up from the outbox as it was on disk; return the outcome events of the start."""
    hass_storage[outbox_key(entry)] = on_disk
    events: list[Event] = []

    @callback
    def record(event: Event) -> None:
        events.append(event)

    hass.bus.async_listen(EVENT_SENT, record)
    hass.bus.async_listen(EVENT_FAILED, record)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return events


async def async_kill_while_posting(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    *,
    hass_storage: dict[str, Any],
    requests: int,
) -> dict[str, Any]:
    """Retry the queued messages through a slow gateway; return the outbox on disk when it holds request `requests`.

    That is what a kill -9 at that moment leaves behind. The entry is then
    unloaded (which lets the request under way finish).
    """
    simulator.set_queue_down(False)
    simulator.set_latency(0.3)
    freezer.tick(60)
    async_fire_time_changed(hass)
    await async_wait_for_requests(simulator, requests)
    on_disk = copy.deepcopy(hass_storage[outbox_key(entry)])
    await async_unload(hass, entry)
    simulator.set_latency(0)
    return on_disk


def stored_messages(on_disk: dict[str, Any]) -> list[tuple[list[str], bool, int]]:
    """Return (parts, in flight, attempts) of each message of a stored outbox."""
    return [
        (item["parts"], item.get("in_flight", False), item["attempts"])
        for item in on_disk["data"]
    ]


async def test_crash_while_posting_is_unknown_and_never_resent(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """A message being posted when Home Assistant died is reported unknown at the next start and never posted again.

    The outbox on disk while the gateway holds the request is what a kill -9
    at that moment leaves behind. The messages behind it are still delivered.
    """
    ledger = Ledger(hass, simulator)
    simulator.opt_in(ALICE_NUMBER)
    simulator.set_queue_down(True)
    assert await ledger.send("In flight", ALICE_NUMBER) == ["queued"]
    assert await ledger.send("Behind it", ALICE_NUMBER) == ["queued"]

    on_disk = await async_kill_while_posting(
        hass, setup_entry, simulator, freezer, hass_storage=hass_storage, requests=2
    )
    # The gateway held the retry: on disk it was in flight, its try counted.
    assert stored_messages(on_disk) == [
        (["In flight"], True, 2),
        (["Behind it"], False, 0),
    ]
    assert [(r.message, r.status) for r in simulator.requests] == [
        ("In flight", 503),
        ("In flight", 200),
    ]

    events = await async_restart_from(hass, setup_entry, hass_storage, on_disk)

    unknown = events[0]
    assert (unknown.event_type, unknown.data) == (
        EVENT_FAILED,
        {
            "recipient": ALICE_NUMBER,
            "name": "Alice",
            "outcome": "unknown",
            "attempts": 2,
            "queued_for": unknown.data["queued_for"],
            "config_entry_id": setup_entry.entry_id,
        },
    )
    # The message behind it was due long ago: it goes at once.
    await async_advance_time(hass, freezer, 60)
    assert [(e.event_type, e.data["outcome"]) for e in events[1:]] == [
        (EVENT_SENT, "sent")
    ]
    assert simulator.delivered(ALICE_NUMBER) == ["In flight", "Behind it"]
    assert [r.message for r in simulator.requests] == [
        "In flight",
        "In flight",
        "Behind it",
    ]
    assert queued_messages(hass) == 0


async def test_crash_between_parts_sends_no_part_again(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """A split message keeps on disk only the parts the gateway has not taken; after a crash mid-message none is sent again."""
    text = " ".join(f"word{i:03d}" for i in range(50))
    first, second, third = split_message(text)
    simulator.opt_in(ALICE_NUMBER)
    simulator.set_queue_down(True)
    assert await Ledger(hass, simulator).send(text, ALICE_NUMBER) == ["queued"]

    # The first part was taken and the gateway holds the second.
    on_disk = await async_kill_while_posting(
        hass, setup_entry, simulator, freezer, hass_storage=hass_storage, requests=3
    )
    assert stored_messages(on_disk) == [([second, third], True, 2)]
    count = len(simulator.requests)

    events = await async_restart_from(hass, setup_entry, hass_storage, on_disk)
    for _ in range(4):
        await async_advance_time(hass, freezer, 15 * 60)

    assert [(e.event_type, e.data["outcome"], e.data["attempts"]) for e in events] == [
        (EVENT_FAILED, "unknown", 2)
    ]
    assert len(simulator.requests) == count
    assert [r.message for r in simulator.requests[:3]] == [first, first, second]
    assert queued_messages(hass) == 0


async def test_each_answer_is_on_disk_before_the_next_post(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """At every post of a delivery round, the disk holds the answers to the posts before it: a crash at any point resends nothing."""
    texts = [f"Step {i}" for i in range(4)]
    simulator.opt_in(ALICE_NUMBER)
    simulator.set_queue_down(True)
    for text in texts:
        assert await Ledger(hass, simulator).send(text, ALICE_NUMBER) == ["queued"]
    simulator.set_queue_down(False)
    seen: list[list[tuple[list[str], bool, int]]] = []
    original = simulator.state.handle_send

    def handle_send(pairs: list[tuple[str, str]]) -> int | None:
        # The moment the gateway takes a request: what is on disk now?
        seen.append(stored_messages(hass_storage[outbox_key(setup_entry)]))
        return original(pairs)

    simulator.state.handle_send = handle_send  # type: ignore[method-assign]
    await async_advance_time(hass, freezer, 60)

    assert seen == [
        [
            (["Step 0"], True, 2),
            (["Step 1"], False, 0),
            (["Step 2"], False, 0),
            (["Step 3"], False, 0),
        ],
        [(["Step 1"], True, 1), (["Step 2"], False, 0), (["Step 3"], False, 0)],
        [(["Step 2"], True, 1), (["Step 3"], False, 0)],
        [(["Step 3"], True, 1)],
    ]
    assert simulator.delivered(ALICE_NUMBER) == texts
    assert hass_storage[outbox_key(setup_entry)]["data"] == []


async def test_nothing_is_posted_while_home_assistant_stops(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    ledger: Ledger,
    *,
    hass_storage: dict[str, Any],
) -> None:
    """While Home Assistant stops (when its store writes only at the very end), the outbox posts nothing and marks nothing in flight."""
    simulator.opt_in(ALICE_NUMBER)
    simulator.set_queue_down(True)
    assert await ledger.send("Wait for me", ALICE_NUMBER) == ["queued"]
    simulator.set_queue_down(False)

    hass.set_state(CoreState.stopping)
    try:
        await async_advance_time(hass, freezer, 60)
        await asyncio.sleep(0.2)  # real time: nor does its timer fire on and on
    finally:
        hass.set_state(CoreState.running)
    assert len(simulator.requests) == 1
    assert stored_messages(hass_storage[outbox_key(setup_entry)]) == [
        (["Wait for me"], False, 1)
    ]

    # The next start delivers it.
    assert await hass.config_entries.async_reload(setup_entry.entry_id)
    await async_advance_time(hass, freezer, 60)
    assert simulator.delivered(ALICE_NUMBER) == ["Wait for me"]
    ledger.assert_accounted_for()


# The timer


async def test_a_later_message_due_first_does_not_wake_the_outbox(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    ledger: Ledger,
    *,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A number's first message waits on a 503 and a later one to it is due first: Home Assistant stays idle until the first is due.

    Only a number's first message is ever tried; the timer used to wait for
    the later one and then fire again at once, thousands of times a second.
    """
    wake_ups = 0
    async_due = Outbox._async_due  # noqa: SLF001

    async def counted(self: Outbox, now: Any) -> None:
        nonlocal wake_ups
        wake_ups += 1
        await async_due(self, now)

    monkeypatch.setattr(Outbox, "_async_due", counted)
    simulator.opt_in(ALICE_NUMBER)
    simulator.set_queue_down(True)
    assert await ledger.send("First", ALICE_NUMBER) == ["queued"]
    await async_advance_time(hass, freezer, 40)  # retried: 503 again
    assert len(simulator.requests) == 2
    # The first now waits 48-72 s; a new message behind it is due in 24-36 s.
    assert await ledger.send("Second", ALICE_NUMBER) == ["queued"]
    wake_ups = 0

    await async_advance_time(hass, freezer, 42)
    await asyncio.sleep(0.5)  # real time, in which a busy timer fires on and on

    assert wake_ups == 0
    assert len(simulator.requests) == 2
    simulator.set_queue_down(False)
    await async_advance_time(hass, freezer, 40)
    assert wake_ups == 1
    assert simulator.delivered(ALICE_NUMBER) == ["First", "Second"]
    ledger.assert_accounted_for()


# Unloading


async def test_unload_pauses_and_setup_resumes(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    ledger: Ledger,
) -> None:
    """An unloaded account sends nothing and keeps its queued messages; set up again, it delivers them."""
    simulator = ledger.simulator
    simulator.opt_in(ALICE_NUMBER)
    simulator.opt_in(BOB_NUMBER)
    simulator.set_queue_down(True)
    for i in range(3):
        assert await ledger.send(f"Alice {i}", ALICE_NUMBER) == ["queued"]
        assert await ledger.send(f"Bob {i}", BOB_NUMBER) == ["queued"]

    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    await hass.async_block_till_done()
    simulator.set_queue_down(False)
    count = len(simulator.requests)
    for _ in range(4):
        await async_advance_time(hass, freezer, 15 * 60)
    assert len(simulator.requests) == count
    assert len(hass_storage[outbox_key(setup_entry)]["data"]) == 6
    ledger.assert_accounted_for(still_queued=6)

    assert await hass.config_entries.async_setup(setup_entry.entry_id)
    await hass.async_block_till_done()
    await async_advance_time(hass, freezer, 60)

    assert simulator.delivered(ALICE_NUMBER) == ["Alice 0", "Alice 1", "Alice 2"]
    assert simulator.delivered(BOB_NUMBER) == ["Bob 0", "Bob 1", "Bob 2"]
    ledger.assert_accounted_for()


async def test_unload_during_delivery_stops_it(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    ledger: Ledger,
) -> None:
    """Unloading while queued messages are being delivered stops after the message under way; none is sent twice."""
    simulator.opt_in(ALICE_NUMBER)
    simulator.set_queue_down(True)
    texts = [f"Part of a series {i}" for i in range(6)]
    for text in texts:
        assert await ledger.send(text, ALICE_NUMBER) == ["queued"]
    simulator.set_queue_down(False)
    simulator.set_latency(0.2)

    # The retry starts; unload while the first message is under way.
    freezer.tick(60)
    async_fire_time_changed(hass)
    await async_wait_for_requests(simulator, 2)
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    count = len(simulator.requests)
    await hass.async_block_till_done()
    await asyncio.sleep(1)  # real time: a delivery still running would go on
    assert len(simulator.requests) == count == 2
    assert simulator.delivered(ALICE_NUMBER) == texts[:1]
    ledger.assert_accounted_for(still_queued=5)

    simulator.set_latency(0)
    assert await hass.config_entries.async_setup(setup_entry.entry_id)
    await hass.async_block_till_done()
    await async_advance_time(hass, freezer, 60)

    assert simulator.delivered(ALICE_NUMBER) == texts
    assert queued_messages(hass) == 0
    ledger.assert_accounted_for()


# What users see: events, sensor, diagnostics


async def test_outcome_events_carry_exactly_the_documented_fields(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    ledger: Ledger,
) -> None:
    """Outcome events carry recipient, name, outcome, attempts, queued_for and the entry id, never the hash."""
    simulator.opt_in(ALICE_NUMBER)
    simulator.opt_in(STRANGER_NUMBER)
    simulator.set_queue_down(True)
    assert await ledger.send("To Alice", ALICE_NUMBER) == ["queued"]
    assert await ledger.send("To a stranger", STRANGER_NUMBER) == ["queued"]
    simulator.set_queue_down(False)
    simulator.force_status(400, number=STRANGER_NUMBER)

    await async_advance_time(hass, freezer, 60)

    sent, failed = sorted(ledger.events, key=lambda e: e.event_type, reverse=True)
    assert sent.event_type == EVENT_SENT
    assert failed.event_type == EVENT_FAILED
    for event in ledger.events:
        assert set(event.data) == EVENT_FIELDS
        assert 55 <= event.data["queued_for"] <= 65
        assert isinstance(event.data["attempts"], int)
        hashes = {r.hash for r in simulator.requests}
        assert not hashes & {str(value) for value in event.data.values()}
    assert sent.data == {
        "recipient": ALICE_NUMBER,
        "name": "Alice",
        "outcome": "sent",
        "attempts": 2,
        "queued_for": sent.data["queued_for"],
        "config_entry_id": setup_entry.entry_id,
    }
    assert failed.data == {
        "recipient": STRANGER_NUMBER,
        "name": None,
        "outcome": "invalid_phone_number",
        "attempts": 2,
        "queued_for": failed.data["queued_for"],
        "config_entry_id": setup_entry.entry_id,
    }
    ledger.assert_accounted_for()


async def test_sensor_follows_the_outbox_and_diagnostics_show_it(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    ledger: Ledger,
) -> None:
    """The queued-messages sensor counts what waits; diagnostics list it with numbers and texts left out.

    The integration's diagnostics are called directly: the download view
    imports modules that cannot be imported while time is frozen
    (test_diagnostics.py covers the view).
    """
    simulator.opt_in(ALICE_NUMBER)
    simulator.opt_in(STRANGER_NUMBER)
    assert queued_messages(hass) == 0

    simulator.set_queue_down(True)
    assert await ledger.send("Secret one", ALICE_NUMBER) == ["queued"]
    assert queued_messages(hass) == 1
    assert await ledger.send("Secret two", ALICE_NUMBER, STRANGER_NUMBER) == [
        "queued",
        "queued",
    ]
    assert queued_messages(hass) == 3

    diagnostics = await async_get_config_entry_diagnostics(hass, setup_entry)
    outbox = diagnostics["outbox"]
    assert [item["recipient"] for item in outbox] == ["**REDACTED**"] * 3
    assert [item["parts"] for item in outbox] == [1, 1, 1]
    assert [item["attempts"] for item in outbox] == [1, 0, 1]
    text = json.dumps(diagnostics)
    for secret in (ALICE_NUMBER, STRANGER_NUMBER, "Secret one", "Secret two"):
        assert secret not in text

    # The stranger's message goes; Alice's stay while her number fails.
    simulator.set_queue_down(False)
    simulator.force_status(500, count=2, number=ALICE_NUMBER)
    await async_advance_time(hass, freezer, 60)
    assert queued_messages(hass) == 2
    await async_advance_time(hass, freezer, 5 * 60)  # 500 again
    assert queued_messages(hass) == 2
    await async_advance_time(hass, freezer, 5 * 60)
    assert queued_messages(hass) == 0
    assert simulator.delivered(ALICE_NUMBER) == ["Secret one", "Secret two"]

    diagnostics = await async_get_config_entry_diagnostics(hass, setup_entry)
    assert diagnostics["outbox"] == []
    ledger.assert_accounted_for()
