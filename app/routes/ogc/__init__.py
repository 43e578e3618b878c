"""OGC API – Features (Part 1 core, GeoJSON, HTML; Part 2 CRS; Part 3 queryables and CQL2 text)
and OGC API – Tiles (WebMercatorQuad, Mapbox vector tiles) over the zoning layers, at ``/ogc``.

Every answer comes from one dataset version: the one in force today, or on ``datetime``. Responses
carry an ETag (hash of the version's checksum and the request) and Last-Modified (the version's
publication time) and answer 304 to a matching conditional GET. Reads are open to browsers from
any origin (CORS ``*``, GET only). Unknown query parameters are a 400 problem, as the standard asks.
"""

from __future__ import annotations

# Each module registers its routes on ``reads`` (GETs under /ogc) or ``router`` (the preflight).
from app.routes.ogc import items, landing, tiles
from app.routes.ogc._common import reads, router

__all__ = ["items", "landing", "reads", "router", "tiles"]
