"""Service settings: pydantic-settings objects with the ``ZONING_`` prefix, passed in, never global."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from geodata.localdb import LocalCluster


class DatabaseSettings(BaseSettings):
    """Where the PostGIS store is: an external server by URL, or the project-managed local cluster."""

    model_config = SettingsConfigDict(
        env_prefix="ZONING_", env_file=".env", extra="ignore", populate_by_name=True
    )

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("ZONING_DATABASE_URL", "DATABASE_URL"),
        description="SQLAlchemy URL of an external PostGIS; unset = the local cluster.",
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
        """The URL the service connects to."""
        if self.database_url:
            url = self.database_url
            # Accept the plain libpq scheme people copy from elsewhere.
            for prefix in ("postgres://", "postgresql://"):
                if url.startswith(prefix):
                    return "postgresql+psycopg://" + url[len(prefix) :]
            return url
        return self.local_cluster().url()

    @property
    def uses_local_cluster(self) -> bool:
        return not self.database_url


class ServiceSettings(BaseSettings):
    """How the HTTP service behaves."""

    model_config = SettingsConfigDict(env_prefix="ZONING_", env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int | None = Field(
        default=None, ge=1, le=64, description="uvicorn worker processes (default: the CPU count)."
    )
    snapshot_check_interval_s: float = Field(
        default=5.0, gt=0, description="How often a worker checks which dataset version is in force."
    )
    readiness_timeout_s: float = Field(default=1.5, gt=0)


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


class Settings(BaseSettings):
    """All settings of one service instance."""

    model_config = SettingsConfigDict(env_prefix="ZONING_", env_file=".env", extra="ignore")

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    maps: MapSettings = Field(default_factory=MapSettings)
