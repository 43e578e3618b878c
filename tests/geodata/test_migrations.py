"""Alembic revisions run up and down on a real PostGIS, and the schema refuses bad data itself."""

from __future__ import annotations

import pytest
import sqlalchemy.exc as sa_exc
from sqlalchemy import create_engine, text

from geodata.database import downgrade, migrate

TABLES = {
    "dataset_version",
    "admin_division",
    "control_unit",
    "access_rule",
    "water_source",
    "water_protection_zone",
    "ecological_redline",
    "nature_reserve_zone",
    "monitoring_point",
    "industrial_park",  # revision 0002
    "industry_category",
    "screening",
    "audit_event",
    "audit_chain",
    "api_key",
    "bulk_job",
}


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        names = conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys'"
            )
        ).scalars()
        result = set(names) - {"alembic_version"}
    engine.dispose()
    return result


def test_upgrade_head_then_downgrade_base_then_upgrade_again(empty_database_url: str) -> None:
    migrate(empty_database_url)
    assert _tables(empty_database_url) == TABLES
    engine = create_engine(empty_database_url)
    with engine.connect() as conn:
        geometry_columns = conn.execute(
            text("SELECT f_table_name, f_geometry_column, type, srid FROM geometry_columns ORDER BY 1")
        ).all()
        gist = conn.execute(
            text("SELECT count(*) FROM pg_indexes WHERE indexdef LIKE '%USING gist%' AND schemaname='public'")
        ).scalar_one()
    engine.dispose()
    assert geometry_columns == [
        ("admin_division", "geom", "MULTIPOLYGON", 4490),
        ("control_unit", "geom", "MULTIPOLYGON", 4490),
        ("ecological_redline", "geom", "MULTIPOLYGON", 4490),
        ("industrial_park", "geom", "MULTIPOLYGON", 4490),
        ("monitoring_point", "geom", "POINT", 4490),
        ("nature_reserve_zone", "geom", "MULTIPOLYGON", 4490),
        ("screening", "footprint", "GEOMETRY", 4490),
        ("water_protection_zone", "geom", "MULTIPOLYGON", 4490),
        ("water_source", "intake", "POINT", 4490),
    ]
    # one GiST index per geometry column, plus the exclusion constraint's
    assert gist == 10
    # 0005: screening records compressed with LZ4 (pg_attribute.attcompression 'l'; PostgreSQL 15
    # docs, "pg_attribute"), the test server being Debian's PostgreSQL, built with LZ4
    with engine.connect() as conn:
        compression = conn.execute(
            text(
                "SELECT attname, attcompression FROM pg_attribute WHERE attrelid = 'screening'::regclass "
                "AND attname IN ('request', 'result') ORDER BY 1"
            )
        ).all()
    engine.dispose()
    assert compression == [("request", "l"), ("result", "l")]
    downgrade(empty_database_url)
    assert _tables(empty_database_url) == set()
    migrate(empty_database_url)
    assert _tables(empty_database_url) == TABLES


VERSION_SQL = (
    "INSERT INTO dataset_version (label, title_zh, title_en, status, effective_from, effective_to, source, "
    "reconstruction, checksum, created_by, published_at) VALUES (:label, 't', 't', "
    "CAST(:status AS version_status), CAST(:f AS date), CAST(:t AS date), 's', true, repeat('a', 64), 'tests', "
    "CASE WHEN CAST(:status AS version_status) = 'draft' THEN NULL ELSE now() END) RETURNING id"
)
SQUARE = "ST_Multi(ST_GeomFromText('POLYGON((115 28,115.1 28,115.1 28.1,115 28.1,115 28))', 4490))"


@pytest.fixture()
def conn(empty_database_url: str):  # type: ignore[no-untyped-def]
    """A connection to a freshly migrated database of its own; its work is rolled back."""
    migrate(empty_database_url)
    engine = create_engine(empty_database_url)
    with engine.connect() as conn:
        trans = conn.begin()
        yield conn
        trans.rollback()
    engine.dispose()


def _version(conn, label: str, status: str = "draft", f: str | None = None, t: str | None = None) -> int:  # type: ignore[no-untyped-def]
    return conn.execute(text(VERSION_SQL), {"label": label, "status": status, "f": f, "t": t}).scalar_one()


def _refused(conn, sql: str, params: dict) -> str:  # type: ignore[no-untyped-def]
    """Run a statement that must be refused; return the violated constraint's name."""
    savepoint = conn.begin_nested()
    with pytest.raises(sa_exc.DBAPIError) as info:
        conn.execute(text(sql), params)
    savepoint.rollback()
    diag = info.value.orig.diag
    return diag.constraint_name or diag.message_primary


def test_two_versions_in_force_at_once_are_refused(conn) -> None:  # type: ignore[no-untyped-def]
    _version(conn, "a", "published", "2021-01-01", "2024-07-01")
    _version(conn, "b", "published", "2024-07-01", None)  # adjacent: fine
    name = _refused(conn, VERSION_SQL, {"label": "c", "status": "published", "f": "2024-01-01", "t": None})
    assert name == "one_version_in_force"
    _version(conn, "d", "draft")  # drafts are not in force: any number may exist


UNIT_SQL = (
    "INSERT INTO control_unit (version_id, code, name_zh, name_en, class, division_code, area_m2, geom) "
    f"VALUES (:v, :code, 'n', 'n', :cls, :div, 1, {SQUARE})"
)


def test_unit_codes_are_checked_by_the_database(conn) -> None:  # type: ignore[no-untyped-def]
    v = _version(conn, "u")
    conn.execute(
        text(
            f"INSERT INTO admin_division (version_id, code, name_zh, name_en, level, geom) "
            f"VALUES (:v, '360121', '南昌县', 'Nanchang County', 'county', {SQUARE})"
        ),
        {"v": v},
    )
    conn.execute(text(UNIT_SQL), {"v": v, "code": "ZH36012120003", "cls": "key", "div": "360121"})
    cases = {
        "ZH3601212003": "control_unit_code_check",  # one digit short
        "ZX36012120004": "control_unit_code_check",  # wrong prefix
        "ZH3601212000A": "control_unit_code_check",  # a letter in the sequence
        "ZH36012110004": "code_matches_class",  # digit 1 = priority, row says key
        "ZH36012320004": "code_matches_division",  # code names 360123, row says 360121
        "ZH36012120003": "control_unit_version_id_code_key",  # duplicate within the version
    }
    for code, constraint in cases.items():
        assert (
            _refused(conn, UNIT_SQL, {"v": v, "code": code, "cls": "key", "div": "360121"}) == constraint
        ), code
    # class digit 4 exists in no class: refused by the pattern or by the class match
    assert _refused(conn, UNIT_SQL, {"v": v, "code": "ZH36012140004", "cls": "key", "div": "360121"}) in {
        "control_unit_code_check",
        "code_matches_class",
    }
    # a class outside the enum
    message = _refused(conn, UNIT_SQL, {"v": v, "code": "ZH36012120009", "cls": "mixed", "div": "360121"})
    assert "invalid input value for enum control_class" in message


def test_invalid_geometry_and_wrong_srid_are_refused(conn) -> None:  # type: ignore[no-untyped-def]
    v = _version(conn, "g")
    bowtie = "ST_Multi(ST_GeomFromText('POLYGON((115 28,115.1 28.1,115.1 28,115 28.1,115 28))', 4490))"
    sql = (
        f"INSERT INTO admin_division (version_id, code, name_zh, name_en, level, geom) "
        f"VALUES (:v, '360121', 'x', 'x', 'county', {bowtie})"
    )
    assert _refused(conn, sql, {"v": v}) == "admin_division_geom_check"
    wrong_srid = SQUARE.replace("4490", "4326")
    sql = (
        f"INSERT INTO admin_division (version_id, code, name_zh, name_en, level, geom) "
        f"VALUES (:v, '360121', 'x', 'x', 'county', {wrong_srid})"
    )
    assert "SRID" in _refused(conn, sql, {"v": v})


def test_audit_events_are_append_only(conn) -> None:  # type: ignore[no-untyped-def]
    conn.execute(text("INSERT INTO audit_event (actor, action, outcome) VALUES ('tests', 'probe', 'ok')"))
    message = _refused(conn, "UPDATE audit_event SET actor = 'someone else'", {})
    assert message == "audit_event is append-only"
    assert _refused(conn, "DELETE FROM audit_event", {}) == "audit_event is append-only"
