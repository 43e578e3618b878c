"""Property-based run over the whole OpenAPI (issue 12, item 6): no 5xx, and every documented answer
conforms to its documented schema, for inputs schemathesis generates from the schema itself.

Public routes are called anonymously (the default read and screening policy) and the admin routes
under ``/v1/datasets`` with an admin key. The run is bounded (EXAMPLES per operation, a fixed seed)
so that it stays under about three minutes on the 2-core CI machine, and it works on a database of
its own, since admin operations it generates may write (drafts, audit events).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from app.main import create_app
from app.settings import DatabaseSettings, SecuritySettings, ServiceSettings, Settings
from geodata import keys, localdb
from geodata.database import make_engine, migrate
from tests.fixture_dataset import load_fixture_versions

EXAMPLES = 30
SEED = 20261130
ADMIN_PREFIX = "/v1/datasets"


@pytest.fixture(scope="module")
def fuzz_app(cluster: localdb.LocalCluster) -> Iterator[tuple[Any, str]]:
    name = f"zoning_fuzz_{os.getpid()}_{secrets.token_hex(3)}"
    localdb.create_database(cluster, name)
    url = cluster.url(name)
    migrate(url)
    engine = make_engine(url)
    load_fixture_versions(engine)
    with engine.begin() as conn:
        admin_key = keys.create_key(conn, "schemathesis", ["admin"])[1]
    engine.dispose()
    app = create_app(
        Settings(
            database=DatabaseSettings(database_url=url),
            service=ServiceSettings(snapshot_check_interval_s=5),
            security=SecuritySettings(rate_limit_per_minute=0),
        )
    )
    with TestClient(app):  # runs the lifespan: engine and snapshots on app.state
        yield app, admin_key
    localdb.drop_database(cluster, name)


@pytest.fixture(scope="module")
def api_schema(fuzz_app: tuple[Any, str]) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app[0])


def _check(api_schema: Any, operation: Any, admin_key: str) -> None:
    headers = {"X-API-Key": admin_key} if operation.path.startswith(ADMIN_PREFIX) else None

    @seed(SEED)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as generated
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

    run()


def test_no_server_error_and_answers_match_their_schema(api_schema: Any, fuzz_app: tuple[Any, str]) -> None:
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 30  # the whole API: /v1, /ogc, maps, health
    for operation in operations:
        try:
            _check(api_schema, operation, fuzz_app[1])
        except Exception as exc:  # collect every operation's failure, then fail once with all of them
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
