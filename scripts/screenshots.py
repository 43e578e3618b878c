"""Screenshots of the map pages for the README, taken in headless Chromium against a running service.

    python -m app.cli serve --port 8011 &          # the service with the bundled dataset
    python scripts/screenshots.py --base http://127.0.0.1:8011

Writes ``docs/map.png`` (the planners' map, whole city), ``docs/locate-preview.png`` (a located
point) and ``docs/screening-preview.png`` (a screening of a sample footprint, drawn with
``app.maps.previews.screening_preview_from_record``). The browser reaches nothing but the service
(outside network refused), so the pictures show what an intranet user sees. PNGs over ~380 KB are
quantised to 256 colours.
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.maps.previews import screening_preview_from_record  # noqa: E402

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--force-device-scale-factor=1",
]
SAMPLE_FOOTPRINT = {  # a 1 km² site on the east bank of the Ganjiang in the urban core
    "type": "Polygon",
    "coordinates": [
        [[115.892, 28.672], [115.902, 28.672], [115.902, 28.681], [115.892, 28.681], [115.892, 28.672]]
    ],
}


def save_png(data: bytes, path: Path, limit: int = 380_000) -> int:
    """Save as an optimised PNG; quantise to 256 colours only if the full-colour file is over ``limit``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image.save(path, optimize=True)
    if path.stat().st_size > limit:
        image.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(path, optimize=True)
    return path.stat().st_size


def screening_page(base: str) -> str:
    answer = httpx.post(
        base + "/v1/screenings",
        json={
            "footprint": SAMPLE_FOOTPRINT,
            "industry": "2614",
            "buffer_m": 500,
            "project_name": "示例：有机化学原料项目",
        },
        timeout=30,
    )
    answer.raise_for_status()
    record = answer.json()
    fc = httpx.get(base + record["links"]["geojson"], timeout=30).json()
    geometries: dict[str, dict[str, object]] = {"units": {}, "water_zones": {}, "redlines": {}}
    for f in fc["features"]:
        p = f["properties"]
        if p.get("role") == "control_unit":
            geometries["units"][p["code"]] = f["geometry"]
        elif p.get("role") == "water_protection_zone":
            geometries["water_zones"][f"{p['source_code']} {p['grade']}"] = f["geometry"]
        elif p.get("role") == "ecological_redline":
            geometries["redlines"][p["code"]] = f["geometry"]
    return screening_preview_from_record(record, geometries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8011")
    parser.add_argument("--out", default=str(ROOT / "docs"))
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    base, out = args.base.rstrip("/"), Path(args.out)
    host = urlsplit(base).hostname
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        outside: list[str] = []

        def guard(route):  # type: ignore[no-untyped-def]
            if urlsplit(route.request.url).hostname == host:
                return route.continue_()
            outside.append(route.request.url)
            return route.abort()

        page.route("**/*", guard)

        page.goto(base + "/map", wait_until="load")
        page.wait_for_function("() => window.zoningReadyAt !== undefined")
        page.wait_for_timeout(800)
        print("docs/map.png", save_png(page.screenshot(), out / "map.png"), "bytes")

        page.goto(base + "/v1/locate?lon=115.892&lat=28.676&f=html", wait_until="load")
        page.wait_for_timeout(500)
        print("docs/locate-preview.png", save_png(page.screenshot(), out / "locate-preview.png"), "bytes")

        html = screening_page(base)
        # Served under the service's own origin so /static/vendor/... resolves as it does in the app.
        page.route(base + "/__screening-preview", lambda r: r.fulfill(body=html, content_type="text/html"))
        page.goto(base + "/__screening-preview", wait_until="load")
        page.wait_for_timeout(500)
        print(
            "docs/screening-preview.png", save_png(page.screenshot(), out / "screening-preview.png"), "bytes"
        )
        browser.close()
    if outside:
        print("requests refused (should be none):", outside, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
