"""Content releases, and the current one's whole corpus as one download: /v1/releases."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Path, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from app.core.conditional import (
    NOT_MODIFIED,
    json_representation,
    unchanged,
    validators,
)
from app.core.db import snapshot
from app.core.deps import SessionDep
from app.core.errors import problem_responses
from app.core.negotiation import best_media_type
from app.core.routing import api_router
from app.reads.cache import ResponseCache
from app.reads.dependencies import CachePolicyDep
from app.releases import repository, service
from app.releases.schemas import Release, ReleaseList

router = api_router("releases")

VersionPath = Annotated[
    str,
    Path(
        pattern=r"^(latest|[0-9]{1,18})$",
        description="A content version, or `latest` for the current one.",
        examples=["latest"],
    ),
]
# NDJSON, or the same bytes as a file for clients that only take binary bodies (client
# generators do not know NDJSON).
DUMP_MEDIA_TYPES = ["application/x-ndjson", "application/octet-stream"]


def _version(session: Session, given: str) -> int:
    return repository.content_version(session) if given == "latest" else int(given)


@router.get(
    "/releases",
    response_model=ReleaseList,
    summary="List content releases",
    description=(
        "The content releases, newest first: each seed or import run that changed the content "
        "makes one, with every source's version; when editors' writes have changed the "
        "content since the last run, the current content leads the list as `made_by: edits`. "
        "The current release links its `dump`; every release links the change feed from it."
    ),
    responses={**problem_responses(503), **NOT_MODIFIED},
)
def list_releases(request: Request, session: SessionDep, policy: CachePolicyDep) -> Response:
    return json_representation(request, service.release_list(session), policy)


@router.get(
    "/releases/{version}",
    response_model=Release,
    summary="Get a release",
    description="One release by its content version (`latest`: the current content).",
    responses={**problem_responses(404, 422, 503), **NOT_MODIFIED},
)
def get_release(
    request: Request, session: SessionDep, policy: CachePolicyDep, version: VersionPath
) -> Response:
    return json_representation(
        request, service.release(session, _version(session, version)), policy
    )


@router.get(
    "/releases/{version}/dump",
    summary="Download the whole corpus",
    description=(
        "Every published record, exactly as `GET /v1/conditions/{slug}` serves it, one JSON "
        "object per line (NDJSON) in slug order, streamed from one consistent snapshot of the "
        "content, gzip-compressed (`Content-Encoding: gzip`, unless `Accept-Encoding` refuses "
        "gzip): `curl -o corpus.ndjson.gz` saves the gzip file, `curl --compressed` and HTTP "
        "libraries read the lines. The current release only: an older one answers 410 (its "
        "content is not kept). One version always gives the same bytes and ETag, so "
        "`If-None-Match` answers 304 while nothing changed. To keep a mirror current, apply "
        "`GET /v1/changes?since={version}` after loading it (`X-Content-Version` names it)."
    ),
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {
                media_type: {"schema": {"type": "string", "format": "binary"}}
                for media_type in DUMP_MEDIA_TYPES
            },
            "description": "The corpus as NDJSON, one record per line.",
        },
        **problem_responses(404, 406, 410, 422, 503),
        **NOT_MODIFIED,
    },
)
def download_dump(request: Request, policy: CachePolicyDep, version: VersionPath) -> Response:
    media_type = best_media_type(request, DUMP_MEDIA_TYPES)
    gzipped = _takes_gzip(request.headers.get("accept-encoding"))
    session = snapshot(request.app.state.session_factory)
    try:
        current = _version(session, version)
        service.check_dumpable(session, current)
        released = service.release(session, current).released_at
        filename = f"condition-content-{current}.ndjson" + (".gz" if gzipped else "")
        headers = validators(
            policy,
            service.dump_tag(current),
            released,
            {
                "X-Content-Version": str(current),
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Content-Location": f"{service.release_path(current)}/dump",
                **({"Content-Encoding": "gzip"} if gzipped else {}),
            },
        )
        not_modified = unchanged(request, headers, released)
    except BaseException:
        session.close()
        raise
    if not_modified is not None:
        session.close()
        return not_modified
    body = _closing(session, request.app.state.reads.cache, current, gzipped)
    return StreamingResponse(body, media_type=media_type, headers=headers)


def _takes_gzip(accept_encoding: str | None) -> bool:
    """Whether the client takes gzip: with no Accept-Encoding any coding is acceptable (RFC
    9110 §12.5.3); else gzip (or `*`) must be listed with a quality above 0."""
    if accept_encoding is None:
        return True
    qualities: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, _, parameters = item.partition(";")
        quality = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        qualities[coding.strip().lower()] = quality
    return qualities.get("gzip", qualities.get("*", 0.0)) > 0


def _closing(
    session: Session, cache: ResponseCache, version: int, gzipped: bool
) -> Iterator[bytes]:
    """The dump read in `session`, which is closed when the stream ends or is abandoned."""
    try:
        yield from service.dump(session, cache, version, gzipped)
    finally:
        session.close()
