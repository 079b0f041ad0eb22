"""A simulator of the Tatango SMS Gateway, for tests and manual runs.

It serves the gateway's ``POST /messages`` API with its documented statuses,
simulates phones that opt in or block, injects faults (forced statuses,
latency, queue down, dropped connections), records every request, and posts
MOs to a webhook as the gateway did. It is independent of the integration.
"""

from .mo import MO_CONTENT_TYPE, cdata, mo_xml
from .server import GatewaySimulator
from .state import (
    ConversationEntry,
    Direction,
    GatewayState,
    NumberStatus,
    Phone,
    RecordedRequest,
    gateway_hash,
    is_valid_number,
)

__all__ = [
    "MO_CONTENT_TYPE",
    "ConversationEntry",
    "Direction",
    "GatewaySimulator",
    "GatewayState",
    "NumberStatus",
    "Phone",
    "RecordedRequest",
    "cdata",
    "gateway_hash",
    "is_valid_number",
    "mo_xml",
]
