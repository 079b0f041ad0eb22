"""Benchmark helper for scripts/bench: never installed, only linked into its throwaway configuration.

Set up from YAML (``tatango_bench:``), it gives the benchmark what it cannot
see from outside (it imports the integration at its own import, which Home
Assistant does in an executor; an import from its setup would block the
event loop):

- webhooks ``tatango-bench-<step>`` that do part of what ours does, each step
  adding one thing: ``noop`` reads the body (any webhook must) and answers 200;
  ``parse`` also parses it with parse_mo; ``fire`` also fires an event;
  ``entity`` also writes the event entity (through the entry's dispatcher
  signal). ``floor`` is Home Assistant's part of an MO alone: it reads the
  body, fires the event with the five fields of tatango_sms_received and writes
  the event entity's four attributes, from data made once. Each counts its
  calls, because Home Assistant answers 200 to unknown webhook ids too;
- a count of the real ``tatango_sms_received`` events on the bus;
- ``GET /api/tatango_bench/stats[?gc=1]``: those counts, this process's CPU
  time and its resident memory (after a full garbage collection with gc=1);
- ``POST /api/tatango_bench/setup_time {"entry_id", "repeat"}``: unloads the
  entry and times ``hass.config_entries.async_setup`` on it, repeat times;
- ``POST /api/tatango_bench/breakdown {"entry_id", "body", "repeat"}``: times
  the steps of the webhook for one MO, each repeat times in a row;
- ``POST /api/tatango_bench/profile {"path"}``: starts cProfile of the event
  loop's thread; the next call stops it and writes the stats to path.
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
from http import HTTPStatus
from pathlib import Path
import time
from typing import Any

from aiohttp import hdrs, web

from custom_components.tatango_sms import const
from custom_components.tatango_sms.mo import keyword, parse_mo
from custom_components.tatango_sms.webhook import async_handle_incoming_sms
from homeassistant.components import webhook
from homeassistant.components.http import KEY_HASS, HomeAssistantView
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.typing import ConfigType
from homeassistant.util.aiohttp import MockRequest

DOMAIN = "tatango_bench"
STEPS = ("noop", "parse", "fire", "entity", "floor")
PROBE_EVENT = "tatango_bench_probe"  # fired by the steps; ours is counted
# Between timed setups: lets what a setup starts in the background (the legacy
# notify service's platform) finish before the next unload.
SETTLE_SECONDS = 0.3

CONFIG_SCHEMA = cv.empty_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the webhooks, the event counter and the API."""
    counts = hass.data[DOMAIN] = dict.fromkeys(["events", *STEPS], 0)

    @callback
    def count_event(event: Event) -> None:
        counts["events"] += 1

    hass.bus.async_listen("tatango_sms_received", count_event)
    # One listener on the probe event too, as tatango_sms_received has here.
    hass.bus.async_listen(PROBE_EVENT, callback(lambda event: None))
    for step in STEPS:
        handler = _step_handler(step, counts)
        name = f"Benchmark {step}"
        webhook.async_register(
            hass, DOMAIN, name, f"tatango-bench-{step}", handler, local_only=False,
            allowed_methods=[hdrs.METH_POST],
        )  # fmt: skip
    hass.http.register_view(BenchView(counts))
    return True


class BenchView(HomeAssistantView):
    """The benchmark's API: /api/tatango_bench/<what>."""

    url = "/api/tatango_bench/{what}"
    name = "api:tatango_bench"

    def __init__(self, counts: dict[str, int]) -> None:
        """Initialize with the counters."""
        self._counts = counts
        self._profiler: cProfile.Profile | None = None

    async def get(self, request: web.Request, what: str) -> web.Response:
        """Return the counts, the CPU time and the RSS (after a full collection with ?gc=1)."""
        if request.query.get("gc"):
            gc.collect()
        status = Path("/proc/self/status").read_text(encoding="ascii")
        rss = next(
            int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS")
        )
        return self.json(
            {**self._counts, "rss": rss * 1024, "cpu": time.process_time()}
        )

    async def post(self, request: web.Request, what: str) -> web.Response:
        """Time setups, break an MO down, or start or stop profiling."""
        hass = request.app[KEY_HASS]
        body: dict[str, Any] = await request.json()
        if what == "profile":
            if self._profiler is None:
                self._profiler = cProfile.Profile()
                self._profiler.enable()
                return self.json({"profiling": True})
            profiler, self._profiler = self._profiler, None
            profiler.disable()
            await hass.async_add_executor_job(profiler.dump_stats, body["path"])
            return self.json({"path": body["path"]})
        entry = hass.config_entries.async_get_known_entry(str(body["entry_id"]))
        if what == "breakdown":
            return self.json(await _breakdown(hass, entry, body))
        seconds: list[float] = []
        for _ in range(int(body["repeat"])):
            await hass.config_entries.async_unload(entry.entry_id)
            await asyncio.sleep(SETTLE_SECONDS)
            started = time.perf_counter()
            loaded = await hass.config_entries.async_setup(entry.entry_id)
            seconds.append(time.perf_counter() - started)
            if not loaded or entry.state is not ConfigEntryState.LOADED:
                message = f"the entry did not load: {entry.state}"
                return self.json_message(message, HTTPStatus.CONFLICT)
            await asyncio.sleep(SETTLE_SECONDS)
        return self.json({"seconds": seconds})


async def _breakdown(hass: HomeAssistant, entry: Any, body: dict[str, Any]) -> Any:
    """Return µs per call of each step of the webhook for one MO, and of all of it."""
    document, repeat = str(body["body"]).encode(), int(body["repeat"])
    message, sender = parse_mo(document), entry.runtime_data.sender
    data = {
        "sender": message.sender,
        "recipient": sender.name_for(message.sender),
        "content": message.content,
        "keyword": keyword(message.content),
        "config_entry_id": entry.entry_id,
    }
    signal = const.signal_received(entry.entry_id)
    steps = {
        "parse_mo": lambda: parse_mo(document),
        "name_for": lambda: sender.name_for(message.sender),
        "bus_fire": lambda: hass.bus.async_fire(PROBE_EVENT, data),
        "event_entity_write": lambda: async_dispatcher_send(hass, signal, data),
    }
    result: dict[str, float] = {}
    for name, step in steps.items():
        started = time.perf_counter()
        for _ in range(repeat):
            step()
        result[name] = (time.perf_counter() - started) / repeat * 1e6
        await asyncio.sleep(0)
    # The whole handler, on requests as Home Assistant Cloud relays them (read
    # with text()); it fires real events, which the counter sees.
    headers = {"Content-Type": "text/xml"}
    before, started = hass.data[DOMAIN]["events"], time.perf_counter()
    for _ in range(repeat):
        request = MockRequest(content=document, mock_source="bench", headers=headers)
        await async_handle_incoming_sms(hass, entry, request)  # type: ignore[arg-type]
    result["whole_handler"] = (time.perf_counter() - started) / repeat * 1e6
    result["whole_handler_events"] = hass.data[DOMAIN]["events"] - before
    return result


def _step_handler(step: str, counts: dict[str, int]) -> Any:
    """Return a webhook handler that does the steps up to step (see the docstring)."""
    depth = STEPS.index(step)

    async def handle(hass: HomeAssistant, _: str, request: web.Request) -> web.Response:
        body = await request.read()
        counts[step] += 1
        if step == "noop":
            return web.Response(status=HTTPStatus.OK)
        entry_id = hass.config_entries.async_entries(const.DOMAIN)[0].entry_id
        if step == "floor":
            data = {
                const.ATTR_SENDER: "+12065550100",
                const.ATTR_RECIPIENT: "Alex",
                const.ATTR_CONTENT: "Lights on please",
                const.ATTR_KEYWORD: "LIGHTS",
                const.ATTR_CONFIG_ENTRY_ID: entry_id,
            }
        else:
            message = parse_mo(body)
            data = {"sender": message.sender, "content": message.content}
        if depth >= 2:
            hass.bus.async_fire(PROBE_EVENT, data)
        if depth >= 3:
            async_dispatcher_send(hass, const.signal_received(entry_id), data)
        return web.Response(status=HTTPStatus.OK)

    return handle
