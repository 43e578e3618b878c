"""Publishing over HTTP, as the service role: strict body, horizon, schedule, cancel (issue 12 item 2).

A database of its own: the fixture dataset (fixture-2023 in force from 2023-01-01) and a draft.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.main import create_app
from geodata import keys, localdb
from geodata.database import make_engine, migrate
from tests.conftest import settings_for
from tests.fixture_dataset import load_fixture_versions


@pytest.fixture()
def setup(cluster: localdb.LocalCluster) -> Iterator[tuple[TestClient, Engine, dict[str, str]]]:
    name = f"zoning_pubapi_{os.getpid()}_{secrets.token_hex(3)}"
    localdb.create_database(cluster, name)
    url = cluster.url(name)
    migrate(url)
    engine = make_engine(url)
    load_fixture_versions(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO dataset_version (label, title_zh, title_en, source, reconstruction, checksum, "
                "created_by) SELECT 'next', title_zh, title_en, source, reconstruction, checksum, created_by "
                "FROM dataset_version WHERE label = 'fixture-2023'"
            )
        )
        admin = {"X-API-Key": keys.create_key(conn, "publisher", ["admin"])[1]}
    with TestClient(create_app(settings_for(url))) as client:
        yield client, engine, admin
    engine.dispose()
    localdb.drop_database(cluster, name)


def _states(client: TestClient, admin: dict[str, str]) -> dict[str, tuple[str, bool]]:
    r = client.get("/v1/datasets", headers=admin)
    assert r.status_code == 200, r.text
    return {v["label"]: (v["status"], v["in_force"]) for v in r.json()}


def test_publish_body_refuses_unknown_fields(setup: tuple[TestClient, Engine, dict[str, str]]) -> None:
    client, _engine, admin = setup
    r = client.post(
        "/v1/datasets/next/publish",
        headers=admin,
        json={"effective_from": date.today().isoformat(), "efective_to": "2030-01-01"},
    )
    assert r.status_code == 422, r.text
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert body["errors"][0]["field"] == "efective_to"
    assert _states(client, admin)["next"] == ("draft", False)


def test_publish_ten_years_ahead_is_refused(setup: tuple[TestClient, Engine, dict[str, str]]) -> None:
    client, _engine, admin = setup
    ahead = (date.today() + timedelta(days=3653)).isoformat()
    r = client.post("/v1/datasets/next/publish", headers=admin, json={"effective_from": ahead})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "effective_from"
    assert "more than 366 days ahead" in r.json()["detail"]


def test_schedule_then_cancel(setup: tuple[TestClient, Engine, dict[str, str]]) -> None:
    client, engine, admin = setup
    day = (date.today() + timedelta(days=30)).isoformat()
    r = client.post("/v1/datasets/next/publish", headers=admin, json={"effective_from": day})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "scheduled" and r.json()["effective_from"] == day
    states = _states(client, admin)
    assert states["fixture-2023"] == ("published", True)
    assert states["next"] == ("scheduled", False)
    r = client.post("/v1/datasets/next/unpublish", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "label": "next",
        "status": "draft",
        "cancelled_effective_from": day,
        "in_force": "fixture-2023",
    }
    assert _states(client, admin)["next"] == ("draft", False)
    r = client.post("/v1/datasets/fixture-2023/unpublish", headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "label"
    assert client.post("/v1/datasets/next/unpublish").status_code == 401
    with engine.connect() as conn:
        events = conn.execute(
            text("SELECT action, target, outcome FROM audit_event WHERE action LIKE 'dataset.%' ORDER BY id")
        ).all()
    assert [tuple(e) for e in events] == [
        ("dataset.publish", "next", "ok"),
        ("dataset.unpublish", "next", "ok"),
        ("dataset.unpublish", "fixture-2023", "failed"),
    ]
