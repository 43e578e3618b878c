"""The service's own database role, and a hash chain over the audit trail.

Migrations and loads run as the owner; the HTTP service logs in as a member of ``zoning_service``,
a role that is no superuser and owns nothing, so it cannot disable the audit trigger, set
``session_replication_role`` or rewrite a row. It gets only what the service does: read every
table; write drafts and publishes (uploads and publishing through the admin API), screenings and
API keys; and append — never update or delete — audit events.

Each audit row carries the hash of its predecessor (``prev_hash``) and its own (``hash``): the
SHA-256 of the JSON array ``[prev_hash, id, at in µs since the epoch, actor, action, target,
outcome, before, after]`` as PostgreSQL prints it (jsonb text is canonical). A BEFORE INSERT
trigger, running as the owner, takes the chain head from ``audit_chain`` under a row lock, assigns
the id and the time itself (no back-dated events, no out-of-order ids) and moves the head on.
``zoning audit verify`` recomputes the chain.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERVICE_ROLE = "zoning_service"

# What the service writes (app/routes/admin.py uploads and publishes; screenings; keys).
INSERT_ONLY = (
    "admin_division",
    "control_unit",
    "access_rule",
    "water_source",
    "water_protection_zone",
    "ecological_redline",
    "nature_reserve_zone",
    "monitoring_point",
    "screening",
    "audit_event",
)
INSERT_UPDATE = ("dataset_version", "api_key")
NOT_WRITTEN = ("industry_category", "audit_chain", "spatial_ref_sys", "alembic_version")
"""Read only (the GB/T 4754 catalogue is loaded by the owner), or not at all (the chain head)."""

DIGEST = """
CREATE FUNCTION audit_event_digest(
    prev text, id bigint, at timestamptz, actor text, action text, target text, outcome text,
    before jsonb, after jsonb
) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT encode(sha256(convert_to(jsonb_build_array(
        prev, id, (extract(epoch FROM at) * 1000000)::bigint, actor, action, target, outcome,
        before, after)::text, 'UTF8')), 'hex')
$$
"""

CHAIN = """
CREATE FUNCTION audit_event_chain() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    previous text;
BEGIN
    -- The row lock serialises appends: two writers never link to the same predecessor.
    SELECT head INTO previous FROM public.audit_chain WHERE singleton FOR UPDATE;
    NEW.id := nextval('public.audit_event_id_seq');
    NEW.at := clock_timestamp();
    NEW.prev_hash := previous;
    NEW.hash := public.audit_event_digest(previous, NEW.id, NEW.at, NEW.actor, NEW.action,
                                          NEW.target, NEW.outcome, NEW.before, NEW.after);
    UPDATE public.audit_chain SET head = NEW.hash, last_id = NEW.id WHERE singleton;
    RETURN NEW;
END $$
"""


def upgrade() -> None:
    op.execute(
        f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{SERVICE_ROLE}') THEN
                CREATE ROLE {SERVICE_ROLE} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
            END IF;
        END $$
        """
    )
    op.execute("ALTER TABLE audit_event ADD COLUMN prev_hash char(64), ADD COLUMN hash char(64)")
    op.execute(
        """
        CREATE TABLE audit_chain (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            head      char(64),
            last_id   bigint
        )
        """
    )
    op.execute(DIGEST)
    # Rows written before this revision join the chain in id order.
    op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_rewrite")
    op.execute(
        """
        DO $$
        DECLARE
            r record;
            previous text := NULL;
        BEGIN
            FOR r IN SELECT * FROM audit_event ORDER BY id LOOP
                UPDATE audit_event SET prev_hash = previous,
                    hash = audit_event_digest(previous, r.id, r.at, r.actor, r.action, r.target,
                                              r.outcome, r.before, r.after)
                WHERE id = r.id RETURNING hash INTO previous;
            END LOOP;
            INSERT INTO audit_chain (head, last_id) VALUES (previous, (SELECT max(id) FROM audit_event));
        END $$
        """
    )
    op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_rewrite")
    op.execute("ALTER TABLE audit_event ALTER COLUMN hash SET NOT NULL")
    op.execute(CHAIN)
    op.execute(
        "CREATE TRIGGER audit_event_chain BEFORE INSERT ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_chain()"
    )
    op.execute("REVOKE ALL ON FUNCTION audit_event_chain() FROM PUBLIC")

    op.execute(f"GRANT USAGE ON SCHEMA public TO {SERVICE_ROLE}")
    op.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {SERVICE_ROLE}")
    op.execute(f"REVOKE SELECT ON audit_chain FROM {SERVICE_ROLE}")
    op.execute(f"GRANT INSERT ON {', '.join(INSERT_ONLY)} TO {SERVICE_ROLE}")
    op.execute(f"GRANT INSERT, UPDATE ON {', '.join(INSERT_UPDATE)} TO {SERVICE_ROLE}")
    op.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {SERVICE_ROLE}")
    # Tables of revisions that run before this one once revisions are re-chained get what the
    # default privileges below give later ones, so the order of revisions does not matter.
    known = ", ".join(f"'{t}'" for t in (*INSERT_ONLY, *INSERT_UPDATE, *NOT_WRITTEN))
    op.execute(
        f"""
        DO $$
        DECLARE
            t text;
        BEGIN
            FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public'
                     AND tablename NOT IN ({known}) LOOP
                EXECUTE format('GRANT SELECT, INSERT, UPDATE ON public.%I TO {SERVICE_ROLE}', t);
            END LOOP;
        END $$
        """
    )
    # Tables of later revisions: read and write, never delete; a revision that adds an
    # append-only table revokes UPDATE itself.
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE ON TABLES TO {SERVICE_ROLE}"
    )
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO {SERVICE_ROLE}")


def downgrade() -> None:
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE ON TABLES FROM {SERVICE_ROLE}"
    )
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE ON SEQUENCES FROM {SERVICE_ROLE}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {SERVICE_ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {SERVICE_ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {SERVICE_ROLE}")
    op.execute("DROP TRIGGER audit_event_chain ON audit_event")
    op.execute("DROP FUNCTION audit_event_chain()")
    op.execute("DROP TABLE audit_chain")
    op.execute(
        "DROP FUNCTION audit_event_digest(text, bigint, timestamptz, text, text, text, text, jsonb, jsonb)"
    )
    op.execute("ALTER TABLE audit_event DROP COLUMN prev_hash, DROP COLUMN hash")
    # The role stays: roles are cluster-wide and other databases of the cluster may grant to it.
