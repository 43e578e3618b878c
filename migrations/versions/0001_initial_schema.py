"""Initial schema: PostGIS, dataset versions and every zoning layer, screenings, audit, API keys.

The database itself refuses bad data where it can: typed and SRID-checked geometry columns that
must be valid and non-empty, enum types for every controlled term, the unit-code pattern and its
consistency with class and division, codes unique within a version, and an exclusion constraint
so that at most one published version is in force at any instant.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENUMS: dict[str, tuple[str, ...]] = {
    "version_status": ("draft", "published", "superseded"),
    "control_class": ("priority", "key", "general"),
    "rule_dimension": ("spatial_layout", "pollutant_discharge", "environmental_risk", "resource_efficiency"),
    "rule_effect": ("prohibit", "restrict", "require"),
    "protection_grade": ("I", "II", "quasi"),
    "water_source_level": ("municipal", "county"),
    "water_source_kind": ("river", "lake", "reservoir", "canal", "groundwater"),
    "water_source_status": ("in_use", "backup", "emergency"),
    "redline_kind": ("wetland", "water_conservation", "water_source", "biodiversity", "soil_conservation"),
    "reserve_zone_kind": ("core", "buffer", "experimental"),
    "monitoring_kind": ("surface_water", "air", "groundwater", "rural_non_point", "noise"),
    "monitoring_level": ("national", "provincial", "city", "county"),
    "division_level": ("city", "district", "county", "development_zone", "management_area"),
}

# (table, geometry column) pairs that get a GiST index.
SPATIAL = [
    ("admin_division", "geom"),
    ("control_unit", "geom"),
    ("water_source", "intake"),
    ("water_protection_zone", "geom"),
    ("ecological_redline", "geom"),
    ("nature_reserve_zone", "geom"),
    ("monitoring_point", "geom"),
    ("screening", "footprint"),
]

VALID = "CHECK (ST_IsValid({col}) AND NOT ST_IsEmpty({col}))"


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    for name, values in ENUMS.items():
        literals = ", ".join(f"'{value}'" for value in values)
        op.execute(f"CREATE TYPE {name} AS ENUM ({literals})")

    op.execute(
        """
        CREATE TABLE dataset_version (
            id              serial PRIMARY KEY,
            label           varchar(64) NOT NULL UNIQUE CHECK (label ~ '^[A-Za-z0-9][A-Za-z0-9._-]*$'),
            title_zh        text NOT NULL,
            title_en        text NOT NULL,
            document_no     text,
            status          version_status NOT NULL DEFAULT 'draft',
            effective_from  date,
            effective_to    date,
            source          text NOT NULL,
            provenance      jsonb NOT NULL DEFAULT '{}'::jsonb,
            reconstruction  boolean NOT NULL,
            checksum        varchar(64) NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
            created_at      timestamptz NOT NULL DEFAULT now(),
            created_by      text NOT NULL,
            published_at    timestamptz,
            CONSTRAINT published_has_effective_date
                CHECK (status = 'draft' OR (effective_from IS NOT NULL AND published_at IS NOT NULL)),
            CONSTRAINT effective_range_ordered
                CHECK (effective_to IS NULL OR effective_to > effective_from),
            -- At most one version in force at any instant (DESIGN.md: versions are published with an
            -- effective date; superseded ones keep the range they were in force for).
            CONSTRAINT one_version_in_force EXCLUDE USING gist (
                daterange(effective_from, effective_to, '[)') WITH &&
            ) WHERE (status <> 'draft')
        )
        """
    )

    op.execute(
        f"""
        CREATE TABLE admin_division (
            id            serial PRIMARY KEY,
            version_id    integer NOT NULL REFERENCES dataset_version(id) ON DELETE CASCADE,
            code          varchar(16) NOT NULL,
            name_zh       text NOT NULL,
            name_en       text NOT NULL,
            level         division_level NOT NULL,
            parent_code   varchar(16),
            geom          geometry(MultiPolygon, 4490) NOT NULL {VALID.format(col="geom")},
            UNIQUE (version_id, code),
            CONSTRAINT admin_code_is_gb2260
                CHECK (level NOT IN ('city', 'district', 'county') OR code ~ '^\\d{{6}}$')
        )
        """
    )

    op.execute(
        f"""
        CREATE TABLE control_unit (
            id             serial PRIMARY KEY,
            version_id     integer NOT NULL REFERENCES dataset_version(id) ON DELETE CASCADE,
            code           varchar(13) NOT NULL CHECK (code ~ '^ZH\\d{{6}}[123]\\d{{4}}$'),
            name_zh        text NOT NULL,
            name_en        text NOT NULL,
            class          control_class NOT NULL,
            division_code  varchar(6) NOT NULL,
            tags           text[] NOT NULL DEFAULT '{{}}',
            area_m2        double precision NOT NULL CHECK (area_m2 > 0),
            geom           geometry(MultiPolygon, 4490) NOT NULL {VALID.format(col="geom")},
            UNIQUE (version_id, code),
            FOREIGN KEY (version_id, division_code) REFERENCES admin_division(version_id, code),
            -- The code carries the unit's division and class: ZH + admin code + class digit + seq.
            CONSTRAINT code_matches_division CHECK (substr(code, 3, 6) = division_code),
            CONSTRAINT code_matches_class CHECK (
                substr(code, 9, 1) = CASE class WHEN 'priority' THEN '1' WHEN 'key' THEN '2' ELSE '3' END
            )
        )
        """
    )

    op.execute(
        """
        CREATE TABLE access_rule (
            id              serial PRIMARY KEY,
            version_id      integer NOT NULL REFERENCES dataset_version(id) ON DELETE CASCADE,
            unit_code       varchar(13),
            dimension       rule_dimension NOT NULL,
            clause_no       integer NOT NULL CHECK (clause_no > 0),
            text_zh         text NOT NULL CHECK (length(text_zh) > 0),
            effect          rule_effect NOT NULL,
            industry_codes  text[] NOT NULL DEFAULT '{}',
            conditions      jsonb NOT NULL DEFAULT '{}'::jsonb,
            FOREIGN KEY (version_id, unit_code) REFERENCES control_unit(version_id, code) ON DELETE CASCADE,
            -- unit_code NULL is the city-wide 总体准入要求; NULLS NOT DISTINCT keeps its numbering unique.
            CONSTRAINT one_clause_per_number UNIQUE NULLS NOT DISTINCT (version_id, unit_code, dimension, clause_no)
        )
        """
    )

    op.execute(
        """
        CREATE TABLE water_source (
            id             serial PRIMARY KEY,
            version_id     integer NOT NULL REFERENCES dataset_version(id) ON DELETE CASCADE,
            code           varchar(32) NOT NULL,
            name_zh        text NOT NULL,
            name_en        text NOT NULL,
            level          water_source_level NOT NULL,
            kind           water_source_kind NOT NULL,
            status         water_source_status NOT NULL,
            river_zh       text,
            division_code  varchar(6) NOT NULL,
            intake         geometry(Point, 4490) NOT NULL,
            UNIQUE (version_id, code)
        )
        """
    )

    op.execute(
        f"""
        CREATE TABLE water_protection_zone (
            id           serial PRIMARY KEY,
            version_id   integer NOT NULL REFERENCES dataset_version(id) ON DELETE CASCADE,
            source_code  varchar(32) NOT NULL,
            grade        protection_grade NOT NULL,
            area_m2      double precision NOT NULL CHECK (area_m2 > 0),
            geom         geometry(MultiPolygon, 4490) NOT NULL {VALID.format(col="geom")},
            UNIQUE (version_id, source_code, grade),
            FOREIGN KEY (version_id, source_code) REFERENCES water_source(version_id, code) ON DELETE CASCADE
        )
        """
    )

    op.execute(
        f"""
        CREATE TABLE ecological_redline (
            id          serial PRIMARY KEY,
            version_id  integer NOT NULL REFERENCES dataset_version(id) ON DELETE CASCADE,
            code        varchar(32) NOT NULL,
            name_zh     text NOT NULL,
            kind        redline_kind NOT NULL,
            area_m2     double precision NOT NULL CHECK (area_m2 > 0),
            geom        geometry(MultiPolygon, 4490) NOT NULL {VALID.format(col="geom")},
            UNIQUE (version_id, code)
        )
        """
    )

    op.execute(
        f"""
        CREATE TABLE nature_reserve_zone (
            id               serial PRIMARY KEY,
            version_id       integer NOT NULL REFERENCES dataset_version(id) ON DELETE CASCADE,
            reserve_code     varchar(32) NOT NULL,
            reserve_name_zh  text NOT NULL,
            reserve_name_en  text NOT NULL,
            reserve_level    text NOT NULL CHECK (reserve_level IN ('national', 'provincial', 'city', 'county')),
            zone             reserve_zone_kind NOT NULL,
            area_m2          double precision NOT NULL CHECK (area_m2 > 0),
            geom             geometry(MultiPolygon, 4490) NOT NULL {VALID.format(col="geom")},
            UNIQUE (version_id, reserve_code, zone)
        )
        """
    )

    op.execute(
        """
        CREATE TABLE monitoring_point (
            id             serial PRIMARY KEY,
            version_id     integer NOT NULL REFERENCES dataset_version(id) ON DELETE CASCADE,
            code           varchar(32) NOT NULL,
            name_zh        text NOT NULL,
            kind           monitoring_kind NOT NULL,
            level          monitoring_level NOT NULL,
            subtype        text NOT NULL,
            division_code  varchar(6) NOT NULL,
            attributes     jsonb NOT NULL DEFAULT '{}'::jsonb,
            geom           geometry(Point, 4490) NOT NULL,
            UNIQUE (version_id, code)
        )
        """
    )

    op.execute(
        """
        CREATE TABLE industry_category (
            code     varchar(8) PRIMARY KEY CHECK (code ~ '^([A-T]|\\d{2,4})$'),
            level    varchar(16) NOT NULL CHECK (level IN ('section', 'division', 'group', 'class')),
            parent   varchar(8) REFERENCES industry_category(code),
            name_zh  text NOT NULL,
            name_en  text NOT NULL
        )
        """
    )

    op.execute(
        """
        CREATE TABLE screening (
            id                varchar(32) PRIMARY KEY CHECK (id ~ '^SCR-[0-9A-Z-]+$'),
            version_id        integer NOT NULL REFERENCES dataset_version(id) ON DELETE RESTRICT,
            dataset_checksum  varchar(64) NOT NULL,
            created_at        timestamptz NOT NULL DEFAULT now(),
            caller            text,
            request           jsonb NOT NULL,
            result            jsonb NOT NULL,
            footprint         geometry(Geometry, 4490) NOT NULL
        )
        """
    )

    op.execute(
        """
        CREATE TABLE audit_event (
            id       bigserial PRIMARY KEY,
            at       timestamptz NOT NULL DEFAULT now(),
            actor    text NOT NULL,
            action   text NOT NULL,
            target   text,
            outcome  text NOT NULL CHECK (outcome IN ('ok', 'rejected', 'failed')),
            before   jsonb,
            after    jsonb
        )
        """
    )
    # The audit trail is append-only: the database refuses to rewrite history.
    op.execute(
        """
        CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_event is append-only' USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_event_no_rewrite BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
    )

    op.execute(
        """
        CREATE TABLE api_key (
            id           serial PRIMARY KEY,
            name         text NOT NULL,
            prefix       varchar(16) NOT NULL UNIQUE,
            secret_hash  varchar(128) NOT NULL,
            scopes       text[] NOT NULL CHECK (scopes <@ ARRAY['read', 'screen', 'admin']::text[]
                                                AND cardinality(scopes) > 0),
            created_at   timestamptz NOT NULL DEFAULT now(),
            revoked_at   timestamptz
        )
        """
    )

    for table, column in SPATIAL:
        op.execute(f"CREATE INDEX ix_{table}_{column} ON {table} USING gist ({column})")
    for table in (
        "admin_division",
        "control_unit",
        "access_rule",
        "water_source",
        "water_protection_zone",
        "ecological_redline",
        "nature_reserve_zone",
        "monitoring_point",
        "screening",
    ):
        op.execute(f"CREATE INDEX ix_{table}_version ON {table} (version_id)")
    op.execute("CREATE INDEX ix_monitoring_point_kind ON monitoring_point (version_id, kind)")


def downgrade() -> None:
    for table in (
        "api_key",
        "audit_event",
        "screening",
        "industry_category",
        "monitoring_point",
        "nature_reserve_zone",
        "ecological_redline",
        "water_protection_zone",
        "water_source",
        "access_rule",
        "control_unit",
        "admin_division",
        "dataset_version",
    ):
        op.execute(f"DROP TABLE {table}")
    op.execute("DROP FUNCTION audit_event_append_only()")
    for name in reversed(list(ENUMS)):
        op.execute(f"DROP TYPE {name}")
    # The postgis extension stays: other schemas of the database may use it, and dropping it
    # needs superuser rights a managed server may not grant.
