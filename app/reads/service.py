"""The cached reads' one small API, built once at start-up and used by records, sections,
lists, search and autocomplete: version checks (the reader), the response cache of serialized
representations, and the values each worker keeps per content version (snapshots)."""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from app.core.conditional import CachePolicy, Rendered
from app.core.db import session_on
from app.reads.cache import ResponseCache
from app.reads.reader import CONTENT_VERSION, Check, Reader
from app.reads.snapshots import Versioned, VersionedValue

T = TypeVar("T")
V = TypeVar("V", bound=VersionedValue)
# How a snapshot is made: in a session, from the previous one (or None), for a content version.
Make = Callable[[Session, V | None, int], V]


@dataclass(frozen=True)
class Reads:
    read: Reader
    cache: ResponseCache
    policy: CachePolicy

    async def check(self, check: Check[T], **params: Any) -> T:
        return await self.read.check(check, **params)

    async def content_version(self) -> int:
        return await self.read.check(CONTENT_VERSION)

    async def cached(self, key: Hashable, build: Callable[..., Rendered], *args: Any) -> Rendered:
        """The representation under `key` (see app.reads.keys), or `build(connection, *args)`
        run on the thread pool and kept."""
        entry = self.cache.get(key)
        if entry is None:
            entry = await self.read.build(build, *args)
            self.cache.put(key, entry)
        return entry

    async def snapshot(self, holder: Versioned[V], make: Make[V]) -> V:
        """The worker's value for the current content version: one check, and a build on the
        thread pool only when the content changed."""
        version = await self.content_version()
        ready = holder.current(version)
        if ready is not None:
            return ready
        built: V = await self.read.build(_build_snapshot, holder, make, version)
        return built


def snapshot_in(session: Session, holder: Versioned[V], make: Make[V], version: int) -> V:
    """Reads.snapshot for code already running in a session (off the event loop), for the
    content version the caller checked on the event loop."""
    ready = holder.current(version)
    if ready is None:
        ready = holder.build(version, lambda previous: make(session, previous, version))
    return ready


def _build_snapshot(connection: Connection, holder: Versioned[V], make: Make[V], version: int) -> V:
    with session_on(connection) as session:
        return snapshot_in(session, holder, make, version)
