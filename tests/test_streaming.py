"""Bounded memory for big cohorts (issue 8, point 5): the first pass in stretches
shared between processes, and the JSON report streamed from spilled entries.
Neither may change a byte of the report."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from blinakg.cli import main
from blinakg.engine.screen import screen_paths
from blinakg.errors import InputError
from blinakg.model import load_model
from blinakg.readers import cohort as cohort_module
from blinakg.reports.render import render_json, render_trials_json
from blinakg.reports.stream import json_pieces, patient_entry, trials_patient_entry
from blinakg.trials import registry_trials, select

from .conftest import EXAMPLES

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
from cohort_export import generate  # noqa: E402

AS_OF = dt.date(2025, 3, 1)
HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def export_40(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export") / "bulk"
    generate(folder, 40, seed=3)
    return folder


@pytest.mark.parametrize("inputs", [[EXAMPLES], [HERE / "fhir" / "periods"], None], ids=["examples", "periods", "export"])
def test_streamed_json_is_byte_identical_to_the_whole_report(inputs: list[Path] | None, export_40: Path) -> None:
    paths = inputs or [export_40]
    whole = render_json(screen_paths(paths, AS_OF, jobs=1))
    streamed = screen_paths(paths, AS_OF, jobs=2, chunk_size=2, entry=patient_entry)
    assert streamed.patients == [] and streamed.spill is not None and streamed.patient_count > 0
    assert len(streamed.spill.files) > 1  # several chunks merged
    assert "".join(json_pieces(streamed, streamed.spill)) == whole
    streamed.spill.close()


def test_streamed_several_trial_json_is_byte_identical(export_40: Path) -> None:
    model = load_model(trials=True)
    catalogue = select(("all",), model, registry_trials(None))
    computable = [t["trial"] for t in catalogue if t["computable"]]
    whole = render_trials_json(screen_paths([export_40], AS_OF, model=model, jobs=1, trials=computable), catalogue)
    streamed = screen_paths([export_40], AS_OF, model=model, jobs=2, chunk_size=7, trials=computable,
                            entry=trials_patient_entry)
    assert streamed.spill is not None
    assert "".join(json_pieces(streamed, streamed.spill, catalogue)) == whole
    streamed.spill.close()


def test_an_empty_patient_list_keeps_the_json_shape() -> None:
    from blinakg.engine.results import Screening
    from blinakg.engine.spill import Spill

    spill = Spill()
    screening = Screening(as_of=AS_OF, patients=[], warnings=["w"])
    assert "".join(json_pieces(screening, spill)) == render_json(screening)
    spill.close()
    assert not spill.folder.exists()


def test_first_pass_in_stretches_gives_the_same_report(export_40: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    for source in export_40.iterdir():
        lines = source.read_text(encoding="utf-8").splitlines()
        for at in (len(lines) // 3, len(lines) - 2):  # lines warned about, by number, deep in the file
            lines.insert(at, '{"note": "not a resource"}')
        (tmp_path / source.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    whole = screen_paths([tmp_path, HERE / "fhir" / "periods"], AS_OF, jobs=1)
    monkeypatch.setattr(cohort_module, "RANGE_BYTES", 3000)  # many stretches a file, lines cut anywhere
    parts = cohort_module._ranges(0, tmp_path / "Observation.ndjson")
    assert len(parts) > 10 and all(b.start == a.end for a, b in zip(parts, parts[1:]))
    split = screen_paths([tmp_path, HERE / "fhir" / "periods"], AS_OF, jobs=2)
    assert render_json(split) == render_json(whole)
    numbered = [w for w in split.warnings if re.search(r"Observation\.ndjson:\d+: ", w)]
    assert len(numbered) == 2


def test_a_bad_line_in_a_later_stretch_is_named_by_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            export_40: Path) -> None:
    lines = (export_40 / "Observation.ndjson").read_text(encoding="utf-8").splitlines()
    bad = len(lines) - 3
    lines[bad - 1] = '{"resourceType": "Observation", "id": '  # truncated JSON on line `bad`
    (tmp_path / "Observation.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "Patient.ndjson").write_text((export_40 / "Patient.ndjson").read_text(encoding="utf-8"),
                                             encoding="utf-8")
    monkeypatch.setattr(cohort_module, "RANGE_BYTES", 5000)
    with pytest.raises(InputError) as caught:
        screen_paths([tmp_path], AS_OF, jobs=2)
    assert caught.value.path == str(tmp_path / "Observation.ndjson")
    assert caught.value.line == bad


def test_the_cli_streams_json_and_leaves_no_spill_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         export_40: Path) -> None:
    spills = tmp_path / "tmp"
    spills.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spills))
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["validate", str(export_40), "--as-of", "2025-03-01", "--format", "json",
                                       "--chunk-size", "9", "--jobs", "2", "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert len(json.loads(out.read_text(encoding="utf-8"))["patients"]) == 40
    assert list(spills.iterdir()) == []
