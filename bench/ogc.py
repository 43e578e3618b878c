"""Benchmark of the OGC API (issue 7 budgets). Run: `python bench/ogc.py`.

Prints, on loopback with one uvicorn worker each, in the same run:
- an items page (bbox over central Nanchang, limit 100) of control units, req/s at 16 connections,
  ours vs tipg serving the same rows (a table copy of the version in force in schema `ogc_bench`,
  since tipg reads tables directly and knows nothing of versions) — budget ours ≥ 2× tipg;
  ours repeats the same request, which its page cache (keyed by the version checksum) answers;
  the uncached figures, 50 distinct bboxes each, are printed beside it;
- uncached vector tiles of control units at z10–z14 over the city, p50 per zoom — budget ≤ 20 ms.

tipg is installed at bench time into a throwaway venv (`/tmp/zoning-bench-tipg`); it is never a
dependency of the service.
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

from bench.common import ensure_dataset, free_port, served, wrk

SECONDS = 8
BBOX = "115.80,28.60,116.00,28.75"  # central Nanchang: 西湖, 东湖, 青山湖, 红谷滩
TIPG_VENV = Path("/tmp/zoning-bench-tipg")
CITY = (115.45, 28.17, 116.55, 29.12)


def ensure_tipg() -> Path:
    """tipg in a throwaway venv (never a runtime dependency)."""
    exe = TIPG_VENV / "bin" / "python"
    if not (TIPG_VENV / "bin" / "uvicorn").exists():
        subprocess.run([sys.executable, "-m", "venv", str(TIPG_VENV)], check=True)
        subprocess.run([str(TIPG_VENV / "bin" / "pip"), "install", "-q", "tipg", "uvicorn"], check=True)
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


def distinct_bboxes(n: int = 50) -> list[str]:
    out = []
    for i in range(n):
        x = 115.70 + 0.006 * i
        out.append(f"{x:.3f},28.55,{x + 0.25:.3f},28.80")
    return out


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
    prepare_tipg_table(url)
    tipg = TipgServer(url)
    try:
        with served("app.main:create_app", url) as base:
            ours_url = f"{base}/ogc/collections/control_units/items?bbox={BBOX}&limit=100"
            tipg_url = f"{tipg.base}/collections/ogc_bench.control_units/items?bbox={BBOX}&limit=100"
            n_ours = httpx.get(ours_url, timeout=10).json()["numberReturned"]
            n_tipg = httpx.get(tipg_url, timeout=10).json()["numberReturned"]
            assert n_ours == n_tipg, (n_ours, n_tipg)
            for u in (ours_url, tipg_url):
                wrk(u, connections=4, seconds=2)  # warm-up
            ours = wrk(ours_url, connections=16, seconds=SECONDS)
            theirs = wrk(tipg_url, connections=16, seconds=SECONDS)
            with httpx.Client(timeout=30) as client:
                boxes = distinct_bboxes()
                ours_cold = p50_ms(
                    client, [f"{base}/ogc/collections/control_units/items?bbox={b}&limit=100" for b in boxes]
                )
                tipg_cold = p50_ms(
                    client,
                    [
                        f"{tipg.base}/collections/ogc_bench.control_units/items?bbox={b}&limit=100"
                        for b in boxes
                    ],
                )
                tile_p50 = {}
                for z in range(10, 15):
                    urls = [
                        f"{base}/ogc/collections/control_units/tiles/WebMercatorQuad/{z}/{x}/{y}"
                        for x, y in tiles_over_city(z)
                    ]
                    tile_p50[z] = (p50_ms(client, urls), len(urls))
    finally:
        tipg.close()

    def line(name: str, value: str, budget: str, ok: bool | None) -> None:
        verdict = "" if ok is None else ("OK" if ok else "MISSED")
        print(f"{name:<62} {value:>24}   budget {budget:<10} {verdict}")

    ratio = ours.requests_per_s / theirs.requests_per_s
    print(
        f"items page: bbox={BBOX}, limit=100, {n_ours} features; 16 connections, {SECONDS} s, one worker each"
    )
    line("ours  GET /ogc/…/items (same request, page cache)", f"{ours.requests_per_s:,.0f} req/s", "", None)
    line("tipg  GET /collections/…/items", f"{theirs.requests_per_s:,.0f} req/s", "", None)
    line("ours / tipg", f"{ratio:.2f}×", "≥ 2×", ratio >= 2)
    line("uncached items page p50, 50 distinct bboxes: ours", f"{ours_cold:.1f} ms", "", None)
    line("uncached items page p50, 50 distinct bboxes: tipg", f"{tipg_cold:.1f} ms", "", None)
    for z, (p50, n) in tile_p50.items():
        line(f"uncached MVT tile z{z} p50 ({n} tiles over the city)", f"{p50:.1f} ms", "≤ 20 ms", p50 <= 20)
    if ours.errors or theirs.errors:
        print(f"non-2xx: ours {ours.errors}, tipg {theirs.errors}")


if __name__ == "__main__":
    main()
