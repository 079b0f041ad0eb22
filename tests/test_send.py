"""Tests for the tatango_sms.send_message action and the send path behind every way of sending."""

from __future__ import annotations

from collections.abc import Callable
import hashlib
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import hypothesis
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.tatango_sms.const import (
    DOMAIN,
    MAX_CONCURRENT_SENDS,
    SERVICE_SEND_MESSAGE,
)
from custom_components.tatango_sms.tatango.gateway import TatangoGateway
from custom_components.tatango_sms.tatango.phone import gsm7_friendly, split_message
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import CONF_PASSWORD
from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component
from tatango_simulator import GatewaySimulator
from tatango_simulator.state import NumberStatus

from .conftest import ALICE_NUMBER, BOB_NUMBER, STRANGER_NUMBER
from .const import TEST_KEY, TEST_PASSWORD
from .helpers import (
    async_add_second_account,
    async_advance_time,
    make_entry,
    queued_messages,
)
from .test_phone import assert_split_properties, is_gsm7, message_texts

GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")


def gateway_hash(message: str) -> str:
    """Return the hash the gateway expects, computed independently of the integration."""
    return hashlib.md5(
        (TEST_PASSWORD + message).encode("utf-8"), usedforsecurity=False
    ).hexdigest()


def gsm7_septets(text: str) -> int:
    """Return the GSM-7 length of a text: extension characters take two septets."""
    return len(text) + sum(char in GSM7_EXTENSION for char in text)


def ucs2_units(text: str) -> int:
    """Return the UCS-2 (UTF-16) length of a text: emoji take two units."""
    return len(text.encode("utf-16-le")) // 2


async def send(hass: HomeAssistant, **data: Any) -> ServiceResponse:
    """Call the action and return its response."""
    return await hass.services.async_call(
        DOMAIN, SERVICE_SEND_MESSAGE, data, blocking=True, return_response=True
    )


# Sending and the response


async def test_send_to_name_and_number(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """A saved name and a typed number both get the message; the response says what happened to each."""
    simulator.opt_in(ALICE_NUMBER)

    response = await send(
        hass, message="Dinner is ready", recipients=["alice", "+1 (206) 555-0199"]
    )

    assert response == {
        "recipients": [
            {
                "recipient": ALICE_NUMBER,
                "name": "Alice",
                "outcome": "sent",
                "sms_sent": 1,
                "encoding": "gsm7",
            },
            {
                "recipient": STRANGER_NUMBER,
                "name": None,
                "outcome": "invited",
                "sms_sent": 1,
                "encoding": "gsm7",
            },
        ]
    }
    assert simulator.delivered(ALICE_NUMBER) == ["Dinner is ready"]
    # The stranger was invited to opt in; the message waits for them.
    assert simulator.status_of(STRANGER_NUMBER) is NumberStatus.INVITED
    assert simulator.delivered(STRANGER_NUMBER) == []
    simulator.opt_in(STRANGER_NUMBER)
    assert simulator.delivered(STRANGER_NUMBER) == ["Dinner is ready"]


async def test_saved_number_is_named_and_sent_once(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """A saved recipient's number counts as that recipient, and naming someone twice sends once."""
    simulator.opt_in(BOB_NUMBER)

    response = await send(
        hass, message="Hello Bob", recipients=["Bob", "(206) 555-0102", "206.555.0102"]
    )

    assert response == {
        "recipients": [
            {
                "recipient": BOB_NUMBER,
                "name": "Bob",
                "outcome": "sent",
                "sms_sent": 1,
                "encoding": "gsm7",
            }
        ]
    }
    assert len(simulator.requests) == 1
    assert simulator.delivered(BOB_NUMBER) == ["Hello Bob"]


async def test_send_without_asking_for_a_response(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """The action also works from an automation that does not want the response."""
    simulator.opt_in(ALICE_NUMBER)

    await hass.services.async_call(
        DOMAIN,
        SERVICE_SEND_MESSAGE,
        {"message": "Garage door open", "recipients": "Alice"},
        blocking=True,
    )

    assert simulator.delivered(ALICE_NUMBER) == ["Garage door open"]


@pytest.mark.parametrize(
    "message",
    [
        "Front door opened",
        "Température 21°C, humidité 40% — ça va ✓",
        "Rent: 1200€ {due} [today] ~ 5^2 | back\\slash",
        "Leak in the basement 💧🚨 👀",
        "Line one\nLine two\r\nkey=value&hash=abc",
    ],
)
async def test_form_is_exactly_key_recipient_message_hash(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    message: str,
) -> None:
    """The gateway receives exactly key, recipient, message and hash = md5(password + message), whatever the text."""
    simulator.opt_in(ALICE_NUMBER)

    await send(hass, message=message, recipients=["Alice"])

    assert len(simulator.requests) == 1
    request = simulator.requests[0]
    assert sorted(name for name, _ in request.fields) == [
        "hash",
        "key",
        "message",
        "recipient",
    ]
    assert request.form == {
        "key": TEST_KEY,
        "recipient": ALICE_NUMBER,
        "message": message,
        "hash": gateway_hash(message),
    }
    assert request.status == 200
    assert simulator.delivered(ALICE_NUMBER) == [message]


# Validation: nothing is sent unless the whole call is valid


@pytest.mark.parametrize(
    ("data", "translation_key"),
    [
        ({"message": "", "recipients": ["Alice"]}, "empty_message"),
        ({"message": "  \n ", "recipients": ["Alice"]}, "empty_message"),
        ({"message": "Hi", "recipients": []}, "no_recipients"),
        (
            {"message": "Hi", "recipients": ["Alice", "555-0123"]},
            "invalid_phone_number",
        ),
        ({"message": "Hi", "recipients": ["+44 20 7946 0958"]}, "invalid_phone_number"),
        ({"message": "Hi", "recipients": ["Alice", "Carol"]}, "unknown_recipient"),
        (
            {"message": "Hi", "recipients": ["Alice"], "config_entry_id": "nope"},
            "unknown_entry",
        ),
    ],
)
async def test_invalid_call_sends_nothing(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    data: dict[str, Any],
    translation_key: str,
) -> None:
    """An invalid call is refused with a translated validation error before anything is sent."""
    simulator.opt_in(ALICE_NUMBER)

    with pytest.raises(ServiceValidationError) as exc_info:
        await send(hass, **data)

    assert exc_info.value.translation_domain == DOMAIN
    assert exc_info.value.translation_key == translation_key
    assert simulator.requests == []


async def test_call_without_recipients_is_refused(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """`recipients` is required, as the action's form shows: a call without it is refused by the schema."""
    with pytest.raises(vol.Invalid, match="recipients"):
        await send(hass, message="Hi")
    assert simulator.requests == []


async def test_invalid_number_error_names_it(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """The validation error names the number or name that is wrong."""
    with pytest.raises(ServiceValidationError, match="555-0123") as exc_info:
        await send(hass, message="Hi", recipients=["555-0123"])
    assert exc_info.value.translation_placeholders == {"recipient": "555-0123"}

    with pytest.raises(ServiceValidationError, match="Carol"):
        await send(hass, message="Hi", recipients=["Carol"])
    assert simulator.requests == []


@pytest.mark.parametrize(
    ("target", "shown"),
    [
        (
            "Carol\r\n2025-01-01 00:00:00.000 ERROR (MainThread) forged",
            "Carol\\r\\n2025-01-01 00:00:00.000 ERROR (MainThread) forged",
        ),
        ("555\n0123\t", "555\\n0123\\t"),
        ("x" * 1600, "x" * 59 + "…"),
    ],
    ids=["forged-log-line", "control-characters", "long"],
)
async def test_error_shows_a_target_escaped_and_short(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    target: str,
    shown: str,
) -> None:
    """A target from an incoming SMS cannot forge log lines or flood the log through the error that names it."""
    with pytest.raises(ServiceValidationError) as exc_info:
        await send(hass, message="Hi", recipients=[target])

    assert exc_info.value.translation_placeholders == {"recipient": shown}
    assert "\n" not in str(exc_info.value)
    assert simulator.requests == []


async def test_unloaded_entry_is_refused(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Sending from an account that is not loaded is refused without contacting the gateway."""
    assert await hass.config_entries.async_unload(setup_entry.entry_id)

    with pytest.raises(ServiceValidationError) as exc_info:
        await send(hass, message="Hi", recipients=["Alice"])

    assert exc_info.value.translation_key == "entry_not_loaded"
    assert simulator.requests == []


async def test_two_accounts_need_config_entry_id(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    other_simulator: GatewaySimulator,
) -> None:
    """With two accounts the call must choose one; the chosen account's gateway gets the message."""
    other = await async_add_second_account(hass, other_simulator, {})
    other_simulator.opt_in(STRANGER_NUMBER)

    with pytest.raises(ServiceValidationError) as exc_info:
        await send(hass, message="Hi", recipients=[STRANGER_NUMBER])
    assert exc_info.value.translation_key == "config_entry_required"
    assert simulator.requests == []
    assert other_simulator.requests == []

    response = await send(
        hass,
        message="From the second account",
        recipients=[STRANGER_NUMBER],
        config_entry_id=other.entry_id,
    )
    assert response is not None
    assert response["recipients"][0]["outcome"] == "sent"
    assert other_simulator.delivered(STRANGER_NUMBER) == ["From the second account"]
    assert simulator.requests == []

    # A saved name belongs to its own account only.
    with pytest.raises(ServiceValidationError) as exc_info:
        await send(
            hass, message="Hi", recipients=["Alice"], config_entry_id=other.entry_id
        )
    assert exc_info.value.translation_key == "unknown_recipient"


# Failures: every recipient is tried, then one error names each failure; a
# failure a later try can overcome queues the message instead.

UNKNOWN_REASON = "The gateway may or may not have taken the message"


@pytest.mark.parametrize(
    ("status", "outcome", "reason"),
    [
        (400, "invalid_phone_number", "The gateway rejected the phone number"),
        (403, "blocked", "The number blocked messages from this account"),
        (418, "unexpected_status", "The gateway gave an unexpected answer"),
    ],
)
@pytest.mark.usefixtures("setup_entry")
async def test_gateway_error_status_is_named(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    status: int,
    outcome: str,
    reason: str,
) -> None:
    """A gateway answer that a later try cannot change fails the call with an error naming the recipient and the problem."""
    simulator.opt_in(ALICE_NUMBER)
    simulator.force_status(status)

    with pytest.raises(HomeAssistantError) as exc_info:
        await send(hass, message="Hi", recipients=["Alice"])

    assert not isinstance(exc_info.value, ServiceValidationError)
    assert exc_info.value.translation_key == f"send_failed_{outcome}"
    assert (
        str(exc_info.value) == f"{reason}. Not sent: Alice ({ALICE_NUMBER}): {outcome}"
    )
    assert [r.status for r in simulator.requests] == [status]
    assert simulator.delivered(ALICE_NUMBER) == []
    assert queued_messages(hass) == 0


@pytest.mark.freeze_time(tick=True)
@pytest.mark.parametrize("status", [500, 501, 503])
async def test_gateway_server_error_is_queued(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    status: int,
) -> None:
    """A server error (5xx) queues the message: the response says so, and it is delivered once the gateway works."""
    simulator.opt_in(ALICE_NUMBER)
    simulator.force_status(status)

    response = await send(hass, message="Hi", recipients=["Alice"])

    assert response == {
        "recipients": [
            {
                "recipient": ALICE_NUMBER,
                "name": "Alice",
                "outcome": "queued",
                "sms_sent": 0,
                "encoding": "gsm7",
            }
        ]
    }
    assert queued_messages(hass) == 1
    assert simulator.delivered(ALICE_NUMBER) == []

    await async_advance_time(hass, freezer, 60)

    assert [r.status for r in simulator.requests] == [status, 200]
    assert simulator.delivered(ALICE_NUMBER) == ["Hi"]
    assert queued_messages(hass) == 0


@pytest.mark.freeze_time(tick=True)
async def test_queue_down_is_named(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """While the gateway's queue is down messages queue, in order, and are all delivered once it is up."""
    simulator.opt_in(ALICE_NUMBER)
    simulator.set_queue_down(True)

    first = await send(hass, message="Hi", recipients=["Alice"])
    second = await send(hass, message="Hi again", recipients=["Alice"])

    assert first is not None
    assert second is not None
    assert first["recipients"][0]["outcome"] == "queued"
    assert second["recipients"][0]["outcome"] == "queued"
    # The second message waits behind the first without contacting the gateway.
    assert [r.status for r in simulator.requests] == [503]
    assert queued_messages(hass) == 2

    simulator.set_queue_down(False)
    await async_advance_time(hass, freezer, 60)

    assert simulator.delivered(ALICE_NUMBER) == ["Hi", "Hi again"]
    assert queued_messages(hass) == 0


@pytest.mark.freeze_time(tick=True)
async def test_gateway_unreachable_is_named(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """When nothing listens at the gateway URL the message is queued, and delivered once the gateway listens again."""
    port = simulator.port
    await simulator.stop()

    response = await send(hass, message="Hi", recipients=["Alice", STRANGER_NUMBER])

    assert response is not None
    assert [r["outcome"] for r in response["recipients"]] == ["queued", "queued"]
    assert simulator.requests == []
    assert queued_messages(hass) == 2

    await simulator.start(host="127.0.0.1", port=port)
    simulator.opt_in(ALICE_NUMBER)
    await async_advance_time(hass, freezer, 60)

    assert simulator.delivered(ALICE_NUMBER) == ["Hi"]
    # The stranger was invited; the message is held until they opt in.
    assert simulator.status_of(STRANGER_NUMBER) is NumberStatus.INVITED
    assert queued_messages(hass) == 0


def _drop_the_connection(simulator: GatewaySimulator) -> None:
    simulator.drop_connections(1)


def _proxy_answers(status: int) -> Callable[[GatewaySimulator], None]:
    def prepare(simulator: GatewaySimulator) -> None:
        simulator.force_status(status, count=1)

    return prepare


@pytest.mark.freeze_time(tick=True)
@pytest.mark.parametrize(
    "prepare",
    [
        _drop_the_connection,
        _proxy_answers(502),
        _proxy_answers(504),
        _proxy_answers(599),
    ],
    ids=["connection-dropped", "502", "504", "599"],
)
async def test_maybe_taken_is_unknown_and_not_resent(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
    prepare: Callable[[GatewaySimulator], None],
) -> None:
    """When the gateway may have taken the message, the send fails as unknown and the message is not resent.

    A connection closed after the request was sent, or a 5xx the gateway does
    not document (a proxy's 502 or 504: the gateway behind it may have taken it).
    """
    simulator.opt_in(ALICE_NUMBER)
    prepare(simulator)

    with pytest.raises(
        HomeAssistantError,
        match=rf"{UNKNOWN_REASON}.* Not sent: Alice \(2065550101\): unknown",
    ):
        await send(hass, message="Hi", recipients=["Alice"])

    assert queued_messages(hass) == 0
    await async_advance_time(hass, freezer, 3600)
    assert len(simulator.requests) == 1


async def test_entry_with_an_invalid_gateway_url(hass: HomeAssistant) -> None:
    """An entry saved with a URL aiohttp cannot post to (before setup checked it) fails the send, saying why; nothing is queued."""
    entry = make_entry("gateway.tatango.com/messages")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    with pytest.raises(
        HomeAssistantError,
        match=rf"The gateway URL is not a valid web address; correct it with Reconfigure\. Not sent: {STRANGER_NUMBER}: invalid_url",
    ):
        await send(hass, message="Hi", recipients=[STRANGER_NUMBER])
    assert queued_messages(hass) == 0


async def test_timeout_is_named(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A gateway that answers too late fails the send as unknown: it may have taken the message, so it is not resent.

    The gateway client's 15 s timeout is shortened so the test stays fast; the
    entry is reloaded so its client is built with the short timeout.
    """
    url_default, _ = TatangoGateway.__init__.__defaults__
    monkeypatch.setattr(TatangoGateway.__init__, "__defaults__", (url_default, 0.2))
    assert await hass.config_entries.async_reload(setup_entry.entry_id)
    await hass.async_block_till_done()
    simulator.opt_in(ALICE_NUMBER)
    simulator.set_latency(2)

    with pytest.raises(
        HomeAssistantError,
        match=rf"{UNKNOWN_REASON} \(its answer did not say\), so it was not resent\. Not sent: Alice \(2065550101\): unknown",
    ):
        await send(hass, message="Hi", recipients=["Alice"])

    assert len(simulator.requests) == 1
    assert queued_messages(hass) == 0


@pytest.mark.freeze_time(tick=True)
async def test_every_recipient_is_tried_and_each_failure_named(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """One failing recipient does not stop the others; the error names only those that failed, not those queued."""
    simulator.opt_in(ALICE_NUMBER)
    simulator.opt_in(BOB_NUMBER)
    simulator.opt_in(STRANGER_NUMBER)
    simulator.force_status(500, number=BOB_NUMBER)
    simulator.force_status(400, number=STRANGER_NUMBER)

    with pytest.raises(HomeAssistantError) as exc_info:
        await send(
            hass, message="Storm warning", recipients=["Bob", "Alice", STRANGER_NUMBER]
        )

    message = str(exc_info.value)
    assert message == (
        f"The gateway rejected the phone number. Not sent: {STRANGER_NUMBER}: invalid_phone_number"
    )
    assert "Alice" not in message
    assert "Bob" not in message  # queued, not failed
    assert sorted(r.recipient for r in simulator.requests) == sorted(
        [ALICE_NUMBER, BOB_NUMBER, STRANGER_NUMBER]
    )
    assert simulator.delivered(ALICE_NUMBER) == ["Storm warning"]
    assert queued_messages(hass) == 1

    await async_advance_time(hass, freezer, 60)
    assert simulator.delivered(BOB_NUMBER) == ["Storm warning"]
    assert simulator.delivered(STRANGER_NUMBER) == []
    assert queued_messages(hass) == 0


async def test_wrong_password_starts_reauthentication(
    hass: HomeAssistant, tatango_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """When the gateway refuses the credentials (401) the send fails and Home Assistant asks, once, to reauthenticate."""
    tatango_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        tatango_entry, data={**tatango_entry.data, CONF_PASSWORD: "wrong-password"}
    )
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    simulator.opt_in(ALICE_NUMBER)
    simulator.opt_in(BOB_NUMBER)

    with pytest.raises(HomeAssistantError) as exc_info:
        await send(hass, message="Hi", recipients=["Alice", "Bob"])
    await hass.async_block_till_done()

    assert str(exc_info.value) == (
        "The gateway refused the key or password. Not sent: "
        f"Alice ({ALICE_NUMBER}): invalid_auth, Bob ({BOB_NUMBER}): invalid_auth"
    )
    assert [r.status for r in simulator.requests] == [401, 401]
    flows = [
        flow
        for flow in hass.config_entries.flow.async_progress()
        if flow["context"]["source"] == SOURCE_REAUTH
    ]
    assert len(flows) == 1
    assert flows[0]["handler"] == DOMAIN
    assert flows[0]["context"]["entry_id"] == tatango_entry.entry_id


async def test_sends_are_concurrent_but_bounded(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Recipients are sent to concurrently, but never more than the bound at once."""
    count = MAX_CONCURRENT_SENDS + 2
    numbers = [f"20655502{i:02d}" for i in range(count)]
    for number in numbers:
        simulator.opt_in(number)
    simulator.set_latency(0.5)

    response = await send(hass, message="Fire drill", recipients=numbers)

    assert response is not None
    assert [r["outcome"] for r in response["recipients"]] == ["sent"] * count
    times = sorted(r.timestamp for r in simulator.requests)
    bound = MAX_CONCURRENT_SENDS
    # The first `bound` arrive together, the rest only when the first answers come back.
    assert (times[bound - 1] - times[0]).total_seconds() < 0.25
    assert (times[bound] - times[0]).total_seconds() > 0.4
    for number in numbers:
        assert simulator.delivered(number) == ["Fire drill"]


# Long messages


LONG_GSM = " ".join(f"Sensor {i} reports water in the basement." for i in range(12))
LONG_EXTENDED = " ".join(
    f"Budget {{item {i}}} costs 12€ [fixed] ~ ok | 5^2" for i in range(12)
)
LONG_EMOJI = " ".join(f"Leak 💧 number {i} 🚨 in the basement" for i in range(8))
EMOJI_ONLY = "🚀" * 50
NO_SPACES = "x" * 400


@pytest.mark.parametrize(
    ("message", "units", "limit"),
    [
        (LONG_GSM, gsm7_septets, 160),
        (LONG_EXTENDED, gsm7_septets, 160),
        (LONG_EMOJI, ucs2_units, 70),
        (EMOJI_ONLY, ucs2_units, 70),
        (NO_SPACES, gsm7_septets, 160),
    ],
    ids=["gsm7", "gsm7_extension", "emoji", "emoji_only", "no_spaces"],
)
@pytest.mark.usefixtures("setup_entry")
async def test_long_message_split_in_order(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    message: str,
    units: Any,
    limit: int,
) -> None:
    """By default a long message arrives as several SMS, in order, each within one SMS and each signed over its own text."""
    simulator.opt_in(ALICE_NUMBER)
    simulator.opt_in(BOB_NUMBER)

    response = await send(hass, message=message, recipients=["Alice", "Bob"])

    for number in (ALICE_NUMBER, BOB_NUMBER):
        requests = [r for r in simulator.requests if r.recipient == number]
        assert len(requests) > 1
        for request in requests:
            assert request.message
            assert units(request.message) <= limit
            assert request.hash == gateway_hash(request.message)
            assert request.status == 200
        assert "".join(r.message or "" for r in requests) == message
        assert simulator.delivered(number) == [r.message for r in requests]
    parts = len(simulator.delivered(ALICE_NUMBER))
    encoding = "gsm7" if limit == 160 else "ucs2"
    assert response == {
        "recipients": [
            {
                "recipient": ALICE_NUMBER,
                "name": "Alice",
                "outcome": "sent",
                "sms_sent": parts,
                "encoding": encoding,
            },
            {
                "recipient": BOB_NUMBER,
                "name": "Bob",
                "outcome": "sent",
                "sms_sent": parts,
                "encoding": encoding,
            },
        ]
    }


async def test_split_parts_break_between_words(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Split parts end at a space, so no word is cut in two."""
    simulator.opt_in(ALICE_NUMBER)

    await send(hass, message=LONG_GSM, recipients=["Alice"])

    parts = simulator.delivered(ALICE_NUMBER)
    assert len(parts) > 1
    for part in parts[:-1]:
        assert part.endswith(" ")
    words = LONG_GSM.split(" ")
    assert [w for part in parts for w in part.split(" ") if w] == words


async def test_split_message_to_uninvited_number_stops_after_first_part(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """A number not yet opted in is invited with the first part only; the rest is not posted (it would be refused)."""
    response = await send(hass, message=LONG_GSM, recipients=[STRANGER_NUMBER])

    assert len(simulator.requests) == 1
    first = simulator.requests[0]
    assert first.status == 202
    assert LONG_GSM.startswith(first.message or "-")
    assert response == {
        "recipients": [
            {
                "recipient": STRANGER_NUMBER,
                "name": None,
                "outcome": "invited",
                "sms_sent": 1,
                "encoding": "gsm7",
            }
        ]
    }


@pytest.mark.parametrize(
    ("entry_options", "message", "units", "limit"),
    [
        ({"long_messages": "truncate"}, LONG_GSM, gsm7_septets, 160),
        ({"long_messages": "truncate"}, LONG_EXTENDED, gsm7_septets, 160),
        ({"long_messages": "truncate"}, LONG_EMOJI, ucs2_units, 70),
    ],
    ids=["gsm7", "gsm7_extension", "emoji"],
)
@pytest.mark.usefixtures("setup_entry")
async def test_long_message_truncated(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    message: str,
    units: Any,
    limit: int,
) -> None:
    """With long messages set to truncate, one SMS with the start of the message is sent, signed over the cut text."""
    simulator.opt_in(ALICE_NUMBER)

    response = await send(hass, message=message, recipients=["Alice"])

    assert len(simulator.requests) == 1
    posted = simulator.requests[0].message or ""
    assert message.startswith(posted)
    assert len(posted) < len(message)
    assert units(posted) <= limit
    # It ends between words, and the next word would not have fitted.
    assert posted.endswith(" ")
    next_word_end = message.index(" ", len(posted)) + 1
    assert units(message[:next_word_end]) > limit
    assert simulator.requests[0].hash == gateway_hash(posted)
    assert simulator.delivered(ALICE_NUMBER) == [posted]
    assert response is not None
    assert response["recipients"][0]["sms_sent"] == 1


@pytest.mark.parametrize("entry_options", [{"long_messages": "send"}])
async def test_long_message_sent_unchanged(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """With long messages set to send, the whole text goes in one request and the response counts the SMS it takes."""
    simulator.opt_in(ALICE_NUMBER)
    message = "y" * 400

    response = await send(hass, message=message, recipients=["Alice"])

    assert len(simulator.requests) == 1
    assert simulator.requests[0].message == message
    assert simulator.requests[0].hash == gateway_hash(message)
    assert simulator.delivered(ALICE_NUMBER) == [message]
    assert response == {
        "recipients": [
            # 400 GSM-7 characters take ceil(400 / 153) = 3 concatenated SMS.
            {
                "recipient": ALICE_NUMBER,
                "name": "Alice",
                "outcome": "sent",
                "sms_sent": 3,
                "encoding": "gsm7",
            }
        ]
    }


@pytest.mark.parametrize(
    ("entry_options", "max_sms", "expected"),
    [
        ({}, 1, [LONG_GSM[:160]]),
        ({}, 2, [LONG_GSM[:160], LONG_GSM[160:320]]),
        ({}, 99, None),
        ({"long_messages": "truncate"}, 2, [LONG_GSM[:160]]),
        ({"long_messages": "send"}, 1, [LONG_GSM[:160]]),
        (
            {"long_messages": "send"},
            3,
            [LONG_GSM[:160], LONG_GSM[160:320], LONG_GSM[320:472]],
        ),
        ({"long_messages": "send"}, 4, [LONG_GSM]),
    ],
    ids=[
        "split-1",
        "split-2",
        "split-more-than-needed",
        "truncate-2",
        "send-1",
        "send-3",
        "send-4",
    ],
)
@pytest.mark.usefixtures("setup_entry")
async def test_max_sms_cuts_a_long_message(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    max_sms: int,
    expected: list[str] | None,
) -> None:
    """`max_sms` bounds the SMS each recipient gets, whatever the long-message option; a message that fits is sent as the option says."""
    simulator.opt_in(ALICE_NUMBER)
    # 481 characters: split at spaces after 160, 320 and 472 characters, or
    # four SMS of 153 sent concatenated.
    assert len(LONG_GSM) == 481

    response = await send(hass, message=LONG_GSM, recipients=["Alice"], max_sms=max_sms)

    delivered = simulator.delivered(ALICE_NUMBER)
    if expected is None:
        assert len(delivered) == 4
        assert "".join(delivered) == LONG_GSM
    else:
        assert delivered == expected
    assert response is not None
    assert response["recipients"][0]["sms_sent"] <= max_sms


async def test_max_sms_must_be_positive(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """`max_sms` below 1 is refused by the schema, and nothing is sent."""
    with pytest.raises(vol.Invalid, match="max_sms"):
        await send(hass, message="Hi", recipients=["Alice"], max_sms=0)
    assert simulator.requests == []


async def test_short_message_is_one_sms(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """A message of exactly one SMS (160 GSM-7 characters, 70 with emoji) is not split."""
    simulator.opt_in(ALICE_NUMBER)
    gsm = "z" * 160
    emoji = "💧" * 35

    await send(hass, message=gsm, recipients=["Alice"])
    await send(hass, message=emoji, recipients=["Alice"])

    assert simulator.delivered(ALICE_NUMBER) == [gsm, emoji]


# Plain SMS characters (gsm7_friendly)

CURLY = "\u201cDon\u2019t forget \u2013 the door\u2019s open\u2026\u201d"
PLAIN = "\"Don't forget - the door's open...\""


async def test_curly_text_is_sent_as_one_gsm7_sms(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """Curly quotes, a dash and an ellipsis become plain ones: one GSM-7 SMS, signed over the text as posted."""
    simulator.opt_in(ALICE_NUMBER)

    response = await send(hass, message=CURLY, recipients=["Alice"])

    assert len(simulator.requests) == 1
    request = simulator.requests[0]
    assert request.message == PLAIN
    assert request.hash == gateway_hash(PLAIN)
    # The simulator checks the hash over what it received: 200, not 401.
    assert request.status == 200
    assert simulator.delivered(ALICE_NUMBER) == [PLAIN]
    assert gsm7_septets(PLAIN) <= 160
    assert response is not None
    (outcome,) = response["recipients"]
    assert (outcome["sms_sent"], outcome["encoding"]) == (1, "gsm7")


@pytest.mark.parametrize(
    "message",
    [
        "Привет 👋",
        CURLY + " 🚪",
        "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e \u2014 \u0434\u0430",
        "Temperature 21.5\u00b0C \u2013 window open",
    ],
)
async def test_text_without_a_plain_equivalent_is_sent_as_written(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    message: str,
) -> None:
    """A message with emoji, Cyrillic or another character GSM-7 has no stand-in for is UCS-2 anyway: nothing in it is replaced."""
    simulator.opt_in(ALICE_NUMBER)

    response = await send(hass, message=message, recipients=["Alice"])

    assert [(r.message, r.status) for r in simulator.requests] == [(message, 200)]
    assert simulator.requests[0].hash == gateway_hash(message)
    assert simulator.delivered(ALICE_NUMBER) == [message]
    assert response is not None
    assert response["recipients"][0]["encoding"] == "ucs2"


@pytest.mark.parametrize("entry_options", [{"gsm7_friendly": False}])
async def test_plain_characters_option_off_sends_text_unchanged(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """With the option off, curly quotes stay and the message is UCS-2."""
    simulator.opt_in(ALICE_NUMBER)

    response = await send(hass, message=CURLY, recipients=["Alice"])

    assert [(r.message, r.status) for r in simulator.requests] == [(CURLY, 200)]
    assert simulator.requests[0].hash == gateway_hash(CURLY)
    assert response is not None
    assert response["recipients"][0]["encoding"] == "ucs2"


async def test_plain_characters_keep_a_long_message_in_fewer_sms(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """150 characters with one curly apostrophe: one SMS instead of three."""
    simulator.opt_in(ALICE_NUMBER)
    message = "The washing machine\u2019s done. " + "Please empty it soon. " * 5
    assert len(message) == 138

    response = await send(hass, message=message, recipients=["Alice"])

    plain = message.replace("\u2019", "'")
    assert simulator.delivered(ALICE_NUMBER) == [plain]
    assert response is not None
    assert response["recipients"][0]["sms_sent"] == 1


async def test_text_only_invisible_is_empty(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """A message of nothing but a zero-width space is empty once made plain: refused, nothing sent."""
    with pytest.raises(ServiceValidationError) as caught:
        await send(hass, message="\u200b\u00a0", recipients=["Alice"])

    assert caught.value.translation_key == "empty_message"
    assert simulator.requests == []


# Every part is worth its price

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
US_FLAG = "\U0001f1fa\U0001f1f8"


@pytest.mark.parametrize(
    "entry_options",
    [
        {"long_messages": "split"},
        {"long_messages": "truncate"},
        {"long_messages": "send"},
    ],
)
async def test_trailing_newline_costs_no_blank_sms(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """A template's trailing newline after 160 characters is dropped, not sent as a second, blank SMS."""
    simulator.opt_in(ALICE_NUMBER)
    text = "Alarm armed. " * 12 + "Doors locked"
    assert len(text) == 168
    message = text[:160] + "\n"

    response = await send(hass, message=message, recipients=["Alice"])

    assert [(r.message, r.status) for r in simulator.requests] == [(text[:160], 200)]
    assert simulator.requests[0].hash == gateway_hash(text[:160])
    assert response is not None
    assert response["recipients"][0]["sms_sent"] == 1


@pytest.mark.parametrize(
    ("message", "parts"),
    [
        ("ж" * 65 + FAMILY + " дома", ["ж" * 65, FAMILY + " дома"]),
        ("ж" * 67 + US_FLAG + " ok", ["ж" * 67, US_FLAG + " ok"]),
        (
            "Привет" * 11 + "ж\U0001f44d\U0001f3fd",
            ["Привет" * 11 + "ж", "\U0001f44d\U0001f3fd"],
        ),
    ],
    ids=["family", "flag", "skin_tone"],
)
async def test_emoji_at_a_part_boundary_arrives_whole(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    simulator: GatewaySimulator,
    message: str,
    parts: list[str],
) -> None:
    """A family emoji, a flag or a skin tone that would straddle two parts starts the next part, whole."""
    simulator.opt_in(ALICE_NUMBER)

    response = await send(hass, message=message, recipients=["Alice"])

    assert simulator.delivered(ALICE_NUMBER) == parts
    assert [r.status for r in simulator.requests] == [200, 200]
    assert all(r.hash == gateway_hash(r.message or "") for r in simulator.requests)
    assert all(ucs2_units(part) <= 70 for part in parts)
    assert response is not None
    assert response["recipients"][0]["sms_sent"] == 2


SENT_TEXTS = 120


def drawn_messages(count: int) -> list[str]:
    """Return count distinct message texts drawn, derandomized, from the split tests' strategy."""
    texts: dict[str, None] = {}

    @hypothesis.settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(text=message_texts(min_pieces=20))
    def draw(text: str) -> None:
        texts[text] = None

    draw()
    return list(texts)


@pytest.mark.filterwarnings(
    "ignore:It looks like `register_random`:hypothesis.errors.HypothesisWarning"
)
@pytest.mark.parametrize("entry_options", [{"max_sms_per_hour": 0}])  # no limit
async def test_response_counts_the_parts_posted(
    hass: HomeAssistant, setup_entry: MockConfigEntry, simulator: GatewaySimulator
) -> None:
    """For any text, the parts posted keep the split's promises and the response counts exactly them.

    A text that needs more than 10 SMS (the default most per message) is refused whole.
    """
    simulator.opt_in(ALICE_NUMBER)
    messages = drawn_messages(SENT_TEXTS)
    assert len(messages) > SENT_TEXTS // 2
    sent = 0

    for message in messages:
        before = len(simulator.requests)
        text = gsm7_friendly(message)
        if not text.strip():
            with pytest.raises(ServiceValidationError):
                await send(hass, message=message, recipients=["Alice"])
            assert len(simulator.requests) == before
            continue
        if len(split_message(text)) > 10:
            with pytest.raises(HomeAssistantError, match="too_long"):
                await send(hass, message=message, recipients=["Alice"])
            assert len(simulator.requests) == before
            continue
        response = await send(hass, message=message, recipients=["Alice"])
        requests = simulator.requests[before:]
        posted = [r.message or "" for r in requests]
        assert [r.status for r in requests] == [200] * len(requests)
        assert_split_properties(text, posted, None)
        assert response is not None
        assert response["recipients"][0]["sms_sent"] == len(posted)
        assert response["recipients"][0]["encoding"] == (
            "gsm7" if is_gsm7("".join(posted)) else "ucs2"
        )
        sent += 1
    # Most texts were sent, many of them in more than one part.
    assert sent > len(messages) // 2
    assert len(simulator.requests) > 2 * sent
