# ruff: noqa: INP001
"""Browser journeys: Home Assistant's real frontend, driven as a person drives it.

Runs inside the environment scripts/ui_journeys prepares (normally in a
network namespace that has only loopback, like scripts/demo). Starts the
gateway simulator and Home Assistant 2026.11.0 with a throwaway configuration
and onboards over REST (as scripts/demo does); from then on a headless Debian
Chromium, driven by Playwright, clicks and types through the journeys:

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
import dataclasses
import json
from pathlib import Path
import re
import shutil
import sys
from typing import Any

import demo
from demo import MESSAGE, NUMBER, NUMBER_TYPED, RECIPIENT, redact_webhook
from harness import DOMAIN, ROOT, Harness, RunError, Step, expect, run, show
from playwright.async_api import (
    BrowserContext,
    Error as PlaywrightError,
    Locator,
    Page,
    expect as see,
)

SETTINGS = dataclasses.replace(demo.SETTINGS, name="ui-journeys")
VIEWPORT_WIDTH, VIEWPORT_HEIGHT = 1280, 800
# For one locator or assertion; Home Assistant answers in well under a second.
TIMEOUT_MS = 20_000
SHOTS = ROOT / ".cache" / "ui-journeys"
TRANSLATIONS = ROOT / "custom_components" / "tatango_sms" / "translations" / "en.json"
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


class Journeys:
    """The journeys: a browser on the harness's Home Assistant and simulator."""

    def __init__(self, h: Harness, context: BrowserContext, page: Page) -> None:
        """Initialize with the harness and the browser's first tab."""
        self.h = h
        self.context = context
        self.page = page  # Home Assistant
        self.phone: Page | None = None  # the simulator's phone page, a second tab
        self.strings = json.loads(TRANSLATIONS.read_text(encoding="utf-8"))
        self.taken: list[str] = []
        self.webhook_url = ""
        self.entry_id = ""

    # Helpers

    async def shot(self, step: Step, name: str, page: Page | None = None) -> None:
        """Save a screenshot of the page as <name>.png and say so."""
        page = page or self.page
        await page.wait_for_timeout(300)  # let ripples and transitions settle
        await page.screenshot(path=SHOTS / f"{name}.png")
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
        entries = await self.h.ha("GET", "/api/config/config_entries/entry")
        return [e for e in entries if e["domain"] == DOMAIN]

    async def state(self, entity_id: str) -> dict[str, Any]:
        """Return an entity's state object (REST)."""
        state: dict[str, Any] = await self.h.ha("GET", f"/api/states/{entity_id}")
        return state

    async def entry_loaded(self) -> bool:
        """Return whether the integration's entry is loaded (REST)."""
        return await self.h.entry_loaded(self.entry_id)

    def dialog(self) -> Locator:
        """Return the open config flow dialog."""
        return self.page.locator("dialog-data-entry-flow")

    async def see_form_texts(
        self, step: Step, translations: dict[str, Any], fields: list[str]
    ) -> None:
        """Check that the open form shows each field's translated label and help text."""
        dialog = self.dialog()
        title = translations["title"]
        await see(dialog.get_by_text(title, exact=True).first).to_be_visible()
        for field in fields:
            label = re.compile(rf"^{re.escape(translations['data'][field])}\*?$")
            await see(dialog.get_by_text(label).first).to_be_visible()
            help_text = translations["data_description"][field]
            await see(dialog.get_by_text(help_text, exact=True)).to_be_visible()
        labels = ", ".join(repr(translations["data"][f]) for f in fields)
        step.detail(f"labels: {labels}")
        step.detail("each with its help text")

    async def open_add_integration(self) -> None:
        """Open Settings > Devices & services > Add integration, search "Tatango", pick it."""
        await self.page.goto(f"{SETTINGS.ha_url}/config/integrations/dashboard")
        await self.page.get_by_role("button", name="Add integration").click()
        await self.page.get_by_placeholder("Search for a brand name").fill("Tatango")
        await self.page.get_by_text("Tatango SMS", exact=True).click()
        await see(self.dialog().locator("input[name=key]")).to_be_visible()

    async def open_integration_page(self) -> None:
        """Go to the integration's page (its entries and recipients)."""
        await self.page.goto(f"{SETTINGS.ha_url}/config/integrations/dashboard")
        await self.page.get_by_text("Tatango SMS", exact=True).click()
        await self.page.wait_for_url("**/config/integrations/integration/tatango_sms")

    async def open_device(self, model: str) -> None:
        """From the integration's page, open the device whose row says model."""
        await self.open_integration_page()
        await self.page.get_by_text(model).first.click()
        await self.page.wait_for_url("**/config/devices/device/**")

    def card(self, heading: str) -> Locator:
        """Return the device page's card with this heading (Sensors, Events...)."""
        heading_text = self.page.get_by_text(heading, exact=True)
        return self.page.locator("ha-card").filter(has=heading_text)

    async def log_in(self) -> None:
        """Log in by typing, as a person does."""
        username, password = SETTINGS.owner
        async with self.h.step(f"log in as {username!r}") as step:
            await self.page.goto(f"{SETTINGS.ha_url}/")
            await self.page.locator("input[name=username]").fill(username)
            await self.page.locator("input[name=password]").fill(password)
            await self.page.get_by_role("button", name="Log in").click()
            await self.page.wait_for_url("**/home/**")
            assert self.context.browser is not None
            step.detail(f"Chromium {self.context.browser.version}; at {self.page.url}")

    # The journeys

    async def wrong_credentials(self) -> None:
        """Journey: a wrong password with a test number shows the translated error."""
        user = self.flow_strings("config", "step", "user")
        error = self.flow_strings("config", "error", "invalid_auth")
        async with self.h.step(
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
            await dialog.locator("input[name=key]").fill(SETTINGS.key)
            await dialog.locator("input[name=password]").fill(WRONG_PASSWORD)
            await dialog.locator("input[name=url]").fill(
                f"{SETTINGS.simulator_url}/messages"
            )
            await dialog.locator("input[name=test_recipient]").fill(TEST_NUMBER_TYPED)
            await dialog.get_by_role("button", name="Submit").click()
            await see(dialog.get_by_text(error, exact=True)).to_be_visible()
            step.detail(f"the form shows {error!r}")
            await self.shot(step, "02-setup-wrong-credentials")
            state = await self.h.gateway("GET", "/control/state")
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
        async with self.h.step(
            "journey: setup — the simulator's URL, the webhook URL, Finish"
        ) as step:
            await self.open_add_integration()
            await self.see_form_texts(step, user, ["key", "password", "url"])
            dialog = self.dialog()
            await dialog.locator("input[name=key]").fill(SETTINGS.key)
            await dialog.locator("input[name=password]").fill(SETTINGS.password)
            await dialog.locator("input[name=url]").fill(
                f"{SETTINGS.simulator_url}/messages"
            )
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
                f"the dialog shows the webhook URL {redact_webhook(self.webhook_url)}"
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
            await self.h.wait_for("the entry to be loaded", self.entry_loaded, 30)
            step.detail("REST: the entry is loaded")

    async def add_recipient(self) -> None:
        """Journey: add a recipient; its device, notify entity and opt-in sensor appear."""
        recipient = self.flow_strings("config_subentries", "recipient", "step", "user")
        async with self.h.step(
            f"journey: add recipient {RECIPIENT!r}, typed {NUMBER_TYPED!r}"
        ) as step:
            await self.open_integration_page()
            await self.page.get_by_role("button", name="Add recipient").click()
            await self.see_form_texts(step, recipient, ["name", "phone_number"])
            dialog = self.dialog()
            await dialog.locator("input[name=name]").fill(RECIPIENT)
            await dialog.locator("input[name=phone_number]").fill(NUMBER_TYPED)
            await self.shot(step, "07-add-recipient")
            await dialog.get_by_role("button", name="Submit").click()
            await see(
                dialog.get_by_text(f"Created configuration for {RECIPIENT}.")
            ).to_be_visible()
            await dialog.get_by_role("button", name="Finish").click()
            await see(dialog).to_be_hidden()
            await see(self.page.get_by_text("SMS recipient").first).to_be_visible()
            step.detail("the entry lists the recipient's device (SMS recipient)")
            await self.shot(step, "08-recipient-listed")
            await self.h.wait_for("the entry to be loaded again", self.entry_loaded, 30)

            await self.open_device("SMS recipient")
            await see(
                self.page.get_by_text(RECIPIENT, exact=True).first
            ).to_be_visible()
            sensors = self.card("Sensors")
            await see(sensors).to_contain_text("Opt-in status")
            await see(sensors).to_contain_text("Unknown")
            notifiers = self.card("Notifiers")
            await see(notifiers).to_contain_text(RECIPIENT)
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
        async with self.h.step(
            "journey: send — Tools > Actions, notify.send_message to Alice"
        ) as step:
            await self.page.goto(f"{SETTINGS.ha_url}/developer-tools/action")
            await self.page.get_by_text("Action", exact=True).first.click()
            picker = self.page.locator("ha-service-picker ha-picker-combo-box")
            await picker.get_by_placeholder("Search").fill(
                "Send a notification message"
            )
            await picker.get_by_text("notify.send_message").click()
            await self.page.get_by_role("button", name="Add target").click()
            targets = self.page.locator("ha-target-picker ha-picker-combo-box")
            await targets.get_by_placeholder("Search").fill(RECIPIENT)
            await targets.get_by_role("button", name="Filter: Entities").click()
            await targets.get_by_text(RECIPIENT, exact=True).first.click()
            chosen = self.page.locator("ha-target-picker").filter(has_text="Entities")
            await see(chosen.get_by_text(RECIPIENT, exact=True)).to_be_visible()
            await self.page.wait_for_timeout(500)  # the form re-renders with the target
            message = (
                self.page.locator("ha-settings-row")
                .filter(has_text="Your notification message.")
                .locator("input, textarea")
                .first
            )
            await message.fill(MESSAGE)
            await see(message).to_have_value(MESSAGE)
            await self.shot(step, "10-send-action")
            before = len((await self.h.gateway("GET", "/control/state"))["requests"])
            await self.page.get_by_role("button", name="Perform action").click()
            await self.h.wait_for(
                "the gateway to get the SMS",
                lambda: self._gateway_requests_after(before),
                20,
            )
            await see(
                self.page.get_by_text("Failed to perform the action", exact=False)
            ).to_have_count(0)
            request = (await self.h.gateway("GET", "/control/state"))["requests"][
                before
            ]
            expect(
                request["recipient"] == NUMBER and request["status"] == 202,
                f"the gateway got {show(request)}",
            )
            step.detail(
                f"the gateway got it for {NUMBER} and answered 202 (invited to opt in)"
            )

            self.phone = await self.context.new_page()
            await self.phone.goto(f"{SETTINGS.simulator_url}/#{NUMBER}")
            thread = self.phone.locator(".thread")
            await see(thread.locator("#thread-title")).to_have_text("(206) 555-0123")
            await see(thread.locator("#messages")).to_contain_text(MESSAGE)
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
        state = await self.h.gateway("GET", "/control/state")
        return len(state["requests"]) > before

    async def receive(self) -> None:
        """Journey: text Home Assistant from the phone page; the event entity shows it."""
        async with self.h.step(
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
            await phone.locator("#mo-sender").fill(NUMBER)
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
                "Sender": NUMBER,
                "Recipient": RECIPIENT,
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
        async with self.h.step(
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

    async def screenshot_failure(self) -> None:
        """Save what every open tab shows, to see why a step failed."""
        for number, page in enumerate(self.context.pages, 1):
            with contextlib.suppress(PlaywrightError):
                path = SHOTS / f"FAILED-tab{number}.png"
                await page.screenshot(path=path)
                print(f"      screenshot of tab {number}: {path.relative_to(ROOT)}")


async def onboarding_settled(h: Harness) -> bool:
    """Return whether onboarding's flows are done and their entries past setting up."""
    if await h.ws_call({"type": "config_entries/flow/progress"}):
        return False
    entries = await h.ha("GET", "/api/config/config_entries/entry")
    return "radio_browser" in {e["domain"] for e in entries} and all(
        e["state"] not in ("not_loaded", "setup_in_progress") for e in entries
    )


async def journeys(h: Harness, docs: Path | None) -> None:
    """Start everything, then run every journey in the browser."""
    print("ui journeys: Home Assistant's frontend in headless Chromium", flush=True)
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    await demo.start(h)
    async with h.step(
        "country US; remove what onboarding set up that needs the internet"
    ) as step:
        await h.connect_ws()
        # What onboarding's location step asks for (else a repair says it is missing).
        await h.ws_call({"type": "config/core/update", "country": "US"})
        await h.wait_for("onboarding's integrations", lambda: onboarding_settled(h), 30)
        for entry in await h.ha("GET", "/api/config/config_entries/entry"):
            if entry["domain"] in NEEDS_INTERNET:
                path = f"/api/config/config_entries/entry/{entry['entry_id']}"
                await h.ha("DELETE", path)
                step.detail(f"removed {entry['title']!r} ({entry['state']})")
    async with h.browser(VIEWPORT_WIDTH, VIEWPORT_HEIGHT, TIMEOUT_MS) as context:
        ui = Journeys(h, context, await context.new_page())
        try:
            await ui.log_in()
            await ui.wrong_credentials()
            await ui.setup()
            await ui.add_recipient()
            await ui.send()
            await ui.receive()
            await ui.reconfigure()
        except (AssertionError, PlaywrightError, RunError):
            await ui.screenshot_failure()
            raise
    async with h.step(
        "stop Home Assistant; its log has no errors and no secrets"
    ) as step:
        status = await h.stop_home_assistant()
        expect(status == 0, f"Home Assistant exited with status {status}")
        demo.check_log(h, step, ui.webhook_url)
    print(f"ui journeys: {len(ui.taken)} screenshots in {SHOTS.relative_to(ROOT)}/")
    if docs is not None:
        write_docs_images(docs)


def write_docs_images(docs: Path) -> None:
    """Write the README's screenshots into docs, palette-reduced (small PNGs)."""
    from PIL import Image  # noqa: PLC0415  # Home Assistant's environment has Pillow

    docs.mkdir(parents=True, exist_ok=True)
    for name, target in DOCS_IMAGES.items():
        with Image.open(SHOTS / f"{name}.png") as image:
            small = image.convert("RGB").quantize(
                colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
            )
            small.save(docs / target, optimize=True)
        size = (docs / target).stat().st_size
        print(f"      {(docs / target).relative_to(ROOT)}: {size // 1024} KiB")


def main() -> int:
    """Command line."""
    parser = argparse.ArgumentParser(prog="ui_journeys.py", description=__doc__)
    parser.add_argument(
        "--docs",
        type=Path,
        help="after every journey passed, write the README's screenshots here",
    )
    docs = parser.parse_args().docs
    docs = docs.resolve() if docs is not None else None
    errors = (AssertionError, PlaywrightError)
    return asyncio.run(run(SETTINGS, lambda h: journeys(h, docs), errors=errors))


if __name__ == "__main__":
    sys.exit(main())
