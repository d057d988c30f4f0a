"""Request checks every write shares: the body's media type and the If-Match precondition."""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request

from app.core.conditional import strong_tags
from app.core.errors import BadRequest, PreconditionRequired, UnsupportedMediaType

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"


def body_of(*accepted: str) -> Callable[[Request], None]:
    """A dependency that answers 415 unless the body is of one of the `accepted` types."""

    def check(request: Request) -> None:
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in accepted:
            raise UnsupportedMediaType(
                f"Send the body as {' or '.join(accepted)}"
                + (f", not {media_type}." if media_type else " (no Content-Type was sent)."),
                accepted=list(accepted),
            )

    return check


# Declared after the key (and If-Match) in each route's parameters, so FastAPI checks them in
# that order: who you are, then what you sent.
JsonBody = Annotated[None, Depends(body_of(JSON))]
MergePatchBody = Annotated[None, Depends(body_of(MERGE_PATCH, JSON))]


def if_match_tags(
    if_match: Annotated[
        str | None,
        Header(
            description="The ETag of the record as you last read it, from its JSON: GET on the "
            "record, its `/document`, or, for a section write, the section (JSON-LD tags are "
            "not accepted). Required: a write without it (or with `*`) is refused with 428, a "
            "stale one with 412.",
        ),
    ] = None,
) -> list[str]:
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            "Writes need If-Match with the ETag of the record as you read it, so that no one's "
            "change is overwritten unseen: GET it, then send its ETag."
        )
    if if_match.strip() == "*":
        raise PreconditionRequired(
            "If-Match: * would overwrite whatever is there unseen; send the record's ETag."
        )
    tags = strong_tags(if_match)
    if tags is None:  # (weak tags parse, and then match nothing: 412)
        raise BadRequest(
            'If-Match must be a list of entity tags, such as "l5rBgwxve6veb8JA".',
            errors=[{"loc": ["header", "if-match"], "msg": "not entity tags", "type": "syntax"}],
        )
    return tags


IfMatchDep = Annotated[list[str], Depends(if_match_tags)]
