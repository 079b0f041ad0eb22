# ruff: noqa: INP001
"""Chaos run (scripts/chaos): kill -9 Home Assistant while the outbox delivers; lose nothing, send nothing twice.

Runs inside the environment scripts/chaos prepares (Home Assistant 2026.11.0, in
a network namespace that has only loopback where one can be made). The
simulator is a process of its own and outlives every kill; it answers each
request 50–200 ms late. A text is sent every second or so, one per number, and
answered 503, so each waits in the outbox for its first retry half a minute
later; meanwhile the outbox delivers what became due, and after a random number
of deliveries, at a random moment, Home Assistant is killed with SIGKILL and
started again, life after life. After the last kill,
once the outbox is empty, every text is accounted for from the simulator's
records and the tatango_sms_sent / tatango_sms_failed events: delivered exactly
once, or reported (outcome unknown or a failure), else a duplicate or a silent
loss. Exit status 1 on any duplicate or silent loss.

The events come from Home Assistant's recorder (SQLite, committing each event
at once): it is set up before any config entry and records every event from its
start, so it also has what the outbox reports while the entry sets up after a
restart, before any WebSocket client could subscribe.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
import contextlib
from dataclasses import dataclass
import json
import random
import sqlite3
import sys
import time
from typing import Any

from harness import DOMAIN, Harness, RunError, Settings, expect, run

SETTINGS = Settings(
    name="chaos",
    ha_port=38123,
    simulator_port=38124,
    key="chaos-key",
    password="chaos-password",  # noqa: S106
    owner=("chaos", "chaos-owner-password"),
    # Every event at once, and no states (nothing here needs them).
    yaml="\nrecorder:\n  commit_interval: 0\n  exclude:\n    entity_globs: ['*']\n",
)
EVENTS = (f"{DOMAIN}_sent", f"{DOMAIN}_failed")
LATENCY = (0.05, 0.2)  # seconds, drawn anew every LATENCY_EVERY
LATENCY_EVERY = 0.05
POLL = 0.1
QUIET = 120.0  # seconds without a delivery or a change: the outbox is stuck


@dataclass(frozen=True)
class Plan:
    """At least how many kills and texts, and a text every how many seconds."""

    kills: int
    texts: int
    every: float


FULL = Plan(kills=24, texts=240, every=1.0)
SMOKE = Plan(kills=3, texts=24, every=1.5)
KILL_AFTER = (1, 4)  # deliveries after the first of a life, at random


class Chaos:
    """The run's state: the texts, the kills and what the simulator saw."""

    def __init__(self, h: Harness, plan: Plan) -> None:
        """Initialize with the harness and the plan."""
        self.h = h
        self.plan = plan
        self.texts: dict[str, str] = {}  # number -> its one text
        self.kills = 0
        self.entry_id = ""
        self.sensor = ""
        self.restarts: list[float] = []
        self.up = asyncio.Lock()  # held to send, and to kill and restart
        self.started = time.monotonic()

    def log(self, text: str) -> None:
        """Print a progress line."""
        print(f"  {time.monotonic() - self.started:6.1f} s  {text}", flush=True)

    async def start(self) -> None:
        """Start everything, set the entry up and find its queued-messages sensor."""
        await self.h.start_simulator()
        await self.h.start_home_assistant()
        await self.h.onboard(everything=False)
        _, result = await self.h.create_entry()
        self.entry_id = result["result"]["entry_id"]
        await self.h.connect_ws()
        entities = await self.h.ws_call({"type": "config/entity_registry/list"})
        self.sensor = next(
            (e["entity_id"] for e in entities
             if e["config_entry_id"] == self.entry_id
             and e["translation_key"] == "queued_messages"),
            "",
        )  # fmt: skip
        expect(bool(self.sensor), "the entry has no queued-messages sensor")
        # A clean restart, so the owner's token and the entry are on disk.
        expect(await self.h.stop_home_assistant() == 0, "Home Assistant did not stop")
        await self.restart()
        self.log(f"set up; {self.sensor} counts the outbox")

    async def restart(self) -> None:
        """Start Home Assistant again; wait until the entry is loaded."""
        started = time.monotonic()
        await self.h.start_home_assistant()
        loaded = lambda: self.h.entry_loaded(self.entry_id)  # noqa: E731
        await self.h.wait_for("the entry to be loaded", loaded, 120)
        self.restarts.append(time.monotonic() - started)
        await self.h.connect_ws()

    async def deliveries(self) -> int:
        """Return how many requests the simulator answered 200 (not the first tries' 503)."""
        return sum(r["status"] == 200 for r in await self.requests())

    async def recorder_idle(self) -> None:
        """Wait until the recorder has written every event fired so far.

        What the outbox reports after a restart is fired while the entry sets
        up; a kill must not take it with it before the recorder wrote it.
        """
        idle = 0
        while idle < 2:  # twice in a row: the last one taken is written too
            info = await self.h.ws_call({"type": "recorder/info"})
            idle = idle + 1 if info["backlog"] == 0 else 0
            await asyncio.sleep(0.02)

    async def requests(self) -> list[dict[str, Any]]:
        """Return every request the simulator recorded."""
        requests: list[dict[str, Any]] = (
            await self.h.gateway("GET", "/control/state")
        )["requests"]
        return requests

    async def queued(self) -> int:
        """Return how many messages the outbox holds (its sensor), -1 if not known yet."""
        with contextlib.suppress(RunError, OSError):
            state = (await self.h.ha("GET", f"/api/states/{self.sensor}"))["state"]
            return int(state) if state.isdigit() else -1
        return -1

    async def sender(self) -> None:
        """Send a text now and then, one per number, each answered 503: each is queued.

        Once there are enough texts, only when the outbox ran dry before the
        last kill.
        """
        plan = self.plan
        while self.kills < plan.kills or len(self.texts) < plan.texts:
            if len(self.texts) >= plan.texts and await self.queued() != 0:
                await asyncio.sleep(POLL)
                continue
            number = f"312555{len(self.texts):04d}"
            self.texts[number] = f"chaos text {len(self.texts) + 1} to {number}"
            await self.h.gateway("POST", "/control/opt_in", {"number": number})
            force = {"status": 503, "count": 1, "number": number}
            await self.h.gateway("POST", "/control/force", force)
            async with self.up:
                answer = await self.h.ha(
                    "POST",
                    f"/api/services/{DOMAIN}/send_message?return_response",
                    json={"message": self.texts[number], "recipients": [number]},
                )
            outcome = answer["service_response"]["recipients"][0]["outcome"]
            expect(outcome == "queued", f"{number}: outcome {outcome}, not queued")
            await asyncio.sleep(self.plan.every)

    async def life(self) -> bool:
        """Kill Home Assistant during deliveries and start it again; False if none came.

        First one delivery, then the recorder catches up (what the outbox
        reports about a restart is fired by then), then a random number of
        deliveries more and a random moment after the last: the kill.
        """
        if not await self.wait(await self.deliveries(), 1):
            return False
        await self.recorder_idle()
        if not await self.wait(await self.deliveries(), random.randint(*KILL_AFTER)):
            return False
        async with self.up:
            await asyncio.sleep(random.uniform(*LATENCY))  # before or after an answer
            await self.h.kill_home_assistant()
            self.kills += 1
            self.log(f"kill {self.kills} ({len(self.texts)} texts sent)")
            await self.restart()
        return True

    async def wait(self, seen: int, at: int | None) -> bool:
        """Wait for `at` deliveries after the first `seen` (True) or an empty outbox (False)."""
        last, quiet_since = (seen, -1), time.monotonic()
        while True:
            self.h.check_processes()
            count = await self.deliveries()
            if at is not None and count - seen >= at:
                return True
            if (queued := await self.queued()) == 0:
                return False
            if (count, queued) != last:
                last, quiet_since = (count, queued), time.monotonic()
            stuck = time.monotonic() - quiet_since > QUIET
            expect(not stuck, f"the outbox is stuck at {last} (deliveries, queued)")
            await asyncio.sleep(POLL)

    async def jitter(self) -> None:
        """Draw the simulator's answer delay anew, again and again."""
        while True:
            latency = random.uniform(*LATENCY)
            await self.h.gateway("POST", "/control/latency", {"seconds": latency})
            await asyncio.sleep(LATENCY_EVERY)

    async def run(self) -> None:
        """Kill Home Assistant life after life; then let the outbox empty and account."""
        await self.start()
        tasks = [asyncio.create_task(self.jitter()), asyncio.create_task(self.sender())]
        try:
            while self.kills < self.plan.kills or len(self.texts) < self.plan.texts:
                if not await self.life():
                    await asyncio.sleep(POLL)
                for task in tasks:
                    if task.done():
                        await task  # raises what ended it
            await tasks[1]
            await self.wait(await self.deliveries(), None)
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self.log("the outbox is empty")
        requests = await self.requests()
        expect(await self.h.stop_home_assistant() == 0, "Home Assistant did not stop")
        self.account(requests, self.events())

    def events(self) -> list[tuple[str, dict[str, Any]]]:
        """Return the integration's sent and failed events from the recorder's database."""
        query = (
            "SELECT t.event_type, d.shared_data FROM events e "
            "JOIN event_types t ON e.event_type_id = t.event_type_id "
            "LEFT JOIN event_data d ON e.data_id = d.data_id "
            "WHERE t.event_type IN (?, ?) ORDER BY e.time_fired_ts"
        )
        with contextlib.closing(
            sqlite3.connect(self.h.config / "home-assistant_v2.db")
        ) as db:
            return [
                (kind, json.loads(data or "{}"))
                for kind, data in db.execute(query, EVENTS)
            ]

    def account(
        self, requests: list[dict[str, Any]], events: list[tuple[str, dict[str, Any]]]
    ) -> None:
        """Account for every text; fail on a duplicate or a silent loss."""
        delivered = Counter(
            r["recipient"] for r in requests
            if r["status"] == 200 and self.texts.get(r["recipient"]) == r["message"]
        )  # fmt: skip
        reported = {d["recipient"] for kind, d in events if kind == EVENTS[1]}
        said_sent = {d["recipient"] for kind, d in events if kind == EVENTS[0]}
        once = [n for n in self.texts if delivered[n] == 1]
        twice = [n for n in self.texts if delivered[n] > 1]
        lost = [n for n in self.texts if not delivered[n] and n not in reported]
        outcomes = Counter(d["outcome"] for kind, d in events if kind == EVENTS[1])
        extra = sum(delivered[n] - 1 for n in twice)
        worst = max((delivered[n] for n in twice), default=0)
        restarts = sorted(self.restarts)
        print(
            f"""
chaos: {len(self.texts)} texts, {self.kills} kills (restarts took {restarts[0]:.1f}–{restarts[-1]:.1f} s)
  delivered exactly once      {len(once)}
  duplicates                  {len(twice)} texts, {extra} extra deliveries, at most {worst} times
  reported unknown or failed  {len(reported & set(self.texts))} ({", ".join(f"{k} {v}" for k, v in outcomes.items()) or "none"}); of them not delivered: {len([n for n in self.texts if not delivered[n] and n in reported])}
  silent losses               {len(lost)}
  events                      {len(said_sent)} texts said sent, {sum(k == EVENTS[0] for k, _ in events)} sent and {sum(k == EVENTS[1] for k, _ in events)} failed events""",
            flush=True,
        )
        expect(
            not twice and not lost,
            f"{len(twice)} duplicates, {len(lost)} silent losses",
        )


def main() -> int:
    """Command line."""
    parser = argparse.ArgumentParser(prog="scripts/chaos", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a short run, few kills")
    args = parser.parse_args()
    plan = SMOKE if args.smoke else FULL
    print(f"chaos: at least {plan.kills} kills and {plan.texts} texts", flush=True)
    return asyncio.run(run(SETTINGS, lambda h: Chaos(h, plan).run()))


if __name__ == "__main__":
    sys.exit(main())
