"""Tests of the simulator's phone page and the JSON it reads, over real loopback sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator
import re
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from tatango_simulator import GatewaySimulator, gateway_hash
from tatango_simulator.phone_page import STATIC

from .const import TEST_KEY, TEST_PASSWORD

NUMBER = "2065550123"
OTHER = "3125550199"
ATTACK = '<img src=x onerror="alert(1)"> & </script><script>alert(2)</script>'


async def send(
    session: aiohttp.ClientSession,
    sim: GatewaySimulator,
    recipient: str | None,
    message: str,
) -> int:
    """Post a correctly signed send (without recipient when None); return the status."""
    form = {"key": TEST_KEY, "message": message}
    if recipient is not None:
        form["recipient"] = recipient
    form["hash"] = gateway_hash(TEST_PASSWORD, message)
    async with session.post(sim.messages_url, data=form) as response:
        return response.status


async def phones(session: aiohttp.ClientSession, sim: GatewaySimulator) -> Any:
    """Return what the page reads: GET /control/phones."""
    async with session.get(f"{sim.base_url}/control/phones") as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        return await response.json()


def phone(answer: dict[str, Any], number: str) -> dict[str, Any]:
    """Return one number's entry of /control/phones."""
    found = [p for p in answer["phones"] if p["number"] == number]
    assert len(found) == 1, answer
    return found[0]


def summary(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Return (direction, text, status or webhook status, delivery) of each item."""
    return [
        (
            item["direction"],
            item["text"],
            item["status"] if item["direction"] == "mt" else item["webhook_status"],
            item.get("delivery"),
        )
        for item in items
    ]


@pytest.fixture
async def webhook(socket_enabled: None) -> AsyncIterator[str]:
    """Run a webhook on loopback that answers 200; return its URL."""

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/api/webhook/abc", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/api/webhook/abc"
    finally:
        await runner.cleanup()


# The page itself


async def test_page_is_served_with_its_form_and_buttons(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """GET / is the phone page: the MO form, the webhook URL field and the controls."""
    async with http_session.get(f"{simulator.base_url}/") as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        assert response.charset == "utf-8"
        csp = response.headers["Content-Security-Policy"]
        page = await response.text()

    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    for element_id in (
        "mo-form",
        "mo-sender",
        "mo-content",
        "mo-url-form",
        "mo-url",
        "opt-in",
        "block",
        "queue-down",
        "queue-up",
        "phones",
        "messages",
    ):
        assert f'id="{element_id}"' in page, element_id
    assert '<script src="/phone.js" defer></script>' in page
    # No inline script or style: the policy would block them.
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None
    assert "<style" not in page
    assert " style=" not in page
    assert re.search(r"<[^>]*\son[a-z]+\s*=", page) is None  # no onclick= and such


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/phone.js", "text/javascript"), ("/phone.css", "text/css")],
)
async def test_page_assets(
    simulator: GatewaySimulator,
    http_session: aiohttp.ClientSession,
    path: str,
    content_type: str,
) -> None:
    """The script and the style sheet are served with their types."""
    async with http_session.get(f"{simulator.base_url}{path}") as response:
        assert response.status == 200
        assert response.content_type == content_type
        assert await response.text() == (STATIC / path[1:]).read_text(encoding="utf-8")


def test_script_never_parses_text_as_html() -> None:
    """Message text is attacker-controlled: the page only ever sets textContent."""
    script = (STATIC / "phone.js").read_text(encoding="utf-8")
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "setAttribute",
        ".href",
        ".src",
    ):
        assert sink not in script, sink
    for endpoint in ("phones", "mo", "mo_url", "opt_in", "block", "queue"):
        assert f"/control/{endpoint}" in script or f'control("{endpoint}"' in script


# The JSON the page reads


async def test_conversation_of_an_opt_in(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession, webhook: str
) -> None:
    """Invited, held, opted in, delivered, then an incoming SMS: one conversation."""
    assert await send(http_session, simulator, NUMBER, "first") == 202
    assert await send(http_session, simulator, NUMBER, "second") == 409
    held = phone(await phones(http_session, simulator), NUMBER)
    assert held["status"] == "invited"
    assert held["held"] == "first"
    assert summary(held["conversation"]) == [
        ("mt", "first", 202, "held"),
        ("mt", "second", 409, "not_delivered"),
    ]

    simulator.opt_in(NUMBER)
    assert await send(http_session, simulator, NUMBER, "third") == 200
    assert await simulator.post_mo(NUMBER, "STOP", url=webhook) == 200

    answer = await phones(http_session, simulator)
    assert answer["key"] == TEST_KEY
    assert answer["messages_url"] == simulator.messages_url
    assert answer["queue_down"] is False
    entry = phone(answer, NUMBER)
    assert entry["status"] == "opted_in"
    assert entry["valid"] is True
    assert entry["held"] is None
    items = entry["conversation"]
    assert summary(items) == [
        ("mt", "first", 202, "delivered_on_opt_in"),
        ("mt", "second", 409, "not_delivered"),
        ("mt", "third", 200, "delivered"),
        ("mo", "STOP", 200, None),
    ]
    assert items[0]["answer"] == "accepted: the number was invited to opt in"
    assert items[0]["delivered_at"] > items[0]["time"]
    assert items[2]["delivered_at"] is not None
    assert items[1]["delivered_at"] is None
    times = [item["time"] for item in items]
    assert times == sorted(times)


async def test_queue_down_block_and_the_same_text_twice(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """Each send keeps its own answer, even when the same text was delivered twice."""
    simulator.opt_in(NUMBER)
    assert await send(http_session, simulator, NUMBER, "same") == 200
    assert await send(http_session, simulator, NUMBER, "same") == 200
    simulator.set_queue_down(True)
    assert (await phones(http_session, simulator))["queue_down"] is True
    assert await send(http_session, simulator, NUMBER, "same") == 503
    simulator.set_queue_down(False)
    simulator.block(NUMBER)
    assert await send(http_session, simulator, NUMBER, "same") == 403
    simulator.force_status(500, number=NUMBER)
    assert await send(http_session, simulator, NUMBER, "same") == 500

    entry = phone(await phones(http_session, simulator), NUMBER)

    assert entry["status"] == "blocked"
    assert summary(entry["conversation"]) == [
        ("mt", "same", 200, "delivered"),
        ("mt", "same", 200, "delivered"),
        ("mt", "same", 503, "not_delivered"),
        ("mt", "same", 403, "not_delivered"),
        ("mt", "same", 500, "not_delivered"),
    ]
    answers = [item["answer"] for item in entry["conversation"]]
    assert answers[2] == "the queue is down: not sent"
    assert answers[3] == "this number blocked the gateway: not sent"


async def test_blocked_before_opting_in_drops_the_held_message(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """A held message the phone never accepted is shown as not delivered."""
    assert await send(http_session, simulator, NUMBER, "held") == 202
    simulator.block(NUMBER)
    simulator.opt_in(NUMBER)  # later unblocked: the held message is gone

    entry = phone(await phones(http_session, simulator), NUMBER)

    assert summary(entry["conversation"]) == [("mt", "held", 202, "not_delivered")]


async def test_numbers_the_gateway_refused_and_most_recent_first(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession, webhook: str
) -> None:
    """Invalid numbers and sends without a recipient are listed too; newest first."""
    assert await send(http_session, simulator, "+12065550123", "bad") == 400
    assert await send(http_session, simulator, None, "nobody") == 400
    assert await send(http_session, simulator, NUMBER, "hello") == 202
    assert await simulator.post_mo(OTHER, "hi", url=webhook) == 200
    simulator.opt_in("2125550100")  # known, but no messages yet

    answer = await phones(http_session, simulator)

    assert [p["number"] for p in answer["phones"]] == [
        OTHER,
        NUMBER,
        "",
        "+12065550123",
        "2125550100",
    ]
    invalid = phone(answer, "+12065550123")
    assert invalid["valid"] is False
    assert summary(invalid["conversation"]) == [("mt", "bad", 400, "not_delivered")]
    assert invalid["conversation"][0]["answer"] == "invalid phone number"
    assert summary(phone(answer, "")["conversation"]) == [
        ("mt", "nobody", 400, "not_delivered")
    ]
    assert summary(phone(answer, OTHER)["conversation"]) == [("mo", "hi", 200, None)]
    assert phone(answer, "2125550100")["conversation"] == []


async def test_text_is_returned_verbatim_for_the_page_to_escape(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession, webhook: str
) -> None:
    """Markup in messages is data: the JSON carries it unchanged."""
    simulator.opt_in(NUMBER)
    assert await send(http_session, simulator, NUMBER, ATTACK) == 200
    assert await simulator.post_mo(NUMBER, ATTACK, url=webhook) == 200

    entry = phone(await phones(http_session, simulator), NUMBER)

    assert [item["text"] for item in entry["conversation"]] == [ATTACK, ATTACK]


async def test_unreachable_webhook_and_reset(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """An MO that reached no webhook shows as such; reset empties the page."""
    async with http_session.post(
        f"{simulator.base_url}/control/mo",
        json={"sender": NUMBER, "content": "hi", "url": "http://127.0.0.1:1/x"},
    ) as response:
        assert response.status == 502

    entry = phone(await phones(http_session, simulator), NUMBER)
    assert summary(entry["conversation"]) == [("mo", "hi", None, None)]

    simulator.reset()
    assert (await phones(http_session, simulator))["phones"] == []


async def test_mo_url_set_by_the_page_is_used(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession, webhook: str
) -> None:
    """The page stores the pasted webhook URL with /control/mo_url; MOs then go there."""
    origin = {"Origin": simulator.base_url}
    async with http_session.post(
        f"{simulator.base_url}/control/mo_url", json={"url": webhook}, headers=origin
    ) as response:
        assert response.status == 200
    assert (await phones(http_session, simulator))["mo_url"] == webhook

    async with http_session.post(
        f"{simulator.base_url}/control/mo",
        json={"sender": NUMBER, "content": "LIGHTS ON"},
        headers=origin,
    ) as response:
        assert response.status == 200
        assert await response.json() == {"status": 200}


# Cross-site requests


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "null", "http://127.0.0.1:1"]
)
async def test_control_refuses_other_sites(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession, origin: str
) -> None:
    """A page on another site cannot drive the simulator through the user's browser."""
    for path, body in (
        ("opt_in", {"number": NUMBER}),
        ("mo_url", {"url": "http://evil.example/"}),
        ("queue", {"down": True}),
    ):
        async with http_session.post(
            f"{simulator.base_url}/control/{path}",
            json=body,
            headers={"Origin": origin},
        ) as response:
            assert response.status == 403, path
            assert "cross-origin" in (await response.json())["error"]
    assert simulator.mo_url is None
    assert simulator.state.queue_down is False
    assert NUMBER not in simulator.state.phones
    # Reading is unaffected (browsers keep cross-origin answers from the page).
    async with http_session.get(
        f"{simulator.base_url}/control/phones", headers={"Origin": origin}
    ) as response:
        assert response.status == 200
