"""Issue 10, trial <-> trial: the catalogue queries over the computable trials."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from blinakg.cli import main
from blinakg.model import TRIALS_DIR

from .conftest import EXAMPLES


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def rows(*args: str) -> list[dict[str, str]]:
    code, out, err = run("query", *args, "--format", "csv")
    assert code == 0, err
    return list(csv.DictReader(io.StringIO(out)))


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("trials") / "report.ttl"
    code, _, err = run("validate", str(EXAMPLES), "--as-of", "2025-03-01", "--trial", "all", "--format", "turtle",
                       "--jobs", "1", "-o", str(out))
    assert code == 1, err
    return out


def test_thresholds_of_a_shared_data_element_side_by_side() -> None:
    found = rows("trial-thresholds", "--data", str(TRIALS_DIR), "-p", "element=creatinine clearance or pediatric eGFR")
    side_by_side = {(r["trial"], r["criterion"]): (r["passWhen"], r["threshold"], r["unit"]) for r in found}
    assert side_by_side == {
        ("NCT04604691", "I6"): ("ge", "50", "mL/min"),
        ("NCT00098839", "I11"): ("ge", "70", "mL/min"),
        ("NCT00382109", "I10"): ("ge", "70", "mL/min"),
        ("NCT01700946", "I8"): ("gt", "50", "mL/min"),
        ("NCT02101853", "I10"): ("ge", "70", "mL/min"),
    }
    elements = {r["element"] for r in rows("trial-thresholds", "--data", str(TRIALS_DIR))}
    assert {"ALT", "AST", "allogeneic HSCT", "Down syndrome", "HIV test", "pregnancy test"} <= elements


def test_the_trials_a_patient_meets(report: Path) -> None:
    found = rows("trial-matches", "--data", str(report), "-p", "patient=pat-017")
    verdicts = {r["trial"]: r["verdict"] for r in found}
    assert verdicts == {"NCT04604691": "ineligible", "NCT00077493": "indeterminate", "NCT00098839": "indeterminate",
                        # Issue 18: total bilirubin 9 umol/L is compared exactly with 2.5 mg/dL (I9), no longer unknown.
                        "NCT00382109": "eligible", "NCT01700946": "indeterminate", "NCT02101853": "indeterminate",
                        # Issue 18: NCT06607419's "any chemotherapy within 3 months" is review, not fail.
                        "NCT06607419": "eligible"}
    ours = next(r for r in found if r["trial"] == "NCT04604691")
    assert (ours["failed"], ours["unknown"], ours["review"]) == ("1", "0", "1")
    eligible = rows("trial-matches", "--data", str(report), "-p", "patient=pat-017", "-p", "verdict=eligible")
    assert [r["trial"] for r in eligible] == ["NCT00382109", "NCT06607419"]


def test_where_else_an_ineligible_patient_may_go_and_what_is_missing(report: Path) -> None:
    found = rows("trial-alternatives", "--data", str(report), "-p", "patient=pat-017", "-p", "ineligibleFor=NCT04604691")
    assert {r["trial"] for r in found} == {"NCT01700946", "NCT00077493", "NCT00098839", "NCT00382109", "NCT02101853",
                                           "NCT06607419"}
    missing = {(r["trial"], r["missing"]) for r in found if r["missing"]}
    assert ("NCT00098839", "I10") in missing  # albumin: no result within 14 days
    assert all(r["explanation"] for r in found if r["missing"])
    # No shortening fraction on record (issue 20.3 made it a data element): indeterminate.
    assert next(r for r in found if r["trial"] == "NCT01700946")["verdict"] == "indeterminate"
