"""Client for the Tatango SMS Gateway's message (MT) API.

Knows nothing about Home Assistant: it takes an aiohttp session, posts the
documented form and turns every answer into a typed outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import md5
from http import HTTPStatus

import aiohttp
from yarl import URL

from .outcome import Outcome

DEFAULT_URL = "http://gateway.tatango.com/messages"
DEFAULT_TIMEOUT = 15.0
CONNECT_TIMEOUT = 5.0


def message_hash(password: str, message: str) -> str:
    """Return the gateway's hash: lower-case hex MD5 of password + message (UTF-8)."""
    return md5((password + message).encode(), usedforsecurity=False).hexdigest()


def is_gateway_url(url: str) -> bool:
    """Return whether a URL is one the gateway client can post to."""
    try:
        parsed = URL(url)
    except ValueError:
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)


class GatewayError(Exception):
    """A send that did not succeed."""

    reason = Outcome.UNKNOWN
    retryable = False
    """True when the gateway certainly did not take the message and a later try can succeed."""
    maybe_taken = False
    """True when the gateway may have taken the message despite the error."""

    def __init__(self, detail: str, status: int | None = None) -> None:
        """Initialize with a human-readable detail and the HTTP status, if any."""
        super().__init__(detail)
        self.status = status

    @property
    def outcome(self) -> Outcome:
        """Return the message's outcome: unknown when the gateway may have taken it."""
        return Outcome.UNKNOWN if self.maybe_taken else self.reason


class InvalidPhoneNumberError(GatewayError):
    """400: the gateway rejected the phone number."""

    reason = Outcome.INVALID_PHONE_NUMBER


class AuthenticationError(GatewayError):
    """401: the key or the hash (so the password) is wrong."""

    reason = Outcome.INVALID_AUTH


class NumberBlockedError(GatewayError):
    """403: the number has blocked messages; do not send again."""

    reason = Outcome.BLOCKED


class InvitationPendingError(GatewayError):
    """409: an opt-in invitation is pending; the message was not sent."""

    reason = Outcome.INVITATION_PENDING
    retryable = True


class GatewayServerError(GatewayError):
    """500 or 501: the gateway failed; the message was not taken."""

    reason = Outcome.SERVER_ERROR
    retryable = True


class QueueDownError(GatewayServerError):
    """503: the gateway's queue is down."""

    reason = Outcome.QUEUE_DOWN


class UnexpectedStatusError(GatewayError):
    """A status the documentation does not list."""

    reason = Outcome.UNEXPECTED_STATUS


class UncertainServerError(UnexpectedStatusError):
    """A 5xx the documentation does not list, such as 502 or 504 from a proxy.

    The gateway behind it may or may not have taken the message.
    """

    maybe_taken = True


class InvalidGatewayURLError(GatewayError):
    """The gateway URL is not one a request can be sent to; nothing was sent."""

    reason = Outcome.INVALID_URL


class GatewayConnectionError(GatewayError):
    """The request could not be completed over the network.

    Retryable only when the connection failed before the request was sent.
    """

    reason = Outcome.CANNOT_CONNECT

    def __init__(self, detail: str, *, request_sent: bool) -> None:
        """Initialize, recording whether the gateway may have received the request."""
        super().__init__(detail)
        self.request_sent = request_sent
        self.retryable = not request_sent
        self.maybe_taken = request_sent


class GatewayTimeoutError(GatewayError):
    """No answer in time; the gateway may or may not have taken the message."""

    reason = Outcome.UNKNOWN
    maybe_taken = True


_ERRORS_BY_STATUS: dict[int, type[GatewayError]] = {
    HTTPStatus.BAD_REQUEST: InvalidPhoneNumberError,
    HTTPStatus.UNAUTHORIZED: AuthenticationError,
    HTTPStatus.FORBIDDEN: NumberBlockedError,
    HTTPStatus.CONFLICT: InvitationPendingError,
    HTTPStatus.INTERNAL_SERVER_ERROR: GatewayServerError,
    HTTPStatus.NOT_IMPLEMENTED: GatewayServerError,
    HTTPStatus.SERVICE_UNAVAILABLE: QueueDownError,
}


@dataclass(frozen=True, slots=True)
class SendResult:
    """A message the gateway accepted: `outcome` is SENT or INVITED."""

    outcome: Outcome
    status: int


def error_for_status(status: int) -> GatewayError:
    """Return the error the gateway means by an unsuccessful status."""
    if error := _ERRORS_BY_STATUS.get(status):
        return error(f"gateway answered {status}", status)
    if 500 <= status < 600:
        return UncertainServerError(f"gateway answered {status}", status)
    return UnexpectedStatusError(f"gateway answered unexpected status {status}", status)


class TatangoGateway:
    """Sends messages through one gateway account."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        key: str,
        password: str,
        url: str = DEFAULT_URL,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Initialize with a shared session, the account's credentials and the messages URL."""
        self._session = session
        self._key = key
        self._password = password
        self.url = url
        self._timeout = aiohttp.ClientTimeout(
            total=timeout, sock_connect=min(timeout, CONNECT_TIMEOUT)
        )

    def build_form(self, recipient: str, message: str) -> dict[str, str]:
        """Return the form fields for one message, hashed over exactly that message."""
        return {
            "key": self._key,
            "recipient": recipient,
            "message": message,
            "hash": message_hash(self._password, message),
        }

    async def send(self, recipient: str, message: str) -> SendResult:
        """Send one message to a 10-digit number; raise a GatewayError unless accepted."""
        form = self.build_form(recipient, message)
        try:
            async with self._session.post(
                self.url, data=form, timeout=self._timeout, allow_redirects=False
            ) as response:
                status = response.status
                await response.read()
        except aiohttp.ConnectionTimeoutError as err:
            raise GatewayConnectionError(
                "timed out connecting to the gateway", request_sent=False
            ) from err
        except TimeoutError as err:
            raise GatewayTimeoutError("no answer from the gateway in time") from err
        except aiohttp.ClientConnectorError as err:
            raise GatewayConnectionError(
                f"cannot connect to the gateway: {err.os_error.strerror or err.os_error}",
                request_sent=False,
            ) from err
        except aiohttp.InvalidURL as err:
            raise InvalidGatewayURLError(
                "the gateway URL is not a valid http or https URL"
            ) from err
        except aiohttp.ClientError as err:
            raise GatewayConnectionError(
                f"connection to the gateway failed: {type(err).__name__}",
                request_sent=True,
            ) from err
        if status == HTTPStatus.OK:
            return SendResult(Outcome.SENT, status)
        if status == HTTPStatus.ACCEPTED:
            return SendResult(Outcome.INVITED, status)
        raise error_for_status(status)
