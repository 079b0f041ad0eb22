"""Tests of the webhook the gateway posts incoming SMS (MO) to.

Posts go over a real socket to Home Assistant's HTTP app: good messages from the
gateway simulator, hostile and malformed bodies from a plain HTTP client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import logging

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
from custom_components.tatango_sms.tatango.mo import MAX_BODY_BYTES
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from tatango_simulator import GatewaySimulator, mo_xml

from .helpers import (
    OUR_LOGGER,
    TEST_NUMBER,
    async_add_and_set_up,
    event_data,
    leaked_secrets,
    make_entry,
    webhook_path,
)

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
            mo_xml(TEST_NUMBER, "hi").encode(),
            "text/xml; charset=no-such-charset",
            TEST_NUMBER,
            "hi",
            id="unknown-charset-header-ignored",
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
            "+1 (206) 555-0123",
            "as sent",
            id="sender-kept-as-sent",
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
    """A body of exactly 64 KiB is still received, content intact."""
    events = async_capture_events(hass, EVENT_RECEIVED)
    body = padded_mo(MAX_BODY_BYTES)

    response = await client.post(path, data=body, headers=MO_HEADERS)
    await hass.async_block_till_done()

    assert MAX_BODY_BYTES == 64 * 1024
    assert response.status == 200
    [event] = events
    assert len(event.data["content"]) == MAX_BODY_BYTES - len(mo_xml(TEST_NUMBER, ""))


# Bodies that are not messages

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE message [\n  <!ENTITY lol0 "lol">\n'
    + "".join(
        f'  <!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">\n'
        for level in range(1, 10)
    )
    + "]>\n<message><sender>2065550123</sender><content>&lol9;</content></message>"
)
QUADRATIC_BLOWUP = (
    '<?xml version="1.0"?>\n<!DOCTYPE message [<!ENTITY a "'
    + "a" * 30000
    + '">]>\n<message><sender>2065550123</sender><content>'
    + "&a;" * 3000
    + "</content></message>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?>\n'
    '<!DOCTYPE message [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    "<message><sender>2065550123</sender><content>&xxe;</content></message>"
)
EXTERNAL_DTD = (
    '<?xml version="1.0"?>\n'
    '<!DOCTYPE message SYSTEM "http://127.0.0.1:1/evil.dtd">\n'
    "<message><sender>2065550123</sender><content>hi</content></message>"
)
PARAMETER_ENTITY = (
    '<?xml version="1.0"?>\n'
    '<!DOCTYPE message [<!ENTITY % remote SYSTEM "http://127.0.0.1:1/x.dtd"> %remote;]>\n'
    "<message><sender>2065550123</sender><content>hi</content></message>"
)
PLAIN_DTD = (
    '<?xml version="1.0"?>\n<!DOCTYPE message>\n'
    "<message><sender>2065550123</sender><content>hi</content></message>"
)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(BILLION_LAUGHS, "text/xml", id="billion-laughs"),
        pytest.param(QUADRATIC_BLOWUP, "text/xml", id="quadratic-blowup"),
        pytest.param(EXTERNAL_ENTITY, "text/xml", id="external-entity"),
        pytest.param(EXTERNAL_DTD, "text/xml", id="external-dtd"),
        pytest.param(PARAMETER_ENTITY, "text/xml", id="parameter-entity"),
        pytest.param(PLAIN_DTD, "text/xml", id="doctype"),
        pytest.param(b"", "text/xml", id="empty"),
        pytest.param(" \r\n\t ", "text/xml", id="blank"),
        pytest.param("hello, this is not XML", "text/plain", id="plain-text"),
        pytest.param(
            '{"sender": "2065550123", "content": "hi"}', "application/json", id="json"
        ),
        pytest.param(
            "sender=2065550123&content=hi",
            "application/x-www-form-urlencoded",
            id="form",
        ),
        pytest.param("<html><body>hi</body></html>", "text/html", id="html"),
        pytest.param(
            "<sms><sender>2065550123</sender><content>hi</content></sms>",
            "text/xml",
            id="wrong-root",
        ),
        pytest.param(
            "<message><content>hi</content></message>", "text/xml", id="no-sender"
        ),
        pytest.param(
            "<message><sender> \n </sender><content>hi</content></message>",
            "text/xml",
            id="blank-sender",
        ),
        pytest.param(
            "<message><sender>2065550123</sender><content>hi</content>",
            "text/xml",
            id="truncated",
        ),
        pytest.param(
            "<message><sender>2065550123</sender><sender>3125550199</sender>"
            "<content>hi</content></message>",
            "text/xml",
            id="two-senders",
        ),
        pytest.param(
            "<message><sender>2065550123</sender><content>hi <b>there</b></content>"
            "</message>",
            "text/xml",
            id="markup-in-content",
        ),
        pytest.param(
            b"<message><sender>2065550123</sender><content>caf\xe9</content></message>",
            "text/xml",
            id="not-utf-8",
        ),
        pytest.param(
            b"<message><sender>2065550123</sender><content>\xff\xfe</content></message>",
            "text/xml; charset=utf-8",
            id="not-declared-charset",
        ),
    ],
)
async def test_bad_body_is_refused(
    hass: HomeAssistant,
    client: TestClient,
    path: str,
    body: str | bytes,
    content_type: str,
) -> None:
    """Hostile, malformed and non-message bodies get 400 and fire nothing."""
    events = async_capture_events(hass, EVENT_RECEIVED)

    response = await client.post(
        path, data=body, headers={"Content-Type": content_type}
    )
    await hass.async_block_till_done()

    assert response.status == 400
    assert events == []


async def _chunks(body: bytes, size: int = 8192) -> AsyncIterator[bytes]:
    """Yield a body in pieces, so it is sent chunked, without a Content-Length."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


@pytest.mark.parametrize(
    ("body", "chunked"),
    [
        pytest.param(padded_mo(MAX_BODY_BYTES + 1), False, id="64KiB+1"),
        pytest.param(padded_mo(1024 * 1024), False, id="1MiB"),
        pytest.param(padded_mo(MAX_BODY_BYTES + 1), True, id="64KiB+1-chunked"),
        pytest.param(padded_mo(MAX_BODY_BYTES + 4, "🏠"), True, id="emoji-chunked"),
        pytest.param(b"<" * (1024 * 1024), False, id="1MiB-garbage"),
    ],
)
async def test_oversized_body_is_refused(
    hass: HomeAssistant, client: TestClient, path: str, body: bytes, chunked: bool
) -> None:
    """A body over 64 KiB, declared or sent without a length, gets 413 and fires nothing."""
    events = async_capture_events(hass, EVENT_RECEIVED)

    response = await client.post(
        path, data=_chunks(body) if chunked else body, headers=MO_HEADERS
    )
    await hass.async_block_till_done()

    assert response.status == 413
    assert events == []


def assert_nothing_logged(caplog: pytest.LogCaptureFixture, webhook_id: str) -> None:
    """Assert Home Assistant and the integration logged no problem, and nothing showed the webhook id."""
    assert [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING
        and r.name.startswith(("homeassistant", OUR_LOGGER))
    ] == []
    # The test server's access log shows every URL; Home Assistant's start-up
    # sets it to WARNING.
    records = [r for r in caplog.records if r.name != "aiohttp.access"]
    assert leaked_secrets(records, {"webhook id": webhook_id}) == []


async def test_chunked_body_over_home_assistant_limit(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    client: TestClient,
    path: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A chunked body bigger than Home Assistant accepts at all (16 MiB) gets 413 too.

    It is not read past 64 KiB, so nothing fails inside Home Assistant and
    nothing logs the webhook id.
    """
    events = async_capture_events(hass, EVENT_RECEIVED)
    caplog.set_level(logging.DEBUG, logger="custom_components.tatango_sms")

    body = padded_mo(17 * 1024 * 1024)
    response = await client.post(
        path, data=_chunks(body, 256 * 1024), headers=MO_HEADERS
    )
    await hass.async_block_till_done()

    assert response.status == 413
    assert events == []
    assert_nothing_logged(caplog, loaded_entry.data[CONF_WEBHOOK_ID])


async def test_broken_compressed_body_is_refused(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    client: TestClient,
    path: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A body that says it is gzip-compressed but is not gets 400, and nothing logs the webhook id."""
    events = async_capture_events(hass, EVENT_RECEIVED)

    response = await client.post(
        path,
        data=b"this is not gzip" * 10,
        headers={**MO_HEADERS, "Content-Encoding": "gzip"},
    )
    await hass.async_block_till_done()

    assert response.status == 400
    assert events == []
    # (aiohttp itself logs the broken payload as it drains the connection,
    # without the URL.)
    assert_nothing_logged(caplog, loaded_entry.data[CONF_WEBHOOK_ID])


@pytest.mark.parametrize("method", ["get", "put", "delete"])
async def test_only_post_is_accepted(
    hass: HomeAssistant, client: TestClient, path: str, method: str
) -> None:
    """The webhook takes POST only; other methods get 405 and fire nothing."""
    events = async_capture_events(hass, EVENT_RECEIVED)

    response = await client.request(method, path, data=mo_xml(TEST_NUMBER, "hi"))
    await hass.async_block_till_done()

    assert response.status == 405
    assert events == []


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

    async def relay(body: str, headers: dict[str, str]) -> int:
        await ws.send_json_auto_id(
            {
                "type": "webhook/handle",
                "webhook_id": webhook_id,
                "method": "POST",
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
