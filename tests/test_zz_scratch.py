from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.network import get_url
from custom_components.tatango_sms.const import DOMAIN
from .helpers import make_entry, async_add_and_set_up, webhook_path


async def test_scratch(
    hass: HomeAssistant, simulator, hass_client_no_auth, hass_ws_client, cloud
):
    print("api before", hass.config.api)
    entry = make_entry(simulator.messages_url)
    await async_add_and_set_up(hass, entry)
    print("api after", hass.config.api)
    try:
        print(get_url(hass))
    except Exception as e:
        print("get_url", repr(e))
    print(er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id))
    print(hass.states.async_all())
    ws = await hass_ws_client(hass)
    client = await hass_client_no_auth()
    await ws.send_json({"id": 1, "type": "webhook/list"})
    print(await ws.receive_json())
    r = await client.post(
        webhook_path(entry.data["webhook_id"]),
        data=b"\xff\xfe<message/>",
        headers={"Content-Type": "text/xml; charset=bogus"},
    )
    print(r.status)
    print(client.make_url("/x"))
    assert False
