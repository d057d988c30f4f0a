"""Mounts the domain routers under /v1 with their tags."""

from fastapi import FastAPI

from app.changes.router import router as changes_router
from app.codes.router import router as codes_router
from app.conditions.router import router as conditions_router
from app.core.urls import API_PREFIX
from app.editing.router import router as editing_router
from app.genes.router import router as genes_router
from app.matching.router import router as matching_router
from app.search.router import router as search_router
from app.terms.router import router as terms_router


def include_api(app: FastAPI) -> None:
    # Each router straight on the app: every level of nested routers is another pass of route
    # matching on every request.
    # Before the conditions router: /conditions/match is not a condition's slug.
    app.include_router(matching_router, prefix=API_PREFIX, tags=["search"])
    # Before the conditions router too: its catch-all /conditions/{slug}/{section} would take
    # /document and /revisions.
    app.include_router(editing_router, prefix=API_PREFIX, tags=["editing"])
    app.include_router(conditions_router, prefix=API_PREFIX, tags=["conditions"])
    app.include_router(changes_router, prefix=API_PREFIX, tags=["editing"])
    app.include_router(terms_router, prefix=API_PREFIX, tags=["terms"])
    app.include_router(codes_router, prefix=API_PREFIX, tags=["codes"])
    app.include_router(genes_router, prefix=API_PREFIX, tags=["genes"])
    app.include_router(search_router, prefix=API_PREFIX, tags=["search"])
