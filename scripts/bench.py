# ruff: noqa: INP001
"""Benchmarks (scripts/bench): the receive and send paths against their ceilings, in one run.

Runs inside the environment scripts/bench prepares (Home Assistant 2026.11.0, in a
network namespace that has only loopback where one can be made). Everything is
measured on real processes and sockets:

- **MO receive**: a Home Assistant process with a throwaway configuration, the
  integration set up through the config flow with 20 saved recipients, and
  the benchmark helper (scripts/bench_component/tatango_bench), which
  registers a no-op webhook in the same Home Assistant and counts the real
  ``tatango_sms_received`` events. A separate load-generator process
  (scripts/bench_load.py) posts MO documents to our webhook and to the no-op,
  at each concurrency, alternately, several times; the medians are compared.
  Then the "ladder": webhooks of the helper that each add one step of ours to
  the no-op, to see where an MO's time goes (Home Assistant's CPU per message).
- **MT fan-out**: one ``tatango_sms.send_message`` over REST to 10, 100 and
  1,000 numbers, all opted in at the gateway simulator, which answers after a
  fixed 20 ms; beside it, from this process, raw aiohttp posting the same
  forms with the same concurrency bound (the ceiling) and a sequential loop.
- **Cost on Home Assistant**: the time Home Assistant takes to set the entry
  (20 recipients) up, the integration's import time (fresh processes), and
  the resident memory of Home Assistant before and after 100,000 MOs.
- **Parser and hashing**: the MO parser and the form/hash of one message,
  beside ``xml.etree.ElementTree.fromstring`` on the same documents.

Prints one table with PASS/FAIL per target and writes it all as JSON to
``.cache/bench/latest.json``. Exit status: 0 all targets met, 3 a target
missed, 1 the run failed. BENCHMARKS.md describes the method and the options
(--quick, --only, --profile, --record).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
import hashlib
import importlib.metadata
import json
import os
from pathlib import Path
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import fromstring as stdlib_fromstring

import aiohttp
import demo
import ha_env

sys.path.insert(
    0, str(ha_env.ROOT)
)  # the integration and the simulator, for the microbenchmarks

# Ports of their own, so a run without network isolation clashes neither with
# scripts/develop (8123/8124) nor with scripts/demo (18123/18124). The demo's
# helpers read these module globals.
demo.HA_PORT = HA_PORT = 28123
demo.SIMULATOR_PORT = SIMULATOR_PORT = 28124
demo.HA_URL = HA_URL = f"http://127.0.0.1:{HA_PORT}"
demo.SIMULATOR_URL = SIMULATOR_URL = f"http://127.0.0.1:{SIMULATOR_PORT}"
demo.CLIENT_ID = CLIENT_ID = f"{HA_URL}/"

ROOT = ha_env.ROOT
OUTPUT = ROOT / ".cache" / "bench" / "latest.json"
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
TABLE_BEGIN, TABLE_END = (
    "<!-- scripts/bench --record: begin -->",
    "<!-- scripts/bench --record: end -->",
)
COMPONENT = Path(__file__).resolve().parent / "bench_component" / "tatango_bench"
LOAD_GENERATOR = Path(__file__).resolve().parent / "bench_load.py"
DOMAIN = "tatango_sms"
KEY, PASSWORD = "bench-key", "bench-password"  # noqa: S105
NOOP_WEBHOOK_ID = "tatango-bench-noop"
LADDER_WEBHOOK_PREFIX = "tatango-bench-ladder-"
# What the no-op does, then each adds one step of ours (see the helper).
LADDER = {
    "noop": "no-op: read the body",
    "parse": "+ parse_mo",
    "fire": "+ fire an event on the bus",
    "entity": "+ the event entity's state write",
    "ours": "ours (+ size check, charset, name lookup, keyword; 5 event fields, 4 attributes)",
}
# Not a step: Home Assistant's part alone (see the helper), the bound for any
# handler that fires the event and writes the event entity.
FLOOR = (
    "floor",
    (
        "Home Assistant's part alone: read the body, fire the 5-field event, write the "
        "entity's 4 attributes (nothing parsed or looked up)"
    ),
)
LADDER_CONCURRENCY = 16
PARTS = ("micro", "mo", "ladder", "memory", "mt", "setup")
SIM_LATENCY = 0.020
MAX_CONCURRENT_SENDS = 8  # custom_components/tatango_sms/const.py, checked below
RECIPIENTS_SAVED = 20
MT_MESSAGE = "Smoke alarm in the kitchen at 03:12. Everyone out, meet at the mailbox; call 911 if you can't see the stairs."


@dataclass(frozen=True)
class Sizes:
    """How much work each part does (--quick shrinks it for trying the script out)."""

    mo_messages: int
    mo_repeats: int
    mo_warmup: int
    memory_messages: int
    memory_chunks: int
    fanout: tuple[int, ...]
    setup_repeats: int
    import_repeats: int
    ladder_rounds: int
    ladder_messages: int


FULL = Sizes(5000, 5, 2000, 100_000, 5, (10, 100, 1000), 9, 7, 10, 2000)
QUICK = Sizes(1000, 1, 300, 10_000, 2, (10, 100, 1000), 3, 3, 2, 500)
MO_CONCURRENCY = (1, 16, 64)
PROFILE_SECONDS = 12.0
SETTLE_SECONDS = 12.0
MEMORY_CONCURRENCY = 16

# Targets (issue 7).
MO_RATE_TARGET = 0.95
MO_P99_TARGET = 1.1
FANOUT_CEILING_TARGET = 1.15
FANOUT_SEQUENTIAL_TARGET = 4.0
FANOUT_SEQUENTIAL_AT = 100
SETUP_TARGET_MS = 20.0
MEMORY_TARGET_MB = 5.0

# What the gateway posts, from short to the longest a concatenated SMS gets,
# with XML specials and a CDATA end inside.
MO_CONTENTS = (
    "STOP",
    "status garage",
    "Yes, I'm on my way home — be there in 10 min ✓",
    "ARM away please, and turn off the lights downstairs when everyone has left the house for the day, thanks!",
    "Kids are home 🎒🏠 <b>&amp;</b> ]]> the dog was fed",
    "LOG " + "The quick brown fox jumps over the lazy dog & friends <again>. " * 24,
)


def _numbers(count: int, prefix: str) -> list[str]:
    """Return count valid 10-digit numbers starting with a 6-digit prefix."""
    return [f"{prefix}{index:04d}" for index in range(count)]


SAVED_NUMBERS = _numbers(RECIPIENTS_SAVED, "206555")
FANOUT_NUMBERS = _numbers(1000, "425555")


class BenchError(Exception):
    """The run cannot go on (a process died, an answer was wrong)."""


def median(values: list[float]) -> float:
    """Return the median."""
    return statistics.median(values)


# Parser and hashing (this process, before anything else runs)


def _best_per_call(function: Callable[[], object], repeat: int = 5) -> float:
    """Return the best time of one call, in seconds, over repeat batches of ~50 ms."""
    timer = timeit.Timer(function)
    once = timer.timeit(number=100) / 100
    number = max(int(0.05 / max(once, 1e-9)), 1)
    return min(timer.repeat(repeat=repeat, number=number)) / number


def micro_benchmarks() -> dict[str, Any]:
    """Time the MO parser and the form/hash building per message."""
    from custom_components.tatango_sms.tatango.gateway import (  # noqa: PLC0415
        TatangoGateway,
        message_hash,
    )
    from custom_components.tatango_sms.tatango.mo import parse_mo  # noqa: PLC0415
    from tatango_simulator.mo import mo_xml  # noqa: PLC0415

    documents = {
        "4 characters": "STOP",
        "160 GSM characters": ("Leaving work now, home by 6. " * 6)[:160],
        "70 characters, non-GSM": ("Garage door open — café ✓ 🚗 " * 3)[:70],
        "1,600 characters, XML specials": (
            "Fish & chips <tonight> ]]> or pizza? " * 44
        )[:1600],
    }
    parser = []
    for name, content in documents.items():
        body = mo_xml("2065550123", content).encode("utf-8")
        assert parse_mo(body).content == content
        ours = _best_per_call(lambda body=body: parse_mo(body))
        stdlib = _best_per_call(lambda body=body: stdlib_fromstring(body))  # noqa: S314  # our own documents
        parser.append(
            {
                "document": name,
                "bytes": len(body),
                "parse_mo_us": ours * 1e6,
                "etree_fromstring_us": stdlib * 1e6,
                "ratio": ours / stdlib,
            }
        )
    gateway = TatangoGateway(None, KEY, PASSWORD, "http://127.0.0.1/")  # type: ignore[arg-type]
    hashing = []
    for name in ("160 GSM characters", "70 characters, non-GSM"):
        message = documents[name]
        form = _best_per_call(
            lambda message=message: gateway.build_form("2065550123", message)
        )
        ours_hash = _best_per_call(
            lambda message=message: message_hash(PASSWORD, message)
        )
        raw = _best_per_call(
            lambda message=message: hashlib.md5(
                (PASSWORD + message).encode(), usedforsecurity=False
            ).hexdigest()
        )
        hashing.append(
            {
                "message": name,
                "build_form_us": form * 1e6,
                "message_hash_us": ours_hash * 1e6,
                "hashlib_md5_us": raw * 1e6,
            }
        )
    return {"parser": parser, "hashing": hashing}


# Import time (fresh processes)

_IMPORT_PROBE = r"""
import ast, importlib, json, pathlib, sys, time
package = pathlib.Path("custom_components/tatango_sms")
# What Home Assistant itself provides: every homeassistant module the
# integration imports at module level. Imported first, so only the
# integration's own modules (and its requirement, defusedxml) are timed.
provided = set()
for path in package.glob("*.py"):
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("homeassistant"):
            provided.add(node.module)
            for alias in node.names:
                provided.add(f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            provided.update(a.name for a in node.names if a.name.startswith("homeassistant"))
for name in sorted(provided):
    try:
        importlib.import_module(name)
    except ImportError:
        pass  # a class, not a module
ours = ["custom_components.tatango_sms"] + sorted(
    f"custom_components.tatango_sms.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__"
)
started = time.perf_counter()
for name in ours:
    importlib.import_module(name)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "modules": len(ours)}))
"""


def import_time(repeats: int) -> dict[str, Any]:
    """Time importing the integration's modules in fresh processes."""
    runs = []
    for attempt in range(repeats + 1):  # the first compiles bytecode if needed
        output = subprocess.run(
            [sys.executable, "-c", _IMPORT_PROBE],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        if attempt:
            runs.append(json.loads(output)["seconds"])
    return {"ms": median(runs) * 1e3, "runs_ms": [r * 1e3 for r in runs]}


# Home Assistant, the simulator and the load


class Bench(demo.Demo):
    """The benchmark's processes and steps (the demo's helpers, other steps)."""

    def __init__(self, workdir: Path, sizes: Sizes) -> None:
        """Initialize with the throwaway directory."""
        super().__init__(workdir)
        self.sizes = sizes
        self.webhook_path = ""
        self.results: dict[str, Any] = {}
        self.profile = ""
        self.only: set[str] = set()
        self.cprofile = True
        self.profile_fanout = False

    def log(self, text: str) -> None:
        """Print a progress line."""
        print(f"  {time.monotonic() - self.started:6.1f} s  {text}", flush=True)

    async def start(self) -> None:
        """Start the simulator and Home Assistant; onboard; wait until running."""
        await self.start_simulator()
        self.write_config("\ntatango_bench:\n")
        (self.config / "custom_components" / COMPONENT.name).symlink_to(
            os.path.relpath(COMPONENT, self.config / "custom_components"),
            target_is_directory=True,
        )
        self.hass = start_home_assistant_here(self.config, self.workdir / "hass.out")
        await self.wait_for(
            "Home Assistant", lambda: self._answers(f"{HA_URL}/manifest.json"), 120
        )
        # Only the owner: the core_config step would start met, radio_browser
        # and google_translate, which retry the internet in the background.
        await self.create_owner("Bench", "bench", "bench-owner-password")
        await self.wait_for("Home Assistant to finish starting", self._running, 120)
        self.log(f"Home Assistant running (pid {self.hass.pid})")

    async def set_up_entry(self) -> None:
        """Create the entry through the config flow, then the saved recipients."""
        form = await self.ha(
            "POST",
            "/api/config/config_entries/flow",
            json={"handler": DOMAIN, "show_advanced_options": True},
        )
        result = await self.ha(
            "POST",
            f"/api/config/config_entries/flow/{form['flow_id']}",
            json={"key": KEY, "password": PASSWORD, "url": f"{SIMULATOR_URL}/messages"},
        )
        if result.get("type") != "create_entry":
            raise BenchError(f"the config flow did not create an entry: {result}")
        self.entry_id = result["result"]["entry_id"]
        self.webhook_path = urlsplit(
            result["description_placeholders"]["webhook_url"]
        ).path
        for index, number in enumerate(SAVED_NUMBERS):
            form = await self.ha(
                "POST",
                "/api/config/config_entries/subentries/flow",
                json={"handler": [self.entry_id, "recipient"]},
            )
            result = await self.ha(
                "POST",
                f"/api/config/config_entries/subentries/flow/{form['flow_id']}",
                json={"name": f"Person {index + 1:02d}", "phone_number": number},
            )
            if result.get("type") != "create_entry":
                raise BenchError(f"the subentry flow did not create: {result}")
            await self.wait_for("the entry to load again", self._entry_loaded, 30)
        self.log(f"entry set up with {len(SAVED_NUMBERS)} saved recipients")

    async def stats(self, collect: bool = False) -> dict[str, Any]:
        """Return the helper's counts and Home Assistant's CPU time and RSS."""
        stats: dict[str, Any] = await self.ha(
            "GET", "/api/tatango_bench/stats" + ("?gc=1" if collect else "")
        )
        return stats

    # Cost on Home Assistant

    async def entry_setup_time(self) -> dict[str, Any]:
        """Time Home Assistant's setup of the entry (unloaded in between)."""
        answer = await self.ha(
            "POST",
            "/api/tatango_bench/setup_time",
            json={"entry_id": self.entry_id, "repeat": self.sizes.setup_repeats},
        )
        runs = [s * 1e3 for s in answer["seconds"]]
        self.log(f"entry setup: {', '.join(f'{r:.1f}' for r in runs)} ms")
        return {"ms": median(runs), "max_ms": max(runs), "runs_ms": runs}

    # MO receive

    async def load(
        self, path: str, count: int, concurrency: int, bodies: list[str]
    ) -> dict[str, Any]:
        """Run the load generator once; check every post was answered 200."""
        spec = self.workdir / "load.json"
        spec.write_text(
            json.dumps(
                {
                    "host": "127.0.0.1",
                    "port": HA_PORT,
                    "path": path,
                    "count": count,
                    "concurrency": concurrency,
                    "bodies": bodies,
                    "content_type": "text/xml",
                    "cpus": sorted(LOAD_CPUS or ()),
                }
            ),
            encoding="utf-8",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(LOAD_GENERATOR),
            str(spec),
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
        )
        output, _ = await process.communicate()
        if process.returncode:
            raise BenchError(f"the load generator exited with {process.returncode}")
        result: dict[str, Any] = json.loads(output)
        if result["statuses"] != {"200": count}:
            raise BenchError(f"answers other than 200: {result['statuses']}")
        return result

    async def counted_load(
        self, target: str, count: int, concurrency: int, bodies: list[str]
    ) -> dict[str, Any]:
        """Run a load and check each message reached its handler (ours: its event)."""
        if target == "ours":
            counter, path = "events", self.webhook_path
        elif target == "noop":
            counter, path = "noop", f"/api/webhook/{NOOP_WEBHOOK_ID}"
        else:
            counter, path = target, f"/api/webhook/{LADDER_WEBHOOK_PREFIX}{target}"

        before = await self.stats()
        result = await self.load(path, count, concurrency, bodies)
        after = await self.stats()
        counted = after[counter] - before[counter]
        if counted != count:
            raise BenchError(f"{target}: {count} posts, {counted} counted ({counter})")
        result["counted"] = counted
        # Home Assistant's CPU time per message (all its threads; the two stats
        # requests are included, a few hundred µs in all).
        result["cpu_us"] = (after["cpu"] - before["cpu"]) / count * 1e6
        result["gc_us"] = (after["gc"] - before["gc"]) / count * 1e6
        return result

    async def mo_receive(self) -> list[dict[str, Any]]:
        """MO throughput and latency, ours and the no-op, interleaved."""
        bodies = [
            _mo_body(
                SAVED_NUMBERS[i % len(SAVED_NUMBERS)], MO_CONTENTS[i % len(MO_CONTENTS)]
            )
            for i in range(60)
        ]
        for target in ("ours", "noop"):
            await self.counted_load(target, self.sizes.mo_warmup, 16, bodies)
        rows = []
        for concurrency in MO_CONCURRENCY:
            runs: dict[str, list[dict[str, Any]]] = {"ours": [], "noop": []}
            for repeat in range(self.sizes.mo_repeats):
                order = ("ours", "noop") if repeat % 2 == 0 else ("noop", "ours")
                for target in order:
                    runs[target].append(
                        await self.counted_load(
                            target, self.sizes.mo_messages, concurrency, bodies
                        )
                    )
            row: dict[str, Any] = {"concurrency": concurrency}
            for target, results in runs.items():
                row[target] = {
                    "rate": median([r["count"] / r["seconds"] for r in results]),
                    "p50_ms": median([r["latencies_ms"]["p50"] for r in results]),
                    "p99_ms": median([r["latencies_ms"]["p99"] for r in results]),
                    "cpu_us": median([r["cpu_us"] for r in results]),
                    "gc_us": median([r["gc_us"] for r in results]),
                    "load_cpu_us": median([r["load_cpu_us"] for r in results]),
                    "rates": [r["count"] / r["seconds"] for r in results],
                    "messages": sum(r["count"] for r in results),
                    "counted": sum(r["counted"] for r in results),
                }
            row["rate_ratio"] = row["ours"]["rate"] / row["noop"]["rate"]
            row["p99_ratio"] = row["ours"]["p99_ms"] / row["noop"]["p99_ms"]
            rows.append(row)
            self.log(
                f"MO concurrency {concurrency}: ours {row['ours']['rate']:.0f}/s, "
                f"no-op {row['noop']['rate']:.0f}/s, ratio {row['rate_ratio']:.3f}, "
                f"p99 ratio {row['p99_ratio']:.3f}; CPU per message "
                f"{row['ours']['cpu_us']:.0f} / {row['noop']['cpu_us']:.0f} µs, of which GC "
                f"{row['ours']['gc_us']:.0f} / {row['noop']['gc_us']:.0f} µs; generator "
                f"{row['ours']['load_cpu_us']:.0f} / {row['noop']['load_cpu_us']:.0f} µs"
            )
        return rows

    async def mo_breakdown(self) -> dict[str, float]:
        """Time the steps of one MO inside Home Assistant (µs per call, no profiler)."""
        answer: dict[str, float] = await self.ha(
            "POST",
            "/api/tatango_bench/breakdown",
            json={
                "entry_id": self.entry_id,
                "body": _mo_body(SAVED_NUMBERS[3], MO_CONTENTS[2]),
                "repeat": 2000,
            },
        )
        events = answer.pop("whole_handler_events")
        if events != 2000:
            raise BenchError(f"the handler fired {events} events for 2000 messages")
        self.log(
            "MO steps in Home Assistant: "
            + ", ".join(f"{name} {us:.1f} µs" for name, us in answer.items())
        )
        return answer

    async def mo_ladder(self) -> list[dict[str, Any]]:
        """Home Assistant's CPU per MO as the steps of ours are added one by one."""
        bodies = [
            _mo_body(
                SAVED_NUMBERS[i % len(SAVED_NUMBERS)], MO_CONTENTS[i % len(MO_CONTENTS)]
            )
            for i in range(60)
        ]
        labels = {**LADDER, FLOOR[0]: FLOOR[1]}
        runs: dict[str, list[float]] = {step: [] for step in labels}
        order = list(labels)
        for _ in range(self.sizes.ladder_rounds):
            order = order[1:] + order[:1]  # each step in each position in turn
            for step in order:
                result = await self.counted_load(
                    step, self.sizes.ladder_messages, LADDER_CONCURRENCY, bodies
                )
                runs[step].append(result["cpu_us"])
        # The least-disturbed round: other work on the machine only ever adds
        # (interrupts are charged to whatever runs, caches get cold).
        rows = [
            {
                "step": step,
                "label": labels[step],
                "cpu_us": min(values),
                "runs_us": values,
            }
            for step, values in runs.items()
        ]
        self.log(
            "MO ladder, HA CPU per message: "
            + ", ".join(f"{row['step']} {row['cpu_us']:.0f} µs" for row in rows)
        )
        return rows

    async def memory(self) -> dict[str, Any]:
        """Home Assistant's RSS before, during and after many MOs."""
        bodies = [
            _mo_body(
                SAVED_NUMBERS[i % len(SAVED_NUMBERS)], f"{MO_CONTENTS[i % 4]} #{i}"
            )
            for i in range(200)
        ]
        total = self.sizes.memory_messages
        chunk = total // self.sizes.memory_chunks
        before = (await self.stats(collect=True))["rss"]
        samples = [before]
        handled = 0
        while handled < total:
            count = min(chunk, total - handled)
            await self.counted_load("ours", count, MEMORY_CONCURRENCY, bodies)
            handled += count
            samples.append((await self.stats(collect=True))["rss"])
            self.log(f"memory: {handled} MOs, RSS {samples[-1] / 2**20:.1f} MB")
        return {
            "messages": total,
            "rss_before_mb": before / 2**20,
            "rss_after_mb": samples[-1] / 2**20,
            "growth_mb": (samples[-1] - before) / 2**20,
            "samples_mb": [s / 2**20 for s in samples],
        }

    # MT fan-out

    async def fanout(self) -> list[dict[str, Any]]:
        """One send_message to n numbers against the ceiling and a sequential loop."""
        semaphore = asyncio.Semaphore(8)

        async def opt_in(number: str) -> None:
            async with semaphore:
                await self.gateway("POST", "/control/opt_in", {"number": number})

        await asyncio.gather(*(opt_in(n) for n in FANOUT_NUMBERS))
        await self.gateway("POST", "/control/latency", {"seconds": SIM_LATENCY})
        forms = [
            {
                "key": KEY,
                "recipient": number,
                "message": MT_MESSAGE,
                "hash": hashlib.md5(
                    (PASSWORD + MT_MESSAGE).encode(), usedforsecurity=False
                ).hexdigest(),
            }
            for number in FANOUT_NUMBERS
        ]
        async with aiohttp.ClientSession() as raw:

            async def post(form: dict[str, str]) -> None:
                async with raw.post(f"{SIMULATOR_URL}/messages", data=form) as answer:
                    await answer.read()
                    if answer.status != 200:
                        raise BenchError(f"the simulator answered {answer.status}")

            async def ceiling(n: int) -> None:
                bound = asyncio.Semaphore(MAX_CONCURRENT_SENDS)

                async def bounded(form: dict[str, str]) -> None:
                    async with bound:
                        await post(form)

                await asyncio.gather(*(bounded(form) for form in forms[:n]))

            async def sequential(n: int) -> None:
                for form in forms[:n]:
                    await post(form)

            async def ours(n: int) -> None:
                answer = await self.ha(
                    "POST",
                    f"/api/services/{DOMAIN}/send_message?return_response",
                    json={"message": MT_MESSAGE, "recipients": FANOUT_NUMBERS[:n]},
                )
                outcomes = answer["service_response"]["recipients"]
                sent = sum(1 for o in outcomes if o["outcome"] == "sent")
                if sent != n:
                    raise BenchError(
                        f"send_message: {sent} of {n} sent: {outcomes[:3]}"
                    )

            # Warm both connection pools.
            await ours(10)
            await ceiling(10)
            await sequential(4)
            rows = []
            for n in self.sizes.fanout:
                repeats = 3
                seq_repeats = 3 if n <= 10 else 2 if n <= 100 else 1
                times: dict[str, list[float]] = {
                    "ours": [],
                    "ceiling": [],
                    "sequential": [],
                }
                for repeat in range(repeats):
                    order = [("ours", ours), ("ceiling", ceiling)]
                    if repeat % 2:
                        order.reverse()
                    if repeat < seq_repeats:
                        order.append(("sequential", sequential))
                    for name, run in order:
                        if self.profile_fanout:
                            if name == "ours":
                                await self.profiled("mt-ours", 10, _timed(run(n)))
                            continue
                        times[name].append(await _timed(run(n)))
                if self.profile_fanout:
                    return []
                row = {
                    "recipients": n,
                    **{f"{name}_s": median(values) for name, values in times.items()},
                    "runs_s": times,
                }
                row["ours_vs_ceiling"] = row["ours_s"] / row["ceiling_s"]
                row["sequential_vs_ours"] = row["sequential_s"] / row["ours_s"]
                rows.append(row)
                self.log(
                    f"MT {n} recipients: ours {row['ours_s']:.3f} s, ceiling "
                    f"{row['ceiling_s']:.3f} s, sequential {row['sequential_s']:.3f} s"
                )
        await self.gateway("POST", "/control/latency", {"seconds": 0})
        return rows

    async def profile_target(
        self, target: str, seconds: float, concurrency: int
    ) -> None:
        """Keep one target under load (attach a profiler meanwhile)."""
        bodies = [
            _mo_body(
                SAVED_NUMBERS[i % len(SAVED_NUMBERS)], MO_CONTENTS[i % len(MO_CONTENTS)]
            )
            for i in range(60)
        ]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            result = await self.counted_load(target, 5000, concurrency, bodies)
            self.log(f"PROFILE {target}: {result['count'] / result['seconds']:.0f}/s")

    async def profiled(self, name: str, seconds: float, work: Awaitable[Any]) -> None:
        """Run work while cProfile watches Home Assistant's event loop for seconds."""
        if not self.cprofile:  # someone samples with py-spy instead
            self.log(f"PROFILE {name}: start")
            await work
            return
        path = self.workdir / f"profile-{name}.pstats"
        profiling = asyncio.create_task(
            self.ha(
                "POST",
                "/api/tatango_bench/profile",
                json={"seconds": seconds, "path": str(path)},
            )
        )
        await work
        await profiling
        OUTPUT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, OUTPUT.parent / path.name)
        self.log(f"PROFILE {name}: {(OUTPUT.parent / path.name).relative_to(ROOT)}")

    async def run_profile(self) -> None:
        """Profile one part instead of measuring (--profile)."""
        assert self.hass is not None
        self.log(f"PROFILE: Home Assistant pid {self.hass.pid} (attach py-spy now)")
        if self.profile in ("mo", "mo1"):
            concurrency = 1 if self.profile == "mo1" else 16
            for target in ("ours", "noop"):
                await self.profiled(
                    f"{self.profile}-{target}",
                    PROFILE_SECONDS,
                    self.profile_target(target, PROFILE_SECONDS, concurrency),
                )
        elif self.profile == "setup":
            await self.profiled("setup", 8, self.entry_setup_time())
        else:
            self.sizes = Sizes(**{**self.sizes.__dict__, "fanout": (1000,)})
            self.profile_fanout = True
            await self.fanout()

    async def run_all(self) -> None:
        """Every part that needs Home Assistant."""
        self.started = time.monotonic()
        await self.start()
        await self.set_up_entry()
        if self.profile:
            await self.run_profile()
        else:
            await self.measure()
        self.results["log_problems"] = self.log_problems()
        assert self.hass is not None
        status = await asyncio.to_thread(ha_env.stop, self.hass, 60)
        if status != 0:
            raise BenchError(f"Home Assistant exited with status {status}")

    async def measure(self) -> None:
        """Every part that is measured in Home Assistant (all, or those of --only)."""
        entry_ready = time.monotonic()
        # Meanwhile Home Assistant writes its registries (10 s after the last
        # change): measured runs start after that.
        if self.wants("micro"):
            self.log("parser and hashing, import time")
            self.results["micro"] = micro_benchmarks()
            self.results["import_time"] = import_time(self.sizes.import_repeats)
        await asyncio.sleep(max(0.0, entry_ready + SETTLE_SECONDS - time.monotonic()))
        if self.wants("mo"):
            self.results["mo_receive"] = await self.mo_receive()
            self.results["mo_breakdown"] = await self.mo_breakdown()
        if self.wants("ladder"):
            self.results["mo_ladder"] = await self.mo_ladder()
        if self.wants("memory"):
            self.results["memory"] = await self.memory()
        if self.wants("mt"):
            self.results["mt_fanout"] = await self.fanout()
        if self.wants("setup"):
            self.results["entry_setup"] = await self.entry_setup_time()

    def wants(self, part: str) -> bool:
        """Return whether this run measures part (--only)."""
        return not self.only or part in self.only

    def log_problems(self) -> list[str]:
        """Return the integration's warnings and errors in Home Assistant's log."""
        log = (self.config / "home-assistant.log").read_text(encoding="utf-8")
        return [
            line[:300]
            for line in log.splitlines()
            if (match := demo.LOG_LINE.match(line))
            and match["level"] in ("WARNING", "ERROR", "CRITICAL")
            and (DOMAIN in match["logger"] or "tatango_bench" in match["logger"])
        ]


def cpu_plan() -> tuple[set[int] | None, set[int] | None]:
    """Return the CPUs for Home Assistant and for the load generator.

    With two CPUs or more each gets one of its own, so the generator neither
    competes with Home Assistant's event loop for a core nor moves it around;
    on one CPU they share it. Home Assistant gets the last CPU: the first is
    where the virtual machine's device interrupts land. TATANGO_BENCH_PIN=0
    turns pinning off.
    """
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2 or os.environ.get("TATANGO_BENCH_PIN") == "0":
        return None, None
    return {cpus[-1]}, {cpus[0]}


HA_CPUS, LOAD_CPUS = cpu_plan()


def _home_assistant_child() -> None:
    ha_env._die_with_parent()  # noqa: SLF001
    if HA_CPUS:
        os.sched_setaffinity(0, HA_CPUS)  # every thread it starts inherits it


def start_home_assistant_here(
    config_dir: Path, output: Path
) -> subprocess.Popen[bytes]:
    """Start Home Assistant on config_dir, from config_dir.

    Not ha_env.start_home_assistant, which starts it from the repository's
    root: there ``python -m`` puts the root first on sys.path, so
    ``custom_components`` is the repository's own package and the benchmark
    helper linked into the configuration's custom_components is never found.
    """
    args = [sys.executable, "-m", "homeassistant", "--config", str(config_dir)]
    if skipped := ha_env.skip_pip_packages():
        args += ["--skip-pip-packages", ",".join(skipped)]
    with output.open("ab") as stdout:
        return subprocess.Popen(
            args,
            cwd=config_dir,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_home_assistant_child,  # noqa: PLW1509
        )


def _mo_body(sender: str, content: str) -> str:
    from tatango_simulator.mo import mo_xml  # noqa: PLC0415

    return mo_xml(sender, content)


async def _timed(awaitable: Awaitable[None]) -> float:
    started = time.perf_counter()
    await awaitable
    return time.perf_counter() - started


# Report


def machine() -> dict[str, Any]:
    """Describe where the run happened."""
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "home_assistant": importlib.metadata.version("homeassistant"),
        "aiohttp": importlib.metadata.version("aiohttp"),
        "kernel": platform.release(),
        "ulid_transform": _ulid_transform(),
        "pinning": (
            f"Home Assistant on CPU {min(HA_CPUS)}, load generator on CPU {min(LOAD_CPUS)}"
            if HA_CPUS and LOAD_CPUS
            else "none"
        ),
    }


def _ulid_transform() -> str:
    """Return ulid-transform's version and whether its C++ extension is built.

    Every event and state change makes a ULID: without the extension (no wheel
    for this Python, built from source without a compiler) Home Assistant's
    events cost more than in its container image.
    """
    version = importlib.metadata.version("ulid-transform")
    try:
        import ulid_transform._ulid_impl  # type: ignore[import-not-found]  # noqa: F401, PLC0415
    except ImportError:
        return f"{version} (pure Python)"
    return f"{version} (C++ extension)"


def verdict(ok: bool) -> str:
    """Return PASS or FAIL."""
    return "PASS" if ok else "FAIL"


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Check every target."""
    checks = []
    for row in results["mo_receive"]:
        checks.append(
            {
                "target": f"MO throughput at concurrency {row['concurrency']} >= {MO_RATE_TARGET}x no-op",
                "value": f"{row['rate_ratio']:.3f}x",
                "ok": row["rate_ratio"] >= MO_RATE_TARGET,
            }
        )
        checks.append(
            {
                "target": f"MO p99 at concurrency {row['concurrency']} <= {MO_P99_TARGET}x no-op",
                "value": f"{row['p99_ratio']:.3f}x",
                "ok": row["p99_ratio"] <= MO_P99_TARGET,
            }
        )
    for row in results["mt_fanout"]:
        checks.append(
            {
                "target": f"MT fan-out to {row['recipients']} <= {FANOUT_CEILING_TARGET}x ceiling",
                "value": f"{row['ours_vs_ceiling']:.3f}x",
                "ok": row["ours_vs_ceiling"] <= FANOUT_CEILING_TARGET,
            }
        )
        if row["recipients"] == FANOUT_SEQUENTIAL_AT:
            checks.append(
                {
                    "target": f"MT fan-out to {FANOUT_SEQUENTIAL_AT} >= {FANOUT_SEQUENTIAL_TARGET:g}x faster than sequential",
                    "value": f"{row['sequential_vs_ours']:.2f}x",
                    "ok": row["sequential_vs_ours"] >= FANOUT_SEQUENTIAL_TARGET,
                }
            )
    setup = results["entry_setup"]
    checks.append(
        {
            "target": f"entry setup (20 recipients) < {SETUP_TARGET_MS:g} ms",
            "value": f"{setup['ms']:.1f} ms",
            "ok": setup["ms"] < SETUP_TARGET_MS,
        }
    )
    memory = results["memory"]
    checks.append(
        {
            "target": f"RSS growth over {memory['messages']:,} MOs < {MEMORY_TARGET_MB:g} MB",
            "value": f"{memory['growth_mb']:+.1f} MB",
            "ok": memory["growth_mb"] < MEMORY_TARGET_MB,
        }
    )
    return checks


def table(report: dict[str, Any]) -> str:
    """Return the report as the printed table (Markdown)."""
    r = report["results"]
    m = report["machine"]
    s = report["sizes"]
    lines = [
        f"Run {report['date']} in {report['seconds']:.0f} s on {m['nproc']} × {m['cpu']} "
        f"(pinning: {m['pinning']}); Home Assistant {m['home_assistant']}, Python {m['python']}, "
        f"aiohttp {m['aiohttp']}, ulid-transform {m['ulid_transform']}"
        + (" — QUICK RUN, not the full sizes" if report["quick"] else ""),
        "",
        (
            f"**MO receive** — {s['mo_messages']:,} MOs per run, median of {s['mo_repeats']} runs, ours "
            "and the no-op webhook alternating; HA CPU = Home Assistant's CPU time per message"
        ),
        "",
        (
            "| concurrency | ours msg/s | no-op msg/s | ratio | ours p50 / p99 ms | no-op p50 / p99 ms "
            "| p99 ratio | HA CPU µs/msg ours / no-op | events counted |"
        ),
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in r["mo_receive"]:
        o, n = row["ours"], row["noop"]
        lines.append(
            f"| {row['concurrency']} | {o['rate']:,.0f} | {n['rate']:,.0f} | {row['rate_ratio']:.3f} "
            f"| {o['p50_ms']:.2f} / {o['p99_ms']:.2f} | {n['p50_ms']:.2f} / {n['p99_ms']:.2f} "
            f"| {row['p99_ratio']:.3f} | {o['cpu_us']:.0f} / {n['cpu_us']:.0f} "
            f"| {o['counted']:,} of {o['messages']:,} |"
        )
    lines += [
        "",
        (
            f"Where an MO's time goes — Home Assistant's CPU per message at concurrency "
            f"{LADDER_CONCURRENCY}, webhooks that each add one step of ours (best of "
            f"{s['ladder_rounds']} rounds of {s['ladder_messages']:,}, steps rotating):"
        ),
        "",
        "| webhook | HA CPU µs/msg | added by the step |",
        "|---|---:|---:|",
    ]
    rungs = {row["step"]: row for row in r["mo_ladder"]}
    previous = None
    for step in LADDER:
        row = rungs[step]
        added = "" if previous is None else f"{row['cpu_us'] - previous:+.0f}"
        lines.append(f"| {row['label']} | {row['cpu_us']:.0f} | {added} |")
        previous = row["cpu_us"]
    noop, floor, ours = (rungs[step]["cpu_us"] for step in ("noop", FLOOR[0], "ours"))
    parse = rungs["parse"]["cpu_us"] - noop
    lines += [
        f"| {FLOOR[1]} | {floor:.0f} | {floor - noop:+.0f} over the no-op |",
        "",
        (
            f"At saturation throughput is the inverse of this CPU time: no handler that fires the event "
            f"and writes the event entity can pass {noop / floor:.2f}× the no-op here (ours "
            f"{noop / ours:.2f}×). Of ours' {ours - noop:.0f} µs over the no-op, Home Assistant's "
            f"part is {floor - noop:.0f}, parse_mo (defusedxml) {parse:.0f} and the rest of ours "
            f"{ours - floor - parse:.0f}."
        ),
    ]
    steps = r["mo_breakdown"]
    lines += [
        "",
        "The same steps in a tight loop inside Home Assistant (µs per call, warm caches): "
        + "; ".join(f"{name} {us:.1f}" for name, us in steps.items()),
        "",
        (
            f"**MT fan-out** — one send_message; the simulator answers after {SIM_LATENCY * 1e3:.0f} ms; "
            f"concurrency bound {MAX_CONCURRENT_SENDS}; median of 3 (sequential: 3, 2 and 1 runs)"
        ),
        "",
        (
            "| recipients | ours s | ceiling s | sequential s | ours / ceiling | sequential / ours "
            "| sequential / ceiling |"
        ),
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in r["mt_fanout"]:
        lines.append(
            f"| {row['recipients']:,} | {row['ours_s']:.3f} | {row['ceiling_s']:.3f} "
            f"| {row['sequential_s']:.3f} | {row['ours_vs_ceiling']:.3f} "
            f"| {row['sequential_vs_ours']:.2f} | {row['sequential_s'] / row['ceiling_s']:.2f} |"
        )
    setup, memory, imports = r["entry_setup"], r["memory"], r["import_time"]
    lines += [
        "",
        "**Cost on Home Assistant**",
        "",
        "| measure | value |",
        "|---|---:|",
        (
            f"| entry setup, 20 saved recipients (median of {len(setup['runs_ms'])}; max) | "
            f"{setup['ms']:.1f} ms; {setup['max_ms']:.1f} ms |"
        ),
        (
            f"| import of the integration's modules (median of {len(imports['runs_ms'])} fresh processes) "
            f"| {imports['ms']:.1f} ms |"
        ),
        (
            f"| RSS before → after {memory['messages']:,} MOs (after gc) | "
            f"{memory['rss_before_mb']:.1f} → {memory['rss_after_mb']:.1f} MB ({memory['growth_mb']:+.1f} MB) |"
        ),
        "",
        "**Parser and hashing** — µs per message, best of 5",
        "",
        "| MO document | bytes | parse_mo | ElementTree.fromstring | ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in r["micro"]["parser"]:
        lines.append(
            f"| {row['document']} | {row['bytes']:,} | {row['parse_mo_us']:.1f} "
            f"| {row['etree_fromstring_us']:.1f} | {row['ratio']:.2f} |"
        )
    lines += [
        "",
        "| MT message | build_form | message_hash | hashlib.md5 alone |",
        "|---|---:|---:|---:|",
    ]
    for row in r["micro"]["hashing"]:
        lines.append(
            f"| {row['message']} | {row['build_form_us']:.2f} | {row['message_hash_us']:.2f} "
            f"| {row['hashlib_md5_us']:.2f} |"
        )
    lines += ["", "**Targets**", "", "| target | measured | |", "|---|---:|---|"]
    lines += [
        f"| {c['target']} | {c['value']} | {verdict(c['ok'])} |"
        for c in report["targets"]
    ]
    if r.get("log_problems"):
        lines += ["", "Warnings and errors of the integration in Home Assistant's log:"]
        lines += [f"    {line}" for line in r["log_problems"]]
    return "\n".join(lines)


def record_in_benchmarks_md(text: str) -> None:
    """Replace the table between the markers in BENCHMARKS.md."""
    document = BENCHMARKS_MD.read_text(encoding="utf-8")
    head, begin, rest = document.partition(TABLE_BEGIN)
    _, end, tail = rest.partition(TABLE_END)
    if not begin or not end:
        raise BenchError(f"{BENCHMARKS_MD.name} has no {TABLE_BEGIN} … {TABLE_END}")
    BENCHMARKS_MD.write_text(
        f"{head}{TABLE_BEGIN}\n{text}\n{TABLE_END}{tail}", encoding="utf-8"
    )


async def amain(
    quick: bool,
    profile: str,
    only: set[str],
    cprofile: bool = True,
    record: bool = False,
) -> int:
    """Run everything; return the exit status."""
    from custom_components.tatango_sms import const  # noqa: PLC0415

    if const.MAX_CONCURRENT_SENDS != MAX_CONCURRENT_SENDS:
        print(
            f"bench: the integration's bound is {const.MAX_CONCURRENT_SENDS}, "
            f"the ceiling's {MAX_CONCURRENT_SENDS}: update scripts/bench.py",
            flush=True,
        )
        return 1
    sizes = QUICK if quick else FULL
    started = time.monotonic()
    results: dict[str, Any] = {}
    workdir = Path(tempfile.mkdtemp(prefix="bench-", dir=ROOT / ".cache"))
    bench = Bench(workdir, sizes)
    bench.profile = profile
    bench.only = only
    bench.cprofile = cprofile
    print("bench: Home Assistant and the gateway simulator", flush=True)
    status = await demo.run_supervised(
        bench,
        bench.run_all,
        failed=(BenchError, demo.DemoError, aiohttp.ClientError, OSError, TimeoutError),
        bare=(BenchError, demo.DemoError),
        prefix="bench: FAILED: ",
        timeout=120,
    )
    if status == 130:
        print("bench: interrupted; both processes stopped", flush=True)
        return 130
    if status:
        print(
            f"bench: logs and configuration in {workdir.relative_to(ROOT)}/", flush=True
        )
        return status
    shutil.rmtree(workdir, ignore_errors=True)
    results.update(bench.results)
    if profile:
        print("bench: profiled; nothing measured", flush=True)
        return 0
    if only:
        partial = OUTPUT.parent / "partial.json"
        partial.write_text(
            json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        print(
            f"bench: only {', '.join(sorted(only))}: no table; written to "
            f"{partial.relative_to(ROOT)}",
            flush=True,
        )
        return 0
    report: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": time.monotonic() - started,
        "quick": quick,
        "machine": machine(),
        "sizes": sizes.__dict__,
        "results": results,
    }
    report["targets"] = targets(results)
    report["all_targets_met"] = all(c["ok"] for c in report["targets"])
    report["table"] = table(report)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print("\n" + report["table"] + "\n", flush=True)
    print(f"bench: written to {OUTPUT.relative_to(ROOT)}", flush=True)
    if record:
        try:
            record_in_benchmarks_md(report["table"])
        except (BenchError, OSError) as err:
            print(f"bench: not recorded: {err}", flush=True)
            return 1
        print(f"bench: the table is in {BENCHMARKS_MD.name}", flush=True)
    return 0 if report["all_targets_met"] else 3


def main() -> int:
    """Command line."""
    parser = argparse.ArgumentParser(prog="scripts/bench")
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes, to try the script out"
    )
    parser.add_argument(
        "--profile",
        choices=("mo", "mo1", "mt", "setup"),
        default="",
        help="instead of measuring, profile Home Assistant's event loop with cProfile "
        "(written to .cache/bench/profile-*.pstats) under MO load at concurrency 16 "
        "(mo) or 1 (mo1), ours then the no-op, or during one send to 1,000 recipients "
        "(mt), or while the entry is set up 9 times (setup); Home Assistant's pid is "
        "printed, to attach py-spy",
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated parts to measure, for working on one (no table): "
        + ",".join(PARTS),
    )
    parser.add_argument(
        "--no-cprofile",
        action="store_true",
        help="with --profile: only generate the load (for py-spy, which would see cProfile)",
    )
    parser.add_argument(
        "--record",
        action="store_true",
        help=f"also put the table into {BENCHMARKS_MD.name} (between its markers)",
    )
    args = parser.parse_args()
    only = {part for part in args.only.split(",") if part}
    if unknown := only - set(PARTS):
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    return asyncio.run(
        amain(args.quick, args.profile, only, not args.no_cprofile, args.record)
    )


if __name__ == "__main__":
    sys.exit(main())
