"""Shared fixtures: a real, throwaway PostGIS built by the project's own scripts and migrations.

The suite starts the project-managed cluster in ``.data/test`` on port 55433 (``zoning db up``
does the same for the service), creates a fresh database per test session, migrates it to head
as the owner and drops it at the end. Apps under test connect as the service role
(``zoning_service``, what a deployment runs as), so a privilege the service lacks fails a test.
Nothing is mocked.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url, text

from app.settings import DatabaseSettings, ServiceSettings, Settings
from geodata import localdb
from geodata.database import make_engine, migrate
from tests.fixture_dataset import load_fixture_versions

ROOT = Path(__file__).resolve().parent.parent
TEST_PORT = int(os.environ.get("ZONING_TEST_PORT", "55433"))


@pytest.fixture(scope="session")
def cluster() -> Iterator[localdb.LocalCluster]:
    """The test cluster, started for the session and stopped after it unless it was already up."""
    cluster = localdb.LocalCluster(data_dir=ROOT / ".data" / "test", port=TEST_PORT)
    was_running = localdb.is_running(cluster)
    localdb.up(cluster, log=lambda _msg: None)
    yield cluster
    if not was_running:
        localdb.down(cluster)


def _fresh_database(cluster: localdb.LocalCluster, prefix: str) -> str:
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    localdb.create_database(cluster, name)
    return name


@pytest.fixture(scope="session")
def database_url(cluster: localdb.LocalCluster) -> Iterator[str]:
    """A migrated, empty database for the session."""
    name = _fresh_database(cluster, "zoning_test")
    url = cluster.url(name)
    migrate(url)
    yield url
    localdb.drop_database(cluster, name)


@pytest.fixture()
def empty_database_url(cluster: localdb.LocalCluster) -> Iterator[str]:
    """A database with PostGIS and no schema, for migration tests."""
    name = _fresh_database(cluster, "zoning_mig")
    yield cluster.url(name)
    localdb.drop_database(cluster, name)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def fixture_versions(engine: Engine) -> dict[str, int]:
    """The small two-version fixture dataset of tests/fixture_dataset.py, loaded once."""
    ids = load_fixture_versions(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM control_unit")).scalar_one() == 6
    return ids


@pytest.fixture(scope="session")
def nanchang_url(cluster: localdb.LocalCluster) -> Iterator[str]:
    """A database holding the bundled Nanchang dataset (both versions), loaded once per session."""
    from geodata.loader import load_bundled

    name = _fresh_database(cluster, "zoning_test_nanchang")
    url = cluster.url(name)
    migrate(url)
    engine = make_engine(url)
    assert load_bundled(engine, log=lambda _m: None) == ["2021-plan", "2024-update"]
    engine.dispose()
    yield url
    localdb.drop_database(cluster, name)


def service_url(url: str) -> str:
    """The same database as the service role, when ``url`` is the owner's on the test cluster."""
    parsed = make_url(url)
    test_cluster = localdb.LocalCluster(data_dir=ROOT / ".data" / "test", port=TEST_PORT)
    if parsed.port != TEST_PORT or parsed.username != test_cluster.user:
        return url
    return test_cluster.service_url(parsed.database)


def settings_for(url: str, **service: object) -> Settings:
    return Settings(
        database=DatabaseSettings(database_url=service_url(url), owner_database_url=url),
        service=ServiceSettings(snapshot_check_interval_s=0.5, **service),
    )
