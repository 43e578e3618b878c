"""Screening records compressed with LZ4 instead of pglz.

A screening record is stored whole as it was answered (~50 KiB of jsonb with the compliance table
of every access list touched), so PostgreSQL compresses it on every ``POST /v1/screenings``; LZ4
(PostgreSQL ≥ 14, ``default_toast_compression``) does that in about a third of pglz's time
(``bench/screening.py``). Rows already stored keep their compression until rewritten. A server
built without LZ4, or older than 14, keeps pglz: the records are the same either way.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _compression(method: str) -> None:
    op.execute(
        f"""
        DO $$
        BEGIN
            ALTER TABLE screening
                ALTER COLUMN result SET COMPRESSION {method},
                ALTER COLUMN request SET COMPRESSION {method};
        EXCEPTION WHEN feature_not_supported OR syntax_error THEN
            RAISE NOTICE 'screening records keep the server''s default compression (%)', SQLERRM;
        END
        $$
        """
    )


def upgrade() -> None:
    _compression("lz4")


def downgrade() -> None:
    _compression("default")
