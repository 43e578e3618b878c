"""OGC API benchmark: items pages on random bboxes, ours vs tipg on the same table, in one run.

Run: ``make bench`` or ``python bench/ogc.py``. Prints, with one uvicorn worker each (uvloop +
httptools), wrk cycling through 5,000 random bboxes across the city (fixed seed, ``limit=10``):
- ours ``/ogc/collections/control_units/items`` vs tipg ``/collections/ogc_bench.control_units/items``
  at 32 connections: req/s, p50/p99 — goal ours ≥ 3× tipg with p99 ≤ 100 ms. More distinct URLs
  than the page cache holds, cycled in order, so every request misses it (uncached);
- uncached vector tiles of control units at z10–z14 over the city, p50 per zoom (≤ 20 ms).
tipg reads a copy of the version in force (schema ``ogc_bench``, indexed like ours), since it
reads tables directly and knows nothing of versions; the first page of a few bboxes is checked to
hold the same features in both. tipg is installed at bench time into a throwaway venv
(``/tmp/zoning-bench-tipg``), never a dependency of the service.
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    WrkResult,
    ensure_dataset,
    free_port,
    owner_url,
    paired,
    random_bboxes,
    served,
    wrk,
)

SECONDS = int(os.environ.get("ZONING_BENCH_SECONDS", "8"))  # shorter while the machine is shared
N_BBOXES = 5000
ROUNDS = 3
TIPG_VENV = Path("/tmp/zoning-bench-tipg")
CITY = (115.45, 28.17, 116.55, 29.12)


def ensure_tipg() -> Path:
    """tipg in a throwaway venv (never a runtime dependency)."""
    exe = TIPG_VENV / "bin" / "python"
    if not (TIPG_VENV / "bin" / "uvicorn").exists():
        subprocess.run([sys.executable, "-m", "venv", str(TIPG_VENV)], check=True)
        subprocess.run(
            [str(TIPG_VENV / "bin" / "pip"), "install", "-q", "tipg", "uvicorn[standard]"], check=True
        )
    return exe


def prepare_tipg_table(url: str) -> None:
    """Copy the control units of the version in force into ogc_bench.control_units, indexed like ours."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS ogc_bench CASCADE"))
        conn.execute(text("CREATE SCHEMA ogc_bench"))
        conn.execute(
            text(
                "CREATE TABLE ogc_bench.control_units AS SELECT u.id, u.code, u.name_zh, u.name_en, "
                "u.class::text AS class, u.division_code, u.tags, u.area_m2, u.geom FROM control_unit u "
                "WHERE u.version_id = (SELECT id FROM dataset_version WHERE status <> 'draft' "
                "AND effective_from <= current_date AND (effective_to IS NULL OR effective_to > current_date))"
            )
        )
        conn.execute(text("ALTER TABLE ogc_bench.control_units ADD PRIMARY KEY (id)"))
        conn.execute(text("CREATE INDEX ON ogc_bench.control_units USING gist (geom)"))
        conn.execute(text("ANALYZE ogc_bench.control_units"))
    engine.dispose()


class TipgServer:
    """tipg on loopback over the ogc_bench schema."""

    def __init__(self, url: str) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url.replace("postgresql+psycopg://", "postgresql://"),
            "TIPG_DB_SCHEMAS": '["ogc_bench"]',
            "TIPG_MAX_FEATURES_PER_QUERY": "10000",
        }
        self.proc = subprocess.Popen(
            [
                str(ensure_tipg()),
                "-m",
                "uvicorn",
                "tipg.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                "1",
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if (
                    httpx.get(self.base + "/collections/ogc_bench.control_units", timeout=2).status_code
                    == 200
                ):
                    break
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("tipg did not start")
            time.sleep(0.3)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def p50_ms(client: httpx.Client, urls: list[str]) -> float:
    times = []
    for u in urls:
        start = time.perf_counter()
        r = client.get(u)
        times.append((time.perf_counter() - start) * 1000)
        assert r.status_code in (200, 204), (u, r.status_code, r.text[:200])
    return statistics.median(times)


def tiles_over_city(z: int, limit: int = 60) -> list[tuple[int, int]]:
    def tile(lon: float, lat: float) -> tuple[int, int]:
        n = 2**z
        return int((lon + 180) / 360 * n), int(
            (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
        )

    x0, y1 = tile(CITY[0], CITY[1])
    x1, y0 = tile(CITY[2], CITY[3])
    xs, ys = range(x0, x1 + 1), range(y0, y1 + 1)
    every = max(1, (len(xs) * len(ys)) // limit)
    return [(x, y) for i, (x, y) in enumerate((x, y) for x in xs for y in ys) if i % every == 0][:limit]


def main() -> None:
    url = ensure_dataset()
    # The anchor's table is made (and read by tipg) as the owner: the service's role may not create.
    anchor_url = owner_url()
    prepare_tipg_table(anchor_url)
    boxes = random_bboxes(N_BBOXES)
    ours_paths = [f"/ogc/collections/control_units/items?bbox={b}&limit=10" for b in boxes]
    tipg_paths = [f"/collections/ogc_bench.control_units/items?bbox={b}&limit=10" for b in boxes]
    tipg = TipgServer(anchor_url)
    try:
        with served("app.main:create_app", url) as server:
            base = server.base
            with httpx.Client(timeout=30) as client:
                for a, b in zip(ours_paths[:20], tipg_paths[:20], strict=True):
                    mine, theirs_ = client.get(base + a).json(), client.get(tipg.base + b).json()
                    ids = sorted(f["properties"]["code"] for f in mine["features"])
                    their_ids = sorted(f["properties"]["code"] for f in theirs_["features"])
                    assert mine["numberMatched"] == theirs_["numberMatched"], (a, mine["numberMatched"])
                    assert len(ids) == len(their_ids), (a, ids, their_ids)
            wrk(base + "/ogc", connections=4, seconds=2, paths=ours_paths[-500:])  # warm-up
            wrk(tipg.base + "/", connections=4, seconds=2, paths=tipg_paths[-500:])
            # In alternation (A B B A A B), so that a change of machine load falls on both.
            pair = paired(
                (base + "/ogc", ours_paths),
                (tipg.base + "/", tipg_paths),
                connections=32,
                seconds=max(2, SECONDS // 2),
                rounds=ROUNDS,
            )
            ours, theirs = pair.ours, pair.anchor
            rss = server.rss_mb()
            with httpx.Client(timeout=30) as client:
                tile_p50 = {}
                for z in range(10, 15):
                    urls = [
                        f"{base}/ogc/collections/control_units/tiles/WebMercatorQuad/{z}/{x}/{y}"
                        for x, y in tiles_over_city(z)
                    ]
                    tile_p50[z] = (p50_ms(client, urls), len(urls))
    finally:
        tipg.close()
    with served("app.main:create_app", url, workers=2) as two:  # one snapshot + collections each
        wrk(two.base + "/ogc", connections=4, seconds=2, paths=ours_paths[-500:])
        ours2 = wrk(two.base + "/ogc", connections=32, seconds=SECONDS, paths=ours_paths)
        rss2 = two.rss_mb()

    def line(name: str, value: str, goal: str, ok: bool | None) -> None:
        verdict = "" if ok is None else ("OK" if ok else "MISSED")
        print(f"{name:<58} {value:>24}   goal {goal:<12} {verdict}")

    def fmt(r: WrkResult) -> str:
        return f"{r.requests_per_s:,.0f} req/s p50 {r.p50_ms:.1f} p99 {r.p99_ms:.1f} ms err {r.errors}"

    ratio = pair.ratio
    print(
        f"items pages: {N_BBOXES} random bboxes (seed 20210102), limit=10; 32 connections; "
        f"{ROUNDS} alternating rounds of {max(2, SECONDS // 2)} s each (median round, worst p99)"
    )
    line("ours  GET /ogc/collections/control_units/items", fmt(ours), "", None)
    line("tipg  GET /collections/ogc_bench.control_units/items", fmt(theirs), "", None)
    rounds = ", ".join(f"{r:.1f}" for r in pair.ratios)
    line(f"ours / tipg (median of rounds {rounds})", f"{ratio:.2f}x", ">= 3x", ratio >= 3)
    line("ours p99 at 32 connections", f"{ours.p99_ms:.1f} ms", "<= 100 ms", ours.p99_ms <= 100)
    line("ours 2 workers (2 cores, wrk on them too)", fmt(ours2), "", None)
    line(
        "ours 2 workers / 1 worker", f"{ours2.requests_per_s / ours.requests_per_s:.2f}x", "(reported)", None
    )
    per_worker = " + ".join(f"{m:.0f}" for m in rss2)
    line("resident memory: 1 worker; 2 workers", f"{rss[0]:.0f} MB; {per_worker} MB", "", None)
    for z, (p50, n) in tile_p50.items():
        line(f"uncached MVT tile z{z} p50 ({n} tiles over the city)", f"{p50:.1f} ms", "<= 20 ms", p50 <= 20)
    if ours.errors or theirs.errors or ours2.errors:
        print(
            f"INVALID RUN: non-2xx or socket errors: ours {ours.errors}, tipg {theirs.errors}, "
            f"ours 2 workers {ours2.errors}"
        )
        raise SystemExit(1)


if __name__ == "__main__":
    main()
