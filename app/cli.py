"""The ``zoning`` command for operators.

zoning db up | down | status     the project-managed local PostGIS
zoning migrate [REVISION]        Alembic upgrade (default head)
zoning load                      load the bundled Nanchang dataset (idempotent)
zoning validate [--version L]    coverage report of the bundled dataset; non-zero exit when off
zoning keys create|revoke|list   API keys (stored hashed; every change audited)
zoning import PATH…              official files (zip, folder, .gpkg, .geojson, .shp) as a draft
zoning publish LABEL --effective D   put a draft in force from D (scheduled when D is ahead)
zoning unpublish LABEL           cancel a scheduled publish (audited)
zoning audit verify              recompute the audit trail's hash chain; non-zero exit on a break
zoning serve [--workers N]       run the HTTP service (uvicorn, uvloop + httptools)
zoning run                       all of the above that a fresh machine needs, then serve
zoning bulk INPUT --out OUTPUT   screen a file of sites in bulk on Dask (resumable)
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from app.settings import Settings
from geodata import localdb
from geodata.database import make_engine, migrate
from zoning.errors import ZoningError


def _say(message: str) -> None:
    print(f"zoning: {message}", flush=True)


def _ensure_database(settings: Settings) -> str:
    """Bring up the local cluster unless an external URL is configured; return the owner's URL
    (operator commands migrate, load, import and publish as the owner; the service does not)."""
    db = settings.database
    if db.uses_local_cluster:
        localdb.up(db.local_cluster(), log=_say)
        _say(f"local PostGIS ready on 127.0.0.1:{db.local_port} ({db.local_cluster().pgdata})")
    return db.resolved_owner_url()


def cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    cluster = settings.database.local_cluster()
    if args.action == "up":
        if not settings.database.uses_local_cluster:
            _say("ZONING_DATABASE_URL is set: the service uses that server; starting the local one anyway")
        localdb.up(cluster, log=_say)
        _say(f"up: 127.0.0.1:{cluster.port}, database {cluster.database}, data in {cluster.pgdata}")
    elif args.action == "down":
        _say("stopped" if localdb.down(cluster) else "was not running")
    else:
        print(json.dumps(localdb.status(cluster), indent=2))
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    url = _ensure_database(settings)
    migrate(url, args.revision)
    _say(f"schema at {args.revision}")
    return 0


def cmd_load(settings: Settings, args: argparse.Namespace) -> int:
    from geodata.loader import load_bundled

    url = _ensure_database(settings)
    migrate(url)
    engine = make_engine(url)
    try:
        loaded = load_bundled(engine, log=_say)
    finally:
        engine.dispose()
    _say("loaded " + (", ".join(loaded) if loaded else "nothing new: the bundled versions are in place"))
    return 0


def cmd_validate(settings: Settings, args: argparse.Namespace) -> int:
    from geodata.coverage import coverage_report, load_bundled_layers
    from geodata.loader import BUNDLED_DATA, bundled_versions

    data_dir = Path(args.data_dir) if args.data_dir else BUNDLED_DATA
    labels = [args.version] if args.version else bundled_versions(data_dir)
    failed = False
    for label in labels:
        report = coverage_report(load_bundled_layers(label, data_dir))
        print(f"== {label} ==")
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        failed |= not report.ok
    return 1 if failed else 0


def cmd_keys(settings: Settings, args: argparse.Namespace) -> int:
    from geodata import keys

    url = _ensure_database(settings)
    migrate(url)
    engine = make_engine(url)
    actor = f"cli:{getpass.getuser()}"
    try:
        with engine.begin() as conn:
            if args.action == "create":
                if not args.name:
                    raise ZoningError("zoning keys create needs --name", field="name")
                key, text = keys.create_key(conn, args.name, args.scopes.split(","))
                keys.record_event(
                    conn,
                    actor=actor,
                    action="key.create",
                    target=key.prefix,
                    outcome="ok",
                    after={"name": key.name, "scopes": list(key.scopes)},
                )
                print(text)
                _say(
                    f"created key {key.prefix} ({key.name}, scopes {','.join(key.scopes)}); "
                    "the key above is shown once and stored only as a hash"
                )
            elif args.action == "revoke":
                if not args.prefix:
                    raise ZoningError("zoning keys revoke needs --prefix", field="prefix")
                key = keys.revoke_key(conn, args.prefix)
                keys.record_event(
                    conn,
                    actor=actor,
                    action="key.revoke",
                    target=key.prefix,
                    outcome="ok",
                    before={"name": key.name, "scopes": list(key.scopes)},
                )
                _say(f"revoked key {key.prefix} ({key.name})")
            else:
                for key in keys.list_keys(conn):
                    state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "live"
                    print(f"{key.prefix}  {key.name:<24} {','.join(key.scopes):<18} {state}")
    finally:
        engine.dispose()
    return 0


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from geodata.importer import import_bundle

    url = _ensure_database(settings)
    migrate(url)
    engine = make_engine(url)
    try:
        result = import_bundle(
            engine,
            [Path(p) for p in args.paths],
            label=args.label,
            crs=args.crs,
            mapping=Path(args.mapping) if args.mapping else None,
            repair=args.repair,
            actor=_actor(),
        )
    except ZoningError as exc:
        if "report" in exc.extra:
            print(json.dumps(exc.extra["report"], ensure_ascii=False, indent=2))
        raise
    finally:
        engine.dispose()
    report = result.report
    for issue in report.repairs + report.warnings:
        _say(f"{issue.code}: {issue.to_dict()}")
    _say(
        f"imported draft {result.label} (version {result.version_id}, checksum {result.checksum[:12]}…): "
        + ", ".join(f"{k} {n}" for k, n in report.counts.items())
        + f"; {len(report.warnings)} warning(s), {len(report.repairs)} repair(s). "
        f"Publish it with: zoning publish {result.label} --effective YYYY-MM-DD"
    )
    return 0


def cmd_publish(settings: Settings, args: argparse.Namespace) -> int:
    from geodata.publishing import publish

    url = _ensure_database(settings)
    engine = make_engine(url)
    try:
        result = publish(
            engine,
            args.label,
            args.effective,
            actor=_actor(),
            horizon_days=settings.service.publish_horizon_days,
        )
    finally:
        engine.dispose()
    before = result["superseded"]
    verb = "scheduled" if result["status"] == "scheduled" else "published"
    _say(
        f"{verb} {args.label} from {result['effective_from']}"
        + (f"; {before['in_force']} stays in force until that day" if before else "")
        + (f" (cancel with: zoning unpublish {args.label})" if verb == "scheduled" else "")
    )
    return 0


def cmd_unpublish(settings: Settings, args: argparse.Namespace) -> int:
    from geodata.publishing import unpublish

    url = _ensure_database(settings)
    engine = make_engine(url)
    try:
        result = unpublish(engine, args.label, actor=_actor())
    finally:
        engine.dispose()
    _say(
        f"cancelled the publish of {args.label} from {result['cancelled_effective_from']}; it is a draft "
        f"again; {result['in_force'] or 'no version'} stays in force"
    )
    return 0


def cmd_audit(settings: Settings, args: argparse.Namespace) -> int:
    from geodata.audit import verify_chain

    url = _ensure_database(settings)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            report = verify_chain(conn)
    finally:
        engine.dispose()
    if report.ok:
        _say(f"audit chain intact: {report.events} event(s), head {report.head or '(empty)'}")
        return 0
    for problem in report.breaks:
        _say(f"BROKEN {problem}")
    _say(f"audit chain broken: {len(report.breaks)} problem(s) in {report.events} event(s)")
    return 1


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from geodata.export import export_version

    url = _ensure_database(settings)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            data = export_version(conn, args.label, args.format, crs=args.crs)
    finally:
        engine.dispose()
    Path(args.out).write_bytes(data)
    _say(f"wrote {args.label} as {args.format} to {args.out} ({len(data)} bytes)")
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    """Serve with uvicorn on uvloop + httptools (``uvicorn[standard]``), ``--workers`` processes.

    Each worker builds the app from the environment (``app.main:create_app`` as a factory), so
    each builds its own snapshot once in its lifespan; the processes share nothing but the port.
    """
    import uvicorn

    workers = args.workers or settings.service.workers or os.cpu_count() or 1
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host or settings.service.host,
        port=args.port or settings.service.port,
        workers=workers,
        loop="auto",  # uvloop when installed (it is, with uvicorn[standard])
        http="auto",  # httptools likewise
        log_level="info",
        access_log=settings.service.access_log,
        # The app decides the client address itself, believing X-Forwarded-For only from
        # ZONING_TRUSTED_PROXIES (app.security.client_address); uvicorn would trust loopback.
        proxy_headers=False,
    )
    return 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    cmd_load(settings, args)
    return cmd_serve(settings, args)


def cmd_bulk(settings: Settings, args: argparse.Namespace) -> int:
    from app.bulk.cli import cmd_bulk as run_bulk

    return run_bulk(_ensure_database(settings), args, _say)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zoning", description="Nanchang zoning service 南昌市生态环境分区管控服务"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    db = sub.add_parser("db", help="the project-managed local PostGIS")
    db.add_argument("action", choices=["up", "down", "status"])
    db.set_defaults(func=cmd_db)
    mig = sub.add_parser("migrate", help="upgrade the schema")
    mig.add_argument("revision", nargs="?", default="head")
    mig.set_defaults(func=cmd_migrate)
    sub.add_parser("load", help="load the bundled Nanchang dataset").set_defaults(func=cmd_load)
    val = sub.add_parser("validate", help="coverage report of the bundled dataset")
    val.add_argument("--version", help="one version label (default: all bundled)")
    val.add_argument("--data-dir", help="a dataset folder in the bundled layout (default: the bundled one)")
    val.set_defaults(func=cmd_validate)
    k = sub.add_parser("keys", help="API keys: create, revoke, list (audited)")
    k.add_argument("action", choices=["create", "revoke", "list"])
    k.add_argument("--name", help="who the key is for (create)")
    k.add_argument("--scopes", default="read", help="comma-separated: read, screen, admin (create)")
    k.add_argument("--prefix", help="the key's prefix (revoke)")
    k.set_defaults(func=cmd_keys)
    imp = sub.add_parser(
        "import", help="import official zoning files as a draft version (validated, audited)"
    )
    imp.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="bundle folder(s), .zip file(s), or bare .gpkg / .geojson / .shp files",
    )
    imp.add_argument("--label", help="label of the new version (default import-YYYYMMDD-HHMMSS)")
    imp.add_argument("--crs", help="CRS of layers that declare none, e.g. EPSG:4527")
    imp.add_argument(
        "--repair", action="store_true", help="repair invalid geometries (make_valid), reporting each"
    )
    imp.add_argument("--mapping", help="JSON mapping file for other layer/field names")
    imp.set_defaults(func=cmd_import)
    pub = sub.add_parser("publish", help="put a draft version in force from a date (audited)")
    pub.add_argument("label")
    pub.add_argument("--effective", required=True, help="effective date YYYY-MM-DD")
    pub.set_defaults(func=cmd_publish)
    unp = sub.add_parser(
        "unpublish", help="cancel a scheduled publish; the version becomes a draft (audited)"
    )
    unp.add_argument("label")
    unp.set_defaults(func=cmd_unpublish)
    aud = sub.add_parser("audit", help="the audit trail: verify its hash chain")
    aud.add_argument("action", choices=["verify"])
    aud.set_defaults(func=cmd_audit)
    exp = sub.add_parser("export", help="export a version as a zipped bundle (shp, gpkg, geojson)")
    exp.add_argument("label")
    exp.add_argument("--format", choices=["shp", "gpkg", "geojson"], default="gpkg")
    exp.add_argument("--crs", help="output CRS (default EPSG:4490), e.g. EPSG:4527")
    exp.add_argument("--out", required=True, help="the .zip file to write")
    exp.set_defaults(func=cmd_export)
    for name, func in (("serve", cmd_serve), ("run", cmd_run)):
        p = sub.add_parser(name, help="serve the API" if name == "serve" else "database + data + serve")
        p.add_argument("--host")
        p.add_argument("--port", type=int)
        p.add_argument(
            "--workers", type=int, help="worker processes, each with its own snapshot (default: CPU count)"
        )
        p.set_defaults(func=func)
    from app.bulk.cli import add_parser as add_bulk_parser

    add_bulk_parser(sub, cmd_bulk)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    try:
        return int(args.func(settings, args))
    except (localdb.LocalDatabaseError, ZoningError) as exc:
        _say(f"error: {exc}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
