"""The standing attack suite: what anyone holding the webhook URL may try, and what comes of it.

Every row goes through Home Assistant's real HTTP server to the entry's webhook
and states the answer, whether an SMS event fires, which diagnostics counter
goes up, and (for every row) that no log line at INFO or above, and none of
ours at any level, shows the webhook id, the gateway key or the password. A
change to the receive path that reopens a hole fails its row here.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
import gzip
import logging
from typing import Final

from aiohttp.test_utils import TestClient
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tatango_sms.const import EVENT_RECEIVED
from custom_components.tatango_sms.tatango.mo import (
    MAX_BODY_BYTES,
    MAX_CONTENT_CHARACTERS,
)
from custom_components.tatango_sms.webhook import BODY_TIMEOUT, WEBHOOK_PAGE
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from tatango_simulator import GatewaySimulator, mo_xml

from .const import TEST_KEY, TEST_PASSWORD
from .helpers import (
    OUR_LOGGER,
    TEST_NUMBER,
    async_add_and_set_up,
    leaked_secrets,
    make_entry,
    webhook_path,
)
from .test_mo import (
    BARE_DOCTYPE,
    BILLION_LAUGHS,
    EXTERNAL_DTD,
    EXTERNAL_ENTITY,
    INTERNAL_DTD_WITHOUT_ENTITIES,
    PARAMETER_ENTITY,
    PUBLIC_DTD,
    QUADRATIC_BLOWUP,
)

XML: Final = "text/xml"
# The reproductions.
FORGED_LOG_LINE: Final = (
    "2065550123&#13;&#10;2025-01-01 00:00:00.000 ERROR (MainThread) "
    "[homeassistant.core] forged"
)
SIXTY_KB: Final = 60 * 1024


@dataclass(frozen=True)
class Post:
    """One request to the webhook."""

    body: bytes | str = b""
    content_type: str | None = XML
    method: str = "POST"
    headers: dict[str, str] = field(default_factory=dict)
    chunks: tuple[bytes, ...] = ()
    """Sent after the body in these pieces, chunked, without a Content-Length."""


@dataclass(frozen=True)
class Answer:
    """What must come of a request."""

    status: int
    event: tuple[str, str] | None = None
    """(sender, content) of the one tatango_sms_received event fired; None: none fires."""
    counted: str | None = None
    """The diagnostics counter that goes up by one; None: none does."""
    page: str | None = None
    """The text answered, where it matters."""


REFUSED: Final = Answer(400, counted="rejected")
TOO_LARGE: Final = Answer(413, counted="too_large")
NOT_ALLOWED: Final = Answer(405)


def accepted(sender: str, content: str) -> Answer:
    """Return the answer to an SMS that is received."""
    return Answer(200, event=(sender, content), counted="received")


def message(sender_xml: str, content_xml: str = "hi") -> str:
    """Return an MO with sender and content given as XML."""
    return (
        f"<message><sender>{sender_xml}</sender>"
        f"<content>{content_xml}</content></message>"
    )


def nested(depth: int) -> str:
    """Return an MO whose content holds elements nested `depth` deep."""
    return message(TEST_NUMBER, "<a>" * depth + "hi" + "</a>" * depth)


ROWS: Final = [
    # 1. Only real text charsets; anything else, and any decoding failure, is 400.
    pytest.param(
        Post(message(TEST_NUMBER), "text/xml; charset=undefined"),
        REFUSED,
        id="charset-undefined",
    ),
    pytest.param(
        Post(message("+ADI-065550123"), "text/xml; charset=utf-7"),
        REFUSED,
        id="charset-utf-7-escapes",
    ),
    pytest.param(
        Post(message("\\u0032065550123"), "text/xml; charset=unicode_escape"),
        REFUSED,
        id="charset-unicode-escape",
    ),
    pytest.param(
        Post(message(TEST_NUMBER), "text/xml; charset=idna"), REFUSED, id="charset-idna"
    ),
    pytest.param(
        Post(message(TEST_NUMBER), "text/xml; charset=rot13"),
        REFUSED,
        id="charset-rot13",
    ),
    pytest.param(
        Post(message(TEST_NUMBER), "text/xml; charset=no-such-charset"),
        REFUSED,
        id="charset-unknown",
    ),
    pytest.param(
        Post(message(TEST_NUMBER), "text/xml; charset="),
        accepted(TEST_NUMBER, "hi"),
        id="charset-empty-is-none",
    ),
    pytest.param(
        Post(
            message(TEST_NUMBER, "caf\xe9").encode("latin-1"), "text/xml; charset=utf-8"
        ),
        REFUSED,
        id="charset-utf-8-invalid",
    ),
    pytest.param(
        Post(
            message(TEST_NUMBER, "caf\xe9").encode("latin-1"),
            "text/xml; charset=us-ascii",
        ),
        REFUSED,
        id="charset-us-ascii-8-bit",
    ),
    pytest.param(
        Post(
            message(TEST_NUMBER).encode("utf-16-le") + b"<",
            "text/xml; charset=utf-16le",
        ),
        REFUSED,
        id="charset-utf-16-odd-length",
    ),
    pytest.param(
        Post(
            message(TEST_NUMBER, "\u20ac5").encode("cp1252"),
            "text/xml; charset=Windows-1252",
        ),
        accepted(TEST_NUMBER, "\u20ac5"),
        id="charset-windows-1252",
    ),
    pytest.param(
        Post(
            message(TEST_NUMBER, "caf\xe9 \U0001f3e0").encode("utf-16"),
            "text/xml; charset=UTF-16",
        ),
        accepted(TEST_NUMBER, "caf\xe9 \U0001f3e0"),
        id="charset-utf-16",
    ),
    pytest.param(
        Post(
            message(TEST_NUMBER, "caf\xe9").encode("latin-1"),
            "text/xml; charset=ISO-8859-1",
        ),
        accepted(TEST_NUMBER, "caf\xe9"),
        id="charset-iso-8859-1",
    ),
    # 2. The sender is a phone number, normalized as recipients are.
    pytest.param(Post(message(FORGED_LOG_LINE)), REFUSED, id="sender-forged-log-line"),
    pytest.param(Post(message("2" * SIXTY_KB, "")), REFUSED, id="sender-60000-digits"),
    pytest.param(Post(message("1234567890123456")), REFUSED, id="sender-16-digits"),
    pytest.param(Post(message("TATANGO")), REFUSED, id="sender-letters"),
    pytest.param(Post(message("206-555-CALL")), REFUSED, id="sender-some-letters"),
    pytest.param(Post(message("++12065550123")), REFUSED, id="sender-two-pluses"),
    pytest.param(Post(message("206+5550123")), REFUSED, id="sender-plus-inside"),
    pytest.param(
        Post(message("\uff12\uff10\uff16\uff15\uff15\uff15\uff10\uff11\uff12\uff13")),
        REFUSED,
        id="sender-fullwidth-digits",
    ),
    pytest.param(
        Post(message("\u0662\u0660\u0666\u0665\u0665\u0665\u0660\u0661\u0662\u0663")),
        REFUSED,
        id="sender-arabic-indic-digits",
    ),
    pytest.param(
        Post(message("+1 (206) 555-0123", "as typed")),
        accepted(TEST_NUMBER, "as typed"),
        id="sender-us-punctuated",
    ),
    pytest.param(
        Post(message(" 1.206.555.0123\n")),
        accepted(TEST_NUMBER, "hi"),
        id="sender-us-with-country-code",
    ),
    pytest.param(
        Post(message("+44 20 7946 0958")),
        accepted("+442079460958", "hi"),
        id="sender-international",
    ),
    pytest.param(
        Post(message("+999 1234 5678 9012")),
        accepted("+999123456789012", "hi"),
        id="sender-15-digits",
    ),
    # 3. Content up to ten SMS; the 60 KB post that made 375 SMS is refused.
    pytest.param(
        Post(mo_xml("3125550100", "x" * (SIXTY_KB - 100))),
        TOO_LARGE,
        id="content-60-kb",
    ),
    pytest.param(
        Post(mo_xml(TEST_NUMBER, "x" * (MAX_CONTENT_CHARACTERS + 1))),
        TOO_LARGE,
        id="content-1601",
    ),
    pytest.param(
        Post(mo_xml(TEST_NUMBER, "x" * MAX_CONTENT_CHARACTERS)),
        accepted(TEST_NUMBER, "x" * MAX_CONTENT_CHARACTERS),
        id="content-1600",
    ),
    pytest.param(
        Post(mo_xml(TEST_NUMBER, "\U0001f3e0" * MAX_CONTENT_CHARACTERS)),
        accepted(TEST_NUMBER, "\U0001f3e0" * MAX_CONTENT_CHARACTERS),
        id="content-1600-emoji",
    ),
    # 5. Other methods: a page for a browser, 405 for the rest.
    pytest.param(
        Post(content_type=None, method="GET"),
        Answer(200, page=WEBHOOK_PAGE),
        id="method-get",
    ),
    pytest.param(
        Post(content_type=None, method="HEAD"), Answer(200, page=""), id="method-head"
    ),
    pytest.param(
        Post(mo_xml(TEST_NUMBER, "hi"), method="PUT"), NOT_ALLOWED, id="method-put"
    ),
    pytest.param(
        Post(mo_xml(TEST_NUMBER, "hi"), method="PATCH"), NOT_ALLOWED, id="method-patch"
    ),
    pytest.param(Post(method="DELETE"), NOT_ALLOWED, id="method-delete"),
    # 7. Hostile XML: no DTD, entity or XInclude is ever processed.
    pytest.param(Post(BILLION_LAUGHS), REFUSED, id="xml-billion-laughs"),
    pytest.param(Post(QUADRATIC_BLOWUP), REFUSED, id="xml-quadratic-blowup"),
    pytest.param(Post(EXTERNAL_ENTITY), REFUSED, id="xml-external-entity"),
    pytest.param(Post(EXTERNAL_DTD), REFUSED, id="xml-external-dtd"),
    pytest.param(Post(PUBLIC_DTD), REFUSED, id="xml-public-dtd"),
    pytest.param(Post(PARAMETER_ENTITY), REFUSED, id="xml-parameter-entity"),
    pytest.param(Post(INTERNAL_DTD_WITHOUT_ENTITIES), REFUSED, id="xml-internal-dtd"),
    pytest.param(Post(BARE_DOCTYPE), REFUSED, id="xml-doctype"),
    pytest.param(
        Post(
            message(
                TEST_NUMBER,
                '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
                'href="file:///etc/passwd" parse="text"/>',
            )
        ),
        REFUSED,
        id="xml-xinclude",
    ),
    pytest.param(
        Post(message(TEST_NUMBER, "&xxe;")), REFUSED, id="xml-undeclared-entity"
    ),
    pytest.param(Post(nested(8_000)), REFUSED, id="xml-nested-8000-deep"),
    pytest.param(
        Post(message(TEST_NUMBER, "hi") + "<message/>"), REFUSED, id="xml-two-roots"
    ),
    pytest.param(
        Post(message(f"{TEST_NUMBER}</sender><sender>3125550199")),
        REFUSED,
        id="xml-two-senders",
    ),
    pytest.param(
        Post(message(TEST_NUMBER, "hi <b>there</b>")),
        REFUSED,
        id="xml-markup-in-content",
    ),
    pytest.param(
        Post(message(TEST_NUMBER).replace("message", "sms")),
        REFUSED,
        id="xml-wrong-root",
    ),
    pytest.param(
        Post("<message><content>hi</content></message>"), REFUSED, id="xml-no-sender"
    ),
    pytest.param(Post(message(" \n ")), REFUSED, id="xml-blank-sender"),
    pytest.param(Post(message(TEST_NUMBER)[:-10]), REFUSED, id="xml-truncated"),
    pytest.param(
        Post(message(TEST_NUMBER, "caf\xe9").encode("latin-1")),
        REFUSED,
        id="xml-not-utf-8",
    ),
    pytest.param(
        Post(
            b'<?xml version="1.0" encoding="utf-7"?>'
            + message("+ADI-065550123").encode()
        ),
        REFUSED,
        id="xml-declared-utf-7",
    ),
    pytest.param(Post(b""), REFUSED, id="not-xml-empty"),
    pytest.param(Post(" \r\n\t "), REFUSED, id="not-xml-blank"),
    pytest.param(
        Post("hello, this is not XML", "text/plain"), REFUSED, id="not-xml-text"
    ),
    pytest.param(
        Post('{"sender": "2065550123", "content": "hi"}', "application/json"),
        REFUSED,
        id="not-xml-json",
    ),
    pytest.param(
        Post("sender=2065550123&content=hi", "application/x-www-form-urlencoded"),
        REFUSED,
        id="not-xml-form",
    ),
    # Bodies too large to read, however they are sent.
    pytest.param(
        Post(mo_xml(TEST_NUMBER, "x" * MAX_BODY_BYTES)),
        TOO_LARGE,
        id="body-over-64-kib",
    ),
    pytest.param(Post(b"<" * (1024 * 1024)), TOO_LARGE, id="body-1-mib-garbage"),
    pytest.param(
        Post(
            b"<message><sender>2065550123</sender><content>", chunks=(b"x" * 8192,) * 9
        ),
        TOO_LARGE,
        id="body-over-64-kib-chunked",
    ),
    pytest.param(
        Post(
            b"<message><sender>2065550123</sender><content>",
            chunks=(b"x" * 256 * 1024,) * 68,
        ),
        TOO_LARGE,
        id="body-over-16-mib-chunked",
    ),
    pytest.param(
        Post(
            gzip.compress(b"\0" * (1024 * 1024)), headers={"Content-Encoding": "gzip"}
        ),
        TOO_LARGE,
        id="body-gzip-1-mib",
    ),
    pytest.param(
        Post(b"this is not gzip" * 10, headers={"Content-Encoding": "gzip"}),
        REFUSED,
        id="body-broken-gzip",
    ),
]


@pytest.fixture
async def client(
    loaded_entry: MockConfigEntry, hass_client_no_auth: ClientSessionGenerator
) -> TestClient:
    """Return an HTTP client for Home Assistant, with the entry's webhook registered."""
    return await hass_client_no_auth()


def secrets_of(entry: MockConfigEntry) -> dict[str, str]:
    """Return what must never be logged."""
    return {
        "webhook id": entry.data[CONF_WEBHOOK_ID],
        "key": TEST_KEY,
        "password": TEST_PASSWORD,
    }


def leaks(
    caplog: pytest.LogCaptureFixture, entry: MockConfigEntry
) -> list[tuple[str, str, str]]:
    """Return the log lines that show a secret.

    The test server's access log shows every URL at INFO; Home Assistant's
    start-up sets it to WARNING, so in Home Assistant it logs none of these.
    """
    records = [r for r in caplog.records if r.name != "aiohttp.access"]
    return leaked_secrets(records, secrets_of(entry))


async def _pieces(head: bytes, chunks: tuple[bytes, ...]) -> AsyncIterator[bytes]:
    yield head
    for chunk in chunks:
        yield chunk


@pytest.mark.parametrize(("post", "answer"), ROWS)
async def test_attack(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
    *,
    post: Post,
    answer: Answer,
) -> None:
    """Each request gets its answer, fires an event only for an SMS, is counted, and logs no secret."""
    caplog.set_level(logging.DEBUG)
    events = async_capture_events(hass, EVENT_RECEIVED)
    stats = loaded_entry.runtime_data.webhook_stats
    before = asdict(stats)
    headers = dict(post.headers)
    if post.content_type is not None:
        headers["Content-Type"] = post.content_type
    body = post.body.encode() if isinstance(post.body, str) else post.body

    response = await client.request(
        post.method,
        webhook_path(loaded_entry.data[CONF_WEBHOOK_ID]),
        data=_pieces(body, post.chunks) if post.chunks else body,
        headers=headers,
    )
    text = await response.text()
    await hass.async_block_till_done()

    assert response.status == answer.status
    if answer.page is not None:
        assert text == answer.page
        assert response.content_type == "text/plain"
    assert [(e.data["sender"], e.data["content"]) for e in events] == (
        [answer.event] if answer.event else []
    )
    after = asdict(stats)
    assert {name for name in after if after[name] != before[name]} == (
        {answer.counted} if answer.counted else set()
    )
    if answer.counted not in (None, "received"):
        # The refusal is explained to whoever turns on debug logging.
        assert any(
            r.name == OUR_LOGGER and r.levelno == logging.DEBUG for r in caplog.records
        )
    assert leaks(caplog, loaded_entry) == []


async def test_trickled_body(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A body sent a byte a second is answered 408 after BODY_TIMEOUT, and the connection is then closed."""
    caplog.set_level(logging.DEBUG)
    events = async_capture_events(hass, EVENT_RECEIVED)
    body = mo_xml(TEST_NUMBER, "slowly").encode()
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(
        f"POST {webhook_path(loaded_entry.data[CONF_WEBHOOK_ID])} HTTP/1.1\r\n"
        f"Host: {client.host}\r\nContent-Type: text/xml\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
    )

    async def trickle() -> None:
        for byte in body:
            writer.write(bytes([byte]))
            try:
                await writer.drain()
            except ConnectionError:
                return
            await asyncio.sleep(1)

    loop = asyncio.get_running_loop()
    started = loop.time()
    sending = asyncio.create_task(trickle())
    try:
        status_line = await asyncio.wait_for(reader.readline(), BODY_TIMEOUT + 5)
        answered = loop.time() - started
        # The client goes on trickling; aiohttp discards what still arrives
        # for at most 10 s (its lingering time), then closes the connection.
        await asyncio.wait_for(reader.read(), 15)
        closed = loop.time() - started
    finally:
        sending.cancel()
        writer.close()

    assert status_line.startswith(b"HTTP/1.1 408 ")
    assert BODY_TIMEOUT <= answered < BODY_TIMEOUT + 2
    assert reader.at_eof()
    assert closed < BODY_TIMEOUT + 12
    await hass.async_block_till_done()
    assert events == []
    assert loaded_entry.runtime_data.webhook_stats.timed_out == 1
    assert leaks(caplog, loaded_entry) == []


async def test_diagnostics_redact_the_gateway_url(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    ha_url: str,
    hass_client: ClientSessionGenerator,
) -> None:
    """Diagnostics show the gateway URL's scheme, host and path, never its user info or query."""
    url = (
        simulator.messages_url.replace("http://", "http://user:urlpass@")
        + "?token=t0ken#frag"
    )
    entry = make_entry(url)
    await async_add_and_set_up(hass, entry)
    assert await async_setup_component(hass, "diagnostics", {})

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert diagnostics["entry"]["data"]["url"] == (
        simulator.messages_url.replace("http://", "http://**REDACTED**@")
        + "?**REDACTED**#**REDACTED**"
    )
    assert "urlpass" not in str(diagnostics)
    assert "t0ken" not in str(diagnostics)
