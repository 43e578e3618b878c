"""Folium previews of single answers: a located point, a unit, a water source, a screening.

Each returns a whole HTML page: the map (offline assets, no basemap unless configured) with the
answer in a side panel. Geometries come in CGCS2000 (EPSG:4490) and are reprojected to EPSG:4326
by ``app.maps.layers.to_output_crs``; preview geometry is not simplified beyond ~1 m.

One module per preview — :mod:`~app.maps.previews.locate`, :mod:`~app.maps.previews.units` (unit,
water source), :mod:`~app.maps.previews.screening` — over the shared page frame in
:mod:`~app.maps.previews.common`.
"""

from app.maps.previews.common import embed_page
from app.maps.previews.locate import render_locate_preview
from app.maps.previews.screening import render_screening_preview, screening_preview_from_record
from app.maps.previews.units import render_unit_preview, render_water_source_preview

__all__ = [
    "embed_page",
    "render_locate_preview",
    "render_screening_preview",
    "render_unit_preview",
    "render_water_source_preview",
    "screening_preview_from_record",
]
