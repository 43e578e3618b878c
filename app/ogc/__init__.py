"""OGC API – Features (Parts 1, 2 and 3-basic) and Mapbox vector tiles over the zoning layers.

The pieces the ``/ogc`` router (``app/routes/ogc.py``) composes: the collection catalogue
(``collections``), supported coordinate reference systems (``crs``), the CQL2-text parser
(``cql2``), SQL building for item pages (``query``), vector tiles (``tiles``) and HTML pages
(``html``). Every query filters on one dataset version and transforms literals into the storage
CRS (EPSG:4490), never the indexed geometry column.
"""
