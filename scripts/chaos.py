# ruff: noqa: INP001
"""Chaos run (scripts/chaos): SIGKILL Home Assistant while its outbox delivers; account for every text.

The simulator, a process of its own, outlives every kill and answers 50–200 ms
late. Texts are sent all along, one per number, each answered 503 at first, so
each waits in the outbox for its retry half a minute later. While the outbox
delivers, Home Assistant is killed after a random number of deliveries, at a
random moment, and started again, life after life. Then every text must have
been delivered exactly once, or reported (tatango_sms_failed, outcome unknown or
a failure): else it is a duplicate or a silent loss (exit status 1).

The events come from Home Assistant's recorder, committing each at once: it
starts before any config entry and so has what the outbox reports while the
entry sets up after a restart, before a WebSocket client could subscribe.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
import contextlib
import json
import random
import sqlite3
import sys
import time
from typing import Any, NamedTuple

from aiohttp import ClientError
from harness import DOMAIN, Credentials, Harness, Ports, RunError, Settings, expect, run

# Every event at once, and no states (nothing here needs them).
RECORDER = "\nrecorder:\n  commit_interval: 0\n  exclude:\n    entity_globs: ['*']\n"
PORTS, CREDENTIALS = Ports(38123, 38124), Credentials("chaos-key", "chaos-password")
SETTINGS = Settings(name="chaos", ports=PORTS, credentials=CREDENTIALS, yaml=RECORDER)
SENT, FAILED, MARK = f"{DOMAIN}_sent", f"{DOMAIN}_failed", "tatango_chaos_mark"
LATENCY = (0.05, 0.2)  # seconds, drawn anew every 50 ms
KILL_AFTER = (1, 4)  # deliveries after the first of a life, at random
POLL = 0.1
QUIET = 120  # seconds without a delivery or a change: the outbox is stuck


class Plan(NamedTuple):
    """At least how many kills and texts; texts sent per second while up."""

    kills: int
    texts: int
    burst: int


FULL, SMOKE = Plan(kills=24, texts=240, burst=2), Plan(kills=3, texts=24, burst=1)


class Chaos:
    """The run: the texts, the kills, what the simulator saw."""

    def __init__(self, h: Harness, plan: Plan) -> None:
        """Initialize with the harness and the plan."""
        self.h, self.plan = h, plan
        self.texts: dict[str, str] = {}  # number -> its one text
        self.kills, self.marks, self.seen, self.entry_id, self.sensor = 0, 0, 0, "", ""
        self.restarts: list[float] = []
        self.up = asyncio.Lock()  # held to send texts, and to kill and restart
        self.started = time.monotonic()

    def log(self, text: str) -> None:
        """Print a progress line."""
        print(f"  {time.monotonic() - self.started:6.1f} s  {text}", flush=True)

    async def start(self) -> None:
        """Start everything, set the entry up and find its queued-messages sensor."""
        await self.h.start_simulator()
        await self.h.start_home_assistant()
        await self.h.onboard(everything=False)
        self.entry_id = (await self.h.create_entry())[1]["result"]["entry_id"]
        await self.h.reload_with("options/", self.entry_id, {"max_sms_per_hour": 0})
        await self.h.connect_ws()
        for entity in await self.h.ws_call({"type": "config/entity_registry/list"}):
            key = (entity["config_entry_id"], entity["translation_key"])
            if key == (self.entry_id, "queued_messages"):
                self.sensor = entity["entity_id"]
        expect(bool(self.sensor), "the entry has no queued-messages sensor")
        # A clean restart, so the owner's token and the entry are on disk.
        expect(await self.h.stop_home_assistant() == 0, "Home Assistant did not stop")
        await self.restart()
        self.log(f"set up; {self.sensor} counts the outbox")

    async def restart(self) -> None:
        """Start Home Assistant again; wait until the entry is loaded."""
        started = time.monotonic()
        await self.h.start_home_assistant()
        await self.h.wait_loaded(self.entry_id, 120)
        self.restarts.append(time.monotonic() - started)

    async def deliveries(self) -> int:
        """Return how many requests the simulator answered 200 (first tries got 503)."""
        return sum(r["status"] == 200 for r in await self.h.requests())

    async def queued(self) -> int:
        """Return how many messages the outbox holds (its sensor), -1 if unknown yet."""
        with contextlib.suppress(
            RunError, ClientError, OSError, TimeoutError, ValueError
        ):
            return int((await self.h.state(self.sensor))["state"])
        return -1

    def events(self) -> list[tuple[str, Any]]:
        """Return our events and marks from the recorder's database, oldest first."""
        query = (
            "SELECT t.event_type, d.shared_data FROM events e JOIN event_types t ON "
            "e.event_type_id = t.event_type_id LEFT JOIN event_data d ON e.data_id = "
            "d.data_id WHERE t.event_type IN (?, ?, ?) ORDER BY e.time_fired_ts"
        )
        database = self.h.config / "home-assistant_v2.db"
        with contextlib.closing(sqlite3.connect(database)) as db:
            rows = db.execute(query, (SENT, FAILED, MARK))
            return [(kind, json.loads(data or "{}")) for kind, data in rows]

    async def marked(self) -> bool:
        """Return whether the recorder has written our last mark, and all before it.

        It writes events in order: what was fired before the mark is written too.
        """
        events = await asyncio.to_thread(self.events)
        return sum(kind == MARK for kind, _ in events) >= self.marks

    async def wait(self, seen: int, more: int | None) -> bool:
        """Wait for `more` deliveries after `seen` (True) or an empty outbox (False)."""
        last, since = (seen, -1), time.monotonic()
        while True:
            self.h.check_processes()
            count = await self.deliveries()
            if more is not None and count - seen >= more:
                return True
            if (queued := await self.queued()) == 0:
                return False
            if (count, queued) != last:
                last, since = (count, queued), time.monotonic()
            stuck = time.monotonic() - since > QUIET
            expect(not stuck, f"the outbox is stuck at {last} (deliveries, queued)")
            await asyncio.sleep(POLL)

    async def send(self, number: str) -> None:
        """Send one text to number, answered 503 on its first try: it is queued."""
        self.texts[number] = f"chaos text {len(self.texts) + 1} to {number}"
        await self.h.gateway("POST", "/control/opt_in", {"number": number})
        force = {"status": 503, "count": 1, "number": number}
        await self.h.gateway("POST", "/control/force", force)
        outcome = (await self.h.send(self.texts[number], [number]))[0]["outcome"]
        expect(outcome == "queued", f"{number}: outcome {outcome}, not queued")

    async def sender(self) -> None:
        """Send a few texts every second, until there are enough texts and kills."""
        while self.kills < self.plan.kills or len(self.texts) < self.plan.texts:
            first = len(self.texts)
            numbers = [f"312555{first + i:04d}" for i in range(self.plan.burst)]
            async with self.up:
                await asyncio.gather(*(self.send(number) for number in numbers))
            await asyncio.sleep(1)

    async def jitter(self) -> None:
        """Draw the simulator's answer delay anew, again and again."""
        while True:
            latency = {"seconds": random.uniform(*LATENCY)}
            await self.h.gateway("POST", "/control/latency", latency)
            await asyncio.sleep(0.05)

    async def life(self) -> bool:
        """Kill Home Assistant during deliveries and start it again; False if none came.

        After its first delivery a life fires a mark: what the outbox reported
        about the restart was fired before it. A random number of deliveries
        more and a random moment later it is killed, once the recorder has
        written the mark (so the kill takes no report with it).
        """
        if not await self.wait(self.seen, 1):
            return False
        await self.h.ha("POST", f"/api/events/{MARK}", json={})
        self.marks += 1
        if not await self.wait(await self.deliveries(), random.randint(*KILL_AFTER)):
            return False
        await self.h.wait_for("the recorder to write the mark", self.marked, 30)
        await asyncio.sleep(random.uniform(0, LATENCY[1]))  # before or after an answer
        async with self.up:
            await self.h.kill_home_assistant()
            self.seen = await self.deliveries()
            self.kills += 1
            self.log(f"kill {self.kills} ({len(self.texts)} texts sent)")
            await self.restart()
        return True

    async def run(self) -> None:
        """Kill Home Assistant life after life; then let the outbox empty and account."""
        await self.start()
        tasks = [asyncio.create_task(self.jitter()), asyncio.create_task(self.sender())]
        try:
            while self.kills < self.plan.kills or len(self.texts) < self.plan.texts:
                if not await self.life():
                    await asyncio.sleep(POLL)
                for task in (task for task in tasks if task.done()):
                    await task  # raises what ended it
            await tasks[1]
            await self.wait(await self.deliveries(), None)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self.log("the outbox is empty")
        requests = await self.h.requests()
        expect(await self.h.stop_home_assistant() == 0, "Home Assistant did not stop")
        self.account(requests)

    def account(self, requests: list[dict[str, Any]]) -> None:
        """Account for every text; fail on a duplicate or a silent loss."""
        events = [(kind, data) for kind, data in self.events() if kind != MARK]
        ours = [(r["recipient"], r["message"]) for r in requests if r["status"] == 200]
        delivered = Counter(n for n, text in ours if self.texts.get(n) == text)
        failed = [data for kind, data in events if kind == FAILED]
        reported = {data["recipient"] for data in failed} & set(self.texts)
        twice = [n for n in self.texts if delivered[n] > 1]
        lost = [n for n in self.texts if not delivered[n] and n not in reported]
        outcomes = dict(Counter(data["outcome"] for data in failed))
        restarts, extra = sorted(self.restarts), sum(delivered[n] - 1 for n in twice)
        took = f"restarts took {restarts[0]:.1f}–{restarts[-1]:.1f} s"
        not_delivered = sum(not delivered[n] for n in reported)
        kept = f"{len(events) - len(failed)} sent, {len(failed)} failed"
        print(
            f"chaos: {len(self.texts)} texts, {self.kills} kills ({took})\n"
            f"  delivered exactly once      {sum(delivered[n] == 1 for n in self.texts)}\n"
            f"  duplicates                  {len(twice)} texts, {extra} extra deliveries\n"
            f"  reported unknown or failed  {len(reported)} {outcomes}, of them not "
            f"delivered {not_delivered}\n"
            f"  silent losses               {len(lost)}\n"
            f"  events the recorder kept    {kept} (a sent event fired just before "
            "a kill may be lost with it)",
            flush=True,
        )
        why = f"{len(twice)} duplicates, {len(lost)} silent losses"
        expect(not twice and not lost, why)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="scripts/chaos", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a short run, few kills")
    plan = SMOKE if parser.parse_args().smoke else FULL
    print(f"chaos: at least {plan.kills} kills and {plan.texts} texts", flush=True)
    sys.exit(asyncio.run(run(SETTINGS, lambda h: Chaos(h, plan).run())))
