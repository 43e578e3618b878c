"""The project-managed local PostGIS: a PostgreSQL cluster in a git-ignored project folder.

``zoning db up`` makes sure PostgreSQL and PostGIS are installed (Debian packages via apt when
missing and we are root), creates a cluster under ``<data_dir>/postgres``, runs it as a non-root
user (PostgreSQL refuses to run as root) bound to 127.0.0.1, creates the database and the
``postgis`` extension, and waits until it answers. Every step is idempotent.

Two roles: the owner (``zoning``, the cluster's superuser) runs migrations and loads; the service
logs in as ``zoning_service``, no superuser and owner of nothing, holding only the privileges that
migration 0003 grants it (it cannot rewrite or delete audit events, nor disable their trigger).
Each password is generated once and kept in ``<data_dir>/postgres.credentials`` (owner) and
``<data_dir>/postgres-service.credentials`` (service), mode 0600; the cluster accepts only
scram-sha-256 logins over TCP on loopback.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

DEBIAN_POSTGRES_MAJOR = "15"
"""The PostgreSQL major version of Debian 12 (bookworm); the one installed when none is."""


SERVICE_ROLE = "zoning_service"
"""The service's login role; migration 0003 grants it what the service needs and no more."""

DPKG_LOCK_WAIT_S = 300.0
"""How long ``zoning db up`` waits for another package manager to let go of the dpkg lock."""


class LocalDatabaseError(RuntimeError):
    """The local cluster could not be installed, created, started or reached."""


@dataclass(frozen=True)
class LocalCluster:
    """Where and how the project-managed cluster lives."""

    data_dir: Path
    port: int = 55432
    database: str = "zoning"
    user: str = "zoning"
    service_user: str = SERVICE_ROLE
    os_user: str = "postgres"

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "postgres"

    @property
    def socket_dir(self) -> Path:
        return self.data_dir / "postgres-run"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "postgres.log"

    @property
    def credentials_file(self) -> Path:
        return self.data_dir / "postgres.credentials"

    @property
    def service_credentials_file(self) -> Path:
        return self.data_dir / "postgres-service.credentials"

    def _secret(self, path: Path) -> str:
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(24) + "\n")
            path.chmod(0o600)
        return path.read_text().strip()

    def password(self) -> str:
        """The owner's (superuser's) password, made on first use."""
        return self._secret(self.credentials_file)

    def service_password(self) -> str:
        """The service role's password, made on first use."""
        return self._secret(self.service_credentials_file)

    def url(self, database: str | None = None) -> str:
        """SQLAlchemy URL (psycopg 3 driver) of a database on this cluster, as the owner."""
        return (
            f"postgresql+psycopg://{self.user}:{quote(self.password(), safe='')}"
            f"@127.0.0.1:{self.port}/{database or self.database}"
        )

    def service_url(self, database: str | None = None) -> str:
        """SQLAlchemy URL of a database on this cluster, as the service role."""
        return (
            f"postgresql+psycopg://{self.service_user}:{quote(self.service_password(), safe='')}"
            f"@127.0.0.1:{self.port}/{database or self.database}"
        )

    def conninfo(self, database: str | None = None) -> str:
        """libpq connection string of a database on this cluster."""
        return (
            f"host=127.0.0.1 port={self.port} user={self.user} dbname={database or self.database} "
            f"password={self.password()} connect_timeout=3"
        )


def _bindir() -> Path | None:
    """Directory of the newest installed PostgreSQL server binaries, if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _postgis_available(bindir: Path) -> bool:
    pg_config = bindir / "pg_config"
    if pg_config.exists():
        share = subprocess.run(
            [str(pg_config), "--sharedir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if share:
            return Path(share, "extension", "postgis.control").exists()
    major = bindir.parent.name
    return Path(f"/usr/share/postgresql/{major}/extension/postgis.control").exists()


def ensure_installed(log: Callable[[str], object] = print) -> Path:
    """Make sure PostgreSQL and PostGIS server packages are installed; return the bin directory."""
    bindir = _bindir()
    if bindir is not None and _postgis_available(bindir):
        return bindir
    major = bindir.parent.name if bindir is not None else DEBIAN_POSTGRES_MAJOR
    packages = [f"postgresql-{major}", f"postgresql-{major}-postgis-3"]
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise LocalDatabaseError(
            "PostgreSQL with PostGIS is not installed and cannot be installed from here "
            f"(needs root and apt-get). Install {' '.join(packages)}, or set "
            "ZONING_DATABASE_URL to an existing PostGIS."
        )
    log(f"installing {' '.join(packages)} with apt-get …")
    _apt(["update", "-q"], log)
    _apt(["install", "-y", "-q", "--no-install-recommends", *packages], log)
    bindir = _bindir()
    if bindir is None or not _postgis_available(bindir):
        raise LocalDatabaseError(f"installed {' '.join(packages)} but PostGIS is still not found")
    return bindir


def _apt(
    arguments: list[str],
    log: Callable[[str], object],
    *,
    lock_wait_s: float = DPKG_LOCK_WAIT_S,
    apt_get: str = "apt-get",
    lock_file: Path = Path("/var/lib/dpkg/lock-frontend"),
) -> None:
    """Run apt-get, waiting for the dpkg lock another apt holds; a failure is one clear line.

    ``DPkg::Lock::Timeout`` (apt ≥ 1.9.11) makes apt itself wait for the dpkg frontend lock and
    the lists lock instead of failing at once; we say so first, because the wait may be long.
    """
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    argv = [apt_get, "-o", f"DPkg::Lock::Timeout={int(lock_wait_s)}", *arguments]
    if _dpkg_locked(lock_file):
        log(f"waiting up to {lock_wait_s:.0f} s for another package manager to release the dpkg lock …")
    try:
        result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise LocalDatabaseError(f"apt-get {arguments[0]} could not run: {exc}") from exc
    if result.returncode != 0:
        lines = [ln.strip() for ln in (result.stderr or result.stdout).splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("E:")] or lines[-1:] or ["no output"]
        raise LocalDatabaseError(f"apt-get {arguments[0]} failed (exit {result.returncode}): {errors[0]}")


def _dpkg_locked(lock: Path) -> bool:
    """Whether another process holds the dpkg frontend lock (an fcntl probe, as apt does)."""
    import fcntl

    try:
        with open(lock, "a") as handle:
            try:
                fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.lockf(handle, fcntl.LOCK_UN)
    except OSError:
        return False
    return False


def _as_db_user(cluster: LocalCluster, argv: list[str]) -> list[str]:
    """Wrap a command so that it runs as the cluster's OS user when we are root."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", cluster.os_user, "--", *argv]


def _chown_for_cluster(cluster: LocalCluster, path: Path) -> None:
    if os.geteuid() != 0:
        return
    entry = pwd.getpwnam(cluster.os_user)
    os.chown(path, entry.pw_uid, entry.pw_gid)


def _check_reachable(cluster: LocalCluster) -> None:
    """The OS user must be able to reach the data directory through every parent folder."""
    if os.geteuid() != 0:
        return
    probe = subprocess.run(_as_db_user(cluster, ["test", "-w", str(cluster.data_dir)]), check=False)
    if probe.returncode != 0:
        raise LocalDatabaseError(
            f"user {cluster.os_user!r} cannot write {cluster.data_dir}: a parent folder is not "
            "traversable; set ZONING_DATA_DIR to a folder it can reach"
        )


def is_running(cluster: LocalCluster) -> bool:
    """Whether the cluster's postmaster is up (by its pid file and a signal-0 probe)."""
    pidfile = cluster.pgdata / "postmaster.pid"
    try:
        pid = int(pidfile.read_text().splitlines()[0])
    except (FileNotFoundError, IndexError, ValueError, PermissionError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_ready(cluster: LocalCluster, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(cluster.conninfo("postgres"), connect_timeout=2):
                return
        except psycopg.OperationalError as exc:
            last = exc
            time.sleep(0.2)
    raise LocalDatabaseError(f"the local cluster did not answer within {timeout:.0f} s: {last}")


def init_cluster(cluster: LocalCluster, bindir: Path) -> bool:
    """Create the cluster folder if it does not exist; return whether it was created."""
    if (cluster.pgdata / "PG_VERSION").exists():
        return False
    cluster.data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(cluster.data_dir, 0o755)
    _chown_for_cluster(cluster, cluster.data_dir)
    _check_reachable(cluster)
    password = cluster.password()
    pwfile = cluster.data_dir / ".pwfile"
    pwfile.write_text(password + "\n")
    pwfile.chmod(0o600)
    _chown_for_cluster(cluster, pwfile)
    try:
        subprocess.run(
            _as_db_user(
                cluster,
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(cluster.pgdata),
                    "-U",
                    cluster.user,
                    f"--pwfile={pwfile}",
                    "--auth-host=scram-sha-256",
                    "--auth-local=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ],
            ),
            check=True,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as exc:
        raise LocalDatabaseError(f"initdb failed: {exc.stderr.strip()}") from exc
    finally:
        pwfile.unlink(missing_ok=True)
    return True


def start(cluster: LocalCluster, bindir: Path) -> None:
    """Start the postmaster on 127.0.0.1:<port> and wait until it accepts logins."""
    if is_running(cluster):
        _wait_ready(cluster)
        return
    cluster.socket_dir.mkdir(parents=True, exist_ok=True)
    _chown_for_cluster(cluster, cluster.socket_dir)
    cluster.log_file.touch(exist_ok=True)
    _chown_for_cluster(cluster, cluster.log_file)
    options = (
        f"-c listen_addresses=127.0.0.1 -p {cluster.port} -k {cluster.socket_dir} "
        "-c max_connections=100 -c shared_buffers=256MB -c fsync=on"
    )
    result = subprocess.run(
        _as_db_user(
            cluster,
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(cluster.pgdata),
                "-l",
                str(cluster.log_file),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        tail = cluster.log_file.read_text(errors="replace").splitlines()[-10:]
        raise LocalDatabaseError(
            "pg_ctl start failed: "
            + (result.stderr.strip() or result.stdout.strip())
            + "\n"
            + "\n".join(tail)
        )
    _wait_ready(cluster)


def create_database(cluster: LocalCluster, name: str | None = None) -> None:
    """Create the database (if missing) with the postgis extension."""
    name = name or cluster.database
    with psycopg.connect(cluster.conninfo("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(cluster.conninfo(name), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def drop_database(cluster: LocalCluster, name: str) -> None:
    """Drop a database of the cluster, closing its connections first."""
    with psycopg.connect(cluster.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def ensure_service_role(cluster: LocalCluster) -> None:
    """Create (or re-password) the service's login role: no superuser, no CREATEDB/CREATEROLE.

    Its privileges come from the migrations (0003), database by database; the password is the one
    in the service credentials file, so the file stays the truth after a re-run.
    """
    with psycopg.connect(cluster.conninfo("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (cluster.service_user,)).fetchone()
        verb = sql.SQL("ALTER ROLE" if exists else "CREATE ROLE")
        conn.execute(
            sql.SQL(
                "{} {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD {}"
            ).format(verb, sql.Identifier(cluster.service_user), sql.Literal(cluster.service_password()))
        )


def up(cluster: LocalCluster, log: Callable[[str], object] = print) -> str:
    """Install, create, start and prepare the local cluster and both roles; return the owner URL."""
    bindir = ensure_installed(log)
    if init_cluster(cluster, bindir):
        log(f"created a PostgreSQL cluster in {cluster.pgdata}")
    start(cluster, bindir)
    ensure_service_role(cluster)
    create_database(cluster)
    return cluster.url()


def down(cluster: LocalCluster) -> bool:
    """Stop the cluster (fast shutdown); return whether it was running."""
    if not is_running(cluster):
        return False
    bindir = _bindir()
    if bindir is None:
        raise LocalDatabaseError("PostgreSQL binaries not found; cannot stop the cluster")
    subprocess.run(
        _as_db_user(cluster, [str(bindir / "pg_ctl"), "-D", str(cluster.pgdata), "-m", "fast", "-w", "stop"]),
        check=True,
        capture_output=True,
    )
    return True


def status(cluster: LocalCluster) -> dict[str, object]:
    """What a person asks of the cluster: does it exist, does it run, where."""
    return {
        "pgdata": str(cluster.pgdata),
        "initialised": (cluster.pgdata / "PG_VERSION").exists(),
        "running": is_running(cluster),
        "host": "127.0.0.1",
        "port": cluster.port,
        "database": cluster.database,
        "user": cluster.user,
        "service_user": cluster.service_user,
    }
