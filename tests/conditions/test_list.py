"""The condition list: pagination by cursor and offset, filters, links, totals."""

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.core import migrations
from app.core.pagination import Cursor
from tests import factories
from tests.helpers import MMN_SEED, make_client, seed_database

# Generated records: one per letter, a second "b", one starting with a digit; plus MMN, a draft
# and a retired one.
SLUGS = sorted(
    {f"{letter}-condition" for letter in "abcdefghijklmnopqrstuvwxyz"} | {"b-other", "3m-syndrome"}
)


@pytest.fixture(scope="module")
def list_client(databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = databases.fresh()
    records = [factories.condition(slug) for slug in SLUGS]
    records[1]["codes"] = [{"system": "omim", "code": "123456"}]
    records.append(factories.condition("draft-condition", status="draft"))
    records.append(factories.condition("retired-condition", status="retired"))
    path = factories.write_seed(tmp_path_factory.mktemp("seed") / "list.yaml", records)
    seed_database(url, path, MMN_SEED)
    with make_client(url) as client:
        yield client


PUBLISHED = sorted([*SLUGS, "multifocal-motor-neuropathy"])


def _forged(data: object) -> str:
    raw = json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _slugs(body: dict) -> list[str]:
    return [item["slug"] for item in body["items"]]


def test_first_page(list_client: TestClient) -> None:
    body = list_client.get("/v1/conditions", params={"limit": 5}).json()
    assert _slugs(body) == PUBLISHED[:5]
    assert body["total"] == len(PUBLISHED)
    assert body["limit"] == 5
    assert body["links"]["prev"] is None
    assert body["links"]["self"] == "/v1/conditions?limit=5"
    assert body["links"]["next"].startswith("/v1/conditions?limit=5&cursor=")
    response = list_client.get("/v1/conditions", params={"limit": 5})
    assert response.headers["link"] == f'<{body["links"]["next"]}>; rel="next"'


def test_default_limit_is_20(list_client: TestClient) -> None:
    body = list_client.get("/v1/conditions").json()
    assert len(body["items"]) == 20
    assert body["limit"] == 20


def test_walk_forward_then_back_with_cursors(list_client: TestClient) -> None:
    seen: list[str] = []
    pages: list[str] = []
    url: str | None = "/v1/conditions?limit=4"
    while url:
        pages.append(url)
        body = list_client.get(url).json()
        seen += _slugs(body)
        url = body["links"]["next"]
    assert seen == PUBLISHED
    assert len(pages) == 8  # 29 records, 4 per page

    back: list[list[str]] = []
    url = body["links"]["prev"]
    while url:
        body = list_client.get(url).json()
        back.append(_slugs(body))
        url = body["links"]["prev"]
    assert [slug for page in reversed(back) for slug in page] == PUBLISHED[:28]
    assert back[-1] == PUBLISHED[:4]


def test_offset_pagination(list_client: TestClient) -> None:
    body = list_client.get("/v1/conditions", params={"limit": 10, "offset": 10}).json()
    assert _slugs(body) == PUBLISHED[10:20]
    assert body["links"]["next"] == "/v1/conditions?limit=10&offset=20"
    assert body["links"]["prev"] == "/v1/conditions?limit=10&offset=0"
    last = list_client.get("/v1/conditions", params={"limit": 10, "offset": 20}).json()
    assert _slugs(last) == PUBLISHED[20:]
    assert last["links"]["next"] is None


def test_offset_past_the_end_is_an_empty_page(list_client: TestClient) -> None:
    body = list_client.get("/v1/conditions", params={"offset": 1000, "limit": 5}).json()
    assert body["items"] == []
    assert body["total"] == len(PUBLISHED)
    assert body["links"]["next"] is None
    last = list_client.get(body["links"]["prev"]).json()
    assert _slugs(last) == PUBLISHED[-5:]


def test_prev_of_a_short_offset_does_not_overlap(list_client: TestClient) -> None:
    body = list_client.get("/v1/conditions", params={"offset": 2, "limit": 5}).json()
    assert _slugs(body) == PUBLISHED[2:7]
    prev = list_client.get(body["links"]["prev"]).json()
    assert _slugs(prev) == PUBLISHED[:2]
    assert prev["links"]["prev"] is None


@pytest.mark.parametrize(
    ("cursor", "expected_next", "expected_prev"),
    [
        # Nothing after the last slug: the page is empty and points back to the last rows.
        (Cursor("after", "zz"), None, PUBLISHED[-3:]),
        # Nothing before the first slug: empty, pointing forward to the first rows.
        (Cursor("before", "0"), PUBLISHED[:3], None),
    ],
)
def test_empty_cursor_page_still_links_back(
    list_client: TestClient,
    cursor: Cursor,
    expected_next: list[str] | None,
    expected_prev: list[str] | None,
) -> None:
    body = list_client.get("/v1/conditions", params={"cursor": cursor.encode(), "limit": 3}).json()
    assert body["items"] == []
    for link, expected in (("next", expected_next), ("prev", expected_prev)):
        if expected is None:
            assert body["links"][link] is None
        else:
            assert _slugs(list_client.get(body["links"][link]).json()) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"letter": "b"}, ["b-condition", "b-other"]),
        ({"letter": "B"}, ["b-condition", "b-other"]),
        ({"letter": "m"}, ["m-condition", "multifocal-motor-neuropathy"]),
        ({"letter": "0-9"}, ["3m-syndrome"]),
        ({"status": "draft"}, ["draft-condition"]),
        ({"status": "retired"}, ["retired-condition"]),
        ({"code_system": "orpha"}, ["multifocal-motor-neuropathy"]),
        ({"code_system": "omim"}, ["a-condition"]),
        ({"has_section": "symptoms"}, ["multifocal-motor-neuropathy"]),
        ({"has_section": "symptoms", "letter": "a"}, []),
        ({"code_system": "omim", "letter": "a"}, ["a-condition"]),
    ],
)
def test_filters(list_client: TestClient, params: dict, expected: list[str]) -> None:
    body = list_client.get("/v1/conditions", params=params).json()
    assert _slugs(body) == expected
    assert body["total"] == len(expected)


def test_filters_survive_in_links(list_client: TestClient) -> None:
    body = list_client.get("/v1/conditions", params={"letter": "b", "limit": 1}).json()
    assert _slugs(body) == ["b-condition"]
    nxt = list_client.get(body["links"]["next"]).json()
    assert _slugs(nxt) == ["b-other"]
    assert nxt["links"]["next"] is None
    assert "letter=b" in nxt["links"]["prev"]


def test_summary_shape(list_client: TestClient) -> None:
    body = list_client.get("/v1/conditions", params={"letter": "m"}).json()
    mmn = body["items"][1]
    assert set(mmn) == {
        "slug", "name", "display_name", "synonyms", "summary", "summary_source",
        "summary_sources", "status", "section_kinds", "last_reviewed", "updated_at", "links",
    }  # fmt: skip
    assert (mmn["summary_source"], mmn["summary_sources"]) == ("editorial", [])
    assert mmn["section_kinds"][:4] == ["overview", "types", "causes", "symptoms"]
    assert mmn["links"]["self"] == "/v1/conditions/multifocal-motor-neuropathy"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"letter": "ab"}, "letter"),
        ({"status": "secret"}, "status"),
        ({"code_system": "nope"}, "code_system"),
        ({"has_section": "horoscope"}, "has_section"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "e30"}, "cursor"),  # base64 of {}
        ({"cursor": _forged({"d": "after", "k": "a\u0000b"})}, "cursor"),
        ({"cursor": _forged({"d": "after", "k": "\ud800"})}, "cursor"),
        ({"cursor": _forged({"d": "after", "k": "x" * 201})}, "cursor"),
        ({"cursor": _forged({"d": "after", "k": 5})}, "cursor"),
        ({"cursor": _forged({"d": "after", "k": "a", "i": "yes"})}, "cursor"),
        ({"cursor": _forged({"d": "sideways", "k": "a"})}, "cursor"),
        ({"cursor": _forged(["after", "a"])}, "cursor"),
        ({"cursor": Cursor("after", "a").encode(), "offset": 3}, "offset"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(
    list_client: TestClient, params: dict, field: str
) -> None:
    response = list_client.get("/v1/conditions", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422
    assert ["query", field] in [error["loc"] for error in body["errors"]]


def test_order_and_letters_ignore_the_server_locale(databases, tmp_path: Path) -> None:
    """Under a natural-language collation, '-' and digits sort differently from byte order; slugs
    are declared with the C collation so order, cursors and letter ranges do not change."""
    if databases.engine_name == "postgresql":
        url = databases.create(
            pg_options="TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
        )
        migrations.upgrade(url)
    else:
        url = databases.fresh()
    slugs = ["0day", "9lives", "a-b", "ab", "a-c", "z-last", "zz"]
    path = factories.write_seed(tmp_path / "s.yaml", [factories.condition(s) for s in slugs])
    seed_database(url, path)
    with make_client(url) as client:
        assert _slugs(client.get("/v1/conditions").json()) == sorted(slugs)
        assert _slugs(client.get("/v1/conditions?letter=0-9").json()) == ["0day", "9lives"]
        assert _slugs(client.get("/v1/conditions?letter=z").json()) == ["z-last", "zz"]
        first = client.get("/v1/conditions?limit=3").json()
        second = client.get(first["links"]["next"]).json()
        assert _slugs(first) + _slugs(second) == sorted(slugs)[:6]


def test_slugs_read_many_records_with_the_missing_named(list_client: TestClient) -> None:
    asked = ["z-condition", "no-such-condition", "a-condition", "draft-condition", "a-condition"]
    response = list_client.get("/v1/conditions", params={"slug": ",".join(asked), "limit": 100})
    assert response.status_code == 200, response.text
    body = response.json()
    assert _slugs(body) == ["a-condition", "z-condition"]  # the list's order, repeats once
    assert body["total"] == 2
    # A draft is not listed by default, so it is missing like an unknown slug.
    assert body["not_found"] == [
        {"slug": "no-such-condition", "renamed_to": None},
        {"slug": "draft-condition", "renamed_to": None},
    ]
    drafts = list_client.get(
        "/v1/conditions", params={"slug": "draft-condition", "status": "draft"}
    )
    assert _slugs(drafts.json()) == ["draft-condition"] and drafts.json()["not_found"] == []
    # The other filters and sparse fields apply as on any page; other pages have no not_found.
    sparse = list_client.get("/v1/conditions", params={"slug": "b-other,x", "fields": "name"})
    assert sparse.json()["items"] == [{"slug": "b-other", "name": "B other"}]
    assert sparse.json()["not_found"] == [{"slug": "x", "renamed_to": None}]
    assert "not_found" not in list_client.get("/v1/conditions").json()


def test_a_batch_of_slugs_is_bounded_and_checked(list_client: TestClient) -> None:
    too_many = ",".join(f"s{i}" for i in range(101))
    response = list_client.get("/v1/conditions", params={"slug": too_many})
    assert response.status_code == 422
    assert ["query", "slug"] in [error["loc"] for error in response.json()["errors"]]
    malformed = list_client.get("/v1/conditions", params={"slug": "a-condition,Not A Slug"})
    assert malformed.status_code == 422
    assert [error["loc"] for error in malformed.json()["errors"]] == [["query", "slug"]]
