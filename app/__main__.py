"""Command line: `python -m app migrate | seed | import | keys | serve`. All read DATABASE_URL."""

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from app.core.config import get_settings

# How `serve` runs uvicorn, beside host, port, level and workers (the benchmark's servers too).
SERVER_OPTIONS: dict[str, Any] = {
    "log_config": None,  # our JSON logging, configured in main()
    "access_log": False,  # app.core.middleware writes the access log, with request ids
    "proxy_headers": True,
}

logger = logging.getLogger("app.cli")


def _migrate(_: argparse.Namespace) -> int:
    from app.core import migrations

    settings = get_settings()
    migrations.upgrade(settings.database_url)
    logger.info("database migrated to head")
    return 0


def _seed(args: argparse.Namespace) -> int:
    from app.core.db import session_factory_for
    from app.seeding.loader import SeedError, seed, seed_files

    settings = get_settings()
    paths = [Path(p) for p in args.files] or seed_files(settings.seed_dir)
    try:
        with session_factory_for(settings.database_url) as factory:
            report = seed(factory, paths)
    except SeedError as exc:
        print("seed failed; nothing was written:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(
        f"seeded {len(paths)} file(s): {len(report.created)} created, "
        f"{len(report.updated)} updated, {len(report.unchanged)} unchanged"
        + "".join(
            f"; {old!r} was renamed {new!r} by editors: change the file's slug to apply it"
            for old, new in report.renamed.items()
        )
        + ("" if report.changed else " (nothing to do)")
    )
    return 0


def _import(args: argparse.Namespace) -> int:
    from app.core.db import session_factory_for
    from app.importers.hpo_files import HpoFileError
    from app.importers.service import import_hpo, import_icd10cm

    settings = get_settings()
    wanted = ["hpo", "icd10cm"] if args.source == "all" else [args.source]
    try:
        with session_factory_for(settings.database_url) as factory:
            for source in wanted:
                step = import_hpo if source == "hpo" else import_icd10cm
                report = step(factory, show_progress=not args.quiet)
                print(report.summary())
                logger.info(
                    "import finished",
                    extra={"source": report.source, "version": report.version,
                           "skipped": report.skipped, **report.counts},
                )  # fmt: skip
    except (HpoFileError, ValueError) as exc:
        print(f"import failed; the previous data is unchanged: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a file the readers cannot parse, or the database refusing
        logger.exception("import failed")
        print(
            f"import failed; the previous data is unchanged: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return 1
    return 0


def _keys(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from app.auth import keys
    from app.core.db import session_factory_for, transaction

    settings = get_settings()
    with session_factory_for(settings.database_url) as factory, transaction(factory) as session:
        try:
            if args.action == "create":
                scopes = keys.parse_scopes(args.scopes)
                expires = timedelta(days=args.expires_days) if args.expires_days else None
                made = keys.create(session, args.name, scopes, expires)
                # The only time the secret is shown: it is not stored, and never logged.
                print(made.key)
                print(
                    f"key {made.name!r}: scopes {','.join(made.scopes)}, expires "
                    f"{made.expires_at.isoformat() if made.expires_at else 'never'}; "
                    "store it now, it cannot be shown again",
                    file=sys.stderr,
                )
            elif args.action == "revoke":
                keys.revoke(session, args.name)
                print(f"key {args.name!r} revoked")
            else:
                for row in keys.listing(session):
                    state = "revoked" if row.revoked_at else "active"
                    print(
                        f"{row.name}\t{','.join(row.scopes)}\t{state}\t"
                        f"expires={row.expires_at.isoformat() if row.expires_at else 'never'}\t"
                        f"last_used={row.last_used_at.isoformat() if row.last_used_at else '-'}"
                    )
        except keys.KeyProblem as exc:
            print(f"keys {args.action}: {exc}", file=sys.stderr)
            return 1
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "app.main:app",
        host=args.host or settings.api_host,
        port=args.port or settings.api_port,
        log_level=settings.log_level,
        workers=args.workers,
        **SERVER_OPTIONS,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="upgrade the database schema to the latest migration")
    seed = commands.add_parser("seed", help="load the seed records (idempotent)")
    seed.add_argument("files", nargs="*", help="seed files (default: every *.yaml in SEED_DIR)")
    imports = commands.add_parser(
        "import", help="import open data from installed packages (idempotent, per source atomic)"
    )
    imports.add_argument("source", choices=["all", "hpo", "icd10cm"])
    imports.add_argument("--quiet", action="store_true", help="no progress bars")
    api_keys = commands.add_parser("keys", help="create, revoke or list API keys")
    api_keys.add_argument("action", choices=["create", "revoke", "list"])
    api_keys.add_argument("--name", help="the key's name (create, revoke)")
    api_keys.add_argument(
        "--scopes", default="read", help="comma list of read, write, admin (default: read)"
    )
    api_keys.add_argument("--expires-days", type=int, help="valid for this many days")
    serve = commands.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", help="interface to bind (default: API_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (default: API_PORT)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default: 1)")
    return parser


def main(argv: list[str] | None = None) -> int:
    from app.core.logging import configure_logging

    args = build_parser().parse_args(argv)
    configure_logging(get_settings().log_level)
    if args.command == "keys" and args.action != "list" and not args.name:
        build_parser().error("keys create and keys revoke need --name")
    handlers = {
        "migrate": _migrate,
        "seed": _seed,
        "import": _import,
        "keys": _keys,
        "serve": _serve,
    }
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
