"""GET /v1/changes: what changed since a cursor, for clients keeping a copy in sync."""

from typing import Annotated

from fastapi import Query, Request

from app.changes import repository
from app.changes.schemas import ChangeFeed, ChangeLinks, ChangeOut, FeedLinks
from app.core.errors import problem_responses
from app.core.pagination import page_url
from app.core.routing import api_router
from app.core.urls import condition_path
from app.models.kinds import ChangeAction
from app.reads.dependencies import ReadSessionDep

router = api_router("editing")
MAX_CHANGES = 1000


@router.get(
    "/changes",
    response_model=ChangeFeed,
    summary="Changes since a cursor",
    description=(
        "Records created, updated, retired, moved (renamed: see `moved_to`) or removed (by an "
        "import), in the order their changes were committed. Start with `since=0`; keep "
        "`next_since` and ask again with it, now or later, to get only what changed since. "
        "Each record appears once, at its latest change. A change is in the feed as soon as "
        "its write returns."
    ),
    responses=problem_responses(422, 503),
)
def list_changes(
    request: Request,
    session: ReadSessionDep,
    since: Annotated[
        int,
        Query(ge=0, le=2**62, description="The `next_since` (or a `seq`) last seen; 0: all."),
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_CHANGES, description="At most this many.")] = 100,
) -> ChangeFeed:
    rows = repository.latest_changes(session, since, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    next_since = rows[-1].seq if rows else since
    return ChangeFeed(
        items=[
            ChangeOut(
                seq=row.seq,
                slug=row.slug,
                action=ChangeAction(row.action),
                revision=row.revision,
                previous_slug=row.previous_slug,
                moved_to=row.moved_to,
                changed_at=row.changed_at,
                links=ChangeLinks(
                    condition=None
                    if row.action in (ChangeAction.REMOVED, ChangeAction.MOVED)
                    else condition_path(row.slug)
                ),
            )
            for row in rows
        ],
        since=since,
        next_since=next_since,
        more=more,
        links=FeedLinks(self=page_url(request), next=page_url(request, since=next_since)),
    )
