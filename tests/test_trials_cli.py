"""`blinakg validate --trial` (issue 10; contract.md, "Several trials"), in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from blinakg.cli import main

from .conftest import EXAMPLES, ROOT

COMPUTABLE = ["NCT04604691", "NCT00077493", "NCT00098839", "NCT00382109", "NCT01700946", "NCT02101853", "NCT06607419"]
REGISTRY_ZIP = ROOT.parent / "shared" / "registry" / "ctgov-pediatric-acute-leukemia-2021-05-11.zip"


@pytest.fixture(autouse=True)
def no_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No registry store unless a test makes one (never the developer's .blinakg/store)."""
    store = tmp_path / "store"
    monkeypatch.setenv("BLINAKG_STORE", str(store))
    return store


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def _json(*args: str) -> dict:  # type: ignore[type-arg]
    code, out, err = run("validate", str(EXAMPLES), "--as-of", "2025-03-01", "--format", "json", "--jobs", "1", *args)
    assert code == 1, err
    return json.loads(out)  # type: ignore[no-any-return]


def test_trial_all_gives_the_several_trials_report() -> None:
    report = _json("--trial", "all")
    assert list(report) == ["as_of", "trials", "patients", "warnings"]
    assert report["as_of"] == "2025-03-01"
    assert [t["trial"] for t in report["trials"]] == COMPUTABLE
    assert all(t["computable"] is True and t["title"] for t in report["trials"])
    assert report["warnings"] == ["Observation/obs-9 is dated after 2025-03-01 and was ignored."]
    for patient in report["patients"]:
        assert list(patient) == ["id", "trials"]
        assert [t["trial"] for t in patient["trials"]] == COMPUTABLE
        for trial in patient["trials"]:
            assert list(trial) == ["trial", "verdict", "criteria"]
            assert trial["verdict"] in ("eligible", "ineligible", "indeterminate")
            for c in trial["criteria"]:
                assert list(c) == ["id", "kind", "status", "text", "explanation", "evidence", "next_step"]
                assert c["status"] in ("pass", "fail", "unknown", "review") and c["explanation"]
    sizes = {t["trial"]: len(t["criteria"]) for t in report["patients"][0]["trials"]}
    # R1 (issue 18): the registered age range, after the text's criteria, in the five trials that register one.
    assert sizes == {"NCT04604691": 20, "NCT00077493": 36, "NCT00098839": 36, "NCT00382109": 23, "NCT01700946": 15,
                     "NCT02101853": 29, "NCT06607419": 16}


def test_nct04604691_among_several_trials_is_todays_report() -> None:
    """Generated shapes, one load for every trial: the same criteria as the single-trial report."""
    single = _json()
    several = _json("--trial", "all")
    for alone, together in zip(single["patients"], several["patients"]):
        assert alone["id"] == together["id"]
        ours = together["trials"][0]
        assert ours["trial"] == "NCT04604691"
        assert ours["verdict"] == alone["verdict"]
        assert ours["criteria"] == alone["criteria"]


def test_trials_named_are_reported_in_the_order_named() -> None:
    report = _json("--trial", "nct01700946", "--trial", "NCT04604691", "--trial", "NCT01700946")
    assert [t["trial"] for t in report["trials"]] == ["NCT01700946", "NCT04604691"]
    assert [[t["trial"] for t in p["trials"]] for p in report["patients"]] == [["NCT01700946", "NCT04604691"]] * 3
    # I4 of ALLR18: age < 22 at enrollment, computed; D1-D2 concern the NK-cell donor: review.
    allr18 = report["patients"][0]["trials"][0]["criteria"]
    assert [c["id"] for c in allr18] == [f"I{i}" for i in range(1, 9)] + [f"E{i}" for i in range(1, 5)] + ["D1", "D2", "R1"]
    assert allr18[3]["status"] == "pass" and allr18[-2]["status"] == "review"


def test_text_shows_a_patient_by_trial_matrix() -> None:
    code, out, err = run("validate", str(EXAMPLES), "--as-of", "2025-03-01", "--trial", "all", "--jobs", "1")
    assert code == 1, err
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("patient "))
    assert header.split() == ["patient", *COMPUTABLE]
    row = next(line for line in lines if line.startswith("pat-017 "))
    assert row.split()[1:3] == ["ineligible", "(1/0/1)"]  # NCT04604691: E5 fails, E12 is review
    # No shortening fraction on record (issue 20.3 made it a data element).
    assert "NCT01700946: 0 eligible, 0 ineligible, 3 indeterminate" in out


def test_an_unknown_trial_is_a_usage_error() -> None:
    code, out, err = run("validate", str(EXAMPLES), "--trial", "NCT99999999")
    assert code == 2 and out == ""
    assert "NCT99999999" in err and "Traceback" not in err


def test_turtle_gives_a_verdict_per_trial_on_a_run_of_its_own() -> None:
    from rdflib import Graph
    from rdflib.namespace import RDF

    from blinakg.namespaces import BK

    code, out, err = run("validate", str(EXAMPLES), "--as-of", "2025-03-01", "--trial", "all", "--format", "turtle",
                         "--jobs", "1")
    assert code == 1, err
    graph = Graph().parse(data=out, format="turtle")
    results = list(graph.subjects(RDF.type, BK.PatientResult))
    assert len(results) == 3 * len(COMPUTABLE)
    assert all(graph.value(r, BK.trial) is not None and graph.value(r, BK.verdict) is not None for r in results)
    assert len(set(graph.subjects(RDF.type, BK.CriterionResult))) == 3 * (20 + 36 + 36 + 23 + 15 + 29 + 16)
    # Its own run, not the single-trial run of the same patients (tests/test_trials_store.py stores both).
    code, single, err = run("validate", str(EXAMPLES), "--as-of", "2025-03-01", "--format", "turtle", "--jobs", "1")
    assert code == 1, err
    alone = set(Graph().parse(data=single, format="turtle").subjects(RDF.type, BK.Screening))
    runs = set(graph.subjects(RDF.type, BK.Screening))
    assert len(runs) == 1 and len(alone) == 1 and runs != alone
    steps = [str(o) for o in graph.objects(None, BK.nextStep)]
    assert "ANC 800/µL on 2025-02-24; needs ≥ 1,000/µL." in steps  # as in the single-trial Turtle


def test_text_only_trials_of_the_registry_are_listed_not_computable(no_registry: Path) -> None:
    if not REGISTRY_ZIP.is_file():
        pytest.skip("the shared registry zip is not there")
    code, _, err = run("registry", "import", str(REGISTRY_ZIP), "--store", str(no_registry))
    assert code == 0, err
    report = _json("--trial", "all")
    computable = [t["trial"] for t in report["trials"] if t["computable"]]
    text_only = [t for t in report["trials"] if not t["computable"]]
    assert computable == COMPUTABLE
    assert len(text_only) == 197 - 6  # the registry's 197 trials, 6 of them computable here
    assert all(t["title"] for t in text_only)
    assert all(len(p["trials"]) == len(COMPUTABLE) for p in report["patients"])  # no verdict for text-only trials
    # Named explicitly, a text-only trial is bad usage (contract.md; issue 18.6): exit 2 naming it, nothing written.
    report_path = no_registry.parent / "report.json"
    code, out, err = run("validate", str(EXAMPLES), "--as-of", "2025-03-01", "--trial", "NCT02435849",
                         "--trial", "NCT04604691", "--jobs", "1", "-o", str(report_path))
    assert code == 2 and out == "" and not report_path.exists()
    assert "NCT02435849" in err and "not computable" in err and "draft a model" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_html_gives_the_patient_by_trial_page(tmp_path: Path) -> None:
    """The page itself is tested in tests/test_html.py; here the command line."""
    code, out, err = run("validate", str(EXAMPLES), "--as-of", "2025-03-01", "--trial", "all", "--format", "html",
                         "--jobs", "1")
    assert code == 1, err
    assert out.startswith("<!DOCTYPE html>") and f"Eligibility screening against {len(COMPUTABLE)} trials" in out
    assert all(f'<tr data-trial="{t}">' in out for t in COMPUTABLE)
