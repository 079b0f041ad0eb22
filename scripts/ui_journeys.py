# ruff: noqa: INP001
"""Browser journeys: Home Assistant's real frontend, driven as a person drives it.

Runs inside the environment scripts/ui_journeys prepares (normally in a
network namespace that has only loopback, like scripts/demo). Starts the
gateway simulator and Home Assistant 2026.11.0 with a throwaway configuration
and onboards over REST (scripts/demo.py's code); from then on a headless
Debian Chromium, driven by Playwright, clicks and types through the journeys:

1. wrong credentials with a test number: the translated error, no entry;
2. setup: Add integration, the translated form, the webhook URL, the entry;
3. add a recipient: its device, notify entity and opt-in sensor;
4. send from Tools > Actions (notify.send_message to the recipient's notify
   entity): the simulator's phone page in a second tab shows the SMS, the
   opt-in sensor turns "Invited";
5. receive: the webhook URL pasted into the phone page, an SMS sent from
   there: the "Incoming SMS" event entity changes, its attributes show it;
6. reconfigure shows the webhook URL again.

Each step asserts what is on the screen (and checks Home Assistant's state
over REST besides) and saves a screenshot in .cache/ui-journeys/. With
``--docs DIR`` the README's screenshots are written to DIR, palette-reduced,
once every journey has passed. Exits 1 on any mismatch; Home Assistant, the
simulator and the browser are always stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from pathlib import Path
import re
import shutil
import sys
import tempfile
import time
from typing import Any

import aiohttp
import demo
from demo import HA_URL, SIMULATOR_URL, Demo, DemoError, Step, expect, show
import ha_env
from playwright.async_api import (
    Browser,
    BrowserContext,
    Error as PlaywrightError,
    Locator,
    Page,
    Playwright,
    async_playwright,
    expect as see,
)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"  # Debian's
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
VIEWPORT_WIDTH, VIEWPORT_HEIGHT = 1280, 800
# For one locator or assertion; Home Assistant answers in well under a second.
TIMEOUT_MS = 20_000
SHOTS = ha_env.ROOT / ".cache" / "ui-journeys"
TRANSLATIONS = (
    ha_env.ROOT / "custom_components" / "tatango_sms" / "translations" / "en.json"
)
WRONG_PASSWORD = "not-the-password"  # noqa: S105
TEST_NUMBER_TYPED = "(206) 555-0199"
INCOMING = "LIGHTS ON please"
WEBHOOK_PATH = re.compile(r"^http://127\.0\.0\.1:\d+/api/webhook/[0-9a-f]{32,}$")
# Set up by onboarding; they only retry without internet access.
NEEDS_INTERNET = ("radio_browser", "met")
# Screenshot (saved by the journeys) -> file the README shows (--docs).
DOCS_IMAGES = {
    "01-setup-form": "setup-form.png",
    "02-setup-wrong-credentials": "setup-wrong-credentials.png",
    "04-setup-webhook-url": "setup-webhook-url.png",
    "07-add-recipient": "add-recipient.png",
    "12-recipient-invited": "recipient-opt-in-status.png",
    "14-incoming-sms-attributes": "incoming-sms.png",
    "15-reconfigure-webhook-url": "reconfigure-webhook-url.png",
}


class Journeys(Demo):
    """The journeys' state: the demo's (processes, REST, WebSocket) plus a browser."""

    def __init__(self, workdir: Path, shots: Path) -> None:
        """Initialize with the throwaway directory and where screenshots go."""
        super().__init__(workdir)
        self.shots = shots
        self.strings: dict[str, Any] = json.loads(
            TRANSLATIONS.read_text(encoding="utf-8")
        )
        self.playwright: Playwright | None = None
        self.browser: Browser | None = None
        self.context: BrowserContext | None = None
        self.page: Page  # Home Assistant
        self.phone: Page | None = None  # the simulator's phone page, a second tab
        self.taken: list[str] = []

    # Helpers

    async def shot(self, step: Step, name: str, page: Page | None = None) -> None:
        """Save a screenshot of the page as <name>.png and say so."""
        page = page or self.page
        await page.wait_for_timeout(300)  # let ripples and transitions settle
        await page.screenshot(path=self.shots / f"{name}.png")
        self.taken.append(name)
        step.detail(f"screenshot {name}.png")

    def flow_strings(self, *keys: str) -> dict[str, Any]:
        """Return a part of the translations, e.g. ("config", "step", "user")."""
        node: Any = self.strings
        for key in keys:
            node = node[key]
        result: dict[str, Any] = node
        return result

    async def entries(self) -> list[dict[str, Any]]:
        """Return the integration's config entries (REST)."""
        entries: list[dict[str, Any]] = await self.ha(
            "GET", "/api/config/config_entries/entry"
        )
        return [e for e in entries if e["domain"] == demo.DOMAIN]

    async def state(self, entity_id: str) -> dict[str, Any]:
        """Return an entity's state object (REST)."""
        state: dict[str, Any] = await self.ha("GET", f"/api/states/{entity_id}")
        return state

    def dialog(self) -> Locator:
        """Return the open config flow dialog."""
        return self.page.locator("dialog-data-entry-flow")

    async def see_form_texts(
        self, step: Step, translations: dict[str, Any], fields: list[str]
    ) -> None:
        """Check that the open form shows each field's translated label and help text."""
        dialog = self.dialog()
        await see(
            dialog.get_by_text(translations["title"], exact=True).first
        ).to_be_visible()
        for field in fields:
            label = translations["data"][field]
            await see(
                dialog.get_by_text(re.compile(rf"^{re.escape(label)}\*?$")).first
            ).to_be_visible()
            await see(
                dialog.get_by_text(translations["data_description"][field], exact=True)
            ).to_be_visible()
        step.detail(
            "labels: " + ", ".join(repr(translations["data"][f]) for f in fields)
        )
        step.detail("each with its help text")

    async def open_add_integration(self) -> None:
        """Open Settings > Devices & services > Add integration, search "Tatango", pick it."""
        await self.page.goto(f"{HA_URL}/config/integrations/dashboard")
        await self.page.get_by_role("button", name="Add integration").click()
        await self.page.get_by_placeholder("Search for a brand name").fill("Tatango")
        await self.page.get_by_text("Tatango SMS", exact=True).click()
        await see(self.dialog().locator("input[name=key]")).to_be_visible()

    async def open_integration_page(self) -> None:
        """Go to the integration's page (its entries and recipients)."""
        await self.page.goto(f"{HA_URL}/config/integrations/dashboard")
        await self.page.get_by_text("Tatango SMS", exact=True).click()
        await self.page.wait_for_url("**/config/integrations/integration/tatango_sms")

    async def open_device(self, model: str) -> None:
        """From the integration's page, open the device whose row says model."""
        await self.open_integration_page()
        await self.page.get_by_text(model).first.click()
        await self.page.wait_for_url("**/config/devices/device/**")

    def card(self, heading: str) -> Locator:
        """Return the device page's card with this heading (Sensors, Events...)."""
        return self.page.locator("ha-card").filter(
            has=self.page.get_by_text(heading, exact=True)
        )

    # The run

    async def start(self) -> None:
        """Start the simulator and Home Assistant, onboard over REST (as scripts/demo does)."""
        async with self.step(
            f"start the gateway simulator on 127.0.0.1:{demo.SIMULATOR_PORT}"
        ):
            await self.start_simulator()

        async with self.step(
            f"start Home Assistant on 127.0.0.1:{demo.HA_PORT} (throwaway configuration)"
        ) as step:
            await self.start_home_assistant()
            step.detail(f"answers after {time.monotonic() - self.started:.1f} s")

        async with self.step(
            "onboard over REST (the only step not done in the browser), country US"
        ):
            await self.create_owner("Demo", demo.USER, demo.USER_PASSWORD)
            await self.wait_for("Home Assistant to finish starting", self._running, 120)
            await self.ha("POST", "/api/onboarding/core_config", json={})
            await self.ha("POST", "/api/onboarding/analytics", json={})
            await self.ha(
                "POST",
                "/api/onboarding/integration",
                json={
                    "client_id": demo.CLIENT_ID,
                    "redirect_uri": f"{HA_URL}/?auth_callback=1",
                },
            )
            done = await self.ha("GET", "/api/onboarding")
            expect(all(s["done"] for s in done), f"onboarding not done: {done}")
            self.ws = await self.http.ws_connect(f"{HA_URL}/api/websocket")
            await self.ws.receive_json()  # auth_required
            await self.ws.send_json({"type": "auth", "access_token": self.token})
            auth = await self.ws.receive_json()
            expect(auth["type"] == "auth_ok", f"authentication failed: {auth}")
            # What onboarding's location step asks for (else a repair says it is missing).
            await self.ws_call({"type": "config/core/update", "country": "US"})

    async def open_browser(self) -> None:
        """Launch Chromium and log in by typing, as a person does."""
        async with self.step(
            f"launch {CHROMIUM} (headless) and log in as {demo.USER!r}"
        ) as step:
            self.playwright = await async_playwright().start()
            self.browser = await self.playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
            )
            step.detail(f"Chromium {self.browser.version}")
            self.context = await self.browser.new_context(
                viewport={"width": VIEWPORT_WIDTH, "height": VIEWPORT_HEIGHT},
                locale="en-US",
                timezone_id="UTC",
            )
            self.context.set_default_timeout(TIMEOUT_MS)
            see.set_options(timeout=TIMEOUT_MS)
            self.page = await self.context.new_page()
            await self.page.goto(f"{HA_URL}/")
            await self.page.locator("input[name=username]").fill(demo.USER)
            await self.page.locator("input[name=password]").fill(demo.USER_PASSWORD)
            await self.page.get_by_role("button", name="Log in").click()
            await self.page.wait_for_url("**/home/**")
            step.detail(f"logged in: {self.page.url}")

    async def run(self) -> None:
        """Run every journey."""
        await self.start()
        async with self.step(
            "remove what onboarding set up that needs the internet (so no setup error shows)"
        ) as step:
            await self.wait_for(
                "onboarding's integrations to be set up", self._onboarding_settled, 30
            )
            for entry in await self.ha("GET", "/api/config/config_entries/entry"):
                if entry["domain"] in NEEDS_INTERNET:
                    await self.ha(
                        "DELETE",
                        f"/api/config/config_entries/entry/{entry['entry_id']}",
                    )
                    step.detail(f"removed {entry['title']!r} ({entry['state']})")
        await self.open_browser()
        await self.wrong_credentials()
        await self.setup()
        await self.add_recipient()
        await self.send()
        await self.receive()
        await self.reconfigure()
        await self.close_browser()
        async with self.step(
            "stop Home Assistant; its log has no errors and no secrets"
        ) as step:
            await self.close_ws()
            assert self.hass is not None
            status = ha_env.stop(self.hass, 60)
            expect(status == 0, f"Home Assistant exited with status {status}")
            self.check_log(step)

    async def _onboarding_settled(self) -> bool:
        """Return whether onboarding's flows are done and their entries past setting up."""
        if await self.ws_call({"type": "config_entries/flow/progress"}):
            return False
        entries = await self.ha("GET", "/api/config/config_entries/entry")
        domains = {e["domain"] for e in entries}
        return "radio_browser" in domains and all(
            e["state"] not in ("not_loaded", "setup_in_progress") for e in entries
        )

    # The journeys

    async def wrong_credentials(self) -> None:
        """Journey: a wrong password with a test number shows the translated error."""
        user = self.flow_strings("config", "step", "user")
        error = self.flow_strings("config", "error", "invalid_auth")
        async with self.step(
            'journey: wrong credentials with a test number — Add integration, search "Tatango"'
        ) as step:
            await self.open_add_integration()
            await self.see_form_texts(
                step, user, ["key", "password", "url", "test_recipient"]
            )
            await see(self.dialog().locator("input[name=url]")).to_have_value(
                "http://gateway.tatango.com/messages"
            )
            step.detail("the Gateway URL field is shown, with the real gateway's URL")
            await self.shot(step, "01-setup-form")
            dialog = self.dialog()
            await dialog.locator("input[name=key]").fill(demo.KEY)
            await dialog.locator("input[name=password]").fill(WRONG_PASSWORD)
            await dialog.locator("input[name=url]").fill(f"{SIMULATOR_URL}/messages")
            await dialog.locator("input[name=test_recipient]").fill(TEST_NUMBER_TYPED)
            await dialog.get_by_role("button", name="Submit").click()
            await see(dialog.get_by_text(error, exact=True)).to_be_visible()
            step.detail(f"the form shows {error!r}")
            await self.shot(step, "02-setup-wrong-credentials")
            state = await self.gateway("GET", "/control/state")
            statuses = [r["status"] for r in state["requests"]]
            expect(
                statuses == [401], f"the gateway answered {statuses}, expected [401]"
            )
            step.detail("the gateway got one test SMS and answered 401")
            # Closing cancels the flow once the dialog's closing animation ends.
            async with self.page.expect_response(
                lambda r: r.request.method == "DELETE" and "/flow/" in r.url
            ) as cancelled:
                await dialog.get_by_role("button", name="Close").first.click()
            expect((await cancelled.value).ok, "cancelling the flow failed")
            await see(dialog).to_be_hidden()
            await see(
                self.page.get_by_text("Shopping list", exact=True)
            ).to_be_visible()
            await see(self.page.get_by_text("Tatango SMS", exact=True)).to_have_count(0)
            expect(not await self.entries(), "an entry was created")
            step.detail("closed: Devices & services lists no Tatango SMS entry")

    async def setup(self) -> None:
        """Journey: set the integration up; the webhook URL is shown; the entry is loaded."""
        user = self.flow_strings("config", "step", "user")
        async with self.step(
            "journey: setup — the simulator's URL, the webhook URL, Finish"
        ) as step:
            await self.open_add_integration()
            await self.see_form_texts(step, user, ["key", "password", "url"])
            dialog = self.dialog()
            await dialog.locator("input[name=key]").fill(demo.KEY)
            await dialog.locator("input[name=password]").fill(demo.PASSWORD)
            await dialog.locator("input[name=url]").fill(f"{SIMULATOR_URL}/messages")
            await self.shot(step, "03-setup-filled")
            await dialog.get_by_role("button", name="Submit").click()
            await see(
                dialog.get_by_text("Now paste this webhook URL", exact=False)
            ).to_be_visible()
            link = dialog.locator("a[href*='/api/webhook/']")
            self.webhook_url = (await link.inner_text()).strip()
            expect(
                WEBHOOK_PATH.match(self.webhook_url) is not None,
                f"the webhook URL shown is {self.webhook_url!r}",
            )
            step.detail(
                f"the dialog shows the webhook URL {demo._redact_webhook(self.webhook_url)}"  # noqa: SLF001
            )
            await self.shot(step, "04-setup-webhook-url")
            await dialog.get_by_role(
                "button", name=re.compile("finish", re.IGNORECASE)
            ).click()
            await see(dialog).to_be_hidden()
            entries = await self.entries()
            expect(len(entries) == 1, f"entries: {show(entries)}")
            self.entry_id = entries[0]["entry_id"]

            await self.open_integration_page()
            row = self.page.locator("ha-config-entry-row").first
            await see(row).to_contain_text("Tatango SMS")
            await see(row).to_contain_text("SMS Gateway")
            for problem in ("Failed", "Not loaded", "Retrying", "Disabled"):
                await see(row.get_by_text(problem)).to_have_count(0)
            step.detail(
                "Devices & services > Tatango SMS lists the entry, its SMS Gateway device, no error"
            )
            await self.shot(step, "05-setup-entry")
            await self.wait_for("the entry to be loaded", self._entry_loaded, 30)
            step.detail("REST: the entry is loaded")

    async def add_recipient(self) -> None:
        """Journey: add a recipient; its device, notify entity and opt-in sensor appear."""
        recipient = self.flow_strings("config_subentries", "recipient", "step", "user")
        async with self.step(
            f"journey: add recipient {demo.RECIPIENT!r}, typed {demo.NUMBER_TYPED!r}"
        ) as step:
            await self.open_integration_page()
            await self.page.get_by_role("button", name="Add recipient").click()
            await self.see_form_texts(step, recipient, ["name", "phone_number"])
            dialog = self.dialog()
            await dialog.locator("input[name=name]").fill(demo.RECIPIENT)
            await dialog.locator("input[name=phone_number]").fill(demo.NUMBER_TYPED)
            await self.shot(step, "07-add-recipient")
            await dialog.get_by_role("button", name="Submit").click()
            await see(
                dialog.get_by_text(f"Created configuration for {demo.RECIPIENT}.")
            ).to_be_visible()
            await dialog.get_by_role("button", name="Finish").click()
            await see(dialog).to_be_hidden()
            await see(self.page.get_by_text("SMS recipient").first).to_be_visible()
            step.detail("the entry lists the recipient's device (SMS recipient)")
            await self.shot(step, "08-recipient-listed")
            await self.wait_for("the entry to be loaded again", self._entry_loaded, 30)

            await self.open_device("SMS recipient")
            await see(
                self.page.get_by_text(demo.RECIPIENT, exact=True).first
            ).to_be_visible()
            sensors = self.card("Sensors")
            await see(sensors).to_contain_text("Opt-in status")
            await see(sensors).to_contain_text("Unknown")
            notifiers = self.card("Notifiers")
            await see(notifiers).to_contain_text(demo.RECIPIENT)
            step.detail(
                "its device page: Sensors 'Opt-in status' Unknown, Notifiers 'Alice'"
            )
            await self.shot(step, "09-recipient-device")
            notify = await self.state("notify.alice")
            sensor = await self.state("sensor.alice_opt_in_status")
            step.detail(
                f"REST: notify.alice {notify['state']!r}, sensor.alice_opt_in_status {sensor['state']!r}"
            )

    async def send(self) -> None:
        """Journey: send from Tools > Actions; the phone page shows it; the sensor says invited."""
        async with self.step(
            "journey: send — Tools > Actions, notify.send_message to Alice"
        ) as step:
            await self.page.goto(f"{HA_URL}/developer-tools/action")
            await self.page.get_by_text("Action", exact=True).first.click()
            picker = self.page.locator("ha-service-picker ha-picker-combo-box")
            await picker.get_by_placeholder("Search").fill(
                "Send a notification message"
            )
            await picker.get_by_text("notify.send_message").click()
            await self.page.get_by_role("button", name="Add target").click()
            targets = self.page.locator("ha-target-picker ha-picker-combo-box")
            await targets.get_by_placeholder("Search").fill(demo.RECIPIENT)
            await targets.get_by_role("button", name="Filter: Entities").click()
            await targets.get_by_text(demo.RECIPIENT, exact=True).first.click()
            chosen = self.page.locator("ha-target-picker").filter(has_text="Entities")
            await see(chosen.get_by_text(demo.RECIPIENT, exact=True)).to_be_visible()
            await self.page.wait_for_timeout(500)  # the form re-renders with the target
            message = (
                self.page.locator("ha-settings-row")
                .filter(has_text="Your notification message.")
                .locator("input, textarea")
                .first
            )
            await message.fill(demo.MESSAGE)
            await see(message).to_have_value(demo.MESSAGE)
            await self.shot(step, "10-send-action")
            before = len((await self.gateway("GET", "/control/state"))["requests"])
            await self.page.get_by_role("button", name="Perform action").click()
            await self.wait_for(
                "the gateway to get the SMS",
                lambda: self._gateway_requests_after(before),
                20,
            )
            await see(
                self.page.get_by_text("Failed to perform the action", exact=False)
            ).to_have_count(0)
            request = (await self.gateway("GET", "/control/state"))["requests"][before]
            expect(
                request["recipient"] == demo.NUMBER and request["status"] == 202,
                f"the gateway got {show(request)}",
            )
            step.detail(
                f"the gateway got it for {demo.NUMBER} and answered 202 (invited to opt in)"
            )

            assert self.context is not None
            self.phone = await self.context.new_page()
            await self.phone.goto(f"{SIMULATOR_URL}/#{demo.NUMBER}")
            thread = self.phone.locator(".thread")
            await see(thread.locator("#thread-title")).to_have_text("(206) 555-0123")
            await see(thread.locator("#messages")).to_contain_text(demo.MESSAGE)
            await see(thread.locator("#messages")).to_contain_text(
                "202 accepted: the number was invited to opt in"
            )
            await see(thread.locator("#thread-status")).to_have_text(
                "invited, not opted in"
            )
            step.detail(
                "the phone page (second tab) shows the SMS, '202 accepted: the number was "
                "invited to opt in', 'invited, not opted in'"
            )
            await self.shot(step, "11-phone-page-received", self.phone)

            await self.page.bring_to_front()
            await self.open_device("SMS recipient")
            await see(self.card("Sensors")).to_contain_text("Invited")
            step.detail("Alice's device page: Opt-in status Invited")
            await self.shot(step, "12-recipient-invited")
            sensor = await self.state("sensor.alice_opt_in_status")
            expect(sensor["state"] == "invited", f"sensor {show(sensor)}")

    async def _gateway_requests_after(self, before: int) -> bool:
        state = await self.gateway("GET", "/control/state")
        return len(state["requests"]) > before

    async def receive(self) -> None:
        """Journey: text Home Assistant from the phone page; the event entity shows it."""
        async with self.step(
            f"journey: receive — paste the webhook URL into the phone page, text {INCOMING!r}"
        ) as step:
            await self.open_device("SMS Gateway")
            events = self.card("Events")
            await see(events).to_contain_text("Incoming SMS")
            await see(events).to_contain_text("Unknown")
            step.detail("the account's device page: Incoming SMS Unknown")
            before = await self.state("event.tatango_sms_incoming_sms")

            assert self.phone is not None
            phone = self.phone
            await phone.bring_to_front()
            await phone.locator("#mo-url").fill(self.webhook_url)
            await phone.get_by_role("button", name="Save").click()
            await see(phone.locator("#notice")).to_have_text("Webhook URL saved.")
            await phone.locator("#mo-sender").fill(demo.NUMBER)
            await phone.locator("#mo-content").fill(INCOMING)
            await phone.get_by_role("button", name="Send to Home Assistant").click()
            await see(phone.locator("#notice")).to_have_text(
                "Posted to Home Assistant's webhook, which answered 200."
            )
            await see(phone.locator("#messages")).to_contain_text(INCOMING)
            await see(phone.locator("#messages")).to_contain_text(
                "webhook answered 200"
            )
            step.detail(
                "the phone page: 'Posted to Home Assistant's webhook, which answered 200.'"
            )
            await self.shot(step, "13-phone-page-sent", phone)

            await self.page.bring_to_front()
            await see(events).to_contain_text("Received")
            await see(events).not_to_contain_text("Unknown")
            step.detail(
                "the device page, left open, now shows Incoming SMS Received (pushed, no reload)"
            )
            await events.get_by_text("Incoming SMS", exact=True).click()
            more_info = self.page.locator("ha-more-info-dialog")
            await more_info.get_by_role("button", name="Menu").click()
            await self.page.get_by_text("Details", exact=True).click()
            expected = {
                "Content": INCOMING,
                "Sender": demo.NUMBER,
                "Recipient": demo.RECIPIENT,
                "Keyword": "LIGHTS",
            }
            for name, value in expected.items():
                row = more_info.locator("ha-list-item-value").filter(
                    has=self.page.get_by_text(name, exact=True)
                )
                await see(row).to_contain_text(value)
            step.detail(
                "its Details > Attributes: "
                + ", ".join(f"{k} {v!r}" for k, v in expected.items())
            )
            await self.shot(step, "14-incoming-sms-attributes")
            after = await self.state("event.tatango_sms_incoming_sms")
            expect(
                after["state"] != before["state"]
                and after["attributes"].get("content") == INCOMING,
                f"event entity {show(after)}",
            )
            step.detail(f"REST: state {before['state']!r} -> {after['state']!r}")
            await self.page.keyboard.press("Escape")

    async def reconfigure(self) -> None:
        """Journey: Reconfigure shows the webhook URL again."""
        reconfigure = self.flow_strings("config", "step", "reconfigure")
        async with self.step(
            "journey: reconfigure shows the webhook URL again"
        ) as step:
            await self.open_integration_page()
            row = self.page.locator("ha-config-entry-row").first
            await row.get_by_role("button", name="Menu").first.click()
            await self.page.get_by_text("Reconfigure", exact=True).click()
            dialog = self.dialog()
            await see(
                dialog.get_by_text(reconfigure["title"], exact=True)
            ).to_be_visible()
            link = dialog.locator("a[href*='/api/webhook/']")
            await see(link).to_have_text(self.webhook_url)
            step.detail(f"{reconfigure['title']!r} shows the same webhook URL")
            await self.shot(step, "15-reconfigure-webhook-url")
            await dialog.get_by_role("button", name="Close").first.click()
            await see(dialog).to_be_hidden()

    # Clean-up

    async def close_browser(self) -> None:
        """Close the browser and Playwright (idempotent)."""
        if self.browser is not None:
            with contextlib.suppress(PlaywrightError):
                await self.browser.close()
            self.browser = None
        if self.playwright is not None:
            with contextlib.suppress(PlaywrightError):
                await self.playwright.stop()
            self.playwright = None

    async def screenshot_failure(self) -> None:
        """Save what every open tab shows, to see why a step failed."""
        if self.context is None:
            return
        for number, page in enumerate(self.context.pages, 1):
            with contextlib.suppress(PlaywrightError):
                path = self.shots / f"FAILED-tab{number}.png"
                await page.screenshot(path=path)
                print(
                    f"      screenshot of tab {number}: {path.relative_to(ha_env.ROOT)}"
                )

    async def stop_all(self) -> None:
        """Stop the browser, then both processes (idempotent)."""
        await self.close_browser()
        await super().stop_all()


def write_docs_images(shots: Path, docs: Path) -> None:
    """Write the README's screenshots into docs, palette-reduced (small PNGs)."""
    from PIL import Image  # noqa: PLC0415  # Home Assistant's environment has Pillow

    docs.mkdir(parents=True, exist_ok=True)
    for name, target in DOCS_IMAGES.items():
        with Image.open(shots / f"{name}.png") as image:
            small = image.convert("RGB").quantize(
                colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
            )
            small.save(docs / target, optimize=True)
        size = (docs / target).stat().st_size
        shown = (docs / target).relative_to(ha_env.ROOT)
        print(f"      {shown}: {size // 1024} KiB", flush=True)


async def amain(docs: Path | None) -> int:
    """Run the journeys; return the exit status."""
    started = time.monotonic()
    print(
        "ui journeys: Home Assistant's frontend in headless Chromium, with the gateway simulator",
        flush=True,
    )
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    workdir = Path(tempfile.mkdtemp(prefix="ui-journeys-", dir=ha_env.ROOT / ".cache"))
    journeys = Journeys(workdir, SHOTS)
    status = await demo.run_supervised(
        journeys,
        journeys.run,
        failed=(
            DemoError,
            AssertionError,
            PlaywrightError,
            aiohttp.ClientError,
            OSError,
            TimeoutError,
        ),
        on_failure=journeys.screenshot_failure,
    )
    elapsed = time.monotonic() - started
    shots = SHOTS.relative_to(ha_env.ROOT)
    if status == 0:
        shutil.rmtree(workdir, ignore_errors=True)
        print(
            f"ui journeys: OK, {journeys.steps} steps in {elapsed:.1f} s; "
            f"{len(journeys.taken)} screenshots in {shots}/",
            flush=True,
        )
        if docs is not None:
            write_docs_images(SHOTS, docs)
    elif status == 130:
        shutil.rmtree(workdir, ignore_errors=True)
        print(
            f"ui journeys: interrupted after {elapsed:.1f} s; all stopped", flush=True
        )
    else:
        print(
            f"ui journeys: FAILED after {elapsed:.1f} s; screenshots in {shots}/, Home "
            f"Assistant's log and configuration in {workdir.relative_to(ha_env.ROOT)}/",
            flush=True,
        )
    return status


def main() -> int:
    """Command line."""
    parser = argparse.ArgumentParser(prog="ui_journeys.py", description=__doc__)
    parser.add_argument(
        "--docs",
        type=Path,
        help="after every journey passed, write the README's screenshots here",
    )
    args = parser.parse_args()
    docs = args.docs.resolve() if args.docs is not None else None
    return asyncio.run(amain(docs))


if __name__ == "__main__":
    sys.exit(main())
