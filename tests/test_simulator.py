"""Tests of the gateway simulator itself, over real loopback sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
import os
from pathlib import Path
import signal
import socket
import sys
import time
from typing import Any
from xml.etree import ElementTree as ET

import aiohttp
from aiohttp import web
import pytest

from tatango_simulator import (
    GatewaySimulator,
    NumberStatus,
    cdata,
    gateway_hash,
    is_valid_number,
    mo_xml,
)

from .const import TEST_KEY, TEST_PASSWORD

NUMBER = "2065550123"
OTHER = "3125550199"
REPO = Path(__file__).resolve().parent.parent


def form(
    recipient: str | None = NUMBER,
    message: str | None = "hello",
    *,
    key: str | None = TEST_KEY,
    password: str = TEST_PASSWORD,
    digest: str | None = None,
) -> dict[str, str]:
    """Return a send form; a None field is left out."""
    fields = {
        "key": key,
        "recipient": recipient,
        "message": message,
        "hash": digest
        if digest is not None
        else gateway_hash(password, message if message is not None else ""),
    }
    return {name: value for name, value in fields.items() if value is not None}


async def post(
    session: aiohttp.ClientSession, sim: GatewaySimulator, data: dict[str, str]
) -> tuple[int, str]:
    """Post a form to the simulator's /messages; return the status and body."""
    async with session.post(sim.messages_url, data=data) as response:
        return response.status, await response.text()


async def send(
    session: aiohttp.ClientSession, sim: GatewaySimulator, recipient: str, message: str
) -> int:
    """Send a correctly signed message; return the status."""
    status, _ = await post(session, sim, form(recipient, message))
    return status


async def control(
    session: aiohttp.ClientSession,
    sim: GatewaySimulator,
    path: str,
    body: Any = None,
    *,
    raw: str | None = None,
) -> tuple[int, Any]:
    """Call the control API; return the status and the decoded JSON answer."""
    url = f"{sim.base_url}/control/{path}"
    if path == "state":
        request = session.get(url)
    elif raw is not None:
        request = session.post(
            url, data=raw, headers={"Content-Type": "application/json"}
        )
    else:
        request = session.post(url, json=body if body is not None else {})
    async with request as response:
        return response.status, await response.json()


# Pure helpers


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("hello", "c63d1123ec7a75e67feed764d0bbc5d1"),
        ("Caf\u00e9, ma\u00f1ana", "77d395bb89827c2a78d59166363ed9f1"),
        ("\U0001f3e0 Door open \U0001f6aa", "42ac468ee16c9376a2b1996f4ca17d77"),
        ("", "03a240b8cb6c79b68a5bf52378565070"),
    ],
)
def test_gateway_hash_vectors(message: str, expected: str) -> None:
    """The simulator's own hash matches digests computed outside Python."""
    assert gateway_hash(TEST_PASSWORD, message) == expected


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("2065550123", True),
        ("2002000000", True),
        ("9999999999", True),
        ("1065550123", False),
        ("0065550123", False),
        ("2061550123", False),
        ("2060550123", False),
        ("206555012", False),
        ("20655501234", False),
        ("12065550123", False),
        ("+12065550123", False),
        ("206-555-0123", False),
        ("206555012a", False),
        ("２０６５５５０１２３", False),  # full-width digits
        ("", False),
    ],
)
def test_number_rule(number: str, valid: bool) -> None:
    """Only bare 10-digit numbers with area and exchange codes 2-9 are valid."""
    assert is_valid_number(number) is valid


# The opt-in state machine


async def test_new_number_is_invited_and_message_held(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """A number never seen gets 202 and is invited; the message waits."""
    status, body = await post(http_session, simulator, form(NUMBER, "first"))

    assert status == 202
    assert "invited" in body
    assert simulator.status_of(NUMBER) is NumberStatus.INVITED
    assert simulator.state.phones[NUMBER].held == "first"
    assert simulator.delivered(NUMBER) == []
    assert simulator.status_of(OTHER) is NumberStatus.UNKNOWN


async def test_invited_number_gets_409_and_nothing_delivered(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """While invited, sends get 409; opting in delivers only the held message."""
    assert await send(http_session, simulator, NUMBER, "first") == 202
    assert await send(http_session, simulator, NUMBER, "second") == 409
    assert await send(http_session, simulator, NUMBER, "third") == 409
    assert simulator.delivered(NUMBER) == []

    simulator.opt_in(NUMBER)

    assert simulator.status_of(NUMBER) is NumberStatus.OPTED_IN
    assert simulator.delivered(NUMBER) == ["first"]
    assert await send(http_session, simulator, NUMBER, "fourth") == 200
    assert simulator.delivered(NUMBER) == ["first", "fourth"]


async def test_opt_in_before_any_message(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """A phone that opted in before anything was sent gets messages at once."""
    simulator.opt_in(NUMBER)

    status, body = await post(http_session, simulator, form(NUMBER, "hi"))

    assert status == 200
    assert body == "your message has been sent"
    assert simulator.delivered(NUMBER) == ["hi"]


async def test_block(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """A blocked number gets 403 and its held message is never delivered."""
    assert await send(http_session, simulator, NUMBER, "held") == 202

    simulator.block(NUMBER)

    assert simulator.status_of(NUMBER) is NumberStatus.BLOCKED
    assert await send(http_session, simulator, NUMBER, "again") == 403
    simulator.opt_in(NUMBER)  # the phone unblocks the gateway
    assert simulator.delivered(NUMBER) == []
    assert await send(http_session, simulator, NUMBER, "back") == 200
    assert simulator.delivered(NUMBER) == ["back"]


# Authentication and validation


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(form(key="wrong"), 401, id="wrong-key"),
        pytest.param(form(key=""), 401, id="empty-key"),
        pytest.param(form(key=None), 401, id="missing-key"),
        pytest.param(form(password="wrong"), 401, id="wrong-password"),
        pytest.param(
            form(digest=gateway_hash(TEST_PASSWORD, "hello").upper()),
            401,
            id="upper-case-hash",
        ),
        pytest.param(
            form(digest=gateway_hash(TEST_PASSWORD, "other message")),
            401,
            id="hash-of-another-message",
        ),
        pytest.param(
            {k: v for k, v in form().items() if k != "hash"}, 401, id="missing-hash"
        ),
        pytest.param(form(message=None), 400, id="missing-message"),
        pytest.param(form(recipient=None), 400, id="missing-recipient"),
        pytest.param(form(recipient="1065550123"), 400, id="invalid-number"),
        pytest.param(form(recipient="+12065550123"), 400, id="not-normalised"),
        pytest.param(form(recipient="1065550123", key="wrong"), 401, id="auth-first"),
        pytest.param(form(message=""), 202, id="empty-message"),
    ],
)
async def test_authentication_and_validation(
    simulator: GatewaySimulator,
    http_session: aiohttp.ClientSession,
    data: dict[str, str],
    expected: int,
) -> None:
    """Bad credentials get 401 and bad numbers 400, before any state changes."""
    status, _ = await post(http_session, simulator, data)

    assert status == expected
    if expected != 202:
        assert simulator.status_of(NUMBER) is NumberStatus.UNKNOWN
    assert simulator.requests[-1].status == expected


async def test_requests_are_recorded(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """Every request is recorded with its fields, the answer and when it came."""
    before = time.time()
    await send(http_session, simulator, NUMBER, "Caf\u00e9")
    await post(http_session, simulator, form(OTHER, "x", key="wrong"))

    first, second = simulator.requests
    assert first.fields == (
        ("key", TEST_KEY),
        ("recipient", NUMBER),
        ("message", "Caf\u00e9"),
        ("hash", gateway_hash(TEST_PASSWORD, "Caf\u00e9")),
    )
    assert (first.key, first.recipient, first.message) == (
        TEST_KEY,
        NUMBER,
        "Caf\u00e9",
    )
    assert first.hash == gateway_hash(TEST_PASSWORD, "Caf\u00e9")
    assert first.status == 202
    assert not first.dropped
    assert first.timestamp.tzinfo is not None
    assert first.timestamp.timestamp() >= before - 1
    assert second.key == "wrong"
    assert second.status == 401
    assert second.form == {
        "key": "wrong",
        "recipient": OTHER,
        "message": "x",
        "hash": gateway_hash(TEST_PASSWORD, "x"),
    }


# Fault injection


async def test_force_status_for_next_requests(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """A forced status answers the next N sends, bypassing the state machine."""
    simulator.opt_in(NUMBER)
    simulator.force_status(500, count=2)

    assert await send(http_session, simulator, NUMBER, "a") == 500
    assert await send(http_session, simulator, OTHER, "b") == 500
    assert await send(http_session, simulator, NUMBER, "c") == 200
    assert simulator.delivered(NUMBER) == ["c"]
    assert simulator.status_of(OTHER) is NumberStatus.UNKNOWN


@pytest.mark.parametrize("status", [418, 502, 599])
async def test_forced_status_without_a_gateway_meaning(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession, status: int
) -> None:
    """Any status from 200 to 599 can be forced, even one without a registered reason phrase."""
    simulator.force_status(status)

    assert await send(http_session, simulator, NUMBER, "a") == status


async def test_forced_success_delivers_nothing(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """A forced 200 is only an answer: nothing reaches the phone."""
    simulator.force_status(200)

    assert await send(http_session, simulator, NUMBER, "ghost") == 200
    assert simulator.delivered(NUMBER) == []
    assert simulator.status_of(NUMBER) is NumberStatus.UNKNOWN


async def test_force_status_for_one_number(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """A status forced for a number leaves other numbers alone."""
    simulator.force_status(503, count=1, number=NUMBER)

    assert await send(http_session, simulator, OTHER, "b") == 202
    assert await send(http_session, simulator, NUMBER, "a") == 503
    assert await send(http_session, simulator, NUMBER, "a") == 202


async def test_number_force_wins_over_global(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """A status forced for the recipient is used before a global one."""
    simulator.force_status(500, count=1)
    simulator.force_status(418, count=1, number=NUMBER)

    assert await send(http_session, simulator, NUMBER, "a") == 418
    assert await send(http_session, simulator, NUMBER, "a") == 500
    assert await send(http_session, simulator, NUMBER, "a") == 202


async def test_force_count_zero_cancels(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """Forcing with count 0 cancels a pending forced status."""
    simulator.force_status(500, count=5)
    simulator.force_status(500, count=0)

    assert await send(http_session, simulator, NUMBER, "a") == 202


@pytest.mark.parametrize(
    ("status", "count"), [(99, 1), (600, 1), (500, -1)], ids=["low", "high", "count"]
)
def test_force_rejects_nonsense(status: int, count: int) -> None:
    """Statuses outside 200-599 and negative counts are refused."""
    sim = GatewaySimulator(key=TEST_KEY, password=TEST_PASSWORD)

    with pytest.raises(ValueError):
        sim.force_status(status, count)


async def test_queue_down_and_up(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """With the queue down everything gets 503; forced statuses wait for it."""
    simulator.opt_in(NUMBER)
    simulator.force_status(500)
    simulator.set_queue_down(True)

    status, body = await post(http_session, simulator, form(NUMBER, "a"))
    assert (status, body) == (503, "the queue is down")
    assert await send(http_session, simulator, OTHER, "b") == 503
    assert (await post(http_session, simulator, form(key="wrong")))[0] == 503
    assert simulator.delivered(NUMBER) == []

    simulator.set_queue_down(False)

    assert await send(http_session, simulator, NUMBER, "c") == 500
    assert await send(http_session, simulator, NUMBER, "d") == 200
    assert simulator.delivered(NUMBER) == ["d"]


async def test_latency(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """Latency delays every answer; zero removes it."""
    simulator.set_latency(0.3)

    start = time.monotonic()
    assert await send(http_session, simulator, NUMBER, "slow") == 202
    assert time.monotonic() - start >= 0.3

    simulator.set_latency(0)
    start = time.monotonic()
    assert await send(http_session, simulator, NUMBER, "fast") == 409
    assert time.monotonic() - start < 0.3


async def test_stop_ends_pending_latency(socket_enabled: None) -> None:
    """Stopping the simulator does not wait out a long latency."""
    sim = GatewaySimulator(key=TEST_KEY, password=TEST_PASSWORD)
    await sim.start()
    sim.set_latency(30)
    async with aiohttp.ClientSession() as session:
        pending = asyncio.ensure_future(send(session, sim, NUMBER, "x"))
        while not sim.requests:
            await asyncio.sleep(0.01)
        start = time.monotonic()
        await sim.stop()
        assert time.monotonic() - start < 5
        assert await pending == 202


async def test_drop_connections(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """Dropped connections are closed after the request, with no answer at all."""
    simulator.opt_in(NUMBER)
    simulator.drop_connections(2)

    for text in ("one", "two"):
        with pytest.raises(aiohttp.ClientConnectionError) as err:
            await send(http_session, simulator, NUMBER, text)
        assert not isinstance(err.value, aiohttp.ClientConnectorError)

    assert await send(http_session, simulator, NUMBER, "three") == 200
    assert [r.status for r in simulator.requests] == [None, None, 200]
    assert [r.dropped for r in simulator.requests] == [True, True, False]
    assert [r.message for r in simulator.requests] == ["one", "two", "three"]
    assert simulator.delivered(NUMBER) == ["three"]


async def test_reset(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """Reset forgets phones, history and faults but keeps the credentials."""
    await send(http_session, simulator, NUMBER, "a")
    simulator.block(OTHER)
    simulator.force_status(500, count=3)
    simulator.force_status(500, count=3, number=NUMBER)
    simulator.set_latency(2)
    simulator.set_queue_down(True)
    simulator.drop_connections(4)

    simulator.reset()

    assert simulator.requests == []
    assert simulator.status_of(NUMBER) is NumberStatus.UNKNOWN
    assert simulator.status_of(OTHER) is NumberStatus.UNKNOWN
    start = time.monotonic()
    assert await send(http_session, simulator, NUMBER, "b") == 202
    assert time.monotonic() - start < 2
    assert len(simulator.requests) == 1


async def test_unknown_route_and_method(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """Only POST is served at /messages."""
    async with http_session.get(simulator.messages_url) as response:
        assert response.status == 405
    assert simulator.requests == []


async def test_start_twice_and_urls(socket_enabled: None) -> None:
    """The URLs reflect the chosen port; a running simulator cannot start again."""
    sim = GatewaySimulator(key=TEST_KEY, password=TEST_PASSWORD)
    with pytest.raises(RuntimeError):
        _ = sim.base_url
    await sim.start(host="127.0.0.1", port=0)
    port = sim.port
    try:
        assert port > 0
        assert sim.base_url == f"http://127.0.0.1:{sim.port}"
        assert sim.messages_url == f"http://127.0.0.1:{sim.port}/messages"
        with pytest.raises(RuntimeError):
            await sim.start()
    finally:
        await sim.stop()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0


# MO


@dataclass
class Webhook:
    """A small web server standing in for Home Assistant's webhook."""

    status: int = 200
    received: list[tuple[str, str | None, bytes]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
async def webhook(socket_enabled: None) -> AsyncIterator[Webhook]:
    """Run a webhook on loopback that records what is posted to it."""
    hook = Webhook()

    async def handle(request: web.Request) -> web.Response:
        hook.received.append(
            (request.method, request.headers.get("Content-Type"), await request.read())
        )
        return web.Response(status=hook.status)

    app = web.Application()
    app.router.add_post("/api/webhook/abc", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook.url = f"http://127.0.0.1:{runner.addresses[0][1]}/api/webhook/abc"
    try:
        yield hook
    finally:
        await runner.cleanup()


def test_mo_xml_is_the_documented_format() -> None:
    """The body is the published XML, byte for byte."""
    assert mo_xml("9998887777", "here is a message") == (
        '<?xml version="1.0"?>\n'
        "<message>\n"
        "  <sender>9998887777</sender>\n"
        "  <content><![CDATA[here is a message]]></content>\n"
        "</message>"
    )


def test_cdata_splits_terminator() -> None:
    """A ]]> inside the content is split across two CDATA sections."""
    assert cdata("a]]>b") == "<![CDATA[a]]]]><![CDATA[>b]]>"
    assert cdata("") == "<![CDATA[]]>"


async def test_post_mo(simulator: GatewaySimulator, webhook: Webhook) -> None:
    """An MO is POSTed as text/xml with exactly the documented body."""
    simulator.mo_url = webhook.url
    webhook.status = 202

    expected = (
        b'<?xml version="1.0"?>\n<message>\n  <sender>2065550123</sender>\n'
        b"  <content><![CDATA[STATUS please]]></content>\n</message>"
    )

    status = await simulator.post_mo(NUMBER, "STATUS please")

    assert status == 202
    assert webhook.received == [
        (
            "POST",
            "text/xml",
            expected,
        )
    ]
    (entry,) = simulator.state.phones[NUMBER].conversation
    assert (entry.direction, entry.text, entry.webhook_status) == (
        "mo",
        "STATUS please",
        202,
    )
    assert simulator.delivered(NUMBER) == []


@pytest.mark.parametrize(
    "content",
    [
        "Caf\u00e9 \U0001f3e0 ma\u00f1ana",
        "tricky ]]> end",
        "]]>]]>",
        "<b>not markup</b> & more",
        "",
        "line one\nline two",
    ],
)
async def test_post_mo_content_round_trips(
    simulator: GatewaySimulator, webhook: Webhook, content: str
) -> None:
    """Whatever the phone typed comes back out of the XML unchanged."""
    status = await simulator.post_mo(NUMBER, content, url=webhook.url)

    assert status == 200
    _, _, body = webhook.received[0]
    # The simulator's own document: trusted, so the standard parser will do.
    root = ET.fromstring(body)  # noqa: S314
    assert root.tag == "message"
    assert root.findtext("sender") == NUMBER
    assert (root.findtext("content") or "") == content


async def test_post_mo_reports_webhook_status(
    simulator: GatewaySimulator, webhook: Webhook
) -> None:
    """The webhook's answer is returned as is."""
    webhook.status = 404

    assert await simulator.post_mo(NUMBER, "hi", url=webhook.url) == 404


async def test_post_mo_without_url(simulator: GatewaySimulator) -> None:
    """Without an MO URL there is nowhere to post."""
    with pytest.raises(ValueError):
        await simulator.post_mo(NUMBER, "hi")


async def test_post_mo_unreachable(simulator: GatewaySimulator) -> None:
    """An unreachable webhook raises a connection error."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    with pytest.raises(aiohttp.ClientConnectionError):
        await simulator.post_mo(NUMBER, "hi", url=f"http://127.0.0.1:{port}/")

    (entry,) = simulator.state.phones[NUMBER].conversation
    assert entry.webhook_status is None


# Control API


async def test_control_state(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """The state shows phones, requests, faults and URLs, but not the password."""
    await send(http_session, simulator, NUMBER, "first")

    status, state = await control(http_session, simulator, "state")

    assert status == 200
    assert state["messages_url"] == simulator.messages_url
    assert state["mo_url"] is None
    assert state["queue_down"] is False
    assert state["numbers"][NUMBER]["status"] == "invited"
    assert state["numbers"][NUMBER]["held"] == "first"
    (request,) = state["requests"]
    assert request["recipient"] == NUMBER
    assert request["message"] == "first"
    assert request["status"] == 202
    assert TEST_PASSWORD not in repr(state)


async def test_control_opt_in_and_block(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """The phone's answers can be given over HTTP."""
    await send(http_session, simulator, NUMBER, "first")

    status, answer = await control(
        http_session, simulator, "opt_in", {"number": NUMBER}
    )

    assert status == 200
    assert answer["number"] == NUMBER
    assert answer["status"] == "opted_in"
    assert [e["text"] for e in answer["conversation"]] == ["first"]
    assert simulator.delivered(NUMBER) == ["first"]

    status, answer = await control(http_session, simulator, "block", {"number": OTHER})

    assert (status, answer["status"]) == (200, "blocked")
    assert await send(http_session, simulator, OTHER, "x") == 403


async def test_control_faults(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """Force, queue, latency and drop work over HTTP, and reset clears them."""
    status, faults = await control(
        http_session, simulator, "force", {"status": 501, "count": 2, "number": NUMBER}
    )
    assert status == 200
    assert faults["forced"]["numbers"] == {NUMBER: {"status": 501, "remaining": 2}}
    assert await send(http_session, simulator, NUMBER, "a") == 501

    status, faults = await control(http_session, simulator, "force", {"status": 500})
    assert faults["forced"]["global"] == {"status": 500, "remaining": 1}
    assert await send(http_session, simulator, OTHER, "a") == 500

    status, faults = await control(http_session, simulator, "queue", {"down": True})
    assert faults["queue_down"] is True
    assert await send(http_session, simulator, OTHER, "a") == 503
    await control(http_session, simulator, "queue", {"down": False})
    assert await send(http_session, simulator, OTHER, "a") == 202

    status, faults = await control(
        http_session, simulator, "latency", {"seconds": 0.25}
    )
    assert faults["latency"] == 0.25
    start = time.monotonic()
    await send(http_session, simulator, OTHER, "a")
    assert time.monotonic() - start >= 0.25

    status, faults = await control(http_session, simulator, "drop", {"count": 1})
    assert faults["drops_pending"] == 1
    with pytest.raises(aiohttp.ClientConnectionError):
        await send(http_session, simulator, OTHER, "a")

    status, faults = await control(http_session, simulator, "reset")
    assert status == 200
    assert faults == {
        "latency": 0.0,
        "queue_down": False,
        "drops_pending": 0,
        "forced": {"global": None, "numbers": {}},
        "mo_url": None,
    }
    assert simulator.requests == []
    assert await send(http_session, simulator, NUMBER, "a") == 202


async def test_control_mo(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession, webhook: Webhook
) -> None:
    """An MO can be sent over HTTP, to the configured URL or a given one."""
    status, answer = await control(
        http_session, simulator, "mo", {"sender": NUMBER, "content": "hi"}
    )
    assert (status, answer) == (409, {"error": "no MO URL configured"})

    status, faults = await control(
        http_session, simulator, "mo_url", {"url": webhook.url}
    )
    assert (status, faults["mo_url"]) == (200, webhook.url)
    webhook.status = 202

    status, answer = await control(
        http_session, simulator, "mo", {"sender": NUMBER, "content": "hi ]]> there"}
    )

    assert (status, answer) == (200, {"status": 202})
    _, content_type, body = webhook.received[0]
    assert content_type == "text/xml"
    assert body == mo_xml(NUMBER, "hi ]]> there").encode()

    status, answer = await control(
        http_session,
        simulator,
        "mo",
        {"sender": NUMBER, "content": "x", "url": f"{simulator.base_url}/nowhere"},
    )
    assert (status, answer) == (200, {"status": 404})

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    status, answer = await control(
        http_session,
        simulator,
        "mo",
        {"sender": NUMBER, "content": "x", "url": f"http://127.0.0.1:{port}/"},
    )
    assert status == 502
    assert "cannot post the MO" in answer["error"]

    status, faults = await control(http_session, simulator, "mo_url", {"url": None})
    assert faults["mo_url"] is None


@pytest.mark.parametrize(
    ("path", "body", "raw"),
    [
        ("opt_in", {}, None),
        ("opt_in", {"number": 2065550123}, None),
        ("block", None, "{not json"),
        ("block", None, "[1, 2]"),
        ("force", {"status": "500"}, None),
        ("force", {"status": 99}, None),
        ("force", {"status": 500, "count": -1}, None),
        ("force", {"status": True}, None),
        ("force", {"status": 500, "number": 42}, None),
        ("latency", {"seconds": -1}, None),
        ("latency", {"seconds": "1"}, None),
        ("queue", {"down": "yes"}, None),
        ("queue", {"down": 1}, None),
        ("drop", {"count": 1.5}, None),
        ("mo", {"sender": NUMBER}, None),
        ("mo_url", {"url": 5}, None),
    ],
)
async def test_control_rejects_bad_input(
    simulator: GatewaySimulator,
    http_session: aiohttp.ClientSession,
    path: str,
    body: Any,
    raw: str | None,
) -> None:
    """Malformed control requests get 400 with an error and change nothing."""
    status, answer = await control(http_session, simulator, path, body, raw=raw)

    assert status == 400
    assert answer["error"]
    assert simulator.state.phones == {}
    assert simulator.state.forced() == {"global": None, "numbers": {}}
    assert (simulator.state.latency, simulator.state.queue_down) == (0.0, False)
    assert simulator.state.drops_pending == 0


# Standalone


async def test_command_line(socket_enabled: None) -> None:
    """Run standalone, the simulator serves the gateway and says where."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tatango_simulator",
        "--port",
        "0",
        "--key",
        TEST_KEY,
        "--password",
        TEST_PASSWORD,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert line.startswith(
            "Tatango gateway simulator listening on http://127.0.0.1:"
        )
        base_url = line.rsplit(" ", 1)[1].strip()
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{base_url}/messages", data=form()) as response:
                assert response.status == 202
            async with session.get(f"{base_url}/control/state") as response:
                state = await response.json()
        assert state["numbers"][NUMBER]["status"] == "invited"
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await process.communicate()
    assert process.returncode == 0
