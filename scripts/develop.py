# ruff: noqa: INP001
"""Run Home Assistant with the integration and the simulator (scripts/develop).

With the repository's config/; restarts Home Assistant when it asks to be.
"""

from __future__ import annotations

import asyncio
import sys
import time

from harness import ROOT, Credentials, Harness, Ports, Settings, expect, run

S = Settings(
    name="develop",
    ports=Ports(8123, 8124),
    credentials=Credentials("dev-key", "dev-password"),
    config=ROOT / "config",
    isolated=False,
)
RESTART_EXIT_CODE = 100
INSTRUCTIONS = f"""
================================================================================
 Home Assistant  {S.ha_url}/  (the first time: create your user)
 Phone page      {S.simulator_url}/  (the simulated gateway and its phones)
 Set the integration up (with "Advanced mode" on in your profile) with
   Gateway key  {S.credentials.key}   Password  {S.credentials.password}
   Gateway URL  {S.simulator_url}/messages
 and paste the webhook URL it shows into the phone page (README.md, "Try it
 without a Tatango account", says more). Log: config/home-assistant.log.
 Ctrl-C stops Home Assistant and the simulator.
================================================================================
"""


async def develop(h: Harness) -> None:
    """Run until interrupted, restarting Home Assistant when it asks to be."""
    # Home Assistant would write a default one, with default_config.
    configuration = h.config / "configuration.yaml"
    missing = "config/configuration.yaml is missing: git checkout config/"
    expect(configuration.is_file(), missing)
    await h.start_simulator()
    print(f">> starting Home Assistant on {S.ha_url} (log: config/home-assistant.log)")
    await h.start_home_assistant(timeout=300)
    print(f">> Home Assistant answers after {time.monotonic() - h.started:.1f} s")
    print(INSTRUCTIONS, flush=True)
    while "--smoke" not in sys.argv:  # scripts/test: started, then stopped
        await asyncio.sleep(0.5)
        if h.hass is not None and h.hass.poll() == RESTART_EXIT_CODE:
            print(">> Home Assistant asked to be restarted: restarting it", flush=True)
            await h.start_home_assistant(timeout=300)
        h.check_processes()


if __name__ == "__main__":
    sys.exit(asyncio.run(run(S, develop)))
