"""The service's database role cannot rewrite the audit trail; the hash chain catches the owner.

Issue 12 item 1: as the service role (what the HTTP service logs in as), disabling the audit
trigger, ``session_replication_role``, UPDATE, DELETE and TRUNCATE of ``audit_event`` are refused
by PostgreSQL itself (SQLSTATE 42501 insufficient_privilege / must be owner); as the owner an
edited, deleted or truncated-away row is reported by ``zoning audit verify`` (exit 1, naming it).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
import sqlalchemy.exc as sa_exc
from sqlalchemy import Engine, text

from app import cli
from geodata import keys, localdb
from geodata.audit import verify_chain
from geodata.database import make_engine, migrate

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _database(cluster: localdb.LocalCluster) -> Iterator[tuple[str, Engine, Engine]]:
    name = f"zoning_roles_{os.getpid()}_{secrets.token_hex(3)}"
    localdb.create_database(cluster, name)
    url = cluster.url(name)
    migrate(url)
    owner = make_engine(url)
    service = make_engine(cluster.service_url(name))
    yield url, owner, service
    owner.dispose()
    service.dispose()
    localdb.drop_database(cluster, name)


@pytest.fixture()
def db(cluster: localdb.LocalCluster) -> Iterator[tuple[str, Engine, Engine]]:
    """A migrated database of this test: its owner URL, an owner engine and a service engine."""
    yield from _database(cluster)


@pytest.fixture(scope="module")
def attacked(cluster: localdb.LocalCluster) -> Iterator[tuple[str, Engine, Engine]]:
    """One database for every attack, holding one event."""
    for made in _database(cluster):
        _events(made[2], 1)
        yield made


def _events(engine: Engine, n: int) -> None:
    for i in range(n):
        with engine.begin() as conn:
            keys.record_event(
                conn, actor=f"key:test{i}", action="probe", target=f"t{i}", outcome="ok", after={"n": i}
            )


def test_the_local_cluster_has_a_service_role_that_is_no_superuser(cluster: localdb.LocalCluster) -> None:
    with psycopg.connect(cluster.conninfo("postgres")) as conn:
        row = conn.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin "
            "FROM pg_roles WHERE rolname = %s",
            (cluster.service_user,),
        ).fetchone()
    assert row == (False, False, False, False, False, True)
    assert cluster.service_credentials_file.stat().st_mode & 0o777 == 0o600


def test_the_service_role_owns_nothing_and_appends_only(db: tuple[str, Engine, Engine]) -> None:
    _url, _owner, service = db
    with service.connect() as conn:
        owners = conn.execute(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user")
        ).scalar_one()
        privileges = conn.execute(
            text(
                "SELECT p, has_table_privilege('audit_event', p) FROM "
                "unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','TRIGGER','REFERENCES']) p"
            )
        ).all()
    assert owners == 0
    assert dict(privileges) == {
        "SELECT": True,
        "INSERT": True,
        "UPDATE": False,
        "DELETE": False,
        "TRUNCATE": False,
        "TRIGGER": False,
        "REFERENCES": False,
    }


ATTACKS = [
    "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_rewrite",
    "ALTER TABLE audit_event DISABLE TRIGGER ALL",
    "DROP TRIGGER audit_event_no_rewrite ON audit_event",
    "DROP TRIGGER audit_event_chain ON audit_event",
    "SET session_replication_role = replica",
    "UPDATE audit_event SET actor = 'someone else'",
    "DELETE FROM audit_event",
    "TRUNCATE audit_event",
    "UPDATE audit_chain SET head = NULL",
    "SET ROLE zoning",
    "ALTER ROLE zoning_service SUPERUSER",
    "DROP TABLE audit_event",
]


@pytest.mark.parametrize("statement", ATTACKS)
def test_the_service_role_is_refused(attacked: tuple[str, Engine, Engine], statement: str) -> None:
    _url, _owner, service = attacked
    with pytest.raises(sa_exc.DBAPIError) as info, service.begin() as conn:
        conn.execute(text(statement))
    # 42501 insufficient_privilege covers "permission denied" and "must be owner" alike.
    assert info.value.orig.sqlstate == "42501", info.value  # type: ignore[union-attr]
    with service.connect() as conn:
        assert conn.execute(text("SELECT actor FROM audit_event")).scalars().all() == ["key:test0"]
        assert conn.execute(text("SHOW session_replication_role")).scalar_one() == "origin"


def _expected_hash(prev: str | None, row: Any) -> str:
    """SHA-256 of the jsonb array text, rebuilt in Python: jsonb prints arrays as ``[a, b]`` and
    objects as ``{"k": v}`` (PostgreSQL docs 8.14.1: jsonb keeps no whitespace of its own)."""
    at_us = (row.at - EPOCH) // timedelta(microseconds=1)
    values = [prev, row.id, at_us, row.actor, row.action, row.target, row.outcome, row.before, row.after]
    return hashlib.sha256(json.dumps(values, ensure_ascii=False).encode()).hexdigest()


def test_each_row_carries_its_predecessors_hash(db: tuple[str, Engine, Engine]) -> None:
    _url, _owner, service = db
    _events(service, 3)
    with service.begin() as conn:
        # A back-dated event with a chosen id: the trigger sets both itself.
        conn.execute(
            text(
                "INSERT INTO audit_event (id, at, actor, action, outcome) "
                "VALUES (1, '2001-01-01T00:00:00Z', 'backdater', 'probe', 'ok')"
            )
        )
    with service.connect() as conn:
        rows = conn.execute(text("SELECT * FROM audit_event ORDER BY id")).all()
        now = conn.execute(text("SELECT now()")).scalar_one()
    assert [r.actor for r in rows] == ["key:test0", "key:test1", "key:test2", "backdater"]
    assert rows[-1].id > rows[-2].id and abs(rows[-1].at - now) < timedelta(minutes=1)
    previous = None
    for row in rows:
        assert row.prev_hash == previous
        assert row.hash == _expected_hash(previous, row)
        previous = row.hash


def _verify(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str) -> tuple[int, str]:
    monkeypatch.setenv("ZONING_DATABASE_URL", url)
    code = cli.main(["audit", "verify"])
    return code, capsys.readouterr().out


def test_audit_verify_names_a_row_the_owner_edited(
    db: tuple[str, Engine, Engine], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url, owner, service = db
    _events(service, 4)
    code, out = _verify(monkeypatch, capsys, url)
    assert code == 0 and "audit chain intact: 4 event(s)" in out
    with owner.begin() as conn:
        ids = conn.execute(text("SELECT id FROM audit_event ORDER BY id")).scalars().all()
        conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_rewrite"))
        conn.execute(text("UPDATE audit_event SET actor = 'someone else' WHERE id = :i"), {"i": ids[1]})
        conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_rewrite"))
    code, out = _verify(monkeypatch, capsys, url)
    assert code == 1
    assert f"BROKEN audit event {ids[1]}: its content does not match its hash (the row was edited)" in out
    assert out.count("BROKEN") == 1


def test_audit_verify_catches_deleted_rows(
    db: tuple[str, Engine, Engine], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url, owner, service = db
    _events(service, 4)
    with owner.begin() as conn:
        ids = conn.execute(text("SELECT id FROM audit_event ORDER BY id")).scalars().all()
        conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_rewrite"))
        conn.execute(text("DELETE FROM audit_event WHERE id IN (:a, :b)"), {"a": ids[1], "b": ids[3]})
        conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_rewrite"))
    with owner.connect() as conn:
        report = verify_chain(conn)
    # The row after the deleted one no longer links to its predecessor; the tail's loss shows at
    # the head.
    assert [b.event_id for b in report.breaks] == [ids[2], None]
    code, out = _verify(monkeypatch, capsys, url)
    assert code == 1 and f"BROKEN audit event {ids[2]}" in out and "BROKEN audit chain head" in out


def test_rows_written_before_the_chain_join_it(cluster: localdb.LocalCluster) -> None:
    name = f"zoning_roles_{os.getpid()}_{secrets.token_hex(3)}"
    localdb.create_database(cluster, name)
    url = cluster.url(name)
    try:
        migrate(url, "0001")
        engine = make_engine(url)
        with engine.begin() as conn:
            for actor in ("a", "b"):
                conn.execute(
                    text("INSERT INTO audit_event (actor, action, outcome) VALUES (:a, 'probe', 'ok')"),
                    {"a": actor},
                )
        migrate(url)
        _events(engine, 1)
        with engine.connect() as conn:
            report = verify_chain(conn)
            rows = conn.execute(text("SELECT * FROM audit_event ORDER BY id")).all()
        assert report.ok and report.events == 3
        assert rows[0].prev_hash is None and rows[0].hash == _expected_hash(None, rows[0])
        assert rows[2].prev_hash == rows[1].hash == _expected_hash(rows[0].hash, rows[1])
        engine.dispose()
    finally:
        localdb.drop_database(cluster, name)


def test_tables_of_other_revisions_are_writable_but_never_deletable(cluster: localdb.LocalCluster) -> None:
    """Whichever side of 0003 another revision lands on once revisions are re-chained."""
    name = f"zoning_roles_{os.getpid()}_{secrets.token_hex(3)}"
    localdb.create_database(cluster, name)
    url = cluster.url(name)
    try:
        migrate(url, "0001")
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE earlier_revision (id serial PRIMARY KEY)"))
        migrate(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE later_revision (id serial PRIMARY KEY)"))
            granted = conn.execute(
                text(
                    "SELECT t, p, has_table_privilege(:r, t, p) FROM unnest(ARRAY['earlier_revision', "
                    "'later_revision']) t, unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p"
                ),
                {"r": cluster.service_user},
            ).all()
        engine.dispose()
        assert {(t, p): ok for t, p, ok in granted} == {
            (t, p): p in ("SELECT", "INSERT", "UPDATE")
            for t in ("earlier_revision", "later_revision")
            for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
        }
    finally:
        localdb.drop_database(cluster, name)
