"""The service as an operator runs it: `zoning serve` in its own process, called over real HTTP."""

from __future__ import annotations

import httpx

from tests.served import served


def test_zoning_serve_answers_over_http(database_url: str, fixture_versions: dict[str, int]) -> None:
    with served(database_url) as base:
        ok = httpx.get(base + "/v1/locate", params={"lon": 115.835, "lat": 28.635}, timeout=5)
        assert ok.status_code == 200
        assert ok.json()["control_unit"]["code"] == "ZH36010310001"
        for params, code in (
            ({"lon": "abc", "lat": 28.7}, "invalid_coordinate"),
            ({"lon": 115.9, "lat": 95}, "invalid_coordinate"),
            ({"lat": 28.7}, "missing_parameter"),
        ):
            r = httpx.get(base + "/v1/locate", params=params, timeout=5)
            assert r.status_code == 422
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["code"] == code
