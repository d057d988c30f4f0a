"""`inheritance=` on the condition list: records annotated with any of the given modes
(aspect I, not NOT rows); a term that is not a mode of inheritance is a 422 naming the field."""

from fastapi.testclient import TestClient

RECESSIVE, DOMINANT, X_LINKED = "HP:0000007", "HP:0000006", "HP:0001417"


def _slugs(corpus: TestClient, params: object) -> list[str]:
    body = corpus.get("/v1/conditions", params=params).json()  # type: ignore[arg-type]
    assert body["total"] == len(body["items"])
    return [item["slug"] for item in body["items"]]


def test_the_records_with_a_mode_and_with_any_of_several(corpus: TestClient) -> None:
    recessive = _slugs(corpus, {"inheritance": RECESSIVE, "limit": 100})
    assert recessive == [
        "cystic-fibrosis", "dubin-johnson-syndrome", "griscelli-syndrome-type-2",
        "porphyria-cutanea-tarda",
    ]  # fmt: skip
    for slug in recessive:
        causes = corpus.get(f"/v1/conditions/{slug}/causes").json()["items"]
        assert RECESSIVE in [code["code"] for item in causes for code in item["codes"]]
    dominant = _slugs(corpus, {"inheritance": DOMINANT, "limit": 100})
    x_linked = _slugs(corpus, {"inheritance": X_LINKED, "limit": 100})
    union = sorted(set(recessive) | set(dominant) | set(x_linked))
    repeated = _slugs(corpus, [("inheritance", f"{RECESSIVE},{DOMINANT.lower()}"),
                               ("inheritance", X_LINKED), ("limit", 100)])  # fmt: skip
    assert repeated == union
    assert _slugs(corpus, {"inheritance": RECESSIVE, "letter": "d", "limit": 100}) == [
        "dubin-johnson-syndrome"
    ]


def test_pages_of_a_repeated_filter_keep_every_value(corpus: TestClient) -> None:
    params = [("inheritance", RECESSIVE), ("inheritance", X_LINKED), ("limit", 1)]
    body = corpus.get("/v1/conditions", params=params).json()
    assert body["total"] > 1
    following = corpus.get(body["links"]["next"]).json()
    assert following["total"] == body["total"]
    assert "inheritance=HP%3A0000007&inheritance=HP%3A0001417" in body["links"]["next"]


def test_a_term_that_is_not_a_mode_of_inheritance_is_a_422(corpus: TestClient) -> None:
    for value in ("HP:0001250", "HP:0000005", "HP:9999999"):
        response = corpus.get("/v1/conditions", params={"inheritance": value})
        assert response.status_code == 422, value
        problem = response.json()
        assert [error["loc"] for error in problem["errors"]] == [["query", "inheritance"]]
        assert value in problem["detail"]
    malformed = corpus.get("/v1/conditions", params={"inheritance": "recessive"})
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["loc"][:2] == ["query", "inheritance"]
