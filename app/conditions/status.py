"""Which conditions a list of conditions shows: published ones, unless another status is asked
for. Every list (the condition list, code look-ups, reverse look-ups, match) takes this rule."""

from typing import Annotated

from fastapi import Query
from sqlalchemy import ColumnElement

from app.models import Condition
from app.models.kinds import ConditionStatus

DEFAULT_STATUS = ConditionStatus.PUBLISHED

StatusQuery = Annotated[
    ConditionStatus,
    Query(description="Only conditions with this status (retired and draft ones on request)."),
]


def shown(status: str = DEFAULT_STATUS.value) -> ColumnElement[bool]:
    return Condition.status == status
