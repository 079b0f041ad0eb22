"""Tests of the config flow: setup, reauthentication and reconfiguration.

Credentials are checked against the gateway simulator over loopback; only
Home Assistant Cloud is a stand-in (see helpers.CloudStub).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import Any
from unittest.mock import AsyncMock, patch

import aiohttp
from hass_nabucasa import CloudError  # type: ignore[attr-defined]
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.tatango_sms.const import (
    CONF_CLOUDHOOK,
    CONF_KEY,
    CONF_NEW_WEBHOOK_URL,
    CONF_TEST_RECIPIENT,
    DOMAIN,
    EVENT_RECEIVED,
    TEST_MESSAGE,
)
from custom_components.tatango_sms.tatango.gateway import DEFAULT_URL, message_hash
from homeassistant import data_entry_flow
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType
from tatango_simulator import GatewaySimulator, NumberStatus

from .const import TEST_KEY, TEST_PASSWORD
from .helpers import (
    CLOSED_PORT_URL,
    INTERNAL_URL,
    OTHER_KEY,
    OTHER_PASSWORD,
    TEST_NUMBER,
    TEST_NUMBER_AS_TYPED,
    CloudStub,
    async_add_and_set_up,
    make_entry,
    suggested_values,
    unique_id_for,
    webhook_path,
)

OTHER_NUMBER = "3125550199"


async def start_user_flow(hass: HomeAssistant, *, advanced: bool | None = True) -> Any:
    """Open the user step as the UI does, in advanced mode unless told otherwise.

    advanced=None opens it as Home Assistant 2026's UI does, without the flag.
    """
    context: dict[str, Any] = {"source": SOURCE_USER}
    if advanced is not None:
        context["show_advanced_options"] = advanced
    return await hass.config_entries.flow.async_init(DOMAIN, context=context)


def user_input(url: str, **changes: str) -> dict[str, str]:
    """Return what a user types into the advanced user step."""
    return {CONF_KEY: TEST_KEY, CONF_PASSWORD: TEST_PASSWORD, CONF_URL: url, **changes}


@pytest.fixture
def no_network_address() -> Iterator[None]:
    """Make Home Assistant find no address but loopback, so it has no URL of its own."""
    with patch(
        "homeassistant.components.http.async_get_source_ip", return_value="127.0.0.1"
    ):
        yield


def field_names(result: Any) -> list[str]:
    """Return the names of the fields a form shows, in order."""
    return [str(marker) for marker in result["data_schema"].schema]


# The user step


@pytest.mark.parametrize(
    ("advanced", "fields"),
    [
        (True, [CONF_KEY, CONF_PASSWORD, CONF_URL, CONF_TEST_RECIPIENT]),
        (False, [CONF_KEY, CONF_PASSWORD, CONF_TEST_RECIPIENT]),
        (None, [CONF_KEY, CONF_PASSWORD, CONF_URL, CONF_TEST_RECIPIENT]),
    ],
    ids=["advanced", "basic", "no-advanced-mode-flag"],
)
async def test_user_form_fields(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    advanced: bool | None,
    fields: list[str],
) -> None:
    """The form asks for key, masked password and test number; the URL in advanced mode.

    Home Assistant 2026's UI no longer sends the advanced-mode flag: then the
    URL is shown (prefilled), without any deprecation warning in the log.
    """
    result = await start_user_flow(hass, advanced=advanced)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    assert field_names(result) == fields
    schema = {
        str(marker): (marker, value)
        for marker, value in result["data_schema"].schema.items()
    }
    assert schema[CONF_PASSWORD][1].config["type"] == "password"
    if CONF_URL in schema:
        assert schema[CONF_URL][0].default() == DEFAULT_URL
    assert "show_advanced_options" not in caplog.text


async def test_user_without_test_number_sends_nothing(
    hass: HomeAssistant, simulator: GatewaySimulator, ha_url: str
) -> None:
    """Without a test number the entry is created, nothing is sent, and the webhook URL is shown."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        user_input(f"  {simulator.messages_url} ", key=f" {TEST_KEY} "),
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Tatango SMS"
    assert result["description"] is None
    webhook_id = result["data"][CONF_WEBHOOK_ID]
    assert result["data"] == {
        CONF_KEY: TEST_KEY,
        CONF_PASSWORD: TEST_PASSWORD,
        CONF_URL: simulator.messages_url,
        CONF_WEBHOOK_ID: webhook_id,
        CONF_CLOUDHOOK: False,
    }
    assert len(webhook_id) == 64
    assert result["description_placeholders"] == {
        "webhook_url": f"{ha_url}{webhook_path(webhook_id)}"
    }
    assert simulator.requests == []
    entry = result["result"]
    assert entry.unique_id == unique_id_for(TEST_KEY)
    assert entry.state is ConfigEntryState.LOADED


async def test_user_basic_mode_uses_the_public_gateway(
    hass: HomeAssistant, ha_url: str, mock_setup_entry: AsyncMock
) -> None:
    """Outside advanced mode the entry talks to the gateway's documented URL."""
    result = await start_user_flow(hass, advanced=False)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_KEY: TEST_KEY, CONF_PASSWORD: TEST_PASSWORD}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert (
        result["data"][CONF_URL] == DEFAULT_URL == "http://gateway.tatango.com/messages"
    )
    assert len(mock_setup_entry.mock_calls) == 1


@pytest.mark.parametrize(
    ("prepare", "description", "status"),
    [
        (lambda sim: sim.opt_in(TEST_NUMBER), "sent", 200),
        (lambda sim: None, "invited", 202),
        (lambda sim: sim.force_status(409), "invitation_pending", 409),
    ],
    ids=["sent", "invited", "invitation-pending"],
)
async def test_user_test_sms_outcomes(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    ha_url: str,
    *,
    prepare: Callable[[GatewaySimulator], None],
    description: str,
    status: int,
) -> None:
    """A test number gets one test SMS, and the result says what happened to it."""
    prepare(simulator)
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        user_input(simulator.messages_url, test_recipient=TEST_NUMBER_AS_TYPED),
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description"] == description
    webhook_id = result["data"][CONF_WEBHOOK_ID]
    assert result["description_placeholders"] == {
        "webhook_url": f"{ha_url}{webhook_path(webhook_id)}"
    }
    assert CONF_TEST_RECIPIENT not in result["data"]
    [request] = simulator.requests
    assert request.status == status
    assert request.form == {
        "key": TEST_KEY,
        "recipient": TEST_NUMBER,
        "message": TEST_MESSAGE,
        "hash": message_hash(TEST_PASSWORD, TEST_MESSAGE),
    }


async def test_user_invited_number_gets_the_test_sms_on_opt_in(
    hass: HomeAssistant, simulator: GatewaySimulator, ha_url: str
) -> None:
    """An invited test number receives the held test SMS once the phone opts in."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        user_input(simulator.messages_url, test_recipient=TEST_NUMBER),
    )
    await hass.async_block_till_done()
    assert result["description"] == "invited"
    assert simulator.status_of(TEST_NUMBER) is NumberStatus.INVITED
    assert simulator.delivered(TEST_NUMBER) == []

    simulator.opt_in(TEST_NUMBER)

    assert simulator.delivered(TEST_NUMBER) == [TEST_MESSAGE]


def _wrong_password(sim: GatewaySimulator) -> dict[str, str]:
    return {CONF_PASSWORD: "not-the-password"}


def _wrong_key(sim: GatewaySimulator) -> dict[str, str]:
    return {CONF_KEY: "not-the-key"}


def _forced(status: int) -> Callable[[GatewaySimulator], dict[str, str]]:
    def prepare(sim: GatewaySimulator) -> dict[str, str]:
        sim.force_status(status)
        return {}

    return prepare


def _blocked(sim: GatewaySimulator) -> dict[str, str]:
    sim.block(TEST_NUMBER)
    return {}


def _queue_down(sim: GatewaySimulator) -> dict[str, str]:
    sim.set_queue_down(True)
    return {}


def _dropped(sim: GatewaySimulator) -> dict[str, str]:
    sim.drop_connections(1)
    return {}


def _nothing_listening(sim: GatewaySimulator) -> dict[str, str]:
    return {CONF_URL: CLOSED_PORT_URL}


@pytest.mark.parametrize(
    ("prepare", "errors"),
    [
        (_wrong_password, {"base": "invalid_auth"}),
        (_wrong_key, {"base": "invalid_auth"}),
        (_forced(400), {CONF_TEST_RECIPIENT: "invalid_phone_number"}),
        (_blocked, {CONF_TEST_RECIPIENT: "number_blocked"}),
        (_forced(500), {"base": "cannot_connect"}),
        (_forced(501), {"base": "cannot_connect"}),
        (_queue_down, {"base": "cannot_connect"}),
        (_dropped, {"base": "cannot_connect"}),
        (_nothing_listening, {"base": "cannot_connect"}),
    ],
    ids=[
        "401-wrong-password",
        "401-wrong-key",
        "400",
        "403-blocked",
        "500",
        "501",
        "503-queue-down",
        "connection-dropped",
        "connection-refused",
    ],
)
async def test_user_test_sms_errors(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    ha_url: str,
    prepare: Callable[[GatewaySimulator], dict[str, str]],
    errors: dict[str, str],
) -> None:
    """A failed test SMS shows why on the form, creates nothing, and the user can correct it."""
    changes = prepare(simulator)
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        user_input(simulator.messages_url, test_recipient=TEST_NUMBER) | changes,
    )

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == errors
    assert hass.config_entries.async_entries(DOMAIN) == []

    simulator.reset()
    simulator.opt_in(OTHER_NUMBER)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        user_input(simulator.messages_url, test_recipient=OTHER_NUMBER),
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description"] == "sent"
    assert simulator.delivered(OTHER_NUMBER) == [TEST_MESSAGE]


@pytest.mark.parametrize(
    "number", ["12345", "+44 20 7946 0958", "206-555-O123", "(106) 555-0123"]
)
async def test_user_invalid_test_number_is_refused_before_sending(
    hass: HomeAssistant, simulator: GatewaySimulator, ha_url: str, number: str
) -> None:
    """A test number that is not a US/Canada number is refused without contacting the gateway."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator.messages_url, test_recipient=number)
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_TEST_RECIPIENT: "invalid_phone_number"}
    assert simulator.requests == []


async def test_user_same_key_aborts(
    hass: HomeAssistant, simulator: GatewaySimulator, ha_url: str
) -> None:
    """A key that is already configured aborts the flow without sending anything."""
    make_entry(simulator.messages_url).add_to_hass(hass)

    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        user_input(
            simulator.messages_url,
            key=f" {TEST_KEY}\t",
            password="any",
            test_recipient=TEST_NUMBER,
        ),
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
    assert simulator.requests == []


async def test_user_more_keys_get_numbered_titles(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    ha_url: str,
    mock_setup_entry: AsyncMock,
) -> None:
    """A second and third gateway account are titled "Tatango SMS 2" and "Tatango SMS 3"."""
    make_entry(simulator.messages_url, key=OTHER_KEY).add_to_hass(hass)

    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator.messages_url)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Tatango SMS 2"

    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator.messages_url, key="third-key")
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Tatango SMS 3"
    # Each entry has its own webhook.
    webhook_ids = {
        entry.data[CONF_WEBHOOK_ID]
        for entry in hass.config_entries.async_entries(DOMAIN)
    }
    assert len(webhook_ids) == 3
    assert len(mock_setup_entry.mock_calls) == 3  # the first one too


@pytest.mark.usefixtures("no_network_address")
async def test_user_without_home_assistant_url(
    hass: HomeAssistant, simulator: GatewaySimulator
) -> None:
    """Without a Home Assistant URL the form says so and sends nothing; with one it succeeds."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        user_input(simulator.messages_url, test_recipient=TEST_NUMBER),
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_url_available"}
    assert simulator.requests == []

    await async_process_ha_core_config(hass, {"internal_url": INTERNAL_URL})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator.messages_url)
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description_placeholders"]["webhook_url"].startswith(
        f"{INTERNAL_URL}/api/webhook/"
    )


@pytest.mark.parametrize(
    "url",
    [
        "gateway.tatango.com/messages",
        "ftp://gateway.tatango.com/messages",
        "http://",
        "http://[not-a-host/messages",
    ],
)
async def test_user_invalid_gateway_url(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    ha_url: str,
    cloud: CloudStub,
    url: str,
) -> None:
    """A gateway URL that is not http(s) with a host is refused on the form, before anything is sent or made."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(url, test_recipient=TEST_NUMBER)
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_URL: "invalid_url"}
    assert simulator.requests == []
    assert cloud.cloudhooks == {}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator.messages_url)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_with_cloud_subscription_gets_a_cloudhook(
    hass: HomeAssistant, simulator: GatewaySimulator, cloud: CloudStub
) -> None:
    """With Home Assistant Cloud the webhook URL is a cloudhook, even without a local URL."""
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator.messages_url)
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    webhook_id = result["data"][CONF_WEBHOOK_ID]
    assert result["data"][CONF_CLOUDHOOK] is True
    assert cloud.cloudhooks == {
        webhook_id: result["description_placeholders"]["webhook_url"]
    }
    assert result["description_placeholders"]["webhook_url"].startswith(
        "https://hooks.nabu.casa/"
    )


async def test_user_with_cloud_but_no_subscription_uses_home_assistant_url(
    hass: HomeAssistant, simulator: GatewaySimulator, cloud: CloudStub, ha_url: str
) -> None:
    """Home Assistant Cloud without a subscription: the local webhook URL, no cloudhook."""
    cloud.subscribed = False
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator.messages_url)
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    webhook_id = result["data"][CONF_WEBHOOK_ID]
    assert result["data"][CONF_CLOUDHOOK] is False
    assert result["description_placeholders"] == {
        "webhook_url": f"{ha_url}{webhook_path(webhook_id)}"
    }
    assert cloud.cloudhooks == {}


async def test_user_with_cloud_not_connected(
    hass: HomeAssistant, simulator: GatewaySimulator, cloud: CloudStub
) -> None:
    """A subscribed but disconnected Home Assistant Cloud is reported on the form."""
    cloud.connected = False
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        user_input(simulator.messages_url, test_recipient=TEST_NUMBER),
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cloud_not_connected"}
    assert simulator.requests == []
    assert hass.config_entries.async_entries(DOMAIN) == []


async def test_user_retries_with_cloud_leave_no_stray_cloudhook(
    hass: HomeAssistant, simulator: GatewaySimulator, cloud: CloudStub
) -> None:
    """Trying again reuses the flow's one cloudhook; a setup given up deletes it.

    Otherwise every wrong password would leave a cloud webhook in the user's Home Assistant Cloud account.
    """
    simulator.opt_in(TEST_NUMBER)
    result = await start_user_flow(hass)
    for _ in range(3):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            user_input(
                simulator.messages_url, password="wrong", test_recipient=TEST_NUMBER
            ),
        )
        assert result["errors"] == {"base": "invalid_auth"}
    assert len(cloud.cloudhooks) == 1

    hass.config_entries.flow.async_abort(result["flow_id"])
    await hass.async_block_till_done()

    assert cloud.cloudhooks == {}
    assert hass.config_entries.async_entries(DOMAIN) == []


async def close_while_waiting(
    hass: HomeAssistant,
    flow_id: str,
    user_input: dict[str, Any],
    slow: CloudStub | GatewaySimulator,
) -> None:
    """Submit a step, and close its dialog while Home Assistant Cloud or the gateway takes 0.3 s to answer."""
    if isinstance(slow, CloudStub):
        slow.create_delay = 0.3
    else:
        slow.set_latency(0.3)
    step = hass.async_create_task(
        hass.config_entries.flow.async_configure(flow_id, user_input)
    )
    await asyncio.sleep(0.1)

    hass.config_entries.flow.async_abort(flow_id)
    # The step ends on its own; Home Assistant may say its flow is gone.
    with suppress(data_entry_flow.UnknownFlow):
        await step
    await hass.async_block_till_done()


@pytest.mark.parametrize("waiting_for", ["cloudhook", "test_sms"])
async def test_user_closed_while_a_step_waits(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    cloud: CloudStub,
    waiting_for: str,
) -> None:
    """A setup dialog closed while the step waits (for Home Assistant Cloud, or the test SMS) creates nothing and leaves no cloudhook."""
    simulator.opt_in(TEST_NUMBER)
    result = await start_user_flow(hass)

    await close_while_waiting(
        hass,
        result["flow_id"],
        user_input(simulator.messages_url, test_recipient=TEST_NUMBER),
        cloud if waiting_for == "cloudhook" else simulator,
    )

    assert hass.config_entries.async_entries(DOMAIN) == []
    assert cloud.cloudhooks == {}


@pytest.mark.parametrize("waiting_for", ["cloudhook", "test_sms"])
async def test_reconfigure_closed_while_a_step_waits(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    cloud: CloudStub,
    waiting_for: str,
) -> None:
    """A Reconfigure dialog closed while it waits saves nothing: the webhook URL the gateway has keeps working."""
    simulator.opt_in(TEST_NUMBER)
    entry = make_entry(simulator.messages_url, cloudhook=True)
    await async_add_and_set_up(hass, entry)
    result = await entry.start_reconfigure_flow(hass)
    hooks = dict(cloud.cloudhooks)
    data = dict(entry.data)

    await close_while_waiting(
        hass,
        result["flow_id"],
        {
            CONF_URL: simulator.messages_url,
            CONF_TEST_RECIPIENT: TEST_NUMBER,
            CONF_NEW_WEBHOOK_URL: True,
        },
        cloud if waiting_for == "cloudhook" else simulator,
    )

    assert dict(entry.data) == data
    assert cloud.cloudhooks == hooks


async def test_user_keeps_the_cloudhook_it_creates_the_entry_with(
    hass: HomeAssistant, simulator: GatewaySimulator, cloud: CloudStub
) -> None:
    """After a wrong password, the entry made on the next try keeps the flow's cloudhook."""
    simulator.opt_in(TEST_NUMBER)
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        user_input(
            simulator.messages_url, password="wrong", test_recipient=TEST_NUMBER
        ),
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        user_input(simulator.messages_url, test_recipient=TEST_NUMBER),
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert cloud.cloudhooks == {
        result["data"][CONF_WEBHOOK_ID]: result["description_placeholders"][
            "webhook_url"
        ]
    }


@pytest.mark.parametrize(
    "error",
    [
        ValueError("Cloud is not connected"),
        aiohttp.ClientError(),
        TimeoutError(),
        CloudError("Failed to create cloudhook"),
    ],
    ids=["refused", "client-error", "timeout", "api-error"],
)
async def test_user_when_cloud_cannot_create_the_cloudhook(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    cloud: CloudStub,
    error: Exception,
) -> None:
    """Home Assistant Cloud's API failing to create the cloudhook is reported on the form, not as an unknown error."""
    cloud.create_error = error
    result = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(simulator.messages_url)
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cloud_not_connected"}
    assert hass.config_entries.async_entries(DOMAIN) == []


# Reauthentication


async def test_reauth_updates_credentials_and_reloads(
    hass: HomeAssistant, simulator: GatewaySimulator, ha_url: str
) -> None:
    """Reauth with a working test SMS saves the new password and reloads the entry with it."""
    entry = make_entry(simulator.messages_url, password="old-password")
    await async_add_and_set_up(hass, entry)
    old_runtime_data = entry.runtime_data
    simulator.opt_in(TEST_NUMBER)

    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"]["title"] == "Tatango SMS"
    assert field_names(result) == [CONF_KEY, CONF_PASSWORD, CONF_TEST_RECIPIENT]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_KEY: TEST_KEY,
            CONF_PASSWORD: TEST_PASSWORD,
            CONF_TEST_RECIPIENT: TEST_NUMBER,
        },
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_PASSWORD] == TEST_PASSWORD
    assert simulator.delivered(TEST_NUMBER) == [TEST_MESSAGE]
    # Reloaded: a new gateway client that signs with the new password.
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not old_runtime_data
    assert entry.runtime_data.gateway.build_form(TEST_NUMBER, "hi")["hash"] == (
        message_hash(TEST_PASSWORD, "hi")
    )


async def test_reauth_started_by_the_entry_can_change_the_key(
    hass: HomeAssistant, simulator: GatewaySimulator, ha_url: str
) -> None:
    """A reauth the entry starts itself accepts a new key; nothing is sent without a test number."""
    entry = make_entry(simulator.messages_url, key=OTHER_KEY, password=OTHER_PASSWORD)
    await async_add_and_set_up(hass, entry)
    webhook_id = entry.data[CONF_WEBHOOK_ID]

    entry.async_start_reauth(hass)
    await hass.async_block_till_done()
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["step_id"] == "reauth_confirm"

    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_KEY: f" {TEST_KEY} ", CONF_PASSWORD: TEST_PASSWORD}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.unique_id == unique_id_for(TEST_KEY)
    assert entry.data == {
        CONF_KEY: TEST_KEY,
        CONF_PASSWORD: TEST_PASSWORD,
        CONF_URL: simulator.messages_url,
        CONF_WEBHOOK_ID: webhook_id,
        CONF_CLOUDHOOK: False,
    }
    assert simulator.requests == []
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.gateway.build_form(TEST_NUMBER, "hi")["key"] == TEST_KEY


async def test_reauth_refused_credentials(
    hass: HomeAssistant, simulator: GatewaySimulator, ha_url: str
) -> None:
    """A test SMS the gateway refuses keeps the reauth form open and the entry unchanged."""
    entry = make_entry(simulator.messages_url, password="old-password")
    await async_add_and_set_up(hass, entry)

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_KEY: TEST_KEY,
            CONF_PASSWORD: "still-wrong",
            CONF_TEST_RECIPIENT: TEST_NUMBER,
        },
    )

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == {"base": "invalid_auth"}
    assert entry.data[CONF_PASSWORD] == "old-password"
    [request] = simulator.requests
    assert request.status == 401


async def test_reauth_with_the_key_of_another_entry(
    hass: HomeAssistant, simulator: GatewaySimulator, ha_url: str
) -> None:
    """Reauth cannot take a key another entry uses; the key field says so."""
    make_entry(simulator.messages_url, key=OTHER_KEY, title="Other").add_to_hass(hass)
    entry = make_entry(simulator.messages_url, password="old-password")
    await async_add_and_set_up(hass, entry)

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_KEY: OTHER_KEY,
            CONF_PASSWORD: OTHER_PASSWORD,
            CONF_TEST_RECIPIENT: TEST_NUMBER,
        },
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_KEY: "already_configured"}
    assert entry.data[CONF_KEY] == TEST_KEY
    assert simulator.requests == []


# Reconfiguration


async def test_reconfigure_shows_the_webhook_url_and_keeps_credentials(
    hass: HomeAssistant, simulator: GatewaySimulator, ha_url: str
) -> None:
    """Reconfigure shows the current webhook URL; empty key and password keep the current ones."""
    entry = make_entry(CLOSED_PORT_URL)
    await async_add_and_set_up(hass, entry)
    webhook_url = f"{ha_url}{webhook_path(entry.data[CONF_WEBHOOK_ID])}"
    simulator.opt_in(TEST_NUMBER)

    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"] == {"webhook_url": webhook_url}
    assert field_names(result) == [
        CONF_KEY,
        CONF_PASSWORD,
        CONF_URL,
        CONF_TEST_RECIPIENT,
        CONF_NEW_WEBHOOK_URL,
    ]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_KEY: "",
            CONF_PASSWORD: "",
            CONF_URL: simulator.messages_url,
            CONF_TEST_RECIPIENT: TEST_NUMBER,
            CONF_NEW_WEBHOOK_URL: False,
        },
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert result["description_placeholders"] == {"webhook_url": webhook_url}
    assert entry.data[CONF_KEY] == TEST_KEY
    assert entry.data[CONF_PASSWORD] == TEST_PASSWORD
    assert entry.data[CONF_URL] == simulator.messages_url
    # The test SMS went to the new URL, signed with the kept credentials.
    assert simulator.delivered(TEST_NUMBER) == [TEST_MESSAGE]
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.gateway.url == simulator.messages_url


async def test_reconfigure_changes_key_and_password(
    hass: HomeAssistant, simulator: GatewaySimulator, ha_url: str
) -> None:
    """A new key and password are saved, and the entry's unique id follows the key."""
    entry = make_entry(simulator.messages_url, key=OTHER_KEY, password=OTHER_PASSWORD)
    await async_add_and_set_up(hass, entry)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_KEY: TEST_KEY,
            CONF_PASSWORD: TEST_PASSWORD,
            CONF_URL: simulator.messages_url,
        },
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_KEY] == TEST_KEY
    assert entry.data[CONF_PASSWORD] == TEST_PASSWORD
    assert entry.unique_id == unique_id_for(TEST_KEY)
    assert simulator.requests == []


@pytest.mark.parametrize(
    ("changes", "errors", "requests"),
    [
        ({CONF_PASSWORD: "wrong"}, {"base": "invalid_auth"}, 1),
        ({CONF_KEY: OTHER_KEY}, {CONF_KEY: "already_configured"}, 0),
        ({CONF_URL: "gateway.tatango.com/messages"}, {CONF_URL: "invalid_url"}, 0),
    ],
    ids=["refused-by-gateway", "key-of-another-entry", "url-without-scheme"],
)
async def test_reconfigure_errors(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    ha_url: str,
    *,
    changes: dict[str, str],
    errors: dict[str, str],
    requests: int,
) -> None:
    """Refused credentials or another entry's key keep the form open and the entry unchanged."""
    make_entry(simulator.messages_url, key=OTHER_KEY, title="Other").add_to_hass(hass)
    entry = make_entry(simulator.messages_url)
    await async_add_and_set_up(hass, entry)
    data_before = dict(entry.data)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: simulator.messages_url, CONF_TEST_RECIPIENT: TEST_NUMBER} | changes,
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert dict(entry.data) == data_before
    assert len(simulator.requests) == requests


async def test_reconfigure_new_webhook_url(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    ha_url: str,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """A new webhook URL is shown and works; the old URL stops working at once."""
    entry = make_entry(simulator.messages_url)
    await async_add_and_set_up(hass, entry)
    old_webhook_id = entry.data[CONF_WEBHOOK_ID]
    events = async_capture_events(hass, EVENT_RECEIVED)
    client = await hass_client_no_auth()

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: simulator.messages_url, CONF_NEW_WEBHOOK_URL: True},
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    new_webhook_id = entry.data[CONF_WEBHOOK_ID]
    assert new_webhook_id != old_webhook_id
    assert result["description_placeholders"] == {
        "webhook_url": f"{ha_url}{webhook_path(new_webhook_id)}"
    }

    old = await simulator.post_mo(
        TEST_NUMBER,
        "to the old URL",
        url=str(client.make_url(webhook_path(old_webhook_id))),
    )
    await hass.async_block_till_done()
    assert old == 200  # Home Assistant does not reveal unknown webhooks.
    assert events == []

    new = await simulator.post_mo(
        TEST_NUMBER,
        "to the new URL",
        url=str(client.make_url(webhook_path(new_webhook_id))),
    )
    await hass.async_block_till_done()
    assert new == 200
    assert [event.data["content"] for event in events] == ["to the new URL"]


@pytest.mark.usefixtures("no_network_address")
@pytest.mark.parametrize("new_webhook_url", [False, True], ids=["keep", "new"])
async def test_reconfigure_without_home_assistant_url(
    hass: HomeAssistant, simulator: GatewaySimulator, new_webhook_url: bool
) -> None:
    """Without a Home Assistant URL the form shows "-" for the URL.

    The gateway settings can still be saved; a new webhook URL cannot be made,
    and the form says so without saving anything.
    """
    entry = make_entry(simulator.messages_url)
    entry.add_to_hass(hass)
    webhook_id = entry.data[CONF_WEBHOOK_ID]

    result = await entry.start_reconfigure_flow(hass)
    assert result["description_placeholders"] == {"webhook_url": "-"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: CLOSED_PORT_URL, CONF_NEW_WEBHOOK_URL: new_webhook_url},
    )

    if new_webhook_url:
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": "no_url_available"}
        assert entry.data[CONF_URL] == simulator.messages_url
    else:
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        assert result["description_placeholders"] == {"webhook_url": "-"}
        assert entry.data[CONF_URL] == CLOSED_PORT_URL
    assert entry.data[CONF_WEBHOOK_ID] == webhook_id


async def test_reconfigure_cloudhook_new_webhook_url(
    hass: HomeAssistant, simulator: GatewaySimulator, cloud: CloudStub
) -> None:
    """With a cloudhook, reconfigure shows it; a new webhook URL deletes it and makes a new one."""
    entry = make_entry(simulator.messages_url, cloudhook=True)
    await async_add_and_set_up(hass, entry)
    old_webhook_id = entry.data[CONF_WEBHOOK_ID]

    result = await entry.start_reconfigure_flow(hass)
    old_url = cloud.cloudhooks[old_webhook_id]
    assert result["description_placeholders"] == {"webhook_url": old_url}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: simulator.messages_url, CONF_NEW_WEBHOOK_URL: True},
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    new_webhook_id = entry.data[CONF_WEBHOOK_ID]
    assert cloud.deleted == [old_webhook_id]
    assert cloud.cloudhooks == {
        new_webhook_id: result["description_placeholders"]["webhook_url"]
    }
    assert result["description_placeholders"]["webhook_url"] != old_url
    assert entry.data[CONF_CLOUDHOOK] is True


@pytest.mark.parametrize(
    "cloud_loaded", [True, False], ids=["disconnected", "not-loaded"]
)
async def test_reconfigure_cloudhook_without_cloud(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    monkeypatch: pytest.MonkeyPatch,
    cloud_loaded: bool,
) -> None:
    """While Home Assistant Cloud is unreachable a cloudhook entry shows "-" for its URL, and can still be saved.

    test_reconfigure_failed_new_webhook_url_keeps_the_old_one: a new webhook URL cannot be made then.
    """
    if cloud_loaded:
        stub = CloudStub()
        stub.connected = False
        stub.install(hass, monkeypatch)
    entry = make_entry(simulator.messages_url, cloudhook=True)
    entry.add_to_hass(hass)
    webhook_id = entry.data[CONF_WEBHOOK_ID]

    result = await entry.start_reconfigure_flow(hass)
    assert result["description_placeholders"] == {"webhook_url": "-"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: CLOSED_PORT_URL}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_URL] == CLOSED_PORT_URL
    assert entry.data[CONF_WEBHOOK_ID] == webhook_id
    assert entry.data[CONF_CLOUDHOOK] is True


# Options and saved recipients (flows of the sending feature, in config_flow.py)


async def test_options_flow(
    hass: HomeAssistant, simulator: GatewaySimulator, ha_url: str
) -> None:
    """The options show their defaults and save the user's choices."""
    entry = make_entry(simulator.messages_url)
    await async_add_and_set_up(hass, entry)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    defaults = {
        str(marker): marker.default() if callable(marker.default) else None
        for marker in result["data_schema"].schema
    }
    # Assist over SMS is off: no agent.
    assert defaults == {
        "long_messages": "split",
        "gsm7_friendly": True,
        "max_queue_age": 24,
        "accept_unknown_senders": True,
        "max_sms_per_hour": 100,
        "max_parts_per_message": 10,
        "assist_agent_id": None,
        "assist_senders": "recipients",
    }

    chosen = {
        "long_messages": "truncate",
        "gsm7_friendly": False,
        "max_queue_age": 6,
        "accept_unknown_senders": False,
        "max_sms_per_hour": 50,
        "max_parts_per_message": 3,
        "assist_agent_id": "conversation.home_assistant",
        "assist_senders": "anyone",
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], chosen
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == chosen

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert suggested_values(result) == chosen

    # Emptying the agent turns Assist over SMS off again.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {key: value for key, value in chosen.items() if key != "assist_agent_id"},
    )
    await hass.async_block_till_done()
    assert "assist_agent_id" not in entry.options


async def test_add_recipient(
    hass: HomeAssistant, simulator: GatewaySimulator, ha_url: str
) -> None:
    """A recipient is saved by name with the number normalised; bad or taken input is refused."""
    entry = make_entry(simulator.messages_url, recipients={"Bob": OTHER_NUMBER})
    await async_add_and_set_up(hass, entry)

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "recipient"), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert field_names(result) == ["name", "phone_number", "person"]

    for name, number, errors in (
        ("Alice", "12345", {"phone_number": "invalid_phone_number"}),
        ("Alice", "+1 312 555 0199", {"phone_number": "already_configured"}),
        ("bob", TEST_NUMBER, {"name": "name_taken"}),
    ):
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {"name": name, "phone_number": number}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == errors

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "name": " Alice ",
            "phone_number": TEST_NUMBER_AS_TYPED,
            "person": "person.alice",
        },
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Alice"
    saved = {
        subentry.title: (subentry.unique_id, dict(subentry.data))
        for subentry in entry.subentries.values()
    }
    assert saved["Alice"] == (
        TEST_NUMBER,
        {"name": "Alice", "phone_number": TEST_NUMBER, "person": "person.alice"},
    )
    # Without a person, none is saved.
    assert saved["Bob"][1] == {"name": "Bob", "phone_number": OTHER_NUMBER}
    assert simulator.requests == []


async def test_reconfigure_recipient(
    hass: HomeAssistant, simulator: GatewaySimulator, ha_url: str
) -> None:
    """A recipient's name and number can be changed; its own number does not count as taken."""
    entry = make_entry(
        simulator.messages_url, recipients={"Alice": TEST_NUMBER, "Bob": OTHER_NUMBER}
    )
    await async_add_and_set_up(hass, entry)
    alice = next(sub for sub in entry.subentries.values() if sub.title == "Alice")

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "recipient"),
        context={"source": "reconfigure", "subentry_id": alice.subentry_id},
    )
    assert result["type"] is FlowResultType.FORM
    assert suggested_values(result) == {
        "name": "Alice",
        "phone_number": TEST_NUMBER,
        "person": None,
    }

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Bob", "phone_number": TEST_NUMBER}
    )
    assert result["errors"] == {"name": "name_taken"}

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {"name": "Alice Smith", "phone_number": TEST_NUMBER, "person": "person.alice"},
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    updated = entry.subentries[alice.subentry_id]
    assert updated.title == "Alice Smith"
    assert dict(updated.data) == {
        "name": "Alice Smith",
        "phone_number": TEST_NUMBER,
        "person": "person.alice",
    }

    # The person is shown again, and can be taken away.
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "recipient"),
        context={"source": "reconfigure", "subentry_id": alice.subentry_id},
    )
    assert suggested_values(result)["person"] == "person.alice"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Alice Smith", "phone_number": TEST_NUMBER}
    )
    await hass.async_block_till_done()
    assert dict(entry.subentries[alice.subentry_id].data) == {
        "name": "Alice Smith",
        "phone_number": TEST_NUMBER,
    }


async def test_reconfigure_failed_new_webhook_url_keeps_the_old_one(
    hass: HomeAssistant, simulator: GatewaySimulator, cloud: CloudStub
) -> None:
    """If a new cloud webhook URL cannot be made, the current one keeps working.

    A disconnected cloud can still delete a cloudhook but cannot create one.
    """
    entry = make_entry(simulator.messages_url, cloudhook=True)
    await async_add_and_set_up(hass, entry)
    old_webhook_id = entry.data[CONF_WEBHOOK_ID]
    result = await entry.start_reconfigure_flow(hass)
    old_url = cloud.cloudhooks[old_webhook_id]
    cloud.connected = False

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: simulator.messages_url, CONF_NEW_WEBHOOK_URL: True},
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cloud_not_connected"}
    assert entry.data[CONF_WEBHOOK_ID] == old_webhook_id
    assert cloud.deleted == []
    assert cloud.cloudhooks == {old_webhook_id: old_url}
