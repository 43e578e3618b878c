"""Industrial parks 开发区/工业园区 as a zoning layer of every dataset version.

A park carries its approval level (国家级 / 省级), whether it is a recognised chemical park
认定化工园区, its leading industries as GB/T 4754-2017 codes and the control units it is built from.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VALID = "CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom))"


def upgrade() -> None:
    op.execute("CREATE TYPE park_level AS ENUM ('national', 'provincial')")
    op.execute(
        f"""
        CREATE TABLE industrial_park (
            id                        serial PRIMARY KEY,
            version_id                integer NOT NULL REFERENCES dataset_version(id) ON DELETE CASCADE,
            code                      varchar(32) NOT NULL,
            name_zh                   text NOT NULL,
            name_en                   text NOT NULL,
            level                     park_level NOT NULL,
            recognised_chemical_park  boolean NOT NULL,
            industry_codes            text[] NOT NULL DEFAULT '{{}}'
                                      CHECK (array_position(industry_codes, NULL) IS NULL),
            unit_codes                text[] NOT NULL DEFAULT '{{}}',
            area_m2                   double precision NOT NULL CHECK (area_m2 > 0),
            geom                      geometry(MultiPolygon, 4490) NOT NULL {VALID},
            UNIQUE (version_id, code)
        )
        """
    )
    op.execute("CREATE INDEX ix_industrial_park_geom ON industrial_park USING gist (geom)")
    op.execute("CREATE INDEX ix_industrial_park_version ON industrial_park (version_id)")


def downgrade() -> None:
    op.execute("DROP TABLE industrial_park")
    op.execute("DROP TYPE park_level")
