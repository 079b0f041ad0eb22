# ruff: noqa: INP001
"""Load generator for scripts/bench: posts MO bodies to a webhook over loopback.

A process of its own, as light per request as plain asyncio allows. Reads
{"port", "path", "count", "concurrency", "bodies", "cpus"} (JSON) on stdin and
prints {"count", "statuses", "seconds", "latencies_ms", "load_cpu_us"}.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
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
        if (at := head.find(b"\r\ncontent-length:")) < 0:
            self.waiter.set_exception(ValueError(f"no Content-Length in {head!r}"))
            return
        eol = head.find(b"\r\n", at + 2)
        total = end + 4 + int(head[at + 17 : eol if eol >= 0 else len(head)])
        if len(self.buffer) < total:
            return
        del self.buffer[:total]
        waiter, self.waiter = self.waiter, None
        waiter.set_result(int(head[9:12]))

    async def request(self, data: bytes) -> int:
        """Send one prebuilt request; return the answer's status."""
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self.waiter


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the load; return the summary."""
    loop, count = asyncio.get_running_loop(), spec["count"]
    head = f"POST {spec['path']} HTTP/1.1\r\nHost: 127.0.0.1:{spec['port']}\r\n"
    head += "Content-Type: text/xml\r\nContent-Length: {}\r\n\r\n"
    bodies = [body.encode() for body in spec["bodies"]]
    requests = [head.format(len(body)).encode() + body for body in bodies]
    connections = []
    for _ in range(spec["concurrency"]):
        where = ("127.0.0.1", spec["port"])
        _, connection = await loop.create_connection(Connection, *where)
        connections.append(connection)
    latencies, statuses, next_index = [0] * count, dict[int, int](), 0

    async def worker(connection: Connection) -> None:
        nonlocal next_index
        while next_index < count:
            index, next_index = next_index, next_index + 1
            started = time.perf_counter_ns()
            status = await connection.request(requests[index % len(requests)])
            latencies[index] = time.perf_counter_ns() - started
            statuses[status] = statuses.get(status, 0) + 1

    usage, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    seconds = time.perf_counter() - started
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = used.ru_utime + used.ru_stime - usage.ru_utime - usage.ru_stime
    for connection in connections:
        if connection.transport is not None:
            connection.transport.close()
    latencies.sort()
    p50, p99 = latencies[count // 2], latencies[min(count - 1, count * 99 // 100)]
    return {
        "count": count,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "seconds": seconds,
        "latencies_ms": {"p50": p50 / 1e6, "p99": p99 / 1e6},
        "load_cpu_us": cpu / count * 1e6,
    }


if __name__ == "__main__":
    SPEC = json.load(sys.stdin)
    if SPEC.get("cpus"):
        os.sched_setaffinity(0, SPEC["cpus"])
    print(json.dumps(asyncio.run(run(SPEC))), flush=True)
