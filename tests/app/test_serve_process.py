"""The service as an operator runs it: `zoning serve` in its own process, called over real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx

from tests.conftest import ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_zoning_serve_answers_over_http(database_url: str, fixture_versions: dict[str, int]) -> None:
    port = _free_port()
    env = {**os.environ, "ZONING_DATABASE_URL": database_url, "ZONING_PORT": str(port)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else "exited"
            assert time.monotonic() < deadline, "service not ready within 30 s"
            time.sleep(0.2)
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
    finally:
        proc.terminate()
        proc.wait(timeout=10)
