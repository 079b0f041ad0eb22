# ruff: noqa: INP001
"""End-to-end demo: a real Home Assistant and the gateway simulator, nothing mocked.

Onboards over REST, sets the integration up through the config flow, adds a
recipient, sends through ``tatango_sms.send_message`` and checks what the
gateway got, has the gateway post an incoming SMS and waits for the event over
the WebSocket API, turns Assist on and texts the home (Assist answers; an
automation's ``tatango_sms.ask`` gets "yes"); then checks the log. Exits 1 on
any mismatch.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import harness
from harness import DOMAIN, ROOT, Harness, Settings, detail, expect, run, show

# Texting the home: Assist's agent, a light it may turn on (lights are exposed
# to Assist by default) and an automation that asks by SMS.
ROUND_TRIPS_YAML = """
conversation:
input_boolean: {garage_door: {name: Garage door, initial: true}}
template:
  - light: [{name: Kitchen light, turn_on: [], turn_off: []}]
automation:
  - alias: Close the garage by SMS
    triggers: [{trigger: event, event_type: garage_left_open}]
    actions:
      - action: tatango_sms.ask
        data: {recipient: Alice, message: Close the garage?, answers: ["YES", "NO"]}
        response_variable: reply
      - if: "{{ reply.answer == 'YES' }}"
        then: [{action: input_boolean.turn_off, entity_id: input_boolean.garage_door}]
"""
AGENT, LIGHT = "conversation.home_assistant", "light.kitchen_light"
TURN_ON = "turn on the kitchen light"
QUESTION, GARAGE = "Close the garage? Reply YES or NO.", "input_boolean.garage_door"
SETTINGS = Settings(
    name="demo",
    ports=harness.Ports(18123, 18124),
    credentials=harness.Credentials("demo-key", "demo-password"),
    owner=("demo", "demo-owner-password"),
    yaml=ROUND_TRIPS_YAML,
)
RECIPIENT, NUMBER_TYPED, NUMBER = "Alice", "(206) 555-0123", "2065550123"
MESSAGE = "Garage door open for 10 min — café ✓"  # non-ASCII: the hash covers UTF-8
INCOMING = "ping from the demo <b>&amp;</b> ]]> done"  # XML specials, CDATA end
EVENT = "tatango_sms_received"
# What onboarding's core_config step sets up and fails (or is cancelled at
# shutdown) without internet access: the demo has none, on purpose.
NEEDS_INTERNET = ("radio_browser", "Radio Browser", "met.no", "'met'", "google_tr")
# Loggers that complain when ffmpeg or libturbojpeg is not installed (the root
# filesystem has both; a native Python's system may not).
MISSING_SYSTEM_PACKAGES = ("haffmpeg", "homeassistant.components.camera.img_util")


def gateway_hash(password: str, message: str) -> str:
    """Return the hash the gateway expects: md5(password + message)."""
    return hashlib.md5((password + message).encode(), usedforsecurity=False).hexdigest()


def redact_webhook(url: str) -> str:
    """Return the URL with most of the webhook id hidden (it is a secret)."""
    head, _, webhook_id = url.rpartition("/")
    return f"{head}/{webhook_id[:6]}…"


async def start(h: Harness) -> None:
    """Start the simulator and Home Assistant, and onboard over REST."""
    s = h.settings
    async with h.step(f"start the gateway simulator on 127.0.0.1:{s.ports.simulator}"):
        await h.start_simulator()
        key, password = s.credentials
        detail(f"key {key!r}, password {password!r}, URL {s.simulator_url}/messages")
    title = f"start Home Assistant on 127.0.0.1:{s.ports.ha} (throwaway configuration)"
    async with h.step(title):
        await h.start_home_assistant()
        onboarding = await h.ha("GET", "/api/onboarding")
        answered, where = time.monotonic() - h.started, h.config.relative_to(ROOT)
        detail(f"answers after {answered:.1f} s; configuration in {where}/")
        todo = ", ".join(o["step"] for o in onboarding if not o["done"])
        detail(f"onboarding to do: {todo}")
    async with h.step("onboard over REST: owner, token, core config, analytics..."):
        await h.onboard()
        detail(f"owner {s.owner[0]!r}; access token of {len(h.token)} characters")
        detail(f"running {time.monotonic() - h.started:.1f} s after start; onboarded")


async def demo(h: Harness) -> None:
    """Run every step."""
    print("demo: Home Assistant and the gateway simulator, end to end", flush=True)
    await start(h)
    async with h.step("connect to the WebSocket API; HTTP settings confirmed"):
        auth = await h.connect_ws()
        http = await h.ws_call({"type": "http/config"})
        stable, kind = http["stable"], http["active_config_type"]
        expect(kind == "stable" and not http["pending"], f"HTTP on trial: {show(http)}")
        expect(stable.get("server_host") == ["127.0.0.1"], f"HTTP binds {stable}")
        where = f"{stable['server_host']} port {stable['server_port']}"
        detail(f"Home Assistant {auth['ha_version']}; HTTP {kind}: {where}")
        await h.ws_call({"type": "subscribe_events", "event_type": EVENT})
        subscription = h.ws_id
        detail(f"subscribed to {EVENT}")

    async with h.step("config flow over REST (advanced options: the gateway URL)"):
        form, result = await h.create_entry()
        fields = [field["name"] for field in form.get("data_schema", [])]
        detail(f"form {form.get('step_id')!r} with fields {fields}")
        expect({"key", "password", "url"} <= set(fields), f"fields missing: {fields}")
        entry_id, state = result["result"]["entry_id"], result["result"]["state"]
        shown = result.get("description_placeholders", {}).get("webhook_url", "")
        expect(shown.startswith("http"), f"no webhook URL in {show(result)}")
        detail(f"entry {result['title']!r} ({entry_id}), state {state}")
        webhook_url = f"{h.settings.ha_url}{urlsplit(shown).path}"
        rewritten = "" if webhook_url == shown else " (host rewritten to this one)"
        detail(f"webhook URL {redact_webhook(shown)}{rewritten}")

    async with h.step(f"add recipient {RECIPIENT!r}, {NUMBER_TYPED} (subentry flow)"):
        await h.add_recipient(entry_id, RECIPIENT, NUMBER_TYPED)
        ask = {"type": "config_entries/subentries/list", "entry_id": entry_id}
        pairs = [(e["title"], e["subentry_type"]) for e in await h.ws_call(ask)]
        detail(f"subentries: {show(pairs)}; entry loaded")

    never = "the number has never been messaged: the gateway invites it, holds the SMS"
    await send(h, never, status=202, outcome="invited")
    async with h.step(f"the phone opts in (simulator): the held SMS reaches {NUMBER}"):
        number = await h.gateway("POST", "/control/opt_in", {"number": NUMBER})
        got = [e["text"] for e in number["conversation"] if e["direction"] == "mt"]
        ok = number["status"] == "opted_in" and got == [MESSAGE]
        expect(ok, f"number state {show(number)}")
        detail(f"status {number['status']}, delivered {show(got)}")
    await send(h, "now the gateway delivers it at once", status=200, outcome="sent")

    async with h.step(f"{NUMBER} texts Home Assistant: the simulator posts the MO"):
        await h.gateway("POST", "/control/mo_url", {"url": webhook_url})
        expected = {"keyword": "PING", "recipient": RECIPIENT, "assist": False}
        await text_home(h, subscription, INCOMING, config_entry_id=entry_id, **expected)

    async with h.step(f"Options flow over REST: Assist answers SMS with {AGENT}"):
        assist = {"assist_agent_id": AGENT}
        form, _ = await h.reload_with("options/", entry_id, assist)
        fields = [field["name"] for field in form["data_schema"]]
        expect("assist_agent_id" in fields, f"options {fields}")
    async with h.step(f"{NUMBER} texts {TURN_ON!r}: the light is on, Assist answers"):
        before = len(await h.requests())
        await text_home(h, subscription, TURN_ON, assist=True)
        answer = await answer_after(h, TURN_ON, before)
        await h.wait_for(LIGHT, lambda: h.state_is(LIGHT, "on"), 10)
        detail(f"{LIGHT} is on; Assist answered {answer!r}")
    async with h.step(f"an automation asks {QUESTION!r}; 'yes' closes the garage"):
        before = len(await h.requests())
        await h.ha("POST", "/api/events/garage_left_open")
        await h.wait_for("the question", lambda: h.requests(before), 10)
        question = (await h.requests(before))[0]["message"]
        expect(question == QUESTION, f"the automation asked {question!r}")
        await text_home(h, subscription, "yes", reply_to_ask=True, assist=False)
        await h.wait_for(GARAGE, lambda: h.state_is(GARAGE, "off"), 10)
        detail(f"the gateway got {QUESTION!r} before; now {GARAGE} is off")

    await stop(h, webhook_url)


async def send(h: Harness, why: str, *, status: int, outcome: str) -> None:
    """Call tatango_sms.send_message for the recipient and check the gateway's side."""
    async with h.step(f"action {DOMAIN}.send_message to {RECIPIENT!r}: {why}"):
        before = len(await h.requests())
        got = await h.send(MESSAGE, [RECIPIENT])
        detail(f"response {show({'recipients': got})}")
        expected = {"recipient": NUMBER, "name": RECIPIENT, "outcome": outcome}
        ok = len(got) == 1 and got[0].items() >= (expected | {"sms_sent": 1}).items()
        expect(ok, f"expected {show(expected)}")
        requests = await h.requests(before)
        expect(len(requests) == 1, f"the gateway got {len(requests)}: {show(requests)}")
        names, answered = [n for n, _ in requests[0]["fields"]], requests[0]["status"]
        detail(f"the gateway got fields {names}, answered {answered}")
        form, (key, password) = dict(requests[0]["fields"]), h.settings.credentials
        expected = {"key": key, "recipient": NUMBER, "message": MESSAGE}
        expected["hash"] = gateway_hash(password, MESSAGE)  # md5(password + text)
        expect(form == expected, f"the gateway got {show(form)}, not {show(expected)}")
        expect(len(names) == len(expected), f"fields {names}: one of each, no more")
        expect(answered == status, f"status {answered}")
        detail(f"key {key!r}, recipient {NUMBER}, message {MESSAGE!r}")
        detail(f"hash {form['hash']} = md5(password + message, UTF-8)")


async def text_home(h: Harness, subscription: int, content: str, **data: Any) -> None:
    """Text Home Assistant from NUMBER (the simulator posts it); check the event's data."""
    body = {"sender": NUMBER, "content": content}
    answer = await h.gateway("POST", "/control/mo", body)
    expect(answer["status"] == 200, f"the webhook answered {answer['status']}")
    event = await h.next_event(subscription)
    kind, got = event["event_type"], event["data"]
    detail(f"the webhook answered 200; {kind} {show(got)}")
    wrong = {k: got.get(k) for k, v in (data | body).items() if got.get(k) != v}
    expect(kind == EVENT and not wrong, f"unexpected data {show(wrong)}")


async def answer_after(h: Harness, content: str, before: int) -> str:
    """Return the SMS to NUMBER after request before; the webhook did not wait for it."""
    await h.wait_for("the answer", lambda: h.requests(before), 20)
    state = await h.gateway("GET", "/control/state")
    conversation = state["numbers"][NUMBER]["conversation"]
    mo = [e for e in conversation if e["direction"] == "mo"][-1]
    sms = state["requests"][before]
    expect(sms["recipient"] == NUMBER and sms["status"] == 200, f"sent {show(sms)}")
    expect(mo["text"] == content and mo["timestamp"] < sms["timestamp"], show(mo))
    at = f"webhook answered at {mo['timestamp'][11:23]}, the answer reached"
    detail(f"{at} the gateway at {sms['timestamp'][11:23]}")
    return str(sms["message"])


async def stop(h: Harness, webhook_url: str) -> None:
    """Stop Home Assistant; check its exit status and log."""
    async with h.step("stop Home Assistant; its log has no errors and no secrets"):
        started = time.monotonic()
        status = await h.stop_home_assistant()
        detail(f"stopped with status {status} in {time.monotonic() - started:.1f} s")
        expect(status == 0, f"Home Assistant exited with status {status}")
        check_log(h, webhook_url)


def check_log(h: Harness, webhook_url: str) -> None:
    """Fail on errors, on warnings the integration logs, and on logged secrets."""
    lines, problems = h.log_lines(), []
    for match in lines:
        level, logger, message = match["level"], match["logger"], match["message"]
        line = f"{level} [{logger}] {message}"[:220]
        if level in ("DEBUG", "INFO") or "We found a custom integration" in message:
            continue
        if DOMAIN in logger:
            problems.append(line)  # the integration itself complains
        elif level == "WARNING":
            detail(f"warning{' about us' if DOMAIN in message else ''}: {line}")
        elif any(name in message for name in NEEDS_INTERNET):
            detail(f"error, expected without internet access: {line}")
        elif logger.startswith(MISSING_SYSTEM_PACKAGES):
            detail(f"error, a system package is missing: {line}")
        else:
            problems.append(line)
    for line in problems:
        detail(f"PROBLEM: {line}")
    ours = sum(1 for match in lines if DOMAIN in match["logger"])
    detail(f"{len(lines)} log entries, {ours} from the integration")
    expect(not problems, f"{len(problems)} errors, or warnings of {DOMAIN}, logged")
    log = (h.config / "home-assistant.log").read_text(encoding="utf-8")
    s = h.settings
    secrets = {"password": s.credentials.password, "key": s.credentials.key}
    secrets["hash"] = gateway_hash(s.credentials.password, MESSAGE)
    secrets["webhook id"] = webhook_url.rpartition("/")[2]
    leaked = [name for name, secret in secrets.items() if secret in log]
    expect(not leaked, f"the log contains the {', '.join(leaked)}")
    detail("no password, key, hash or webhook id in the log")


if __name__ == "__main__":
    sys.exit(asyncio.run(run(SETTINGS, demo)))
