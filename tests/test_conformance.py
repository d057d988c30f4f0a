"""The API against its own OpenAPI document, with schemathesis and every check it has: no 5xx,
every status code, content type, header and body as documented, schema-valid requests
accepted and invalid ones refused. On SQLite and PostgreSQL, reads and writes (with a key).

What a client cannot invent is supplied as a real client would hold it, and only that: the
current ETag for If-Match (as after a GET), source keys and HPO ids that exist, cursors the API
issued. Every other value is schemathesis's own."""

import random
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode
from sqlalchemy import create_engine, text

from app.auth import keys
from app.core.config import Settings
from app.core.db import session_factory_for, transaction
from app.main import create_app
from tests.factories import condition, write_seed
from tests.helpers import MMN_SEED, Databases, live_server, run_imports, seed_database

EXAMPLES = 20  # per operation, mode and engine: about 2 minutes an engine


class World:
    """The app under test and what a client of it could know."""

    def __init__(self, url: str, key: str, base_url: str) -> None:
        self.base_url = base_url
        self.client = httpx.Client(base_url=base_url, timeout=30)
        self.key = key
        self.whole_checked = 0  # unshaped responses validated against the whole schema
        engine = create_engine(url)
        with engine.connect() as connection:
            self.sources = list(connection.scalars(text("SELECT key FROM sources ORDER BY key")))
            self.hpo_ids = list(
                connection.scalars(
                    text("SELECT code FROM terms WHERE code LIKE 'HP:%' ORDER BY code LIMIT 200")
                )
            )
            # The modes of inheritance (terms below HP:0000005) that the fixture data has.
            self.inheritance = list(
                connection.scalars(
                    text(
                        "SELECT DISTINCT t.code FROM phenotype_annotations a "
                        "JOIN terms t ON t.id = a.term_id WHERE a.aspect = 'I' ORDER BY t.code"
                    )
                )
            )
            self.genes = list(
                connection.scalars(
                    text("SELECT symbol FROM genes WHERE symbol IS NOT NULL ORDER BY id LIMIT 50")
                )
            )
            self.slugs = list(
                connection.scalars(text("SELECT slug FROM conditions ORDER BY id LIMIT 50"))
            )
            self.terms = {
                kind: list(
                    connection.scalars(
                        text("SELECT slug FROM terms WHERE kind = :kind ORDER BY id LIMIT 50"),
                        {"kind": kind},
                    )
                )
                for kind in ("symptom", "drug")
            }
            self.codes = [
                tuple(row)
                for row in connection.execute(
                    text("SELECT system, code FROM codes ORDER BY id LIMIT 50")
                )
            ]
        engine.dispose()


@pytest.fixture(scope="module")
def world(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = databases.fresh()
    fixture = write_seed(
        tmp_path_factory.mktemp("seed") / "fixture.yaml", [condition("seeded-fixture")]
    )
    seed_database(url, MMN_SEED, fixture)
    run_imports(url)
    with session_factory_for(url) as factory, transaction(factory) as session:
        key = keys.create(session, "conformance", [keys.Scope.WRITE]).key
    # A real server (uvicorn, one event loop) and real HTTP, as clients meet the API.
    app = create_app(Settings(database_url=url, write_rate_limit=""))
    with live_server(app) as base_url:
        world = World(url, key, base_url)
        with world.client:
            yield world


def _known(values: list[str], wanted: list[Any]) -> list[str]:
    """As many distinct known values as were generated (a list of keys stays a list of keys)."""
    count = min(len({repr(v) for v in wanted}), len(values))
    return random.Random(repr(wanted)).sample(values, count)


def _ordered(value: Any) -> None:
    """Rules between two members that a JSON schema cannot state (a lower bound not above the
    upper one, a review not due before it was done), kept as a client keeps them."""
    if isinstance(value, list):
        for item in value:
            _ordered(item)
    elif isinstance(value, dict):
        for low, high in (("lower_percent", "upper_percent"), ("last_reviewed", "review_due")):
            a, b = value.get(low), value.get(high)
            if a is not None and b is not None and type(a) is type(b) and a > b:
                value[low], value[high] = b, a
        for item in value.values():
            _ordered(item)


def _existing(case: Any, world: World) -> None:
    """For half the cases, path parameters that name what exists (a record, a term, a code),
    so responses with content are checked against their schemas, not only 404s."""
    params = case.path_parameters
    if not params:
        return
    chooser = random.Random(repr(sorted(params.items())))
    if chooser.random() < 0.5:
        return
    if "slug" in params:
        params["slug"] = chooser.choice(world.slugs)
    if "key" in params and case.path.startswith("/v1/genes"):
        params["key"] = chooser.choice(world.genes)
    elif "key" in params:
        kind = "drug" if case.path.startswith("/v1/drugs") else "symptom"
        if world.terms[kind]:
            params["key"] = chooser.choice(world.terms[kind])
    if "system" in params and "code" in params:
        params["system"], params["code"] = chooser.choice(world.codes)
    if "version" in params and case.path.startswith("/v1/releases"):
        # Release versions are the server's: the current one, as the list names it.
        current = world.client.get("/v1/releases").json()["current"]
        params["version"] = chooser.choice(["latest", str(current)])


def _realistic(case: Any, world: World) -> None:
    """Replace what only the server can issue or knows with values it issued or knows."""
    _existing(case, world)
    path = case.formatted_path
    headers = case.headers if case.headers is not None else {}
    if case.method in ("PUT", "PATCH", "DELETE") and "If-Match" in headers:
        record = "/".join(path.split("/")[:4])  # /v1/conditions/{slug}
        current = world.client.get(record)
        if current.status_code == 200:
            headers["If-Match"] = current.headers["etag"]
    body = case.body
    _ordered(body)
    if isinstance(body, dict):
        if isinstance(body.get("codes"), list):  # each (system, code) once, as documented
            seen: set[tuple[Any, Any]] = set()
            body["codes"] = [
                code for code in body["codes"]
                if not isinstance(code, dict)
                or ((code.get("system"), code.get("code")) not in seen
                    and not seen.add((code.get("system"), code.get("code"))))
            ]  # fmt: skip
        if isinstance(body.get("sources"), list):
            body["sources"] = _known(world.sources, body["sources"])
        for section in (body.get("sections") or {}).values():
            if isinstance(section, dict) and isinstance(section.get("sources"), list):
                section["sources"] = _known(world.sources, section["sources"])
        if isinstance(body.get("symptoms"), list) and path.endswith("/match"):
            body["symptoms"] = _known(world.hpo_ids, body["symptoms"])
            if isinstance(body.get("excluded"), list):  # known terms, none also given present
                known = _known(world.hpo_ids, body["excluded"])
                body["excluded"] = [term for term in known if term not in body["symptoms"]]
    query = case.query if case.query is not None else {}
    if path.endswith("/match") and isinstance(query.get("symptoms"), str):
        query["symptoms"] = ",".join(_known(world.hpo_ids, query["symptoms"].split(",")))
        if isinstance(query.get("excluded"), str) and query["excluded"]:
            present = query["symptoms"].split(",")
            known = _known(world.hpo_ids, query["excluded"].split(","))
            query["excluded"] = ",".join(term for term in known if term not in present)
    if isinstance(query.get("inheritance"), list):  # modes of inheritance are data too
        query["inheritance"] = _known(world.inheritance, query["inheritance"])
    if isinstance(query.get("source"), str):  # source keys are data: a client picks a known one
        query["source"] = _known(world.sources, [query["source"]])[0]
    if "cursor" in query:  # opaque, issued in links.next / links.prev only
        query.pop("cursor")
    if query.get("format") == "jsonld":  # fields shapes JSON only, as its description says
        query.pop("fields", None)
    case.headers = headers


def _whole_schema_validator(document: dict[str, Any], operation: Any) -> Any | None:
    """For an operation that takes `fields`, a validator of its whole response schema: the
    document allows a partial copy too (anyOf), but only when `fields` was sent."""
    spec = document["paths"][operation.path][operation.method.lower()]
    if not any(p["name"] == "fields" for p in spec.get("parameters", [])):
        return None
    whole = spec["responses"]["200"]["content"]["application/json"]["schema"]["anyOf"][0]
    return jsonschema_rs.validator_for({**whole, "components": document["components"]})


def _check(
    operation: Any, world: World, document: dict[str, Any], mode: GenerationMode
) -> str | None:
    """Run schemathesis's cases for one operation; its first failure, described, or None.
    Positive cases are made realistic (see _realistic); negative ones are sent as generated,
    since the value made invalid may be any of them."""
    whole = _whole_schema_validator(document, operation)

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        if mode == GenerationMode.POSITIVE:
            _realistic(case, world)
        auth = {"Authorization": f"Bearer {world.key}"}
        response = case.call_and_validate(headers={**(case.headers or {}), **auth})
        unshaped = not (case.query or {}).get("fields")
        types = [v for k, v in response.headers.items() if k.lower() == "content-type"]
        content_type = types[0][0] if types else ""
        if (
            whole is not None
            and unshaped
            and response.status_code == 200
            and content_type.startswith("application/json")
        ):
            whole.validate(response.json())
            world.whole_checked += 1

    try:
        run()
    except Unsatisfiable:  # no input that can be made invalid (the probes)
        if mode == GenerationMode.POSITIVE:
            return f"{operation.label}: no case could be generated"
    except (Exception, BaseExceptionGroup) as failure:  # each operation's failure is reported
        return f"{operation.label} ({mode.value}): {failure}"
    return None


# schemathesis's expected statuses, and two more the document gives: a renamed record's old
# slug redirects (308) before anything else of the request is read, invalid or not; a release
# that is no longer current is gone (410), however valid the request.
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429", "5xx"]
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "negative_data_rejection": {"expected-statuses": [*REJECTED, "308"]},
            "positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "410"]},
        }
    }
)


def test_the_api_keeps_to_its_document(world: World) -> None:
    schema = schemathesis.openapi.from_url(f"{world.base_url}/openapi.json", config=CONFIG)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    document = world.client.get("/openapi.json").json()
    failures = [
        failure
        for op in operations
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        if (failure := _check(op, world, document, mode))
    ]
    assert not failures, "\n\n".join(failures)
    assert world.whole_checked > 10
