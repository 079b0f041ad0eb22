"""Incoming SMS under load, through Home Assistant's real HTTP server on loopback.

2,000 messages are posted 50 at a time. Every one must fire exactly one event with
its own sender and content, and the event loop must keep running meanwhile: a
ticker that asks to wake every 10 ms measures the longest gap between wake-ups.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
import time

from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tatango_sms.const import EVENT_RECEIVED
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from tatango_simulator import mo_xml
from tatango_simulator.mo import MO_CONTENT_TYPE

from .helpers import event_data, webhook_path

MESSAGES = 2000
CONCURRENCY = 50
TICK = 0.01
MAX_LOOP_GAP = 0.5
"""Generous: with 50 posts in flight one pass of the loop takes tens of milliseconds,
even on a busy machine; a handler that blocked (on I/O, a lock, a slow parse)
would hold it far longer."""
AREA_CODES = ("206", "312", "415", "617", "999")


def sender_for(index: int) -> str:
    """Return the 10-digit number message `index` comes from (varied, never shared)."""
    return f"{AREA_CODES[index % len(AREA_CODES)]}555{index:04d}"


def content_for(index: int) -> str:
    """Return the unique text of message `index`, with markup characters and a non-ASCII one."""
    return f"msg {index} ✓ <&>"


class LoopWatch:
    """A task that asks to wake every TICK seconds and records the longest gap."""

    def __init__(self) -> None:
        """Prepare; start() runs it."""
        self.max_gap = 0.0
        self.ticks = 0
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start ticking on the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop ticking and wait for the task to end."""
        self._stop.set()
        assert self._task is not None
        await self._task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while not self._stop.is_set():
            await asyncio.sleep(TICK)
            now = loop.time()
            self.max_gap = max(self.max_gap, now - last)
            self.ticks += 1
            last = now


async def test_inbound_load(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hass_client_no_auth: ClientSessionGenerator,
    record_property: Callable[[str, object], None],
) -> None:
    """2,000 messages at concurrency 50 fire 2,000 exact, unduplicated events without stalling the loop."""
    client = await hass_client_no_auth()
    path = webhook_path(loaded_entry.data[CONF_WEBHOOK_ID])
    events = async_capture_events(hass, EVENT_RECEIVED)
    bodies = [mo_xml(sender_for(i), content_for(i)).encode() for i in range(MESSAGES)]
    semaphore = asyncio.Semaphore(CONCURRENCY)
    statuses: Counter[int] = Counter()

    async def post(body: bytes) -> None:
        async with semaphore:
            response = await client.post(
                path, data=body, headers={"Content-Type": MO_CONTENT_TYPE}
            )
            await response.read()
            statuses[response.status] += 1

    # The test harness runs the loop in asyncio debug mode, which records a
    # traceback for every task and future and makes every step several times
    # slower: that would measure the harness. Home Assistant runs without it.
    loop = asyncio.get_running_loop()
    debug = loop.get_debug()
    loop.set_debug(False)
    watch = LoopWatch()
    watch.start()
    try:
        started = time.perf_counter()
        await asyncio.gather(*(post(body) for body in bodies))
        elapsed = time.perf_counter() - started
    finally:
        await watch.stop()
        loop.set_debug(debug)
    await hass.async_block_till_done()

    record_property("seconds", round(elapsed, 3))
    record_property("events_per_second", round(len(events) / elapsed))
    record_property("max_loop_gap_ms", round(watch.max_gap * 1000, 1))
    record_property("ticks", watch.ticks)

    assert statuses == {200: MESSAGES}
    assert len(events) == MESSAGES
    by_content = {event.data["content"]: event.data for event in events}
    assert len(by_content) == MESSAGES, "some message fired more than one event"
    assert by_content == {
        content_for(i): event_data(
            loaded_entry.entry_id, sender_for(i), content_for(i), "MSG"
        )
        for i in range(MESSAGES)
    }
    assert watch.ticks > 0
    assert watch.max_gap < MAX_LOOP_GAP, (
        f"the event loop stalled for {watch.max_gap:.3f} s"
    )
