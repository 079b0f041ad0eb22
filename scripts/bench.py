# ruff: noqa: INP001
"""Benchmarks (scripts/bench says how to run them; BENCHMARKS.md explains them).

Home Assistant 2026.11.0 with the integration (20 saved recipients), the helper
scripts/bench_component/tatango_bench, the simulator and the load generator
scripts/bench_load.py. Every post must be answered 200 and counted where it
lands, every send must end "sent", or the run fails.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
import hashlib
import importlib.metadata
import importlib.util
import json
import os
from pathlib import Path
import platform
from statistics import median
import sys
import time
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import aiohttp
from harness import ROOT, Credentials, Harness, Ports, RunError, Settings, run

sys.path.insert(0, str(ROOT))  # the simulator and the integration's bound
from tatango_simulator.mo import mo_xml  # noqa: E402

HERE = Path(__file__).resolve().parent
OUTPUT = ROOT / ".cache" / "bench" / "latest.json"
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
MARKERS = [f"<!-- scripts/bench --record: {end} -->" for end in ("begin", "end")]
PHASES = ("mo", "ladder", "memory", "mt", "setup")
# The ladder: the no-op, then each rung adds one step of ours; beside them the
# floor, Home Assistant's part alone (see the helper).
LADDER = {
    "noop": "no-op: read the body",
    "parse": "+ parse_mo",
    "fire": "+ fire an event on the bus",
    "entity": "+ the event entity's state write",
    "ours": "ours (+ size check, charset, name lookup, keyword, routing; 7 event fields, 6 attributes)",
    "floor": "the floor, Home Assistant's part alone: read the body, fire the 7-field event, write the entity's 6 attributes (nothing parsed or looked up)",
}
SIM_LATENCY = 0.020
MAX_CONCURRENT_SENDS = 8  # custom_components/tatango_sms/const.py, checked below
MT_MESSAGE = "Smoke alarm in the kitchen at 03:12. Everyone out, meet at the mailbox; call 911 if you can't see the stairs."
# Targets (issue 12).
MO_FLOOR_TARGET, FANOUT_CEILING_TARGET, FANOUT_SEQUENTIAL_TARGET = 1.15, 1.15, 4.0
SETUP_TARGET_MS, MEMORY_TARGET_MB = 20.0, 5.0
# What the gateway posts, from short to the longest a concatenated SMS gets,
# with XML specials and a CDATA end inside.
MO_CONTENTS = (
    *("STOP", "status garage", "Yes, I'm on my way home — be there in 10 min ✓"),
    "ARM away please, and turn off the lights downstairs when everyone has left the house for the day, thanks!",
    "Kids are home 🎒🏠 <b>&amp;</b> ]]> the dog was fed",
    "LOG " + "The quick brown fox jumps over the lazy dog & friends <again>. " * 24,
)
SAVED = [f"206555{i:04d}" for i in range(20)]
BODIES = [mo_xml(SAVED[i % 20], MO_CONTENTS[i % len(MO_CONTENTS)]) for i in range(60)]


class Sizes(NamedTuple):
    """How much work each phase does."""

    mo: tuple[int, int]  # rounds, MOs per webhook and round, at each concurrency
    ladder: tuple[int, int]  # rounds, MOs per rung and round
    memory: tuple[int, int]  # MOs, samples
    fanout: tuple[int, ...]  # recipients
    repeats: int  # of each fan-out
    setups: int
    settle: float  # seconds for Home Assistant to write its registries first


FULL = Sizes((12, 1500), (10, 2000), (100_000, 5), (10, 100, 1000), 3, 9, 12)
QUICK = Sizes((2, 1000), (2, 500), (10_000, 2), (10, 100, 1000), 3, 3, 12)
SMOKE = Sizes((1, 30), (1, 30), (300, 2), (10, 100), 1, 1, 0)


def cpu_plan() -> tuple[frozenset[int], list[int]]:
    """Return the CPUs for Home Assistant and for the load generator.

    One each where there are two or more (TATANGO_BENCH_PIN=0: none); Home
    Assistant gets the last one, away from the first's device interrupts.
    """
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2 or os.environ.get("TATANGO_BENCH_PIN") == "0":
        return frozenset(), []
    return frozenset({cpus[-1]}), [cpus[0]]


def show_all(values: dict[str, float], style: str) -> str:
    """Return "name value, ..." for printing."""
    return ", ".join(f"{name} {style.format(value)}" for name, value in values.items())


class Bench:
    """The phases, their figures, the table and the targets."""

    def __init__(self, h: Harness, sizes: Sizes, load_cpus: list[int]) -> None:
        """Initialize with the harness and the sizes."""
        self.h, self.sizes, self.load_cpus = h, sizes, load_cpus
        self.entry_id = self.webhook_path = ""
        self.figures: dict[str, Any] = {}
        self.lines: list[str] = []  # the table, in Markdown
        self.targets: list[list[str]] = []
        self.cost: list[list[str]] = []  # rows of "Cost on Home Assistant"

    def log(self, text: str) -> None:
        """Print a progress line."""
        print(f"  {time.monotonic() - self.h.started:6.1f} s  {text}", flush=True)

    def table(self, title: str, header: str, rows: list[list[Any]]) -> None:
        """Add a Markdown table: header "a | b | c", the first column left."""
        rule = "|---" + "|---:" * header.count("|") + "|"
        self.lines += ["", title, "", f"| {header} |", rule]
        self.lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]

    def target(self, name: str, value: str, ok: bool) -> None:
        """Record a target's outcome."""
        self.targets.append([name, value, "PASS" if ok else "FAIL"])

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
        await self.h.reload_with("options/", self.entry_id, {"max_sms_per_hour": 0})
        self.log(f"entry set up with {len(SAVED)} saved recipients, no SMS limit")

    async def helper(self, what: str, body: Any = None) -> Any:
        """Call the benchmark helper's API in Home Assistant."""
        method = "GET" if body is None else "POST"
        return await self.h.ha(method, f"/api/tatango_bench/{what}", json=body)

    async def load(
        self, target: str, count: int, concurrency: int, bodies: list[str] = BODIES
    ) -> dict[str, Any]:
        """Post count MOs to a webhook; each must be answered 200 and be counted."""
        counter, path = target, f"/api/webhook/tatango-bench-{target}"
        if target == "ours":
            counter, path = "events", self.webhook_path
        spec = {"port": self.h.settings.ports.ha, "path": path, "count": count}
        spec |= {"concurrency": concurrency, "bodies": bodies, "cpus": self.load_cpus}
        before = await self.helper("stats")
        args, pipe = (sys.executable, HERE / "bench_load.py"), asyncio.subprocess.PIPE
        process = await asyncio.create_subprocess_exec(*args, stdin=pipe, stdout=pipe)
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
        self, targets: list[str], concurrency: int, sizes: tuple[int, int]
    ) -> dict[str, list[dict[str, Any]]]:
        """Load each target in turn, the order rotating; return the runs by target."""
        runs: dict[str, list[dict[str, Any]]] = {target: [] for target in targets}
        for i in range(sizes[0]):
            for target in targets[i % len(targets) :] + targets[: i % len(targets)]:
                runs[target].append(await self.load(target, sizes[1], concurrency))
        self.figures[f"{'-'.join(targets)} at {concurrency}"] = runs
        return runs

    async def mo(self) -> None:
        """Ours against the floor (and the no-op) in Home Assistant's CPU per MO."""
        for target in ("ours", "floor", "noop"):
            await self.load(target, self.sizes.mo[1] // 2, 16)  # warm-up
        rows = []
        for c in (1, 16, 64):
            runs = await self.rounds(["ours", "floor", "noop"], c, self.sizes.mo)
            # The least-disturbed round: other work on the machine only ever
            # adds (interrupts are charged to whatever runs).
            cpu = {t: min(r["cpu_us"] for r in rs) for t, rs in runs.items()}
            rate = {t: median([r["rate"] for r in rs]) for t, rs in runs.items()}
            ours, cpus = runs["ours"], " / ".join(f"{v:.0f}" for v in cpu.values())
            latencies = [r["latencies_ms"] for r in ours]
            p50, p99 = (median([x[p] for x in latencies]) for p in ("p50", "p99"))
            ratio, counted = cpu["ours"] / cpu["floor"], sum(r["count"] for r in ours)
            rows.append([c, cpus, f"{ratio:.3f}"])
            rows[-1] += [" / ".join(f"{v:,.0f}" for v in rate.values())]
            rows[-1] += [f"{p50:.2f} / {p99:.2f}", f"{counted:,}"]
            name = f"MO at concurrency {c}: ours <= {MO_FLOOR_TARGET}x the floor"
            ok = ratio <= MO_FLOOR_TARGET
            self.target(f"{name} (HA CPU per MO)", f"{ratio:.3f}x", ok)
            self.log(f"MO concurrency {c}: HA CPU µs/MO, ours / floor / no-op {cpus}")
        rounds, count = self.sizes.mo
        title = (
            f"**MO receive** — Home Assistant's CPU per MO, best of {rounds} rounds of "
            f"{count:,}, ours, the floor and the no-op alternating; messages/s and "
            "latency (as the load generator sees them): medians"
        )
        header = "concurrency | HA CPU µs/MO ours / floor / no-op | ours ÷ floor"
        header += " | msg/s ours / floor / no-op | ours p50 / p99 ms | ours' events"
        self.table(title, header, rows)

    async def ladder(self) -> None:
        """Home Assistant's CPU per MO as the steps of ours are added one by one."""
        runs = await self.rounds(list(LADDER), 16, self.sizes.ladder)
        cpu = {target: min(r["cpu_us"] for r in rs) for target, rs in runs.items()}
        self.log("MO ladder, HA CPU µs/MO: " + show_all(cpu, "{:.0f}"))
        rows = [[LADDER["noop"], f"{cpu['noop']:.0f}", ""]]
        for lower, step in zip(list(LADDER)[:-2], list(LADDER)[1:-1], strict=True):
            added = f"{cpu[step] - cpu[lower]:+.0f}"
            rows.append([LADDER[step], f"{cpu[step]:.0f}", added])
        over = f"{cpu['floor'] - cpu['noop']:+.0f} over the no-op"
        rows.append([LADDER["floor"], f"{cpu['floor']:.0f}", over])
        rounds, count = self.sizes.ladder
        title = (
            "Where an MO's time goes — Home Assistant's CPU per MO at concurrency 16, "
            f"webhooks that each add one step of ours (best of {rounds} rounds of "
            f"{count:,}, the order rotating):"
        )
        self.table(title, "webhook | HA CPU µs/MO | added by the step", rows)
        body = {"entry_id": self.entry_id, "body": BODIES[2], "repeat": count}
        relayed = await self.helper("relayed", body)
        if (events := relayed["events"]) != count:
            raise RunError(f"the handler fired {events} events for {count} MOs")
        self.figures["relayed_us"] = relayed["us"]
        noop, floor, ours, parse = (cpu[k] for k in ("noop", "floor", "ours", "parse"))
        gap = (
            f"Of ours' {ours - noop:.0f} µs over the no-op, Home Assistant's part is "
            f"{floor - noop:.0f}, parse_mo {parse - noop:.0f} and the rest of ours "
            f"{round(ours - floor - parse + noop)}. Our handler alone, in a loop inside Home "
            f"Assistant on requests as Home Assistant Cloud relays them: {relayed['us']:.1f} µs"
        )
        self.lines += ["", gap]

    async def memory(self) -> None:
        """Home Assistant's RSS before and after many MOs."""
        texts = (f"{MO_CONTENTS[i % 4]} #{i}" for i in range(200))
        bodies = [mo_xml(SAVED[i % 20], text) for i, text in enumerate(texts)]
        total, samples = self.sizes.memory
        rss = [(await self.helper("stats?gc=1"))["rss"] / 2**20]
        for sample in range(samples):
            await self.load("ours", total // samples, 16, bodies)
            rss.append((await self.helper("stats?gc=1"))["rss"] / 2**20)
            self.log(f"memory: {(sample + 1) * total // samples} MOs, {rss[-1]:.1f} MB")
        growth = rss[-1] - rss[0]
        self.figures["rss_mb"] = rss
        value = f"{rss[0]:.1f} → {rss[-1]:.1f} MB ({growth:+.1f} MB)"
        self.cost.append([f"RSS before → after {total:,} MOs (after gc)", value])
        name = f"RSS growth over {total:,} MOs < {MEMORY_TARGET_MB:g} MB"
        self.target(name, f"{growth:+.1f} MB", growth < MEMORY_TARGET_MB)

    async def mt(self) -> None:
        """One send_message to n numbers against the ceiling and a sequential loop."""
        numbers = [f"425555{i:04d}" for i in range(max(self.sizes.fanout))]
        bound = asyncio.Semaphore(MAX_CONCURRENT_SENDS)
        s = self.h.settings
        for number in numbers:
            await self.h.gateway("POST", "/control/opt_in", {"number": number})
        await self.h.gateway("POST", "/control/latency", {"seconds": SIM_LATENCY})
        key, password = s.credentials
        digest = hashlib.md5((password + MT_MESSAGE).encode(), usedforsecurity=False)
        form = {"key": key, "message": MT_MESSAGE, "hash": digest.hexdigest()}
        url = f"{s.simulator_url}/messages"

        async def post(number: str) -> None:
            data = {**form, "recipient": number}
            async with bound, raw.post(url, data=data) as answer:
                await answer.read()
                if answer.status != 200:
                    raise RunError(f"the simulator answered {answer.status}")

        async def ours(n: int) -> None:
            outcomes = await self.h.send(MT_MESSAGE, numbers[:n])
            if (sent := sum(o["outcome"] == "sent" for o in outcomes)) != n:
                raise RunError(f"send_message: {sent} of {n} sent: {outcomes[:3]}")

        async def ceiling(n: int) -> None:
            await asyncio.gather(*(post(number) for number in numbers[:n]))

        async def sequential(n: int) -> None:
            for number in numbers[:n]:
                await post(number)

        rows, repeats = [], self.sizes.repeats
        async with aiohttp.ClientSession() as raw:
            await ours(10)  # warms both connection pools
            await ceiling(10)
            for n in self.sizes.fanout:
                times: dict[str, list[float]] = {"ours": [], "ceiling": []}
                times["sequential"] = []
                for i in range(repeats):
                    order = [("ours", ours), ("ceiling", ceiling)][:: (-1) ** i]
                    if i < (3 if n <= 10 else 2 if n <= 100 else 1):
                        order.append(("sequential", sequential))
                    for name, part in order:
                        started = time.perf_counter()
                        await part(n)
                        times[name].append(time.perf_counter() - started)
                t = {name: median(values) for name, values in times.items()}
                ratio, faster = t["ours"] / t["ceiling"], t["sequential"] / t["ours"]
                rows.append([f"{n:,}", *(f"{v:.3f}" for v in t.values())])
                rows[-1] += [f"{ratio:.3f}", f"{faster:.2f}"]
                self.figures[f"mt_{n}_s"] = times
                self.log(f"MT {n} recipients: {show_all(t, '{:.3f}')} s")
                name = f"MT fan-out to {n} <= {FANOUT_CEILING_TARGET}x ceiling"
                self.target(name, f"{ratio:.3f}x", ratio <= FANOUT_CEILING_TARGET)
                if n == 100:
                    name = f"MT fan-out to 100 >= {FANOUT_SEQUENTIAL_TARGET:g}x faster"
                    ok = faster >= FANOUT_SEQUENTIAL_TARGET
                    self.target(f"{name} than sequential", f"{faster:.2f}x", ok)
        await self.h.gateway("POST", "/control/latency", {"seconds": 0})
        title = (
            f"**MT fan-out** — one send_message; the simulator answers after "
            f"{SIM_LATENCY * 1e3:.0f} ms; concurrency bound {MAX_CONCURRENT_SENDS}; "
            f"median of {repeats} (sequential: up to 3, 2 and 1 runs)"
        )
        header = "recipients | ours s | ceiling s | sequential s | ours / ceiling"
        self.table(title, f"{header} | sequential / ours", rows)

    async def setup(self) -> None:
        """Time Home Assistant's setup of the entry (unloaded in between)."""
        body = {"entry_id": self.entry_id, "repeat": self.sizes.setups}
        runs = [s * 1e3 for s in (await self.helper("setup_time", body))["seconds"]]
        self.log(f"entry setup: {', '.join(f'{r:.1f}' for r in runs)} ms")
        self.figures["setup_ms"], ms = runs, median(runs)
        what = f"entry setup, 20 saved recipients (median of {len(runs)}; max)"
        self.cost.append([what, f"{ms:.1f} ms; {max(runs):.1f} ms"])
        name = f"entry setup (20 recipients) < {SETUP_TARGET_MS:g} ms"
        self.target(name, f"{ms:.1f} ms", ms < SETUP_TARGET_MS)

    async def measure(self, phases: list[str]) -> None:
        """Run the phases, once Home Assistant has written its registries; the cost table."""
        await asyncio.sleep(self.sizes.settle)  # 10 s after the last change
        for phase in phases:
            await getattr(self, phase)()
        if self.cost:
            self.table("**Cost on Home Assistant**", "measure | value", self.cost)
        problems = []
        for m in self.h.log_lines():  # of the integration, or about it
            line = f"    {m['level']} [{m['logger']}] {m['message']}"
            if m["level"] in ("WARNING", "ERROR", "CRITICAL") and "tatango" in line:
                problems.append(line[:300])
        if problems:
            about = "Warnings and errors of (or about) the integration in its log:"
            self.lines += ["", about, *problems]


def machine(ha_cpus: frozenset[int], load_cpus: list[int]) -> str:
    """Describe where the run happened."""
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    models = [x.split(":")[1].strip() for x in cpuinfo if x.startswith("model name")]
    version = importlib.metadata.version
    # Built without a compiler, every event and state change costs more.
    built = importlib.util.find_spec("ulid_transform._ulid_impl")
    ulid = "C++ extension" if built else "pure Python"
    ulid = f"{version('ulid-transform')} ({ulid})"
    pinning = "none" if not ha_cpus else f"HA on CPU {min(ha_cpus)}"
    pinning += f", load on CPU {load_cpus[0]}" if ha_cpus else ""
    return (
        f"{os.cpu_count()} × {models[0] if models else '?'} (pinning: {pinning}); Home "
        f"Assistant {version('homeassistant')}, Python {platform.python_version()}, "
        f"aiohttp {version('aiohttp')}, ulid-transform {ulid}, Linux {platform.release()}"
    )


def main() -> int:
    """Command line (scripts/bench)."""
    parser = argparse.ArgumentParser(prog="scripts/bench")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--quick", action="store_true", help="smaller sizes, to try it")
    kind.add_argument("--smoke", action="store_true", help="tiny sizes, no target")
    parser.add_argument("--only", default=",".join(PHASES), help="phases to run")
    parser.add_argument("--record", action="store_true", help="into BENCHMARKS.md")
    args = parser.parse_args()
    if unknown := set(phases := args.only.split(",")) - set(PHASES):
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}; known: {PHASES}")
    from custom_components.tatango_sms.const import MAX_CONCURRENT_SENDS as BOUND  # noqa: PLC0415

    if BOUND != MAX_CONCURRENT_SENDS:
        print(f"bench: the integration's bound is {BOUND}: update scripts/bench.py")
        return 1
    sizes = SMOKE if args.smoke else QUICK if args.quick else FULL
    ha_cpus, load_cpus = cpu_plan()
    settings = Settings(
        name="bench",
        ports=Ports(28123, 28124),
        credentials=Credentials("bench-key", "bench-password"),
        yaml="\ntatango_bench:\n",
        components=(HERE / "bench_component" / "tatango_bench",),
        ha_cpus=ha_cpus,
        timeout=120,
    )
    started, benches = time.monotonic(), []

    async def body(h: Harness) -> None:
        print("bench: Home Assistant and the gateway simulator", flush=True)
        OUTPUT.parent.mkdir(parents=True, exist_ok=True)
        benches.append(bench := Bench(h, sizes, load_cpus))
        await bench.start()
        await bench.measure([phase for phase in PHASES if phase in phases])
        if (status := await h.stop_home_assistant()) != 0:
            raise RunError(f"Home Assistant exited with status {status}")

    if status := asyncio.run(run(settings, body)):
        return status
    bench, seconds = benches[0], time.monotonic() - started
    kind = " — SMOKE RUN, tiny sizes" if args.smoke else ""
    kind = " — QUICK RUN" if args.quick else kind
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    head = f"Run {date} in {seconds:.0f} s on {machine(ha_cpus, load_cpus)}{kind}"
    if checked := not args.smoke:
        bench.table("**Targets**", "target | measured | ", bench.targets)
    text = "\n".join([head, *bench.lines])
    report = {"table": text, "sizes": sizes._asdict(), "figures": bench.figures}
    OUTPUT.write_text(json.dumps(report, indent=1, ensure_ascii=False), "utf-8")
    print(f"\n{text}\n\nbench: written to {OUTPUT.relative_to(ROOT)}", flush=True)
    if args.record:
        document = BENCHMARKS_MD.read_text(encoding="utf-8")
        before, begin, rest = document.partition(MARKERS[0])
        if not begin or MARKERS[1] not in rest:
            print(f"bench: not recorded: {BENCHMARKS_MD.name} lacks {MARKERS}")
            return 1
        after = rest.partition(MARKERS[1])[2]
        document = f"{before}{begin}\n{text}\n{MARKERS[1]}{after}"
        BENCHMARKS_MD.write_text(document, encoding="utf-8")
        print(f"bench: the table is in {BENCHMARKS_MD.name}", flush=True)
    if not checked:
        print("bench: every phase ran with the right outcomes and counts; no target")
        return 0
    return 0 if all(ok == "PASS" for *_, ok in bench.targets) else 3


if __name__ == "__main__":
    sys.exit(main())
