"""Broad queries: search ranks every match but builds only the page, and counts facets per
profile of values rather than per match (app/search/snapshot.py). What a client sees must be
what ranking and counting every match gives: pages that join into one ordering, totals and
facet counts that the filters confirm."""

import pytest
from fastapi.testclient import TestClient

BROAD = ["weakness", "syndrome", "abnormality", "disease", "muscle"]


def _search(client: TestClient, q: str, **params: object) -> dict:
    response = client.get("/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()


def _order(items: list[dict]) -> list[tuple[str, float, str | None]]:
    return [(item["slug"], item["score"], item["name_match"]) for item in items]


@pytest.mark.parametrize("q", BROAD)
def test_pages_join_into_the_whole_ranking(corpus: TestClient, q: str) -> None:
    whole = _search(corpus, q, limit=100)
    assert whole["total"] == len(whole["items"]), "the fixture corpus fits on one page"
    joined = []
    for offset in range(0, whole["total"], 3):
        page = _search(corpus, q, limit=3, offset=offset)
        assert page["total"] == whole["total"]
        assert page["facets"] == whole["facets"]
        joined += page["items"]
    assert _order(joined) == _order(whole["items"])
    # Whole-name matches first, then by score (shown rounded: equal-looking scores may still
    # differ, so the slug order among them is not visible here).
    unnamed = [item for item in whole["items"] if item["name_match"] is None]
    assert whole["items"][: len(whole["items"]) - len(unnamed)] == [
        item for item in whole["items"] if item["name_match"] is not None
    ]
    scores = [item["score"] for item in unnamed]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("q", BROAD)
def test_each_facet_count_is_what_its_filter_finds(corpus: TestClient, q: str) -> None:
    whole = _search(corpus, q, limit=100)
    if not whole["total"]:
        pytest.skip(f"{q!r} matches nothing in the fixture corpus")
    checked = 0
    for facet in ("section", "source"):
        for value, count in whole["facets"][facet].items():
            filtered = _search(corpus, q, limit=100, **{facet: value})
            assert filtered["total"] == count, (facet, value)
            # Filtering keeps the ranking of what it keeps.
            kept = {item["slug"] for item in filtered["items"]}
            assert _order(filtered["items"]) == _order(
                [item for item in whole["items"] if item["slug"] in kept]
            )
            checked += 1
    assert checked, "no facet to check"
