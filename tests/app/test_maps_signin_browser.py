"""The planners' map with reads private (issue 15), in headless Chromium driven by Playwright.

The service runs in its own process with ``ZONING_PUBLIC_READS=false`` and
``ZONING_PUBLIC_SCREENING=false`` on the bundled Nanchang dataset. Signed out, ``/map`` shows the
sign-in form and no zoning data; signed in with a key, every layer is drawn, a click locates, and a
polygon drawn inside a grade-I drinking-water source protection zone, screened for 2614 (有机化学原料
制造), is PROHIBITED: 《水污染防治法》第六十五条 "禁止在饮用水水源一级保护区内新建、改建、扩建与供水设施和
保护水源无关的建设项目". The zone is taken from the bundled ``water_zones.geojson`` with Shapely,
independently of the service. The key never appears in a URL, in web storage or in a script-readable
cookie.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from shapely.geometry import shape
from sqlalchemy import create_engine

from app.maps.layers import LAYERS as MAP_LAYERS
from geodata import keys
from geodata.loader import BUNDLED_DATA
from tests.app.test_maps_browser import Page, _version_in_force_today, chromium_context
from tests.served import served


@pytest.fixture(scope="module")
def planner_key(nanchang_url: str) -> str:
    engine = create_engine(nanchang_url)
    try:
        with engine.begin() as conn:
            return keys.create_key(conn, "planner-browser", ["screen"])[1]
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def private_url(nanchang_url: str, planner_key: str) -> Iterator[str]:
    with served(nanchang_url, ZONING_PUBLIC_READS="false", ZONING_PUBLIC_SCREENING="false") as base:
        # Render and cache the page once, with the key in a header as a script would send it.
        assert httpx.get(base + "/map", headers={"X-API-Key": planner_key}, timeout=60).status_code == 200
        yield base


@pytest.fixture()
def tab(private_url: str) -> Iterator[Page]:
    """A fresh browser profile (no cookies) per test."""
    with chromium_context() as context:
        page = Page(context)
        page.urls: list[str] = []  # type: ignore[misc]
        page.page.on("request", lambda r: page.urls.append(r.url))  # type: ignore[attr-defined]
        yield page


def _grade_one_zone() -> Any:
    """The largest grade-I water-source protection zone of the version in force (bundled data)."""
    raw = json.loads((BUNDLED_DATA / _version_in_force_today() / "water_zones.geojson").read_text("utf-8"))
    zones = [shape(f["geometry"]) for f in raw["features"] if f["properties"]["grade"] == "I"]
    return max(zones, key=lambda g: g.area)


def _assert_signed_out(tab: Page, base: str) -> None:
    response = tab.page.goto(base + "/map", wait_until="load")
    assert response is not None and response.status == 401
    assert tab.page.query_selector("#sign-in-form") is not None
    assert tab.page.evaluate("() => typeof window.ZONING") == "undefined"  # no map, no data
    assert tab.page.query_selector(".leaflet-container") is None
    status = tab.page.evaluate(
        "() => fetch('/v1/locate?lon=115.9&lat=28.68', {headers: {Accept: 'application/json'}}).then(r => r.status)"
    )
    assert status == 401


LAYERS_DRAWN_JS = """() => {
  const out = {};
  for (const [k, name] of Object.entries(ZONING.layers)) {
    let drawn = 0;
    window[name].eachLayer(l => {
      if (l._path && l._path.isConnected && (l._path.getAttribute('d') || '').length > 1) drawn++;
    });
    out[k] = drawn;
  }
  return out;
}"""


def test_signed_out_shows_sign_in_signed_in_draws_and_screens(
    tab: Page, private_url: str, planner_key: str
) -> None:
    _assert_signed_out(tab, private_url)
    tab.errors.clear()  # the browser logs the two refusals (401) just asserted

    tab.page.fill("#api_key", planner_key)
    tab.page.click("#sign-in")
    tab.page.wait_for_load_state("load")
    assert tab.page.url == private_url + "/map", tab.page.content()[:2000]
    tab.page.wait_for_function("() => window.zoningReadyAt !== undefined", timeout=20_000)
    assert tab.page.url == private_url + "/map"
    drawn = tab.page.evaluate(LAYERS_DRAWN_JS)
    assert set(drawn) == set(MAP_LAYERS)  # every polygon layer of the map, industrial parks included
    assert all(n > 0 for n in drawn.values()), drawn
    tab.page.wait_for_selector("#zoning-sign-out", timeout=5_000)  # the page knows who is signed in

    zone = _grade_one_zone()
    c = zone.representative_point()
    assert zone.contains(c)
    tab.page.evaluate(f"() => window.zoningMap.setView([{c.y}, {c.x}], 15, {{animate: false}})")
    tab.page.wait_for_timeout(300)
    tab.page.click(".leaflet-draw-draw-rectangle")
    box = tab.page.query_selector(".folium-map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    tab.page.mouse.move(cx - 15, cy - 15)
    tab.page.mouse.down()
    tab.page.mouse.move(cx + 15, cy + 15, steps=5)
    tab.page.mouse.up()
    tab.page.fill("#zoning-industry", "2614")
    tab.page.fill("#zoning-buffer", "0")
    tab.page.click("#zoning-screen")
    verdict = tab.page.wait_for_selector("#zoning-verdict", timeout=15_000)
    assert verdict.inner_text().upper() == "PROHIBITED"

    # The key is nowhere the page or a URL can leak it.
    assert not any(planner_key in u for u in tab.urls)  # type: ignore[attr-defined]
    assert tab.page.evaluate("() => localStorage.length + sessionStorage.length") == 0
    assert "zoning_session" not in tab.page.evaluate("() => document.cookie")  # HttpOnly
    assert planner_key not in tab.page.content()
    assert tab.outside == [] and tab.errors == []

    tab.page.click("#zoning-sign-out")
    tab.page.wait_for_url("**/auth/sign-in", timeout=10_000)
    _assert_signed_out(tab, private_url)
