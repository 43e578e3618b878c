"""Service settings: pydantic-settings objects with the ``ZONING_`` prefix, passed in, never global."""

from __future__ import annotations

import json
from ipaddress import ip_network
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from geodata.localdb import LocalCluster


class DatabaseSettings(BaseSettings):
    """Where the PostGIS store is: an external server by URL, or the project-managed local cluster."""

    model_config = SettingsConfigDict(
        env_prefix="ZONING_", env_file=".env", extra="ignore", populate_by_name=True
    )

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("ZONING_DATABASE_URL", "DATABASE_URL"),
        description="SQLAlchemy URL the service connects to on an external PostGIS, as its own "
        "non-owner role (README: database roles); unset = the local cluster as zoning_service.",
    )
    owner_database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("ZONING_OWNER_DATABASE_URL", "owner_database_url"),
        description="SQLAlchemy URL of the same database as the schema owner, for migrate, load, "
        "import, publish and audit verify; unset = ZONING_DATABASE_URL (one role for both) or, "
        "for the local cluster, its owner.",
    )
    data_dir: Path = Field(default=Path(".data"), description="Folder of the local cluster.")
    local_port: int = Field(default=55432, ge=1024, le=65535)
    connect_timeout_s: int = Field(default=2, ge=1, le=60)
    statement_timeout_ms: int = Field(default=15_000, ge=100)
    pool_size: int = Field(
        default=16,
        ge=1,
        le=100,
        description="pooled connections per worker (as many again on overflow); 16 measured best for "
        "OGC pages at 32 client connections on 2 cores (bench/ogc.py), 5 queued requests for seconds",
    )
    pool_timeout_s: float = Field(default=2.0, gt=0)

    def local_cluster(self) -> LocalCluster:
        return LocalCluster(data_dir=self.data_dir.resolve(), port=self.local_port)

    def resolved_url(self) -> str:
        """The URL the service connects to (the service role)."""
        if self.database_url:
            return _psycopg_url(self.database_url)
        return self.local_cluster().service_url()

    def resolved_owner_url(self) -> str:
        """The URL migrations, loads, imports and publishes from the CLI connect to (the owner)."""
        if self.owner_database_url:
            return _psycopg_url(self.owner_database_url)
        if self.database_url:
            return _psycopg_url(self.database_url)
        return self.local_cluster().url()

    @property
    def uses_local_cluster(self) -> bool:
        return not self.database_url


def _psycopg_url(url: str) -> str:
    # Accept the plain libpq scheme people copy from elsewhere.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class ServiceSettings(BaseSettings):
    """How the HTTP service behaves."""

    model_config = SettingsConfigDict(env_prefix="ZONING_", env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int | None = Field(
        default=None, ge=1, le=64, description="uvicorn worker processes (default: the CPU count)."
    )
    access_log: bool = Field(
        default=True,
        description="uvicorn's access log, one line per request (about a quarter of /healthz's "
        "throughput; switch it off where the reverse proxy logs requests).",
    )
    snapshot_check_interval_s: float = Field(
        default=5.0, gt=0, description="How often a worker checks which dataset version is in force."
    )
    readiness_timeout_s: float = Field(default=1.5, gt=0)
    publish_horizon_days: int = Field(
        default=366,
        ge=1,
        le=3660,
        description="How far ahead of today a publish may be dated (ZONING_PUBLISH_HORIZON_DAYS).",
    )


class MapSettings(BaseSettings):
    """The map pages: no basemap unless a tile URL is configured (an intranet has no OSM)."""

    model_config = SettingsConfigDict(env_prefix="ZONING_", env_file=".env", extra="ignore")

    tile_url: str | None = Field(
        default=None,
        description="XYZ tile URL template for a basemap, e.g. Tianditu with a key, an intranet tile "
        "server or https://tile.openstreetmap.org/{z}/{x}/{y}.png; unset = no basemap.",
    )
    tile_attribution: str = Field(default="", description="Attribution shown for the basemap.")


class SecuritySettings(BaseSettings):
    """Who may read, screen and administer; rate limits; which browser origins may call the API."""

    model_config = SettingsConfigDict(env_prefix="ZONING_", env_file=".env", extra="ignore")

    public_reads: bool = Field(default=True, description="reads without an API key")
    public_screening: bool = Field(default=True, description="screenings without an API key")
    rate_limit_per_minute: int = Field(
        default=6000, ge=0, description="per key or client address and worker; 0 = off"
    )
    cors_origins: list[str] = Field(default_factory=list, description="browser origins allowed (strict list)")
    auth_failures_per_minute: int = Field(
        default=20, ge=1, description="failed authentications a client may make a minute before 429"
    )
    client_buckets_max: int = Field(
        default=10_000, ge=100, description="rate-limit buckets kept per worker (least recently used dropped)"
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="addresses or CIDR blocks of reverse proxies whose X-Forwarded-For is believed "
        "(comma-separated or a JSON list); empty = the peer address is the client",
    )
    session_ttl_s: int = Field(
        default=8 * 3600, ge=60, le=30 * 86400, description="how long a map sign-in lasts (seconds)"
    )
    session_secret: str = Field(
        default="",
        description="extra secret mixed into session signatures (the same for every worker); sessions "
        "are in any case signed with a key derived from the signing-in API key's stored hash",
    )
    session_cookie_secure: bool = Field(
        default=False,
        description="always mark the session cookie Secure (it is whenever the request is https)",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [p.strip() for p in text.split(",") if p.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        for item in value:
            ip_network(item, strict=False)  # ValueError names the bad entry
        return value


class BulkSettings(BaseSettings):
    """Bulk screening jobs (``POST /v1/bulk-screenings``): where files go, limits, the Dask cluster."""

    model_config = SettingsConfigDict(env_prefix="ZONING_BULK_", env_file=".env", extra="ignore")

    jobs_dir: Path = Field(default=Path(".data/bulk"), description="uploads, parts and results of jobs")
    max_upload_bytes: int = Field(
        default=512 * 1024 * 1024,
        ge=1,
        le=8 * 1024**3,
        description="largest upload; larger is 413 before it is read",
    )
    allowed_paths: list[Path] = Field(
        default_factory=list, description="server folders whose files an admin key may submit by path"
    )
    scheduler: str | None = Field(
        default=None,
        validation_alias=AliasChoices("ZONING_DASK_SCHEDULER", "ZONING_BULK_SCHEDULER"),
        description="address of an existing Dask scheduler; unset = an embedded LocalCluster",
    )
    workers: int | None = Field(default=None, ge=1, description="workers of the embedded cluster")
    partition_rows: int = Field(default=1_000_000, ge=100)


class Settings(BaseSettings):
    """All settings of one service instance."""

    model_config = SettingsConfigDict(env_prefix="ZONING_", env_file=".env", extra="ignore")

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    maps: MapSettings = Field(default_factory=MapSettings)
    bulk: BulkSettings = Field(default_factory=BulkSettings)
