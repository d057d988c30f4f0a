"""Mounts the domain routers under /v1 with their tags."""

from fastapi import APIRouter

from app.codes.router import router as codes_router
from app.conditions.router import router as conditions_router
from app.terms.router import router as terms_router

api_router = APIRouter(prefix="/v1")
api_router.include_router(conditions_router, tags=["conditions"])
api_router.include_router(terms_router, tags=["terms"])
api_router.include_router(codes_router, tags=["codes"])
