"""The registry's catalogue queries (issue 9, part 4), over the 196 imported
records plus NCT04604691, and over a small store with a Turtle trial model."""

from __future__ import annotations

from pathlib import Path

import pytest

from blinakg.sparql import query as q
from blinakg.sparql.store import EmbeddedStore

from .conftest import DATA, run

REGISTRY_QUERIES = ["registry-trials", "trials-sharing", "trials-open-to", "criterion-text-search",
                    "data-element-thresholds", "registry-statistics"]


def rows(store: Path, name: str, *params: str) -> list[dict[str, str | None]]:
    source = q.resolve(name)
    text = q.bind_parameters(source.text, q.parse_params(params), source.label, source.parameters)
    embedded = EmbeddedStore(store)
    try:
        result = embedded.query(text)
    finally:
        embedded.close()
    return [{v: (None if t is None else str(t)) for v, t in zip(result.variables, row)} for row in result.rows]


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("small") / "store"
    code, _, err = run("registry", "import", str(DATA / "xml"), str(DATA / "v2" / "NCT99999901.json"),
                       str(DATA / "models" / "NCT99999902.ttl"), "--store", str(store))
    assert code == 0, err
    return store


def test_the_registry_queries_are_in_the_catalogue() -> None:
    code, out, err = run("query", "--list")
    assert code == 0, err
    for name in REGISTRY_QUERIES:
        assert name in out
    assert "--param trial" in out and "--param age" in out and "--param phrase" in out


def test_trials_sharing_a_condition_intervention_or_sponsor(registry_store: Path) -> None:
    found = rows(registry_store, "trials-sharing", "trial=NCT04604691")
    links = {(r["other"], r["link"], r["label"]) for r in found}
    # Blinatumomab: in the 2021 export only AALL1331's record is indexed by the MeSH term.
    assert {o for o, link, label in links if link == "intervention"} == {"NCT02101853"}
    assert ("NCT02101853", "intervention", "Blinatumomab") in links
    assert ("NCT02101853", "condition", "Precursor Cell Lymphoblastic Leukemia-Lymphoma") in links
    assert all(r["trial"] == "NCT04604691" and r["other"] != "NCT04604691" for r in found)
    sponsor = rows(registry_store, "trials-sharing", "trial=NCT02101853")
    assert any(r["link"] == "sponsor" and r["label"] == "National Cancer Institute (NCI)" for r in sponsor)


def test_trials_open_to_an_age_and_sex(small_store: Path) -> None:
    def open_to(*params: str) -> set[str | None]:
        return {r["trial"] for r in rows(small_store, "trials-open-to", *params)}

    everyone = {"NCT00077493", "NCT02101853", "NCT04604691", "NCT99999901", "NCT99999902"}
    assert open_to() == everyone
    # NCT00077493: 6 Months-24 Years; NCT02101853: 1-30 Years; NCT04604691: < 18; synthetic: girls 6-18 months.
    assert open_to("age=1", "sex=female") == everyone
    assert open_to("age=1", "sex=male") == everyone - {"NCT99999901"}
    assert open_to("age=0.25") == {"NCT04604691"}
    assert open_to("age=18") == {"NCT00077493", "NCT02101853", "NCT99999902"}
    assert open_to("age=30.9") == {"NCT02101853"}
    assert open_to("age=31") == set()


def test_trials_open_to_over_the_whole_registry(registry_store: Path) -> None:
    infants = rows(registry_store, "trials-open-to", "age=0.5", "sex=female")
    assert 50 < len(infants) < 197
    assert "NCT04604691" in {r["trial"] for r in infants}
    assert "NCT02101853" not in {r["trial"] for r in infants}  # from 1 year


def test_criterion_text_search(registry_store: Path) -> None:
    found = rows(registry_store, "criterion-text-search", "phrase=Neutrophil")
    assert len({r["trial"] for r in found}) > 10
    assert all("neutrophil" in (r["text"] or "").lower() for r in found)
    nct04604691 = [r for r in found if r["trial"] == "NCT04604691"]
    assert [(r["criterion"], r["kind"]) for r in nct04604691] == [("I5", "inclusion")]
    pdq = [r for r in found if r["trial"] == "NCT00045422"]
    assert pdq and pdq[0]["section"] == "Hematopoietic" and pdq[0]["kind"] == "unstated"


def test_thresholds_of_every_trial_side_by_side(small_store: Path) -> None:
    found = rows(small_store, "data-element-thresholds")
    table = {(r["element"], r["trial"]): (r["criterion"], frozenset(r["thresholds"].split("; ")), r["trials"]) for r in found}  # GROUP_CONCAT has no order
    assert table[("ANC", "NCT04604691")] == ("I5", frozenset("ge 1 10*9/L; within 14 days".split("; ")), "2")
    assert table[("ANC", "NCT99999902")] == ("I2", frozenset("ge 0.75 10*9/L; within 7 days".split("; ")), "2")
    assert table[("age", "NCT04604691")] == ("I2, registered", frozenset("< 18 years".split("; ")), "5")
    assert table[("age", "NCT99999901")] == ("registered", frozenset("≥ 6 months; < 19 months".split("; ")), "5")
    assert table[("age", "NCT02101853")] == ("R1, registered", frozenset("≥ 1 years; < 31 years".split("; ")), "5")  # R1 is the model's registered age
    # The records of NCT00077493 and NCT02101853 come with blinakg's models of them (one trial each).
    assert table[("systemic chemotherapy", "NCT02101853")] == ("I4", frozenset("within 13 days".split("; ")), "3")
    assert all(int(r["trials"]) >= 2 for r in found)  # elements only one trial computes are left out
    assert {r["trial"] for r in rows(small_store, "data-element-thresholds", "element=ANC")} == {
        "NCT04604691", "NCT99999902"}


def test_registry_statistics(registry_store: Path) -> None:
    found = rows(registry_store, "registry-statistics")
    for dimension in ("phase", "status", "start decade"):
        assert sum(int(r["trials"] or 0) for r in found if r["dimension"] == dimension) == 197
    stats = {(r["dimension"], r["value"]): int(r["trials"] or 0) for r in found}
    assert stats[("phase", "Phase 1")] == 54 + 1  # 54 records, and NCT04604691
    assert stats[("start decade", "2010s")] > 0 and ("start decade", "not given") in stats
    only = rows(registry_store, "registry-statistics", "dimension=status")
    assert {r["dimension"] for r in only} == {"status"}


@pytest.mark.parametrize("name", REGISTRY_QUERIES)
def test_each_registry_query_runs_from_the_command_line(registry_store: Path, name: str) -> None:
    params = {"trials-sharing": ["--param", "trial=NCT02101853"], "criterion-text-search": ["--param", "phrase=CNS"],
              "trials-open-to": ["--param", "age=10"]}.get(name, [])
    code, out, err = run("query", name, *params, "--store", str(registry_store), "--format", "csv")
    assert code == 0, err
    assert len(out.splitlines()) > 2
