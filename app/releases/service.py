"""Releases: recorded at the end of each seed or import run that changed the content, listed
with the current content, and the current one dumped whole for mirrors."""

import threading
import zlib
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

from sqlalchemy.orm import Session

from app.conditions.representations import record_rendered
from app.core.conditional import Rendered, revision_tag
from app.core.errors import NotFoundError
from app.core.urls import API_PREFIX
from app.models import Release as ReleaseRow
from app.models import Source
from app.models.base import utcnow
from app.reads.cache import ResponseCache
from app.reads.keys import dump_key
from app.releases import repository
from app.releases.schemas import Release, ReleaseLinks, ReleaseList, ReleaseSource

# How many releases the list shows: runs are rare (a seed, an import per source release).
LISTED = 100
DUMP_BATCH = 200  # slugs read per query while dumping
GZIP_LEVEL = 6
CHUNK = 1 << 20  # bytes per chunk when a kept dump is sent
NDJSON = "application/x-ndjson"
_BUILDING = threading.Lock()
EDITS = "edits"


class ReleaseNotFound(NotFoundError):
    problem = "release-not-found"
    title = "Release not found"


class ReleaseSuperseded(NotFoundError):
    """A past release: listed, but its content is not kept."""

    status = HTTPStatus.GONE
    problem = "release-superseded"
    title = "Release superseded"


def _source(source: Source) -> dict[str, Any]:
    return ReleaseSource.model_validate(source).model_dump(mode="json")


def record_release(session: Session, made_by: str) -> None:
    """Record the content as this transaction leaves it as a release (once per version)."""
    version = repository.content_version(session)
    if repository.release_at(session, version) is not None:
        return
    session.add(
        ReleaseRow(
            content_version=version,
            released_at=utcnow(),
            made_by=made_by,
            sources=[_source(source) for source in repository.sources(session)],
            conditions=repository.published_count(session),
        )
    )
    session.flush()


def release_path(version: int) -> str:
    return f"{API_PREFIX}/releases/{version}"


def _links(version: int, current: bool) -> ReleaseLinks:
    return ReleaseLinks(
        self=release_path(version),
        changes=f"{API_PREFIX}/changes?since={version}",
        dump=f"{release_path(version)}/dump" if current else None,
    )


def _out(row: ReleaseRow, current: int) -> Release:
    return Release(
        version=row.content_version,
        released_at=row.released_at,
        made_by=row.made_by,
        current=row.content_version == current,
        conditions=row.conditions,
        sources=[ReleaseSource.model_validate(source) for source in row.sources],
        links=_links(row.content_version, row.content_version == current),
    )


def _current(session: Session, version: int) -> Release:
    """The content now, when editors' writes have moved it past the last recorded release."""
    return Release(
        version=version,
        released_at=repository.last_change(session) or utcnow(),
        made_by=EDITS,
        current=True,
        conditions=repository.published_count(session),
        sources=[ReleaseSource.model_validate(_source(s)) for s in repository.sources(session)],
        links=_links(version, True),
    )


def release_list(session: Session) -> ReleaseList:
    current = repository.content_version(session)
    rows = repository.releases(session, LISTED)
    items = [_out(row, current) for row in rows]
    if not items or not items[0].current:
        items.insert(0, _current(session, current))
    return ReleaseList(items=items, current=current)


def release(session: Session, version: int) -> Release:
    current = repository.content_version(session)
    row = repository.release_at(session, version)
    if row is not None:
        return _out(row, current)
    if version == current:
        return _current(session, current)
    raise ReleaseNotFound(
        f"No release has content version {version}; the current one is {current}.",
        version=version,
        current=current,
    )


def check_dumpable(session: Session, version: int) -> None:
    """Only the current content can be dumped: an older release is gone (410), not unknown."""
    current = release(session, version)  # a 404 for a version that never was a release
    if not current.current:
        raise ReleaseSuperseded(
            f"Release {version} is superseded and its content is not kept. Download the "
            f"current release ({repository.content_version(session)}) and apply the change "
            f"feed from it, or, holding release {version}, apply "
            f"{API_PREFIX}/changes?since={version}.",
            version=version,
            current=repository.content_version(session),
        )


def _built(session: Session) -> Iterator[bytes]:
    """Every published record, as GET /v1/conditions/{slug} serves it, one per line in slug
    order, gzip-coded as it goes. The gzip header carries no timestamp, so one version always
    gives the same bytes."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    after = ""
    while slugs := repository.published_slugs(session, after, DUMP_BATCH):
        lines = b"".join(record_rendered(session, slug).body + b"\n" for slug in slugs)
        session.expunge_all()  # one batch of records in memory at a time
        if chunk := compressor.compress(lines):
            yield chunk
        after = slugs[-1]
    yield compressor.flush()


def _cached(entry: Rendered) -> Iterator[bytes]:
    view = memoryview(entry.body)
    for start in range(0, len(view), CHUNK):
        yield bytes(view[start : start + CHUNK])


def _building_or_cached(session: Session, cache: ResponseCache, version: int) -> Iterator[bytes]:
    """The gzip-coded dump of `version` from the response cache, else built (and kept when
    it was read to the end). One dump is built at a time per process: a download that comes
    while one is built waits for it, and is then served from the cache."""
    entry = cache.get(dump_key(version))
    if entry is None:
        with _BUILDING:
            entry = cache.get(dump_key(version))  # built while this one waited?
            if entry is None:
                chunks = []
                for chunk in _built(session):
                    chunks.append(chunk)
                    yield chunk
                body = b"".join(chunks)
                entry = Rendered.of(body, NDJSON, etag=dump_tag(version))
                cache.put(dump_key(version), entry)
                return
    yield from _cached(entry)


def dump(session: Session, cache: ResponseCache, version: int, gzipped: bool) -> Iterator[bytes]:
    """The corpus at `version`, gzip-coded or not. `session` must hold one snapshot (see
    app.core.db.snapshot) in which `version` is the content version, for the lines to be the
    content of that version."""
    coded = _building_or_cached(session, cache, version)
    if gzipped:
        yield from coded
        return
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    for chunk in coded:
        if lines := decoder.decompress(chunk):
            yield lines
    yield decoder.flush()


def dump_tag(version: int) -> str:
    """The dump's ETag; the edge appends `.gzip` to it for the gzip-coded bytes."""
    return revision_tag("dump", version)
