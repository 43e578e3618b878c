"""GET /v1/locate assembles its answer from per-record JSON fragments (issue 14 item 3).

The reference is the public schema itself: for random points across the city, the bytes served
must parse to exactly the document ``LocatePublic`` (the pydantic model the OpenAPI describes)
writes for the same domain result, and validate against that model.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import orjson
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.routes.locate import locate_public
from app.schemas import LocatePublic
from tests.conftest import settings_for
from zoning.locate import locate_point


@pytest.fixture(scope="module")
def client(nanchang_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(nanchang_url))) as c:
        yield c


def test_fragments_equal_the_public_model_on_random_points(client: TestClient) -> None:
    rng = np.random.default_rng(1414)
    snapshot = client.app.state.snapshots.current()  # type: ignore[attr-defined]
    lon = rng.uniform(115.55, 116.45, 400)
    lat = rng.uniform(28.25, 29.05, 400)
    answered = 0
    zones_seen = 0
    for x, y in zip(lon.tolist(), lat.tolist(), strict=True):
        r = client.get("/v1/locate", params={"lon": repr(x), "lat": repr(y)})
        if r.status_code == 422:  # outside the city: a problem, as before
            assert r.json()["code"] == "outside_city"
            continue
        assert r.status_code == 200, r.text
        expected = orjson.loads(locate_public(locate_point(snapshot, x, y)).model_dump_json(by_alias=True))
        assert orjson.loads(r.content) == expected
        LocatePublic.model_validate_json(r.content)
        answered += 1
        zones_seen += bool(expected["water_protection_zones"] or expected["ecological_redline"])
    assert answered > 150 and zones_seen > 0
