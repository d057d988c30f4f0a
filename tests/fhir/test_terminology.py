"""The FHIR terminology facade as a FHIR client meets it: fhirpy against a live server over the
corpus (MMN seeded, the fixture HPO and ICD-10-CM imports), every answer parsed by
fhir.resources, every value checked against what the database holds."""

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.parameters import Parameters
from fhir.resources.R4B.valueset import ValueSet
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome as OutcomeError
from fhirpy.base.exceptions import ResourceNotFound
from sqlalchemy import create_engine, text

from app.core.config import Settings
from app.fhir.equivalence import Link, equivalence
from app.fhir.systems import BY_SYSTEM
from app.main import create_app
from app.models.kinds import CodeSystem
from tests.helpers import live_server, make_client

ICD = BY_SYSTEM[CodeSystem.ICD10CM].uri
ORPHA = BY_SYSTEM[CodeSystem.ORPHA].uri
HPO = BY_SYSTEM[CodeSystem.HPO].uri
MMN = "multifocal-motor-neuropathy"


@pytest.fixture(scope="module")
def base(corpus_url: str) -> Iterator[str]:
    with live_server(create_app(Settings(database_url=corpus_url))) as served:
        yield served


@pytest.fixture(scope="module")
def fhir(base: str) -> SyncFHIRClient:
    return SyncFHIRClient(f"{base}/fhir")


def _rows(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql), params))
    finally:
        engine.dispose()


def _parameters(answer: Any) -> Parameters:
    """The answer parsed as FHIR Parameters (so it validates), as a dict again."""
    return Parameters.model_validate(dict(answer))


def _values(parameters: Parameters, name: str) -> list[Any]:
    """The value[x] of each top-level parameter named `name`."""
    found = []
    for parameter in parameters.parameter or []:
        if parameter.name == name:
            dumped = parameter.model_dump(exclude_none=True)
            found.append(next(v for k, v in dumped.items() if k.startswith("value")))
    return found


def _properties(parameters: Parameters, code: str) -> list[tuple[Any, str | None]]:
    """(value, description) of each `property` whose code is `code`."""
    found = []
    for parameter in parameters.parameter or []:
        if parameter.name != "property":
            continue
        parts = {part.name: part for part in parameter.part or []}
        if parts["code"].valueCode == code:
            value = parts["value"].model_dump(exclude_none=True)
            described = parts.get("description")
            found.append(
                (
                    next(v for k, v in value.items() if k.startswith("value")),
                    described.valueString if described else None,
                )
            )
    return found


def _designations(parameters: Parameters) -> list[str]:
    return [
        part.valueString
        for parameter in parameters.parameter or []
        if parameter.name == "designation"
        for part in parameter.part or []
        if part.name == "value"
    ]


def _matches(parameters: Parameters) -> list[dict[str, Any]]:
    """Each `match` as {equivalence, system, code, display, source}."""
    found = []
    for parameter in parameters.parameter or []:
        if parameter.name == "match":
            parts = {part.name: part for part in parameter.part or []}
            coding = parts["concept"].valueCoding
            found.append(
                {
                    "equivalence": parts["equivalence"].valueCode,
                    "system": coding.system,
                    "code": coding.code,
                    "display": coding.display,
                    "source": parts["source"].valueUri,
                }
            )
    return found


def _outcome(error: Exception) -> OperationOutcome:
    """The OperationOutcome a fhirpy error carries (a 404's as its text)."""
    if isinstance(error, OutcomeError):
        return OperationOutcome.model_validate(error.resource)
    return OperationOutcome.model_validate(json.loads(str(error)))


def test_metadata_is_a_capability_statement(fhir: SyncFHIRClient, base: str) -> None:
    statement = CapabilityStatement.model_validate(dict(fhir.execute("metadata", method="get")))
    assert statement.fhirVersion == "4.0.1"
    assert statement.kind == "instance"
    assert "json" in statement.format
    assert statement.implementation.url == f"{base}/fhir"
    operations = {
        resource.type: [(op.name, op.definition) for op in resource.operation or []]
        for rest in statement.rest or []
        for resource in rest.resource or []
    }
    assert operations == {
        kind: [(name, f"http://hl7.org/fhir/OperationDefinition/{kind}-{name}")]
        for kind, name in (
            ("CodeSystem", "lookup"),
            ("ValueSet", "expand"),
            ("ConceptMap", "translate"),
        )
    }


def test_lookup_of_an_icd10cm_code(fhir: SyncFHIRClient, corpus_url: str) -> None:
    [(display, parent, inclusion, version)] = _rows(
        corpus_url,
        "SELECT e.display, e.parent_code, e.inclusion_terms, s.version FROM code_entries e "
        "JOIN sources s ON s.id = e.source_id WHERE e.system = 'icd10cm' AND e.code = 'G61.82'",
    )
    [(parent_display,)] = _rows(
        corpus_url,
        "SELECT display FROM code_entries WHERE system = 'icd10cm' AND code = :code",
        code=parent,
    )
    for written in ("G61.82", "G6182"):  # as FHIR writes it, and as users type it
        found = _parameters(
            fhir.execute(
                "CodeSystem/$lookup", method="get", params={"system": ICD, "code": written}
            )
        )
        assert _values(found, "name") == ["ICD-10-CM"]
        assert _values(found, "display") == [display] == ["Multifocal motor neuropathy"]
        assert _values(found, "version") == [version]
        assert _properties(found, "parent") == [(parent, parent_display)]
        assert parent == "G61.8"
        assert _properties(found, "child") == []
        inclusion = json.loads(inclusion) if isinstance(inclusion, str) else inclusion
        assert _designations(found) == inclusion and "MMN" in inclusion


def test_lookup_of_an_hpo_term_gives_its_parents_and_children(
    fhir: SyncFHIRClient, corpus_url: str
) -> None:
    code = "HP:0001324"
    relatives = _rows(
        corpus_url,
        "SELECT t.code, p.code FROM term_parents tp JOIN terms t ON t.id = tp.term_id "
        "JOIN terms p ON p.id = tp.parent_id WHERE t.code = :code OR p.code = :code",
        code=code,
    )
    parents = {parent for child, parent in relatives if child == code}
    children = {child for child, parent in relatives if parent == code}
    assert parents and children
    [(name, synonyms, version)] = _rows(
        corpus_url,
        "SELECT t.name, t.synonyms, s.version FROM terms t JOIN sources s ON s.id = t.source_id "
        "WHERE t.code = :code",
        code=code,
    )
    synonyms = json.loads(synonyms) if isinstance(synonyms, str) else synonyms
    found = _parameters(
        fhir.execute("CodeSystem/$lookup", method="get", params={"system": HPO, "code": code})
    )
    assert _values(found, "display") == [name]
    assert _values(found, "version") == [version]
    assert {value for value, _ in _properties(found, "parent")} == parents
    assert {value for value, _ in _properties(found, "child")} == children
    assert _designations(found) == [synonym["name"] for synonym in synonyms]
    [(attribution, _)] = _properties(found, "attribution")
    assert version in attribution  # the HPO's terms: show its version

    only = _parameters(
        fhir.execute(
            "CodeSystem/$lookup",
            method="get",
            params={"system": HPO, "code": code, "property": ["parent"]},
        )
    )
    assert {value for value, _ in _properties(only, "parent")} == parents
    assert _properties(only, "child") == [] and _designations(only) == []


def test_lookup_by_a_parameters_body_answers_as_the_query(fhir: SyncFHIRClient) -> None:
    asked = {"system": ICD, "code": "G61.82"}
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "code", "valueCode": asked["code"]},  # in any order
            {"name": "system", "valueUri": asked["system"]},
        ],
    }
    posted = _parameters(fhir.execute("CodeSystem/$lookup", method="post", data=body))
    got = _parameters(fhir.execute("CodeSystem/$lookup", method="get", params=asked))
    assert posted == got


def test_expand_with_a_filter_finds_mmn(fhir: SyncFHIRClient, base: str) -> None:
    url = f"{base}/fhir/ValueSet/conditions"
    for typed in ("multifocal motor", "neuropathy", "mmn"):  # a name's start, a word, a synonym
        expanded = ValueSet.model_validate(
            dict(
                fhir.execute("ValueSet/$expand", method="get", params={"url": url, "filter": typed})
            )
        )
        codes = [(c.system, c.code, c.display) for c in expanded.expansion.contains or []]
        assert (f"{base}/fhir/CodeSystem/conditions", MMN, "Multifocal motor neuropathy") in codes
        assert expanded.expansion.total == len(codes), typed


def test_expand_pages_every_published_condition(
    fhir: SyncFHIRClient, base: str, corpus_url: str
) -> None:
    published = _rows(corpus_url, "SELECT slug, name FROM conditions WHERE status = 'published'")
    by_name = [
        slug for slug, name in sorted(published, key=lambda row: (row[1].casefold(), row[0]))
    ]
    url = f"{base}/fhir/ValueSet/conditions"
    seen: list[str] = []
    for offset in range(0, len(by_name), 7):
        expanded = ValueSet.model_validate(
            dict(
                fhir.execute(
                    "ValueSet/$expand",
                    method="get",
                    params={"url": url, "count": 7, "offset": offset},
                )
            )
        )
        assert expanded.expansion.total == len(published)
        assert expanded.expansion.offset == offset
        seen += [c.code for c in expanded.expansion.contains or []]
    assert seen == by_name
    counted = ValueSet.model_validate(
        dict(fhir.execute("ValueSet/$expand", method="get", params={"url": url, "count": 0}))
    )
    assert counted.expansion.total == len(published) and not counted.expansion.contains


def _link(url: str, slug: str, system: str, code: str) -> Link:
    [(relation, provenance)] = _rows(
        url,
        "SELECT k.relation, k.provenance FROM codes k JOIN conditions c ON c.id = k.condition_id "
        "WHERE c.slug = :slug AND k.system = :system AND k.code = :code",
        slug=slug,
        system=system,
        code=code,
    )
    return Link(relation, provenance)


def test_translate_icd10cm_to_orphanet(fhir: SyncFHIRClient, base: str, corpus_url: str) -> None:
    [(orpha,)] = _rows(
        corpus_url,
        "SELECT k.code FROM codes k JOIN conditions c ON c.id = k.condition_id "
        "WHERE c.slug = :slug AND k.system = 'orpha'",
        slug=MMN,
    )
    translated = _parameters(
        fhir.execute(
            "ConceptMap/$translate",
            method="get",
            params={"system": ICD, "code": "G61.82", "targetsystem": ORPHA},
        )
    )
    assert _values(translated, "result") == [True]
    expected = equivalence(
        _link(corpus_url, MMN, "icd10cm", "G61.82"), _link(corpus_url, MMN, "orpha", orpha)
    )
    assert expected == "equivalent"  # an editor's exact link at both ends
    assert _matches(translated) == [
        {
            "equivalence": expected,
            "system": ORPHA,
            "code": orpha,
            "display": "Multifocal motor neuropathy",
            "source": f"{base}/fhir/ConceptMap/conditions",
        }
    ]
    [message] = _values(translated, "message")
    assert MMN in message and "curated" in message


def test_a_computed_name_match_is_never_equivalent(
    fhir: SyncFHIRClient, base: str, corpus_url: str
) -> None:
    computed = _rows(
        corpus_url,
        "SELECT c.slug, k.system, k.code, k.relation FROM codes k "
        "JOIN conditions c ON c.id = k.condition_id "
        "WHERE k.provenance = 'computed' AND c.status = 'published' AND k.system IN "
        "('icd10cm', 'orpha', 'omim', 'mondo')",
    )
    assert computed, "the corpus has no computed link to check"
    own = f"{base}/fhir/CodeSystem/conditions"
    for slug, system, code, relation in computed:
        assert relation == "name-match"
        uri = BY_SYSTEM[CodeSystem(system)].uri
        # From the computed code to everything, and from its record to the computed code.
        outward = _matches(
            _parameters(
                fhir.execute(
                    "ConceptMap/$translate", method="get", params={"system": uri, "code": code}
                )
            )
        )
        assert outward, (system, code)
        assert all(match["equivalence"] != "equivalent" for match in outward), (code, outward)
        inward = _matches(
            _parameters(
                fhir.execute(
                    "ConceptMap/$translate",
                    method="get",
                    params={"system": own, "code": slug, "targetsystem": uri},
                )
            )
        )
        [match] = [m for m in inward if m["code"] == code]
        assert match["equivalence"] == "inexact", (slug, code)
    # The cystic fibrosis record: OMIM's id joined it by name, Orphanet's is the source's own.
    cystic = _matches(
        _parameters(
            fhir.execute(
                "ConceptMap/$translate",
                method="get",
                params={"system": "http://omim.org", "code": "219700", "targetsystem": ORPHA},
            )
        )
    )
    assert [(m["code"], m["equivalence"]) for m in cystic] == [("586", "inexact")]


def test_translate_by_a_parameters_body(fhir: SyncFHIRClient) -> None:
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "targetsystem", "valueUri": ORPHA},
            {"name": "system", "valueUri": ICD},
            {"name": "code", "valueCode": "G6182"},
        ],
    }
    posted = _matches(_parameters(fhir.execute("ConceptMap/$translate", method="post", data=body)))
    assert [(m["system"], m["code"], m["equivalence"]) for m in posted] == [
        (ORPHA, "641", "equivalent")
    ]


def test_a_code_no_condition_carries_translates_to_nothing(
    fhir: SyncFHIRClient, corpus_url: str
) -> None:
    # An ICD-10-CM entry, held (its look-up answers) but carried by no record.
    assert _rows(corpus_url, "SELECT 1 FROM code_entries WHERE code = 'G61.8'")
    assert not _rows(corpus_url, "SELECT 1 FROM codes WHERE code = 'G61.8'")
    translated = _parameters(
        fhir.execute(
            "ConceptMap/$translate",
            method="get",
            params={"system": ICD, "code": "G61.8", "targetsystem": ORPHA},
        )
    )
    assert _values(translated, "result") == [False]
    assert _matches(translated) == []
    assert _values(translated, "message") == ["No published condition carries ICD10CM:G61.8."]


def test_an_unknown_code_is_a_404_operation_outcome(fhir: SyncFHIRClient, corpus_url: str) -> None:
    assert not _rows(corpus_url, "SELECT 1 FROM code_entries WHERE code = 'Z99.89'")
    assert not _rows(corpus_url, "SELECT 1 FROM codes WHERE code = 'Z99.89'")
    with pytest.raises(ResourceNotFound) as raised:
        fhir.execute("CodeSystem/$lookup", method="get", params={"system": ICD, "code": "Z99.89"})
    [issue] = _outcome(raised.value).issue
    assert issue.code == "not-found" and "Z99.89" in issue.diagnostics
    with pytest.raises(ResourceNotFound) as raised:
        fhir.execute(
            "ValueSet/$expand", method="get", params={"url": "http://example.org/fhir/ValueSet/x"}
        )
    assert _outcome(raised.value).issue[0].code == "not-found"


@pytest.mark.parametrize(
    ("path", "params", "expression"),
    [
        ("CodeSystem/$lookup", {"system": "http://example.org/sid", "code": "X"}, "system"),
        ("CodeSystem/$lookup", {"system": ICD}, "code"),
        (
            "ConceptMap/$translate",
            {"system": ICD, "code": "G61.82", "targetsystem": "x"},
            "targetsystem",
        ),
        (
            "ValueSet/$expand",
            {"url": "http://localhost/fhir/ValueSet/conditions", "count": 101},
            "count",
        ),
        ("metadata", {"_format": "xml"}, "_format"),
        # A control character the two regex engines class differently (was a 500).
        (
            "CodeSystem/$lookup",
            {"system": "http://a\x1cb/fhir/CodeSystem/conditions", "code": "x"},
            "system",
        ),
        (
            "ConceptMap/$translate",
            {
                "system": ICD,
                "code": "G61.82",
                "targetsystem": "http://a\x1fb/fhir/CodeSystem/conditions",
            },
            "targetsystem",
        ),
    ],
)
def test_a_bad_parameter_is_a_400_operation_outcome(
    fhir: SyncFHIRClient, path: str, params: dict[str, Any], expression: str
) -> None:
    with pytest.raises(OutcomeError) as raised:
        fhir.execute(path, method="get", params=params)
    [issue] = _outcome(raised.value).issue
    assert issue.code == "invalid"
    assert issue.expression == [expression]
    assert issue.diagnostics.startswith(f"{expression}: ")


def test_a_bad_parameters_body_is_a_400_naming_the_parameter(fhir: SyncFHIRClient) -> None:
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "system", "valueUri": ICD},
            {"name": "code", "valueString": "G61.82"},
        ],
    }
    with pytest.raises(OutcomeError) as raised:
        fhir.execute("CodeSystem/$lookup", method="post", data=body)
    [issue] = _outcome(raised.value).issue
    assert issue.code == "invalid" and issue.expression == ["Parameters.parameter[1]"]


def test_http_behaviour_under_fhir(base: str) -> None:
    """Media types, validators, 404 and 405 for paths and methods no route has, 406."""
    with httpx.Client(base_url=base) as client:
        lookup = client.get("/fhir/CodeSystem/$lookup", params={"system": ICD, "code": "G61.82"})
        assert lookup.headers["content-type"] == "application/fhir+json"
        again = client.get(
            "/fhir/CodeSystem/$lookup",
            params={"system": ICD, "code": "G61.82"},
            headers={"If-None-Match": lookup.headers["etag"]},
        )
        assert again.status_code == 304
        nowhere = client.get("/fhir/Patient/1")
        assert nowhere.status_code == 404
        assert nowhere.headers["content-type"] == "application/fhir+json"
        assert OperationOutcome.model_validate(nowhere.json()).issue[0].code == "not-found"
        wrong = client.delete("/fhir/CodeSystem/$lookup")
        assert wrong.status_code == 405 and wrong.headers["allow"] == "GET, HEAD, POST"
        assert OperationOutcome.model_validate(wrong.json()).issue[0].code == "not-supported"
        html = client.get("/fhir/metadata", headers={"Accept": "text/html"})
        assert html.status_code == 406
        assert OperationOutcome.model_validate(html.json()).issue[0].code == "not-supported"
        chosen = client.get(
            "/fhir/metadata", params={"_format": "json"}, headers={"Accept": "text/html"}
        )
        assert chosen.status_code == 200
        unsent = client.post(
            "/fhir/CodeSystem/$lookup", content=b"system=x", headers={"Content-Type": "text/plain"}
        )
        assert unsent.status_code == 415
        assert OperationOutcome.model_validate(unsent.json()).issue[0].code == "not-supported"
        # The rest of the API keeps its own error shape.
        assert client.get("/v1/nowhere").headers["content-type"] == "application/problem+json"


def test_reads_that_require_a_key_require_it_under_fhir(corpus_url: str) -> None:
    app = create_app(Settings(database_url=corpus_url, reads_require_key=True))
    with live_server(app) as served, httpx.Client(base_url=served) as client:
        assert client.get("/v1/conditions").status_code == 401
        assert client.get("/fhir/metadata").status_code == 401


def test_a_database_outage_is_a_503_operation_outcome(seeded_url: str) -> None:
    # As tests/test_error_shape.py makes one: a folder that does not exist, a port nothing has.
    if seeded_url.startswith("sqlite"):
        url = "sqlite:///file:/nonexistent-dir/x.sqlite3?mode=ro&uri=true"
    else:
        url = "postgresql+psycopg://postgres@127.0.0.1:9/test"
    with make_client(url) as client:
        response = client.get("/fhir/CodeSystem/$lookup", params={"system": ICD, "code": "G61.82"})
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/fhir+json"
        assert response.headers["retry-after"] == "5"
        [issue] = OperationOutcome.model_validate(response.json()).issue
        assert issue.code == "transient"
        assert "psycopg" not in response.text and "sqlite3" not in response.text


def test_an_expansion_is_the_same_until_the_content_changes(base: str) -> None:
    params = {"url": f"{base}/fhir/ValueSet/conditions", "filter": "multifocal"}
    with httpx.Client(base_url=base) as client:
        first = client.get("/fhir/ValueSet/$expand", params=params)
        again = client.get(
            "/fhir/ValueSet/$expand",
            params=params,
            headers={"If-None-Match": first.headers["etag"]},
        )
    assert first.status_code == 200 and again.status_code == 304


# Every pair of link relations (source, target): the R4 equivalence read from target to
# source (`wider`: the target means more than the source), curated or computed.
RELATIONS = ["exact", "narrower", "broader", "related"]
CURATED = {
    ("exact", "exact"): "equivalent",
    ("exact", "narrower"): "narrower",
    ("exact", "broader"): "wider",
    ("narrower", "exact"): "wider",
    ("narrower", "narrower"): None,  # two parts of one record need not overlap
    ("narrower", "broader"): "wider",
    ("broader", "exact"): "narrower",
    ("broader", "narrower"): "narrower",
    ("broader", "broader"): "inexact",  # both contain the record
}


@pytest.mark.parametrize("source", RELATIONS)
@pytest.mark.parametrize("target", RELATIONS)
def test_equivalence_by_relation_and_provenance(source: str, target: str) -> None:
    expected = CURATED.get((source, target), "relatedto")
    assert equivalence(Link(source, "curated"), Link(target, "source")) == expected
    # A link this service computed is never a mapping anyone made: never equivalent.
    computed = equivalence(Link(source, "computed"), Link(target, "curated"))
    assert computed == {"equivalent": "inexact", None: None}.get(expected, "relatedto")
    assert equivalence(Link("name-match", "computed"), Link(target, "curated")) != "equivalent"
