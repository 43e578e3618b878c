"""Health that tells the truth: readiness follows the database, and the service recovers by itself.

These tests stop and start a PostGIS cluster of their own (the test port + 1), so the rest of the suite
keeps its database.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from geodata import localdb
from geodata.database import make_engine, migrate
from tests.conftest import ROOT, TEST_PORT, settings_for
from tests.fixture_dataset import load_fixture_versions


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[localdb.LocalCluster]:
    cluster = localdb.LocalCluster(data_dir=ROOT / ".data" / "test-recovery", port=TEST_PORT + 1)
    localdb.up(cluster, log=lambda _m: None)
    localdb.drop_database(cluster, cluster.database)
    localdb.create_database(cluster)
    yield cluster
    localdb.down(cluster)


def _timed_get(client: TestClient, path: str):  # type: ignore[no-untyped-def]
    start = time.monotonic()
    response = client.get(path)
    return response, time.monotonic() - start


def test_empty_database_is_not_ready(own_cluster: localdb.LocalCluster) -> None:
    migrate(own_cluster.url())
    with TestClient(create_app(settings_for(own_cluster.url()))) as client:
        r = client.get("/readyz")
        assert r.status_code == 503
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "no_version_in_force"
        assert client.get("/healthz").json() == {"status": "ok"}
        located = client.get("/v1/locate", params={"lon": 115.85, "lat": 28.65})
        assert located.status_code == 503
        assert located.json()["code"] == "no_version_in_force"


def test_database_down_then_back(own_cluster: localdb.LocalCluster) -> None:
    engine = make_engine(own_cluster.url())
    load_fixture_versions(engine)
    engine.dispose()
    bindir = localdb.ensure_installed()
    with TestClient(create_app(settings_for(own_cluster.url()))) as client:
        assert client.get("/readyz").status_code == 200
        assert client.get("/v1/datasets").status_code == 200

        localdb.down(own_cluster)
        r, elapsed = _timed_get(client, "/readyz")
        assert r.status_code == 503 and elapsed < 2.0
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "store_unavailable"
        assert r.headers["retry-after"] == "5"
        r, elapsed = _timed_get(client, "/v1/datasets")
        assert r.status_code == 503 and elapsed < 2.0
        assert r.json()["code"] == "store_unavailable"
        # as_of reads another version from the store: 503 as well
        r, elapsed = _timed_get(client, "/v1/locate?lon=115.95&lat=28.65&as_of=2021-06-01")
        assert r.status_code == 503 and elapsed < 2.0
        # Today's answer comes from the worker's snapshot of the version in force, so point
        # location keeps answering while the store is away (and says which version it used).
        r = client.get("/v1/locate", params={"lon": 115.95, "lat": 28.65})
        assert r.status_code == 200
        assert r.json()["dataset"]["label"] == "fixture-2023"

        localdb.start(own_cluster, bindir)
        deadline = time.monotonic() + 10
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the service did not recover within 10 s"
            time.sleep(0.2)
        assert client.get("/v1/datasets").status_code == 200
        body = client.get("/v1/locate", params={"lon": 115.95, "lat": 28.65, "as_of": "2021-06-01"}).json()
        assert body["control_unit"]["code"] == "ZH36010230001"
