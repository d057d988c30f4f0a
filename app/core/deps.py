"""Dependency shortcuts, declared once and reused by every router."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool


def _finish(session: Session, succeeded: bool) -> None:
    try:
        if succeeded:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


@asynccontextmanager
async def request_session(factory: sessionmaker[Session]) -> AsyncIterator[Session]:
    """One session per request: committed when the handler succeeds, rolled back when it fails.

    Made on the event loop (a session touches the database only when first used, in the
    route's thread) and finished in one hop to the thread pool: a sync generator would cost a
    hop to open it and another to close it."""
    session = factory()
    try:
        yield session
    except BaseException:
        try:
            await run_in_threadpool(_finish, session, False)
        except BaseException:
            # Cancelled (the client went away): the thread call never runs halfway, so
            # finishing here cannot overlap it, and the connection goes back to the pool.
            _finish(session, False)
            raise
        raise
    await run_in_threadpool(_finish, session, True)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session on the primary database: writes, and the reads a write path checks."""
    async with request_session(request.app.state.session_factory) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
