# ruff: noqa: INP001
"""The harness of scripts/demo, ui_journeys, bench, chaos and develop.

A script describes its run with a Settings; run() hands its body a Harness,
which starts the gateway simulator, Home Assistant and a browser, talks to
them and stops them however the run ends. ``python scripts/harness.py
install`` installs what Home Assistant would otherwise install at run time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
from dataclasses import dataclass
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
from typing import Any, NamedTuple

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "tatango_sms"
DOMAIN = "tatango_sms"
DEVELOP_URL = "http://127.0.0.1:8123"  # what config/configuration.yaml sets
LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\S* (?P<level>[A-Z]+) \((?P<thread>[^)]*)\) "
    r"\[(?P<logger>[^\]]+)\] (?P<message>.*)$"
)
# Debian's Chromium, headless, with nothing that reaches out on its own.
CHROMIUM_FLAGS = [
    *("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"),
    *("--disable-background-networking", "--disable-component-update"),
    "--disable-sync",
]


class Ports(NamedTuple):
    """Home Assistant's and the simulator's ports, on 127.0.0.1."""

    ha: int
    simulator: int


class Credentials(NamedTuple):
    """The gateway's key and password."""

    key: str
    password: str


@dataclass(frozen=True, kw_only=True)
class Settings:
    """What a run starts: ports, credentials, where, and what else it loads."""

    name: str  # in what is printed, and the work directory's prefix
    ports: Ports
    credentials: Credentials
    owner: tuple[str, str] = ("owner", "owner-password")  # username, password
    # In a network namespace that has only loopback (lib.sh); said if not.
    isolated: bool = True
    # Home Assistant's configuration directory; None: a throwaway copy of
    # config/configuration.yaml (on its port, plus yaml) in a work directory
    # .cache/<name>-*, deleted unless the run fails.
    config: Path | None = None
    yaml: str = ""
    components: tuple[Path, ...] = ()  # custom integrations besides ours
    ha_cpus: frozenset[int] = frozenset()  # pin Home Assistant to these CPUs
    timeout: float = 60  # for each HTTP request

    @property
    def ha_url(self) -> str:
        """Return Home Assistant's base URL."""
        return f"http://127.0.0.1:{self.ports.ha}"

    @property
    def simulator_url(self) -> str:
        """Return the simulator's base URL."""
        return f"http://127.0.0.1:{self.ports.simulator}"


Check = Callable[[], Awaitable[Any]]  # an async check: truthy when done


class RunError(Exception):
    """A step's result was not what it should be, or a process died."""


def expect(condition: bool, message: str) -> None:
    """Fail the run unless condition holds."""
    if not condition:
        raise RunError(message)


def show(value: Any) -> str:
    """Return value as compact JSON for printing."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def detail(text: str) -> None:
    """Print a result line under a step."""
    print(f"      {text}", flush=True)


class Harness:
    """The processes of one run and the clients to talk to them."""

    def __init__(self, settings: Settings, workdir: Path | None) -> None:
        """Initialize for the settings; workdir is for the configuration and logs."""
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
    async def step(self, title: str) -> AsyncIterator[None]:
        """Print a step's title, then its duration."""
        self.steps += 1
        print(f"[{self.steps:2}] {title}", flush=True)
        started = time.monotonic()
        yield
        print(f"      ok ({time.monotonic() - started:.1f} s)", flush=True)

    # Processes

    def _spawn(self, args: list[str], cwd: Path, log: str) -> subprocess.Popen[bytes]:
        """Start a child in its own session (signals reach it only through us)."""
        out = (self.workdir / log).open("ab") if self.workdir else None
        cpus = self.settings.ha_cpus if log == "hass.out" else frozenset()
        options = {"stdin": subprocess.DEVNULL, "start_new_session": True}
        options |= {"stdout": out, "stderr": subprocess.STDOUT if out else None}
        with out or contextlib.nullcontext():
            setup = lambda: _child_setup(cpus)  # noqa: E731
            return subprocess.Popen(args, cwd=cwd, preexec_fn=setup, **options)  # noqa: PLW1509

    async def start_simulator(self) -> None:
        """Check both ports are free, start the simulator and wait until it answers."""
        s = self.settings
        for port in s.ports:
            expect(port_free(port), f"127.0.0.1:{port} is in use")
        key, password = s.credentials
        args = ["--port", str(s.ports.simulator), "--key", key, "--password", password]
        command = [sys.executable, "-m", "tatango_simulator", *args]
        self.simulator = self._spawn(command, ROOT, "simulator.log")
        alive = lambda: self.gateway("GET", "/control/state")  # noqa: E731
        await self.wait_for("the simulator", alive)

    async def start_home_assistant(self, timeout: float = 120) -> None:
        """Start Home Assistant (from its configuration directory); wait until it answers."""
        s = self.settings
        if s.config is None and not self.config.exists():
            yaml = (ROOT / "config" / "configuration.yaml").read_text(encoding="utf-8")
            expect(yaml.count(DEVELOP_URL) == 1, f"configuration.yaml: {DEVELOP_URL}?")
            self.config.mkdir(parents=True)
            yaml = yaml.replace(DEVELOP_URL, s.ha_url) + s.yaml
            (self.config / "configuration.yaml").write_text(yaml, encoding="utf-8")
        link_components(self.config, (INTEGRATION, *s.components))
        seed_http_config(self.config, s.ports.ha)
        args = [sys.executable, "-m", "homeassistant", "--config", str(self.config)]
        if skipped := skip_pip_packages():
            args += ["--skip-pip-packages", ",".join(skipped)]
        # From the configuration directory, so custom_components is its folder,
        # not the repository's package.
        self.hass = self._spawn(args, self.config, "hass.out")
        self.started = time.monotonic()
        await self.wait_for("Home Assistant", self.answers, timeout)

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
        return await asyncio.to_thread(stop, self.hass)

    async def stop_all(self) -> None:
        """Stop the processes (idempotent)."""
        await self.close_ws()
        for process in (self.hass, self.simulator):
            if process is not None:
                await asyncio.to_thread(stop, process)

    def check_processes(self) -> None:
        """Fail if a process has ended."""
        for name, process in (("simulator", self.simulator), ("HA", self.hass)):
            if process is not None and process.poll() is not None:
                raise RunError(f"{name} exited with status {process.returncode}")

    async def wait_for(self, what: str, check: Check, timeout: float = 60) -> None:
        """Poll an async check until it returns truthy (errors count as not yet)."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_processes()
            with contextlib.suppress(aiohttp.ClientError, OSError, RunError):
                if await check():
                    return
            expect(time.monotonic() < deadline, f"{what}: nothing after {timeout} s")
            await asyncio.sleep(0.1)

    # Clients

    async def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        async with self.http.request(method, url, **kwargs) as response:
            text, status = await response.text(), response.status
            expect(status == 200, f"{method} {url} answered {status}: {text[:500]}")
            return json.loads(text) if text else None

    async def ha(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call Home Assistant's REST API; return the JSON answer (fail unless 200)."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        url = self.settings.ha_url + path
        return await self._call(method, url, headers=headers, **kwargs)

    async def gateway(self, method: str, path: str, body: Any = None) -> Any:
        """Call the simulator's control API; return the JSON answer (fail unless 200)."""
        url = self.settings.simulator_url + path
        return await self._call(method, url, json=body)

    async def state(self, entity_id: str) -> dict[str, Any]:
        """Return an entity's state object (REST)."""
        state: dict[str, Any] = await self.ha("GET", f"/api/states/{entity_id}")
        return state

    async def state_is(self, entity_id: str, state: str) -> bool:
        """Return whether the entity is in state."""
        return bool((await self.state(entity_id))["state"] == state)

    async def requests(self, after: int = 0) -> list[dict[str, Any]]:
        """Return what the gateway received, from request number after on."""
        return list((await self.gateway("GET", "/control/state"))["requests"][after:])

    async def answers(self) -> bool:
        """Return whether Home Assistant serves its frontend's manifest."""
        url = f"{self.settings.ha_url}/manifest.json"
        async with self.http.get(url) as response:
            return response.status == 200

    async def send(self, message: str, recipients: list[str]) -> list[dict[str, Any]]:
        """Call tatango_sms.send_message; return each recipient's outcome."""
        path = f"/api/services/{DOMAIN}/send_message?return_response"
        body = {"message": message, "recipients": recipients}
        answer = await self.ha("POST", path, json=body)
        outcomes: list[dict[str, Any]] = answer["service_response"]["recipients"]
        return outcomes

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

        everything=False: only the owner (core_config starts integrations that retry
        the internet in the background).
        """
        client_id = f"{self.settings.ha_url}/"
        user, password = self.settings.owner
        owner = {"name": user.title(), "username": user, "password": password}
        body = {"client_id": client_id, "language": "en", **owner}
        created = await self.ha("POST", "/api/onboarding/users", json=body)
        grant = {"grant_type": "authorization_code", "code": created["auth_code"]}
        grant["client_id"] = client_id
        self.token = (await self.ha("POST", "/auth/token", data=grant))["access_token"]
        # Signals stop Home Assistant gracefully only once it is running.
        await self.wait_for("Home Assistant to finish starting", self.running, 120)
        if not everything:
            return
        await self.ha("POST", "/api/onboarding/core_config", json={})
        await self.ha("POST", "/api/onboarding/analytics", json={})
        redirect = f"{self.settings.ha_url}/?auth_callback=1"
        body = {"client_id": client_id, "redirect_uri": redirect}
        await self.ha("POST", "/api/onboarding/integration", json=body)
        done = await self.ha("GET", "/api/onboarding")
        expect(all(s["done"] for s in done), f"onboarding not done: {done}")

    async def running(self) -> bool:
        """Return whether Home Assistant has finished starting."""
        return bool((await self.ha("GET", "/api/config"))["state"] == "RUNNING")

    async def entry_loaded(self, entry_id: str) -> bool:
        """Return whether the config entry is loaded."""
        entries = await self.ha("GET", "/api/config/config_entries/entry")
        loaded = {e["entry_id"] for e in entries if e["state"] == "loaded"}
        return entry_id in loaded

    async def flow(self, kind: str, handler: Any, data: dict[str, Any]) -> list[Any]:
        """Run a one-form config ("") or subentry flow; return the form and the result."""
        path = f"/api/config/config_entries/{kind}flow"
        start = {"handler": handler, "show_advanced_options": True}
        form = await self.ha("POST", path, json=start)
        expect(form.get("type") == "form", f"expected a form: {show(form)}")
        result = await self.ha("POST", f"{path}/{form['flow_id']}", json=data)
        created = result.get("type") == "create_entry"
        expect(created, f"expected an entry: {show(result)}")
        return [form, result]

    async def create_entry(self) -> list[Any]:
        """Set the integration up with the settings' credentials (form, result)."""
        url = f"{self.settings.simulator_url}/messages"
        data = {**self.settings.credentials._asdict(), "url": url}
        return await self.flow("", DOMAIN, data)

    async def add_recipient(self, entry_id: str, name: str, number: str) -> None:
        """Add a recipient; wait until the entry is loaded again."""
        data = {"name": name, "phone_number": number}
        await self.reload_with("subentries/", [entry_id, "recipient"], data)

    async def reload_with(self, kind: str, handler: Any, data: dict[str, Any]) -> Any:
        """Run a flow that reloads the entry (kind "options/"...); wait; return flow()'s."""
        shown = await self.flow(kind, handler, data)
        await self.wait_loaded(handler[0] if isinstance(handler, list) else handler)
        return shown

    async def wait_loaded(self, entry_id: str, timeout: float = 30) -> None:
        """Wait until the config entry is loaded (again)."""
        loaded = lambda: self.entry_loaded(entry_id)  # noqa: E731
        await self.wait_for("the entry to be loaded", loaded, timeout)

    def log_lines(self) -> list[re.Match[str]]:
        """Return the entries of Home Assistant's log."""
        log = (self.config / "home-assistant.log").read_text(encoding="utf-8")
        return [m for line in log.splitlines() if (m := LOG_LINE.match(line))]

    @contextlib.asynccontextmanager
    async def browser(
        self, size: tuple[int, int], timeout_ms: int
    ) -> AsyncIterator[Any]:
        """Launch Debian's Chromium (headless) by Playwright; yield a fresh context."""
        from playwright.async_api import async_playwright, expect as see  # noqa: PLC0415

        chromium = shutil.which("chromium") or "/usr/bin/chromium"
        options = {"executable_path": chromium, "args": CHROMIUM_FLAGS}
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(headless=True, **options)
            try:
                viewport = {"width": size[0], "height": size[1]}
                options = {"locale": "en-US", "timezone_id": "UTC"}
                context = await browser.new_context(viewport=viewport, **options)
                context.set_default_timeout(timeout_ms)
                see.set_options(timeout=timeout_ms)
                yield context
            finally:
                await browser.close()


async def run(
    settings: Settings,
    body: Callable[[Harness], Awaitable[None]],
    errors: tuple[type[Exception], ...] = (),
) -> int:
    """Run body with a Harness, then always stop every process; return 0, 1 or 130.

    The first Ctrl-C or SIGTERM cancels the run; later ones (a terminal and a
    wrapper script both pass Ctrl-C on) must not cut the clean-up short.
    """
    started, name, workdir = time.monotonic(), settings.name, None
    if settings.config is None:
        (ROOT / ".cache").mkdir(exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=ROOT / ".cache"))
    if settings.isolated and not only_loopback():
        print(f"{name}: not isolated: other networks are reachable", flush=True)
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
    h, status = Harness(settings, workdir), 1
    failures = (RunError, aiohttp.ClientError, OSError, TimeoutError, *errors)
    try:
        timeout = aiohttp.ClientTimeout(total=settings.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as h.http:
            try:
                await body(h)
                status = 0
            except failures as err:
                why = str(err) if isinstance(err, RunError) else repr(err)
                print(f"{name}: FAILED: {why}", flush=True)
            finally:
                interrupted = True  # from here on, signals are ignored
                await h.stop_all()
    except asyncio.CancelledError:
        status = 130
    elapsed = time.monotonic() - started
    if status == 0:
        steps = f"{h.steps} steps " if h.steps else ""
        print(f"{name}: OK, {steps}in {elapsed:.1f} s", flush=True)
    elif status == 130:
        print(f"{name}: interrupted after {elapsed:.1f} s; all stopped", flush=True)
    elif workdir is not None:
        print(f"{name}: logs and configuration in {workdir.relative_to(ROOT)}/")
        workdir = None  # kept
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)
    return status


def _child_setup(cpus: frozenset[int]) -> None:
    """In the child: die with the supervising process (Linux); pin to cpus."""
    with contextlib.suppress(Exception):
        import ctypes  # noqa: PLC0415

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if cpus:
        os.sched_setaffinity(0, cpus)  # every thread it starts inherits it


def stop(process: subprocess.Popen[bytes], timeout: float = 60) -> int:
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


def link_components(config_dir: Path, components: tuple[Path, ...]) -> None:
    """Link custom integrations in (relative links: valid wherever it is mounted)."""
    links = config_dir / "custom_components"
    links.mkdir(parents=True, exist_ok=True)
    for component in components:
        link, target = links / component.name, os.path.relpath(component, links)
        if link.is_symlink() and str(link.readlink()) == target:
            continue
        expect(not link.exists() and not link.is_symlink(), f"{link}: remove it")
        link.symlink_to(target, target_is_directory=True)


def seed_http_config(config_dir: Path, port: int) -> None:
    """Store a confirmed HTTP configuration on 127.0.0.1:port, unless one is stored.

    In 2026.11 an ``http:`` block in configuration.yaml is only a trial, reverted
    (with a restart) 5 minutes later unless someone confirms it.
    """
    store = config_dir / ".storage" / "http"
    if store.exists():
        return
    from homeassistant.components.http import config as http  # noqa: PLC0415

    stable = {"server_host": ["127.0.0.1"], "server_port": port}
    stable = dict(http.HTTP_STORAGE_SCHEMA(stable))
    stable |= {"created_at": datetime.now(UTC).isoformat(), "error": None}
    stable["error_message"] = None
    data = {http.KEY_STABLE: stable, http.KEY_PENDING: None}
    data[http.KEY_YAML_MIGRATION_DONE] = True
    stored = {"version": http.STORAGE_VERSION, "key": http.STORAGE_KEY, "data": data}
    stored["minor_version"] = http.STORAGE_MINOR_VERSION
    store.parent.mkdir(parents=True, exist_ok=True)
    # default=str: the SSL profile is a StrEnum
    store.write_text(json.dumps(stored, indent=2, default=str), encoding="utf-8")
    store.chmod(0o600)


# What Home Assistant would install at run time: the requirements of every
# integration it loads, with their dependencies and after-dependencies.
# Installed beforehand, start-up neither waits on nor depends on the package
# index. The list comes from Home Assistant's own manifests: what every start
# loads, EXTRA_DOMAINS, the login's MFA modules and our custom integrations.

SKIP_PIP_FILE = Path(sys.prefix) / "skip-pip-packages"
ULID_PURE_FILE = Path(sys.prefix) / "ulid-transform-pure"  # its rebuild failed once
# The minimal configuration's, what onboarding's core_config step starts, the
# voice pipeline (imported while the frontend loads its list of actions), the
# Supervisor's (imported here and there even without one) and the recorder
# (scripts/chaos records events with it).
EXTRA_DOMAINS = (
    *("config", "frontend", "http", "logger", "google_translate", "met", "hassio"),
    *("radio_browser", "shopping_list", "assist_pipeline", "recorder"),
    *("conversation", "template", "automation", "input_boolean"),  # scripts/demo's
)
# Not requirements, but without them Home Assistant warns that its HTTP
# compression falls back to the slow zlib (its container image has them).
SPEEDUPS = ("isal", "zlib-ng")
# Built with a C++ compiler for Python 3.14 (no wheels). Where that fails, the
# abi3 wheels of later versions are installed instead and Home Assistant is
# told to leave these alone (--skip-pip-packages): only the import matters.
FALLBACK_WHEELS = {"pymicro-vad": "2.1.0", "pyspeex-noise": "2.0.1"}


def requirements() -> list[str]:
    """Return every requirement Home Assistant may process here, with its pins."""
    import homeassistant  # noqa: PLC0415
    from homeassistant import bootstrap  # noqa: PLC0415
    from homeassistant.auth.mfa_modules import notify, totp  # noqa: PLC0415
    from homeassistant.requirements import DISCOVERY_INTEGRATIONS  # noqa: PLC0415

    components = Path(homeassistant.__file__).parent / "components"
    found = dict.fromkeys([*totp.REQUIREMENTS, *notify.REQUIREMENTS, *SPEEDUPS])
    todo = [*bootstrap.CORE_INTEGRATIONS, *bootstrap.DEFAULT_INTEGRATIONS]
    todo += [*EXTRA_DOMAINS, INTEGRATION.name]
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
        todo += manifest.get("dependencies", [])
        todo += manifest.get("after_dependencies", [])
        by_keys = DISCOVERY_INTEGRATIONS.items()
        todo += [name for name, keys in by_keys if any(k in manifest for k in keys)]
    return sorted(found, key=str.lower)


def missing_requirements() -> list[str]:
    """Return the requirements Home Assistant would try to install."""
    from homeassistant.util.package import is_installed  # noqa: PLC0415

    skipped = skip_pip_packages()
    return [r for r in requirements() if not is_installed(r) and name(r) not in skipped]


def name(requirement: str) -> str:
    """Return a pinned requirement's package name."""
    return requirement.partition("==")[0]


def skip_pip_packages() -> list[str]:
    """Return the packages Home Assistant must not try to install (FALLBACK_WHEELS)."""
    if not SKIP_PIP_FILE.is_file():
        return []
    return SKIP_PIP_FILE.read_text(encoding="utf-8").split()


def pip(*args: str) -> bool:
    """Install with pip, under Home Assistant's constraints; return whether it worked."""
    import homeassistant  # noqa: PLC0415

    constraints = Path(homeassistant.__file__).parent / "package_constraints.txt"
    command = ["-m", "pip", "install", "-q", "--disable-pip-version-check", "-c"]
    command = [sys.executable, *command, str(constraints), *args]
    return subprocess.run(command, check=False).returncode == 0


def ensure_compiled_ulid() -> None:
    """Rebuild ulid-transform from source if its wheel lacks the C++ extension.

    Every event and state change makes a ULID; some indexes serve a pure-Python
    wheel for Python 3.14, slower than Home Assistant's container image.
    """
    import importlib  # noqa: PLC0415
    import importlib.metadata  # noqa: PLC0415
    import importlib.util  # noqa: PLC0415

    built = lambda: importlib.util.find_spec("ulid_transform._ulid_impl")  # noqa: E731
    if ULID_PURE_FILE.is_file() or built():
        return
    version = importlib.metadata.version("ulid-transform")
    print(f">> building ulid-transform {version} with its C++ extension")
    options = ["--no-deps", "--force-reinstall", "--no-cache-dir", "--no-binary"]
    rebuilt = pip(*options, "ulid-transform", f"ulid-transform=={version}")
    importlib.invalidate_caches()
    if not rebuilt or not built():
        print(">> no C++ compiler? ulid-transform stays pure Python")
        ULID_PURE_FILE.touch()


def install() -> int:
    """Install whatever is missing; return an exit status."""
    ensure_compiled_ulid()
    if not (missing := missing_requirements()):
        return 0
    print(f">> installing {len(missing)} packages Home Assistant would install itself")
    if pip(*missing):
        return 0
    # Most likely a source build failed: install the rest, then the fallbacks.
    rest = [r for r in missing if name(r) not in FALLBACK_WHEELS]
    if rest and not pip(*rest):
        return 1
    if fallback := [name(r) for r in missing if name(r) in FALLBACK_WHEELS]:
        print(">> no C++ compiler? using the abi3 wheels of " + ", ".join(fallback))
        if not pip("--no-deps", *(f"{p}=={FALLBACK_WHEELS[p]}" for p in fallback)):
            return 1
        skipped = " ".join(sorted({*skip_pip_packages(), *fallback}))
        SKIP_PIP_FILE.write_text(skipped + "\n", encoding="utf-8")
    return 0 if not missing_requirements() else 1


if __name__ == "__main__":
    sys.exit(install() if sys.argv[1:] == ["install"] else 2)
