"""Write benchmark: the real server under concurrent load, against a floor (`scripts/bench`).

What runs: the project's server, exactly as deployed (`python -m uvicorn app.main:app`, one worker,
in its own process) on a fresh database (a new SQLite file under data/bench/ by default; with
`--database-url postgresql+asyncpg://…` a new database next to the one named, dropped at the end),
and the floor (`scripts/bench_floor.py`): a minimal Starlette app on uvicorn doing the same insert
or read as ONE hand-written SQL statement on the raw driver, against the same database with the
same SQLite settings. Both are loaded by a separate process (`scripts/bench_load.py`): raw asyncio
keep-alive connections, each sending its next request as soon as the previous answer is read.

Scenarios (`--scenarios`):

  graphql-create  `createParticipant` mutation, constant document, a fresh externalId per request
  rest-create     `POST /v1/participants`, a fresh external_id per request (201)
  graphql-read    `participant(externalId:)` with all lazy fields, over the pre-created ids
  rest-upsert     `POST /v1/participants` on the pre-created ids (updates, 200)

The floor answers the same load with `POST /floor/participants` (an upsert) or
`GET /floor/participants?external_id=` (one SELECT). `--participants` participants are created
through the app before measuring, for graphql-read and rest-upsert.

How it is measured: for each scenario, `--rounds` rounds; in each, the app and the floor get
`--duration / --rounds` measured seconds each after `--warmup` unmeasured seconds, in ABBA order
(app, floor, floor, app, …) so that drift of a shared machine hits both alike; samples are merged
per side. Reported per side: requests/s (requests started in the measured windows, over their
length), p50/p95/p99 latency, errors (connection errors, timeouts, non-2xx, GraphQL "errors" or
non-empty userErrors, a read answering null), the server's CPU use over the run (100 % = one
core), the load generator's own CPU use (near 100 % means the generator, not the server, was the
limit), and the server's peak RSS so far (VmHWM; both servers live for the whole run). The app's
requests/s over the floor's is the headline; the targets are printed next to it, not asserted.

`--memory` then drives one scenario (`--memory-scenario`, default graphql-create) through the app
for `--memory-requests` requests (default 100,000), sampling the server's RSS after every tenth,
and reports the growth from the first sample (10,000 requests by default) to the last.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
LOAD = ROOT / "scripts" / "bench_load.py"
FLOOR = ROOT / "scripts" / "bench_floor.py"
BENCH_DIR = ROOT / "data" / "bench"
ORG = "bench-writes"
EXISTING_PREFIX = "bench-"
SCENARIOS = ("graphql-create", "rest-create", "graphql-read", "rest-upsert")
USES_EXISTING = {"graphql-read", "rest-upsert"}
#: On SQLite, the app's requests/s over the floor's should be at least this.
RATIO_TARGETS = {"graphql-create": 0.5, "rest-create": 0.7, "rest-upsert": 0.7}
P99_TARGET_MS = 100.0
P99_TARGET_CONNECTIONS = 32
ZERO_ERRORS_CONNECTIONS = 64
MEMORY_TARGET_MB = 20.0
MEMORY_SAMPLES = 10
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


# --- databases ------------------------------------------------------------------------------


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg_execute(admin_url: str, sql: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(admin_url), timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def fresh_database(args: argparse.Namespace, stamp: str) -> Iterator[str]:
    """A new, empty database for this run; removed afterwards unless `--keep-database`."""
    given = args.database_url
    if given and make_url(given).get_backend_name() == "postgresql":
        name = f"bench_writes_{uuid.uuid4().hex[:12]}"
        asyncio.run(_pg_execute(given, f'CREATE DATABASE "{name}"'))
        url = make_url(given).set(database=name).render_as_string(hide_password=False)
        try:
            yield url
        finally:
            if not args.keep_database:
                asyncio.run(_pg_execute(given, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        return
    path = Path(make_url(given).database or "") if given else BENCH_DIR / f"writes-{stamp}.db"
    path = path.resolve()
    if path.exists():
        raise SystemExit(f"{path} exists: the benchmark wants a fresh database")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield f"sqlite+aiosqlite:///{path}"
    finally:
        if not args.keep_database:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)


def app_cli(url: str, *argv: str) -> str:
    """Run `python -m app ARGV` on `url`; its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "app", *argv],
        env={**os.environ, "DATABASE_URL": url},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"python -m app {' '.join(argv)} failed:\n{done.stderr}")
    return done.stdout


def organization_id(url: str) -> uuid.UUID:
    parsed = make_url(url)
    query = "SELECT id FROM organizations WHERE name = $1"
    if parsed.get_backend_name() == "sqlite":
        with sqlite3.connect(parsed.database or "") as conn:
            row = conn.execute(query.replace("$1", "?"), (ORG,)).fetchone()
        return uuid.UUID(str(row[0]))

    async def fetch() -> uuid.UUID:
        conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=10)
        try:
            found: uuid.UUID = await conn.fetchval(query, ORG)
        finally:
            await conn.close()
        return found

    return asyncio.run(fetch())


# --- servers --------------------------------------------------------------------------------


@dataclass
class Server:
    """A server process: the app or the floor."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def proc_status(self) -> dict[str, float]:
        """VmHWM (peak RSS) and VmRSS, in MB."""
        values: dict[str, float] = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                values[key] = int(rest.split()[0]) / 1024
        return values

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process (all its threads) so far."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextmanager
def running(name: str, argv: list[str], env: dict[str, str], log: Path) -> Iterator[Server]:
    """Start a server, wait until its /healthz answers 200, stop it (SIGINT) when done."""
    port = free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*argv, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = Server(name, process, f"http://127.0.0.1:{port}", log)
    try:
        _wait_healthy(server)
        yield server
    finally:
        server.stop()


def _wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"the {server.name} server exited:\n{server.log.read_text()}")
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.1)
    raise SystemExit(f"the {server.name} server did not become healthy in {STARTUP_TIMEOUT_S} s")


# --- load -----------------------------------------------------------------------------------


@dataclass
class Side:
    """Merged samples of one side (app or floor) of one scenario."""

    latencies_us: list[int] = field(default_factory=list)
    window_s: float = 0.0
    errors: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    server_cpu_s: float = 0.0
    gen_cpu_s: float = 0.0
    wall_s: float = 0.0
    rss: dict[str, float] = field(default_factory=dict)

    def add(self, run: dict[str, Any], server_cpu_s: float) -> None:
        self.latencies_us += run["latencies_us"]
        self.window_s += run["window_s"]
        self.errors += run["errors"]
        self.statuses.update(run["statuses"])
        self.error_samples += run["error_samples"][: 5 - len(self.error_samples)]
        self.server_cpu_s += server_cpu_s
        self.gen_cpu_s += run["cpu_s"]
        self.wall_s += run["wall_s"]

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_us)
        return {
            "requests": len(ordered),
            "rps": len(ordered) / self.window_s if self.window_s else 0.0,
            "p50_ms": _percentile(ordered, 0.50),
            "p95_ms": _percentile(ordered, 0.95),
            "p99_ms": _percentile(ordered, 0.99),
            "mean_ms": statistics.fmean(ordered) / 1000 if ordered else 0.0,
            "errors": self.errors,
            "statuses": dict(self.statuses),
            "error_samples": self.error_samples,
            "server_cpu_pct": 100 * self.server_cpu_s / self.wall_s if self.wall_s else 0.0,
            "loadgen_cpu_pct": 100 * self.gen_cpu_s / self.wall_s if self.wall_s else 0.0,
            "rss_peak_mb": self.rss.get("VmHWM", 0.0),
            "rss_mb": self.rss.get("VmRSS", 0.0),
        }


def _percentile(ordered: list[int], q: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000


def load(server: Server, scenario: str, target: str, key: str, *extra: str) -> dict[str, Any]:
    """Run the load generator once against `server`; its JSON result."""
    argv = [sys.executable, str(LOAD), "--url", server.url, "--scenario", scenario]
    argv += ["--target", target, "--existing-prefix", EXISTING_PREFIX, *extra]
    env = {**os.environ, "BENCH_API_KEY": key}  # not on the command line, where `ps` shows it
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    if done.returncode:
        raise SystemExit(f"the load generator failed:\n{done.stderr.decode(errors='replace')}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def load_measured(
    server: Server, scenario: str, target: str, key: str, side: Side, *extra: str
) -> None:
    """One load run, with the server's CPU time around it, merged into `side`."""
    cpu_before = server.cpu_seconds()
    run = load(server, scenario, target, key, *extra)
    side.add(run, server.cpu_seconds() - cpu_before)
    side.rss = server.proc_status()


def seed(app: Server, key: str, count: int) -> None:
    """`count` participants through the app, with the ids the read and upsert scenarios use."""
    started = time.perf_counter()
    run = load(app, "seed", "app", key, "--requests", str(count), "--connections", "8")
    if run["errors"] or run["requests"] != count:
        raise SystemExit(f"seeding failed: {run['error_samples']}")
    print(
        f"created {count:,} participants in {time.perf_counter() - started:.1f} s", file=sys.stderr
    )


def measure_scenario(
    args: argparse.Namespace, scenario: str, servers: dict[str, Server], key: str
) -> dict[str, Any]:
    sides = {"app": Side(), "floor": Side()}
    flags = ["--connections", str(args.connections), "--warmup", str(args.warmup)]
    flags += ["--duration", str(args.duration / args.rounds), "--existing", str(args.participants)]
    for round_no in range(args.rounds):
        order = ("app", "floor") if round_no % 2 == 0 else ("floor", "app")
        for target in order:
            print(f"{scenario}: round {round_no + 1}/{args.rounds}, {target}", file=sys.stderr)
            load_measured(servers[target], scenario, target, key, sides[target], *flags)
    app, floor = sides["app"].summary(), sides["floor"].summary()
    return {"app": app, "floor": floor, "ratio": app["rps"] / max(floor["rps"], 1e-9)}


def memory_check(args: argparse.Namespace, app: Server, key: str) -> dict[str, Any]:
    """RSS after every tenth of `--memory-requests` requests of one scenario."""
    step = max(1, args.memory_requests // MEMORY_SAMPLES)
    flags = ["--connections", str(args.connections), "--requests", str(step)]
    flags += ["--existing", str(args.participants)]
    side, samples, done = Side(), [], 0
    for _ in range(MEMORY_SAMPLES):
        load_measured(app, args.memory_scenario, "app", key, side, *flags)
        done += step
        samples.append({"requests": done, "rss_mb": side.rss["VmRSS"]})
        print(f"memory: {done:,} requests, RSS {side.rss['VmRSS']:.1f} MB", file=sys.stderr)
    return {
        "scenario": args.memory_scenario,
        "samples": samples,
        "growth_mb": samples[-1]["rss_mb"] - samples[0]["rss_mb"],
        "peak_mb": side.rss["VmHWM"],
        "errors": side.errors,
        "error_samples": side.error_samples,
        "rps": side.summary()["rps"],
    }


# --- report ---------------------------------------------------------------------------------


def print_table(report: dict[str, Any]) -> None:
    """The report as markdown: one row per scenario and side, then targets, errors, memory."""
    settings = report["settings"]
    print(
        f"\n{report['database']}, {settings['connections']} connections; load average"
        f" {report['loadavg_before'][0]:.2f} before, {report['loadavg_after'][0]:.2f} after"
        f" ({settings['cpus']} CPUs)"
    )
    if report["scenarios"]:
        print(
            f"{settings['rounds']} round(s) of {settings['duration'] / settings['rounds']:g} s"
            f" per side (+{settings['warmup']:g} s warm-up each), ABBA order\n"
        )
        _print_rows(report["scenarios"])
    for line in target_lines(report):
        print(line)
    for line in error_lines(report):
        print(line)
    if report.get("memory"):
        _print_memory(report["memory"])


def _print_rows(scenarios: dict[str, Any]) -> None:
    print(
        "| scenario       | side  |   req/s | app÷floor | p50 ms | p95 ms | p99 ms | errors |"
        " server CPU | loadgen CPU | peak RSS MB |"
    )
    print(
        "|----------------|-------|--------:|----------:|-------:|-------:|-------:|-------:|"
        "-----------:|------------:|------------:|"
    )
    for name, result in scenarios.items():
        for side in ("app", "floor"):
            r = result[side]
            ratio = f"{result['ratio']:9.2f}" if side == "app" else " " * 9
            print(
                f"| {name if side == 'app' else '':14} | {side:5} | {r['rps']:7.1f} | {ratio} |"
                f" {r['p50_ms']:6.1f} | {r['p95_ms']:6.1f} | {r['p99_ms']:6.1f} |"
                f" {r['errors']:6d} | {r['server_cpu_pct']:9.0f}% | {r['loadgen_cpu_pct']:10.0f}% |"
                f" {r['rss_peak_mb']:11.1f} |"
            )


def error_lines(report: dict[str, Any]) -> list[str]:
    """The first samples of each side's errors, to tell what went wrong."""
    sides = [
        (f"{name} {side}", result[side])
        for name, result in report["scenarios"].items()
        for side in ("app", "floor")
    ]
    if report.get("memory"):
        sides.append((f"memory {report['memory']['scenario']}", report["memory"]))
    lines = []
    for label, side in sides:
        if side["errors"]:
            lines.append(f"- {label}: {side['errors']} error(s), e.g.")
            lines += [f"    {sample[:200]}" for sample in side["error_samples"][:3]]
    return ["", "Errors:", *lines] if lines else []


def target_lines(report: dict[str, Any]) -> list[str]:
    """The targets next to the results (printed, not asserted)."""
    scenarios, connections = report["scenarios"], report["settings"]["connections"]
    if not scenarios:
        return []
    lines = ["", "Targets (not asserted):"]
    database = report["database"]
    note = "" if database == "sqlite" else f" (set for SQLite; this run: {database})"
    for name, minimum in RATIO_TARGETS.items():
        if name in scenarios:
            ratio = scenarios[name]["ratio"]
            verdict = _met(ratio >= minimum)
            lines.append(f"- {name}: app ÷ floor {ratio:.2f}, target >= {minimum}{note}: {verdict}")
    errors = sum(r[side]["errors"] for r in scenarios.values() for side in ("app", "floor"))
    want = ZERO_ERRORS_CONNECTIONS
    verdict = (
        _met(errors == 0) if connections >= want else f"not checked (use --connections {want})"
    )
    lines.append(f"- zero errors at {want} connections: {errors} at {connections}: {verdict}")
    worst = max(scenarios, key=lambda name: scenarios[name]["app"]["p99_ms"])
    p99 = scenarios[worst]["app"]["p99_ms"]
    want = P99_TARGET_CONNECTIONS
    verdict = _met(p99 < P99_TARGET_MS) if connections == want else "not checked"
    lines.append(
        f"- app p99 < {P99_TARGET_MS:g} ms at {want} connections:"
        f" worst {p99:.1f} ms ({worst}) at {connections}: {verdict}"
    )
    return lines


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _print_memory(memory: dict[str, Any]) -> None:
    first, last = memory["samples"][0], memory["samples"][-1]
    print(
        f"\nMemory ({memory['scenario']}, {memory['errors']} errors, {memory['rps']:.0f} req/s):"
        f" RSS {first['rss_mb']:.1f} MB after {first['requests']:,} requests,"
        f" {last['rss_mb']:.1f} MB after {last['requests']:,}; growth {memory['growth_mb']:+.1f} MB"
        f" (target < {MEMORY_TARGET_MB:g} MB): {_met(memory['growth_mb'] < MEMORY_TARGET_MB)}"
    )
    print("  " + ", ".join(f"{s['requests']:,}: {s['rss_mb']:.1f}" for s in memory["samples"]))


# --- main -----------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"loadavg_before": os.getloadavg(), "settings": _settings(args)}
    with ExitStack() as stack:
        url = stack.enter_context(fresh_database(args, stamp))
        report["database"] = make_url(url).get_backend_name()
        app_cli(url, "migrate")
        key = app_cli(url, "create-key", "--org", ORG).strip().splitlines()[-1]
        org = organization_id(url)
        env = {**os.environ, "DATABASE_URL": url}
        env.pop("RATE_LIMIT_PER_SECOND", None)  # a rate limit would turn the load into 429s
        app_argv = [sys.executable, "-m", "uvicorn", "app.main:app", "--log-level", "warning"]
        app_argv.append("--no-access-log")
        floor_argv = [sys.executable, str(FLOOR), "--database-url", url]
        floor_argv += ["--organization-id", str(org)]
        logs = {name: BENCH_DIR / f"writes-{stamp}-{name}.log" for name in ("app", "floor")}
        stack.callback(_show_logs, logs)  # runs after the servers have stopped
        servers = {
            "app": stack.enter_context(running("app", app_argv, env, logs["app"])),
            "floor": stack.enter_context(running("floor", floor_argv, env, logs["floor"])),
        }
        if USES_EXISTING & {*args.scenarios, args.memory_scenario if args.memory else ""}:
            seed(servers["app"], key, args.participants)
        report["scenarios"] = {
            name: measure_scenario(args, name, servers, key) for name in args.scenarios
        }
        if args.memory:
            report["memory"] = memory_check(args, servers["app"], key)
    report["loadavg_after"] = os.getloadavg()
    return report


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    names = ("connections", "duration", "warmup", "rounds", "participants", "scenarios")
    settings = {name: getattr(args, name) for name in names}
    settings["cpus"] = os.cpu_count()
    return settings


def _show_logs(logs: dict[str, Path]) -> None:
    """Server output is only interesting when there is some (errors, tracebacks)."""
    for name, log in logs.items():
        text = log.read_text(errors="replace") if log.exists() else ""
        if text.strip():
            tail = "\n".join(text.splitlines()[-20:])
            print(f"\n{name} server output ({log}), last lines:\n{tail}", file=sys.stderr)
        else:
            log.unlink(missing_ok=True)


def _scenario_list(text: str) -> list[str]:
    if text == "none":
        return []
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown scenario(s): {', '.join(unknown)}")
    return names


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--database-url",
        help="default: a fresh SQLite file under data/bench/; a postgresql+asyncpg:// URL names the"
        " server (and a database to connect to) where a fresh database is created and dropped",
    )
    parser.add_argument(
        "--scenarios",
        type=_scenario_list,
        default=list(SCENARIOS),
        help=f"comma-separated, from {', '.join(SCENARIOS)} (default: all); 'none' with --memory",
    )
    parser.add_argument(
        "--connections", type=int, default=32, help="concurrent keep-alive connections (default 32)"
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=20.0,
        help="measured seconds per side and scenario, split over the rounds (default 20)",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=2.0,
        help="unmeasured seconds before every round on each side (default 2)",
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="app/floor alternations per scenario (default 2)"
    )
    parser.add_argument(
        "--participants",
        type=int,
        default=1000,
        help="created before measuring, for graphql-read and rest-upsert (default 1000)",
    )
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.add_argument(
        "--memory", action="store_true", help="also run the memory check (takes minutes)"
    )
    parser.add_argument(
        "--memory-scenario",
        choices=SCENARIOS,
        default="graphql-create",
        help="default graphql-create",
    )
    parser.add_argument(
        "--memory-requests",
        type=int,
        default=100_000,
        help="requests in the memory check; RSS is sampled every tenth (default 100000)",
    )
    parser.add_argument(
        "--keep-database", action="store_true", help="do not delete the database at the end"
    )
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.connections < 1 or args.duration <= 0:
        parser.error("--rounds, --connections and --duration must be positive")
    if not args.scenarios and not args.memory:
        parser.error("nothing to do: no scenarios and no --memory")
    return args


def main() -> None:
    args = parse_args()
    # SIGTERM as an exception, so that the servers and the database are cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    report = run(args)
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
