# ruff: noqa: INP001
"""Run Home Assistant with the integration and the gateway simulator (scripts/develop).

Runs inside the environment scripts/develop prepares. Starts the simulator on
127.0.0.1:8124 and Home Assistant on 127.0.0.1:8123 with the repository's
config/, says what to type into the config flow, restarts Home Assistant when
it asks to be restarted, and stops both on SIGINT or SIGTERM.
"""

from __future__ import annotations

import asyncio
import sys
import time

from harness import ROOT, Harness, Settings, expect, run

SETTINGS = Settings(
    name="develop",
    ha_port=8123,
    simulator_port=8124,
    key="dev-key",
    password="dev-password",  # noqa: S106
    config=ROOT / "config",
    isolated=False,
)
RESTART_EXIT_CODE = 100
S = SETTINGS
INSTRUCTIONS = f"""
================================================================================
 Home Assistant  {S.ha_url}/
                 (the first time: create your user, the onboarding)
 Phone page      {S.simulator_url}/
                 (the simulated Tatango gateway and the phones it talks to)

 Set the integration up:
  1. Your profile (bottom left): turn on "Advanced mode" (it shows the
     Gateway URL field).
  2. Settings > Devices & services > Add integration > "Tatango SMS":
       Gateway key         {S.key}
       Password            {S.password}
       Gateway URL         {S.simulator_url}/messages
       Test phone number   empty, or any number such as 2065550123
  3. Copy the webhook URL the last step shows into the phone page's
     "Home Assistant webhook URL" field and Save.
  4. "Add recipient" on the integration's entry, e.g. Alice, (206) 555-0123.
 Then send with the tatango_sms.send_message action or notify.alice, and
 text Home Assistant from the phone page (event tatango_sms_received).

 Log: config/home-assistant.log.   Ctrl-C stops Home Assistant and the simulator.
================================================================================
"""


async def develop(h: Harness) -> None:
    """Run until interrupted, restarting Home Assistant when it asks to be."""
    # Home Assistant would write a default one, with default_config.
    expect(
        (h.config / "configuration.yaml").is_file(),
        "config/configuration.yaml is missing: git checkout config/",
    )
    await h.start_simulator()
    print(f">> starting Home Assistant on {S.ha_url} (log: config/home-assistant.log)")
    await h.start_home_assistant(timeout=300)
    print(f">> Home Assistant answers after {time.monotonic() - h.started:.1f} s")
    print(INSTRUCTIONS, flush=True)
    while True:
        await asyncio.sleep(0.5)
        assert h.hass is not None
        if h.hass.poll() == RESTART_EXIT_CODE:
            print(">> Home Assistant asked to be restarted: restarting it", flush=True)
            await h.start_home_assistant(timeout=300)
        h.check_processes()


if __name__ == "__main__":
    sys.exit(asyncio.run(run(SETTINGS, develop)))
