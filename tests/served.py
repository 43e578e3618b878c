"""The service in its own process, as an operator runs it (`zoning serve`), for tests that need real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(database_url: str, *, timeout_s: float = 60, **env: str) -> Iterator[str]:
    """Run `python -m app.cli serve` on a free loopback port until it is ready; yield its base URL.

    The server's output is kept and shown only if it fails to become ready.
    """
    port = free_port()
    environment = {
        **os.environ,
        "ZONING_DATABASE_URL": database_url,
        "ZONING_PORT": str(port),
        "ZONING_WORKERS": "1",  # one snapshot build at start-up on the shared test machine
        **env,
    }
    environment.pop("ZONING_TILE_URL", None)
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve"], cwd=ROOT, env=environment, stdout=log, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(
                        "the service did not become ready:\n" + log.read().decode(errors="replace")
                    )
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=10)
