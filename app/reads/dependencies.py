"""The cached reads' one entry point: what the hot read routes take from the app, built once at
start-up: the version checks, the response cache and the caching policy."""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from app.core.conditional import CachePolicy, Rendered
from app.reads.cache import ResponseCache
from app.reads.reader import Reader


@dataclass(frozen=True)
class Reads:
    """What the hot read routes take from the app, built once at start-up: the reader, the
    response cache and the caching policy. One dependency, not three (each costs time)."""

    read: Reader
    cache: ResponseCache
    policy: CachePolicy

    async def cached(self, key: Hashable, build: Callable[..., Rendered], *args: Any) -> Rendered:
        """The cached representation under `key`, or `build(connection, *args)` run on the
        thread pool and kept."""
        entry = self.cache.get(key)
        if entry is None:
            entry = await self.read.build(build, *args)
            self.cache.put(key, entry)
        return entry


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
