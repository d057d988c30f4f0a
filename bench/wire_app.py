"""The application `python -m bench.wire` serves: the service itself plus one constant route.

    python -m bench.wire_app --host 127.0.0.1 --port 8001

`GET /bench/bare` answers the same 1 KiB of JSON every time, from an `async def`, without the
database or a response model. It passes through the same middleware as the real routes
(request id, security headers, CORS, compression, access log), so its requests/s is the ceiling
of this stack on this machine and every other route is reported as a ratio to it.
"""

import argparse
import json

import uvicorn
from fastapi import Response

from app.core.config import get_settings
from app.core.logging import configure_logging
from app.main import create_app

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


app = create_app()
app.add_api_route(BARE_PATH, bare, methods=["GET"], include_in_schema=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = get_settings()
    configure_logging(settings.log_level)
    # The options of `python -m app serve` (app/__main__.py), with this module's app. The object,
    # not "bench.wire_app:app": run as __main__, that string would build the app a second time.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        log_level=settings.log_level,
        proxy_headers=True,
        workers=1,
    )


if __name__ == "__main__":
    main()
