"""The simulator's phone page: what each phone number got and sent, and its controls.

``GET /`` serves a plain HTML page (``static/``: HTML, CSS and JavaScript, no
build step) that polls ``GET /control/phones`` every second and drives the
existing control API: opt a number in, block it, take the queue down and bring
it back, set the MO URL (Home Assistant's webhook URL), and send an SMS from
any number to Home Assistant.

``GET /control/phones`` gives, per phone number, one conversation: every
``POST /messages`` to that number with the gateway's answer and what became of
the message (delivered, held until the number opts in, delivered on opt-in, or
not delivered), and every MO from that number with the webhook's answer.

The page builds its DOM with ``textContent`` only (message text is
attacker-controlled) under a Content-Security-Policy that allows no inline
script or style.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from aiohttp import web

from .state import (
    ConversationEntry,
    Direction,
    GatewayState,
    NumberStatus,
    RecordedRequest,
    is_valid_number,
)

STATIC: Final = Path(__file__).parent / "static"

# path -> (file in STATIC, content type)
PAGE_FILES: Final[dict[str, tuple[str, str]]] = {
    "/": ("phone.html", "text/html"),
    "/phone.css": ("phone.css", "text/css"),
    "/phone.js": ("phone.js", "text/javascript"),
}

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

# What the gateway's answer means for the message, as the page shows it.
ANSWERS: Final[dict[int, str]] = {
    200: "sent",
    202: "accepted: the number was invited to opt in",
    400: "invalid phone number",
    401: "check your id and hash",
    403: "this number blocked the gateway: not sent",
    409: "invitation pending: not sent",
    500: "internal server error",
    501: "not implemented",
    503: "the queue is down: not sent",
}

# How far a delivery may precede the recording of the request it belongs to
# (both happen in one call of GatewayState.handle_send).
_SAME_SEND: Final = timedelta(seconds=1)


class Delivery:
    """What became of a message Home Assistant sent (the ``delivery`` field)."""

    DELIVERED: Final = "delivered"
    HELD: Final = "held"
    DELIVERED_ON_OPT_IN: Final = "delivered_on_opt_in"
    NOT_DELIVERED: Final = "not_delivered"


def answer_text(status: int | None) -> str:
    """Return what a gateway answer means, for people."""
    if status is None:
        return "connection dropped without an answer"
    return ANSWERS.get(status, f"status {status}")


def _time(moment: datetime) -> str:
    return moment.isoformat()


def _match_deliveries(
    requests: list[RecordedRequest], delivered: list[ConversationEntry]
) -> tuple[dict[int, ConversationEntry], list[ConversationEntry]]:
    """Pair the messages on the phone with the requests they came from.

    A 200 delivers during the request itself; a 202's held message is
    delivered later, when the number opts in. Returns the delivery of each
    request (by index) and the deliveries no request accounts for.
    """
    unused = list(delivered)
    found: dict[int, ConversationEntry] = {}
    for index, request in enumerate(requests):
        if request.status != 200:
            continue
        same = [
            entry
            for entry in unused
            if entry.text == request.message
            and timedelta(0) <= request.timestamp - entry.timestamp <= _SAME_SEND
        ]
        if same:
            found[index] = same[-1]
            unused.remove(same[-1])
    for index, request in enumerate(requests):
        if request.status != 202:
            continue
        later = [
            entry
            for entry in unused
            if entry.text == request.message and entry.timestamp >= request.timestamp
        ]
        if later:
            found[index] = later[0]
            unused.remove(later[0])
    return found, unused


def _mt_item(
    moment: datetime,
    text: str | None,
    status: int | None,
    delivery: str,
    delivered_at: datetime | None,
) -> tuple[datetime, dict[str, Any]]:
    """Return a message from Home Assistant to the phone, keyed by its time."""
    return (
        moment,
        {
            "direction": str(Direction.MT),
            "time": _time(moment),
            "text": text,
            "status": status,
            "answer": answer_text(status)
            if status is not None or delivered_at is None
            else "delivered",
            "delivery": delivery,
            "delivered_at": _time(delivered_at) if delivered_at is not None else None,
        },
    )


def conversation(state: GatewayState, number: str) -> list[dict[str, Any]]:
    """Return everything between Home Assistant and number, oldest first.

    Items have ``direction`` ``mt`` (Home Assistant to the phone: a request to
    ``/messages``) or ``mo`` (the phone to Home Assistant). An ``mt`` item has
    ``text`` (None if no message field was posted), ``status`` (None: dropped),
    ``answer``, ``delivery`` (see ``Delivery``) and ``delivered_at``; an
    ``mo`` item has ``text`` and ``webhook_status`` (None: not reached).
    """
    phone = state.phones.get(number)
    entries = phone.conversation if phone is not None else []
    requests = [r for r in state.requests if (r.recipient or "") == number]
    found, orphans = _match_deliveries(
        requests, [e for e in entries if e.direction is Direction.MT]
    )
    last_202 = max((i for i, r in enumerate(requests) if r.status == 202), default=None)
    items: list[tuple[datetime, dict[str, Any]]] = []
    for index, request in enumerate(requests):
        delivery = Delivery.NOT_DELIVERED
        delivered_at = None
        if (entry := found.get(index)) is not None:
            delivery = (
                Delivery.DELIVERED
                if request.status == 200
                else Delivery.DELIVERED_ON_OPT_IN
            )
            delivered_at = entry.timestamp
        elif (
            index == last_202
            and phone is not None
            and phone.status is NumberStatus.INVITED
            and phone.held == request.message
        ):
            delivery = Delivery.HELD
        items.append(
            _mt_item(
                request.timestamp,
                request.message,
                request.status,
                delivery,
                delivered_at,
            )
        )
    items.extend(
        _mt_item(e.timestamp, e.text, None, Delivery.DELIVERED, e.timestamp)
        for e in orphans
    )
    items.extend(
        (
            e.timestamp,
            {
                "direction": str(Direction.MO),
                "time": _time(e.timestamp),
                "text": e.text,
                "webhook_status": e.webhook_status,
            },
        )
        for e in entries
        if e.direction is Direction.MO
    )
    items.sort(key=lambda item: item[0])
    return [item for _, item in items]


def numbers(state: GatewayState) -> list[str]:
    """Return every number the gateway knows or was asked to send to.

    Requests without a recipient field are listed under ``""``.
    """
    found = dict.fromkeys(state.phones)
    found.update(dict.fromkeys(r.recipient or "" for r in state.requests))
    return list(found)


def phones_json(
    state: GatewayState, *, mo_url: str | None, messages_url: str
) -> dict[str, Any]:
    """Return what the phone page shows (``GET /control/phones``).

    Phones are listed most recent activity first, like a phone's inbox;
    numbers without messages (say, opted in before anything was sent) last.
    """
    phones: list[tuple[str, dict[str, Any]]] = []
    for number in numbers(state):
        phone = state.phones.get(number)
        items = conversation(state, number)
        phones.append(
            (
                items[-1]["time"] if items else "",
                {
                    "number": number,
                    "valid": is_valid_number(number),
                    "status": str(state.status_of(number)),
                    "held": phone.held if phone is not None else None,
                    "conversation": items,
                },
            )
        )
    phones.sort(key=lambda pair: pair[0], reverse=True)
    return {
        "key": state.key,
        "messages_url": messages_url,
        "mo_url": mo_url,
        "queue_down": state.queue_down,
        "latency": state.latency,
        "drops_pending": state.drops_pending,
        "forced": state.forced(),
        "phones": [entry for _, entry in phones],
    }


def page_response(path: str) -> web.FileResponse:
    """Return one of the page's files, with headers that keep it to itself."""
    name, content_type = PAGE_FILES[path]
    return web.FileResponse(
        STATIC / name,
        headers={
            "Content-Type": f"{content_type}; charset=utf-8",
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        },
    )


def cross_origin(request: web.Request) -> bool:
    """Return whether a browser sent this request from another site's page.

    Browsers send ``Origin`` with every POST; tests, scripts and Home
    Assistant send none. Refusing foreign origins keeps a web page the user
    happens to visit from driving the simulator (or its MO posts) on their
    behalf.
    """
    origin = request.headers.get("Origin")
    return origin is not None and origin != f"{request.scheme}://{request.host}"
