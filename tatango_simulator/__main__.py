"""Run the gateway simulator standalone.

Usage: ``python -m tatango_simulator --host 127.0.0.1 --port 8124 --key K
--password P [--mo-url URL]``; it prints where it listens (open the phone page,
``/``, in a browser) and runs until interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from .server import GatewaySimulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m tatango_simulator",
        description="Simulate the Tatango SMS Gateway.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8124, help="port (0: any free one)")
    parser.add_argument("--key", required=True, help="the gateway key to accept")
    parser.add_argument(
        "--password", required=True, help="the password the hash covers"
    )
    parser.add_argument(
        "--mo-url", help="where to POST MOs (the Home Assistant webhook)"
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Run the simulator until SIGINT or SIGTERM."""
    sim = GatewaySimulator(key=args.key, password=args.password, mo_url=args.mo_url)
    await sim.start(host=args.host, port=args.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    print(f"Tatango gateway simulator listening on {sim.base_url}", flush=True)
    print(f"  phone page:   {sim.base_url}/", flush=True)
    print(f"  messages URL: {sim.messages_url}", flush=True)
    print(f"  control API:  {sim.base_url}/control/state", flush=True)
    print(
        f"  MO URL:       {sim.mo_url or '(none; POST /control/mo_url to set)'}",
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        await sim.stop()


def main(argv: list[str] | None = None) -> None:
    """Run the simulator from the command line."""
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
