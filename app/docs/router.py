"""/docs and /redoc from the assets the fastapi-offline package installs, so the documentation
works offline and loads nothing from a CDN; each page gets a CSP that allows only those assets
and the page's own inline script. `/` points to them."""

import base64
import hashlib
import os
import re
from importlib.metadata import version
from importlib.resources import files

import mimeparse
from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.staticfiles import PathLike
from starlette.types import Scope

from app import __version__
from app.core.urls import API_PREFIX, condition_list_path

# The package version is part of the URL, so an upgrade changes the URLs and the assets can be
# cached for a year without ever going stale.
ASSETS_URL = f"/docs-assets/{version('fastapi-offline')}"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
# ReDoc's sidebar credit shows a logo from cdn.redoc.ly. An empty data: URL in its place keeps
# the page off the network and free of CSP violations; the image fails and ReDoc hides it.
_REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
_CACHE_FOREVER = {"Cache-Control": "public, max-age=31536000, immutable"}


class PackageAssets(StaticFiles):
    """Static files whose URL carries their version: cacheable for good."""

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update(_CACHE_FOREVER)
        return response


def page_csp(html: str) -> str:
    """A CSP for one docs page: its inline scripts by hash, everything else from this origin."""
    hashes = [
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(html)
    ]
    return "; ".join(
        [
            "default-src 'none'",
            " ".join(["script-src 'self'", *hashes]),
            "style-src 'self' 'unsafe-inline'",  # both UIs insert <style> and style attributes
            "img-src 'self' data:",  # both UIs draw icons as data: URLs
            "connect-src 'self'",  # the OpenAPI document and "Try it out" requests
            "worker-src blob:",  # ReDoc runs its search index in a blob: worker
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


def _serve_page(app: FastAPI, path: str, name: str, page: HTMLResponse) -> None:
    # The pages depend on nothing per request: render once, hash once, answer with the bytes.
    body = bytes(page.body)
    headers = {"Content-Security-Policy": page_csp(body.decode())}

    async def endpoint() -> HTMLResponse:
        return HTMLResponse(body, headers=headers)

    app.add_api_route(path, endpoint, name=name, include_in_schema=False)


def _serve_redoc_bundle(app: FastAPI) -> None:
    # A new ReDoc without this URL is served as it is; the browser test flags any outside URL.
    bundle = (files("fastapi_offline") / "static" / "redoc.standalone.js").read_bytes()
    bundle = bundle.replace(_REDOC_LOGO, b"data:,")

    async def redoc_bundle() -> Response:
        return Response(bundle, media_type="text/javascript", headers=_CACHE_FOREVER)

    # Registered before the assets mount, so this copy wins over the file on disk.
    app.add_api_route(f"{ASSETS_URL}/redoc.standalone.js", redoc_bundle, include_in_schema=False)


def _serve_index(app: FastAPI) -> None:
    """`/` answers a browser (HTML preferred in Accept) with a redirect to /docs, and everyone
    else (curl's */*, a JSON client) with where to go. Kept out of the OpenAPI document like
    the pages it points to: it is a signpost for people, not part of the API."""
    index = {
        "name": app.title,
        "version": __version__,
        "links": {
            "docs": "/docs",
            "redoc": "/redoc",
            "openapi": app.openapi_url,
            "conditions": condition_list_path(),
            "sections": f"{API_PREFIX}/sections",
            "health": "/healthz",
        },
    }

    async def root(request: Request) -> Response:
        accept = request.headers.get("accept", "")
        # mimeparse picks the last offer on a tie, so */* (curl) or no Accept gets JSON.
        if accept and mimeparse.best_match(["text/html", "application/json"], accept) == (
            "text/html"
        ):
            return RedirectResponse("/docs", status_code=307, headers={"Vary": "Accept"})
        return JSONResponse(index, headers={"Vary": "Accept"})

    app.add_api_route("/", root, methods=["GET"], name="index", include_in_schema=False)


def install_docs(app: FastAPI) -> None:
    """Serves /docs, /docs/oauth2-redirect and /redoc; the app must be created with
    docs_url=None and redoc_url=None so that FastAPI's CDN-backed pages stay off."""
    assert app.openapi_url is not None
    assert app.swagger_ui_oauth2_redirect_url is not None
    _serve_redoc_bundle(app)
    app.mount(
        ASSETS_URL, PackageAssets(packages=[("fastapi_offline", "static")]), name="docs-assets"
    )
    favicon = f"{ASSETS_URL}/favicon.png"
    swagger_ui = get_swagger_ui_html(
        openapi_url=app.openapi_url,
        title=f"{app.title} - Swagger UI",
        oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url,
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=favicon,
        swagger_ui_parameters=app.swagger_ui_parameters,
    )
    redoc = get_redoc_html(
        openapi_url=app.openapi_url,
        title=f"{app.title} - ReDoc",
        redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
        redoc_favicon_url=favicon,
        with_google_fonts=False,
    )
    _serve_page(app, "/docs", "swagger_ui", swagger_ui)
    oauth2_redirect = get_swagger_ui_oauth2_redirect_html()
    _serve_page(app, app.swagger_ui_oauth2_redirect_url, "swagger_ui_redirect", oauth2_redirect)
    _serve_page(app, "/redoc", "redoc", redoc)
    _serve_index(app)
