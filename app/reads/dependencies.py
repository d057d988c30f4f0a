"""The read API as the routes take it: the app's Reads (one dependency, not three: each costs
time) and its caching policy."""

from typing import Annotated

from fastapi import Depends, Request

from app.core.conditional import CachePolicy
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
