"""Real server processes for the tests that need them (`python -m app serve`, uvicorn inside)."""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parent.parent

__all__ = [
    "ROOT",
    "free_port",
    "printed_line",
    "run_cli",
    "start_serve",
    "stderr_tail",
    "stop",
    "wait_until_healthy",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def run_cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """`python -m app ARGS` to completion; raises when it fails."""
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def start_serve(
    *, database_url: str, port: int, args: tuple[str, ...] = ()
) -> subprocess.Popen[str]:
    """`python -m app serve` on 127.0.0.1:`port`. Read what it prints with `printed_line`.

    Its stdout is drained by a thread from the start: uvicorn writes an access-log line per
    request there, and a pipe nobody reads fills up and freezes the server mid-test.
    """
    errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - kept for failure messages
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
    )
    _stderr[server.pid] = errors
    lines: queue.Queue[str] = queue.Queue()
    _printed[server.pid] = lines
    assert server.stdout is not None
    threading.Thread(target=_drain, args=(server.stdout, lines), daemon=True).start()
    return server


_printed: dict[int, queue.Queue[str]] = {}
_stderr: dict[int, IO[str]] = {}


def stderr_tail(server: subprocess.Popen[str], lines: int = 20) -> str:
    """The end of what the server wrote on stderr (for failure messages)."""
    stream = _stderr.get(server.pid)
    if stream is None:
        return ""
    stream.seek(0)
    return "".join(stream.readlines()[-lines:])


def _drain(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def printed_line(server: subprocess.Popen[str], timeout: float = 30) -> str:
    """The next line the server printed on stdout."""
    return _printed[server.pid].get(timeout=timeout)


def wait_until_healthy(base_url: str, server: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            raise AssertionError(f"server exited with {server.returncode}:\n{stderr_tail(server)}")
        try:
            if httpx.get(f"{base_url}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "server did not come up"
        time.sleep(0.1)


def stop(server: subprocess.Popen[str]) -> int:
    """Terminate and wait. uvicorn shuts down gracefully, then re-raises SIGTERM (-15)."""
    server.terminate()
    return server.wait(timeout=20)
