"""The ceiling `python -m bench.wire` compares the service with: a minimal FastAPI app, no
middleware, that answers fixed bytes, run with the options `python -m app serve` uses.

    python -m bench.ceiling_app --port 8002 --bodies DIR [--workers N]

`GET /bench/bare` answers the 1 KiB of bench/wire_app.py's bare route; `GET /record` and
`GET /section` answer DIR/record.json and DIR/section.json, the bytes the harness fetched from
the service's record and section routes. So each of the service's routes is compared with the
same bytes sent by the least a FastAPI app can do.
"""

import argparse
import os
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Response

from app.__main__ import SERVER_OPTIONS
from bench.wire_app import BARE_BODY, BARE_PATH

BODIES_ENV = "BENCH_CEILING_BODIES"  # the folder, for each worker process


def build_app() -> FastAPI:
    bodies = Path(os.environ[BODIES_ENV])
    record = (bodies / "record.json").read_bytes()
    section = (bodies / "section.json").read_bytes()
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get(BARE_PATH)
    async def bare() -> Response:
        return Response(content=BARE_BODY, media_type="application/json")

    @app.get("/record")
    async def record_bytes() -> Response:
        return Response(content=record, media_type="application/json")

    @app.get("/section")
    async def section_bytes() -> Response:
        return Response(content=section, media_type="application/json")

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bodies", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    os.environ[BODIES_ENV] = str(args.bodies.resolve())
    uvicorn.run(
        "bench.ceiling_app:build_app",
        factory=True,
        host=args.host,
        port=args.port,
        log_level="warning",
        workers=args.workers,
        **SERVER_OPTIONS,
    )


if __name__ == "__main__":
    main()
