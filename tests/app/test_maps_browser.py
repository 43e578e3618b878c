"""The map pages in a real browser: headless Chromium (Debian ``chromium``) driven by Playwright.

The service runs in its own process against a database holding the bundled Nanchang dataset. The
browser resolves no host but 127.0.0.1 and every other request is aborted and recorded, so a page
that reached for a CDN or a tile server fails here as it would on an intranet. Expected answers
(which unit holds a point, how many units the view shows) are computed independently with Shapely
from the bundled ``units.geojson``.

Needs ``chromium`` and ``fonts-noto-cjk`` (``scripts/ensure_system_packages.sh test`` installs them;
``make test`` runs it) and the ``playwright`` Python package (the ``dev`` extra; its own browser
download is not used).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import playwright.sync_api as playwright_api
import pytest
import shapely
from shapely.geometry import shape

from geodata.loader import BUNDLED_DATA
from tests.conftest import ROOT
from tests.served import served

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # No name resolves except the service's own address: outside network refused in the browser.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def _version_in_force_today() -> str:
    today = date.today()
    best = None
    for folder in sorted(p for p in BUNDLED_DATA.iterdir() if (p / "version.json").is_file()):
        meta = json.loads((folder / "version.json").read_text(encoding="utf-8"))
        start = date.fromisoformat(meta["effective_from"])
        if start <= today and (best is None or start > best[0]):
            best = (start, folder)
    assert best is not None
    return best[1].name


def _bundled_units() -> list[tuple[str, str, Any]]:
    """(code, class, geometry) of the units of the bundled version in force today, by code."""
    raw = json.loads((BUNDLED_DATA / _version_in_force_today() / "units.geojson").read_text(encoding="utf-8"))
    units = [
        (f["properties"]["code"], f["properties"]["class"], shape(f["geometry"])) for f in raw["features"]
    ]
    return sorted(units)


@pytest.fixture(scope="module")
def base_url(nanchang_url: str) -> Iterator[str]:
    """The service in its own process, as an operator runs it, on the bundled dataset."""
    with served(nanchang_url) as base:
        httpx.get(base + "/map", timeout=30)  # render and cache the page once: the test times the browser
        yield base


@contextmanager
def chromium_context() -> Iterator[Any]:
    """Headless Debian Chromium with a fresh, empty profile (no cookies), zh-CN, 1400×900."""
    with (
        tempfile.TemporaryDirectory(prefix="zoning-chromium-") as profile,
        playwright_api.sync_playwright() as p,
    ):
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 900},
            locale="zh-CN",
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def browser(base_url: str) -> Iterator[Any]:
    with chromium_context() as context:
        yield context


class Page:
    """A browser tab that records console errors, page errors and every request leaving 127.0.0.1."""

    def __init__(self, context: Any) -> None:
        self.page = context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        url = route.request.url
        host = urlsplit(url).hostname
        if url.startswith("data:") or host == "127.0.0.1":
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def close(self) -> None:
        self.page.close()


@pytest.fixture()
def tab(browser: Any) -> Iterator[Page]:
    page = Page(browser)
    yield page
    page.close()


def _open_map(tab: Page, base_url: str) -> float:
    """Open /map; the seconds from navigation start until the page script finished (interactive)."""
    tab.page.goto(base_url + "/map", wait_until="load")
    tab.page.wait_for_function("() => window.zoningReadyAt !== undefined", timeout=10_000)
    return float(tab.page.evaluate("() => window.zoningReadyAt")) / 1000


DRAWN_UNITS_JS = """() => {
  const layer = window[ZONING.layers.units];
  let drawn = 0;
  layer.eachLayer(l => {
    if (l._path && l._path.isConnected && (l._path.getAttribute('d') || '').length > 1) drawn++;
  });
  const b = window.zoningMap.getBounds();
  return {drawn: drawn, total: layer.getLayers().length,
          bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]};
}"""


def test_map_loads_offline_without_errors_and_is_interactive(tab: Page, base_url: str) -> None:
    _open_map(tab, base_url)  # waits until the page script has finished (interactive)
    tab.page.wait_for_timeout(300)
    assert tab.errors == []
    assert tab.outside == []
    legend = tab.page.inner_text("#zoning-legend")
    for zh, en in (
        ("优先保护单元", "Priority protection"),
        ("重点管控单元", "Key control"),
        ("一般管控单元", "General control"),
    ):
        assert zh in legend and en in legend
    layers = (
        tab.page.inner_text(".leaflet-control-layers-list", timeout=2000)
        if tab.page.query_selector(".leaflet-control-layers-list")
        else ""
    )
    for kind in ("地表水", "环境空气", "地下水", "农村面源", "声环境"):
        assert f"监测点·{kind}" in layers


def test_unit_shapes_drawn_equal_units_in_view(tab: Page, base_url: str) -> None:
    _open_map(tab, base_url)
    got = tab.page.evaluate(DRAWN_UNITS_JS)
    view = shapely.box(*got["bounds"])
    expected = sum(1 for _code, _cls, g in _bundled_units() if g.intersects(view))
    assert expected == 105  # the whole city is in the opening view
    assert got["drawn"] == expected
    assert got["total"] == expected


def test_clicking_a_point_shows_the_unit_holding_it(tab: Page, base_url: str) -> None:
    units = _bundled_units()
    # A key control unit in the urban core; click inside it at zoom 14, in the middle of the map.
    _code, _cls, geom = next(u for u in units if u[0].startswith("ZH360103"))
    target = geom.representative_point()
    _open_map(tab, base_url)
    tab.page.evaluate(f"() => window.zoningMap.setView([{target.y}, {target.x}], 14, {{animate: false}})")
    tab.page.wait_for_timeout(300)
    box = tab.page.query_selector(".folium-map").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    lon, lat = tab.page.evaluate(
        "() => { const ll = window.zoningMap.containerPointToLatLng("
        f"[{box['width'] / 2}, {box['height'] / 2}]);"
        " return [ll.lng, ll.lat]; }"
    )
    clicked = shapely.Point(lon, lat)
    expected = [c for c, _k, g in units if g.covers(clicked)]
    assert expected, "the clicked point lies in no unit"
    tab.page.mouse.click(x, y)
    popup = tab.page.wait_for_selector(".locate-popup[data-unit-code]", timeout=5000)
    assert popup.get_attribute("data-unit-code") == expected[0]
    assert expected[0] in popup.inner_text()
    assert tab.errors == [] and tab.outside == []


def test_chinese_labels_render_with_a_cjk_font(tab: Page, base_url: str) -> None:
    _open_map(tab, base_url)
    cdp = tab.page.context.new_cdp_session(tab.page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = cdp.send(
        "DOM.querySelector",
        {"nodeId": root, "selector": "#zoning-legend .row[data-legend=priority] > span:nth-child(2)"},
    )["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    families = {f["familyName"] for f in fonts}
    assert any("CJK" in f or "Noto Sans SC" in f for f in families), families
    cdp.detach()


def test_locate_preview_shows_the_answer_offline(tab: Page, base_url: str) -> None:
    lon, lat = 115.892, 28.676
    expected = next(c for c, _k, g in _bundled_units() if g.covers(shapely.Point(lon, lat)))
    tab.page.goto(f"{base_url}/v1/locate?lon={lon}&lat={lat}&f=html", wait_until="load")
    panel = tab.page.inner_text("#answer-panel")
    assert expected in panel
    assert "最近监测点" in panel
    assert tab.page.evaluate("() => document.querySelectorAll('path.leaflet-interactive').length") > 1
    tab.page.wait_for_timeout(200)
    assert tab.errors == []
    assert tab.outside == []


URL = re.compile(r"https?://[^\s\"'<>)]+")


@pytest.mark.parametrize("path", ["/map", "/v1/locate?lon=115.892&lat=28.676&f=html"])
def test_rendered_html_names_no_outside_url(base_url: str, path: str) -> None:
    html = httpx.get(base_url + path, timeout=30).text
    assert URL.findall(html) == []
    assert "/static/vendor/leaflet/dist/leaflet.js" in html


def test_map_page_stays_light(base_url: str) -> None:
    html = httpx.get(base_url + "/map", timeout=30).content
    assets = re.findall(rb'(?:src|href)="(/static/vendor/[^"]+)"', html)
    weight = len(html) + sum(len(httpx.get(base_url + a.decode()).content) for a in assets)
    assert weight < 2_000_000, f"/map weighs {weight} bytes"


def _bundled_layer(name: str) -> list[tuple[dict[str, Any], Any]]:
    """(properties, geometry) of a layer file of the bundled version in force today."""
    path = BUNDLED_DATA / _version_in_force_today() / f"{name}.geojson"
    raw = json.loads(path.read_text(encoding="utf-8"))
    return [(f["properties"], shape(f["geometry"])) for f in raw["features"]]


def _screened_record(tab: Page, base_url: str) -> dict[str, Any]:
    """The stored record of the screening the page just ran, read back through its report link."""
    link = tab.page.query_selector("#zoning-screening-msg a")
    assert link is not None
    href = link.get_attribute("href") or ""
    assert re.fullmatch(r"/v1/screenings/[^/?]+\?f=html", href), href
    record = tab.page.request.get(base_url + href.replace("?f=html", "?f=json"))
    assert record.ok
    report = tab.page.request.get(base_url + href)
    assert report.ok and "三线一单符合性分析" in report.text()
    return dict(record.json())


def _prohibited_by(record: dict[str, Any], law: str, article: str) -> bool:
    """Whether a `prohibited` finding of the record cites ``article`` of ``law``."""
    return any(
        f["severity"] == "prohibited"
        and law in f["citation"].get("law_zh", "")
        and article in f["citation"].get("article", "")
        for f in record["result"]["findings"]
    )


# 青云水厂水源地 (SY360100001): the part of its grade I zone outside the red line and any reserve,
# so that the water law alone governs what is drawn there.
QINGYUN = "SY360100001"


def test_drawing_a_footprint_in_a_grade_i_zone_for_a_chemical_plant_is_prohibited(
    tab: Page, base_url: str
) -> None:
    # 水污染防治法 (2017) 第六十五条第一款: "禁止在饮用水水源一级保护区内新建、改建、扩建与供水设施和保护
    # 水源无关的建设项目" — an organic-chemicals plant (GB/T 4754 2614) has nothing to do with water
    # supply or protecting the source: prohibited, whatever else the access lists say.
    (zone,) = [
        g for p, g in _bundled_layer("water_zones") if (p["source_code"], p["grade"]) == (QINGYUN, "I")
    ]
    redline = shapely.union_all([g for _p, g in _bundled_layer("redlines")])
    reserves = shapely.union_all([g for _p, g in _bundled_layer("reserve_zones")])
    site = shapely.maximum_inscribed_circle(zone.difference(redline).difference(reserves)).coords[0]
    _open_map(tab, base_url)
    tab.page.evaluate(f"() => window.zoningMap.setView([{site[1]}, {site[0]}], 17, {{animate: false}})")
    tab.page.wait_for_timeout(300)
    tab.page.click(".leaflet-draw-draw-rectangle")
    box = tab.page.query_selector(".folium-map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    tab.page.mouse.move(cx - 20, cy - 20)
    tab.page.mouse.down()
    tab.page.mouse.move(cx + 20, cy + 20, steps=5)
    tab.page.mouse.up()
    tab.page.fill("#zoning-industry", "2614")
    tab.page.fill("#zoning-buffer", "200")
    tab.page.click("#zoning-screen")
    verdict = tab.page.wait_for_selector("#zoning-verdict", timeout=10_000)
    record = _screened_record(tab, base_url)
    drawn = shape(record["footprint"])
    # What was drawn lies in the grade I zone and in no red line or reserve (checked with Shapely on
    # the bundled files, independently of the service).
    assert drawn.geom_type == "Polygon" and drawn.within(zone)
    assert not drawn.intersects(redline) and not drawn.intersects(reserves)
    assert verdict.inner_text() == "prohibited"
    assert record["result"]["verdict"] == "prohibited"
    assert _prohibited_by(record, "水污染防治法", "第六十五条")
    assert tab.errors == [] and tab.outside == []


def test_the_vendor_manifest_matches_the_files() -> None:
    manifest = json.loads((ROOT / "app" / "static" / "vendor" / "MANIFEST.json").read_text())
    import hashlib

    for pkg in manifest["packages"]:
        folder = ROOT / "app" / "static" / "vendor" / pkg["folder"]
        assert any(Path(k).name.upper().startswith(("LICEN", "MIT-LICEN")) for k in pkg["files"]), pkg["name"]
        for rel, digest in pkg["files"].items():
            assert hashlib.sha256((folder / rel).read_bytes()).hexdigest() == digest, rel


def test_zooming_in_loads_detail_geometry_for_the_view(tab: Page, base_url: str) -> None:
    _open_map(tab, base_url)
    units = _bundled_units()
    target = next(g for c, _k, g in units if c.startswith("ZH360103")).representative_point()
    responses: list[Any] = []
    tab.page.on("response", lambda r: responses.append(r) if "/map/layers/units.geojson" in r.url else None)
    tab.page.evaluate(f"() => window.zoningMap.setView([{target.y}, {target.x}], 13, {{animate: false}})")
    deadline = time.monotonic() + 5
    while not responses and time.monotonic() < deadline:
        tab.page.wait_for_timeout(50)
    assert responses, "no detail geometry was requested at zoom 13"
    response = responses[-1]
    assert response.status == 200
    query = dict(p.split("=", 1) for p in urlsplit(response.url).query.split("&"))
    fetched_box = shapely.box(*map(float, query["bbox"].split(",")))
    tab.page.wait_for_function(
        f"() => window[ZONING.layers.units].getLayers().length === {len(response.json()['features'])}"
    )
    expected = sum(1 for _c, _k, g in units if g.intersects(fetched_box))
    got = tab.page.evaluate(DRAWN_UNITS_JS)
    assert got["total"] == expected < 105
    view = shapely.box(*got["bounds"])
    assert got["drawn"] >= sum(1 for _c, _k, g in units if g.intersects(view))
    assert tab.errors == [] and tab.outside == []


def test_search_by_code_and_by_name_finds_the_unit(tab: Page, base_url: str) -> None:
    code, _k, _g = _bundled_units()[40]
    _open_map(tab, base_url)
    tab.page.fill("#zoning-search", code.lower())
    tab.page.press("#zoning-search", "Enter")
    popup = tab.page.wait_for_selector(f".locate-popup[data-unit-code='{code}']", timeout=3000)
    assert code in popup.inner_text()
    tab.page.fill("#zoning-search", "不存在的单元")
    tab.page.press("#zoning-search", "Enter")
    assert "未找到" in tab.page.inner_text("#zoning-search-msg")
    assert tab.errors == []


def test_as_of_answers_from_the_earlier_version(base_url: str) -> None:
    page = httpx.get(base_url + "/map", params={"as_of": "2022-01-01"}, timeout=30).text
    assert '"version": "2021-plan"' in page
    assert '"asOf": "2022-01-01"' in page
    bad = httpx.get(base_url + "/map/layers/units.geojson", params={"bbox": "1,2,3"}, timeout=10)
    assert bad.status_code == 422 and bad.json()["field"] == "bbox"


# 新建区梅岭森林生态保护红线 (HX3601120004), away from any water-source zone or nature reserve.
MEILING = (115.694, 28.756, 115.698, 28.760)
KML = f"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>site</name><Polygon><outerBoundaryIs>
<LinearRing><coordinates>{MEILING[0]},{MEILING[1]} {MEILING[2]},{MEILING[1]} {MEILING[2]},{MEILING[3]}
{MEILING[0]},{MEILING[3]} {MEILING[0]},{MEILING[1]}</coordinates>
</LinearRing></outerBoundaryIs></Polygon></Placemark></kml>"""
# A point in the core zone of 南矶湿地国家级自然保护区 (NJSD).
NANJI_CORE = (116.3304, 28.9995)


def _only_in_the_meiling_redline(footprint: Any) -> bool:
    redlines = [(p["code"], g) for p, g in _bundled_layer("redlines") if g.intersects(footprint)]
    others = [g for name in ("water_zones", "reserve_zones") for _p, g in _bundled_layer(name)]
    return [c for c, g in redlines if footprint.within(g)] == ["HX3601120004"] and not any(
        g.intersects(footprint) for g in others
    )


def _in_the_nanji_core_zone(footprint: Any) -> bool:
    return any(
        (p["reserve_code"], p["zone"]) == ("NJSD", "core") and footprint.within(g)
        for p, g in _bundled_layer("reserve_zones")
    )


@pytest.mark.parametrize(
    ("name", "content", "mime", "where", "law", "article"),
    [
        # 自然资发〔2022〕142号 一、（一）: "生态保护红线内，自然保护地核心保护区外，禁止开发性、生产性建设
        # 活动" — a chemical plant is production construction and none of the ten limited activities.
        (
            "site.kml",
            KML,
            "application/vnd.google-earth.kml+xml",
            _only_in_the_meiling_redline,
            "142号",
            "",
        ),
        # 自然保护区条例 第三十二条: "在自然保护区的核心区和缓冲区内，不得建设任何生产设施" (and art. 27:
        # no one may enter the core zone).
        (
            "site.geojson",
            json.dumps(
                {
                    "type": "Feature",
                    "properties": {},
                    "geometry": {"type": "Point", "coordinates": list(NANJI_CORE)},
                }
            ),
            "application/geo+json",
            _in_the_nanji_core_zone,
            "自然保护区条例",
            "第三十二条",
        ),
    ],
)
def test_uploading_a_chemical_plant_in_a_protected_zone_is_prohibited(
    tab: Page, base_url: str, name: str, content: str, mime: str, where: Any, law: str, article: str
) -> None:
    _open_map(tab, base_url)
    tab.page.click("#zoning-screening summary")
    tab.page.set_input_files(
        "#zoning-upload", files=[{"name": name, "mimeType": mime, "buffer": content.encode()}]
    )
    tab.page.wait_for_function("() => document.getElementById('zoning-screening-msg').textContent.length > 0")
    tab.page.fill("#zoning-industry", "2614")  # 有机化学原料制造
    tab.page.click("#zoning-screen")
    verdict = tab.page.wait_for_selector("#zoning-verdict", timeout=10_000)
    record = _screened_record(tab, base_url)
    assert where(shape(record["footprint"]))  # checked on the bundled files, independently of the service
    assert verdict.inner_text() == "prohibited"
    assert record["result"]["verdict"] == "prohibited"
    assert _prohibited_by(record, law, article)
    assert tab.errors == [] and tab.outside == []
