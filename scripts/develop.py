# ruff: noqa: INP001
"""Run Home Assistant with the integration and the gateway simulator (scripts/develop).

Runs inside the environment scripts/develop prepares. Starts the simulator on
127.0.0.1:8124 and Home Assistant on 127.0.0.1:8123 with the repository's
config/, says what to type into the config flow, restarts Home Assistant when
it asks to be restarted, and stops both on SIGINT or SIGTERM.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from types import FrameType

import ha_env

HA_PORT = 8123
SIMULATOR_PORT = 8124
KEY = "dev-key"
PASSWORD = "dev-password"  # noqa: S105
CONFIG = ha_env.ROOT / "config"
RESTART_EXIT_CODE = 100

HA_URL = f"http://127.0.0.1:{HA_PORT}"
SIMULATOR_URL = f"http://127.0.0.1:{SIMULATOR_PORT}"

INSTRUCTIONS = f"""
================================================================================
 Home Assistant  {HA_URL}/
                 (the first time: create your user, the onboarding)
 Phone page      {SIMULATOR_URL}/
                 (the simulated Tatango gateway and the phones it talks to)

 Set the integration up:
  1. Your profile (bottom left): turn on "Advanced mode" (it shows the
     Gateway URL field).
  2. Settings > Devices & services > Add integration > "Tatango SMS":
       Gateway key         {KEY}
       Password            {PASSWORD}
       Gateway URL         {SIMULATOR_URL}/messages
       Test phone number   empty, or any number such as 2065550123
  3. Copy the webhook URL the last step shows into the phone page's
     "Home Assistant webhook URL" field and Save.
  4. "Add recipient" on the integration's entry, e.g. Alice, (206) 555-0123.
 Then send with the tatango_sms.send_message action or notify.alice, and
 text Home Assistant from the phone page (event tatango_sms_received).

 Log: config/home-assistant.log.   Ctrl-C stops Home Assistant and the simulator.
================================================================================
"""


class Stop(Exception):
    """SIGINT or SIGTERM arrived."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    # Ctrl-C arrives twice: from the terminal and passed on by scripts/develop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Stop


def main() -> int:
    """Run until interrupted; return the exit status."""
    for port, what in ((HA_PORT, "Home Assistant"), (SIMULATOR_PORT, "the simulator")):
        if not ha_env.port_free(port):
            print(
                f"127.0.0.1:{port} ({what}) is in use: is another scripts/develop running?",
                file=sys.stderr,
            )
            return 1
    if not (CONFIG / "configuration.yaml").is_file():
        # Home Assistant would write a default one, with default_config.
        print(
            "config/configuration.yaml is missing: git checkout config/",
            file=sys.stderr,
        )
        return 1
    ha_env.prepare_config(CONFIG, HA_PORT)

    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    simulator: subprocess.Popen[bytes] | None = None
    hass: subprocess.Popen[bytes] | None = None
    status = 0
    try:
        simulator = ha_env.start_simulator(SIMULATOR_PORT, KEY, PASSWORD)
        hass = ha_env.start_home_assistant(CONFIG)
        print(
            f">> starting Home Assistant on {HA_URL} (log: config/home-assistant.log)",
            flush=True,
        )
        started = time.monotonic()
        ha_env.wait_until_serving(
            f"{HA_URL}/manifest.json",
            {"Home Assistant": hass, "the simulator": simulator},
            timeout=300,
        )
        ha_env.wait_until_serving(
            f"{SIMULATOR_URL}/control/state", {"the simulator": simulator}, timeout=10
        )
        print(
            f">> Home Assistant answers after {time.monotonic() - started:.1f} s",
            flush=True,
        )
        print(INSTRUCTIONS, flush=True)
        while True:
            if (code := hass.poll()) is not None:
                if code != RESTART_EXIT_CODE:
                    print(f">> Home Assistant exited with status {code}", flush=True)
                    status = code or 1
                    break
                print(
                    ">> Home Assistant asked to be restarted: restarting it", flush=True
                )
                hass = ha_env.start_home_assistant(CONFIG)
            if (code := simulator.poll()) is not None:
                print(f">> the simulator exited with status {code}", flush=True)
                status = code or 1
                break
            time.sleep(0.5)
    except Stop:
        print("\n>> stopping Home Assistant and the simulator", flush=True)
    except RuntimeError as err:
        print(f">> {err}", file=sys.stderr, flush=True)
        status = 1
    finally:
        # A second Ctrl-C must not cut the shutdown short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if hass is not None:
            ha_env.stop(hass, timeout=60)
        if simulator is not None:
            ha_env.stop(simulator, timeout=10)
    print(">> stopped", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
