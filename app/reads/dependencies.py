"""The read API as the routes take it: the app's Reads (one dependency, not three: each costs
time), its caching policy, and sessions for read-only requests."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from app.core.conditional import CachePolicy
from app.core.deps import request_session
from app.reads.service import Reads


def reads_of(request: Request) -> Reads:
    reads: Reads = request.app.state.reads
    return reads


async def get_reads(request: Request) -> Reads:
    return reads_of(request)


async def get_cache_policy(request: Request) -> CachePolicy:
    policy: CachePolicy = request.app.state.reads.policy
    return policy


ReadsDep = Annotated[Reads, Depends(get_reads)]
CachePolicyDep = Annotated[CachePolicy, Depends(get_cache_policy)]


async def get_read_factory(request: Request) -> sessionmaker[Session]:
    """Sessions for a read-only request: on the read replica when it may serve the read
    (app.reads.replica), else on the primary."""
    return reads_of(request).read.read_session_factory()


ReadFactoryDep = Annotated[sessionmaker[Session], Depends(get_read_factory)]


async def get_read_session(request: Request) -> AsyncIterator[Session]:
    async with request_session(reads_of(request).read.read_session_factory()) as session:
        yield session


ReadSessionDep = Annotated[Session, Depends(get_read_session)]
