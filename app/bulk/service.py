"""Bulk jobs inside the service: one Dask client (made on first use), one thread per running job."""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import Engine

from app.bulk.runner import close_client, open_client, run_job

log = logging.getLogger(__name__)


class BulkService:
    """Runs recorded jobs in the background; the job table tells everyone how they are doing."""

    def __init__(self, engine: Engine, *, scheduler: str | None, workers: int | None) -> None:
        self._engine = engine
        self._scheduler = scheduler
        self._workers = workers
        self._lock = threading.Lock()
        self._client: Any = None
        self._threads: dict[str, threading.Thread] = {}

    def _get_client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = open_client(self._scheduler, self._workers)
            return self._client

    def submit(self, job_id: str) -> None:
        """Start running a recorded job in a background thread."""

        def work() -> None:
            try:
                run_job(self._engine, job_id, self._get_client())
            except Exception:  # recorded in the job row by run_job
                log.warning("bulk job %s ended with an error", job_id)

        thread = threading.Thread(target=work, name=f"bulk-{job_id}", daemon=True)
        self._threads[job_id] = thread
        thread.start()

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        """Wait for a job's thread (tests and shutdown)."""
        thread = self._threads.get(job_id)
        if thread is not None:
            thread.join(timeout)

    def close(self) -> None:
        for thread in list(self._threads.values()):
            thread.join(timeout=30)
        with self._lock:
            if self._client is not None:
                close_client(self._client)
                self._client = None
