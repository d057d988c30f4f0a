"""POST /v1/codes/lookup: many codes in one request, each answered as its single look-up
answers it, an unknown one as an item that says so; bounded, and strict about malformed input."""

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.codes.schemas import MAX_BATCH_CODES

LOOKUP = "/v1/codes/lookup"
SAME_AS_SINGLE = ("system", "code", "curie", "display", "level", "conditions", "links")


def _single(corpus: TestClient, system: str, code: str) -> dict:
    response = corpus.get(f"/v1/codes/{system}/{code}")
    assert response.status_code == 200, response.text
    return response.json()


def test_each_code_is_answered_as_its_single_look_up(corpus: TestClient) -> None:
    asked = [
        {"system": "icd10cm", "code": "G6182"},  # as typed, without the dot
        {"system": "hpo", "code": "HP:0001324"},  # listed by annotations, not carried
        {"system": "ICD10CM", "code": "G61"},  # a category: an entry, no carrier
        {"system": "icd10cm", "code": "G61.82"},  # a repeat, normalised alike
    ]
    response = corpus.post(LOOKUP, json={"codes": asked})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [item["given"] for item in body["items"]] == [q["code"] for q in asked]
    assert body["found"] == 4 and body["not_found"] == 0
    for item in body["items"]:
        single = _single(corpus, item["system"], item["code"])
        assert {k: item[k] for k in SAME_AS_SINGLE} == {k: single[k] for k in SAME_AS_SINGLE}
        assert item["conditions_total"] == single["conditions_total"]
        assert item["found"] is True and item["detail"] is None
    assert body["items"][0]["code"] == body["items"][3]["code"] == "G61.82"
    assert "multifocal-motor-neuropathy" in {c["slug"] for c in body["items"][0]["conditions"]}


def test_an_unknown_code_is_an_item_not_a_404(corpus: TestClient) -> None:
    assert corpus.get("/v1/codes/orpha/9999999").status_code == 404
    body = corpus.post(
        LOOKUP,
        json={
            "codes": [
                {"system": "orpha", "code": "9999999"},
                {"system": "icd10cm", "code": "G61.82"},
            ]
        },
    ).json()
    unknown, known = body["items"]
    assert unknown["found"] is False and unknown["conditions"] == []
    assert unknown["conditions_total"] == 0 and unknown["display"] is None
    assert "ORPHA:9999999" in unknown["detail"]
    assert known["found"] is True
    assert (body["found"], body["not_found"]) == (1, 1)


def test_a_full_batch_of_real_codes(corpus: TestClient, corpus_url: str) -> None:
    engine = create_engine(corpus_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT system, code FROM codes UNION SELECT system, code FROM code_entries "
                "ORDER BY 1, 2"
            )
        ).all()
    engine.dispose()
    known = [{"system": s, "code": c} for s, c in rows]
    assert len(known) > 100
    codes = [known[i % len(known)] for i in range(MAX_BATCH_CODES)]  # repeats are answered too
    body = corpus.post(LOOKUP, json={"codes": codes}).json()
    assert len(body["items"]) == MAX_BATCH_CODES and body["not_found"] == 0
    # Spot-check against the single look-up across systems.
    for index in range(0, MAX_BATCH_CODES, 97):
        item = body["items"][index]
        single = _single(corpus, item["system"], item["code"])
        assert {k: item[k] for k in SAME_AS_SINGLE} == {k: single[k] for k in SAME_AS_SINGLE}


def test_the_status_filter_applies_to_every_item(corpus: TestClient) -> None:
    body = corpus.post(
        LOOKUP, json={"codes": [{"system": "icd10cm", "code": "G61.82"}], "status": "retired"}
    ).json()
    single = corpus.get("/v1/codes/icd10cm/G61.82", params={"status": "retired"}).json()
    assert body["items"][0]["conditions"] == single["conditions"]
    assert "multifocal-motor-neuropathy" not in {c["slug"] for c in single["conditions"]}


def _error_locations(response) -> list[list]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return [error["loc"] for error in response.json()["errors"]]


def test_bad_batches_are_422s_naming_the_item(corpus: TestClient) -> None:
    too_many = [{"system": "icd10cm", "code": "G61.82"}] * (MAX_BATCH_CODES + 1)
    assert ["body", "codes"] in _error_locations(corpus.post(LOOKUP, json={"codes": too_many}))
    assert ["body", "codes"] in _error_locations(corpus.post(LOOKUP, json={"codes": []}))
    malformed = [{"system": "icd10cm", "code": "G61.82"}, {"system": "icd10cm", "code": "G61 82"}]
    assert ["body", "codes", 1, "code"] in _error_locations(
        corpus.post(LOOKUP, json={"codes": malformed})
    )
    unknown_system = [{"system": "loinc", "code": "1234-5"}]
    assert ["body", "codes", 0, "system"] in _error_locations(
        corpus.post(LOOKUP, json={"codes": unknown_system})
    )
    prefix_alone = [{"system": "icd10cm", "code": "G61.82"}, {"system": "orpha", "code": "ORPHA:"}]
    assert ["body", "codes", 1, "code"] in _error_locations(
        corpus.post(LOOKUP, json={"codes": prefix_alone})
    )
    assert ["path", "code"] in _error_locations(corpus.get("/v1/codes/orpha/ORPHA:"))
    extra = [{"system": "icd10cm", "code": "G61.82", "version": "2026"}]
    assert ["body", "codes", 0, "version"] in _error_locations(
        corpus.post(LOOKUP, json={"codes": extra})
    )
