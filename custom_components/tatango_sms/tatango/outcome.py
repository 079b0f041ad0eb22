"""What happened to a message for one recipient: one code for responses, events and translations."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """The outcome of sending one message to one number."""

    SENT = "sent"
    """200: the gateway sent it."""
    INVITED = "invited"
    """202: the number was invited to opt in; it gets the message once it accepts."""
    QUEUED = "queued"
    """Not taken yet: it is tried again later."""
    REPLY_LIMITED = "reply_limited"
    """Not sent, on purpose: the number got enough automatic replies for now."""
    INVALID_AUTH = "invalid_auth"
    """401: the key or the password is wrong."""
    INVALID_URL = "invalid_url"
    """The gateway URL is not one a request can be sent to."""
    RATE_LIMITED = "rate_limited"
    """Refused: it would pass the account's limit of SMS an hour."""
    TOO_LONG = "too_long"
    """Refused: it would need more SMS than a message may have."""
    UNKNOWN = "unknown"
    """The gateway may or may not have taken it, so it is not sent again."""
    BLOCKED = "blocked"
    """403, now or earlier: the number blocked the account."""
    INVALID_PHONE_NUMBER = "invalid_phone_number"
    """400: the gateway rejected the number."""
    UNEXPECTED_STATUS = "unexpected_status"
    """An answer the gateway's documentation does not list."""
    EXPIRED = "expired"
    """It waited in the outbox longer than allowed."""
    INVITATION_PENDING = "invitation_pending"
    """409: the number has not accepted its invitation yet."""
    SERVER_ERROR = "server_error"
    """500 or 501: the gateway failed."""
    QUEUE_DOWN = "queue_down"
    """503: the gateway's queue is down."""
    CANNOT_CONNECT = "cannot_connect"
    """The gateway could not be reached."""

    @property
    def delivered(self) -> bool:
        """Return whether the gateway took the message."""
        return self in (Outcome.SENT, Outcome.INVITED)

    @property
    def ok(self) -> bool:
        """Return whether this is no failure: taken, to be tried again, or held back on purpose."""
        return self in (
            Outcome.SENT,
            Outcome.INVITED,
            Outcome.QUEUED,
            Outcome.REPLY_LIMITED,
        )


FAILURES_BY_SEVERITY: tuple[Outcome, ...] = tuple(
    outcome for outcome in Outcome if not outcome.ok
)
"""Failures, the most serious first: the order the members are declared in."""
