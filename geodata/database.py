"""Engines, migrations, and the one boundary where database errors become domain errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy.exc as sa_exc
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text

from zoning.errors import DataIntegrityError, StoreUnavailable

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def make_engine(
    url: str,
    *,
    connect_timeout_s: int = 2,
    statement_timeout_ms: int = 15_000,
    pool_size: int = 5,
    pool_timeout_s: float = 2.0,
) -> Engine:
    """A sync SQLAlchemy engine (psycopg 3) that fails fast when the server is away.

    ``connect_timeout`` bounds a new connection, ``statement_timeout`` a query, ``pool_timeout``
    the wait for a pooled connection, and ``pool_pre_ping`` drops connections that died while the
    server was restarted — so requests answer 503 quickly instead of hanging, and the service
    recovers by itself when the server is back.
    """
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=pool_timeout_s,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={
            "connect_timeout": connect_timeout_s,
            "options": f"-c statement_timeout={statement_timeout_ms}",
            "application_name": "nanchang-zoning",
        },
    )


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn SQLAlchemy/driver errors into domain errors (by exception class, never by text)."""
    try:
        yield
    except sa_exc.IntegrityError as exc:
        diag = getattr(exc.orig, "diag", None)
        constraint = getattr(diag, "constraint_name", None)
        message = getattr(diag, "message_primary", None) or "integrity violation"
        detail = getattr(diag, "message_detail", None)
        raise DataIntegrityError(
            f"the store refused the data: {message}" + (f" ({detail})" if detail else ""),
            constraint=constraint,
        ) from exc
    except (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError) as exc:
        raise StoreUnavailable(
            "The PostGIS store cannot be reached or did not answer in time; try again shortly."
        ) from exc
    except sa_exc.DBAPIError as exc:
        if exc.connection_invalidated:
            raise StoreUnavailable(
                "The connection to the PostGIS store was lost; try again shortly."
            ) from exc
        raise


def ping(engine: Engine) -> None:
    """Round-trip the database; raises StoreUnavailable when it does not answer."""
    with translate_errors(), engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def alembic_config(url: str) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.attributes["url"] = url
    return cfg


def migrate(url: str, revision: str = "head") -> None:
    """Upgrade the database schema to a revision (default: the newest)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    """Downgrade the database schema to a revision (default: nothing)."""
    command.downgrade(alembic_config(url), revision)
