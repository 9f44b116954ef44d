"""The data elements issue 20.3 added (performance status, LVEF, shortening fraction,
oxygen saturation, WBC), from FHIR to a status: ``tests/elements/`` holds a synthetic
trial model reading each, a bulk export with a patient at each limit, just past it, coded
with a narrower published code or in another UCUM unit, unusable, and with nothing
recorded, and the statuses expected (``expected.json``). Both engines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from blinakg.cli import main

HERE = Path(__file__).parent / "elements"
EXPECTED = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))


def test_every_patient_and_element_has_an_expectation() -> None:
    assert len(EXPECTED["expect"]) == 5
    assert all(len(statuses) == 7 for statuses in EXPECTED["expect"].values())


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("elements") / "store"
    result = CliRunner().invoke(main, ["registry", "import", str(HERE / "model.ttl"), "--store", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


@pytest.mark.parametrize("engine", ["fast", "pyshacl"])
def test_each_element_gives_the_status_expected(store: Path, engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLINAKG_STORE", str(store))
    result = CliRunner().invoke(main, ["validate", str(HERE / "export.ndjson"), "--as-of", EXPECTED["as_of"],
                                       "--trial", EXPECTED["trial"], "--format", "json", "--jobs", "1",
                                       "--engine", engine])
    assert result.exit_code == 1, result.output
    got = {p["id"].rsplit("/", 1)[-1]: {c["id"]: (c["status"], c["explanation"]) for t in p["trials"]
                                         for c in t["criteria"]}
           for p in json.loads(result.stdout)["patients"]}
    assert {p: {c: s for c, (s, _) in criteria.items()} for p, criteria in got.items()} == EXPECTED["expect"]
    for patient, words in EXPECTED["explanation_contains"].items():
        for criterion, text in words.items():
            assert text in got[patient][criterion][1], got[patient][criterion][1]
