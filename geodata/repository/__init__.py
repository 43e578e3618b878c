"""Reading and writing dataset versions in PostGIS.

A version is written whole inside the caller's transaction (:func:`insert_version`) and read whole
into an immutable ``ZoningSnapshot`` (:func:`read_snapshot`). Which version is in force on a date is
the published (or superseded) version whose effective range holds that date; the schema's exclusion
constraint guarantees there is at most one.

Modules: :mod:`.writes` (a version and its checksum), :mod:`.versions` (in force, list, publish,
statuses), :mod:`.reads` (snapshot, clauses, geometries, look-ups), :mod:`.screenings`.
"""

from __future__ import annotations

from geodata.repository.reads import (
    feature_geometries,
    get_unit,
    list_monitoring_points,
    list_rules,
    list_units,
    list_water_sources,
    read_industries,
    read_snapshot,
    rule_rows,
)
from geodata.repository.screenings import (
    KEY_CALLER,
    get_screening,
    insert_screening,
    screening_caller,
    screening_owner_key,
)
from geodata.repository.versions import (
    list_versions,
    publish_version,
    settle_statuses,
    status_on,
    unschedule_version,
    version_by_id,
    version_by_label,
    version_in_force,
)
from geodata.repository.writes import DatasetLayers, content_checksum, insert_version
from zoning.crs import geodesic_area_m2  # re-exported: callers took it from here

__all__ = [
    "KEY_CALLER",
    "DatasetLayers",
    "content_checksum",
    "feature_geometries",
    "geodesic_area_m2",
    "get_screening",
    "get_unit",
    "insert_screening",
    "insert_version",
    "list_monitoring_points",
    "list_rules",
    "list_units",
    "list_versions",
    "list_water_sources",
    "publish_version",
    "read_industries",
    "read_snapshot",
    "rule_rows",
    "screening_caller",
    "screening_owner_key",
    "settle_statuses",
    "status_on",
    "unschedule_version",
    "version_by_id",
    "version_by_label",
    "version_in_force",
]
