"""Mounts the domain routers under /v1 with their tags."""

from fastapi import APIRouter

from app.conditions.router import router as conditions_router

api_router = APIRouter(prefix="/v1")
api_router.include_router(conditions_router, tags=["conditions"])
