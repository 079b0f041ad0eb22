"""Benchmark helper for scripts/bench: never installed, only linked into its throwaway configuration.

Set up from YAML (``tatango_bench:``) in the Home Assistant that ``scripts/bench.py``
starts, it gives the benchmark what it cannot see from outside:

- the **no-op webhook** (id ``NOOP_WEBHOOK_ID``), the ceiling for the MO webhook: it
  reads the body (any webhook must) and answers 200. It counts its calls, because
  Home Assistant answers 200 to unknown webhook ids too, so a 200 alone proves nothing;
- a count of the real ``tatango_sms_received`` events on the bus;
- ``GET /api/tatango_bench/stats[?gc=1]``: those counts, this process's CPU time
  and its resident memory (after a full garbage collection with ``gc=1``);
- ``POST /api/tatango_bench/setup_time {"entry_id", "repeat"}``: unloads the entry
  and times ``hass.config_entries.async_setup`` on it, ``repeat`` times;
- ``POST /api/tatango_bench/breakdown {"entry_id", "body", "repeat"}``: times the
  steps the webhook takes for one MO, each ``repeat`` times in a row, without a
  profiler: the parser, the sender's name lookup, firing an event on the bus, and
  the event entity's state write (through the entry's dispatcher signal);
- ``POST /api/tatango_bench/profile {"path"}``: starts cProfile of the event
  loop's thread; the next call stops it and writes the stats to path
  (``scripts/bench --profile``).
"""

from __future__ import annotations

import asyncio
import gc
from http import HTTPStatus
from pathlib import Path
import time
from typing import Any

from aiohttp import hdrs, web

from homeassistant.components import webhook
from homeassistant.components.http import KEY_HASS, HomeAssistantView
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

DOMAIN = "tatango_bench"
NOOP_WEBHOOK_ID = "tatango-bench-noop"
EVENT_RECEIVED = "tatango_sms_received"
# Between timed setups: lets what a setup starts in the background (the legacy
# notify service's platform) finish before the next unload.
SETTLE_SECONDS = 0.3

CONFIG_SCHEMA = cv.empty_config_schema(DOMAIN)

# Webhooks that do part of what the integration's does, each step adding one
# thing to the one before: where the time of an MO goes, under real requests.
LADDER_WEBHOOK_PREFIX = "tatango-bench-ladder-"
LADDER = ("parse", "fire", "entity")
# Home Assistant's part of an MO alone: what any handler that fires the event
# and writes the event entity costs, with nothing of ours (no parse, no lookup).
FLOOR = "floor"
LADDER_EVENT = "tatango_bench_probe"


def _rss_bytes() -> int:
    """Return this process's resident set size (Linux)."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the no-op webhook, the event counter and the views."""
    counts = hass.data[DOMAIN] = {"events": 0, "noop": 0}
    gc_started = [0.0]
    gc_seconds = [0.0]

    def time_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            gc_seconds[0] += time.perf_counter() - gc_started[0]

    gc.callbacks.append(time_gc)
    hass.data[f"{DOMAIN}_gc"] = gc_seconds

    @callback
    def count_event(event: Event) -> None:
        counts["events"] += 1

    hass.bus.async_listen(EVENT_RECEIVED, count_event)
    # One listener on the ladder's event too, as tatango_sms_received has here.
    hass.bus.async_listen(LADDER_EVENT, _ignore)

    async def noop(
        hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        await request.read()
        counts["noop"] += 1
        return web.Response(status=HTTPStatus.OK)

    webhook.async_register(
        hass,
        DOMAIN,
        "Benchmark no-op",
        NOOP_WEBHOOK_ID,
        noop,
        local_only=False,
        allowed_methods=[hdrs.METH_POST],
    )
    for step in (*LADDER, FLOOR):
        webhook.async_register(
            hass,
            DOMAIN,
            f"Benchmark ladder {step}",
            f"{LADDER_WEBHOOK_PREFIX}{step}",
            _ladder_handler(step, counts),
            local_only=False,
            allowed_methods=[hdrs.METH_POST],
        )
    hass.http.register_view(StatsView(counts))
    hass.http.register_view(SetupTimeView())
    hass.http.register_view(ProfileView())
    hass.http.register_view(BreakdownView())
    return True


class StatsView(HomeAssistantView):
    """The counts and the resident memory."""

    url = "/api/tatango_bench/stats"
    name = "api:tatango_bench:stats"

    def __init__(self, counts: dict[str, int]) -> None:
        """Initialize with the counters."""
        self._counts = counts

    async def get(self, request: web.Request) -> web.Response:
        """Return the counts and the RSS, after a full collection with ?gc=1."""
        if request.query.get("gc"):
            gc.collect()
        hass = request.app[KEY_HASS]
        return self.json(
            {
                **self._counts,
                "rss": _rss_bytes(),
                "cpu": time.process_time(),
                "gc": hass.data[f"{DOMAIN}_gc"][0],
            }
        )


class SetupTimeView(HomeAssistantView):
    """Time the setup of a config entry."""

    url = "/api/tatango_bench/setup_time"
    name = "api:tatango_bench:setup_time"

    async def post(self, request: web.Request) -> web.Response:
        """Unload and set up the entry `repeat` times; return each setup's seconds."""
        hass = request.app[KEY_HASS]
        body: dict[str, Any] = await request.json()
        entry_id = str(body["entry_id"])
        seconds: list[float] = []
        for _ in range(int(body.get("repeat", 5))):
            await hass.config_entries.async_unload(entry_id)
            await asyncio.sleep(SETTLE_SECONDS)
            started = time.perf_counter()
            loaded = await hass.config_entries.async_setup(entry_id)
            seconds.append(time.perf_counter() - started)
            entry = hass.config_entries.async_get_known_entry(entry_id)
            if not loaded or entry.state is not ConfigEntryState.LOADED:
                return self.json_message(
                    f"the entry did not load: {entry.state}", HTTPStatus.CONFLICT
                )
            await asyncio.sleep(SETTLE_SECONDS)
        return self.json({"seconds": seconds})


class ProfileView(HomeAssistantView):
    """cProfile of the event loop's thread (scripts/bench --profile)."""

    url = "/api/tatango_bench/profile"
    name = "api:tatango_bench:profile"

    def __init__(self) -> None:
        """Initialize, not profiling."""
        self._profiler: Any = None

    async def post(self, request: web.Request) -> web.Response:
        """Start profiling; the next call stops and writes the stats to `path` (pstats)."""
        import cProfile  # noqa: PLC0415

        path = str((await request.json())["path"])
        if self._profiler is None:
            self._profiler = cProfile.Profile()
            self._profiler.enable()
            return self.json({"profiling": True})
        profiler, self._profiler = self._profiler, None
        profiler.disable()
        await request.app[KEY_HASS].async_add_executor_job(profiler.dump_stats, path)
        return self.json({"path": path})


class BreakdownView(HomeAssistantView):
    """Time the steps of the webhook for one MO, inside Home Assistant."""

    url = "/api/tatango_bench/breakdown"
    name = "api:tatango_bench:breakdown"

    async def post(self, request: web.Request) -> web.Response:
        """Return µs per call of each step."""
        # The integration as Home Assistant loaded it.
        from custom_components.tatango_sms.const import signal_received  # noqa: PLC0415
        from custom_components.tatango_sms.mo import keyword, parse_mo  # noqa: PLC0415
        from custom_components.tatango_sms.webhook import async_handle_incoming_sms  # noqa: PLC0415
        from homeassistant.helpers.dispatcher import async_dispatcher_send  # noqa: PLC0415
        from homeassistant.util.aiohttp import MockRequest  # noqa: PLC0415

        hass = request.app[KEY_HASS]
        body: dict[str, Any] = await request.json()
        entry = hass.config_entries.async_get_known_entry(str(body["entry_id"]))
        document = str(body["body"]).encode()
        repeat = int(body["repeat"])
        message = parse_mo(document)
        sender = entry.runtime_data.sender
        data = {
            "sender": message.sender,
            "recipient": sender.name_for(message.sender),
            "content": message.content,
            "keyword": keyword(message.content),
            "config_entry_id": entry.entry_id,
        }
        signal = signal_received(entry.entry_id)
        # Another event type (with one listener, like tatango_sms_received
        # here): the benchmark counts tatango_sms_received.
        steps = {
            "parse_mo": lambda: parse_mo(document),
            "name_for": lambda: sender.name_for(message.sender),
            "bus_fire": lambda: hass.bus.async_fire(LADDER_EVENT, data),
            "event_entity_write": lambda: async_dispatcher_send(hass, signal, data),
        }
        result: dict[str, float] = {}
        for name, step in steps.items():
            started = time.perf_counter()
            for _ in range(repeat):
                step()
            result[name] = (time.perf_counter() - started) / repeat * 1e6
            await asyncio.sleep(0)
        # The whole handler, on requests as Home Assistant Cloud relays them
        # (read with text()); it fires real events, which the counter sees.
        headers = {"Content-Type": "text/xml"}
        before = hass.data[DOMAIN]["events"]
        started = time.perf_counter()
        for _ in range(repeat):
            await async_handle_incoming_sms(
                hass,
                entry,
                MockRequest(content=document, mock_source="bench", headers=headers),  # type: ignore[arg-type]
            )
        result["whole_handler"] = (time.perf_counter() - started) / repeat * 1e6
        result["whole_handler_events"] = hass.data[DOMAIN]["events"] - before
        return self.json(result)


@callback
def _ignore(event: Event) -> None:
    """Listen to the probe event and do nothing."""


def _ladder_handler(step: str, counts: dict[str, int]) -> Any:
    """Return a webhook handler that does the steps of the ladder up to step.

    The floor does Home Assistant's part only: the event with the five fields
    of tatango_sms_received and the event entity's state with its four
    attributes, from data made once (nothing parsed or looked up).
    """
    from custom_components.tatango_sms import const as tatango  # noqa: PLC0415
    from custom_components.tatango_sms.mo import parse_mo  # noqa: PLC0415
    from homeassistant.helpers.dispatcher import async_dispatcher_send  # noqa: PLC0415

    counts[step] = 0
    floor = step == FLOOR
    depth = len(LADDER) - 1 if floor else LADDER.index(step)

    async def handle(
        hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        body = await request.read()
        counts[step] += 1
        if depth < 2:
            message = parse_mo(body)
            if depth == 1:
                hass.bus.async_fire(
                    LADDER_EVENT, {"sender": message.sender, "content": message.content}
                )
            return web.Response(status=HTTPStatus.OK)
        entry_id = hass.config_entries.async_entries(tatango.DOMAIN)[0].entry_id
        if floor:
            data = {
                tatango.ATTR_SENDER: "+12065550100",
                tatango.ATTR_RECIPIENT: "Alex",
                tatango.ATTR_CONTENT: "Lights on please",
                tatango.ATTR_KEYWORD: "LIGHTS",
                tatango.ATTR_CONFIG_ENTRY_ID: entry_id,
            }
        else:
            message = parse_mo(body)
            data = {"sender": message.sender, "content": message.content}
        hass.bus.async_fire(LADDER_EVENT, data)
        async_dispatcher_send(hass, tatango.signal_received(entry_id), data)
        return web.Response(status=HTTPStatus.OK)

    return handle
