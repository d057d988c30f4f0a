"""The application `python -m bench.wire` serves: the service itself plus one constant route.

    python -m bench.wire_app --host 127.0.0.1 --port 8001 [--workers N]

`GET /bench/bare` answers the same 1 KiB of JSON every time, from an `async def`, without the
database or a response model. It passes through the same middleware and routing as the real
routes (request id, security headers, CORS, compression, access log), so set beside the same
route of bench/ceiling_app.py (no middleware) it shows what the stack itself costs.
"""

import argparse
import json

import uvicorn
from fastapi import FastAPI, Response

from app.__main__ import SERVER_OPTIONS
from app.core.config import get_settings
from app.core.logging import configure_logging

BARE_PATH = "/bench/bare"
BARE_SIZE = 1024


def _constant_body(size: int) -> bytes:
    """A JSON object of exactly `size` bytes, shaped roughly like a small API answer."""
    shape: dict[str, object] = {
        "kind": "bench",
        "title": "Constant body",
        "summary": "The same bytes on every request: no database, no validation, no encoding.",
        "links": {"self": BARE_PATH},
        "filler": "",
    }
    shape["filler"] = "x" * (size - len(json.dumps(shape).encode()))
    return json.dumps(shape).encode()


BARE_BODY = _constant_body(BARE_SIZE)


async def bare() -> Response:
    return Response(content=BARE_BODY, media_type="application/json")


def build_app() -> FastAPI:
    """The service, as `python -m app serve` builds it, with the bare route added last."""
    from app.main import create_app  # here: importing BARE_BODY must not build an app

    app = create_app()
    app.add_api_route(BARE_PATH, bare, methods=["GET"], include_in_schema=False)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    settings = get_settings()
    configure_logging(settings.log_level)
    # The options of `python -m app serve` (app/__main__.py), with this module's factory.
    uvicorn.run(
        "bench.wire_app:build_app",
        factory=True,
        host=args.host,
        port=args.port,
        log_level=settings.log_level,
        workers=args.workers,
        **SERVER_OPTIONS,
    )


if __name__ == "__main__":
    main()
