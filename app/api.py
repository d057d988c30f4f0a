"""The domain routers, each declared under /v1 with its tag (app.core.routing.api_router),
and the FHIR terminology facade under /fhir."""

from fastapi import FastAPI

from app.changes.router import router as changes_router
from app.codes.router import router as codes_router
from app.conditions.router import router as conditions_router
from app.core.routing import include_flat
from app.editing.router import router as editing_router
from app.fhir.router import router as fhir_router
from app.genes.router import router as genes_router
from app.matching.router import router as matching_router
from app.releases.router import router as releases_router
from app.search.router import router as search_router
from app.terms.router import router as terms_router


def include_api(app: FastAPI) -> None:
    """Every router's routes, flat on the app and in this order (app.core.routing)."""
    include_flat(
        app,
        [
            # Before the conditions router: /conditions/match is not a condition's slug.
            matching_router,
            # Before the conditions router too: its catch-all /conditions/{slug}/{section}
            # would take /document and /revisions.
            editing_router,
            conditions_router,
            changes_router,
            releases_router,
            terms_router,
            codes_router,
            genes_router,
            search_router,
            # Not under /v1: a FHIR server's base, its errors OperationOutcomes (app/fhir).
            fhir_router,
        ],
    )
