# ruff: noqa: INP001
"""Browser journeys: Home Assistant's real frontend, driven as a person drives it.

After the simulator and Home Assistant are started and onboarded as by
scripts/demo, a headless Chromium goes through the journeys (Journeys' methods),
asserting what is on the screen and Home Assistant's state over REST, with a
screenshot per step in .cache/ui-journeys/ (--docs DIR: the README's ones).
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
from demo import GARAGE, LIGHT, MESSAGE, NUMBER, NUMBER_TYPED, QUESTION, RECIPIENT
from harness import DOMAIN, ROOT, Harness, RunError, detail, expect, run, show
from playwright.async_api import (
    BrowserContext,
    Error as PlaywrightError,
    Locator,
    Page,
    expect as see,
)

SETTINGS = dataclasses.replace(demo.SETTINGS, name="ui-journeys")
VIEWPORT = (1280, 800)
TIMEOUT_MS = 20_000  # for a locator or an assertion; Home Assistant answers far sooner
SHOTS = ROOT / ".cache" / "ui-journeys"
TRANSLATIONS = ROOT / "custom_components" / "tatango_sms" / "translations" / "en.json"
WRONG_PASSWORD = "not-the-password"  # noqa: S105
TEST_NUMBER_TYPED = "(206) 555-0199"
INCOMING = "LIGHTS ON please"
ENTRIES = "/api/config/config_entries/entry"
WEBHOOK_PATH = re.compile(r"^http://127\.0\.0\.1:\d+/api/webhook/[0-9a-f]{32,}$")
NEEDS_INTERNET = ("radio_browser", "met")  # set up by onboarding; they only retry here
# The screenshots the README shows (--docs), named without their number.
DOCS_IMAGES = (
    *("01-setup-form", "02-setup-wrong-credentials", "04-setup-webhook-url"),
    *("07-add-recipient", "12-recipient-opt-in-status", "14-incoming-sms"),
    *("15-reconfigure-webhook-url", "16-assist-options", "18-sms-assist", "20-sms-ask"),
)


class Journeys:
    """The journeys: a browser on the harness's Home Assistant and simulator."""

    def __init__(self, h: Harness, context: BrowserContext, page: Page) -> None:
        """Initialize with the harness and the browser's first tab."""
        self.h, self.context, self.page = h, context, page  # page: Home Assistant's
        self.phone: Page  # the simulator's phone page, a second tab
        self.strings = json.loads(TRANSLATIONS.read_text(encoding="utf-8"))
        self.taken: list[str] = []
        self.webhook_url = self.entry_id = ""

    # Helpers

    async def shot(self, name: str, page: Page | None = None) -> None:
        """Save a screenshot of the page as <name>.png and say so."""
        page = page or self.page
        await page.wait_for_timeout(300)  # let ripples and transitions settle
        await page.screenshot(path=SHOTS / f"{name}.png")
        self.taken.append(name)
        detail(f"screenshot {name}.png")

    def strings_of(self, *keys: str) -> dict[str, Any]:
        """Return a part of the translations, e.g. ("config", "step", "user")."""
        node: dict[str, Any] = self.strings
        for key in keys:
            node = node[key]
        return node

    async def entries(self) -> list[dict[str, Any]]:
        """Return the integration's config entries (REST)."""
        return list(await self.h.ha("GET", f"{ENTRIES}?domain={DOMAIN}"))

    def text(self, text: str) -> Locator:
        """Return the first element that shows exactly text."""
        return self.page.get_by_text(text, exact=True).first

    def entry_row(self) -> Locator:
        """Return the account's row on the integration's page."""
        return self.page.locator("ha-config-entry-row").first

    def dialog(self) -> Locator:
        """Return the open config flow dialog."""
        return self.page.locator("dialog-data-entry-flow")

    async def fill(self, **fields: str) -> None:
        """Type into the open dialog's fields; again if the form, re-rendering, lost one."""
        inputs = [self.dialog().locator(f"input[name={name}]") for name in fields]
        for _ in range(3):
            for field, value in zip(inputs, fields.values(), strict=True):
                await field.fill(value)
            if [await field.input_value() for field in inputs] == [*fields.values()]:
                return
        raise RunError(f"the form lost what was typed into {', '.join(fields)}")

    async def press(self, name: str | re.Pattern[str], locator: Any = None) -> None:
        """Click the dialog's (or locator's) button called name."""
        await (locator or self.dialog()).get_by_role("button", name=name).first.click()

    async def see_form(self, translations: dict[str, Any], fields: list[str]) -> None:
        """Check that the open form shows each field's translated label and help text."""
        dialog = self.dialog()
        title = dialog.get_by_text(translations["title"], exact=True).first
        await see(title).to_be_visible()
        for field in fields:
            label = re.compile(rf"^{re.escape(translations['data'][field])}\*?$")
            await see(dialog.get_by_text(label).first).to_be_visible()
            help_text = translations["data_description"][field]
            await see(dialog.get_by_text(help_text, exact=True)).to_be_visible()
        labels = ", ".join(repr(translations["data"][f]) for f in fields)
        detail(f"labels, each with its help text: {labels}")

    async def open_add_integration(self) -> None:
        """Open Settings > Devices & services > Add integration, search "Tatango", pick it."""
        await self.page.goto(f"{SETTINGS.ha_url}/config/integrations/dashboard")
        await self.press("Add integration", self.page)
        await self.page.get_by_placeholder("Search for a brand name").fill("Tatango")
        await self.text("Tatango SMS").click()
        await see(self.dialog().locator("input[name=key]")).to_be_visible()

    async def open_integration_page(self) -> None:
        """Go to the integration's page (its entries and recipients)."""
        await self.page.goto(f"{SETTINGS.ha_url}/config/integrations/dashboard")
        await self.text("Tatango SMS").click()
        await self.page.wait_for_url("**/config/integrations/integration/tatango_sms")

    async def open_device(self, model: str) -> None:
        """From the integration's page, open the device whose row says model."""
        await self.open_integration_page()
        await self.page.get_by_text(model).first.click()
        await self.page.wait_for_url("**/config/devices/device/**")

    def card(self, heading: str) -> Locator:
        """Return the device page's card with this heading (Sensors, Events...)."""
        has = self.page.get_by_text(heading, exact=True)
        return self.page.locator("ha-card").filter(has=has)

    async def log_in(self) -> None:
        """Log in by typing, as a person does."""
        user, password = SETTINGS.owner
        async with self.h.step(f"log in as {user!r}"):
            await self.page.goto(f"{SETTINGS.ha_url}/")
            await self.page.locator("input[name=username]").fill(user)
            await self.page.locator("input[name=password]").fill(password)
            await self.press("Log in", self.page)
            await self.page.wait_for_url("**/home/**")
            assert self.context.browser is not None
            detail(f"Chromium {self.context.browser.version}; at {self.page.url}")

    # The journeys

    async def wrong_credentials(self) -> None:
        """Journey: a wrong password with a test number shows the translated error."""
        user = self.strings_of("config", "step", "user")
        error = self.strings_of("config", "error", "invalid_auth")
        async with self.h.step("journey: wrong credentials with a test number"):
            await self.open_add_integration()
            await self.see_form(user, ["key", "password", "url", "test_recipient"])
            url = self.dialog().locator("input[name=url]")
            await see(url).to_have_value("http://gateway.tatango.com/messages")
            detail("the Gateway URL field is shown, with the real gateway's URL")
            await self.shot("01-setup-form")
            await self.fill(key=SETTINGS.credentials.key, password=WRONG_PASSWORD)
            await self.fill(test_recipient=TEST_NUMBER_TYPED)
            await self.fill(url=f"{SETTINGS.simulator_url}/messages")
            await self.press("Submit")
            await see(self.dialog().get_by_text(error, exact=True)).to_be_visible()
            detail(f"the form shows {error!r}")
            await self.shot("02-setup-wrong-credentials")
            statuses = [r["status"] for r in await self.h.requests()]
            expect(statuses == [401], f"the gateway answered {statuses}, not [401]")
            detail("the gateway got one test SMS and answered 401")
            # Closing cancels the flow once the dialog's closing animation ends.
            deleted = lambda r: r.request.method == "DELETE" and "/flow/" in r.url  # noqa: E731
            async with self.page.expect_response(deleted) as cancelled:
                await self.press("Close")
            expect((await cancelled.value).ok, "cancelling the flow failed")
            await see(self.dialog()).to_be_hidden()
            await see(self.text("Shopping list")).to_be_visible()
            await see(self.page.get_by_text("Tatango SMS", exact=True)).to_have_count(0)
            expect(not await self.entries(), "an entry was created")
            detail("closed: Devices & services lists no Tatango SMS entry")

    async def setup(self) -> None:
        """Journey: set the integration up; the webhook URL is shown; the entry is loaded."""
        user = self.strings_of("config", "step", "user")
        async with self.h.step("journey: setup — the simulator's URL, the webhook URL"):
            await self.open_add_integration()
            await self.see_form(user, ["key", "password", "url"])
            await self.fill(**SETTINGS.credentials._asdict())
            await self.fill(url=f"{SETTINGS.simulator_url}/messages")
            await self.shot("03-setup-filled")
            await self.press("Submit")
            pasting = self.dialog().get_by_text("Now paste this webhook URL")
            await see(pasting).to_be_visible()
            link = self.dialog().locator("a[href*='/api/webhook/']")
            self.webhook_url = url = (await link.inner_text()).strip()
            expect(bool(WEBHOOK_PATH.match(url)), f"the webhook URL shown is {url!r}")
            detail(f"the dialog shows the webhook URL {demo.redact_webhook(url)}")
            await self.shot("04-setup-webhook-url")
            await self.press(re.compile("finish", re.IGNORECASE))
            await see(self.dialog()).to_be_hidden()
            entries = await self.entries()
            expect(len(entries) == 1, f"entries: {show(entries)}")
            self.entry_id = entries[0]["entry_id"]

            await self.open_integration_page()
            row = self.entry_row()
            await see(row).to_contain_text("Tatango SMS")
            await see(row).to_contain_text("SMS Gateway")
            for problem in ("Failed", "Not loaded", "Retrying", "Disabled"):
                await see(row.get_by_text(problem)).to_have_count(0)
            detail("Devices & services > Tatango SMS: the entry, its device, no error")
            await self.shot("05-setup-entry")
            await self.h.wait_loaded(self.entry_id)
            detail("REST: the entry is loaded")

    async def add_recipient(self) -> None:
        """Journey: add a recipient; its device, notify entity and opt-in sensor appear."""
        strings = self.strings_of("config_subentries", "recipient", "step", "user")
        async with self.h.step(f"journey: recipient {RECIPIENT!r}, {NUMBER_TYPED!r}"):
            await self.open_integration_page()
            await self.press("Add recipient", self.page)
            await self.see_form(strings, ["name", "phone_number"])
            await self.fill(name=RECIPIENT, phone_number=NUMBER_TYPED)
            await self.shot("07-add-recipient")
            await self.press("Submit")
            created = f"Created configuration for {RECIPIENT}."
            await see(self.dialog().get_by_text(created)).to_be_visible()
            await self.press("Finish")
            await see(self.dialog()).to_be_hidden()
            await see(self.page.get_by_text("SMS recipient").first).to_be_visible()
            detail("the entry lists the recipient's device (SMS recipient)")
            await self.shot("08-recipient-listed")
            await self.h.wait_loaded(self.entry_id)

            await self.open_device("SMS recipient")
            await see(self.text(RECIPIENT)).to_be_visible()
            await see(self.card("Sensors")).to_contain_text("Opt-in status")
            await see(self.card("Sensors")).to_contain_text("Unknown")
            await see(self.card("Notifiers")).to_contain_text(RECIPIENT)
            detail("device page: Sensors 'Opt-in status' Unknown, Notifiers 'Alice'")
            await self.shot("09-recipient-device")
            notify, sensor = "notify.alice", "sensor.alice_opt_in_status"
            states = [(await self.h.state(e))["state"] for e in (notify, sensor)]
            detail(f"REST: {notify} {states[0]!r}, {sensor} {states[1]!r}")

    async def send(self) -> None:
        """Journey: send from Tools > Actions; the phone page shows it; the sensor says invited."""
        async with self.h.step("journey: send — Tools > Actions, notify.send_message"):
            await self.page.goto(f"{SETTINGS.ha_url}/developer-tools/action")
            await self.text("Action").click()
            picker = self.page.locator("ha-service-picker ha-picker-combo-box")
            await picker.get_by_placeholder("Search").fill("Send a notification")
            await picker.get_by_text("notify.send_message").click()
            await self.press("Add target", self.page)
            targets = self.page.locator("ha-target-picker ha-picker-combo-box")
            await targets.get_by_placeholder("Search").fill(RECIPIENT)
            await self.press("Filter: Entities", targets)
            await targets.get_by_text(RECIPIENT, exact=True).first.click()
            chosen = self.page.locator("ha-target-picker").filter(has_text="Entities")
            await see(chosen.get_by_text(RECIPIENT, exact=True)).to_be_visible()
            await self.page.wait_for_timeout(500)  # the form re-renders with the target
            rows = self.page.locator("ha-settings-row")
            row = rows.filter(has_text="Your notification message.")
            message = row.locator("input, textarea").first
            await message.fill(MESSAGE)
            await see(message).to_have_value(MESSAGE)
            await self.shot("10-send-action")
            before = len(await self.h.requests())
            await self.press("Perform action", self.page)
            await self.h.wait_for("the SMS", lambda: self.h.requests(before), 20)
            failed = self.page.get_by_text("Failed to perform the action", exact=False)
            await see(failed).to_have_count(0)
            request = (await self.h.requests())[before]
            ok = request["recipient"] == NUMBER and request["status"] == 202
            expect(ok, f"the gateway got {show(request)}")
            detail(f"the gateway got it for {NUMBER}, answered 202 (invited to opt in)")

            self.phone = await self.context.new_page()
            await self.phone.goto(f"{SETTINGS.simulator_url}/#{NUMBER}")
            thread = self.phone.locator(".thread")
            await see(thread.locator("#thread-title")).to_have_text("(206) 555-0123")
            await see(thread.locator("#messages")).to_contain_text(MESSAGE)
            accepted = "202 accepted: the number was invited to opt in"
            await see(thread.locator("#messages")).to_contain_text(accepted)
            status = "invited, not opted in"
            await see(thread.locator("#thread-status")).to_have_text(status)
            detail(f"the phone page (a second tab) shows it, {accepted!r}, {status!r}")
            await self.shot("11-phone-page-received", self.phone)

            await self.page.bring_to_front()
            await self.open_device("SMS recipient")
            await see(self.card("Sensors")).to_contain_text("Invited")
            detail("Alice's device page: Opt-in status Invited")
            await self.shot("12-recipient-opt-in-status")
            sensor = await self.h.state("sensor.alice_opt_in_status")
            expect(sensor["state"] == "invited", f"sensor {show(sensor)}")

    async def receive(self) -> None:
        """Journey: text Home Assistant from the phone page; the event entity shows it."""
        async with self.h.step(f"journey: receive — the phone page texts {INCOMING!r}"):
            await self.open_device("SMS Gateway")
            events = self.card("Events")
            await see(events).to_contain_text("Incoming SMS")
            await see(events).to_contain_text("Unknown")
            detail("the account's device page: Incoming SMS Unknown")
            before = await self.h.state("event.tatango_sms_incoming_sms")

            await self.phone.locator("#mo-url").fill(self.webhook_url)
            await self.press("Save", self.phone)
            await see(self.phone.locator("#notice")).to_have_text("Webhook URL saved.")
            await self.phone.locator("#mo-sender").fill(NUMBER)
            await self.text_home(INCOMING, MESSAGE, "13-phone-page-sent")

            await self.page.bring_to_front()
            await see(events).to_contain_text("Received")
            await see(events).not_to_contain_text("Unknown")
            detail("the device page, left open, shows Received (no reload)")
            await events.get_by_text("Incoming SMS", exact=True).click()
            more_info = self.page.locator("ha-more-info-dialog")
            await self.press("Menu", more_info)
            await self.text("Details").click()
            attributes = {"Content": INCOMING, "Sender": NUMBER, "Recipient": RECIPIENT}
            attributes["Keyword"] = "LIGHTS"
            for name, value in attributes.items():
                label = self.page.get_by_text(name, exact=True)
                row = more_info.locator("ha-list-item-value").filter(has=label)
                await see(row).to_contain_text(value)
            shown = ", ".join(f"{k} {v!r}" for k, v in attributes.items())
            detail(f"its Details > Attributes: {shown}")
            await self.shot("14-incoming-sms")
            after = await self.h.state("event.tatango_sms_incoming_sms")
            changed = after["state"] != before["state"]
            ok = changed and after["attributes"].get("content") == INCOMING
            expect(ok, f"event entity {show(after)}")
            detail(f"REST: state {before['state']!r} -> {after['state']!r}")
            await self.page.keyboard.press("Escape")

    async def reconfigure(self) -> None:
        """Journey: Reconfigure shows the webhook URL again."""
        title = self.strings_of("config", "step", "reconfigure")["title"]
        async with self.h.step("journey: reconfigure shows the webhook URL again"):
            await self.open_integration_page()
            await self.press("Menu", self.entry_row())
            await self.text("Reconfigure").click()
            await see(self.dialog().get_by_text(title, exact=True)).to_be_visible()
            link = self.dialog().locator("a[href*='/api/webhook/']")
            await see(link).to_have_text(self.webhook_url)
            detail(f"{title!r} shows the same webhook URL")
            await self.shot("15-reconfigure-webhook-url")
            await self.press("Close")
            await see(self.dialog()).to_be_hidden()

    async def assist_options(self) -> None:
        """Journey: Configure, Assist answers SMS with Home Assistant's agent."""
        options = self.strings_of("options", "step", "init")
        label = options["data"]["assist_agent_id"]
        async with self.h.step(f"journey: options — {label!r}: Home Assistant"):
            await self.open_integration_page()
            await self.press("Configure", self.entry_row())
            # The frontend's agent picker shows no help text.
            await self.see_form(options, ["assist_senders"])
            await self.dialog().get_by_label(label).click()
            await self.dialog().get_by_text("Home Assistant", exact=True).click()
            anyone = self.dialog().get_by_role("radio", name="Anyone")
            await anyone.scroll_into_view_if_needed()
            await self.shot("16-assist-options")
            await self.press("Submit")
            await see(self.dialog()).to_be_hidden()
            await self.h.wait_loaded(self.entry_id)
            detail("saved; the entry loaded again")

    async def text_home(self, content: str, shown: str, shot: str) -> None:
        """Text Home Assistant from the phone page; the last SMS to it says shown."""
        phone = self.phone
        await phone.bring_to_front()
        await phone.locator("#mo-content").fill(content)
        await self.press("Send to Home Assistant", phone)
        posted = "Posted to Home Assistant's webhook, which answered 200."
        await see(phone.locator("#notice")).to_have_text(posted)
        sent = phone.locator("#messages li.mo").last
        await see(sent.locator(".bubble")).to_have_text(content)
        await see(sent).to_contain_text("webhook answered 200")
        await see(phone.locator("#messages li.mt").last).to_contain_text(shown)
        detail(f"the phone page shows {content!r}, {posted!r}, and {shown!r}")
        await self.shot(shot, phone)

    async def assist(self) -> None:
        """Journey: the phone texts "turn on the kitchen light"; Assist does and answers."""
        async with self.h.step(f"journey: the phone opts in, texts {demo.TURN_ON!r}"):
            await self.phone.bring_to_front()
            await self.press("Opt in", self.phone)
            await see(self.phone.locator("#thread-status")).to_have_text("opted in")
            before = len(await self.h.requests())
            await self.text_home(demo.TURN_ON, "Turned on the light", "18-sms-assist")
            await demo.answer_after(self.h, demo.TURN_ON, before)
            await self.h.wait_for(LIGHT, lambda: self.h.state_is(LIGHT, "on"), 10)
            detail(f"REST: {LIGHT} is on")

    async def ask(self) -> None:
        """Journey: an automation asks by SMS; the phone answers "yes"; it acts."""
        async with self.h.step(f"journey: an automation asks {QUESTION!r}; 'yes'"):
            await self.h.ha("POST", "/api/events/garage_left_open")
            await see(self.phone.locator("#messages")).to_contain_text(QUESTION)
            await self.text_home("yes", QUESTION, "20-sms-ask")
            await self.h.wait_for(GARAGE, lambda: self.h.state_is(GARAGE, "off"), 10)
            detail(f"REST: {GARAGE} is off")

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
    entries = await h.ha("GET", ENTRIES)
    busy = any(e["state"] in ("not_loaded", "setup_in_progress") for e in entries)
    return "radio_browser" in {e["domain"] for e in entries} and not busy


async def journeys(h: Harness, docs: Path | None) -> None:
    """Start everything, then run every journey in the browser."""
    print("ui journeys: Home Assistant's frontend in headless Chromium", flush=True)
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    await demo.start(h)
    async with h.step("country US; remove what onboarding set up and needs internet"):
        await h.connect_ws()
        # What onboarding's location step asks for (else a repair says it is missing).
        await h.ws_call({"type": "config/core/update", "country": "US"})
        await h.wait_for("onboarding's integrations", lambda: onboarding_settled(h), 30)
        for entry in await h.ha("GET", ENTRIES):
            if entry["domain"] in NEEDS_INTERNET:
                await h.ha("DELETE", f"{ENTRIES}/{entry['entry_id']}")
                detail(f"removed {entry['title']!r} ({entry['state']})")
    async with h.browser(VIEWPORT, TIMEOUT_MS) as context:
        ui = Journeys(h, context, await context.new_page())
        try:
            await ui.log_in()
            steps = [ui.wrong_credentials, ui.setup, ui.add_recipient, ui.send]
            steps += [ui.receive, ui.reconfigure, ui.assist_options, ui.assist, ui.ask]
            for journey in steps:
                await journey()
        except (AssertionError, PlaywrightError, RunError):
            await ui.screenshot_failure()
            raise
    await demo.stop(h, ui.webhook_url)
    print(f"ui journeys: {len(ui.taken)} screenshots in {SHOTS.relative_to(ROOT)}/")
    if docs is None:
        return
    from PIL import Image  # noqa: PLC0415  # Home Assistant's environment has Pillow

    docs.mkdir(parents=True, exist_ok=True)
    for name in DOCS_IMAGES:  # palette-reduced (median cut): small PNGs
        target = docs / (name.partition("-")[2] + ".png")
        with Image.open(SHOTS / f"{name}.png") as image:
            small = image.convert("RGB").quantize(128, dither=Image.Dither.NONE)
            small.save(target, optimize=True)
        print(f"      {target.relative_to(ROOT)}: {target.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="ui_journeys.py", description=__doc__)
    parser.add_argument("--docs", type=Path, help="where the README's screenshots go")
    docs = docs.resolve() if (docs := parser.parse_args().docs) else None
    errors = (AssertionError, PlaywrightError)
    sys.exit(asyncio.run(run(SETTINGS, lambda h: journeys(h, docs), errors)))
