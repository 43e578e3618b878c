"""HTTP floor benchmark: ``/healthz`` and ``GET /v1/locate`` against a bare FastAPI app in the same run.

Run: ``make bench`` or ``python bench/serving.py``. Prints, each with its anchor measured in this run:
- ``/healthz`` vs the bare app's ``/ping`` at 32 connections (goal ≥ 85 %);
- ``GET /v1/locate`` over 2,000 random points inside the city vs the bare ``/echo?lon&lat`` over
  the same query strings at 32 connections (goal ≥ 80 %), and p50/p99 at 1 connection (p99 ≤ 2 ms);
- ``GET /v1/locate`` with 2 workers (``zoning serve --workers 2``, 2 cores) and each worker's
  resident memory (each builds its own snapshot once).
Every server runs on uvicorn with uvloop + httptools, one worker unless said; a run with non-2xx
answers or socket errors is reported as invalid, not as a result.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import WrkResult, city_outline, ensure_dataset, random_points, served, wrk

SECONDS = 8
N_URLS = 2000


def fmt(r: WrkResult) -> str:
    return (
        f"{r.requests_per_s:>9,.0f} req/s  p50 {r.p50_ms:6.2f} ms  p99 {r.p99_ms:6.2f} ms  errors {r.errors}"
    )


def main() -> None:
    url = ensure_dataset()
    lon, lat = random_points(city_outline(url), N_URLS)
    queries = [f"lon={x:.6f}&lat={y:.6f}" for x, y in zip(lon, lat, strict=True)]
    results: dict[str, WrkResult] = {}
    with served("bench.bare:create_bare_app", url) as bare:
        for q in queries[:50]:
            httpx.get(f"{bare.base}/echo?{q}", timeout=5).raise_for_status()
        wrk(bare.base + "/ping", connections=4, seconds=2)
        results["bare /ping, 32 conn"] = wrk(bare.base + "/ping", connections=32, seconds=SECONDS)
        results["bare /echo, 32 conn"] = wrk(
            bare.base + "/echo", connections=32, seconds=SECONDS, paths=[f"/echo?{q}" for q in queries]
        )
    paths = [f"/v1/locate?{q}" for q in queries]
    with served("app.main:create_app", url) as ours:
        for p in paths[:200]:
            r = httpx.get(ours.base + p, timeout=5)
            assert r.status_code == 200, (p, r.status_code, r.text[:300])
        wrk(ours.base + "/healthz", connections=4, seconds=2)
        wrk(ours.base + "/v1/locate", connections=4, seconds=2, paths=paths)
        results["ours /healthz, 32 conn"] = wrk(ours.base + "/healthz", connections=32, seconds=SECONDS)
        results["ours GET /v1/locate, 32 conn"] = wrk(
            ours.base + "/v1/locate", connections=32, seconds=SECONDS, paths=paths
        )
        results["ours GET /v1/locate, 1 conn"] = wrk(
            ours.base + "/v1/locate", connections=1, seconds=SECONDS, paths=paths
        )
        rss1 = ours.rss_mb()
    with served("app.main:create_app", url, workers=2) as two:
        wrk(two.base + "/v1/locate", connections=4, seconds=2, paths=paths)
        results["ours GET /v1/locate, 2 workers, 32 conn"] = wrk(
            two.base + "/v1/locate", connections=32, seconds=SECONDS, paths=paths
        )
        rss2 = two.rss_mb()

    print(f"random points inside the city: {N_URLS} URLs (seed 20210101); wrk {SECONDS} s, 1 thread")
    for name, r in results.items():
        print(f"  {name:<44} {fmt(r)}")
    print(
        f"  resident memory: 1 worker {rss1[0]:.0f} MB; 2 workers {' + '.join(f'{m:.0f}' for m in rss2)} MB"
    )
    print()

    def line(name: str, value: str, goal: str, ok: bool) -> None:
        print(f"{name:<52} {value:>12}   goal {goal:<10} {'OK' if ok else 'MISSED'}")

    ping = results["bare /ping, 32 conn"].requests_per_s
    echo = results["bare /echo, 32 conn"].requests_per_s
    health = results["ours /healthz, 32 conn"].requests_per_s
    loc32 = results["ours GET /v1/locate, 32 conn"]
    loc1 = results["ours GET /v1/locate, 1 conn"]
    two_w = results["ours GET /v1/locate, 2 workers, 32 conn"].requests_per_s
    line("/healthz / bare /ping", f"{100 * health / ping:.0f} %", ">= 85 %", health >= 0.85 * ping)
    line(
        "GET /v1/locate / bare /echo (32 conn)",
        f"{100 * loc32.requests_per_s / echo:.0f} %",
        ">= 80 %",
        loc32.requests_per_s >= 0.8 * echo,
    )
    line("GET /v1/locate p99 at 1 connection", f"{loc1.p99_ms:.2f} ms", "<= 2 ms", loc1.p99_ms <= 2)
    line("GET /v1/locate 2 workers / 1 worker", f"{two_w / loc32.requests_per_s:.2f}x", "(reported)", True)
    bad = {name: r.errors for name, r in results.items() if r.errors}
    if bad:
        print(f"INVALID RUN: non-2xx answers or socket errors: {bad}")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
