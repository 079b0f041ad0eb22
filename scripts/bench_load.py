# ruff: noqa: INP001
"""Load generator for scripts/bench: posts MO bodies to a webhook over loopback.

A process of its own (so it does not share Home Assistant's event loop), with as
little work per request as plain asyncio allows: requests are prebuilt bytes,
answers are parsed only as far as the status and Content-Length, connections
are kept alive. ``concurrency`` connections each post one request at a time
until ``count`` requests have been answered.

    python scripts/bench_load.py < SPEC

SPEC (JSON): {"port", "path", "count", "concurrency", "bodies": [str, ...],
"cpus": [int, ...] (the CPUs to run on; empty: any)}; the host is 127.0.0.1
and the bodies are posted as text/xml. Prints one JSON object: {"count",
"statuses", "seconds", "latencies_ms": {"p50", "p99", "mean", "max"},
"load_cpu_us"} (its own CPU time per request).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import statistics
import sys
import time
from typing import Any


class Connection(asyncio.Protocol):
    """One kept-alive HTTP/1.1 connection with at most one request in flight."""

    def __init__(self) -> None:
        """Initialize an idle connection."""
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        """Fail a request in flight."""
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"connection lost: {exc}"))

    def data_received(self, data: bytes) -> None:
        """Complete the request in flight once its whole answer is here."""
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None:
            return
        head = bytes(self.buffer[:end]).lower()
        at = head.find(b"\r\ncontent-length:")
        if at < 0:
            self.waiter.set_exception(ValueError(f"no Content-Length in {head!r}"))
            return
        eol = head.find(b"\r\n", at + 2)
        length = int(head[at + 17 : eol if eol >= 0 else len(head)])
        total = end + 4 + length
        if len(self.buffer) < total:
            return
        status = int(head[9:12])
        del self.buffer[:total]
        waiter, self.waiter = self.waiter, None
        waiter.set_result(status)

    async def request(self, data: bytes) -> int:
        """Send one prebuilt request; return the answer's status."""
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self.waiter


def build_requests(spec: dict[str, Any]) -> list[bytes]:
    """Return one complete HTTP request per body."""
    requests = []
    for text in spec["bodies"]:
        body = text.encode("utf-8")
        head = (
            f"POST {spec['path']} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{spec['port']}\r\n"
            "Content-Type: text/xml\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        requests.append(head.encode("ascii") + body)
    return requests


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the load; return the summary."""
    loop = asyncio.get_running_loop()
    requests = build_requests(spec)
    count: int = spec["count"]
    connections = []
    for _ in range(spec["concurrency"]):
        _, protocol = await loop.create_connection(
            Connection, "127.0.0.1", spec["port"]
        )
        connections.append(protocol)
    latencies = [0] * count
    statuses: dict[int, int] = {}
    next_index = 0

    async def worker(connection: Connection) -> None:
        nonlocal next_index
        clock = time.perf_counter_ns
        while next_index < count:
            index = next_index
            next_index += 1
            data = requests[index % len(requests)]
            started = clock()
            status = await connection.request(data)
            latencies[index] = clock() - started
            statuses[status] = statuses.get(status, 0) + 1

    usage = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    seconds = time.perf_counter() - started
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = used.ru_utime + used.ru_stime - usage.ru_utime - usage.ru_stime
    for connection in connections:
        if connection.transport is not None:
            connection.transport.close()
    latencies.sort()
    return {
        "count": count,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "seconds": seconds,
        "latencies_ms": {
            "p50": latencies[len(latencies) // 2] / 1e6,
            "p99": latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)] / 1e6,
            "mean": statistics.fmean(latencies) / 1e6,
            "max": latencies[-1] / 1e6,
        },
        "load_cpu_us": cpu / count * 1e6,
    }


def main() -> int:
    """Read the spec, run, print the summary."""
    spec = json.load(sys.stdin)
    if spec.get("cpus"):
        os.sched_setaffinity(0, spec["cpus"])
    print(json.dumps(asyncio.run(run(spec))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
