"""Publishing with a date: bounded ahead, scheduled without relabelling early, cancellable.

Issue 12 item 2. "Today" is passed in, so the dates below are fixed: the version in force took
effect 2024-07-01 and today is 2026-11-30; the horizon is 366 days (so 2027-12-01 is the last day
a publish may name, 2026-11-30 + 366 d by the calendar).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine, text

from app import cli
from geodata import localdb, repository
from geodata.database import make_engine, migrate
from geodata.publishing import publish, unpublish
from geodata.snapshots import SnapshotCache
from tests.fixture_dataset import load_fixture_versions
from zoning.errors import InvalidInput

TODAY = date(2026, 11, 30)
ACTOR = "test:publishing"


@pytest.fixture()
def db(cluster: localdb.LocalCluster) -> Iterator[tuple[str, Engine]]:
    """The fixture dataset (fixture-2023 in force from 2023-01-01) plus two copies as drafts."""
    name = f"zoning_pub_{os.getpid()}_{secrets.token_hex(3)}"
    localdb.create_database(cluster, name)
    url = cluster.url(name)
    migrate(url)
    engine = make_engine(url)
    load_fixture_versions(engine)
    with engine.begin() as conn:
        for label in ("next", "other"):
            conn.execute(
                text(
                    "INSERT INTO dataset_version (label, title_zh, title_en, source, reconstruction, checksum, "
                    "created_by) SELECT :l, title_zh, title_en, source, reconstruction, checksum, created_by "
                    "FROM dataset_version WHERE label = 'fixture-2023'"
                ),
                {"l": label},
            )
    yield url, engine
    engine.dispose()
    localdb.drop_database(cluster, name)


def _versions(engine: Engine) -> dict[str, tuple[str, str | None, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT label, status::text, effective_from::text, effective_to::text FROM dataset_version")
        ).all()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def _audit(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT action, target, outcome FROM audit_event WHERE action LIKE 'dataset.%publish' "
                "ORDER BY id"
            )
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_status_on_a_day() -> None:
    d = date(2027, 3, 1)
    assert repository.status_on("draft", None, None, TODAY) == "draft"
    assert repository.status_on("published", d, None, TODAY) == "scheduled"
    assert repository.status_on("published", d, None, d) == "published"
    # The version in force until d keeps its label until d, and is superseded from d on.
    assert repository.status_on("published", date(2023, 1, 1), d, TODAY) == "published"
    assert repository.status_on("published", date(2023, 1, 1), d, d) == "superseded"


def test_a_publish_ten_years_ahead_is_refused(db: tuple[str, Engine]) -> None:
    _url, engine = db
    with pytest.raises(InvalidInput) as info:
        publish(engine, "next", date(2036, 11, 30), actor=ACTOR, today=TODAY)
    assert info.value.field == "effective_from"
    assert "more than 366 days ahead (latest 2027-12-01)" in info.value.detail
    with pytest.raises(InvalidInput):
        publish(engine, "next", "2205-01-01", actor=ACTOR, today=TODAY)  # the typo
    with pytest.raises(InvalidInput):
        publish(engine, "next", date(2027, 12, 2), actor=ACTOR, today=TODAY)  # one day past
    assert _versions(engine)["fixture-2023"] == ("published", "2023-01-01", None)
    assert _audit(engine) == [("dataset.publish", "next", "failed")] * 3
    # The last day within the horizon is accepted; a smaller horizon refuses it.
    with pytest.raises(InvalidInput):
        publish(engine, "next", date(2027, 12, 1), actor=ACTOR, today=TODAY, horizon_days=30)
    assert publish(engine, "next", date(2027, 12, 1), actor=ACTOR, today=TODAY)["status"] == "scheduled"


def test_a_scheduled_publish_leaves_the_version_in_force_alone_until_its_date(db: tuple[str, Engine]) -> None:
    _url, engine = db
    day = date(2027, 3, 1)
    result = publish(engine, "next", day, actor=ACTOR, today=TODAY)
    assert result == {
        "label": "next",
        "status": "scheduled",
        "effective_from": "2027-03-01",
        "superseded": {"in_force": "fixture-2023", "effective_from": "2023-01-01"},
    }
    assert _versions(engine)["fixture-2023"] == ("published", "2023-01-01", "2027-03-01")
    # A second publish is refused while one is scheduled, and its settling relabels nothing early.
    with pytest.raises(InvalidInput) as info:
        publish(engine, "other", date(2027, 6, 1), actor=ACTOR, today=date(2027, 2, 28))
    assert "'next' is already scheduled from 2027-03-01" in info.value.detail
    assert _versions(engine)["fixture-2023"][0] == "published"
    with engine.connect() as conn:
        assert repository.version_in_force(conn, TODAY).label == "fixture-2023"
        assert repository.version_in_force(conn, date(2027, 2, 28)).label == "fixture-2023"
        assert repository.version_in_force(conn, day).label == "next"
        listed = {v["label"]: v["status"] for v in repository.list_versions(conn, TODAY)}
        assert listed == {
            "fixture-2020": "superseded",
            "fixture-2023": "published",
            "next": "scheduled",
            "other": "draft",
        }
        listed = {v["label"]: v["status"] for v in repository.list_versions(conn, day)}
        assert listed["fixture-2023"] == "superseded" and listed["next"] == "published"
    # Services switch snapshots on the day, not before.
    cache = SnapshotCache(engine)
    cache.refresh(today=date(2027, 2, 28))
    assert cache.current().version.label == "fixture-2023"
    assert cache.refresh(today=day) is True
    assert cache.current().version.label == "next"
    # Once the day has come the stored status catches up at the next publish or cancellation.
    with pytest.raises(InvalidInput) as info:
        unpublish(engine, "next", actor=ACTOR, today=day)
    assert "'next' is published, not scheduled" in info.value.detail
    assert _versions(engine)["fixture-2023"] == ("superseded", "2023-01-01", "2027-03-01")


def test_a_scheduled_publish_is_cancelled(db: tuple[str, Engine]) -> None:
    _url, engine = db
    publish(engine, "next", date(2027, 3, 1), actor=ACTOR, today=TODAY)
    result = unpublish(engine, "next", actor=ACTOR, today=TODAY)
    assert result == {
        "label": "next",
        "status": "draft",
        "cancelled_effective_from": "2027-03-01",
        "in_force": "fixture-2023",
    }
    versions = _versions(engine)
    assert versions["next"] == ("draft", None, None)
    assert versions["fixture-2023"] == ("published", "2023-01-01", None)
    # In force or superseded versions answered requests: they are never unpublished.
    for label, state in (("fixture-2023", "published"), ("fixture-2020", "superseded"), ("next", "draft")):
        with pytest.raises(InvalidInput) as info:
            unpublish(engine, label, actor=ACTOR, today=TODAY)
        assert info.value.field == "label" and f"is {state}, not scheduled" in info.value.detail
    # The cancelled draft can be published again, on another date.
    assert publish(engine, "next", date(2027, 1, 1), actor=ACTOR, today=TODAY)["status"] == "scheduled"
    assert _audit(engine) == [
        ("dataset.publish", "next", "ok"),
        ("dataset.unpublish", "next", "ok"),
        ("dataset.unpublish", "fixture-2023", "failed"),
        ("dataset.unpublish", "fixture-2020", "failed"),
        ("dataset.unpublish", "next", "failed"),
        ("dataset.publish", "next", "ok"),
    ]


def test_cli_publish_and_unpublish(
    db: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url, engine = db
    monkeypatch.setenv("ZONING_DATABASE_URL", url)
    ahead = date.today().replace(year=date.today().year + 10).isoformat()
    assert cli.main(["publish", "next", "--effective", ahead]) == 2
    assert "more than 366 days ahead" in capsys.readouterr().out
    soon = date.fromordinal(date.today().toordinal() + 30).isoformat()
    assert cli.main(["publish", "next", "--effective", soon]) == 0
    out = capsys.readouterr().out
    assert f"scheduled next from {soon}; fixture-2023 stays in force until that day" in out
    assert cli.main(["unpublish", "next"]) == 0
    assert "it is a draft again; fixture-2023 stays in force" in capsys.readouterr().out
    assert _versions(engine)["next"] == ("draft", None, None)
    monkeypatch.setenv("ZONING_PUBLISH_HORIZON_DAYS", "10")
    assert cli.main(["publish", "next", "--effective", soon]) == 2
    assert "more than 10 days ahead" in capsys.readouterr().out
