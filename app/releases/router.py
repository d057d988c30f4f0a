"""Content releases, and the current one's whole corpus as one download: /v1/releases."""

from typing import Annotated

from fastapi import Path, Request, Response
from fastapi.responses import StreamingResponse

from app.core.conditional import NOT_MODIFIED, json_representation, unchanged
from app.core.errors import problem_responses
from app.core.negotiation import best_media_type, takes_gzip
from app.core.routing import api_router
from app.reads.dependencies import CachePolicyDep, ReadsDep, ReadSessionDep
from app.releases import dumps, service
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
def list_releases(request: Request, session: ReadSessionDep, policy: CachePolicyDep) -> Response:
    return json_representation(request, service.release_list(session), policy)


@router.get(
    "/releases/{version}",
    response_model=Release,
    summary="Get a release",
    description="One release by its content version (`latest`: the current content). A past "
    "version is gone (410), whether a run recorded it or editors' writes moved past it.",
    responses={**problem_responses(404, 410, 422, 503), **NOT_MODIFIED},
)
def get_release(
    request: Request, session: ReadSessionDep, policy: CachePolicyDep, version: VersionPath
) -> Response:
    found = service.release(session, None if version == "latest" else int(version))
    return json_representation(request, found, policy)


@router.get(
    "/releases/{version}/dump",
    summary="Download the whole corpus",
    description=(
        "Every published record, exactly as `GET /v1/conditions/{slug}` serves it, one JSON "
        "object per line (NDJSON) in slug order, read from one consistent snapshot of the "
        "content, gzip-coded (`Content-Encoding: gzip`, unless `Accept-Encoding` refuses "
        "gzip): `curl -o corpus.ndjson.gz` saves the gzip file, `curl --compressed` and HTTP "
        "libraries read the lines. The current release only: an older one answers 410 (its "
        "content is not kept). One version always gives the same bytes and ETag, so "
        "`If-None-Match` answers 304 while nothing changed. The first download of a version "
        "waits for it to be built (about a minute for the whole corpus); later ones are sent "
        "at once. To keep a mirror current, apply `GET /v1/changes?since={version}` after "
        "loading it (`X-Content-Version` names it)."
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
async def download_dump(request: Request, reads: ReadsDep, version: VersionPath) -> Response:
    media_type = best_media_type(request, DUMP_MEDIA_TYPES)
    gzipped = takes_gzip(request.headers.get("accept-encoding"))
    current = await reads.content_version()
    wanted = current if version == "latest" else int(version)
    released = await reads.read.build(service.dumpable, wanted)
    headers = service.dump_headers(reads.policy, wanted, released, gzipped)
    if (not_modified := unchanged(request, headers, released)) is not None:
        return not_modified
    registry: dumps.Dumps = request.app.state.dumps
    kept = registry.kept(wanted)
    if kept is not None:
        body = dumps.sent(kept)
    else:
        build = await registry.build(wanted, service.built)
        if build.version != wanted:  # a write came first: the dump is of the newer content
            assert build.version is not None
            if version != "latest":
                raise service.superseded(wanted, build.version)
            released = await reads.read.build(service.dumpable, build.version)
            headers = service.dump_headers(reads.policy, build.version, released, gzipped)
        body = build.follow()
    return StreamingResponse(
        body if gzipped else dumps.decoded(body), media_type=media_type, headers=headers
    )
