"""Bulk screening jobs: one row per file of sites screened in bulk, with its progress.

A job pins the dataset version (id and checksum) at submission, so every row of its output is
screened against the same version even when another comes into force while it runs. Partitions
done are recorded as they finish; a resumed job skips them (their Parquet parts are on disk).

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE TYPE bulk_job_status AS ENUM ('queued', 'running', 'done', 'failed', 'cancelled')")
    op.execute(
        """
        CREATE TABLE bulk_job (
            id                 varchar(32) PRIMARY KEY,
            status             bulk_job_status NOT NULL DEFAULT 'queued',
            caller             text,
            input_name         text NOT NULL,
            input_checksum     varchar(64) NOT NULL CHECK (input_checksum ~ '^[0-9a-f]{64}$'),
            options            jsonb NOT NULL DEFAULT '{}'::jsonb,
            version_id         integer NOT NULL REFERENCES dataset_version(id) ON DELETE RESTRICT,
            dataset_checksum   varchar(64) NOT NULL,
            output_path        text NOT NULL,
            partitions_total   integer CHECK (partitions_total >= 0),
            partitions_done    integer[] NOT NULL DEFAULT '{}',
            rows_total         bigint CHECK (rows_total >= 0),
            rows_done          bigint NOT NULL DEFAULT 0 CHECK (rows_done >= 0),
            rows_error         bigint NOT NULL DEFAULT 0 CHECK (rows_error >= 0),
            summary            jsonb,
            error              text,
            created_at         timestamptz NOT NULL DEFAULT now(),
            started_at         timestamptz,
            finished_at        timestamptz,
            timings            jsonb NOT NULL DEFAULT '{}'::jsonb
        )
        """
    )
    op.execute("CREATE INDEX bulk_job_created_at ON bulk_job (created_at DESC)")


def downgrade() -> None:
    op.execute("DROP TABLE bulk_job")
    op.execute("DROP TYPE bulk_job_status")
