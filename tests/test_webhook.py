"""Tests of the webhook the gateway posts incoming SMS (MO) to.

Posts go over a real socket to Home Assistant's HTTP app: good messages from the
gateway simulator and a plain HTTP client. Hostile and malformed bodies, other
methods and slow bodies are the attack suite's (tests/test_attack.py).
"""

from __future__ import annotations

from aiohttp.test_utils import TestClient
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.tatango_sms.const import EVENT_RECEIVED
from custom_components.tatango_sms.tatango.mo import (
    MAX_BODY_BYTES,
    MAX_CONTENT_CHARACTERS,
)
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from tatango_simulator import GatewaySimulator, mo_xml

from .helpers import (
    TEST_NUMBER,
    async_add_and_set_up,
    event_data,
    make_entry,
    webhook_path,
)
from .test_mo import BILLION_LAUGHS

MO_HEADERS = {"Content-Type": "text/xml"}


@pytest.fixture
async def client(
    loaded_entry: MockConfigEntry, hass_client_no_auth: ClientSessionGenerator
) -> TestClient:
    """Return an HTTP client for Home Assistant, with the entry's webhook registered."""
    return await hass_client_no_auth()


@pytest.fixture
def path(loaded_entry: MockConfigEntry) -> str:
    """Return the path of the loaded entry's webhook."""
    return webhook_path(loaded_entry.data[CONF_WEBHOOK_ID])


def padded_mo(size: int, fill: str = "x") -> bytes:
    """Return a documented MO whose UTF-8 body is exactly `size` bytes."""
    empty = mo_xml(TEST_NUMBER, "").encode()
    fill_bytes = len(fill.encode())
    count, remainder = divmod(size - len(empty), fill_bytes)
    content = fill * count + "y" * remainder
    body = mo_xml(TEST_NUMBER, content).encode()
    assert len(body) == size
    return body


# Good messages


@pytest.mark.parametrize(
    ("content", "keyword"),
    [
        ("STOP", "STOP"),
        ("ping", "PING"),
        ("  lights on please  ", "LIGHTS"),
        ("a < b && c > d; <message/>", "A"),
        ("if x<1 & y>2 then ]]> done", "IF"),
        ("🏠 Door open 🚪", "🏠"),
        ("Café mañana, straße", "CAFÉ"),
        ("line one\nline two\n\n  line four", "LINE"),
        ("\tyes\n", "YES"),
        ("", ""),
        ("   ", ""),
        ("x" * 1000, "X" * 1000),
    ],
    ids=[
        "keyword-only",
        "lower-case",
        "surrounding-spaces",
        "markup-characters",
        "cdata-end-marker",
        "emoji",
        "accents",
        "newlines",
        "tab",
        "empty",
        "blank",
        "long",
    ],
)
async def test_good_message_fires_event(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    loaded_entry: MockConfigEntry,
    client: TestClient,
    path: str,
    *,
    content: str,
    keyword: str,
) -> None:
    """A message the gateway posts fires one event with the content exactly as typed."""
    events = async_capture_events(hass, EVENT_RECEIVED)

    status = await simulator.post_mo(
        TEST_NUMBER, content, url=str(client.make_url(path))
    )
    await hass.async_block_till_done()

    assert status == 200
    assert [event.data for event in events] == [
        event_data(loaded_entry.entry_id, TEST_NUMBER, content, keyword)
    ]


async def test_good_message_answer_is_empty(
    hass: HomeAssistant, client: TestClient, path: str
) -> None:
    """The webhook answers a good message with 200 and an empty body, as the gateway expects."""
    response = await client.post(
        path, data=mo_xml(TEST_NUMBER, "hi"), headers=MO_HEADERS
    )

    assert response.status == 200
    assert await response.read() == b""


@pytest.mark.parametrize(
    ("body", "content_type", "sender", "content"),
    [
        pytest.param(
            b"<message><sender>2065550123</sender>"
            b"<content>a &amp; b &lt;c&gt; &#x1F3E0;</content></message>",
            "text/xml",
            TEST_NUMBER,
            "a & b <c> \U0001f3e0",
            id="escaped-text-no-declaration",
        ),
        pytest.param(
            b"<message><sender>\n  2065550123\n</sender></message>",
            "text/xml",
            TEST_NUMBER,
            "",
            id="no-content-element",
        ),
        pytest.param(
            b"<message><id>7</id><sender>2065550123</sender><content/>"
            b"<extra>ignored</extra></message>",
            "text/xml",
            TEST_NUMBER,
            "",
            id="unknown-elements-ignored",
        ),
        pytest.param(
            mo_xml(TEST_NUMBER, "caf\u00e9").encode("latin-1"),
            "text/xml; charset=iso-8859-1",
            TEST_NUMBER,
            "caf\u00e9",
            id="latin-1-declared",
        ),
        pytest.param(
            b'<?xml version="1.0" encoding="ISO-8859-1"?>'
            b"<message><sender>2065550123</sender><content>caf\xe9</content></message>",
            "text/xml",
            TEST_NUMBER,
            "caf\u00e9",
            id="latin-1-declared-in-xml-only",
        ),
        pytest.param(
            mo_xml(TEST_NUMBER, "caf\u00e9 \u20ac").encode("utf-16-be"),
            "text/xml; charset=utf-16be",
            TEST_NUMBER,
            "caf\u00e9 \u20ac",
            id="utf-16be-declared",
        ),
        pytest.param(
            mo_xml(TEST_NUMBER, "hi").encode(),
            "text/xml; charset=US-ASCII",
            TEST_NUMBER,
            "hi",
            id="us-ascii-declared",
        ),
        pytest.param(
            mo_xml(TEST_NUMBER, "form encoded").encode(),
            "application/x-www-form-urlencoded",
            TEST_NUMBER,
            "form encoded",
            id="any-content-type",
        ),
        pytest.param(
            mo_xml("+1 (206) 555-0123", "as sent").encode(),
            "text/xml",
            TEST_NUMBER,
            "as sent",
            id="sender-normalized",
        ),
    ],
)
async def test_good_message_variants(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    client: TestClient,
    path: str,
    *,
    body: bytes,
    content_type: str,
    sender: str,
    content: str,
) -> None:
    """Messages in other valid shapes are received with the exact sender and content."""
    events = async_capture_events(hass, EVENT_RECEIVED)

    response = await client.post(
        path, data=body, headers={"Content-Type": content_type}
    )
    await hass.async_block_till_done()

    assert response.status == 200
    assert [(event.data["sender"], event.data["content"]) for event in events] == [
        (sender, content)
    ]


async def test_messages_arrive_in_order(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    client: TestClient,
    path: str,
) -> None:
    """Several messages fire one event each, in the order they arrived."""
    events = async_capture_events(hass, EVENT_RECEIVED)
    url = str(client.make_url(path))

    for text in ("one", "two", "three"):
        assert await simulator.post_mo(TEST_NUMBER, text, url=url) == 200
    await hass.async_block_till_done()

    assert [event.data["content"] for event in events] == ["one", "two", "three"]


async def test_largest_allowed_message(
    hass: HomeAssistant, client: TestClient, path: str
) -> None:
    """A body of exactly 64 KiB with the longest content allowed (1,600 characters) is received intact."""
    events = async_capture_events(hass, EVENT_RECEIVED)
    content = "\U0001f3e0" * MAX_CONTENT_CHARACTERS
    message = mo_xml(TEST_NUMBER, content)
    padding = " " * (MAX_BODY_BYTES - len(message.encode()))
    body = message.replace("</message>", f"{padding}</message>").encode()

    response = await client.post(path, data=body, headers=MO_HEADERS)
    await hass.async_block_till_done()

    assert (MAX_BODY_BYTES, MAX_CONTENT_CHARACTERS) == (64 * 1024, 1600)
    assert len(body) == MAX_BODY_BYTES
    assert response.status == 200
    assert [event.data["content"] for event in events] == [content]


async def test_bad_posts_do_not_stop_good_ones(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    loaded_entry: MockConfigEntry,
    client: TestClient,
    path: str,
) -> None:
    """After hostile and oversized posts the webhook still receives the next good message."""
    events = async_capture_events(hass, EVENT_RECEIVED)
    assert (await client.post(path, data=BILLION_LAUGHS)).status == 400
    assert (await client.post(path, data=padded_mo(1024 * 1024))).status == 413

    status = await simulator.post_mo(
        TEST_NUMBER, "still here", url=str(client.make_url(path))
    )
    await hass.async_block_till_done()

    assert status == 200
    assert [event.data for event in events] == [
        event_data(loaded_entry.entry_id, TEST_NUMBER, "still here", "STILL")
    ]


# Messages relayed by Home Assistant Cloud


async def test_message_relayed_by_cloud(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Messages relayed by Home Assistant Cloud (no real request object) are handled alike."""
    events = async_capture_events(hass, EVENT_RECEIVED)
    ws = await hass_ws_client(hass)
    webhook_id = loaded_entry.data[CONF_WEBHOOK_ID]

    async def relay(body: str, headers: dict[str, str], method: str = "POST") -> int:
        await ws.send_json_auto_id(
            {
                "type": "webhook/handle",
                "webhook_id": webhook_id,
                "method": method,
                "body": body,
                "headers": headers,
            }
        )
        response = await ws.receive_json()
        assert response["success"]
        return int(response["result"]["status"])

    assert await relay(mo_xml(TEST_NUMBER, "via cloud"), MO_HEADERS) == 200
    assert (
        await relay(mo_xml(TEST_NUMBER, "bad length"), {"Content-Length": "many"})
        == 200
    )
    assert await relay(padded_mo(MAX_BODY_BYTES + 1).decode(), MO_HEADERS) == 413
    assert await relay(BILLION_LAUGHS, MO_HEADERS) == 400
    assert await relay(mo_xml("TATANGO", "not a number"), MO_HEADERS) == 400
    assert await relay(mo_xml(TEST_NUMBER, "x" * 1601), MO_HEADERS) == 413
    assert await relay("", {}, "GET") == 200
    assert await relay(mo_xml(TEST_NUMBER, "put"), MO_HEADERS, "PUT") == 405
    await hass.async_block_till_done()

    assert [event.data for event in events] == [
        event_data(loaded_entry.entry_id, TEST_NUMBER, "via cloud", "VIA"),
        event_data(loaded_entry.entry_id, TEST_NUMBER, "bad length", "BAD"),
    ]


# Who may send


@pytest.mark.parametrize(
    ("accept_unknown", "expected"),
    [
        (True, [("Alice", "alarm off"), (None, "hello from a stranger")]),
        (False, [("Alice", "alarm off")]),
    ],
    ids=["unknown-accepted", "unknown-ignored"],
)
async def test_saved_and_unknown_senders(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    ha_url: str,
    hass_client_no_auth: ClientSessionGenerator,
    *,
    accept_unknown: bool,
    expected: list[tuple[str | None, str]],
) -> None:
    """A saved recipient's SMS names them; an unknown sender's SMS is ignored when the option says so.

    Either way the gateway gets 200, so it does not retry.
    """
    entry = make_entry(
        simulator.messages_url,
        options={"accept_unknown_senders": accept_unknown},
        recipients={"Alice": TEST_NUMBER},
    )
    await async_add_and_set_up(hass, entry)
    client = await hass_client_no_auth()
    url = str(client.make_url(webhook_path(entry.data[CONF_WEBHOOK_ID])))
    events = async_capture_events(hass, EVENT_RECEIVED)

    assert await simulator.post_mo("+1 (206) 555-0123", "alarm off", url=url) == 200
    assert (
        await simulator.post_mo("3125550199", "hello from a stranger", url=url) == 200
    )
    await hass.async_block_till_done()

    assert [
        (event.data["recipient"], event.data["content"]) for event in events
    ] == expected
