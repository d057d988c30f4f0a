"""Dependency shortcuts, declared once and reused by every router."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from app.core.cache import ResponseCache
from app.core.conditional import CachePolicy


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: committed when the handler succeeds, rolled back when it fails."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session)]


def get_response_cache(request: Request) -> ResponseCache:
    cache: ResponseCache = request.app.state.response_cache
    return cache


def get_cache_policy(request: Request) -> CachePolicy:
    return CachePolicy(max_age=request.app.state.settings.cache_max_age)


ResponseCacheDep = Annotated[ResponseCache, Depends(get_response_cache)]
CachePolicyDep = Annotated[CachePolicy, Depends(get_cache_policy)]
