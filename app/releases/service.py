"""Releases: recorded at the end of each seed or import run that changed the content, listed
with the current content, and the current one dumped whole for mirrors."""

import zlib
from collections.abc import Iterator
from datetime import datetime
from http import HTTPStatus
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from app.conditions.representations import record_rendered
from app.core.conditional import CachePolicy, revision_tag, validators
from app.core.db import session_on
from app.core.errors import NotFoundError
from app.core.urls import API_PREFIX
from app.models import Release as ReleaseRow
from app.models import Source
from app.models.base import utcnow
from app.releases import repository
from app.releases.schemas import Release, ReleaseLinks, ReleaseList, ReleaseSource

# How many releases the list shows: runs are rare (a seed, an import per source release).
LISTED = 100
DUMP_BATCH = 200  # slugs read per query while dumping
GZIP_LEVEL = 6
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


def superseded(version: int, current: int) -> ReleaseSuperseded:
    return ReleaseSuperseded(
        f"Release {version} is superseded and its content is not kept. Download the current "
        f"release ({current}) and apply the change feed from it, or, holding release "
        f"{version}, apply {API_PREFIX}/changes?since={version}.",
        version=version,
        current=current,
    )


def release(session: Session, version: int | None) -> Release:
    """A release by version (None: the current one): recorded, or the current content; a past
    state that no run recorded (editors' writes between runs) is gone (410); a version to come
    is unknown."""
    current = repository.content_version(session)
    version = current if version is None else version
    row = repository.release_at(session, version)
    if row is not None:
        return _out(row, current)
    if version == current:
        return _current(session, current)
    if version < current:
        raise superseded(version, current)
    raise ReleaseNotFound(
        f"No release has content version {version}; the current one is {current}.",
        version=version,
        current=current,
    )


def dumpable(connection: Connection, version: int) -> datetime:
    """When the content at `version` was released, if it is the current content; an older
    version is gone (410), one to come unknown (404). Run by the reader on a connection."""
    with session_on(connection) as session:
        found = release(session, version)
        if not found.current:
            raise superseded(version, repository.content_version(session))
        return found.released_at


def dump_headers(
    policy: CachePolicy, version: int, released: datetime, gzipped: bool
) -> dict[str, str]:
    """The dump's validators and headers; the edge appends `.gzip` to the ETag of the coded
    bytes, as it does for every coded body."""
    filename = f"condition-content-{version}.ndjson" + (".gz" if gzipped else "")
    return validators(
        policy,
        revision_tag("dump", version),
        released,
        {
            "X-Content-Version": str(version),
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Location": f"{release_path(version)}/dump",
            **({"Content-Encoding": "gzip"} if gzipped else {}),
        },
    )


def built(session: Session) -> Iterator[bytes]:
    """Every published record, as GET /v1/conditions/{slug} serves it, one per line in slug
    order, gzip-coded as it goes, read in `session` (a snapshot, for one version's content).
    The gzip header carries no timestamp, so one version always gives the same bytes."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    after = ""
    while slugs := repository.published_slugs(session, after, DUMP_BATCH):
        lines = b"".join(record_rendered(session, slug).body + b"\n" for slug in slugs)
        session.expunge_all()  # one batch of records in memory at a time
        if chunk := compressor.compress(lines):
            yield chunk
        after = slugs[-1]
    yield compressor.flush()
