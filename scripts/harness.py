# ruff: noqa: INP001
"""The harness of scripts/demo, ui_journeys, bench, chaos and develop.

Runs inside Home Assistant's environment (``prepare_ha`` in scripts/lib.sh). A
script describes its run with a ``Settings`` (ports, credentials, work directory,
isolation) and ``run()`` hands its body a ``Harness``, which starts the gateway
simulator, a real Home Assistant and a browser, talks to them (REST, WebSocket,
the simulator's control API) and stops them however the run ends. Nothing here
is configured by assigning to a module's globals.

    python scripts/harness.py install    # what Home Assistant would install at run time
    python scripts/harness.py requirements [--missing]
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
import json
import os
from pathlib import Path
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "tatango_sms"
DOMAIN = "tatango_sms"
# The URL config/configuration.yaml sets, for scripts/develop.
DEVELOP_URL = "http://127.0.0.1:8123"
LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\S* (?P<level>[A-Z]+) \((?P<thread>[^)]*)\) "
    r"\[(?P<logger>[^\]]+)\] (?P<message>.*)$"
)
# Debian's Chromium, headless, with nothing that reaches out on its own.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything a run starts: ports, credentials, where, and what else it loads."""

    name: str  # in what is printed, and the work directory's prefix
    ha_port: int
    simulator_port: int
    key: str
    password: str
    owner: tuple[str, str] = ("owner", "owner-password")  # username, password
    # Run in a network namespace that has only loopback (lib.sh --isolated);
    # the harness says so when it is not.
    isolated: bool = True
    # Home Assistant's configuration directory; None: a throwaway copy of
    # config/configuration.yaml (on ha_port, plus `yaml`) in a work directory
    # .cache/<name>-*, which is deleted unless the run fails.
    config: Path | None = None
    yaml: str = ""
    components: tuple[Path, ...] = ()  # custom integrations besides ours
    ha_cpus: frozenset[int] = frozenset()  # pin Home Assistant to these CPUs
    timeout: float = 60  # for each HTTP request

    @property
    def ha_url(self) -> str:
        """Return Home Assistant's base URL."""
        return f"http://127.0.0.1:{self.ha_port}"

    @property
    def simulator_url(self) -> str:
        """Return the simulator's base URL."""
        return f"http://127.0.0.1:{self.simulator_port}"


class RunError(Exception):
    """A step's result was not what it should be, or a process died."""


def expect(condition: bool, message: str) -> None:
    """Fail the run unless condition holds."""
    if not condition:
        raise RunError(message)


def show(value: Any) -> str:
    """Return value as compact JSON for printing."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass
class Step:
    """One printed step."""

    title: str
    started: float = field(default_factory=time.monotonic)

    def detail(self, text: str) -> None:
        """Print a result line under the step."""
        print(f"      {text}", flush=True)


class Harness:
    """The processes of one run and the clients to talk to them."""

    def __init__(self, settings: Settings, workdir: Path | None) -> None:
        """Initialize for the settings; workdir holds the throwaway configuration and logs."""
        self.settings = settings
        self.workdir = workdir
        self.config = settings.config or Path(str(workdir)) / "config"
        self.http: aiohttp.ClientSession
        self.simulator: subprocess.Popen[bytes] | None = None
        self.hass: subprocess.Popen[bytes] | None = None
        self.started = 0.0  # when Home Assistant was last started
        self.token = ""
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.ws_id = 0
        self.steps = 0

    @contextlib.asynccontextmanager
    async def step(self, title: str) -> AsyncIterator[Step]:
        """Print a step's title, then its duration."""
        self.steps += 1
        print(f"[{self.steps:2}] {title}", flush=True)
        step = Step(title)
        yield step
        print(f"      ok ({time.monotonic() - step.started:.1f} s)", flush=True)

    # Processes

    def _log(self, name: str) -> Path | None:
        return self.workdir / name if self.workdir else None

    async def start_simulator(self) -> None:
        """Check both ports are free, start the simulator and wait until it answers."""
        s = self.settings
        for port in (s.simulator_port, s.ha_port):
            expect(port_free(port), f"127.0.0.1:{port} is in use")
        self.simulator = spawn(
            [
                sys.executable, "-m", "tatango_simulator", "--port", str(s.simulator_port),
                "--key", s.key, "--password", s.password,
            ],
            cwd=ROOT,
            output=self._log("simulator.log"),
        )  # fmt: skip
        await self.wait_for(
            "the simulator", lambda: self.gateway("GET", "/control/state")
        )

    def write_config(self) -> None:
        """Write the throwaway configuration (config/configuration.yaml on ha_port, plus yaml)."""
        yaml = (ROOT / "config" / "configuration.yaml").read_text(encoding="utf-8")
        expect(
            yaml.count(DEVELOP_URL) == 1,
            f"config/configuration.yaml should set internal_url: {DEVELOP_URL} once",
        )
        self.config.mkdir(parents=True)
        text = yaml.replace(DEVELOP_URL, self.settings.ha_url) + self.settings.yaml
        (self.config / "configuration.yaml").write_text(text, encoding="utf-8")

    async def start_home_assistant(self, timeout: float = 120) -> None:
        """Start Home Assistant (from its configuration directory) and wait until it answers."""
        if self.settings.config is None and not self.config.exists():
            self.write_config()
        link_components(self.config, (INTEGRATION, *self.settings.components))
        seed_http_config(self.config, self.settings.ha_port)
        args = [sys.executable, "-m", "homeassistant", "--config", str(self.config)]
        if skipped := skip_pip_packages():
            args += ["--skip-pip-packages", ",".join(skipped)]
        # From the configuration directory, so custom_components is its folder,
        # not the repository's package.
        self.hass = spawn(
            args,
            cwd=self.config,
            output=self._log("hass.out"),
            cpus=self.settings.ha_cpus,
        )
        self.started = time.monotonic()
        await self.wait_for(
            "Home Assistant", lambda: self.answers("/manifest.json"), timeout
        )

    async def kill_home_assistant(self) -> None:
        """Kill Home Assistant at once (SIGKILL), as a crash or power cut would."""
        await self.close_ws()
        assert self.hass is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.hass.pid, signal.SIGKILL)
        await asyncio.to_thread(self.hass.wait)

    async def stop_home_assistant(self) -> int:
        """Stop Home Assistant gracefully; return its exit status."""
        await self.close_ws()
        assert self.hass is not None
        return await asyncio.to_thread(stop, self.hass, 60)

    async def stop_all(self) -> None:
        """Stop the processes (idempotent)."""
        await self.close_ws()
        for process in (self.hass, self.simulator):
            if process is not None:
                await asyncio.to_thread(stop, process, 60)

    def check_processes(self) -> None:
        """Fail if a process has ended."""
        for name, process in (
            ("the simulator", self.simulator),
            ("Home Assistant", self.hass),
        ):
            if process is not None and process.poll() is not None:
                raise RunError(f"{name} exited with status {process.returncode}")

    async def wait_for(
        self, what: str, check: Callable[[], Awaitable[Any]], timeout: float = 60
    ) -> None:
        """Poll an async check until it returns truthy (errors count as not yet)."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_processes()
            with contextlib.suppress(aiohttp.ClientError, OSError, RunError):
                if await check():
                    return
            if time.monotonic() > deadline:
                raise RunError(f"{what}: nothing after {timeout:.0f} s")
            await asyncio.sleep(0.1)

    # Clients

    async def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        async with self.http.request(method, url, **kwargs) as response:
            text = await response.text()
            expect(
                response.status == 200,
                f"{method} {url} answered {response.status}: {text[:500]}",
            )
            return json.loads(text) if text else None

    async def ha(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call Home Assistant's REST API; return the JSON answer (fail unless 200)."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return await self._call(
            method, self.settings.ha_url + path, headers=headers, **kwargs
        )

    async def gateway(self, method: str, path: str, body: Any = None) -> Any:
        """Call the simulator's control API; return the JSON answer (fail unless 200)."""
        return await self._call(method, self.settings.simulator_url + path, json=body)

    async def answers(self, path: str) -> bool:
        """Return whether Home Assistant answers 200 on path."""
        async with self.http.get(self.settings.ha_url + path) as response:
            return response.status == 200

    async def connect_ws(self) -> dict[str, Any]:
        """Connect to the WebSocket API and authenticate; return the auth answer."""
        self.ws = await self.http.ws_connect(f"{self.settings.ha_url}/api/websocket")
        hello = await self.ws.receive_json()
        expect(hello["type"] == "auth_required", f"unexpected greeting {hello}")
        await self.ws.send_json({"type": "auth", "access_token": self.token})
        auth: dict[str, Any] = await self.ws.receive_json()
        expect(auth["type"] == "auth_ok", f"authentication failed: {auth}")
        return auth

    async def ws_call(self, message: dict[str, Any]) -> Any:
        """Send a WebSocket command and return its result (events are skipped)."""
        assert self.ws is not None
        self.ws_id += 1
        await self.ws.send_json({"id": self.ws_id, **message})
        while True:
            answer = await asyncio.wait_for(self.ws.receive_json(), 10)
            if answer.get("id") == self.ws_id and answer.get("type") == "result":
                expect(answer["success"], f"{message['type']} failed: {answer}")
                return answer["result"]

    async def next_event(self, subscription: int) -> dict[str, Any]:
        """Return the next event of a subscription."""
        assert self.ws is not None
        while True:
            message = await asyncio.wait_for(self.ws.receive_json(), 10)
            if message.get("type") == "event" and message.get("id") == subscription:
                event: dict[str, Any] = message["event"]
                return event

    async def close_ws(self) -> None:
        """Close the WebSocket connection."""
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    # Onboarding and the integration

    async def onboard(self, *, everything: bool = True) -> None:
        """Create the owner (keeping a token), wait until running, then the other steps.

        everything=False stops after the owner: onboarding's core_config step
        starts integrations that retry the internet in the background.
        """
        client_id = f"{self.settings.ha_url}/"
        username, password = self.settings.owner
        created = await self.ha(
            "POST",
            "/api/onboarding/users",
            json={"client_id": client_id, "name": username.title(), "username": username,
                  "password": password, "language": "en"},
        )  # fmt: skip
        tokens = await self.ha(
            "POST",
            "/auth/token",
            data={"grant_type": "authorization_code", "code": created["auth_code"],
                  "client_id": client_id},
        )  # fmt: skip
        self.token = tokens["access_token"]
        # Signals stop Home Assistant gracefully only once it is running.
        await self.wait_for("Home Assistant to finish starting", self.running, 120)
        if not everything:
            return
        await self.ha("POST", "/api/onboarding/core_config", json={})
        await self.ha("POST", "/api/onboarding/analytics", json={})
        redirect = f"{self.settings.ha_url}/?auth_callback=1"
        await self.ha(
            "POST",
            "/api/onboarding/integration",
            json={"client_id": client_id, "redirect_uri": redirect},
        )
        done = await self.ha("GET", "/api/onboarding")
        expect(all(s["done"] for s in done), f"onboarding not done: {done}")

    async def running(self) -> bool:
        """Return whether Home Assistant has finished starting."""
        return bool((await self.ha("GET", "/api/config"))["state"] == "RUNNING")

    async def entry_loaded(self, entry_id: str) -> bool:
        """Return whether the config entry is loaded."""
        entries = await self.ha("GET", "/api/config/config_entries/entry")
        return any(
            e["entry_id"] == entry_id and e["state"] == "loaded" for e in entries
        )

    async def create_entry(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Set the integration up through the config flow with the settings' credentials.

        Return the form and the created entry's flow result.
        """
        form = await self.ha(
            "POST",
            "/api/config/config_entries/flow",
            json={"handler": DOMAIN, "show_advanced_options": True},
        )
        expect(form.get("type") == "form", f"expected a form: {show(form)}")
        s = self.settings
        result = await self.ha(
            "POST",
            f"/api/config/config_entries/flow/{form['flow_id']}",
            json={
                "key": s.key,
                "password": s.password,
                "url": f"{s.simulator_url}/messages",
            },
        )
        expect(
            result.get("type") == "create_entry", f"expected an entry: {show(result)}"
        )
        return form, result

    async def add_recipient(self, entry_id: str, name: str, number: str) -> None:
        """Add a recipient through the subentry flow; wait until the entry is loaded again."""
        form = await self.ha(
            "POST",
            "/api/config/config_entries/subentries/flow",
            json={"handler": [entry_id, "recipient"]},
        )
        expect(form.get("type") == "form", f"expected a form: {show(form)}")
        result = await self.ha(
            "POST",
            f"/api/config/config_entries/subentries/flow/{form['flow_id']}",
            json={"name": name, "phone_number": number},
        )
        expect(
            result.get("type") == "create_entry", f"expected a subentry: {show(result)}"
        )
        await self.wait_for(
            "the entry to load again", lambda: self.entry_loaded(entry_id), 30
        )

    def log_lines(self) -> list[re.Match[str]]:
        """Return the entries of Home Assistant's log."""
        log = (self.config / "home-assistant.log").read_text(encoding="utf-8")
        return [m for line in log.splitlines() if (m := LOG_LINE.match(line))]

    # The browser

    @contextlib.asynccontextmanager
    async def browser(
        self, width: int, height: int, timeout_ms: int
    ) -> AsyncIterator[Any]:
        """Launch Debian's Chromium (headless) through Playwright; yield a fresh context."""
        from playwright.async_api import async_playwright, expect as see  # noqa: PLC0415

        chromium = shutil.which("chromium") or "/usr/bin/chromium"
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=chromium, headless=True, args=CHROMIUM_FLAGS
            )
            try:
                context = await browser.new_context(
                    viewport={"width": width, "height": height},
                    locale="en-US",
                    timezone_id="UTC",
                )
                context.set_default_timeout(timeout_ms)
                see.set_options(timeout=timeout_ms)
                yield context
            finally:
                await browser.close()


async def run(
    settings: Settings,
    body: Callable[[Harness], Awaitable[None]],
    *,
    errors: tuple[type[Exception], ...] = (),
) -> int:
    """Run body with a Harness, then always stop every process; return 0, 1 or 130.

    Prints how the run ended. The first Ctrl-C or SIGTERM cancels the run;
    later ones (a terminal and a wrapper script both pass Ctrl-C on) must not
    cut the clean-up short.
    """
    started = time.monotonic()
    workdir = None
    if settings.config is None:
        (ROOT / ".cache").mkdir(exist_ok=True)
        workdir = Path(
            tempfile.mkdtemp(prefix=f"{settings.name}-", dir=ROOT / ".cache")
        )
    if settings.isolated and not only_loopback():
        print(
            f"{settings.name}: not isolated: other networks are reachable", flush=True
        )
    task = asyncio.current_task()
    assert task is not None
    interrupted = False

    def interrupt() -> None:
        nonlocal interrupted
        if not interrupted:
            interrupted = True
            task.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, interrupt)
    harness = Harness(settings, workdir)
    status = 1
    try:
        timeout = aiohttp.ClientTimeout(total=settings.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as harness.http:
            try:
                await body(harness)
                status = 0
            except (
                RunError,
                aiohttp.ClientError,
                OSError,
                TimeoutError,
                *errors,
            ) as err:
                detail = (
                    str(err)
                    if isinstance(err, RunError)
                    else f"{type(err).__name__}: {err}"
                )
                print(f"{settings.name}: FAILED: {detail}", flush=True)
            finally:
                interrupted = True  # from here on, signals are ignored
                await harness.stop_all()
    except asyncio.CancelledError:
        status = 130
    elapsed = time.monotonic() - started
    steps = f"{harness.steps} steps " if harness.steps else ""
    if status == 0:
        print(f"{settings.name}: OK, {steps}in {elapsed:.1f} s", flush=True)
    elif status == 130:
        print(
            f"{settings.name}: interrupted after {elapsed:.1f} s; all stopped",
            flush=True,
        )
    elif workdir is not None:
        print(
            f"{settings.name}: logs and configuration in {workdir.relative_to(ROOT)}/"
        )
        workdir = None  # kept
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)
    return status


# Processes


def _child_setup(cpus: frozenset[int]) -> Callable[[], None]:
    def setup() -> None:
        with contextlib.suppress(Exception):  # killed when the supervising process dies
            import ctypes  # noqa: PLC0415

            ctypes.CDLL(None, use_errno=True).prctl(
                1, signal.SIGTERM
            )  # PR_SET_PDEATHSIG
        if cpus:
            os.sched_setaffinity(0, cpus)  # every thread it starts inherits it

    return setup


def spawn(
    args: list[str],
    *,
    cwd: Path,
    output: Path | None = None,
    cpus: frozenset[int] = frozenset(),
) -> subprocess.Popen[bytes]:
    """Start a child in its own session (signals reach it only through us)."""
    stdout = output.open("ab") if output is not None else None
    try:
        return subprocess.Popen(
            args,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.STDOUT if stdout else None,
            start_new_session=True,
            preexec_fn=_child_setup(cpus),  # noqa: PLW1509
        )
    finally:
        if stdout is not None:
            stdout.close()


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """Stop a child gracefully (SIGTERM), forcefully after timeout; return its status."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode


def port_free(port: int) -> bool:
    """Return whether 127.0.0.1:port can be bound (as servers do, with SO_REUSEADDR)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def only_loopback() -> bool:
    """Return whether this network namespace has no interface but loopback."""
    with contextlib.suppress(OSError):
        lines = Path("/proc/net/dev").read_text(encoding="ascii").splitlines()[2:]
        return {line.split(":")[0].strip() for line in lines} == {"lo"}
    return False


# Configuration


def link_components(config_dir: Path, components: tuple[Path, ...]) -> None:
    """Link the custom integrations into config_dir (relative links, valid wherever mounted)."""
    links = config_dir / "custom_components"
    links.mkdir(parents=True, exist_ok=True)
    for component in components:
        link = links / component.name
        target = os.path.relpath(component, links)
        if link.is_symlink() and str(link.readlink()) == target:
            continue
        if link.is_symlink() or link.exists():
            raise RunError(f"{link} exists and is not a link to {component}: remove it")
        link.symlink_to(target, target_is_directory=True)


def seed_http_config(config_dir: Path, port: int) -> None:
    """Store a confirmed HTTP configuration on 127.0.0.1:port, unless one is stored.

    Stored the way ``http/config/configure`` then ``http/config/promote`` leave
    it: an ``http:`` block in configuration.yaml is only a trial in 2026.11,
    reverted (with a restart) 5 minutes later unless someone confirms it.
    """
    store = config_dir / ".storage" / "http"
    if store.exists():
        return
    from homeassistant.components.http import config as http  # noqa: PLC0415

    stable = dict(
        http.HTTP_STORAGE_SCHEMA({"server_host": ["127.0.0.1"], "server_port": port})
    )
    stable.update(
        created_at=datetime.now(UTC).isoformat(), error=None, error_message=None
    )
    data = {
        http.KEY_STABLE: stable,
        http.KEY_PENDING: None,
        http.KEY_YAML_MIGRATION_DONE: True,
    }
    stored = {
        "version": http.STORAGE_VERSION,
        "minor_version": http.STORAGE_MINOR_VERSION,
        "key": http.STORAGE_KEY,
        "data": data,
    }
    store.parent.mkdir(parents=True, exist_ok=True)
    # default=str: the SSL profile is a StrEnum
    store.write_text(json.dumps(stored, indent=2, default=str), encoding="utf-8")
    store.chmod(0o600)


# What Home Assistant would install at run time
#
# Home Assistant installs the requirements of every integration it loads, and of
# their dependencies and after-dependencies, at run time. Installed beforehand,
# start-up neither waits on nor depends on the package index. The list comes
# from Home Assistant's own manifests: what every start loads, EXTRA_DOMAINS,
# the login's MFA modules and our custom integrations with all they depend on.

SKIP_PIP_FILE = Path(sys.prefix) / "skip-pip-packages"
ULID_PURE_FILE = Path(sys.prefix) / "ulid-transform-pure"  # its rebuild failed once
# The minimal configuration's, what onboarding's core_config step starts, the
# voice pipeline (imported while the frontend loads its list of actions), the
# Supervisor's (imported here and there even without one) and the recorder
# (scripts/chaos records events with it).
EXTRA_DOMAINS = (
    *("config", "frontend", "http", "logger", "google_translate", "met"),
    *("radio_browser", "shopping_list", "assist_pipeline", "hassio", "recorder"),
)
# Not requirements, but without them Home Assistant warns that its HTTP
# compression falls back to the slow zlib (its container image has them).
SPEEDUPS = ("isal", "zlib-ng")
# Built with a C++ compiler for Python 3.14 (no wheels). Where that fails, the
# abi3 wheels of later versions are installed instead and Home Assistant is
# told to leave these alone (--skip-pip-packages): only the import matters.
FALLBACK_WHEELS = {
    "pymicro-vad": "pymicro-vad==2.1.0",
    "pyspeex-noise": "pyspeex-noise==2.0.1",
}


def requirements() -> list[str]:
    """Return every requirement Home Assistant may process here, with Home Assistant's pins."""
    import homeassistant  # noqa: PLC0415
    from homeassistant import bootstrap  # noqa: PLC0415
    from homeassistant.auth.mfa_modules import notify, totp  # noqa: PLC0415
    from homeassistant.requirements import DISCOVERY_INTEGRATIONS  # noqa: PLC0415

    components = Path(homeassistant.__file__).parent / "components"
    found = dict.fromkeys([*totp.REQUIREMENTS, *notify.REQUIREMENTS, *SPEEDUPS])
    todo = [
        *bootstrap.CORE_INTEGRATIONS,
        *bootstrap.DEFAULT_INTEGRATIONS,
        *EXTRA_DOMAINS,
    ]
    todo += [p.parent.name for p in INTEGRATION.parent.glob("*/manifest.json")]
    seen: set[str] = set()
    while todo:
        if (domain := todo.pop()) in seen:
            continue
        seen.add(domain)
        path = INTEGRATION.parent / domain / "manifest.json"
        if not path.is_file():
            path = components / domain / "manifest.json"
        if not path.is_file():
            continue  # an after-dependency that does not exist is allowed
        manifest = json.loads(path.read_text(encoding="utf-8"))
        found.update(dict.fromkeys(manifest.get("requirements", [])))
        todo += manifest.get("dependencies", []) + manifest.get(
            "after_dependencies", []
        )
        todo += [
            d
            for d, keys in DISCOVERY_INTEGRATIONS.items()
            if any(k in manifest for k in keys)
        ]
    return sorted(found, key=str.lower)


def missing_requirements() -> list[str]:
    """Return the requirements Home Assistant would try to install."""
    from homeassistant.util.package import is_installed  # noqa: PLC0415

    skipped = set(skip_pip_packages())
    return [
        r
        for r in requirements()
        if not is_installed(r) and r.split("==")[0] not in skipped
    ]


def skip_pip_packages() -> list[str]:
    """Return the packages Home Assistant must not try to install (see FALLBACK_WHEELS)."""
    return (
        SKIP_PIP_FILE.read_text(encoding="utf-8").split()
        if SKIP_PIP_FILE.is_file()
        else []
    )


def _pip(*args: str) -> bool:
    import homeassistant  # noqa: PLC0415

    constraints = Path(homeassistant.__file__).parent / "package_constraints.txt"
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
    ]
    return (
        subprocess.run(
            [*command, "-c", str(constraints), *args], check=False
        ).returncode
        == 0
    )


def _ensure_compiled_ulid() -> None:
    """Rebuild ulid-transform from source if its installed wheel lacks the C++ extension.

    Every event and state change makes a ULID; the wheel some package indexes
    serve for Python 3.14 is a pure-Python build, which makes each of them
    slower than in Home Assistant's container image.
    """
    import importlib  # noqa: PLC0415
    import importlib.metadata  # noqa: PLC0415
    import importlib.util  # noqa: PLC0415

    if ULID_PURE_FILE.is_file() or importlib.util.find_spec(
        "ulid_transform._ulid_impl"
    ):
        return
    version = importlib.metadata.version("ulid-transform")
    print(
        f">> building ulid-transform {version} with its C++ extension", file=sys.stderr
    )
    rebuilt = _pip(
        *("--no-deps", "--force-reinstall", "--no-cache-dir", "--no-binary"),
        *("ulid-transform", f"ulid-transform=={version}"),
    )
    importlib.invalidate_caches()
    if not rebuilt or not importlib.util.find_spec("ulid_transform._ulid_impl"):
        print(">> no C++ compiler? ulid-transform stays pure Python", file=sys.stderr)
        ULID_PURE_FILE.touch()


def install() -> int:
    """Install whatever is missing; return an exit status."""
    _ensure_compiled_ulid()
    if not (missing := missing_requirements()):
        return 0
    print(
        f">> installing {len(missing)} packages Home Assistant would install at run time"
    )
    if _pip(*missing):
        return 0
    # Most likely a source build failed: install the rest, then the fallbacks.
    names = {req: req.split("==")[0] for req in missing}
    if (rest := [r for r in missing if names[r] not in FALLBACK_WHEELS]) and not _pip(
        *rest
    ):
        return 1
    if fallback := [names[r] for r in missing if names[r] in FALLBACK_WHEELS]:
        print(">> no C++ compiler? using the abi3 wheels of " + ", ".join(fallback))
        if not _pip("--no-deps", *(FALLBACK_WHEELS[name] for name in fallback)):
            return 1
        skipped = " ".join(sorted({*skip_pip_packages(), *fallback}))
        SKIP_PIP_FILE.write_text(skipped + "\n", encoding="utf-8")
    return 0 if not missing_requirements() else 1


def main() -> int:
    """Command line for scripts/lib.sh."""
    parser = argparse.ArgumentParser(prog="harness.py")
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser(
        "requirements", help="list what Home Assistant may install"
    )
    listing.add_argument(
        "--missing", action="store_true", help="only what is not installed"
    )
    sub.add_parser("install", help="install whatever is missing")
    args = parser.parse_args()
    if args.command == "install":
        return install()
    print("\n".join(missing_requirements() if args.missing else requirements()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
