"""In-process cost of the stack: microseconds per request through the ASGI app, no network.

    python -m bench.stack [--requests N] [--repeats N]

A seeded SQLite database in a temporary folder; the service of bench/wire_app.py and the
minimal app of bench/ceiling_app.py, each called directly (`await app(scope, receive, send)`),
N requests per figure, the median of --repeats figures. For the bare route and the record: the
whole stack, the stack with each middleware left out in turn, the stack with none, and the
minimal app. So each layer's cost, and the routing's, shows without uvicorn's or the kernel's
share. The access log goes to /dev/null (its formatting is measured, not a terminal).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

PATHS = {"bare": "/bench/bare", "record": "/v1/conditions/multifocal-motor-neuropathy"}
CEILING_PATHS = {"bare": "/bench/bare", "record": "/record"}
WARMUP = 200
DEVNULL = open(os.devnull, "w")  # noqa: SIM115  (for the process's whole life)

App = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]


def _scope(path: str) -> dict[str, Any]:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench")],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip


async def _per_request_us(app: App, path: str, requests: int) -> float:
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    for _ in range(WARMUP):
        await app(_scope(path), receive, send)
    started = time.perf_counter()
    for _ in range(requests):
        await app(_scope(path), receive, send)
    elapsed = time.perf_counter() - started
    if set(statuses) != {200}:
        raise SystemExit(f"{path} answered {sorted(set(statuses))}")
    return elapsed / requests * 1e6


async def measure(requests: int, repeats: int) -> list[tuple[str, dict[str, float]]]:
    import logging

    from bench import wire_app
    from bench.ceiling_app import BODIES_ENV
    from bench.ceiling_app import build_app as build_ceiling

    # An older tree's bench app is a module-level object (so this also measures a past commit).
    app = wire_app.build_app() if hasattr(wire_app, "build_app") else wire_app.app
    rows: list[tuple[str, dict[str, float]]] = []
    async with app.router.lifespan_context(app):
        for handler in logging.getLogger().handlers:  # after the lifespan configured them
            handler.setStream(DEVNULL)  # type: ignore[attr-defined]
        full = list(app.user_middleware)
        variants = [("whole stack", full)]
        variants += [(f"without {m.cls.__name__}", [o for o in full if o is not m]) for m in full]  # type: ignore[attr-defined]
        variants.append(("no middleware (routing and route)", []))
        bodies = Path(os.environ[BODIES_ENV])
        for name, middleware in variants:
            app.user_middleware = middleware
            app.middleware_stack = app.build_middleware_stack()
            figures = {}
            for route, path in PATHS.items():
                samples = [await _per_request_us(app, path, requests) for _ in range(repeats)]
                figures[route] = statistics.median(samples)
                if name == "whole stack":
                    status_body = await _body(app, path)
                    (bodies / f"{route}.json").write_bytes(status_body)
            rows.append((name, figures))
            progress(f"{name}: " + ", ".join(f"{k} {v:.1f} µs" for k, v in figures.items()))
        app.user_middleware = full
        app.middleware_stack = app.build_middleware_stack()
    (bodies / "section.json").write_bytes(b"{}")
    ceiling = build_ceiling()
    figures = {}
    for route, path in CEILING_PATHS.items():
        samples = [await _per_request_us(ceiling, path, requests) for _ in range(repeats)]
        figures[route] = statistics.median(samples)
    rows.append(("minimal app (bench/ceiling_app.py)", figures))
    return rows


async def _body(app: App, path: str) -> bytes:
    parts: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        if message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    await app(_scope(path), receive, send)
    return b"".join(parts)


STARTED = time.monotonic()


def progress(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.stack", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--requests", type=int, default=3000, help="requests per figure (3000)")
    parser.add_argument("--repeats", type=int, default=5, help="figures per median (5)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench_stack_") as folder:
        url = f"sqlite:///{Path(folder) / 'stack.sqlite3'}"
        os.environ["DATABASE_URL"] = url
        os.environ["BENCH_CEILING_BODIES"] = folder
        from app.core import migrations
        from app.core.config import get_settings
        from app.core.db import session_factory_for
        from app.seeding.loader import seed, seed_files

        migrations.upgrade(url)
        with session_factory_for(url) as factory:
            seed(factory, seed_files(get_settings().seed_dir))
        rows = asyncio.run(measure(args.requests, args.repeats))
    whole = rows[0][1]
    print(f"µs per request, median of {args.repeats} x {args.requests}, in process (no network)")
    print(f"{'':<40}{'bare':>9}{'record':>9}   saved by leaving it out (bare, record)")
    for name, figures in rows:
        saved = ""
        if name.startswith("without") or name.startswith("no middleware"):
            saved = "   " + ", ".join(f"{whole[k] - figures[k]:.1f}" for k in ("bare", "record"))
        print(f"{name:<40}{figures['bare']:>9.1f}{figures['record']:>9.1f}{saved}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
