"""Tests of setting up, unloading, reloading and removing an entry, end to end."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)
from yarl import URL

from custom_components.tatango_sms.const import (
    CONF_KEY,
    CONF_TEST_RECIPIENT,
    DOMAIN,
    EVENT_RECEIVED,
    TEST_MESSAGE,
)
from custom_components.tatango_sms.tatango.gateway import message_hash
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import (
    CONF_PASSWORD,
    CONF_URL,
    CONF_WEBHOOK_ID,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from tatango_simulator import GatewaySimulator, mo_xml

from .const import TEST_KEY, TEST_PASSWORD
from .helpers import (
    CLOSED_PORT_URL,
    OTHER_KEY,
    OUR_LOGGER,
    TEST_NUMBER,
    TEST_NUMBER_AS_TYPED,
    CloudStub,
    async_add_and_set_up,
    event_data,
    leaked_secrets,
    make_entry,
    webhook_path,
)

EVENT_ENTITY = "event.tatango_sms_incoming_sms"


async def list_webhooks(hass: HomeAssistant, ws_client: Any) -> list[dict[str, Any]]:
    """Return this integration's webhooks as Home Assistant lists them."""
    await ws_client.send_json_auto_id({"type": "webhook/list"})
    response = await ws_client.receive_json()
    assert response["success"]
    return [hook for hook in response["result"] if hook["domain"] == DOMAIN]


async def test_user_story_set_up_and_receive(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    ha_url: str,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """Connect an account with a test SMS, paste the shown webhook URL at the gateway, receive SMS.

    Home Assistant's test server listens on loopback rather than on its
    configured URL, so the gateway is given the same path on that server.
    """
    # 1. Add the integration in advanced mode, with a test phone number.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER, "show_advanced_options": True}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_KEY: TEST_KEY,
            CONF_PASSWORD: TEST_PASSWORD,
            CONF_URL: simulator.messages_url,
            CONF_TEST_RECIPIENT: TEST_NUMBER_AS_TYPED,
        },
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description"] == "invited"
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED

    # 2. The test phone accepts the invitation and gets the test SMS.
    simulator.opt_in(TEST_NUMBER)
    assert simulator.delivered(TEST_NUMBER) == [TEST_MESSAGE]

    # 3. Paste the webhook URL the flow showed into the provider control panel.
    webhook_url = URL(result["description_placeholders"]["webhook_url"])
    assert str(webhook_url.origin()) == ha_url
    client = await hass_client_no_auth()
    simulator.mo_url = str(client.make_url(webhook_url.path))

    # 4. The phone texts the keyword; the gateway posts the documented XML.
    events = async_capture_events(hass, EVENT_RECEIVED)
    status = await simulator.post_mo(TEST_NUMBER, "PING are you there? <3 & 🏠")
    await hass.async_block_till_done()

    assert status == 200
    assert [event.data for event in events] == [
        event_data(entry.entry_id, TEST_NUMBER, "PING are you there? <3 & 🏠", "PING")
    ]
    state = hass.states.get(EVENT_ENTITY)
    assert state is not None
    assert state.attributes["event_type"] == "received"
    assert state.attributes["sender"] == TEST_NUMBER
    assert state.attributes["content"] == "PING are you there? <3 & 🏠"
    assert state.attributes["keyword"] == "PING"


async def test_setup_registers_the_webhook(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A loaded entry has one webhook, named after it, reachable from outside.

    It takes every method Home Assistant routes to webhooks, so that none is
    refused by Home Assistant with a warning that shows the webhook id; it
    answers all but POST itself (tests/test_attack.py).
    """
    ws = await hass_ws_client(hass)

    assert await list_webhooks(hass, ws) == [
        {
            "webhook_id": loaded_entry.data[CONF_WEBHOOK_ID],
            "domain": DOMAIN,
            "name": "Tatango SMS",
            "local_only": False,
            "allowed_methods": ["GET", "HEAD", "POST", "PUT"],
        }
    ]


async def test_unload_leaves_nothing_behind(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    loaded_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """After unloading, the webhook is gone: posts fire nothing and the event entity is unavailable."""
    ws = await hass_ws_client(hass)
    client = await hass_client_no_auth()
    url = str(client.make_url(webhook_path(loaded_entry.data[CONF_WEBHOOK_ID])))
    events = async_capture_events(hass, EVENT_RECEIVED)

    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert loaded_entry.state is ConfigEntryState.NOT_LOADED
    assert await list_webhooks(hass, ws) == []
    # Home Assistant answers 200 to unknown webhooks so as not to reveal them.
    assert await simulator.post_mo(TEST_NUMBER, "anyone there?", url=url) == 200
    await hass.async_block_till_done()
    assert events == []
    state = hass.states.get(EVENT_ENTITY)
    assert state is not None
    assert state.state == STATE_UNAVAILABLE


async def test_reload_leaves_no_duplicates(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    loaded_entry: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """After reloads, the webhook is registered once and one post fires exactly one event."""
    ws = await hass_ws_client(hass)
    client = await hass_client_no_auth()
    url = str(client.make_url(webhook_path(loaded_entry.data[CONF_WEBHOOK_ID])))
    events = async_capture_events(hass, EVENT_RECEIVED)
    entity_changes = async_capture_events(hass, "state_changed")

    for _ in range(2):
        assert await hass.config_entries.async_reload(loaded_entry.entry_id)
        await hass.async_block_till_done()
    entity_changes.clear()

    assert len(await list_webhooks(hass, ws)) == 1
    assert await simulator.post_mo(TEST_NUMBER, "once", url=url) == 200
    await hass.async_block_till_done()

    assert [event.data for event in events] == [
        event_data(loaded_entry.entry_id, TEST_NUMBER, "once", "ONCE")
    ]
    assert [
        change.data["new_state"].attributes["content"]
        for change in entity_changes
        if change.data["entity_id"] == EVENT_ENTITY
    ] == ["once"]


async def test_entries_have_separate_webhooks(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    ha_url: str,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """Each account's webhook fires events for that account only."""
    first = make_entry(simulator.messages_url)
    second = make_entry(simulator.messages_url, key=OTHER_KEY, title="Tatango SMS 2")
    await async_add_and_set_up(hass, first)
    await async_add_and_set_up(hass, second)
    client = await hass_client_no_auth()
    events = async_capture_events(hass, EVENT_RECEIVED)

    for entry, text in ((second, "to second"), (first, "to first")):
        url = str(client.make_url(webhook_path(entry.data[CONF_WEBHOOK_ID])))
        assert await simulator.post_mo(TEST_NUMBER, text, url=url) == 200
    await hass.async_block_till_done()

    assert [
        (event.data["config_entry_id"], event.data["content"]) for event in events
    ] == [
        (second.entry_id, "to second"),
        (first.entry_id, "to first"),
    ]
    first_state = hass.states.get(EVENT_ENTITY)
    second_state = hass.states.get("event.tatango_sms_2_incoming_sms")
    assert first_state is not None
    assert second_state is not None
    assert first_state.attributes["content"] == "to first"
    assert second_state.attributes["content"] == "to second"


async def test_removal_deletes_the_cloudhook(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    cloud: CloudStub,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Removing a cloudhook entry deletes its cloudhook and its webhook."""
    entry = make_entry(simulator.messages_url, cloudhook=True)
    await async_add_and_set_up(hass, entry)
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    cloud.cloudhooks[webhook_id] = "https://hooks.nabu.casa/created-by-the-flow"
    ws = await hass_ws_client(hass)

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    assert cloud.deleted == [webhook_id]
    assert hass.config_entries.async_entries(DOMAIN) == []
    assert await list_webhooks(hass, ws) == []


async def test_removal_of_a_local_webhook_entry_leaves_cloud_alone(
    hass: HomeAssistant, simulator: GatewaySimulator, ha_url: str, cloud: CloudStub
) -> None:
    """Removing an entry that has no cloudhook deletes no cloudhook."""
    entry = make_entry(simulator.messages_url, cloudhook=False)
    await async_add_and_set_up(hass, entry)

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    assert cloud.deleted == []
    assert hass.config_entries.async_entries(DOMAIN) == []


async def test_removal_while_cloud_is_unavailable(
    hass: HomeAssistant, simulator: GatewaySimulator, cloud: CloudStub
) -> None:
    """An entry can be removed even when Home Assistant Cloud cannot delete its cloudhook."""
    entry = make_entry(simulator.messages_url, cloudhook=True)
    await async_add_and_set_up(hass, entry)
    cloud.available = False

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    assert hass.config_entries.async_entries(DOMAIN) == []
    assert cloud.deleted == []


async def test_removal_after_the_cloudhook_was_deleted_in_cloud(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    cloud: CloudStub,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A cloudhook already deleted in Home Assistant Cloud's settings does not stop the removal half-way.

    The account's saved blocks and outbox are deleted too, and no error is logged.
    """
    entry = make_entry(simulator.messages_url, cloudhook=True)
    await async_add_and_set_up(hass, entry)
    stores = [f"{DOMAIN}.{entry.entry_id}.{name}" for name in ("blocked", "outbox")]
    for key in stores:
        hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": []}
    assert cloud.cloudhooks == {}  # the user turned it off in the Cloud panel

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    assert hass.config_entries.async_entries(DOMAIN) == []
    assert [key for key in stores if key in hass_storage] == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_cloudhook_entry_receives_relayed_messages(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    cloud: CloudStub,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A cloudhook entry keeps its webhook registered, so messages relayed by the cloud arrive."""
    entry = make_entry(simulator.messages_url, cloudhook=True)
    await async_add_and_set_up(hass, entry)
    events = async_capture_events(hass, EVENT_RECEIVED)
    ws = await hass_ws_client(hass)

    await ws.send_json_auto_id(
        {
            "type": "webhook/handle",
            "webhook_id": entry.data[CONF_WEBHOOK_ID],
            "method": "POST",
            "body": mo_xml(TEST_NUMBER, "from the cloud"),
            "headers": {"Content-Type": "text/xml"},
        }
    )
    response = await ws.receive_json()
    await hass.async_block_till_done()

    assert response["result"]["status"] == 200
    assert [event.data for event in events] == [
        event_data(entry.entry_id, TEST_NUMBER, "from the cloud", "FROM")
    ]


async def test_secrets_never_logged(
    hass: HomeAssistant,
    simulator: GatewaySimulator,
    ha_url: str,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Neither key, password, message hash nor webhook id reaches the log, through a whole lifecycle.

    Checked: every record of this integration at any level, and every record of
    any logger at INFO or above. (Home Assistant's own HTTP and webhook code may
    show request paths, and so webhook ids, at DEBUG.)
    """
    # As Home Assistant's bootstrap does: no access log line for every request.
    caplog.set_level(logging.WARNING, logger="aiohttp.access")
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger=OUR_LOGGER)
    flow = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER, "show_advanced_options": True}
    )

    def credentials(**changes: str) -> dict[str, str]:
        return {
            CONF_KEY: TEST_KEY,
            CONF_PASSWORD: TEST_PASSWORD,
            CONF_URL: simulator.messages_url,
            CONF_TEST_RECIPIENT: TEST_NUMBER,
        } | changes

    # Failed test sends: refused, server error, nothing listening, dropped connection.
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], credentials(**{CONF_PASSWORD: "wrong-" + TEST_PASSWORD})
    )
    assert result["errors"] == {"base": "invalid_auth"}
    simulator.force_status(500)
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], credentials()
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], credentials(**{CONF_URL: CLOSED_PORT_URL})
    )
    assert result["errors"] == {"base": "cannot_connect"}
    simulator.drop_connections(1)
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], credentials()
    )
    assert result["errors"] == {"base": "cannot_connect"}

    # Setup, with a successful test send.
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], credentials()
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    webhook_id = entry.data[CONF_WEBHOOK_ID]

    # A good post, bad posts, an oversized post.
    client = await hass_client_no_auth()
    path = webhook_path(webhook_id)
    events = async_capture_events(hass, EVENT_RECEIVED)
    url = str(client.make_url(path))
    assert await simulator.post_mo(TEST_NUMBER, "hello", url=url) == 200
    assert (await client.post(path, data="<message><sender/></message>")).status == 400
    assert (await client.post(path, data=b"\xff\xfe")).status == 400
    assert (await client.post(path, data=b"<" * (65 * 1024))).status == 413

    # Reauth: refused, then accepted (which reloads the entry).
    entry.async_start_reauth(hass)
    await hass.async_block_till_done()
    [reauth] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    result = await hass.config_entries.flow.async_configure(
        reauth["flow_id"],
        {CONF_KEY: TEST_KEY, CONF_PASSWORD: "nope", CONF_TEST_RECIPIENT: TEST_NUMBER},
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        reauth["flow_id"],
        {
            CONF_KEY: TEST_KEY,
            CONF_PASSWORD: TEST_PASSWORD,
            CONF_TEST_RECIPIENT: TEST_NUMBER,
        },
    )
    await hass.async_block_till_done()
    assert result["reason"] == "reauth_successful"

    # Unload.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    # The check is not vacuous: our logger did log the rejections and the failed sends.
    ours = [record for record in caplog.records if record.name.startswith(OUR_LOGGER)]
    assert any("Rejected" in record.getMessage() for record in ours)
    assert any("Test SMS failed" in record.getMessage() for record in ours)
    assert (
        leaked_secrets(
            caplog.records,
            {
                "key": TEST_KEY,
                "password": TEST_PASSWORD,
                "webhook id": webhook_id,
                "hash": message_hash(TEST_PASSWORD, TEST_MESSAGE),
            },
        )
        == []
    )
    # Events carry only what the user needs: never the credentials or webhook id.
    [event] = events
    assert set(event.data) == {
        "sender",
        "content",
        "keyword",
        "recipient",
        "config_entry_id",
        "assist",
        "reply_to_ask",
    }
    assert webhook_id not in str(event.data)
