"""Offline Folium: every script and stylesheet a map page references is served by this app.

Folium's defaults point at public CDNs (jsdelivr, cdnjs, code.jquery.com, netdna). On a government
intranet those pages render a blank square, so the classes here replace each default with the copy
``scripts/vendor_assets.py`` fetched into ``app/static/vendor/`` (see its ``MANIFEST.json``).
"""

from __future__ import annotations

import folium
from folium import plugins

VENDOR_URL = "/static/vendor"

LEAFLET_JS = ("leaflet", f"{VENDOR_URL}/leaflet/dist/leaflet.js")
LEAFLET_CSS = ("leaflet_css", f"{VENDOR_URL}/leaflet/dist/leaflet.css")

# Folium's own defaults, offline. Glyphicons (Bootstrap 3) and Folium's icon-rotation stylesheet are
# not served: they only style awesome-marker icons with the ``glyphicon`` prefix or a rotation, and
# the pages here use neither (icons take the Font Awesome prefix).
FOLIUM_JS = [
    LEAFLET_JS,
    ("jquery", f"{VENDOR_URL}/jquery/dist/jquery.min.js"),
    ("bootstrap", f"{VENDOR_URL}/bootstrap/dist/js/bootstrap.bundle.min.js"),
    ("awesome_markers", f"{VENDOR_URL}/leaflet.awesome-markers/dist/leaflet.awesome-markers.min.js"),
]
FOLIUM_CSS = [
    LEAFLET_CSS,
    ("bootstrap_css", f"{VENDOR_URL}/bootstrap/dist/css/bootstrap.min.css"),
    ("awesome_markers_font_css", f"{VENDOR_URL}/fontawesome-free/css/all.min.css"),
    ("awesome_markers_css", f"{VENDOR_URL}/leaflet.awesome-markers/dist/leaflet.awesome-markers.css"),
]


class OfflineMap(folium.Map):
    """A ``folium.Map`` whose assets come from ``/static/vendor``.

    ``lean=True`` (the default) loads Leaflet alone: the pages here draw GeoJSON, circle markers and
    HTML controls, none of which needs jQuery, Bootstrap or Font Awesome, and leaving them out keeps
    a page ~400 KB lighter. ``lean=False`` loads every Folium default (from the local copies), for
    pages that use awesome-marker icons or Bootstrap.
    """

    def __init__(self, *args, lean: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Instance attributes shadow the class-level CDN lists Folium's renderer reads.
        self.default_js = [LEAFLET_JS] if lean else list(FOLIUM_JS)
        self.default_css = [LEAFLET_CSS] if lean else list(FOLIUM_CSS)


class OfflineMarkerCluster(plugins.FastMarkerCluster):
    """``FastMarkerCluster`` with Leaflet.markercluster from ``/static/vendor``."""

    default_js = [  # noqa: RUF012 -- Folium's own attribute
        ("markerclusterjs", f"{VENDOR_URL}/leaflet.markercluster/dist/leaflet.markercluster.js")
    ]
    default_css = [  # noqa: RUF012
        ("markerclustercss", f"{VENDOR_URL}/leaflet.markercluster/dist/MarkerCluster.css"),
        ("markerclusterdefaultcss", f"{VENDOR_URL}/leaflet.markercluster/dist/MarkerCluster.Default.css"),
    ]


class OfflineDraw(plugins.Draw):
    """``Draw`` with Leaflet.draw from ``/static/vendor``."""

    default_js = [  # noqa: RUF012 -- Folium's own attribute
        ("leaflet_draw_js", f"{VENDOR_URL}/leaflet-draw/dist/leaflet.draw.js")
    ]
    default_css = [  # noqa: RUF012
        ("leaflet_draw_css", f"{VENDOR_URL}/leaflet-draw/dist/leaflet.draw.css")
    ]
