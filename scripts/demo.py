# ruff: noqa: INP001
"""End-to-end demo: a real Home Assistant and the gateway simulator, nothing mocked.

Runs inside the environment scripts/demo prepares (normally in a network
namespace that has only loopback). Starts the simulator and Home Assistant
with a throwaway copy of config/configuration.yaml, onboards over REST, sets
the integration up through the config-flow API, adds a recipient, sends
through ``tatango_sms.send_message``, checks what the gateway received, has the
gateway post an incoming SMS to the webhook and waits for
``tatango_sms_received`` over the WebSocket API. Prints every step; exits 1 on
any mismatch. Both processes are always stopped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
from dataclasses import dataclass
import hashlib
import json
from pathlib import Path
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import ha_env

HA_PORT = 18123
SIMULATOR_PORT = 18124
HA_URL = f"http://127.0.0.1:{HA_PORT}"
# The URL config/configuration.yaml sets, for scripts/develop.
DEVELOP_URL = "http://127.0.0.1:8123"
SIMULATOR_URL = f"http://127.0.0.1:{SIMULATOR_PORT}"
CLIENT_ID = f"{HA_URL}/"
KEY = "demo-key"
PASSWORD = "demo-password"  # noqa: S105
USER, USER_PASSWORD = "demo", "demo-owner-password"
RECIPIENT = "Alice"
NUMBER_TYPED, NUMBER = "(206) 555-0123", "2065550123"
MESSAGE = "Garage door open for 10 min — café ✓"  # non-ASCII: the hash covers UTF-8
INCOMING = "ping from the demo <b>&amp;</b> ]]> done"  # XML specials, CDATA end
FORM_FIELDS = {"key", "recipient", "message", "hash"}
DOMAIN = "tatango_sms"
EVENT = "tatango_sms_received"
UNTESTED_CUSTOM = "We found a custom integration"
# What onboarding's core_config step sets up and fails (or is cancelled at
# shutdown) without internet access: the demo has none, on purpose.
NEEDS_INTERNET = (
    "radio_browser",
    "Radio Browser",
    "met.no",
    "'met'",
    "google_translate",
)
# Loggers that complain when ffmpeg or libturbojpeg is not installed (the root
# filesystem has both; a native Python's system may not).
MISSING_SYSTEM_PACKAGES = ("haffmpeg", "homeassistant.components.camera.img_util")
LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\S* (?P<level>[A-Z]+) \((?P<thread>[^)]*)\) "
    r"\[(?P<logger>[^\]]+)\] (?P<message>.*)$"
)


class DemoError(Exception):
    """A step's result was not what it should be."""


def expect(condition: bool, message: str) -> None:
    """Fail the step unless condition holds."""
    if not condition:
        raise DemoError(message)


def show(value: Any) -> str:
    """Return value as compact JSON for printing."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass
class Step:
    """One printed step."""

    number: int
    title: str
    started: float

    def detail(self, text: str) -> None:
        """Print a result line under the step."""
        print(f"      {text}", flush=True)


class Demo:
    """The demo's state and its steps."""

    def __init__(self, workdir: Path) -> None:
        """Initialize with the throwaway directory."""
        self.workdir = workdir
        self.config = workdir / "config"
        self.http: aiohttp.ClientSession
        self.simulator: subprocess.Popen[bytes] | None = None
        self.hass: subprocess.Popen[bytes] | None = None
        self.token = ""
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.ws_id = 0
        self.event_subscription = 0
        self.entry_id = ""
        self.webhook_url = ""
        self.steps = 0
        self.started = 0.0

    # Output

    @contextlib.asynccontextmanager
    async def step(self, title: str) -> AsyncIterator[Step]:
        """Print a step's title, then its outcome and duration."""
        self.steps += 1
        print(f"[{self.steps:2}] {title}", flush=True)
        step = Step(self.steps, title, time.monotonic())
        yield step
        print(f"      ok ({time.monotonic() - step.started:.1f} s)", flush=True)

    # HTTP helpers

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def ha(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call Home Assistant's REST API; return the JSON answer (fail unless 200)."""
        async with self.http.request(
            method, f"{HA_URL}{path}", headers=self._auth(), **kwargs
        ) as response:
            text = await response.text()
            expect(
                response.status == 200,
                f"{method} {path} answered {response.status}: {text[:500]}",
            )
            return json.loads(text) if text else None

    async def gateway(self, method: str, path: str, body: Any = None) -> Any:
        """Call the simulator's control API; return the JSON answer (fail unless 200)."""
        async with self.http.request(
            method, f"{SIMULATOR_URL}{path}", json=body
        ) as response:
            text = await response.text()
            expect(
                response.status == 200,
                f"simulator {path} answered {response.status}: {text[:500]}",
            )
            return json.loads(text)

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

    async def start_simulator(self) -> None:
        """Check both ports are free, start the gateway simulator and wait until it answers."""
        for port in (SIMULATOR_PORT, HA_PORT):
            expect(ha_env.port_free(port), f"127.0.0.1:{port} is in use")
        self.simulator = ha_env.start_simulator(
            SIMULATOR_PORT, KEY, PASSWORD, output=self.workdir / "simulator.log"
        )
        await self.wait_for(
            "the simulator", lambda: self._answers(f"{SIMULATOR_URL}/control/state")
        )

    async def start_home_assistant(self) -> None:
        """Start Home Assistant on a throwaway configuration and wait until it answers."""
        self.write_config()
        self.hass = ha_env.start_home_assistant(
            self.config, output=self.workdir / "hass.out"
        )
        self.started = time.monotonic()
        await self.wait_for(
            "Home Assistant", lambda: self._answers(f"{HA_URL}/manifest.json"), 120
        )

    def write_config(self, extra: str = "") -> None:
        """Write the throwaway configuration: config/configuration.yaml on HA_PORT, plus extra."""
        yaml = (ha_env.ROOT / "config" / "configuration.yaml").read_text(
            encoding="utf-8"
        )
        expect(
            yaml.count(DEVELOP_URL) == 1,
            f"config/configuration.yaml should set internal_url: {DEVELOP_URL} once",
        )
        self.config.mkdir()
        (self.config / "configuration.yaml").write_text(
            yaml.replace(DEVELOP_URL, HA_URL) + extra, encoding="utf-8"
        )
        ha_env.prepare_config(self.config, HA_PORT)

    async def create_owner(self, name: str, username: str, password: str) -> None:
        """Onboard the owner and keep an access token for the REST and WebSocket APIs."""
        created = await self.ha(
            "POST",
            "/api/onboarding/users",
            json={
                "client_id": CLIENT_ID,
                "name": name,
                "username": username,
                "password": password,
                "language": "en",
            },
        )
        tokens = await self.ha(
            "POST",
            "/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": created["auth_code"],
                "client_id": CLIENT_ID,
            },
        )
        self.token = tokens["access_token"]

    async def wait_for(
        self, what: str, check: Callable[[], Any], timeout: float = 60
    ) -> None:
        """Poll an async check until it returns truthy."""
        deadline = time.monotonic() + timeout
        while True:
            for name, process in (
                ("simulator", self.simulator),
                ("Home Assistant", self.hass),
            ):
                if process is not None and process.poll() is not None:
                    raise DemoError(f"{name} exited with status {process.returncode}")
            with contextlib.suppress(aiohttp.ClientError, OSError):
                if await check():
                    return
            if time.monotonic() > deadline:
                raise DemoError(f"{what}: nothing after {timeout:.0f} s")
            await asyncio.sleep(0.1)

    async def _answers(self, url: str) -> bool:
        async with self.http.get(url) as response:
            return response.status == 200

    # Steps

    async def run(self) -> None:
        """Run every step."""
        async with self.step(
            f"start the gateway simulator on 127.0.0.1:{SIMULATOR_PORT}"
        ) as step:
            await self.start_simulator()
            step.detail(
                f"key {KEY!r}, password {PASSWORD!r}, messages URL {SIMULATOR_URL}/messages"
            )

        async with self.step(
            f"start Home Assistant on 127.0.0.1:{HA_PORT} (throwaway configuration)"
        ) as step:
            await self.start_home_assistant()
            onboarding = await self.ha("GET", "/api/onboarding")
            step.detail(
                f"answers after {time.monotonic() - self.started:.1f} s; configuration in "
                f"{self.config.relative_to(ha_env.ROOT)}/"
            )
            todo = [s["step"] for s in onboarding if not s["done"]]
            step.detail(f"onboarding to do: {', '.join(todo)}")

        async with self.step(
            "onboard over REST: owner, token, core config, analytics, integration"
        ) as step:
            await self.create_owner("Demo", USER, USER_PASSWORD)
            step.detail(f"owner {USER!r}; access token of {len(self.token)} characters")
            # Signals stop Home Assistant gracefully only once it is running.
            await self.wait_for("Home Assistant to finish starting", self._running, 120)
            step.detail(
                f"Home Assistant running {time.monotonic() - self.started:.1f} s after its start"
            )
            await self.ha("POST", "/api/onboarding/core_config", json={})
            await self.ha("POST", "/api/onboarding/analytics", json={})
            await self.ha(
                "POST",
                "/api/onboarding/integration",
                json={
                    "client_id": CLIENT_ID,
                    "redirect_uri": f"{HA_URL}/?auth_callback=1",
                },
            )
            done = await self.ha("GET", "/api/onboarding")
            expect(all(s["done"] for s in done), f"onboarding not done: {done}")
            step.detail("onboarding done")

        async with self.step(
            "connect to the WebSocket API; HTTP settings confirmed, no trial"
        ) as step:
            self.ws = await self.http.ws_connect(f"{HA_URL}/api/websocket")
            hello = await self.ws.receive_json()
            expect(hello["type"] == "auth_required", f"unexpected greeting {hello}")
            await self.ws.send_json({"type": "auth", "access_token": self.token})
            auth = await self.ws.receive_json()
            expect(auth["type"] == "auth_ok", f"authentication failed: {auth}")
            http = await self.ws_call({"type": "http/config"})
            expect(
                http["active_config_type"] == "stable" and http["pending"] is None,
                f"HTTP config is on trial: {show(http)}",
            )
            expect(
                http["stable"].get("server_host") == ["127.0.0.1"],
                f"HTTP binds {http['stable']}",
            )
            step.detail(
                f"Home Assistant {auth['ha_version']}; HTTP {http['active_config_type']}: "
                f"{http['stable']['server_host']} port {http['stable']['server_port']}"
            )
            await self.ws_call({"type": "subscribe_events", "event_type": EVENT})
            self.event_subscription = self.ws_id
            step.detail(f"subscribed to {EVENT}")

        async with self.step(
            "config flow over REST (advanced options: the gateway URL)"
        ) as step:
            form = await self.ha(
                "POST",
                "/api/config/config_entries/flow",
                json={"handler": DOMAIN, "show_advanced_options": True},
            )
            fields = [field["name"] for field in form.get("data_schema", [])]
            step.detail(f"form {form.get('step_id')!r} with fields {fields}")
            expect(form.get("type") == "form", f"expected a form: {show(form)}")
            expect(
                {"key", "password", "url"} <= set(fields), f"fields missing: {fields}"
            )
            result = await self.ha(
                "POST",
                f"/api/config/config_entries/flow/{form['flow_id']}",
                json={
                    "key": KEY,
                    "password": PASSWORD,
                    "url": f"{SIMULATOR_URL}/messages",
                },
            )
            expect(
                result.get("type") == "create_entry",
                f"expected an entry: {show(result)}",
            )
            self.entry_id = result["result"]["entry_id"]
            webhook_url = result.get("description_placeholders", {}).get(
                "webhook_url", ""
            )
            expect(webhook_url.startswith("http"), f"no webhook URL in {show(result)}")
            step.detail(
                f"entry {result['title']!r} ({self.entry_id}), state {result['result']['state']}"
            )
            parts = urlsplit(webhook_url)
            self.webhook_url = urlunsplit(
                ("http", f"127.0.0.1:{HA_PORT}", parts.path, "", "")
            )
            step.detail(
                f"webhook URL {_redact_webhook(webhook_url)}"
                + (
                    ""
                    if self.webhook_url == webhook_url
                    else " (host rewritten to this Home Assistant)"
                )
            )

        async with self.step(
            f"add recipient {RECIPIENT!r}, {NUMBER_TYPED} (subentry flow over REST)"
        ) as step:
            form = await self.ha(
                "POST",
                "/api/config/config_entries/subentries/flow",
                json={"handler": [self.entry_id, "recipient"]},
            )
            expect(form.get("type") == "form", f"expected a form: {show(form)}")
            result = await self.ha(
                "POST",
                f"/api/config/config_entries/subentries/flow/{form['flow_id']}",
                json={"name": RECIPIENT, "phone_number": NUMBER_TYPED},
            )
            expect(
                result.get("type") == "create_entry",
                f"expected a subentry: {show(result)}",
            )
            await self.wait_for("the entry to be loaded again", self._entry_loaded, 30)
            entry = await self.ws_call(
                {"type": "config_entries/subentries/list", "entry_id": self.entry_id}
            )
            step.detail(
                f"subentries: {show([(s['title'], s['subentry_type']) for s in entry])}; entry loaded"
            )

        await self.send(
            "the number has never been messaged: the gateway invites it and holds the SMS",
            expected_status=202,
            expected_outcome="invited",
        )

        async with self.step(
            f"the phone opts in (simulator): the held SMS is delivered to {NUMBER}"
        ) as step:
            number = await self.gateway("POST", "/control/opt_in", {"number": NUMBER})
            delivered = [
                e["text"] for e in number["conversation"] if e["direction"] == "mt"
            ]
            expect(
                number["status"] == "opted_in" and delivered == [MESSAGE],
                f"number state {show(number)}",
            )
            step.detail(f"status {number['status']}, delivered {show(delivered)}")

        await self.send(
            "now the gateway delivers it at once",
            expected_status=200,
            expected_outcome="sent",
        )

        async with self.step(
            f"{NUMBER} texts Home Assistant: the simulator posts the MO to the webhook"
        ) as step:
            await self.gateway("POST", "/control/mo_url", {"url": self.webhook_url})
            answer = await self.gateway(
                "POST", "/control/mo", {"sender": NUMBER, "content": INCOMING}
            )
            step.detail(
                f"content {INCOMING!r}; the webhook answered {answer['status']}"
            )
            expect(answer["status"] == 200, f"webhook answered {answer['status']}")
            event = await self._next_event()
            step.detail(
                f"event over the WebSocket API: {event['event_type']} {show(event['data'])}"
            )
            data = event["data"]
            expected = {
                "sender": NUMBER,
                "content": INCOMING,
                "keyword": "PING",
                "recipient": RECIPIENT,
                "config_entry_id": self.entry_id,
            }
            wrong = {k: data.get(k) for k, v in expected.items() if data.get(k) != v}
            expect(
                event["event_type"] == EVENT and not wrong,
                f"unexpected event data {show(wrong)}",
            )

        async with self.step(
            "stop Home Assistant; its log has no errors and no secrets"
        ) as step:
            await self.close_ws()
            assert self.hass is not None
            started = time.monotonic()
            status = ha_env.stop(self.hass, 60)
            step.detail(
                f"Home Assistant stopped with status {status} in {time.monotonic() - started:.1f} s"
            )
            expect(status == 0, f"Home Assistant exited with status {status}")
            self.check_log(step)

    async def _running(self) -> bool:
        config = await self.ha("GET", "/api/config")
        return bool(config["state"] == "RUNNING")

    async def _entry_loaded(self) -> bool:
        entries = await self.ha("GET", "/api/config/config_entries/entry")
        return any(
            e["entry_id"] == self.entry_id and e["state"] == "loaded" for e in entries
        )

    async def send(
        self, why: str, *, expected_status: int, expected_outcome: str
    ) -> None:
        """Call tatango_sms.send_message for the recipient and check the gateway's side."""
        async with self.step(
            f"action {DOMAIN}.send_message to {RECIPIENT!r} over REST: {why}"
        ) as step:
            before = len((await self.gateway("GET", "/control/state"))["requests"])
            answer = await self.ha(
                "POST",
                f"/api/services/{DOMAIN}/send_message?return_response",
                json={"message": MESSAGE, "recipients": [RECIPIENT]},
            )
            response = answer.get("service_response")
            step.detail(f"response {show(response)}")
            expected = {
                "recipient": NUMBER,
                "name": RECIPIENT,
                "outcome": expected_outcome,
                "sms_sent": 1,
            }
            got = (response or {}).get("recipients", [])
            expect(
                len(got) == 1 and all(got[0].get(k) == v for k, v in expected.items()),
                f"expected {show(expected)}",
            )
            requests = (await self.gateway("GET", "/control/state"))["requests"][
                before:
            ]
            expect(
                len(requests) == 1,
                f"the gateway got {len(requests)} requests: {show(requests)}",
            )
            request = requests[0]
            names = [name for name, _ in request["fields"]]
            step.detail(f"the gateway got fields {names}, answered {request['status']}")
            expect(
                sorted(names) == sorted(FORM_FIELDS),
                f"fields {names}, expected exactly {sorted(FORM_FIELDS)}",
            )
            form = dict(request["fields"])
            digest = hashlib.md5(
                (PASSWORD + MESSAGE).encode(), usedforsecurity=False
            ).hexdigest()
            expect(form["key"] == KEY, f"key {form['key']!r}")
            expect(form["recipient"] == NUMBER, f"recipient {form['recipient']!r}")
            expect(form["message"] == MESSAGE, f"message {form['message']!r}")
            expect(
                form["hash"] == digest,
                f"hash {form['hash']!r}, expected md5(password + message) {digest}",
            )
            expect(request["status"] == expected_status, f"status {request['status']}")
            step.detail(
                f"key {form['key']!r}, recipient {form['recipient']}, message {form['message']!r}"
            )
            step.detail(f"hash {form['hash']} = md5(password + message, UTF-8)")

    async def _next_event(self) -> dict[str, Any]:
        assert self.ws is not None
        while True:
            message = await asyncio.wait_for(self.ws.receive_json(), 10)
            if (
                message.get("type") == "event"
                and message.get("id") == self.event_subscription
            ):
                event: dict[str, Any] = message["event"]
                return event

    def check_log(self, step: Step) -> None:
        """Fail on errors, on warnings the integration logs, and on logged secrets."""
        log = (self.config / "home-assistant.log").read_text(encoding="utf-8")
        lines = [match for line in log.splitlines() if (match := LOG_LINE.match(line))]
        problems: list[str] = []
        for match in lines:
            level, logger, message = match["level"], match["logger"], match["message"]
            line = f"{level} [{logger}] {message}"
            if level in ("DEBUG", "INFO") or UNTESTED_CUSTOM in message:
                continue
            if DOMAIN in logger:
                problems.append(line)  # the integration itself complains
            elif level == "WARNING":
                about = "about the integration" if DOMAIN in message else "(not ours)"
                step.detail(f"warning {about}: {_short(line)}")
            elif any(name in message for name in NEEDS_INTERNET):
                step.detail(f"error, expected without internet access: {_short(line)}")
            elif logger.startswith(MISSING_SYSTEM_PACKAGES):
                step.detail(f"error, a system package is missing: {_short(line)}")
            else:
                problems.append(line)
        for line in problems:
            step.detail(f"PROBLEM: {_short(line)}")
        ours = sum(1 for match in lines if DOMAIN in match["logger"])
        step.detail(f"{len(lines)} log entries, {ours} from the integration")
        expect(
            not problems,
            f"{len(problems)} errors, or warnings from {DOMAIN}, in the log",
        )
        webhook_id = self.webhook_url.rsplit("/", 1)[-1]
        digest = hashlib.md5(
            (PASSWORD + MESSAGE).encode(), usedforsecurity=False
        ).hexdigest()
        secrets = {
            "password": PASSWORD,
            "key": KEY,
            "hash": digest,
            "webhook id": webhook_id,
        }
        leaked = [name for name, secret in secrets.items() if secret in log]
        expect(not leaked, f"the log contains the {', '.join(leaked)}")
        step.detail("no password, key, hash or webhook id in the log")

    async def close_ws(self) -> None:
        """Close the WebSocket connection."""
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    async def stop_all(self) -> None:
        """Stop both processes (idempotent)."""
        await self.close_ws()
        for process in (self.hass, self.simulator):
            if process is not None:
                await asyncio.to_thread(ha_env.stop, process, 60)


def _redact_webhook(url: str) -> str:
    """Return the URL with most of the webhook id hidden (it is a secret)."""
    head, _, webhook_id = url.rpartition("/")
    return f"{head}/{webhook_id[:6]}…"


def _short(line: str, width: int = 220) -> str:
    return line if len(line) <= width else line[: width - 1] + "…"


async def run_supervised(
    runner: Demo,
    run: Callable[[], Awaitable[None]],
    *,
    failed: tuple[type[Exception], ...],
    bare: tuple[type[Exception], ...] = (DemoError,),
    on_failure: Callable[[], Awaitable[None]] | None = None,
    prefix: str = "      FAILED: ",
    timeout: float = 60,
) -> int:
    """Run `run` with a session, then always stop every process; return 0, 1 or 130.

    The first Ctrl-C or SIGTERM cancels the run; later ones (a terminal and a
    wrapper script both pass Ctrl-C on) must not cut the clean-up short.
    """
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    interrupted = False

    def interrupt() -> None:
        nonlocal interrupted
        if not interrupted:
            interrupted = True
            task.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, interrupt)
    status = 1
    try:
        async with aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=timeout)
        ) as runner.http:
            try:
                await run()
                status = 0
            except failed as err:
                detail = (
                    str(err)
                    if isinstance(err, bare)
                    else f"{type(err).__name__}: {err}"
                )
                print(f"{prefix}{detail}", flush=True)
                if on_failure is not None:
                    await on_failure()
            finally:
                interrupted = True  # from here on, signals are ignored
                await runner.stop_all()
    except asyncio.CancelledError:
        status = 130
    return status


async def amain() -> int:
    """Run the demo; return the exit status."""
    started = time.monotonic()
    print(
        "demo: Home Assistant and the Tatango gateway simulator end to end, nothing mocked",
        flush=True,
    )
    workdir = Path(tempfile.mkdtemp(prefix="demo-", dir=ha_env.ROOT / ".cache"))
    demo = Demo(workdir)
    status = await run_supervised(
        demo,
        demo.run,
        failed=(DemoError, aiohttp.ClientError, OSError, TimeoutError),
    )
    elapsed = time.monotonic() - started
    if status == 0:
        shutil.rmtree(workdir, ignore_errors=True)
        print(f"demo: OK, {demo.steps} steps in {elapsed:.1f} s", flush=True)
    elif status == 130:
        shutil.rmtree(workdir, ignore_errors=True)
        print(
            f"demo: interrupted after {elapsed:.1f} s; both processes stopped",
            flush=True,
        )
    else:
        print(
            f"demo: FAILED after {elapsed:.1f} s; Home Assistant's log and configuration "
            f"are in {workdir.relative_to(ha_env.ROOT)}/",
            flush=True,
        )
    return status


if __name__ == "__main__":
    sys.exit(asyncio.run(amain()))
