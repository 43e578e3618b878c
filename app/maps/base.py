"""Shared pieces of every map page: the offline map, the optional basemap, page chrome."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any, cast

import folium
from branca.element import Element, Figure, MacroElement
from jinja2 import Template
from shapely.geometry import shape

from app.maps.assets import OfflineMap
from app.maps.layers import to_output_crs
from app.maps.style import BACKGROUND, LAKE_STYLE, RIVER_STYLE

FONT_STACK = '"Noto Sans CJK SC","Noto Sans SC","Microsoft YaHei","PingFang SC",sans-serif'

PAGE_CSS = f"""
.leaflet-container{{background:{BACKGROUND};font-family:{FONT_STACK}}}
.leaflet-tooltip,.leaflet-popup-content,.leaflet-control-layers{{font-family:{FONT_STACK};font-size:12px}}
.division-label{{font:600 13px/1.2 {FONT_STACK};color:#263238;text-align:center;white-space:nowrap;
 text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff;pointer-events:none}}
.division-label span{{display:block;font-weight:400;font-size:10px;color:#455a64}}
"""


class Script(MacroElement):
    """Raw JavaScript run after everything added to the map before it (added last, it runs last)."""

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, code: str) -> None:
        super().__init__()
        self._name = "Script"
        self.code = code


def new_map(
    bounds: tuple[float, float, float, float],
    *,
    tile_url: str | None = None,
    tile_attribution: str = "",
    **kwargs: Any,
) -> folium.Map:
    """An offline map fitted to lon/lat ``bounds`` (EPSG:4326); a basemap only when configured."""
    minx, miny, maxx, maxy = bounds
    m = OfflineMap(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=9,
        tiles=None,
        # Leaflet needs a zoom range when no tile layer gives one (Folium passes these as options).
        minZoom=7,
        maxZoom=18,
        zoomSnap=0.25,  # fit the city to the window, not to the nearest power of two
        zoomDelta=0.5,
        control_scale=True,
        **kwargs,
    )
    if tile_url:
        folium.TileLayer(
            tiles=tile_url, attr=tile_attribution or " ", name="底图 Basemap", overlay=False
        ).add_to(m)
    fit(m, bounds)
    root = cast(Figure, m.get_root())
    # No favicon request (it would 404 and log a console error).
    root.header.add_child(Element('<link rel="icon" href="data:,">'), name="favicon")
    root.header.add_child(Element(f"<style>{PAGE_CSS}</style>"), name="page_css")
    return m


def fit(
    m: folium.Map,
    bounds: tuple[float, float, float, float],
    *,
    top_left: tuple[int, int] = (10, 10),
    bottom_right: tuple[int, int] = (10, 10),
) -> None:
    """Fit the opening view to lon/lat ``bounds`` at once, without Folium's animated ``fit_bounds``
    (an animation still running when the page is handed over would undo the user's first move)."""
    minx, miny, maxx, maxy = bounds
    options = {"animate": False, "paddingTopLeft": list(top_left), "paddingBottomRight": list(bottom_right)}
    corners = json.dumps([[miny, minx], [maxy, maxx]])
    Script(f"{m.get_name()}.fitBounds({corners}, {json.dumps(options)});").add_to(m)


def context_layer(tolerance: float = 0.0005) -> folium.FeatureGroup:
    """Lakes and rivers (GSHHG) drawn under everything as context, not clickable."""
    raw = json.loads((files("geodata") / "nanchang" / "data" / "context.geojson").read_text(encoding="utf-8"))
    crs = raw.get("crs", {}).get("properties", {}).get("name", "")
    if "4490" not in crs:
        raise ValueError(f"context.geojson is not in EPSG:4490 (crs {crs!r})")
    group = folium.FeatureGroup(name="湖泊河流 Lakes and rivers", control=True)
    feats = []
    for f in raw["features"]:
        geom = to_output_crs(shape(f["geometry"])).simplify(tolerance, preserve_topology=True)
        feats.append(
            {
                "type": "Feature",
                "properties": {"kind": f["properties"]["kind"]},
                "geometry": geom.__geo_interface__,
            }
        )
    for kind, style in (("lake", LAKE_STYLE), ("river", RIVER_STYLE)):
        folium.GeoJson(
            {"type": "FeatureCollection", "features": [f for f in feats if f["properties"]["kind"] == kind]},
            style_function=lambda _f, s=style: s,
            interactive=False,
            control=False,
        ).add_to(group)
    return group
