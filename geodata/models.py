"""PostGIS tables (SQLAlchemy 2 Core + GeoAlchemy2), mirroring the Alembic revisions in ``migrations/``.

Every zoning row belongs to a dataset version; geometries are stored in CGCS2000 (EPSG:4490).
The migrations are the source of truth for constraints; these definitions are what queries use.
"""

from __future__ import annotations

from enum import StrEnum

from geoalchemy2 import Geometry
from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Enum,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from zoning import vocabulary as v
from zoning.crs import STORAGE_SRID

metadata = MetaData()


def _enum(cls: type[StrEnum], name: str) -> Enum:
    return Enum(*[m.value for m in cls], name=name, create_type=False)


version_status = _enum(v.VersionStatus, "version_status")
control_class = _enum(v.ControlClass, "control_class")
rule_dimension = _enum(v.RuleDimension, "rule_dimension")
rule_effect = _enum(v.RuleEffect, "rule_effect")
protection_grade = _enum(v.ProtectionGrade, "protection_grade")
water_source_level = _enum(v.WaterSourceLevel, "water_source_level")
water_source_kind = _enum(v.WaterSourceKind, "water_source_kind")
water_source_status = _enum(v.WaterSourceStatus, "water_source_status")
redline_kind = _enum(v.RedlineKind, "redline_kind")
reserve_zone_kind = _enum(v.ReserveZoneKind, "reserve_zone_kind")
monitoring_kind = _enum(v.MonitoringKind, "monitoring_kind")
monitoring_level = _enum(v.MonitoringLevel, "monitoring_level")
division_level = _enum(v.DivisionLevel, "division_level")
park_level = _enum(v.ParkLevel, "park_level")


def _geom(kind: str) -> Geometry:
    # The migrations create the GiST indexes explicitly.
    return Geometry(kind, srid=STORAGE_SRID, spatial_index=False)


def _version_fk() -> Column:
    return Column("version_id", Integer, ForeignKey("dataset_version.id", ondelete="CASCADE"), nullable=False)


dataset_version = Table(
    "dataset_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("label", String(64), nullable=False, unique=True),
    Column("title_zh", Text, nullable=False),
    Column("title_en", Text, nullable=False),
    Column("document_no", Text),
    Column("status", version_status, nullable=False),
    Column("effective_from", Date),
    Column("effective_to", Date),
    Column("source", Text, nullable=False),
    Column("provenance", JSONB, nullable=False),
    Column("reconstruction", Boolean, nullable=False),
    Column("checksum", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("published_at", DateTime(timezone=True)),
)

admin_division = Table(
    "admin_division",
    metadata,
    Column("id", Integer, primary_key=True),
    _version_fk(),
    Column("code", String(16), nullable=False),
    Column("name_zh", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("level", division_level, nullable=False),
    Column("parent_code", String(16)),
    Column("geom", _geom("MULTIPOLYGON"), nullable=False),
)

control_unit = Table(
    "control_unit",
    metadata,
    Column("id", Integer, primary_key=True),
    _version_fk(),
    Column("code", String(13), nullable=False),
    Column("name_zh", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("class", control_class, nullable=False, key="control_class"),
    Column("division_code", String(6), nullable=False),
    Column("tags", ARRAY(Text), nullable=False),
    Column("area_m2", Double, nullable=False),
    Column("geom", _geom("MULTIPOLYGON"), nullable=False),
)

access_rule = Table(
    "access_rule",
    metadata,
    Column("id", Integer, primary_key=True),
    _version_fk(),
    Column("unit_code", String(13)),
    Column("dimension", rule_dimension, nullable=False),
    Column("clause_no", Integer, nullable=False),
    Column("text_zh", Text, nullable=False),
    Column("effect", rule_effect, nullable=False),
    Column("industry_codes", ARRAY(Text), nullable=False),
    Column("conditions", JSONB, nullable=False),
)

water_source = Table(
    "water_source",
    metadata,
    Column("id", Integer, primary_key=True),
    _version_fk(),
    Column("code", String(32), nullable=False),
    Column("name_zh", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("level", water_source_level, nullable=False),
    Column("kind", water_source_kind, nullable=False),
    Column("status", water_source_status, nullable=False),
    Column("river_zh", Text),
    Column("division_code", String(6), nullable=False),
    Column("intake", _geom("POINT"), nullable=False),
)

water_protection_zone = Table(
    "water_protection_zone",
    metadata,
    Column("id", Integer, primary_key=True),
    _version_fk(),
    Column("source_code", String(32), nullable=False),
    Column("grade", protection_grade, nullable=False),
    Column("area_m2", Double, nullable=False),
    Column("geom", _geom("MULTIPOLYGON"), nullable=False),
)

ecological_redline = Table(
    "ecological_redline",
    metadata,
    Column("id", Integer, primary_key=True),
    _version_fk(),
    Column("code", String(32), nullable=False),
    Column("name_zh", Text, nullable=False),
    Column("kind", redline_kind, nullable=False),
    Column("area_m2", Double, nullable=False),
    Column("geom", _geom("MULTIPOLYGON"), nullable=False),
)

nature_reserve_zone = Table(
    "nature_reserve_zone",
    metadata,
    Column("id", Integer, primary_key=True),
    _version_fk(),
    Column("reserve_code", String(32), nullable=False),
    Column("reserve_name_zh", Text, nullable=False),
    Column("reserve_name_en", Text, nullable=False),
    Column("reserve_level", Text, nullable=False),
    Column("zone", reserve_zone_kind, nullable=False),
    Column("area_m2", Double, nullable=False),
    Column("geom", _geom("MULTIPOLYGON"), nullable=False),
)

industrial_park = Table(
    "industrial_park",
    metadata,
    Column("id", Integer, primary_key=True),
    _version_fk(),
    Column("code", String(32), nullable=False),
    Column("name_zh", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("level", park_level, nullable=False),
    Column("recognised_chemical_park", Boolean, nullable=False),
    Column("industry_codes", ARRAY(Text), nullable=False),
    Column("unit_codes", ARRAY(Text), nullable=False),
    Column("area_m2", Double, nullable=False),
    Column("geom", _geom("MULTIPOLYGON"), nullable=False),
)

monitoring_point = Table(
    "monitoring_point",
    metadata,
    Column("id", Integer, primary_key=True),
    _version_fk(),
    Column("code", String(32), nullable=False),
    Column("name_zh", Text, nullable=False),
    Column("kind", monitoring_kind, nullable=False),
    Column("level", monitoring_level, nullable=False),
    Column("subtype", Text, nullable=False),
    Column("division_code", String(6), nullable=False),
    Column("attributes", JSONB, nullable=False),
    Column("geom", _geom("POINT"), nullable=False),
)

industry_category = Table(
    "industry_category",
    metadata,
    Column("code", String(8), primary_key=True),
    Column("level", String(16), nullable=False),
    Column("parent", String(8)),
    Column("name_zh", Text, nullable=False),
    Column("name_en", Text, nullable=False),
)

screening = Table(
    "screening",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("version_id", Integer, ForeignKey("dataset_version.id", ondelete="RESTRICT"), nullable=False),
    Column("dataset_checksum", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("caller", Text),
    Column("request", JSONB, nullable=False),
    Column("result", JSONB, nullable=False),
    Column("footprint", Geometry("GEOMETRY", srid=STORAGE_SRID, spatial_index=False), nullable=False),
)

audit_event = Table(
    "audit_event",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("target", Text),
    Column("outcome", Text, nullable=False),
    Column("before", JSONB),
    Column("after", JSONB),
    # The hash chain of migration 0003, filled by the database's insert trigger.
    Column("prev_hash", CHAR(64)),
    Column("hash", CHAR(64), nullable=False),
)

api_key = Table(
    "api_key",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("prefix", String(16), nullable=False, unique=True),
    Column("secret_hash", String(128), nullable=False),
    Column("scopes", ARRAY(Text), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

bulk_job_status = Enum(
    "queued", "running", "done", "failed", "cancelled", name="bulk_job_status", create_type=False
)

bulk_job = Table(
    "bulk_job",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("status", bulk_job_status, nullable=False),
    Column("caller", Text),
    Column("input_name", Text, nullable=False),
    Column("input_checksum", String(64), nullable=False),
    Column("options", JSONB, nullable=False),
    Column("version_id", Integer, ForeignKey("dataset_version.id", ondelete="RESTRICT"), nullable=False),
    Column("dataset_checksum", String(64), nullable=False),
    Column("output_path", Text, nullable=False),
    Column("partitions_total", Integer),
    Column("partitions_done", ARRAY(Integer), nullable=False),
    Column("rows_total", BigInteger),
    Column("rows_done", BigInteger, nullable=False),
    Column("rows_error", BigInteger, nullable=False),
    Column("summary", JSONB),
    Column("error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("timings", JSONB, nullable=False),
)
"""Bulk screening jobs (migration 0004): progress, partitions done, the version pinned."""
