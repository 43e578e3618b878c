"""Shared pieces of the benchmark scripts: a served app on loopback and a wrk runner.

The benchmarks run against the project-managed local PostGIS with the bundled dataset (they
bring it up and load it as `make run` does), serve the app with one uvicorn worker on 127.0.0.1,
and drive it with wrk (Debian package, installed when missing) for a bounded time.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def ensure_dataset() -> str:
    """Bring up the database (local cluster unless configured) with the bundled data; return its URL."""
    subprocess.run([sys.executable, "-m", "app.cli", "load"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    from app.settings import DatabaseSettings

    return DatabaseSettings().resolved_url()


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL)
        path = shutil.which("wrk")
    if not path:
        raise SystemExit("wrk is needed for the HTTP benchmarks: apt-get install wrk")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(factory: str, url: str) -> Iterator[str]:
    """Serve `module:factory` with one uvicorn worker on loopback; yield its base URL."""
    port = free_port()
    # The rate limiter is switched off: the benchmark is one client sending as fast as it can.
    env = {
        **os.environ,
        "ZONING_DATABASE_URL": url,
        "PYTHONPATH": str(ROOT),
        "ZONING_RATE_LIMIT_PER_MINUTE": "0",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            factory,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the service did not become ready")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@dataclass
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * _UNITS[m.group(2)]


def wrk(url: str, *, connections: int, seconds: int = 8, threads: int = 1) -> WrkResult:
    """Run wrk against one URL (GET) and parse requests/s and the latency percentiles."""
    out = subprocess.run(
        [ensure_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(m.group(1)) if m else 0
    return WrkResult(rps, p50, p99, errors)
