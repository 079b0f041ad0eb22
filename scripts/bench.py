# ruff: noqa: INP001
"""Benchmarks (scripts/bench): the receive and send paths against their bounds, in one run.

Runs inside the environment scripts/bench prepares (Home Assistant 2026.11.0, in
a network namespace that has only loopback where one can be made), on real
processes and sockets: Home Assistant with a throwaway configuration, the
integration set up through the config flow with 20 saved recipients, the
benchmark helper (scripts/bench_component/tatango_bench: the no-op webhook, the
ladder's webhooks, counters, CPU time and memory), the gateway simulator and a
load generator of its own (scripts/bench_load.py). The phases (--only):

- micro: the MO parser and the form/hash of one message; the import time;
- mo: at concurrency 1, 16 and 64, Home Assistant's CPU per MO for ours, the
  floor (Home Assistant's own part of an MO: read the body, fire the event,
  write the event entity) and the no-op, alternating;
- ladder: the steps of ours added one by one, at concurrency 16, and the same
  steps in a tight loop inside Home Assistant;
- memory: Home Assistant's RSS before and after many MOs;
- mt: one send_message to 10, 100 and 1,000 numbers beside raw aiohttp (the
  ceiling) and a sequential loop;
- setup: Home Assistant's time to set the entry up.

Every post must be answered 200 and counted where it lands, every send must
end "sent", or the run fails. Prints one table with PASS/FAIL per target and
writes it as JSON to .cache/bench/latest.json. --smoke: every phase on tiny
sizes, no target. Exit status: 0 all targets met (--smoke: every phase
completed), 3 a target missed, 1 the run failed. BENCHMARKS.md explains it.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
import hashlib
import importlib.metadata
import json
import os
from pathlib import Path
import platform
import statistics
import subprocess
import sys
import time
import timeit
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import fromstring as stdlib_fromstring

import aiohttp
from harness import DOMAIN, ROOT, Harness, RunError, Settings, run

sys.path.insert(0, str(ROOT))  # the integration and the simulator, for micro
from tatango_simulator.mo import mo_xml  # noqa: E402

HERE = Path(__file__).resolve().parent
OUTPUT = ROOT / ".cache" / "bench" / "latest.json"
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
MARKERS = (
    "<!-- scripts/bench --record: begin -->",
    "<!-- scripts/bench --record: end -->",
)
# The ladder: the no-op, then each rung adds one step of ours; beside them the
# floor, Home Assistant's part alone (see the helper).
LADDER = {
    "noop": "no-op: read the body",
    "parse": "+ parse_mo",
    "fire": "+ fire an event on the bus",
    "entity": "+ the event entity's state write",
    "ours": "ours (+ size check, charset, name lookup, keyword; 5 event fields, 4 attributes)",
    "floor": "the floor, Home Assistant's part alone: read the body, fire the 5-field "
    "event, write the entity's 4 attributes (nothing parsed or looked up)",
}
PHASES = ("micro", "mo", "ladder", "memory", "mt", "setup")
MO_CONCURRENCY = (1, 16, 64)
SIM_LATENCY = 0.020
MAX_CONCURRENT_SENDS = 8  # custom_components/tatango_sms/const.py, checked below
MT_MESSAGE = "Smoke alarm in the kitchen at 03:12. Everyone out, meet at the mailbox; call 911 if you can't see the stairs."
# Targets (issue 12).
MO_FLOOR_TARGET = 1.15
FANOUT_CEILING_TARGET = 1.15
FANOUT_SEQUENTIAL_TARGET, FANOUT_SEQUENTIAL_AT = 4.0, 100
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
SAVED = [f"206555{i:04d}" for i in range(20)]
FANOUT_NUMBERS = [f"425555{i:04d}" for i in range(1000)]
BODIES = [mo_xml(SAVED[i % 20], MO_CONTENTS[i % len(MO_CONTENTS)]) for i in range(60)]


@dataclass(frozen=True)
class Sizes:
    """How much work each phase does."""

    mo_messages: int  # per run, each webhook and concurrency
    mo_rounds: int
    warmup: int
    ladder_rounds: int
    ladder_messages: int
    breakdown_repeat: int
    memory_messages: int
    memory_chunks: int
    fanout: tuple[int, ...]
    fanout_repeats: int
    setup_repeats: int
    import_repeats: int
    micro_repeat: int
    settle: float  # seconds for Home Assistant to write its registries first


FULL = Sizes(3000, 5, 2000, 10, 2000, 2000, 100_000, 5, (10, 100, 1000), 3, 9, 7, 5, 12)
QUICK = Sizes(1000, 2, 300, 2, 500, 2000, 10_000, 2, (10, 100, 1000), 3, 3, 3, 5, 12)
SMOKE = Sizes(30, 1, 10, 1, 30, 30, 300, 2, (10, 100), 1, 1, 1, 1, 0)


def cpu_plan() -> tuple[frozenset[int], list[int]]:
    """Return the CPUs for Home Assistant and for the load generator.

    With two CPUs or more each gets one of its own, so the generator neither
    competes with Home Assistant's event loop for a core nor moves it around.
    Home Assistant gets the last CPU: the first is where the virtual machine's
    device interrupts land. TATANGO_BENCH_PIN=0 turns pinning off.
    """
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2 or os.environ.get("TATANGO_BENCH_PIN") == "0":
        return frozenset(), []
    return frozenset({cpus[-1]}), [cpus[0]]


def median(values: list[float]) -> float:
    """Return the median."""
    return statistics.median(values)


def form_hash(password: str, message: str) -> str:
    """Return the gateway's hash: md5(password + message)."""
    text = password + message
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def best_per_call(function: Any, repeat: int) -> float:
    """Return the best time of one call, in µs, over repeat batches of ~50 ms."""
    timer = timeit.Timer(function)
    once = timer.timeit(number=100) / 100
    number = max(int(0.05 / max(once, 1e-9)), 1)
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e6


_IMPORT_PROBE = r"""
import ast, importlib, json, pathlib, time
package = pathlib.Path("custom_components/tatango_sms")
# What Home Assistant itself provides: every homeassistant module the
# integration imports at module level. Imported first, so only the
# integration's own modules (and its requirements) are timed.
provided = set()
for path in package.glob("*.py"):
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("homeassistant"):
            provided.add(node.module)
            provided.update(f"{node.module}.{alias.name}" for alias in node.names)
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
print(time.perf_counter() - started)
"""


class Bench:
    """The phases, their results, the table and the targets."""

    def __init__(self, h: Harness, sizes: Sizes, load_cpus: list[int]) -> None:
        """Initialize with the harness and the sizes."""
        self.h = h
        self.sizes = sizes
        self.load_cpus = load_cpus
        self.profile = False
        self.entry_id = ""
        self.webhook_path = ""
        self.results: dict[str, Any] = {}
        self.lines: list[str] = []  # the table, in Markdown
        self.targets: list[tuple[str, str, bool]] = []
        self.cost: list[list[str]] = []  # rows of the "Cost on Home Assistant" table

    def log(self, text: str) -> None:
        """Print a progress line."""
        print(f"  {time.monotonic() - self.h.started:6.1f} s  {text}", flush=True)

    def section(self, title: str, header: str, rows: list[list[Any]]) -> None:
        """Add a Markdown table to the report: header "a | b | c", the first column left."""
        columns = header.count("|") + 1
        self.lines += [
            "",
            title,
            "",
            f"| {header} |",
            "|---" + "|---:" * (columns - 1) + "|",
        ]
        self.lines += [
            "| " + " | ".join(str(cell) for cell in row) + " |" for row in rows
        ]

    def target(self, name: str, value: str, ok: bool) -> None:
        """Record a target's outcome."""
        self.targets.append((name, value, ok))

    async def start(self) -> None:
        """Start everything; set the entry up with its saved recipients."""
        await self.h.start_simulator()
        await self.h.start_home_assistant()
        # Only the owner: the core_config step would start met, radio_browser
        # and google_translate, which retry the internet in the background.
        await self.h.onboard(everything=False)
        assert self.h.hass is not None
        self.log(f"Home Assistant running (pid {self.h.hass.pid})")
        _, result = await self.h.create_entry()
        self.entry_id = result["result"]["entry_id"]
        url = result["description_placeholders"]["webhook_url"]
        self.webhook_path = urlsplit(url).path
        for index, number in enumerate(SAVED):
            await self.h.add_recipient(self.entry_id, f"Person {index + 1:02d}", number)
        self.log(f"entry set up with {len(SAVED)} saved recipients")

    async def helper(self, path: str, body: Any = None) -> Any:
        """Call the benchmark helper's API in Home Assistant."""
        method = "GET" if body is None else "POST"
        return await self.h.ha(method, f"/api/tatango_bench/{path}", json=body)

    async def load(
        self, target: str, count: int, concurrency: int, bodies: list[str] = BODIES
    ) -> dict[str, Any]:
        """Post count MOs to one webhook; each must be answered 200 and counted where it lands."""
        counter, path = {
            "ours": ("events", self.webhook_path),
            "noop": ("noop", "/api/webhook/tatango-bench-noop"),
        }.get(target, (target, f"/api/webhook/tatango-bench-ladder-{target}"))
        spec = {"port": self.h.settings.ha_port, "path": path, "count": count}
        spec |= {"concurrency": concurrency, "bodies": bodies, "cpus": self.load_cpus}
        before = await self.helper("stats")
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, HERE / "bench_load.py"),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        output, _ = await process.communicate(json.dumps(spec).encode())
        if process.returncode:
            raise RunError(f"the load generator exited with {process.returncode}")
        result: dict[str, Any] = json.loads(output)
        if result["statuses"] != {"200": count}:
            raise RunError(f"{target}: answers other than 200: {result['statuses']}")
        after = await self.helper("stats")
        if (counted := after[counter] - before[counter]) != count:
            raise RunError(f"{target}: {count} posts, {counted} counted ({counter})")
        # Home Assistant's CPU time per message (all its threads; the two stats
        # requests are included, a few hundred µs in all).
        result["cpu_us"] = (after["cpu"] - before["cpu"]) / count * 1e6
        result["rate"] = count / result["seconds"]
        return result

    async def rounds(
        self, targets: list[str], concurrency: int, rounds: int, count: int
    ) -> dict[str, list[dict[str, Any]]]:
        """Load each target in turn, rounds times, the order rotating."""
        runs: dict[str, list[dict[str, Any]]] = {target: [] for target in targets}
        for i in range(rounds):
            for target in targets[i % len(targets) :] + targets[: i % len(targets)]:
                runs[target].append(await self.load(target, count, concurrency))
        return runs

    async def micro(self) -> None:
        """Time the MO parser and the form/hash building per message, and the import."""
        from custom_components.tatango_sms.gateway import TatangoGateway, message_hash  # noqa: PLC0415
        from custom_components.tatango_sms.mo import parse_mo  # noqa: PLC0415

        repeat, s = self.sizes.micro_repeat, self.h.settings
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
            body = mo_xml("2065550123", content).encode()
            if parse_mo(body).content != content:
                raise RunError(f"parse_mo misread the {name} document")
            ours = best_per_call(lambda body=body: parse_mo(body), repeat)
            stdlib = best_per_call(lambda body=body: stdlib_fromstring(body), repeat)  # noqa: S314  # our own documents
            parser.append(
                [
                    name,
                    f"{len(body):,}",
                    f"{ours:.1f}",
                    f"{stdlib:.1f}",
                    f"{ours / stdlib:.2f}",
                ]
            )
        header = "MO document | bytes | parse_mo | ElementTree.fromstring | ratio"
        self.section(
            f"**Parser and hashing** — µs per message, best of {repeat}", header, parser
        )
        gateway = TatangoGateway(None, s.key, s.password, "http://127.0.0.1/")  # type: ignore[arg-type]
        hashing = []
        for name in ("160 GSM characters", "70 characters, non-GSM"):
            text = documents[name]
            calls = (
                lambda: gateway.build_form("2065550123", text),  # noqa: B023
                lambda: message_hash(s.password, text),  # noqa: B023
                lambda: form_hash(s.password, text),  # noqa: B023
            )
            hashing.append([name, *(f"{best_per_call(c, repeat):.2f}" for c in calls)])
        header = "MT message | build_form | message_hash | hashlib.md5 alone"
        self.section("", header, hashing)
        runs = []
        for attempt in range(self.sizes.import_repeats + 1):  # the first compiles
            probe = [sys.executable, "-c", _IMPORT_PROBE]
            done = await asyncio.to_thread(
                subprocess.run, probe, cwd=ROOT, check=True, capture_output=True
            )
            runs += [float(done.stdout) * 1e3] if attempt else []
        self.results["micro"] = {
            "parser": parser,
            "hashing": hashing,
            "import_ms": runs,
        }
        self.cost.append(
            [f"import of the integration's modules (median of {len(runs)} fresh processes)",
             f"{median(runs):.1f} ms"]
        )  # fmt: skip

    async def mo(self) -> None:
        """Ours against the floor (and the no-op) in Home Assistant's CPU per MO."""
        for target in ("ours", "floor", "noop"):
            await self.load(target, self.sizes.warmup, 16)
        rows, rounds = [], self.sizes.mo_rounds
        for c in MO_CONCURRENCY:
            runs = await self.rounds(
                ["ours", "floor", "noop"], c, rounds, self.sizes.mo_messages
            )
            # The least-disturbed round: other work on the machine only ever
            # adds (interrupts are charged to whatever runs).
            cpu = {t: min(r["cpu_us"] for r in results) for t, results in runs.items()}
            rate = {
                t: median([r["rate"] for r in results]) for t, results in runs.items()
            }
            p50, p99 = (
                median([r["latencies_ms"][p] for r in runs["ours"]])
                for p in ("p50", "p99")
            )
            ratio = cpu["ours"] / cpu["floor"]
            counted = sum(r["count"] for r in runs["ours"])
            rows.append(
                [c, " / ".join(f"{cpu[t]:.0f}" for t in cpu), f"{ratio:.3f}",
                 " / ".join(f"{rate[t]:,.0f}" for t in rate), f"{p50:.2f} / {p99:.2f}",
                 f"{counted:,} of {counted:,}"]
            )  # fmt: skip
            self.results[f"mo_{c}"] = {"cpu_us": cpu, "rate": rate, "runs": runs}
            self.target(
                f"MO at concurrency {c}: ours <= {MO_FLOOR_TARGET}x the floor (HA CPU per MO)",
                f"{ratio:.3f}x",
                ratio <= MO_FLOOR_TARGET,
            )
            self.log(
                f"MO concurrency {c}: HA CPU µs per MO (ours, floor, no-op) {rows[-1][1]}; {ratio:.3f}x"
            )
        title = (
            f"**MO receive** — Home Assistant's CPU per MO, best of {rounds} rounds of "
            f"{self.sizes.mo_messages:,}, ours, the floor and the no-op alternating; "
            "messages/s and latency (as the load generator sees them): medians"
        )
        header = "concurrency | HA CPU µs/MO ours / floor / no-op | ours ÷ floor | msg/s ours / floor / no-op | ours p50 / p99 ms | ours counted as events"
        self.section(title, header, rows)

    async def ladder(self) -> None:
        """Home Assistant's CPU per MO as the steps of ours are added one by one."""
        s = self.sizes
        runs = await self.rounds(list(LADDER), 16, s.ladder_rounds, s.ladder_messages)
        cpu = {
            target: min(r["cpu_us"] for r in results)
            for target, results in runs.items()
        }
        self.log("MO ladder, HA CPU µs per MO: " + show_all(cpu, "{:.0f}"))
        rows, previous = [], None
        for step, label in LADDER.items():
            added = "" if previous is None else f"{cpu[step] - previous:+.0f}"
            rows.append([label, f"{cpu[step]:.0f}", added])
            previous = cpu[step]
        rows[-1][2] = f"{cpu['floor'] - cpu['noop']:+.0f} over the no-op"
        title = (
            "Where an MO's time goes — Home Assistant's CPU per MO at concurrency 16, "
            f"webhooks that each add one step of ours (best of {s.ladder_rounds} rounds "
            f"of {s.ladder_messages:,}, the order rotating):"
        )
        self.section(title, "webhook | HA CPU µs/MO | added by the step", rows)
        body = {
            "entry_id": self.entry_id,
            "body": BODIES[2],
            "repeat": s.breakdown_repeat,
        }
        steps = await self.helper("breakdown", body)
        if (events := steps.pop("whole_handler_events")) != s.breakdown_repeat:
            raise RunError(
                f"the handler fired {events} events for {s.breakdown_repeat} MOs"
            )
        self.log("MO steps in Home Assistant, µs: " + show_all(steps, "{:.1f}"))
        noop, floor, ours, parse = (cpu[k] for k in ("noop", "floor", "ours", "parse"))
        gap = (
            f"Of ours' {ours - noop:.0f} µs over the no-op, Home Assistant's part is "
            f"{floor - noop:.0f}, parse_mo {parse - noop:.0f} and the rest of ours "
            f"{ours - floor - parse + noop:.0f}. The same steps in a tight loop inside Home "
            f"Assistant (µs per call, warm caches): {show_all(steps, '{:.1f}')}"
        )
        self.lines += ["", gap]
        self.results["ladder"] = {"cpu_us": cpu, "steps_us": steps}

    async def memory(self) -> None:
        """Home Assistant's RSS before and after many MOs."""
        bodies = [
            mo_xml(SAVED[i % 20], f"{MO_CONTENTS[i % 4]} #{i}") for i in range(200)
        ]
        total, chunks = self.sizes.memory_messages, self.sizes.memory_chunks
        samples = [(await self.helper("stats?gc=1"))["rss"] / 2**20]
        for chunk in range(chunks):
            await self.load("ours", total // chunks, 16, bodies)
            samples.append((await self.helper("stats?gc=1"))["rss"] / 2**20)
            self.log(
                f"memory: {(chunk + 1) * total // chunks} MOs, RSS {samples[-1]:.1f} MB"
            )
        growth = samples[-1] - samples[0]
        self.results["memory_mb"] = samples
        self.cost.append(
            [f"RSS before → after {total:,} MOs (after gc)",
             f"{samples[0]:.1f} → {samples[-1]:.1f} MB ({growth:+.1f} MB)"]
        )  # fmt: skip
        name = f"RSS growth over {total:,} MOs < {MEMORY_TARGET_MB:g} MB"
        self.target(name, f"{growth:+.1f} MB", growth < MEMORY_TARGET_MB)

    async def mt(self) -> None:
        """One send_message to n numbers against the ceiling and a sequential loop."""
        numbers = FANOUT_NUMBERS[: max(self.sizes.fanout)]
        bound = asyncio.Semaphore(MAX_CONCURRENT_SENDS)
        s = self.h.settings

        async def opt_in(number: str) -> None:
            async with bound:
                await self.h.gateway("POST", "/control/opt_in", {"number": number})

        await asyncio.gather(*(opt_in(n) for n in numbers))
        await self.h.gateway("POST", "/control/latency", {"seconds": SIM_LATENCY})
        form = {
            "key": s.key,
            "message": MT_MESSAGE,
            "hash": form_hash(s.password, MT_MESSAGE),
        }

        async def post(number: str) -> None:
            data = {**form, "recipient": number}
            async with (
                bound,
                raw.post(f"{s.simulator_url}/messages", data=data) as answer,
            ):
                await answer.read()
                if answer.status != 200:
                    raise RunError(f"the simulator answered {answer.status}")

        async def ours(n: int) -> None:
            answer = await self.h.ha(
                "POST",
                f"/api/services/{DOMAIN}/send_message?return_response",
                json={"message": MT_MESSAGE, "recipients": numbers[:n]},
            )
            outcomes = answer["service_response"]["recipients"]
            if (sent := sum(o["outcome"] == "sent" for o in outcomes)) != n:
                raise RunError(f"send_message: {sent} of {n} sent: {outcomes[:3]}")

        async def ceiling(n: int) -> None:
            await asyncio.gather(*(post(number) for number in numbers[:n]))

        async def sequential(n: int) -> None:
            for number in numbers[:n]:
                await post(number)

        rows, repeats = [], self.sizes.fanout_repeats
        async with aiohttp.ClientSession() as raw:
            await ours(10)  # warms both connection pools
            await ceiling(10)
            for n in self.sizes.fanout:
                times: dict[str, list[float]] = {
                    "ours": [],
                    "ceiling": [],
                    "sequential": [],
                }
                for i in range(repeats):
                    order = [("ours", ours), ("ceiling", ceiling)][
                        :: -1 if i % 2 else 1
                    ]
                    if i < (3 if n <= 10 else 2 if n <= 100 else 1):
                        order.append(("sequential", sequential))
                    for name, part in order:
                        started = time.perf_counter()
                        await part(n)
                        times[name].append(time.perf_counter() - started)
                t = {name: median(values) for name, values in times.items()}
                ratio, faster = t["ours"] / t["ceiling"], t["sequential"] / t["ours"]
                rows.append(
                    [
                        f"{n:,}",
                        *(f"{v:.3f}" for v in t.values()),
                        f"{ratio:.3f}",
                        f"{faster:.2f}",
                    ]
                )
                self.results[f"mt_{n}"] = times
                self.log(
                    f"MT {n} recipients: ours, ceiling, sequential {show_all(t, '{:.3f}')} s"
                )
                name = f"MT fan-out to {n} <= {FANOUT_CEILING_TARGET}x ceiling"
                self.target(name, f"{ratio:.3f}x", ratio <= FANOUT_CEILING_TARGET)
                if n == FANOUT_SEQUENTIAL_AT:
                    name = f"MT fan-out to {n} >= {FANOUT_SEQUENTIAL_TARGET:g}x faster than sequential"
                    self.target(
                        name, f"{faster:.2f}x", faster >= FANOUT_SEQUENTIAL_TARGET
                    )
        await self.h.gateway("POST", "/control/latency", {"seconds": 0})
        title = (
            f"**MT fan-out** — one send_message; the simulator answers after "
            f"{SIM_LATENCY * 1e3:.0f} ms; concurrency bound {MAX_CONCURRENT_SENDS}; median "
            f"of {repeats} (sequential: up to 3, 2 and 1 runs)"
        )
        header = "recipients | ours s | ceiling s | sequential s | ours / ceiling | sequential / ours"
        self.section(title, header, rows)

    async def setup(self) -> None:
        """Time Home Assistant's setup of the entry (unloaded in between)."""
        body = {"entry_id": self.entry_id, "repeat": self.sizes.setup_repeats}
        runs = [s * 1e3 for s in (await self.helper("setup_time", body))["seconds"]]
        self.log(f"entry setup: {', '.join(f'{r:.1f}' for r in runs)} ms")
        self.results["setup_ms"] = runs
        self.cost.append(
            [f"entry setup, 20 saved recipients (median of {len(runs)}; max)",
             f"{median(runs):.1f} ms; {max(runs):.1f} ms"]
        )  # fmt: skip
        name = f"entry setup (20 recipients) < {SETUP_TARGET_MS:g} ms"
        self.target(name, f"{median(runs):.1f} ms", median(runs) < SETUP_TARGET_MS)

    async def measure(self, phases: tuple[str, ...]) -> None:
        """Run the phases (each under cProfile with --profile); then the cost table."""
        ready = time.monotonic()
        for phase in phases:
            # Home Assistant writes its registries 10 s after the last change:
            # measured runs start after that.
            if phase != "micro":
                await asyncio.sleep(
                    max(0.0, ready + self.sizes.settle - time.monotonic())
                )
            path = OUTPUT.parent / f"profile-{phase}.pstats"
            if self.profile:  # the first call starts it, the second writes it
                await self.helper("profile", {"path": str(path)})
            await getattr(self, phase)()
            if self.profile:
                await self.helper("profile", {"path": str(path)})
                self.log(f"profile of {phase}: {path.relative_to(ROOT)}")
        if self.cost:
            self.section("**Cost on Home Assistant**", "measure | value", self.cost)
        problems = [
            f"    {m['level']} [{m['logger']}] {m['message']}"[:300]
            for m in self.h.log_lines()
            if m["level"] in ("WARNING", "ERROR", "CRITICAL")
            and (
                "tatango" in m["logger"] or "custom_components/tatango" in m["message"]
            )
        ]
        if problems:
            self.lines += [
                "",
                "Warnings and errors of (or about) the integration in Home Assistant's log:",
                *problems,
            ]


def show_all(values: dict[str, float], style: str) -> str:
    """Return "name value, ..." for printing."""
    return ", ".join(f"{name} {style.format(value)}" for name, value in values.items())


def machine(ha_cpus: frozenset[int], load_cpus: list[int]) -> str:
    """Describe where the run happened."""
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    model = next(
        (x.split(":")[1].strip() for x in cpuinfo if x.startswith("model name")), "?"
    )
    ulid = importlib.metadata.version("ulid-transform")
    try:  # built without a compiler, every event and state change costs more
        import ulid_transform._ulid_impl  # type: ignore[import-not-found]  # noqa: F401, PLC0415
    except ImportError:
        ulid += " (pure Python)"
    else:
        ulid += " (C++ extension)"
    pinning = (
        f"Home Assistant on CPU {min(ha_cpus)}, load generator on CPU {load_cpus[0]}"
    )
    versions = {
        name: importlib.metadata.version(name) for name in ("homeassistant", "aiohttp")
    }
    return (
        f"{os.cpu_count()} × {model} (pinning: {pinning if ha_cpus else 'none'}); Home Assistant "
        f"{versions['homeassistant']}, Python {platform.python_version()}, aiohttp "
        f"{versions['aiohttp']}, ulid-transform {ulid}, Linux {platform.release()}"
    )


def main() -> int:
    """Command line."""
    parser = argparse.ArgumentParser(prog="scripts/bench")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument(
        "--quick", action="store_true", help="smaller sizes, to try it out"
    )
    kind.add_argument(
        "--smoke", action="store_true", help="every phase on tiny sizes; no target"
    )
    parser.add_argument(
        "--only", default=",".join(PHASES), help="phases: " + ",".join(PHASES)
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile Home Assistant per phase"
    )
    parser.add_argument(
        "--record", action="store_true", help=f"put the table in {BENCHMARKS_MD.name}"
    )
    args = parser.parse_args()
    if unknown := set(args.only.split(",")) - set(PHASES):
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    phases = tuple(phase for phase in PHASES if phase in args.only.split(","))
    from custom_components.tatango_sms.const import MAX_CONCURRENT_SENDS as BOUND  # noqa: PLC0415

    if BOUND != MAX_CONCURRENT_SENDS:
        print(f"bench: the integration's bound is {BOUND}: update scripts/bench.py")
        return 1
    sizes = SMOKE if args.smoke else QUICK if args.quick else FULL
    ha_cpus, load_cpus = cpu_plan()
    settings = Settings(
        name="bench",
        ha_port=28123,
        simulator_port=28124,
        key="bench-key",
        password="bench-password",  # noqa: S106
        owner=("bench", "bench-owner-password"),
        yaml="\ntatango_bench:\n",
        components=(HERE / "bench_component" / "tatango_bench",),
        ha_cpus=ha_cpus,
        timeout=120,
    )
    started = time.monotonic()
    benches: list[Bench] = []

    async def body(h: Harness) -> None:
        print("bench: Home Assistant and the gateway simulator", flush=True)
        OUTPUT.parent.mkdir(parents=True, exist_ok=True)
        benches.append(bench := Bench(h, sizes, load_cpus))
        bench.profile = args.profile
        await bench.start()
        await bench.measure(phases)
        if (status := await h.stop_home_assistant()) != 0:
            raise RunError(f"Home Assistant exited with status {status}")

    if status := asyncio.run(run(settings, body)):
        return status
    bench = benches[0]
    kind = (
        " — SMOKE RUN, tiny sizes"
        if args.smoke
        else " — QUICK RUN"
        if args.quick
        else ""
    )
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    seconds = time.monotonic() - started
    lines = [
        f"Run {date} in {seconds:.0f} s on {machine(ha_cpus, load_cpus)}{kind}",
        *bench.lines,
    ]
    checked = not (args.smoke or args.profile)  # a profiler distorts the timings
    if checked:
        rows = [
            [name, value, "PASS" if ok else "FAIL"] for name, value, ok in bench.targets
        ]
        bench.lines = []
        bench.section("**Targets**", "target | measured | ", rows)
        lines += bench.lines
    text = "\n".join(lines)
    report = {
        "table": text,
        "sizes": dataclasses.asdict(sizes),
        "results": bench.results,
    }
    OUTPUT.write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"\n{text}\n\nbench: written to {OUTPUT.relative_to(ROOT)}", flush=True)
    if args.record:
        document = BENCHMARKS_MD.read_text(encoding="utf-8")
        if not all(marker in document for marker in MARKERS):
            print(f"bench: not recorded: {BENCHMARKS_MD.name} lacks {MARKERS}")
            return 1
        head, _, rest = document.partition(MARKERS[0])
        tail = rest.partition(MARKERS[1])[2]
        text = f"{head}{MARKERS[0]}\n{text}\n{MARKERS[1]}{tail}"
        BENCHMARKS_MD.write_text(text, encoding="utf-8")
        print(f"bench: the table is in {BENCHMARKS_MD.name}", flush=True)
    if not checked:
        print(
            "bench: every phase completed with the right outcomes and counts; no target checked"
        )
        return 0
    return 0 if all(ok for _, _, ok in bench.targets) else 3


if __name__ == "__main__":
    sys.exit(main())
