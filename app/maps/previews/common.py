"""The page frame shared by the previews: the answer panel, the map fit, unit and zone layers,
and the ``<iframe srcdoc>`` embedding."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any, cast

import folium
import shapely
from branca.element import Element, Figure
from shapely.geometry.base import BaseGeometry

from app.maps import layers as L
from app.maps.base import fit, new_map
from app.maps.style import CLASS_COLOURS, GRADE_COLOURS, legend_html, unit_style, water_zone_style
from zoning.snapshot import UnitRecord, WaterZoneRecord, ZoningSnapshot
from zoning.vocabulary import ControlClass, ProtectionGrade

PREVIEW_TOLERANCE_DEG = 0.00001  # ≈ 1 m
PANEL_WIDTH = 380

PANEL_CSS = f"""
.answer-panel{{position:absolute;z-index:1000;top:10px;right:10px;bottom:10px;width:{PANEL_WIDTH - 30}px;
 overflow:auto;
 background:rgba(255,255,255,.97);padding:10px 12px;border-radius:6px;box-shadow:0 1px 5px rgba(0,0,0,.35);
 font-size:12.5px;line-height:1.45}}
.answer-panel h2{{font-size:16px;margin:0 0 6px}}
.answer-panel h3{{font-size:13px;margin:10px 0 3px;border-bottom:1px solid #ddd}}
.answer-panel table{{border-collapse:collapse;width:100%}}
.answer-panel td{{padding:1px 4px;vertical-align:top}}
.answer-panel .code{{font-family:monospace;font-weight:700}} .answer-panel .muted{{color:#666}}
.answer-panel .chip{{display:inline-block;width:11px;height:11px;border:1px solid #555;margin-right:4px;
 vertical-align:-1px}}
.answer-panel .verdict{{font-size:20px;font-weight:800}} .verdict.PROHIBITED{{color:#b71c1c}}
.verdict.CONDITIONAL{{color:#e65100}} .verdict.PERMITTED{{color:#2e7d32}}
.answer-panel ol{{padding-left:18px;margin:2px 0}}
.zoning-legend{{right:{PANEL_WIDTH + 10}px !important}}
"""


def record_field(obj: Any, name: str, default: Any = None) -> Any:
    """A field of a record given as a dataclass/ORM row or as a mapping."""
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def bounds_of(geoms: Sequence[BaseGeometry]) -> tuple[float, float, float, float]:
    return L.to_output_crs(shapely.GeometryCollection(list(geoms))).bounds


def preview_feature(geometry: BaseGeometry, properties: dict[str, Any] | None = None) -> dict[str, Any]:
    return L.feature("f", geometry, properties or {}, PREVIEW_TOLERANCE_DEG)


def render_page(
    bounds: tuple[float, float, float, float],
    panel: str,
    draw: Any,
    *,
    tile_url: str | None,
    tile_attribution: str,
) -> str:
    m = new_map(bounds, tile_url=tile_url, tile_attribution=tile_attribution)
    draw(m)
    fit(m, bounds, top_left=(30, 30), bottom_right=(PANEL_WIDTH + 20, 30))
    folium.LayerControl(collapsed=True, position="topleft").add_to(m)
    root = cast(Figure, m.get_root())
    root.html.add_child(Element(f"<style>{PANEL_CSS}</style>{legend_html(monitoring=True)}"), name="legend")
    root.html.add_child(Element(f'<div class="answer-panel" id="answer-panel">{panel}</div>'), name="panel")
    return root.render()


def unit_layer(
    units: Sequence[UnitRecord], *, emphasis: bool, group: Any, tolerance: float = PREVIEW_TOLERANCE_DEG
) -> None:
    """Units as one GeoJSON layer (one Folium element, whatever the count: rendering cost is per element)."""
    if not units:
        return
    fc = L.collection(
        L.feature(
            u.code,
            u.geometry,
            {
                "code": u.code,
                "name_zh": u.name_zh,
                "class": u.control_class.value,
                "class_zh": u.control_class.label_zh,
            },
            tolerance,
        )
        for u in units
    )
    folium.GeoJson(
        fc,
        style_function=lambda f, e=emphasis: unit_style(ControlClass(f["properties"]["class"]), emphasis=e),
        tooltip=folium.GeoJsonTooltip(
            fields=["code", "name_zh", "class_zh"], aliases=["编码", "名称", "类别"]
        ),
    ).add_to(group)


def water_zone_layer(zones: Sequence[WaterZoneRecord], group: Any) -> None:
    if not zones:
        return
    fc = L.collection(
        L.feature(
            f"{z.source_code}-{z.grade.value}",
            z.geometry,
            {"source": z.source_name_zh, "grade": z.grade.value, "grade_zh": z.grade.label_zh},
            PREVIEW_TOLERANCE_DEG,
        )
        for z in zones
    )
    folium.GeoJson(
        fc,
        style_function=lambda f: water_zone_style(ProtectionGrade(f["properties"]["grade"])),
        tooltip=folium.GeoJsonTooltip(fields=["source", "grade_zh"], aliases=["水源地", "级别"]),
    ).add_to(group)


def units_near(snapshot: ZoningSnapshot, around: BaseGeometry, exclude: set[str]) -> list[UnitRecord]:
    """Units near ``around`` (EPSG:4490), found through the snapshot's STRtree."""
    hits = sorted(int(i) for i in snapshot.units.tree.query(around))
    return [snapshot.units.records[i] for i in hits if snapshot.units.records[i].code not in exclude]


NEIGHBOUR_TOLERANCE_DEG = 0.00005  # ≈ 5 m: context only


def unit_chip(c: ControlClass) -> str:
    return f'<span class="chip" style="background:{CLASS_COLOURS[c]}"></span>'


def grade_chip(g: ProtectionGrade) -> str:
    return f'<span class="chip" style="background:{GRADE_COLOURS[g]}"></span>'


def embed_page(page: str, *, height_px: int = 520, title: str = "map") -> str:
    """A whole map page as an ``<iframe srcdoc>`` fragment, to put inside another HTML page.

    A srcdoc document resolves ``/static/vendor/...`` against its parent's address, so the map stays
    served by this app (e.g. ``app.reports.screening_html(record, map_html=embed_page(...))``).
    """
    return (
        f'<iframe title="{escape(title)}" srcdoc="{escape(page, quote=True)}" '
        f'style="width:100%;height:{height_px}px;border:1px solid #ccc;border-radius:4px"></iframe>'
    )
