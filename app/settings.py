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
    pool_size: int = Field(default=5, ge=1, le=100)
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


class Settings(BaseSettings):
    """All settings of one service instance."""

    model_config = SettingsConfigDict(env_prefix="ZONING_", env_file=".env", extra="ignore")

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    maps: MapSettings = Field(default_factory=MapSettings)
