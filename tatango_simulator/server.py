"""The simulated gateway as an aiohttp web server, with a JSON control API.

Routes:

- ``POST /messages`` — the gateway's send API (see ``GatewayState`` for how it
  answers).
- ``GET /control/state`` and ``POST /control/...`` — drive the simulator from
  outside the process (see ``GatewaySimulator`` for the endpoints).
- ``GET /`` — the phone page, for people (see ``phone_page``), with
  ``/phone.css``, ``/phone.js`` and the JSON it polls, ``GET /control/phones``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from http import HTTPStatus
import json
from typing import Any, Final

import aiohttp
from aiohttp import web

from . import phone_page
from .mo import MO_CONTENT_TYPE, mo_xml
from .state import GatewayState, NumberStatus, RecordedRequest

MO_TIMEOUT: Final = 10.0

_ANSWERS: Final[dict[int, str]] = {
    200: "your message has been sent",
    202: "your message has been accepted for delivery and the mobile phone number "
    "has been invited to opt in",
    400: "invalid phone number",
    401: "check your id and hash",
    403: "this phone number has been blocked, do not send again",
    409: "mobile invitation pending, message not sent",
    503: "the queue is down",
}


class ControlError(Exception):
    """A control request the simulator cannot carry out."""


class GatewaySimulator:
    """A Tatango SMS Gateway on a real socket, for tests and manual runs.

    In-process use::

        sim = GatewaySimulator(key="k", password="p")
        await sim.start(host="127.0.0.1", port=0)  # port 0: any free port
        ...  # point the client at sim.messages_url
        sim.opt_in("2065550123")
        await sim.stop()

    JSON control API (bodies and answers are JSON; errors answer 400 with
    ``{"error": ...}``):

    - ``GET  /control/state`` — everything: faults, numbers, requests, URLs
    - ``POST /control/opt_in {"number"}`` and ``/control/block {"number"}`` —
      the phone's answer; returns the number's state
    - ``POST /control/force {"status", "count"=1, "number"=null}``
    - ``POST /control/latency {"seconds"}``
    - ``POST /control/queue {"down"}``
    - ``POST /control/drop {"count"}``
    - ``POST /control/mo {"sender", "content", "url"=null}`` — returns
      ``{"status"}`` the webhook answered; 409 without an MO URL, 502 when the
      webhook cannot be reached
    - ``POST /control/mo_url {"url"}`` — null clears it
    - ``POST /control/reset``
    - ``GET  /control/phones`` — each number's conversation, for the phone page

    Fault and reset endpoints return the current faults. A control ``POST``
    that a browser sends from another site's page (a foreign ``Origin``) is
    refused with 403.
    """

    def __init__(self, key: str, password: str, mo_url: str | None = None) -> None:
        """Initialize with the account's key and password and the MO URL, if any."""
        self.state = GatewayState(key, password)
        self.mo_url = mo_url
        self.app = web.Application(middlewares=[_same_origin_control])
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._stopping = asyncio.Event()
        self._host = ""
        self._port = 0
        self._auto_replies: dict[str, str] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self.app.add_routes(
            [
                web.post("/messages", self._handle_messages),
                web.get("/control/state", self._control_state),
                web.post("/control/opt_in", self._control_opt_in),
                web.post("/control/block", self._control_block),
                web.post("/control/force", self._control_force),
                web.post("/control/latency", self._control_latency),
                web.post("/control/queue", self._control_queue),
                web.post("/control/drop", self._control_drop),
                web.post("/control/mo", self._control_mo),
                web.post("/control/mo_url", self._control_mo_url),
                web.post("/control/reset", self._control_reset),
                web.get("/control/phones", self._control_phones),
                *(web.get(path, self._page_file) for path in phone_page.PAGE_FILES),
            ]
        )

    # Lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host and port (0 picks a free port)."""
        if self._runner is not None:
            raise RuntimeError("the simulator is already running")
        self._stopping = asyncio.Event()
        runner = web.AppRunner(self.app, handle_signals=False, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._host = host
        self._port = runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop listening, end pending delays and close the MO session."""
        self._stopping.set()
        for task in self._background:
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def port(self) -> int:
        """Return the port the simulator listens on."""
        if self._runner is None:
            raise RuntimeError("the simulator is not running")
        return self._port

    @property
    def base_url(self) -> str:
        """Return the simulator's root URL, without a trailing slash."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def messages_url(self) -> str:
        """Return the full URL of ``/messages``, for the client."""
        return f"{self.base_url}/messages"

    # State and faults (see GatewayState)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Return every ``POST /messages`` received, oldest first."""
        return self.state.requests

    def delivered(self, number: str) -> list[str]:
        """Return the texts delivered to number, oldest first."""
        return self.state.delivered(number)

    def status_of(self, number: str) -> NumberStatus:
        """Return the number's opt-in status."""
        return self.state.status_of(number)

    def opt_in(self, number: str) -> None:
        """Have the phone opt in: deliver its held message; later sends get 200."""
        self.state.opt_in(number)

    def block(self, number: str) -> None:
        """Have the phone block the gateway: sends get 403."""
        self.state.block(number)

    def force_status(
        self, status: int, count: int = 1, number: str | None = None
    ) -> None:
        """Answer status to the next count sends (to number, if given)."""
        self.state.force_status(status, count, number)

    def set_latency(self, seconds: float) -> None:
        """Delay every answer to ``POST /messages`` by seconds."""
        self.state.set_latency(seconds)

    def set_queue_down(self, down: bool) -> None:
        """Take the queue down (503 to every send) or bring it back up."""
        self.state.queue_down = down

    def drop_connections(self, count: int) -> None:
        """Close the connection of the next count sends without answering."""
        self.state.drop_connections(count)

    def set_auto_reply(self, number: str, text: str | None) -> None:
        """Make a phone answer each SMS it gets with text (an MO), as a phone's auto-reply does; None stops it."""
        if text is None:
            self._auto_replies.pop(number, None)
        else:
            self._auto_replies[number] = text

    def reset(self) -> None:
        """Forget phones, history and faults; keep credentials and MO URL."""
        self.state.reset()

    # MO

    async def post_mo(self, sender: str, content: str, url: str | None = None) -> int:
        """POST an MO from sender to url (default: the MO URL); return the status.

        The body is the documented XML, sent as ``text/xml``. The MO is added
        to the sender's conversation. Raise ``ValueError`` when there is no URL
        and ``aiohttp.ClientError`` or ``TimeoutError`` when the webhook cannot
        be reached.
        """
        target = url or self.mo_url
        if not target:
            raise ValueError("no MO URL configured")
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.post(
                target,
                data=mo_xml(sender, content).encode("utf-8"),
                headers={"Content-Type": MO_CONTENT_TYPE},
                timeout=aiohttp.ClientTimeout(total=MO_TIMEOUT),
                allow_redirects=False,
            ) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError):
            self.state.record_mo(sender, content, None)
            raise
        self.state.record_mo(sender, content, status)
        return status

    # Gateway API

    async def _handle_messages(self, request: web.Request) -> web.StreamResponse:
        """Answer ``POST /messages``; see ``GatewayState`` for the rules."""
        form = await request.post()
        pairs = [
            (name, value) for name, value in form.items() if isinstance(value, str)
        ]
        status = self.state.handle_send(pairs)
        await self._delay(self.state.latency)
        recipient = dict(pairs).get("recipient", "")
        if status == HTTPStatus.OK and (text := self._auto_replies.get(recipient)):
            task = asyncio.create_task(self._auto_reply(recipient, text))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        if status is None:
            # Drop: close the connection after the request was received, so the
            # client sees a disconnection instead of an answer. aiohttp fails
            # quietly to write the response below to the closed transport.
            if (transport := request.transport) is not None:
                transport.close()
            return web.Response(status=HTTPStatus.INTERNAL_SERVER_ERROR)
        if status in (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED):
            return web.Response(status=status)
        return web.Response(status=status, text=_answer_text(status))

    async def _auto_reply(self, number: str, text: str) -> None:
        """Post a phone's auto-reply, ignoring a webhook that cannot be reached."""
        with contextlib.suppress(aiohttp.ClientError, TimeoutError, ValueError):
            await self.post_mo(number, text)

    async def _delay(self, seconds: float) -> None:
        """Sleep for seconds, or until the simulator stops."""
        if seconds <= 0:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stopping.wait()

    # Control API

    def _faults_json(self) -> dict[str, Any]:
        """Return the current faults and MO URL."""
        return {
            "latency": self.state.latency,
            "queue_down": self.state.queue_down,
            "drops_pending": self.state.drops_pending,
            "forced": self.state.forced(),
            "mo_url": self.mo_url,
        }

    def _number_json(self, number: str) -> dict[str, Any]:
        """Return one number's state."""
        return {"number": number, **self.state.phone(number).as_json()}

    async def _control_state(self, request: web.Request) -> web.Response:
        """``GET /control/state``: the whole state."""
        return web.json_response(
            {
                **self.state.as_json(),
                "mo_url": self.mo_url,
                "messages_url": self.messages_url,
            }
        )

    async def _control_opt_in(self, request: web.Request) -> web.Response:
        """``POST /control/opt_in {"number"}``."""
        body = await _json_body(request)
        number = _get(body, "number", str)
        self.opt_in(number)
        return web.json_response(self._number_json(number))

    async def _control_block(self, request: web.Request) -> web.Response:
        """``POST /control/block {"number"}``."""
        body = await _json_body(request)
        number = _get(body, "number", str)
        self.block(number)
        return web.json_response(self._number_json(number))

    async def _control_force(self, request: web.Request) -> web.Response:
        """``POST /control/force {"status", "count"=1, "number"=null}``."""
        body = await _json_body(request)
        status = _get(body, "status", int)
        count = _get(body, "count", int, 1)
        number = _get_optional_str(body, "number")
        try:
            self.force_status(status, count, number)
        except ValueError as err:
            raise _bad_request(str(err)) from err
        return web.json_response(self._faults_json())

    async def _control_latency(self, request: web.Request) -> web.Response:
        """``POST /control/latency {"seconds"}``."""
        body = await _json_body(request)
        seconds = _get(body, "seconds", float)
        try:
            self.set_latency(seconds)
        except ValueError as err:
            raise _bad_request(str(err)) from err
        return web.json_response(self._faults_json())

    async def _control_queue(self, request: web.Request) -> web.Response:
        """``POST /control/queue {"down"}``."""
        body = await _json_body(request)
        self.set_queue_down(_get(body, "down", bool))
        return web.json_response(self._faults_json())

    async def _control_drop(self, request: web.Request) -> web.Response:
        """``POST /control/drop {"count"}``."""
        body = await _json_body(request)
        count = _get(body, "count", int)
        try:
            self.drop_connections(count)
        except ValueError as err:
            raise _bad_request(str(err)) from err
        return web.json_response(self._faults_json())

    async def _control_mo(self, request: web.Request) -> web.Response:
        """``POST /control/mo {"sender", "content", "url"=null}``."""
        body = await _json_body(request)
        sender = _get(body, "sender", str)
        content = _get(body, "content", str)
        url = _get_optional_str(body, "url")
        if not (url or self.mo_url):
            return web.json_response({"error": "no MO URL configured"}, status=409)
        try:
            status = await self.post_mo(sender, content, url)
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            return web.json_response(
                {"error": f"cannot post the MO: {type(err).__name__}: {err}"},
                status=502,
            )
        return web.json_response({"status": status})

    async def _control_mo_url(self, request: web.Request) -> web.Response:
        """``POST /control/mo_url {"url"}``; null clears it."""
        body = await _json_body(request)
        self.mo_url = _get_optional_str(body, "url")
        return web.json_response(self._faults_json())

    async def _control_reset(self, request: web.Request) -> web.Response:
        """``POST /control/reset``."""
        self.reset()
        return web.json_response(self._faults_json())

    async def _control_phones(self, request: web.Request) -> web.Response:
        """``GET /control/phones``: each number's conversation."""
        return web.json_response(
            phone_page.phones_json(
                self.state, mo_url=self.mo_url, messages_url=self.messages_url
            )
        )

    # Phone page

    async def _page_file(self, request: web.Request) -> web.StreamResponse:
        """``GET /``, ``/phone.css``, ``/phone.js``."""
        return phone_page.page_response(request.path)


@web.middleware
async def _same_origin_control(
    request: web.Request,
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> web.StreamResponse:
    """Refuse control requests a browser sends from another site's page."""
    if (
        request.method == "POST"
        and request.path.startswith("/control/")
        and phone_page.cross_origin(request)
    ):
        return web.json_response(
            {"error": "cross-origin control requests are refused"},
            status=HTTPStatus.FORBIDDEN,
        )
    return await handler(request)


def _bad_request(message: str) -> web.HTTPBadRequest:
    """Return a 400 carrying a JSON error."""
    return web.HTTPBadRequest(
        text=json.dumps({"error": message}), content_type="application/json"
    )


async def _json_body(request: web.Request) -> dict[str, Any]:
    """Return the request's JSON object (an empty body is an empty object)."""
    raw = await request.text()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as err:
        raise _bad_request(f"invalid JSON: {err}") from err
    if not isinstance(body, dict):
        raise _bad_request("the body must be a JSON object")
    return body


def _get[T](
    body: dict[str, Any], name: str, kind: type[T], default: T | None = None
) -> T:
    """Return body[name] checked against kind, or default if given and absent.

    A bool is not accepted as a number; an int is accepted as a float.
    """
    if name not in body:
        if default is None:
            raise _bad_request(f"missing field: {name}")
        return default
    value = body[name]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise _bad_request(f"{name} must be of type {kind.__name__}")
    return value


def _get_optional_str(body: dict[str, Any], name: str) -> str | None:
    """Return body[name] if it is a string, None if absent or null."""
    value = body.get(name)
    if value is None or isinstance(value, str):
        return value
    raise _bad_request(f"{name} must be a string or null")


def _answer_text(status: int) -> str:
    """Return the body for a status: the gateway's wording, else the reason phrase."""
    if text := _ANSWERS.get(status):
        return text
    try:
        return HTTPStatus(status).phrase.lower()
    except ValueError:  # a status without a registered phrase, such as 599
        return f"status {status}"
