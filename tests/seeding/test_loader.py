"""The seed loader: idempotent upserts, clear errors for bad files, nothing written on error."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from app.core.config import PROJECT_ROOT
from app.models import Term
from app.seeding.loader import SeedError
from tests import factories
from tests.helpers import MMN_SEED, make_client, seed_database, snapshot


def test_seed_is_idempotent(fresh_db: str) -> None:
    seed_database(fresh_db)
    first = snapshot(fresh_db)
    assert len(first["conditions"]) == 1
    assert len(first["sections"]) == 12
    seed_database(fresh_db)
    assert snapshot(fresh_db) == first


def test_second_run_reports_nothing_to_do(fresh_db: str) -> None:
    env = {"DATABASE_URL": fresh_db, "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "app", "seed", str(MMN_SEED)]
    first = subprocess.run(command, env=env, capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert first.returncode == 0, first.stderr
    assert "1 created" in first.stdout
    second = subprocess.run(command, env=env, capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert second.returncode == 0, second.stderr
    assert "0 created, 0 updated, 1 unchanged (nothing to do)" in second.stdout


def test_changed_record_is_updated_in_place(fresh_db: str, tmp_path: Path) -> None:
    path = factories.write_seed(tmp_path / "a.yaml", [factories.condition("alpha")])
    seed_database(fresh_db, path)
    with make_client(fresh_db) as client:
        before = client.get("/v1/conditions/alpha").json()
    changed = factories.condition(
        "alpha",
        summary="A new summary.",
        sections={"symptoms": {"items": [{"name": "Cough"}]}},
    )
    factories.write_seed(path, [changed])
    seed_database(fresh_db, path)
    with make_client(fresh_db) as client:
        after = client.get("/v1/conditions/alpha").json()
        assert client.get("/v1/conditions/alpha/overview").status_code == 404
    assert after["summary"] == "A new summary."
    assert list(after["sections"]) == ["symptoms"]
    assert after["revision"] == before["revision"] + 1
    assert after["updated_at"] > before["updated_at"]
    assert after["created_at"] == before["created_at"]


def test_items_link_to_shared_terms(fresh_db: str, tmp_path: Path) -> None:
    records = [
        factories.condition("alpha", sections={"symptoms": {"items": [{"name": "Fatigue"}]}}),
        factories.condition("beta", sections={"symptoms": {"items": [{"name": "Fatigue"}]}}),
    ]
    seed_database(fresh_db, factories.write_seed(tmp_path / "t.yaml", records), MMN_SEED)
    engine = create_engine(fresh_db)
    with engine.connect() as conn:
        fatigue = conn.execute(select(Term).where(Term.slug == "fatigue")).one()
        linked = conn.execute(
            text("SELECT count(*) FROM section_items WHERE term_id = :id"), {"id": fatigue.id}
        ).scalar()
        drug_terms = conn.execute(select(Term.slug).where(Term.kind == "drug")).scalars().all()
    engine.dispose()
    assert fatigue.kind == "symptom"
    assert linked == 3  # alpha, beta and MMN list it
    assert sorted(drug_terms) == [
        "corticosteroids", "immunosuppressants", "intravenous-immunoglobulin-ivig",
    ]  # fmt: skip


def _bad(tmp_path: Path, records: list[dict[str, Any]], **kwargs: Any) -> Path:
    return factories.write_seed(tmp_path / "bad.yaml", records, **kwargs)


def _missing_name(tmp_path: Path) -> Path:
    record = factories.condition(
        "alpha",
        sections={"symptoms": {"items": [{"name": "a"}, {"name": "b"}, {"description": "c"}]}},
    )
    return _bad(tmp_path, [record])


def _wrong_type(tmp_path: Path) -> Path:
    return _bad(tmp_path, [factories.condition("alpha", synonyms="not a list")])


def _unknown_kind(tmp_path: Path) -> Path:
    return _bad(tmp_path, [factories.condition("alpha", sections={"horoscope": {}})])


def _duplicate_slug(tmp_path: Path) -> Path:
    return _bad(tmp_path, [factories.condition("alpha"), factories.condition("alpha")])


def _unknown_source(tmp_path: Path) -> Path:
    return _bad(tmp_path, [factories.condition("alpha", sources=["nowhere"])])


def _bad_code(tmp_path: Path) -> Path:
    codes = [{"system": "icd10cm", "code": "not-a-code"}]
    return _bad(tmp_path, [factories.condition("alpha", codes=codes)])


def _bad_slug(tmp_path: Path) -> Path:
    return _bad(tmp_path, [factories.condition("Alpha Beta")])


def _long_section_title(tmp_path: Path) -> Path:
    sections = {"overview": {"title": "t" * 301}}
    return _bad(tmp_path, [factories.condition("alpha", sections=sections)])


def _long_item_name(tmp_path: Path) -> Path:
    sections = {"symptoms": {"items": [{"name": "n" * 501}]}}
    return _bad(tmp_path, [factories.condition("alpha", sections=sections)])


def _repeated_source(tmp_path: Path) -> Path:
    return _bad(tmp_path, [factories.condition("alpha", sources=["test-source", "test-source"])])


def _repeated_code(tmp_path: Path) -> Path:
    codes = [{"system": "orpha", "code": "1"}, {"system": "orpha", "code": "1"}]
    return _bad(tmp_path, [factories.condition("alpha", codes=codes)])


def _bad_date(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text("sources: []\nconditions:\n  - last_reviewed: 2026-13-01\n")
    return path


def _unhashable_key(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text("sources: []\n? [a, b]\n: 1\n")
    return path


def _duplicate_yaml_key(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text("sources: []\nconditions: []\nconditions: []\n")
    return path


def _yaml_syntax(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text("sources: [\nconditions: {")
    return path


def _not_a_mapping(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text("- just\n- a list\n")
    return path


BAD_FILES = {
    "missing field": (
        _missing_name,
        "bad.yaml: conditions[0].sections.symptoms.items[2].name: Field required",
    ),
    "wrong type": (_wrong_type, "bad.yaml: conditions[0].synonyms: Input should be a valid list"),
    "unknown section kind": (
        _unknown_kind,
        "bad.yaml: conditions[0].sections: Value error, unknown section kind 'horoscope'; "
        "valid kinds: overview, types,",
    ),
    "duplicate slug": (
        _duplicate_slug,
        "bad.yaml: conditions[1].slug: duplicate slug 'alpha' (first at ",
    ),
    "unknown source": (_unknown_source, "bad.yaml: conditions[0].sources[0]: unknown source key"),
    "bad code": (_bad_code, "bad.yaml: conditions[0].codes[0]: Value error, 'not-a-code' is not"),
    "bad slug": (_bad_slug, "bad.yaml: conditions[0].slug: String should match pattern"),
    "duplicate yaml key": (_duplicate_yaml_key, "bad.yaml: line 3, column 1: duplicate key"),
    "long section title": (
        _long_section_title,
        "bad.yaml: conditions[0].sections.overview.title: String should have at most 300",
    ),
    "long item name": (
        _long_item_name,
        "bad.yaml: conditions[0].sections.symptoms.items[0].name: String should have at most 500",
    ),
    "repeated source": (
        _repeated_source,
        "bad.yaml: conditions[0].sources: Value error, listed more than once: test-source",
    ),
    "repeated code": (
        _repeated_code,
        "bad.yaml: conditions[0].codes: Value error, code orpha:1 is listed more than once",
    ),
    "bad date": (_bad_date, "bad.yaml: invalid value: month must be in 1..12"),
    "unhashable key": (_unhashable_key, "bad.yaml: line 2, column 3: a mapping key must be"),
    "yaml syntax": (_yaml_syntax, "bad.yaml: line 2, column "),
    "not a mapping": (_not_a_mapping, "bad.yaml: expected a mapping"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_is_rejected_and_nothing_changes(fresh_db: str, tmp_path: Path, case: str) -> None:
    seed_database(fresh_db)  # something to protect
    before = snapshot(fresh_db)
    make_file, expected = BAD_FILES[case]
    path = make_file(tmp_path)
    with pytest.raises(SeedError) as caught:
        # The good MMN file is in the same run: it must not be written either.
        seed_database(fresh_db, MMN_SEED, path)
    message = "\n".join(caught.value.problems)
    assert expected in message
    assert snapshot(fresh_db) == before


def test_every_problem_is_reported_at_once(tmp_path: Path, fresh_db: str) -> None:
    record = factories.condition("alpha", synonyms=5, sections={"horoscope": {}})
    path = _bad(tmp_path, [record, factories.condition("Bad Slug")])
    with pytest.raises(SeedError) as caught:
        seed_database(fresh_db, path)
    assert len(caught.value.problems) == 3


def test_cli_names_file_record_and_field(fresh_db: str, tmp_path: Path) -> None:
    path = _missing_name(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "app", "seed", str(path)],
        env={"DATABASE_URL": fresh_db, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "seed failed; nothing was written" in result.stderr
    assert "bad.yaml: conditions[0].sections.symptoms.items[2].name: Field required" in (
        result.stderr
    )
    assert snapshot(fresh_db)["conditions"] == []


def test_database_error_mid_write_rolls_back_everything(fresh_db: str, tmp_path: Path) -> None:
    """A failure after some rows were flushed leaves the database as it was. The failure is
    provoked by dropping a table that the last step of the write needs."""
    seed_database(fresh_db)
    before = snapshot(fresh_db, exclude=("section_sources",))
    engine = create_engine(fresh_db)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE section_sources"))
    engine.dispose()
    path = factories.write_seed(tmp_path / "new.yaml", [factories.condition("alpha")])
    with pytest.raises(Exception, match="section_sources"):
        seed_database(fresh_db, path)
    assert snapshot(fresh_db, exclude=("section_sources",)) == before


def test_long_names_fit_on_both_engines(fresh_db: str, tmp_path: Path) -> None:
    """Names at the schema's limits are stored the same on SQLite and PostgreSQL."""
    name = "Weakness " + "w" * 491  # 500 characters: the longest item name allowed
    sections = {
        "overview": {"title": "T" * 300},
        "symptoms": {"items": [{"name": name}, {"name": "???"}]},
    }
    path = factories.write_seed(
        tmp_path / "long.yaml", [factories.condition("alpha", sections=sections)]
    )
    seed_database(fresh_db, path)
    with make_client(fresh_db) as client:
        body = client.get("/v1/conditions/alpha").json()
    assert body["sections"]["symptoms"]["items"][0]["name"] == name
    assert body["sections"]["overview"]["title"] == "T" * 300
    engine = create_engine(fresh_db)
    with engine.connect() as conn:
        slugs = conn.execute(select(Term.slug)).scalars().all()
    engine.dispose()
    assert len(slugs) == 1  # "???" has nothing to slug, so it gets no shared term
    assert 0 < len(slugs[0]) <= 200


def test_a_changed_source_raises_the_revision_of_every_record_citing_it(
    fresh_db: str, tmp_path: Path
) -> None:
    first = factories.write_seed(tmp_path / "a.yaml", [factories.condition("alpha")])
    seed_database(fresh_db, first)
    changed_source = {**factories.SOURCE, "licence": "CC-BY-4.0"}
    second = factories.write_seed(
        tmp_path / "b.yaml", [factories.condition("beta")], sources=[changed_source]
    )
    seed_database(fresh_db, second)
    with make_client(fresh_db) as client:
        alpha = client.get("/v1/conditions/alpha").json()
        section = client.get("/v1/conditions/alpha/overview").json()
    assert alpha["sources"][0]["licence"] == "CC-BY-4.0"
    assert section["sources"][0]["licence"] == "CC-BY-4.0"
    assert alpha["revision"] == 2
    assert alpha["updated_at"] > alpha["created_at"]
    # Seeding the same files again changes nothing more.
    before = snapshot(fresh_db)
    seed_database(fresh_db, second)
    assert snapshot(fresh_db) == before
