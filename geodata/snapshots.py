"""Keeping a worker's zoning snapshots in step with the store.

``SnapshotCache.current()`` returns the snapshot of the version in force today; ``refresh()``
(called at start-up and then every few seconds by the service) asks the store which version that
is and, when it changed, builds the new snapshot before swapping one reference — readers hold
either the old snapshot or the new one, never a mix. Snapshots of past versions (``as_of``) are
built on demand and kept in a small cache.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections import OrderedDict
from datetime import date

from sqlalchemy import Engine

from geodata import repository
from geodata.database import translate_errors
from zoning.errors import NoVersionInForce, StoreUnavailable
from zoning.industry import IndustryCatalogue
from zoning.snapshot import ZoningSnapshot

log = logging.getLogger(__name__)


class SnapshotCache:
    """The snapshot in force plus a few snapshots of other versions, keyed by version id."""

    def __init__(self, engine: Engine, *, keep: int = 4) -> None:
        self._engine = engine
        self._keep = keep
        self._lock = threading.Lock()
        self._current: ZoningSnapshot | None = None
        self._by_id: OrderedDict[tuple[int, str], ZoningSnapshot] = OrderedDict()
        self._catalogue: IndustryCatalogue | None = None
        self.last_error: str | None = None

    def catalogue(self) -> IndustryCatalogue:
        """The GB/T 4754 catalogue, read from the store once (it is not versioned)."""
        catalogue = self._catalogue
        if catalogue is None or len(catalogue) == 0:
            with translate_errors(), self._engine.connect() as conn:
                catalogue = IndustryCatalogue(repository.read_industries(conn))
            self._catalogue = catalogue
        return catalogue

    def current(self) -> ZoningSnapshot:
        """The snapshot of the version in force, as of the last refresh."""
        snapshot = self._current
        if snapshot is None:
            raise NoVersionInForce(self.last_error or "no dataset version is in force")
        return snapshot

    @property
    def ready(self) -> bool:
        return self._current is not None

    def refresh(self, today: date | None = None) -> bool:
        """Swap in the snapshot of today's version when it changed; return whether it swapped."""
        today = today or date.today()
        try:
            with translate_errors(), self._engine.connect() as conn:
                info = repository.version_in_force(conn, today)
                current = self._current
                if current is not None and (current.version.id, current.version.checksum) == (
                    info.id,
                    info.checksum,
                ):
                    self.last_error = None
                    return False
                snapshot = self._get_or_build(conn, info)
        except NoVersionInForce as exc:
            self.last_error = exc.detail
            self._current = None
            return True
        except StoreUnavailable as exc:
            # Keep serving the snapshot we have; readiness reports the store separately.
            self.last_error = exc.detail
            return False
        self._current = snapshot
        self.last_error = None
        # A snapshot is a few hundred thousand long-lived objects: move them out of the cyclic
        # collector's reach so that its full collections do not pause requests for milliseconds.
        gc.collect()
        gc.freeze()
        log.info("zoning snapshot now %s (%s units)", snapshot.version.label, snapshot.unit_count)
        return True

    def for_date(self, on: date) -> ZoningSnapshot:
        """The snapshot of the version in force on a date (reads the store unless cached)."""
        current = self._current
        if current is not None and on == date.today():
            return current
        with translate_errors(), self._engine.connect() as conn:
            info = repository.version_in_force(conn, on, asked=on != date.today())
            if (
                current is not None
                and current.version.id == info.id
                and current.version.checksum == info.checksum
            ):
                return current
            return self._get_or_build(conn, info)

    def _get_or_build(self, conn, info) -> ZoningSnapshot:  # type: ignore[no-untyped-def]
        key = (info.id, info.checksum)
        with self._lock:
            cached = self._by_id.get(key)
            if cached is not None:
                self._by_id.move_to_end(key)
                return cached
        snapshot = repository.read_snapshot(conn, info)
        with self._lock:
            self._by_id[key] = snapshot
            while len(self._by_id) > self._keep:
                self._by_id.popitem(last=False)
        return snapshot
