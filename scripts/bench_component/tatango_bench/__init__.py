"""Benchmark helper for scripts/bench: never installed, only linked into its throwaway configuration.

Set up from YAML (``tatango_bench:``): webhooks ``tatango-bench-<step>`` that
count their calls (Home Assistant answers 200 to unknown webhook ids too), a
count of the real ``tatango_sms_received`` events, and BenchView's API. It
imports the integration at its own import, which Home Assistant does in an
executor (imported from its setup, it would block the event loop).
"""

from __future__ import annotations

import asyncio
import gc
from http import HTTPStatus
from pathlib import Path
import time
from typing import Any

from aiohttp import hdrs, web

from custom_components.tatango_sms import const
from custom_components.tatango_sms.tatango.mo import parse_mo
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
FLOOR_FIELDS = (const.ATTR_SENDER, const.ATTR_RECIPIENT, const.ATTR_CONTENT)
FLOOR_FIELDS += (const.ATTR_KEYWORD, const.ATTR_ASSIST, const.ATTR_REPLY_TO_ASK, const.ATTR_CONFIG_ENTRY_ID)  # fmt: skip
FLOOR_VALUES = ("2065550100", "Alex", "Lights on please", "LIGHTS", False, False)
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

    async def get(self, request: web.Request, what: str) -> web.Response:
        """Return the counts, the CPU time and the RSS (after a full collection with ?gc=1)."""
        if request.query.get("gc"):
            gc.collect()
        status = Path("/proc/self/status").read_text(encoding="ascii")
        rss = next(int(x[6:-3]) for x in status.splitlines() if x.startswith("VmRSS"))
        return self.json(
            {**self._counts, "rss": rss * 1024, "cpu": time.process_time()}
        )

    async def post(self, request: web.Request, what: str) -> web.Response:
        """Time setups of the entry, or our handler on relayed requests."""
        hass = request.app[KEY_HASS]
        body: dict[str, Any] = await request.json()
        entry = hass.config_entries.async_get_known_entry(str(body["entry_id"]))
        if what == "relayed":
            return self.json(await _relayed(hass, entry, body))
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


async def _relayed(hass: HomeAssistant, entry: Any, body: dict[str, Any]) -> Any:
    """Return µs per call of our whole handler (no HTTP server), and its events.

    On requests as Home Assistant Cloud relays them, read with text().
    """
    document, repeat = str(body["body"]).encode(), int(body["repeat"])
    headers = {"Content-Type": "text/xml"}
    before, started = hass.data[DOMAIN]["events"], time.perf_counter()
    for _ in range(repeat):
        request = MockRequest(document, "bench", method="POST", headers=headers)
        await async_handle_incoming_sms(hass, entry, request)  # type: ignore[arg-type]
    elapsed = (time.perf_counter() - started) / repeat * 1e6
    return {"us": elapsed, "events": hass.data[DOMAIN]["events"] - before}


def _step_handler(step: str, counts: dict[str, int]) -> Any:
    """Return a webhook handler that does part of what ours does, up to step.

    noop reads the body and answers 200; parse also parses it; fire also fires
    an event; entity also writes the event entity. floor, Home Assistant's part
    alone, fires an event with tatango_sms_received's seven fields and writes the
    entity's six attributes from fixed data (nothing parsed or looked up).
    """
    depth = STEPS.index(step)

    async def handle(hass: HomeAssistant, _: str, request: web.Request) -> web.Response:
        body = await request.read()
        counts[step] += 1
        if step == "noop":
            return web.Response(status=HTTPStatus.OK)
        entry_id = hass.config_entries.async_entries(const.DOMAIN)[0].entry_id
        if step == "floor":
            data = dict(zip(FLOOR_FIELDS, (*FLOOR_VALUES, entry_id), strict=True))
        else:
            message = parse_mo(body)
            data = {"sender": message.sender, "content": message.content}
        if depth >= 2:
            hass.bus.async_fire(PROBE_EVENT, data)
        if depth >= 3:
            async_dispatcher_send(hass, const.signal_received(entry_id), data)
        return web.Response(status=HTTPStatus.OK)

    return handle
