"""The preview of a screening: the footprint, its buffer and every feature it touched."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

import folium
import numpy as np
import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from app.maps import layers as L
from app.maps.previews.common import bounds_of, grade_chip, preview_feature, render_page, unit_chip
from app.maps.style import MONITORING_COLOURS, REDLINE_STYLE, reserve_style, unit_style, water_zone_style
from app.schemas_screening import ScreeningPublic
from zoning import layers
from zoning.crs import PLANAR_SRID, STORAGE_SRID, to_planar, transformer
from zoning.vocabulary import ControlClass, MonitoringKind, ProtectionGrade, ReserveZoneKind

_LAYER_LABELS = {
    "units": "环境管控单元 Control units",
    "water_zones": "饮用水水源保护区 Water-source zones",
    "redlines": "生态保护红线 Ecological red line",
    "reserve_zones": "自然保护区 Nature reserve zones",
    "monitoring": "监测点位 Monitoring points",
}


def render_screening_preview(
    footprint: BaseGeometry,
    buffer_geom: BaseGeometry | None,
    result: Mapping[str, Any],
    *,
    tile_url: str | None = None,
    tile_attribution: str = "",
) -> str:
    """A siting screening: footprint, buffer, the features it touches, the verdict in a panel.

    ``footprint`` and ``buffer_geom`` are EPSG:4490 geometries. ``result`` holds ``verdict``
    (PROHIBITED / CONDITIONAL / PERMITTED), optionally ``reasons`` (list of str), ``project_name``,
    ``industry``, ``id``, and ``touched``: a list of mappings with ``layer`` (units / water_zones /
    redlines / reserve_zones / monitoring), ``code``, ``name_zh``, ``geometry`` (EPSG:4490) and the
    layer's ``class`` / ``grade`` / ``kind`` / ``zone``; optional ``share``, ``distance_m``.
    """
    touched = list(result.get("touched", []))
    outer = buffer_geom if buffer_geom is not None else footprint
    bounds = bounds_of([outer, footprint])

    def draw(m: folium.Map) -> None:
        groups = {k: folium.FeatureGroup(name=v).add_to(m) for k, v in _LAYER_LABELS.items()}
        for layer in ("units", "reserve_zones", "water_zones", "redlines", "monitoring"):
            for t in (t for t in touched if t.get("layer") == layer):
                g = t["geometry"]
                tip = f"{t.get('code', '')} {t.get('name_zh', '')}"
                if layer == "units":
                    style = unit_style(ControlClass(t["class"]))
                elif layer == "water_zones":
                    style = water_zone_style(ProtectionGrade(t["grade"]))
                elif layer == "redlines":
                    style = REDLINE_STYLE
                elif layer == "reserve_zones":
                    style = reserve_style(ReserveZoneKind(t.get("zone", "experimental")))
                else:
                    p = L.to_output_crs(g)
                    colour = (
                        MONITORING_COLOURS.get(MonitoringKind(t["kind"]), "#333") if t.get("kind") else "#333"
                    )
                    folium.CircleMarker(
                        [p.y, p.x],
                        radius=6,
                        color="#fff",
                        weight=1.5,
                        fill=True,
                        fill_color=colour,
                        fill_opacity=1,
                        tooltip=tip,
                    ).add_to(groups[layer])
                    continue
                folium.GeoJson(preview_feature(g), style_function=lambda _f, s=style: s, tooltip=tip).add_to(
                    groups[layer]
                )
        if buffer_geom is not None:
            folium.GeoJson(
                preview_feature(buffer_geom),
                name="缓冲区 Buffer",
                style_function=lambda _f: {"color": "#000", "weight": 1.5, "dashArray": "6 4", "fill": False},
            ).add_to(m)
        folium.GeoJson(
            preview_feature(footprint),
            name="项目范围 Footprint",
            style_function=lambda _f: {
                "color": "#000",
                "weight": 3,
                "fillColor": "#000",
                "fillOpacity": 0.15,
            },
        ).add_to(m)

    return render_page(
        bounds, _panel(result, touched), draw, tile_url=tile_url, tile_attribution=tile_attribution
    )


def _panel(result: Mapping[str, Any], touched: list[Any]) -> str:
    """The answer panel: project, industry, verdict, reasons and the touched features by layer."""
    verdict = str(result.get("verdict", ""))
    rows = ["<h2>选址筛查 Siting screening</h2>"]
    if result.get("project_name"):
        rows.append(f"<div><b>{escape(str(result['project_name']))}</b></div>")
    if result.get("industry"):
        rows.append(f"<div class='muted'>行业 industry {escape(str(result['industry']))}</div>")
    rows.append(f'<div class="verdict {escape(verdict)}" id="verdict">{escape(verdict)}</div>')
    if result.get("reasons"):
        rows.append("<ol>" + "".join(f"<li>{escape(str(r))}</li>" for r in result["reasons"]) + "</ol>")
    for layer, label in _LAYER_LABELS.items():
        items = [t for t in touched if t.get("layer") == layer]
        if not items:
            continue
        rows.append(f"<h3>{label}</h3>")
        for t in items:
            extra = t.get("class") or t.get("grade") or t.get("kind") or t.get("zone") or ""
            if layer == "units" and extra:
                chip = unit_chip(ControlClass(extra))
                extra = ControlClass(extra).label_zh
            elif layer == "water_zones" and extra:
                chip = grade_chip(ProtectionGrade(extra))
                extra = ProtectionGrade(extra).label_zh
            else:
                chip = ""
            share = f" · {t['share'] * 100:.1f}%" if t.get("share") is not None else ""
            dist = f" · {t['distance_m']:,.0f} m" if t.get("distance_m") is not None else ""
            rows.append(
                f"<div>{chip}<span class='code'>{escape(str(t.get('code', '')))}</span> "
                f"{escape(str(t.get('name_zh', '')))} "
                f"<span class='muted'>{escape(str(extra))}{share}{dist}</span></div>"
            )
    return "".join(rows)


def _buffered(footprint: BaseGeometry, buffer_m: float) -> BaseGeometry:
    """The footprint buffered by ``buffer_m`` metres in EPSG:4548, back in EPSG:4490."""
    back = transformer(PLANAR_SRID, STORAGE_SRID)
    planar = to_planar(footprint).buffer(buffer_m)
    return shapely.transform(planar, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1])))


def _touched_features(
    record: ScreeningPublic, geometries: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The record's hits of every screened layer (registry order) with their EPSG:4490 geometry."""

    def geom(g: Any) -> BaseGeometry:
        return g if isinstance(g, BaseGeometry) else shape(g)

    touched: list[dict[str, Any]] = []
    for spec in layers.screened():
        result = record.result.layers.get(spec.name)
        if result is None:
            continue
        point = spec.geometry_type == "Point"
        for f in result.features:
            if point:
                if "lon" not in f or "lat" not in f:
                    continue
                g: BaseGeometry | None = Point(f["lon"], f["lat"])
            else:
                found = geometries.get(spec.dataset_key, {}).get(" ".join(str(f[k]) for k in spec.key))
                g = None if found is None else geom(found)
            if g is None:
                continue
            entry: dict[str, Any] = {
                "layer": "monitoring" if point else spec.dataset_key,
                "code": f[spec.key[0]],
                "name_zh": f.get(spec.name_field, ""),
                "geometry": g,
            }
            if spec.style_by is not None:
                entry[spec.style_by] = f[spec.style_by]
            if point:
                entry["distance_m"] = f.get("distance_m")
            elif spec.name == "control_units":
                entry["share"] = f.get("share_of_footprint")
            touched.append(entry)
    return touched


def screening_preview_from_record(
    record: ScreeningPublic,
    geometries: Mapping[str, Mapping[str, Any]],
    **kwargs: Any,
) -> str:
    """The screening preview of a stored screening record (``POST /v1/screenings`` answer).

    ``geometries`` are the touched features' EPSG:4490 geometries (GeoJSON mappings or Shapely) by
    dataset key and feature key, as ``geodata.repository.feature_geometries`` returns them:
    ``units`` by code, ``water_zones`` by ``"<source_code> <grade>"``, ``redlines`` by code.
    """
    result = record.result
    footprint = shape(record.footprint)
    buffer_m = float(result.buffer_m or 0)
    return render_screening_preview(
        footprint,
        _buffered(footprint, buffer_m) if buffer_m > 0 else None,
        {
            "verdict": result.verdict.upper(),
            "reasons": list(dict.fromkeys(f.text_zh for f in result.findings))[:8],
            "project_name": result.project_name,
            "industry": f"{result.industry.code} {result.industry.name_zh}",
            "touched": _touched_features(record, geometries),
        },
        **kwargs,
    )
