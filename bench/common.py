"""Shared pieces of the benchmark scripts: a served app on loopback, a wrk runner, random inputs.

The benchmarks run against the project-managed local PostGIS with the bundled dataset (they
bring it up and load it as `make run` does), serve each app with uvicorn on uvloop + httptools
(one worker unless asked) on 127.0.0.1, and drive it with wrk (Debian package, installed when
missing) for a bounded time. Requests cycle through many random URLs (points inside the city,
bboxes across it, fixed seeds) — never one URL — through a generated wrk Lua script.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def ensure_dataset() -> str:
    """Bring up the database (local cluster unless configured) with the bundled data; return its URL."""
    subprocess.run([sys.executable, "-m", "app.cli", "load"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    from app.settings import DatabaseSettings

    return DatabaseSettings().resolved_url()


def owner_url() -> str:
    """The schema owner's URL (the service's role may not create schemas or tables)."""
    from app.settings import DatabaseSettings

    return DatabaseSettings().resolved_owner_url()


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


@dataclass
class Server:
    base: str
    pid: int

    def rss_mb(self) -> list[float]:
        """Resident memory of the server's worker processes (or of the one process), in MB."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        pids = [int(p) for p in children.read_text().split()] if children.exists() else []
        out = []
        for pid in pids or [self.pid]:
            if b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue  # multiprocessing's helper beside the uvicorn workers
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out.append(int(line.split()[1]) / 1024)
        return out


@contextmanager
def served(
    factory: str, url: str, *, workers: int = 1, ready: str = "/readyz", env: dict[str, str] | None = None
) -> Iterator[Server]:
    """Serve `module:factory` with uvicorn (uvloop + httptools) on loopback; yield the server."""
    port = free_port()
    # The rate limiter is switched off: the benchmark is one client sending as fast as it can.
    env = {
        **os.environ,
        "ZONING_DATABASE_URL": url,
        "PYTHONPATH": str(ROOT),
        "ZONING_RATE_LIMIT_PER_MINUTE": "0",
        **(env or {}),
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
            str(workers),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
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
                if httpx.get(base + ready, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the service did not become ready")
            time.sleep(0.2)
        yield Server(base, proc.pid)
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


def _script(paths: list[str]) -> str:
    """A wrk Lua script cycling through ``paths`` (each connection starts at its own offset)."""
    quoted = ",\n".join('"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"' for p in paths)
    return (
        f"local paths = {{\n{quoted}\n}}\n"
        "local n = #paths\nlocal i = 0\n"
        "init = function(args) i = math.random(n) end\n"
        "request = function()\n  i = i % n + 1\n  return wrk.format('GET', paths[i])\nend\n"
    )


def wrk(
    url: str, *, connections: int, seconds: int = 8, threads: int = 1, paths: list[str] | None = None
) -> WrkResult:
    """Run wrk against ``url`` (GET), cycling through ``paths`` on that host when given; parse
    requests/s, the latency percentiles and the non-2xx/3xx count."""
    script: list[str] = []
    if paths:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
            handle.write(_script(paths))
        script = ["-s", handle.name]
    out = subprocess.run(
        [ensure_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", *script, url],
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
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(g) for g in m.groups())
    if script:
        os.unlink(script[1])
    return WrkResult(rps, p50, p99, errors)


CITY_BBOX = (115.45, 28.17, 116.55, 29.12)
"""Nanchang's lon/lat extent (EPSG:4490), for drawing random inputs."""


def city_outline(url: str) -> object:
    """The union of the control units in force (the city), as a Shapely geometry read from PostGIS."""
    import shapely
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        wkb = conn.execute(
            text(
                "SELECT ST_AsBinary(ST_Union(geom)) FROM control_unit WHERE version_id = ("
                "SELECT id FROM dataset_version WHERE status <> 'draft' AND effective_from <= current_date "
                "AND (effective_to IS NULL OR effective_to > current_date))"
            )
        ).scalar_one()
    engine.dispose()
    return shapely.from_wkb(bytes(wkb))


def random_points(city: object, n: int, seed: int = 20210101) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uniformly random lon/lat points inside the city (rejection sampling, fixed seed)."""
    import shapely

    rng = np.random.default_rng(seed)
    shapely.prepare(city)
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    have = 0
    while have < n:
        x = rng.uniform(CITY_BBOX[0], CITY_BBOX[2], 2 * n)
        y = rng.uniform(CITY_BBOX[1], CITY_BBOX[3], 2 * n)
        keep = shapely.contains_xy(city, x, y)
        xs.append(x[keep])
        ys.append(y[keep])
        have += int(keep.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def random_bboxes(n: int, seed: int = 20210102) -> list[str]:
    """``n`` random lon/lat bboxes across the city, 0.01°–0.1° a side (about 1–10 km)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        w, h = rng.uniform(0.01, 0.1, 2)
        x = rng.uniform(CITY_BBOX[0], CITY_BBOX[2] - w)
        y = rng.uniform(CITY_BBOX[1], CITY_BBOX[3] - h)
        out.append(f"{x:.5f},{y:.5f},{x + w:.5f},{y + h:.5f}")
    return out


@dataclass
class Paired:
    """Two servers measured in alternation: each side's median round, and the median of the
    per-round ratios (ours / anchor)."""

    ours: WrkResult
    anchor: WrkResult
    ratio: float
    ratios: list[float]


def _median_run(runs: list[WrkResult]) -> WrkResult:
    ordered = sorted(runs, key=lambda r: r.requests_per_s)
    mid = ordered[len(ordered) // 2]
    return WrkResult(mid.requests_per_s, mid.p50_ms, max(r.p99_ms for r in runs), sum(r.errors for r in runs))


def paired(
    ours: tuple[str, list[str] | None],
    anchor: tuple[str, list[str] | None],
    *,
    connections: int,
    seconds: int,
    rounds: int = 3,
) -> Paired:
    """wrk on ``ours`` and on ``anchor`` in alternation (A B B A A B …), ``rounds`` runs each, so
    that a change in the load of a shared machine falls on both sides alike. p99 is the worst
    round's, errors the sum of all rounds'."""
    mine: list[WrkResult] = []
    theirs: list[WrkResult] = []
    for i in range(rounds):
        order = [(ours, mine), (anchor, theirs)]
        for (url, paths), out in order if i % 2 == 0 else order[::-1]:
            out.append(wrk(url, connections=connections, seconds=seconds, paths=paths))
    ratios = [a.requests_per_s / b.requests_per_s for a, b in zip(mine, theirs, strict=True)]
    return Paired(_median_run(mine), _median_run(theirs), sorted(ratios)[len(ratios) // 2], ratios)
