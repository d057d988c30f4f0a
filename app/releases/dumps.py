"""The corpus dump of the current version, built once per process and followed by every
download.

A build runs on a thread of its own with its own snapshot session (app.core.db.snapshot), at
its own pace, into memory; downloads follow its chunks on the event loop, so waiting for a
build costs neither a worker thread nor a database connection, and a slow or vanished client
holds nothing. A finished dump goes into the response cache (replacing the previous version's)
and later downloads are sent from there."""

import asyncio
import logging
import threading
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field

from anyio import to_thread
from sqlalchemy.orm import Session, sessionmaker

from app.core.conditional import Rendered
from app.core.db import snapshot
from app.core.errors import ServiceUnavailable
from app.reads.cache import ResponseCache
from app.reads.keys import dump_key
from app.releases import repository

logger = logging.getLogger("app.releases")

NDJSON = "application/x-ndjson"
CHUNK = 1 << 20  # bytes per chunk when a kept dump is sent
MAX_BUILDS = 2  # at once per process: the current version's, and one overtaken by a write
BUSY_RETRY_S = 30

# Builds the dump of the session's snapshot, chunk by chunk (app.releases.service.built).
Builder = Callable[[Session], Iterator[bytes]]


@dataclass
class Build:
    """One dump being built: its gzip chunks so far, which downloads follow."""

    loop: asyncio.AbstractEventLoop
    version: int | None = None  # the snapshot's content version, once the build has begun
    chunks: list[bytes] = field(default_factory=list)
    done: bool = False
    failed: BaseException | None = None
    begun: asyncio.Event = field(default_factory=asyncio.Event)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def _notify(self) -> None:  # from the build's thread
        self.loop.call_soon_threadsafe(self._changed.set)

    async def follow(self) -> AsyncIterator[bytes]:
        """Every chunk, as the build makes it, to the end."""
        sent = 0
        while True:
            self._changed.clear()
            while sent < len(self.chunks):
                yield self.chunks[sent]
                sent += 1
            if self.failed is not None:
                raise self.failed  # mid-stream: the download is cut short, as it must be
            if self.done:
                return
            await self._changed.wait()


class Dumps:
    """The dumps of one process: builds under way by version, finished ones in the cache."""

    def __init__(self, factory: sessionmaker[Session], cache: ResponseCache) -> None:
        self._factory = factory
        self._cache = cache
        self._builds: dict[int, Build] = {}
        self._kept: int | None = None  # the version whose dump the cache holds
        self._lock = threading.Lock()  # _builds and _kept, changed from the builds' threads
        self.builds_started = 0

    def kept(self, version: int) -> Rendered | None:
        return self._cache.get(dump_key(version))

    async def build(self, version: int, builder: Builder) -> Build:
        """The build of the content at `version` (the current one, by the reader's check):
        one already under way, else a new one, begun (its snapshot's version known)."""
        with self._lock:
            found = self._builds.get(version)
            if found is None:
                if len(self._builds) >= MAX_BUILDS:
                    raise ServiceUnavailable(
                        "Dumps of other versions are being built; retry shortly.",
                        headers={"Retry-After": str(BUSY_RETRY_S)},
                    )
                found = self._builds[version] = Build(asyncio.get_running_loop())
                self.builds_started += 1
                thread = threading.Thread(
                    target=self._run, args=(found, version, builder), daemon=True
                )
                thread.start()
        await found.begun.wait()
        if found.failed is not None and not found.chunks:
            raise found.failed
        return found

    def _run(self, build: Build, wanted: int, builder: Builder) -> None:
        started = time.perf_counter()
        session = snapshot(self._factory)
        try:
            # Read in the snapshot: a write committed since the reader's check makes this a
            # dump of the newer version, which its headers then name.
            build.version = repository.content_version(session)
            build.loop.call_soon_threadsafe(build.begun.set)
            for chunk in builder(session):
                build.chunks.append(chunk)
                build._notify()
            self._keep(build)
            logger.info(
                "dump built",
                extra={
                    "version": build.version,
                    "bytes": sum(map(len, build.chunks)),
                    "seconds": round(time.perf_counter() - started, 1),
                },
            )
        except BaseException as exc:
            build.failed = exc
            logger.exception("dump failed", extra={"version": wanted})
        finally:
            session.close()
            build.done = True
            with self._lock:
                self._builds.pop(wanted, None)
            build.loop.call_soon_threadsafe(build.begun.set)
            build._notify()

    def _keep(self, build: Build) -> None:
        assert build.version is not None
        entry = Rendered.of(b"".join(build.chunks), NDJSON)
        with self._lock:
            if self._kept is not None and self._kept != build.version:
                self._cache.discard(dump_key(self._kept))  # one dump at a time in the cache
            self._cache.put(dump_key(build.version), entry)
            self._kept = build.version


async def sent(entry: Rendered) -> AsyncIterator[bytes]:
    """A kept dump, a chunk at a time."""
    view = memoryview(entry.body)
    for start in range(0, len(view), CHUNK):
        yield bytes(view[start : start + CHUNK])


async def decoded(coded: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The lines of gzip-coded chunks, for a client that refuses gzip (decoded off the loop)."""
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    async for chunk in coded:
        if lines := await to_thread.run_sync(decoder.decompress, chunk):
            yield lines
    yield decoder.flush()
