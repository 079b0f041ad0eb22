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
import hashlib
import sys
import time
from urllib.parse import urlsplit, urlunsplit

from harness import DOMAIN, ROOT, Harness, Settings, Step, expect, run, show

SETTINGS = Settings(
    name="demo",
    ha_port=18123,
    simulator_port=18124,
    key="demo-key",
    password="demo-password",  # noqa: S106
    owner=("demo", "demo-owner-password"),
)
RECIPIENT = "Alice"
NUMBER_TYPED, NUMBER = "(206) 555-0123", "2065550123"
MESSAGE = "Garage door open for 10 min — café ✓"  # non-ASCII: the hash covers UTF-8
INCOMING = "ping from the demo <b>&amp;</b> ]]> done"  # XML specials, CDATA end
FORM_FIELDS = {"key", "recipient", "message", "hash"}
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


def gateway_hash(settings: Settings, message: str) -> str:
    """Return the hash the gateway expects: md5(password + message)."""
    text = settings.password + message
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def redact_webhook(url: str) -> str:
    """Return the URL with most of the webhook id hidden (it is a secret)."""
    head, _, webhook_id = url.rpartition("/")
    return f"{head}/{webhook_id[:6]}…"


def local_webhook_url(harness: Harness, url: str) -> str:
    """Return the webhook URL with this Home Assistant's host and port."""
    host = f"127.0.0.1:{harness.settings.ha_port}"
    return urlunsplit(("http", host, urlsplit(url).path, "", ""))


async def start(h: Harness) -> None:
    """Start the simulator and Home Assistant, onboard over REST, connect the WebSocket API."""
    s = h.settings
    async with h.step(
        f"start the gateway simulator on 127.0.0.1:{s.simulator_port}"
    ) as step:
        await h.start_simulator()
        step.detail(
            f"key {s.key!r}, password {s.password!r}, URL {s.simulator_url}/messages"
        )
    async with h.step(
        f"start Home Assistant on 127.0.0.1:{s.ha_port} (throwaway configuration)"
    ) as step:
        await h.start_home_assistant()
        onboarding = await h.ha("GET", "/api/onboarding")
        step.detail(
            f"answers after {time.monotonic() - h.started:.1f} s; configuration in "
            f"{h.config.relative_to(ROOT)}/"
        )
        todo = [s["step"] for s in onboarding if not s["done"]]
        step.detail(f"onboarding to do: {', '.join(todo)}")
    async with h.step(
        "onboard over REST: owner, token, core config, analytics, integration"
    ) as step:
        await h.onboard()
        step.detail(f"owner {s.owner[0]!r}; access token of {len(h.token)} characters")
        step.detail(f"running {time.monotonic() - h.started:.1f} s after its start")
        step.detail("onboarding done")


async def demo(h: Harness) -> None:
    """Run every step."""
    print(
        "demo: Home Assistant and the Tatango gateway simulator end to end", flush=True
    )
    await start(h)
    async with h.step("connect to the WebSocket API; HTTP settings confirmed") as step:
        auth = await h.connect_ws()
        http = await h.ws_call({"type": "http/config"})
        expect(
            http["active_config_type"] == "stable" and http["pending"] is None,
            f"HTTP config is on trial: {show(http)}",
        )
        stable = http["stable"]
        expect(stable.get("server_host") == ["127.0.0.1"], f"HTTP binds {stable}")
        step.detail(
            f"Home Assistant {auth['ha_version']}; HTTP {http['active_config_type']}: "
            f"{stable['server_host']} port {stable['server_port']}"
        )
        await h.ws_call({"type": "subscribe_events", "event_type": EVENT})
        subscription = h.ws_id
        step.detail(f"subscribed to {EVENT}")

    async with h.step(
        "config flow over REST (advanced options: the gateway URL)"
    ) as step:
        form, result = await h.create_entry()
        fields = [field["name"] for field in form.get("data_schema", [])]
        step.detail(f"form {form.get('step_id')!r} with fields {fields}")
        expect({"key", "password", "url"} <= set(fields), f"fields missing: {fields}")
        entry_id = result["result"]["entry_id"]
        shown = result.get("description_placeholders", {}).get("webhook_url", "")
        expect(shown.startswith("http"), f"no webhook URL in {show(result)}")
        step.detail(
            f"entry {result['title']!r} ({entry_id}), state {result['result']['state']}"
        )
        webhook_url = local_webhook_url(h, shown)
        rewritten = "" if webhook_url == shown else " (host rewritten to this one)"
        step.detail(f"webhook URL {redact_webhook(shown)}{rewritten}")

    async with h.step(
        f"add recipient {RECIPIENT!r}, {NUMBER_TYPED} (subentry flow over REST)"
    ) as step:
        await h.add_recipient(entry_id, RECIPIENT, NUMBER_TYPED)
        subentries = await h.ws_call(
            {"type": "config_entries/subentries/list", "entry_id": entry_id}
        )
        pairs = [(e["title"], e["subentry_type"]) for e in subentries]
        step.detail(f"subentries: {show(pairs)}; entry loaded")

    await send(
        h,
        "the number has never been messaged: the gateway invites it and holds the SMS",
        expected_status=202,
        expected_outcome="invited",
    )
    async with h.step(
        f"the phone opts in (simulator): the held SMS is delivered to {NUMBER}"
    ) as step:
        number = await h.gateway("POST", "/control/opt_in", {"number": NUMBER})
        delivered = [
            e["text"] for e in number["conversation"] if e["direction"] == "mt"
        ]
        expect(
            number["status"] == "opted_in" and delivered == [MESSAGE],
            f"number state {show(number)}",
        )
        step.detail(f"status {number['status']}, delivered {show(delivered)}")
    await send(
        h,
        "now the gateway delivers it at once",
        expected_status=200,
        expected_outcome="sent",
    )

    async with h.step(
        f"{NUMBER} texts Home Assistant: the simulator posts the MO to the webhook"
    ) as step:
        await h.gateway("POST", "/control/mo_url", {"url": webhook_url})
        body = {"sender": NUMBER, "content": INCOMING}
        answer = await h.gateway("POST", "/control/mo", body)
        step.detail(f"content {INCOMING!r}; the webhook answered {answer['status']}")
        expect(answer["status"] == 200, f"webhook answered {answer['status']}")
        event = await h.next_event(subscription)
        step.detail(
            f"event over the WebSocket API: {event['event_type']} {show(event['data'])}"
        )
        expected = {
            **body,
            "keyword": "PING",
            "recipient": RECIPIENT,
            "config_entry_id": entry_id,
        }
        data = event["data"]
        wrong = {k: data.get(k) for k, v in expected.items() if data.get(k) != v}
        expect(
            event["event_type"] == EVENT and not wrong,
            f"unexpected event data {show(wrong)}",
        )

    async with h.step(
        "stop Home Assistant; its log has no errors and no secrets"
    ) as step:
        started = time.monotonic()
        status = await h.stop_home_assistant()
        step.detail(
            f"stopped with status {status} in {time.monotonic() - started:.1f} s"
        )
        expect(status == 0, f"Home Assistant exited with status {status}")
        check_log(h, step, webhook_url)


async def send(
    h: Harness, why: str, *, expected_status: int, expected_outcome: str
) -> None:
    """Call tatango_sms.send_message for the recipient and check the gateway's side."""
    async with h.step(
        f"action {DOMAIN}.send_message to {RECIPIENT!r} over REST: {why}"
    ) as step:
        before = len((await h.gateway("GET", "/control/state"))["requests"])
        answer = await h.ha(
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
        requests = (await h.gateway("GET", "/control/state"))["requests"][before:]
        expect(len(requests) == 1, f"the gateway got {len(requests)}: {show(requests)}")
        names = [name for name, _ in requests[0]["fields"]]
        step.detail(f"the gateway got fields {names}, answered {requests[0]['status']}")
        expect(
            sorted(names) == sorted(FORM_FIELDS),
            f"fields {names}, expected exactly {sorted(FORM_FIELDS)}",
        )
        form = dict(requests[0]["fields"])
        digest = gateway_hash(h.settings, MESSAGE)
        expect(form["key"] == h.settings.key, f"key {form['key']!r}")
        expect(form["recipient"] == NUMBER, f"recipient {form['recipient']!r}")
        expect(form["message"] == MESSAGE, f"message {form['message']!r}")
        expect(
            form["hash"] == digest,
            f"hash {form['hash']!r}, expected md5(password + message) {digest}",
        )
        status = requests[0]["status"]
        expect(status == expected_status, f"status {status}")
        step.detail(
            f"key {form['key']!r}, recipient {form['recipient']}, message {MESSAGE!r}"
        )
        step.detail(f"hash {form['hash']} = md5(password + message, UTF-8)")


def check_log(h: Harness, step: Step, webhook_url: str) -> None:
    """Fail on errors, on warnings the integration logs, and on logged secrets."""
    lines = h.log_lines()
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
        not problems, f"{len(problems)} errors, or warnings from {DOMAIN}, in the log"
    )
    log = (h.config / "home-assistant.log").read_text(encoding="utf-8")
    secrets = {
        "password": h.settings.password,
        "key": h.settings.key,
        "hash": gateway_hash(h.settings, MESSAGE),
        "webhook id": webhook_url.rsplit("/", 1)[-1],
    }
    leaked = [name for name, secret in secrets.items() if secret in log]
    expect(not leaked, f"the log contains the {', '.join(leaked)}")
    step.detail("no password, key, hash or webhook id in the log")


def _short(line: str, width: int = 220) -> str:
    return line if len(line) <= width else line[: width - 1] + "…"


if __name__ == "__main__":
    sys.exit(asyncio.run(run(SETTINGS, demo)))
