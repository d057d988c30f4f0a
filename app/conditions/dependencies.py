"""Path parameters turned into loaded objects, or a 404 that says what was missing."""

from typing import Annotated

from fastapi import Depends, Path

from app.conditions import repository
from app.conditions.input_schemas import SLUG_PATTERN
from app.core.deps import SessionDep
from app.core.errors import ConditionNotFound
from app.models import Condition

SlugPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        pattern=SLUG_PATTERN,
        description="The condition's slug: lowercase words joined by hyphens.",
        examples=["multifocal-motor-neuropathy"],
    ),
]


def _not_found(slug: str) -> ConditionNotFound:
    return ConditionNotFound(f"No condition has the slug {slug!r}.", slug=slug)


def valid_condition(slug: SlugPath, session: SessionDep) -> Condition:
    condition = repository.get_condition(session, slug)
    if condition is None:
        raise _not_found(slug)
    return condition


def valid_condition_record(slug: SlugPath, session: SessionDep) -> Condition:
    condition = repository.get_condition_record(session, slug)
    if condition is None:
        raise _not_found(slug)
    return condition


ConditionDep = Annotated[Condition, Depends(valid_condition)]
ConditionRecordDep = Annotated[Condition, Depends(valid_condition_record)]
