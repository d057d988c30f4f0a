"""Dependency shortcuts, declared once and reused by every router."""

from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from app.core.cache import ResponseCache
from app.core.conditional import CachePolicy

T = TypeVar("T")


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


class Reader:
    """Runs one read in a session on the thread pool: one thread hop for the whole request,
    where a sync route with a sync session dependency takes three. For the hot read routes."""

    def __init__(self, factory: "sessionmaker[Session]") -> None:
        self._factory = factory

    async def __call__(self, work: Callable[..., T], *args: Any) -> T:
        def run() -> T:
            with self._factory() as session:
                return work(session, *args)

        return await run_in_threadpool(run)


async def get_reader(request: Request) -> Reader:
    return Reader(request.app.state.session_factory)


async def get_response_cache(request: Request) -> ResponseCache:
    cache: ResponseCache = request.app.state.response_cache
    return cache


async def get_cache_policy(request: Request) -> CachePolicy:
    return CachePolicy(max_age=request.app.state.settings.cache_max_age)


ReaderDep = Annotated[Reader, Depends(get_reader)]
ResponseCacheDep = Annotated[ResponseCache, Depends(get_response_cache)]
CachePolicyDep = Annotated[CachePolicy, Depends(get_cache_policy)]
