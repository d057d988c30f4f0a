"""The content the open data gives every record, on the whole corpus and both engines (issue
targets): common conditions as records with their definitions, causes from genes and
inheritance, a summary on every published record, and lay names that find their condition.
Runs with FULL_CORPUS=1 (as in .ci/run)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.core.db import session_factory_for
from app.models import Condition, ConditionTerm
from tests.helpers import make_client


@pytest.fixture(scope="module")
def client(full_corpus_url: str) -> Iterator[TestClient]:
    with make_client(full_corpus_url) as test_client:
        yield test_client


def test_counts_meet_the_targets(full_corpus_url: str, client: TestClient) -> None:
    with session_factory_for(full_corpus_url) as factory, factory() as session:
        common = session.scalar(
            select(func.count()).select_from(Condition).where(Condition.origin == "hpo-term")
        )
        linked = session.scalar(select(func.count()).select_from(ConditionTerm))
        without_summary = session.scalar(
            select(func.count())
            .select_from(Condition)
            .where(
                Condition.status == "published",
                Condition.summary.is_(None),
                Condition.derived_summary.is_(None),
            )
        )
        published = session.scalar(
            select(func.count()).select_from(Condition).where(Condition.status == "published")
        )
    assert common is not None and common >= 600
    assert linked is not None and linked >= common
    assert published is not None and published >= 12_000
    assert without_summary == 0
    causes = client.get("/v1/conditions", params={"has_section": "causes", "limit": 1}).json()
    assert causes["total"] >= 8_500


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("asthma", "asthma"),
        ("hay fever", "allergic-rhinitis"),
        ("heart attack", "myocardial-infarction"),
    ],
)
def test_a_common_condition_or_its_lay_name_ranks_it_first_with_a_summary(
    client: TestClient, query: str, slug: str
) -> None:
    body = client.get("/v1/search", params={"q": query, "limit": 3}).json()
    first = body["items"][0]
    assert first["slug"] == slug, [item["slug"] for item in body["items"]]
    assert first["summary"] and first["summary_source"] == "definition"
    record = client.get(f"/v1/conditions/{slug}").json()
    assert record["summary"] == first["summary"]
