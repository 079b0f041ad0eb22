"""Tests of the gateway client against the gateway simulator over loopback."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from custom_components.tatango_sms.tatango.gateway import (
    AuthenticationError,
    GatewayConnectionError,
    GatewayError,
    GatewayServerError,
    GatewayTimeoutError,
    InvalidGatewayURLError,
    InvalidPhoneNumberError,
    InvitationPendingError,
    NumberBlockedError,
    QueueDownError,
    SendResult,
    TatangoGateway,
    UncertainServerError,
    UnexpectedStatusError,
    message_hash,
)
from custom_components.tatango_sms.tatango.outcome import Outcome
from tatango_simulator import GatewaySimulator, NumberStatus

from .const import TEST_KEY, TEST_PASSWORD

NUMBER = "2065550123"
OTHER_NUMBER = "3125550199"

# Hex digests computed outside Python (md5sum and openssl md5 over the UTF-8 bytes).
HASH_VECTORS = [
    pytest.param(
        TEST_PASSWORD, "hello", "c63d1123ec7a75e67feed764d0bbc5d1", id="ascii"
    ),
    pytest.param(
        TEST_PASSWORD,
        "Caf\u00e9, ma\u00f1ana",
        "77d395bb89827c2a78d59166363ed9f1",
        id="accents",
    ),
    pytest.param(
        TEST_PASSWORD,
        "\U0001f3e0 Door open \U0001f6aa",
        "42ac468ee16c9376a2b1996f4ca17d77",
        id="emoji",
    ),
    pytest.param(TEST_PASSWORD, "", "03a240b8cb6c79b68a5bf52378565070", id="empty"),
    pytest.param(
        "supersecretpassword",
        "here is a message",
        "7d66e461fd111bde740fc3c700cd21e8",
        id="documentation-example",
    ),
]


def gateway_for(
    session: aiohttp.ClientSession,
    url: str,
    *,
    key: str = TEST_KEY,
    password: str = TEST_PASSWORD,
    timeout: float = 5.0,
) -> TatangoGateway:
    """Return a client for the simulator at url."""
    return TatangoGateway(session, key, password, url=url, timeout=timeout)


@pytest.fixture
def gateway(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> TatangoGateway:
    """Return a client with the right credentials for the running simulator."""
    return gateway_for(http_session, simulator.messages_url)


@pytest.mark.parametrize(("password", "message", "expected"), HASH_VECTORS)
def test_message_hash_vectors(password: str, message: str, expected: str) -> None:
    """The hash is lower-case hex MD5 of the UTF-8 bytes of password + message."""
    assert message_hash(password, message) == expected


@pytest.mark.parametrize(("password", "message", "expected"), HASH_VECTORS)
async def test_simulator_accepts_the_hash_on_the_wire(
    simulator: GatewaySimulator,
    http_session: aiohttp.ClientSession,
    password: str,
    message: str,
    expected: str,
) -> None:
    """The form posted carries exactly key, recipient, message and hash, all intact."""
    simulator.opt_in(NUMBER)
    simulator.state.password = password
    gateway = gateway_for(http_session, simulator.messages_url, password=password)

    result = await gateway.send(NUMBER, message)

    assert result == SendResult(Outcome.SENT, 200)
    (request,) = simulator.requests
    assert request.fields == (
        ("key", TEST_KEY),
        ("recipient", NUMBER),
        ("message", message),
        ("hash", expected),
    )
    assert simulator.delivered(NUMBER) == [message]


async def test_sent_to_opted_in_number(
    simulator: GatewaySimulator, gateway: TatangoGateway
) -> None:
    """200: the message reaches a phone that opted in."""
    simulator.opt_in(NUMBER)

    result = await gateway.send(NUMBER, "Front door opened")

    assert result.outcome is Outcome.SENT
    assert result.status == 200
    assert simulator.delivered(NUMBER) == ["Front door opened"]


async def test_invited_then_delivered_on_opt_in(
    simulator: GatewaySimulator, gateway: TatangoGateway
) -> None:
    """202: a new number is invited; the message arrives once the phone opts in."""
    result = await gateway.send(NUMBER, "Welcome home")

    assert result == SendResult(Outcome.INVITED, 202)
    assert simulator.status_of(NUMBER) is NumberStatus.INVITED
    assert simulator.delivered(NUMBER) == []

    simulator.opt_in(NUMBER)

    assert simulator.delivered(NUMBER) == ["Welcome home"]
    assert (await gateway.send(NUMBER, "Second")).outcome is Outcome.SENT


async def test_invitation_pending(
    simulator: GatewaySimulator, gateway: TatangoGateway
) -> None:
    """409: while the invitation is pending, further messages are not sent."""
    await gateway.send(NUMBER, "first")

    with pytest.raises(InvitationPendingError) as err:
        await gateway.send(NUMBER, "second")

    assert err.value.status == 409
    assert err.value.retryable is True
    assert err.value.reason == "invitation_pending"
    simulator.opt_in(NUMBER)
    assert simulator.delivered(NUMBER) == ["first"]


@pytest.mark.parametrize(
    "number",
    [
        "1065550123",  # area code starts with 1
        "2060550123",  # exchange code starts with 0
        "206555012",  # nine digits
        "+12065550123",  # not normalised
        "",
    ],
)
async def test_invalid_number(
    simulator: GatewaySimulator, gateway: TatangoGateway, number: str
) -> None:
    """400: the gateway rejects a number that is not a valid bare 10-digit one."""
    with pytest.raises(InvalidPhoneNumberError) as err:
        await gateway.send(number, "hello")

    assert err.value.status == 400
    assert err.value.retryable is False
    assert err.value.reason == "invalid_phone_number"
    assert simulator.requests[-1].status == 400


async def test_wrong_key(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """401: a wrong key is refused and nothing is sent."""
    simulator.opt_in(NUMBER)
    gateway = gateway_for(http_session, simulator.messages_url, key="wrong-key")

    with pytest.raises(AuthenticationError) as err:
        await gateway.send(NUMBER, "hello")

    assert err.value.status == 401
    assert err.value.retryable is False
    assert err.value.reason == "invalid_auth"
    assert simulator.delivered(NUMBER) == []


async def test_wrong_password(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """401: a hash made with the wrong password is refused and nothing is sent."""
    simulator.opt_in(NUMBER)
    gateway = gateway_for(http_session, simulator.messages_url, password="wrong")

    with pytest.raises(AuthenticationError) as err:
        await gateway.send(NUMBER, "hello")

    assert err.value.status == 401
    assert err.value.retryable is False
    assert simulator.delivered(NUMBER) == []


async def test_blocked(simulator: GatewaySimulator, gateway: TatangoGateway) -> None:
    """403: a number that blocked the gateway is refused, and not to be retried."""
    simulator.block(NUMBER)

    with pytest.raises(NumberBlockedError) as err:
        await gateway.send(NUMBER, "hello")

    assert err.value.status == 403
    assert err.value.retryable is False
    assert err.value.reason == "blocked"
    assert simulator.delivered(NUMBER) == []


@pytest.mark.parametrize("status", [500, 501])
async def test_server_error(
    simulator: GatewaySimulator, gateway: TatangoGateway, status: int
) -> None:
    """500 and 501: a server error, retryable, and not the queue-down case."""
    simulator.opt_in(NUMBER)
    simulator.force_status(status)

    with pytest.raises(GatewayServerError) as err:
        await gateway.send(NUMBER, "hello")

    assert not isinstance(err.value, QueueDownError)
    assert err.value.status == status
    assert err.value.retryable is True
    assert err.value.reason == "server_error"
    assert simulator.delivered(NUMBER) == []
    # The fault was for one request: the retry goes through.
    assert (await gateway.send(NUMBER, "hello")).outcome is Outcome.SENT


async def test_queue_down(simulator: GatewaySimulator, gateway: TatangoGateway) -> None:
    """503: the queue is down; retryable, and sending works again once it is up."""
    simulator.opt_in(NUMBER)
    simulator.set_queue_down(True)

    with pytest.raises(QueueDownError) as err:
        await gateway.send(NUMBER, "hello")

    assert isinstance(err.value, GatewayServerError)
    assert err.value.status == 503
    assert err.value.retryable is True
    assert err.value.reason == "queue_down"

    simulator.set_queue_down(False)
    assert (await gateway.send(NUMBER, "hello")).outcome is Outcome.SENT
    assert simulator.delivered(NUMBER) == ["hello"]


@pytest.mark.parametrize("status", [201, 302, 404, 418, 422])
async def test_unexpected_status(
    simulator: GatewaySimulator, gateway: TatangoGateway, status: int
) -> None:
    """A status the documentation does not list is an error, not a success."""
    simulator.force_status(status)

    with pytest.raises(UnexpectedStatusError) as err:
        await gateway.send(NUMBER, "hello")

    assert err.value.status == status
    assert err.value.retryable is False
    assert err.value.reason == "unexpected_status"


@pytest.mark.parametrize("status", [502, 504, 505, 599])
async def test_undocumented_server_error(
    simulator: GatewaySimulator, gateway: TatangoGateway, status: int
) -> None:
    """A 5xx the documentation does not list: the message may have been taken, so it is not retryable."""
    simulator.opt_in(NUMBER)
    simulator.force_status(status)

    with pytest.raises(UncertainServerError) as err:
        await gateway.send(NUMBER, "hello")

    assert err.value.status == status
    assert err.value.retryable is False
    assert err.value.reason == "unexpected_status"


async def test_url_that_is_not_http(http_session: aiohttp.ClientSession) -> None:
    """A gateway URL aiohttp cannot post to: nothing was sent, no retry can help, and the error says so."""
    gateway = gateway_for(http_session, "gateway.tatango.com/messages")

    with pytest.raises(InvalidGatewayURLError) as err:
        await gateway.send(NUMBER, "hello")

    assert err.value.retryable is False
    assert err.value.reason == "invalid_url"
    assert "not a valid http or https URL" in str(err.value)


async def test_connection_refused(
    socket_enabled: None, http_session: aiohttp.ClientSession
) -> None:
    """Nothing listens: the request was never sent, so it is retryable."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gateway = gateway_for(http_session, f"http://127.0.0.1:{port}/messages")

    with pytest.raises(GatewayConnectionError) as err:
        await gateway.send(NUMBER, "hello")

    assert err.value.request_sent is False
    assert err.value.retryable is True
    assert err.value.reason == "cannot_connect"
    assert err.value.status is None


async def test_connection_dropped_after_request(
    simulator: GatewaySimulator, gateway: TatangoGateway
) -> None:
    """The gateway got the request and hung up: it may have taken it, so no retry."""
    simulator.opt_in(NUMBER)
    simulator.drop_connections(1)

    with pytest.raises(GatewayConnectionError) as err:
        await gateway.send(NUMBER, "hello")

    assert err.value.request_sent is True
    assert err.value.retryable is False
    assert err.value.reason == "cannot_connect"
    (request,) = simulator.requests
    assert request.dropped
    assert request.message == "hello"
    # Only the next connection was dropped.
    assert (await gateway.send(NUMBER, "again")).outcome is Outcome.SENT


async def test_timeout(
    simulator: GatewaySimulator, http_session: aiohttp.ClientSession
) -> None:
    """No answer within the client's timeout: not retryable (it may have been sent)."""
    simulator.opt_in(NUMBER)
    simulator.set_latency(5)
    gateway = gateway_for(http_session, simulator.messages_url, timeout=0.2)

    with pytest.raises(GatewayTimeoutError) as err:
        await gateway.send(NUMBER, "hello")

    assert err.value.retryable is False
    assert err.value.outcome == "unknown"
    assert [request.message for request in simulator.requests] == ["hello"]


async def test_every_error_is_a_gateway_error(
    simulator: GatewaySimulator, gateway: TatangoGateway
) -> None:
    """Callers can catch GatewayError for every failed send."""
    simulator.block(OTHER_NUMBER)

    with pytest.raises(GatewayError):
        await gateway.send(OTHER_NUMBER, "hello")
