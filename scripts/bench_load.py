"""Load generator for the write benchmark (`scripts/bench`): cheap HTTP/1.1 keep-alive clients.

Opens `--connections` connections to `--url` on raw asyncio streams (uvloop when importable), one
coroutine per connection, each sending one request at a time and reading the whole response
before the next (closed loop). Request bytes are built from a constant prefix and a body template
with a counter, so a request costs a few microseconds here. Latency is timed from writing the
request to having read its whole body.

Two ways to stop: `--duration` seconds after `--warmup` seconds (only requests *started* inside the
measured window are recorded, and requests/s is their count over `--duration`), or after
`--requests` requests in total (no warm-up; requests/s over the wall time).

An error is a connection error (counted per failed attempt; the connection is then reopened), a
request still unanswered 30 s after the end (a timeout), a non-2xx status, or a 2xx whose body
fails the scenario's cheap check: for GraphQL, a top-level `"errors"` key, a `createParticipant`
without `"userErrors":[]`, or a read answering `"participant":null`.

The result is one JSON object on stdout: request and error counts, statuses, latencies in whole
microseconds, the first few error samples, and this process's CPU time (to tell whether the load
generator itself was the bottleneck). External ids are unique across processes and runs (a random
token per process) except for the `*-upsert`, `*-read` and `seed` scenarios, which use the ids
`<--existing-prefix>00000` … made by `seed`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import os
import secrets
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import orjson

#: Builds a request body (or a GET path suffix) from the external id and the request's number.
Render = Callable[[bytes, int], bytes]
#: Is this 2xx response body a success?
Check = Callable[[bytes], bool]

TIMEOUT_GRACE_S = 30.0
ERROR_SAMPLES = 5

CREATE_MUTATION = (
    b"mutation Create($input: CreateParticipantInput!) { createParticipant(input: $input) {"
    b" created userErrors { field code message } participant { id externalId status createdAt } } }"
)
READ_QUERY = (
    b"query Read($externalId: String!) { participant(externalId: $externalId) {"
    b" id externalId email programs { id name } balances { available held asset { symbol } }"
    b" counters { key value } tiers { key level rank } } }"
)


def _graphql_create(ext: bytes, n: int) -> bytes:
    return (
        b'{"query":"%s","variables":{"input":{"externalId":"%s","email":"%s@example.com",'
        b'"firstName":"Bench","lastName":"Writer %d","attributes":{"plan":"gold","seq":"%d"},'
        b'"tags":["bench","vip"]}}}' % (CREATE_MUTATION, ext, ext, n, n)
    )


def _rest_create(ext: bytes, n: int) -> bytes:
    return (
        b'{"external_id":"%s","email":"%s@example.com","first_name":"Bench",'
        b'"last_name":"Writer %d","attributes":{"plan":"gold","seq":"%d"},'
        b'"tags":["bench","vip"]}' % (ext, ext, n, n)
    )


def _rest_upsert(ext: bytes, n: int) -> bytes:
    return b'{"external_id":"%s","first_name":"Name %d","attributes":{"seq":"%d"}}' % (ext, n, n)


def _graphql_read(ext: bytes, _n: int) -> bytes:
    return b'{"query":"%s","variables":{"externalId":"%s"}}' % (READ_QUERY, ext)


def _query_string(ext: bytes, _n: int) -> bytes:
    return b"?external_id=" + ext


def _any_2xx(_body: bytes) -> bool:
    return True


def _created_ok(body: bytes) -> bool:
    return b'"errors"' not in body and b'"userErrors":[]' in body


def _read_ok(body: bytes) -> bool:
    return b'"errors"' not in body and b'"participant":null' not in body


@dataclass(frozen=True, slots=True)
class Spec:
    """One kind of request: `render` makes the body (POST) or the query string (GET)."""

    method: bytes
    path: bytes
    render: Render
    check: Check = _any_2xx
    #: Uses the pre-created ids (`--existing`) instead of fresh ones.
    existing: bool = False


_FLOOR_POST = b"/floor/participants"
SCENARIOS: dict[str, dict[str, Spec]] = {
    "graphql-create": {
        "app": Spec(b"POST", b"/graphql", _graphql_create, _created_ok),
        "floor": Spec(b"POST", _FLOOR_POST, _rest_create),
    },
    "rest-create": {
        "app": Spec(b"POST", b"/v1/participants", _rest_create),
        "floor": Spec(b"POST", _FLOOR_POST, _rest_create),
    },
    "graphql-read": {
        "app": Spec(b"POST", b"/graphql", _graphql_read, _read_ok, existing=True),
        "floor": Spec(b"GET", _FLOOR_POST, _query_string, existing=True),
    },
    "rest-upsert": {
        "app": Spec(b"POST", b"/v1/participants", _rest_upsert, existing=True),
        "floor": Spec(b"POST", _FLOOR_POST, _rest_upsert, existing=True),
    },
    # Not measured: makes the participants the *-read and *-upsert scenarios use.
    "seed": {"app": Spec(b"POST", b"/v1/participants", _rest_create, existing=True)},
}


class RequestMaker:
    """Turns a request number into the bytes to send."""

    def __init__(self, spec: Spec, args: argparse.Namespace) -> None:
        url = urlsplit(args.url)
        host = url.netloc.encode()
        key = args.key.encode()
        self.render = spec.render
        self.existing = args.existing if spec.existing else 0
        self.seed = args.scenario == "seed"
        self.prefix = args.existing_prefix.encode()
        self.token = b"bw-" + secrets.token_hex(6).encode() + b"-"
        if spec.method == b"GET":
            self.head = b"GET " + spec.path
            self.tail = b" HTTP/1.1\r\nHost: %s\r\nX-API-Key: %s\r\n\r\n" % (host, key)
        else:
            self.head = (
                b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                b"X-API-Key: %s\r\nContent-Length: " % (spec.path, host, key)
            )
        self.get = spec.method == b"GET"

    def external_id(self, n: int) -> bytes:
        if self.seed:
            return b"%s%05d" % (self.prefix, n)
        if self.existing:
            return b"%s%05d" % (self.prefix, n % self.existing)
        return self.token + str(n).encode()

    def __call__(self, n: int) -> bytes:
        rendered = self.render(self.external_id(n), n)
        if self.get:
            return self.head + rendered + self.tail
        return self.head + str(len(rendered)).encode() + b"\r\n\r\n" + rendered


@dataclass(slots=True)
class Stats:
    latencies_us: list[int] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    connection_errors: int = 0
    samples: list[str] = field(default_factory=list)

    def failure(self, what: str) -> None:
        self.errors += 1
        if len(self.samples) < ERROR_SAMPLES:
            self.samples.append(what[:400])


@dataclass(slots=True)
class Plan:
    """When to send and what to record, shared by every connection."""

    measure_from: float
    stop_at: float
    limit: float
    tickets: Iterator[int]


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, keep-alive) of one HTTP/1.1 response."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    at = lower.find(b"\r\ncontent-length:")
    if at >= 0:
        end = lower.index(b"\r\n", at + 2)
        body = await reader.readexactly(int(lower[at + 17 : end]))
    elif b"\r\ntransfer-encoding: chunked" in lower:
        body = await _read_chunked(reader)
    else:
        return status, await reader.read(), False
    return status, body, b"\r\nconnection: close" not in lower


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                pass
            return b"".join(parts)
        parts.append((await reader.readexactly(size + 2))[:-2])


class Connection:
    """One keep-alive connection, reopened after an error or a `Connection: close`."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self.reader, self.writer

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def worker(
    conn: Connection, make: RequestMaker, check: Check, plan: Plan, stats: Stats
) -> None:
    while True:
        started = time.perf_counter()
        n = next(plan.tickets)
        if started >= plan.stop_at or n >= plan.limit:
            break
        request = make(n)
        try:
            reader, writer = await conn.open()
            writer.write(request)
            status, body, keep_alive = await read_response(reader)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            conn.close()
            if started >= plan.measure_from:
                stats.connection_errors += 1
                stats.failure(f"connection: {exc!r}")
            await asyncio.sleep(0.05)
            continue
        if started >= plan.measure_from:
            stats.latencies_us.append(int((time.perf_counter() - started) * 1e6))
            stats.statuses[status] += 1
            if not (200 <= status < 300 and check(body)):
                stats.failure(f"{status}: {body.decode(errors='replace')}")
        if not keep_alive:
            conn.close()
    conn.close()


async def run(args: argparse.Namespace) -> dict[str, object]:
    spec = SCENARIOS[args.scenario][args.target]
    make = RequestMaker(spec, args)
    url = urlsplit(args.url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    now = time.perf_counter()
    by_count = args.requests is not None
    plan = Plan(
        measure_from=now if by_count else now + args.warmup,
        stop_at=math.inf if by_count else now + args.warmup + args.duration,
        limit=args.requests if by_count else math.inf,
        tickets=itertools.count(),
    )
    stats = Stats()
    conns = [Connection(host, port) for _ in range(args.connections)]
    cpu_before = time.process_time()
    tasks = [
        asyncio.create_task(worker(conn, make, spec.check, plan, stats), name=f"conn-{i}")
        for i, conn in enumerate(conns)
    ]
    timeout = None if by_count else args.warmup + args.duration + TIMEOUT_GRACE_S
    _, stuck = await asyncio.wait(tasks, timeout=timeout)
    for task in stuck:
        task.cancel()
        stats.failure("timeout: no answer within 30 s after the end")
    wall = time.perf_counter() - plan.measure_from
    window = wall if by_count else args.duration
    return {
        "scenario": args.scenario,
        "target": args.target,
        "connections": args.connections,
        "requests": len(stats.latencies_us),
        "errors": stats.errors,
        "connection_errors": stats.connection_errors,
        "window_s": window,
        "rps": len(stats.latencies_us) / window if window > 0 else 0.0,
        "statuses": {str(k): v for k, v in sorted(stats.statuses.items())},
        "error_samples": stats.samples,
        "cpu_s": time.process_time() - cpu_before,
        "wall_s": time.perf_counter() - now,
        "latencies_us": stats.latencies_us,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/bench_load.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--url", required=True, help="server base URL, e.g. http://127.0.0.1:8001")
    parser.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    parser.add_argument("--target", choices=("app", "floor"), default="app")
    parser.add_argument(
        "--key",
        default=os.environ.get("BENCH_API_KEY", ""),
        help="sent as X-API-Key; the floor ignores it (default: env BENCH_API_KEY)",
    )
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="unrecorded seconds first")
    parser.add_argument(
        "--requests", type=int, help="stop after this many requests instead (no warm-up)"
    )
    parser.add_argument(
        "--existing", type=int, default=1000, help="how many pre-created ids to cycle over"
    )
    parser.add_argument(
        "--existing-prefix", default="bench-", help="pre-created ids are PREFIX00000, PREFIX00001…"
    )
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    if args.target not in SCENARIOS[args.scenario]:
        raise SystemExit(f"{args.scenario} has no {args.target} variant")
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] installs it
        result = asyncio.run(run(args))
    else:
        result = uvloop.run(run(args))
    sys.stdout.buffer.write(orjson.dumps(result))


if __name__ == "__main__":
    main()
