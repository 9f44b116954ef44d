"""Drafting computable trials from the registered text (issue 20; contract.md, "Drafting").

* ``tests/cases/drafting/<case>/case.json``: a criterion's text and kind (from
  the records of ``../shared/registry/`` or written) and the checks it must
  draft, exactly (kinds, spans, elements and codes, comparators, limits,
  windows, notes) — every pattern, and every case where the drafter must not
  guess (permissions, donors, concurrent therapy, judgement, conditions,
  narrower kinds, footnotes, units it cannot read).
* every one of the registry's 6,011 criteria drafts without an error, in time,
  with valid spans; fuzzed text never breaks the drafter;
* ``blinakg registry draft`` end to end: JSON, Turtle that ``registry import
  --replace`` accepts, and ``validate --trial`` screening the drafted trial,
  marked ``"drafted": true``; bad usage exits 2 with nothing written.
"""

from __future__ import annotations

import json
import shutil
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blinakg.cli import main
from blinakg.drafting.compose import Check, calendar_span, read_criterion
from blinakg.drafting.draft import draft_trial
from blinakg.drafting.patterns import PATTERN_DIR, load_patterns
from blinakg.drafting.pipeline import load_pipeline
from blinakg.drafting.source import CriterionText, TrialText, from_records
from blinakg.drafting.terminology import value_sets
from blinakg.errors import InputError

from .conftest import ROOT

CASES = sorted((ROOT / "tests" / "cases" / "drafting").glob("*/case.json"))
REGISTRY = ROOT.parent / "shared" / "registry"
DATA = ROOT / "tests" / "registry" / "data"
CASE_COUNT = 88


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_number_of_cases() -> None:
    assert len(CASES) == CASE_COUNT


@pytest.mark.parametrize("path", CASES, ids=[p.parent.name for p in CASES])
def test_case(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    drafted = [c.as_json() for c in read_criterion(load_pipeline(), case["text"], case["kind"])]
    assert drafted == case["checks"], json.dumps(drafted, ensure_ascii=False, indent=1)


def _computable(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for check in checks:
        if check["kind"] == "any-of":
            found.extend(_computable(check["checks"]))
        elif check["kind"] != "review":
            found.append(check)
    return found


def test_must_not_guess_cases_draft_no_check_that_can_fail() -> None:
    """The 'guess-' cases: nothing computable that could fail the patient — review, or a record that
    only sends the criterion to the investigator."""
    guesses = [p for p in CASES if p.parent.name.startswith("guess-")]
    assert len(guesses) == 24
    for path in guesses:
        case = json.loads(path.read_text(encoding="utf-8"))
        for check in _computable(case["checks"]):
            assert check["kind"] == "record-presence" and check["present_means"] == "review", path.parent.name


def test_spans_quote_the_words_read() -> None:
    for path in CASES:
        case = json.loads(path.read_text(encoding="utf-8"))
        for check in case["checks"] + [c for k in case["checks"] if k["kind"] == "any-of" for c in k["checks"]]:
            start, end = check["span"]
            assert 0 <= start < end <= len(case["text"]), path.parent.name
            assert case["text"][start:end].strip() == case["text"][start:end], path.parent.name


def test_calendar_months_as_the_authored_models_read_them() -> None:
    """docs/trials/README.md: 4 months is 120 to 123 days, 3 months 89 to 92, 1 month 28 to 31."""
    assert calendar_span(4) == (120, 123)
    assert calendar_span(3) == (89, 92)
    assert calendar_span(1) == (28, 31)
    assert calendar_span(12) == (365, 366)


def test_lexicon_names_only_value_sets_of_the_terminology() -> None:
    known = value_sets()
    for element in load_patterns().elements.values():
        for name in element.value_sets + ((element.fallback_value_set,) if element.fallback_value_set else ()):
            assert name in known, f"{element.id}: no value set {name}"
        if element.test:
            assert all(name in known for name in element.test["value_sets"]), element.id
    assert known["total-bilirubin"].codes == ("http://loinc.org|14631-6", "http://loinc.org|1975-2")
    assert known["anc"].canonical_unit == "10*9/L"


def test_value_sets_for_drafted_models_are_named_by_the_lexicon() -> None:
    """bk:forDraftedModels exempts a value set from the orphan check: only one the lexicon reads."""
    from blinakg.model import load_model
    from blinakg.namespaces import BK

    model = load_model(trials=True)
    marked = {str(s).rsplit("/", 1)[-1] for s in model.subjects(BK.forDraftedModels, None)}
    named = {name for element in load_patterns().elements.values() for name in element.value_sets}
    assert marked and marked <= named


def test_a_broken_pattern_file_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "patterns"
    shutil.copytree(PATTERN_DIR, folder)
    (folder / "comparators.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(InputError, match="comparators.json"):
        load_patterns(folder)
    shutil.copy(PATTERN_DIR / "comparators.json", folder / "comparators.json")
    elements = json.loads((folder / "elements.json").read_text(encoding="utf-8"))
    elements["elements"][0]["kind"] = "guess"
    (folder / "elements.json").write_text(json.dumps(elements), encoding="utf-8")
    with pytest.raises(InputError, match="kind 'guess'"):
        load_patterns(folder)


def test_neighbouring_criteria_qualify_each_other() -> None:
    """'Creatinine normal for age OR' + 'Creatinine clearance ≥ 60 mL/min' (BL22): neither can fail alone;
    a nested 'Unless due to Gilbert syndrome' softens its parent."""
    trial = TrialText(nct="NCT00000000", title=None, criteria=[
        CriterionText("I1", "inclusion", "Creatinine normal for age OR", 1),
        CriterionText("I2", "inclusion", "Creatinine clearance ≥ 60 mL/min", 2),
        CriterionText("I3", "inclusion", "Total bilirubin < 1.5 x ULN", 3),
        CriterionText("I3.1", "inclusion", "Unless due to Gilbert syndrome", 4),
        CriterionText("I4", "inclusion", "Hemoglobin ≥ 8 g/dL", 5)])
    drafted = {c.id: [k.as_json() for k in checks] for c, checks in draft_trial(trial)}
    assert [k["kind"] for k in drafted["I1"]] == ["any-of"]
    assert [k["kind"] for k in drafted["I2"]] == ["review"]
    assert [k["kind"] for k in drafted["I3"]] == ["any-of"]
    assert drafted["I3"][0]["checks"][1]["kind"] == "review"
    assert [k["kind"] for k in drafted["I4"]] == ["latest-result"]


@pytest.fixture(scope="module")
def registry_trials() -> list[TrialText]:
    if not REGISTRY.is_dir():
        pytest.skip(f"{REGISTRY} is not there (the shared specification folder)")
    return from_records([REGISTRY])


def _spans(check: Check, text: str) -> None:
    assert 0 <= check.span[0] < check.span[1] <= len(text), (check.as_json(), text)
    for inner in check.fields.get("checks", []) if check.kind == "any-of" else []:
        _spans(inner, text)


def test_every_registered_criterion_drafts(registry_trials: list[TrialText]) -> None:
    """All 6,011 criteria of the 196 records: no error, at least one check each, valid spans, codes as
    system|code, JSON-serialisable; within a minute (the benchmark measures ~10-20 s)."""
    drafting = load_pipeline()
    started = time.perf_counter()
    criteria = 0
    for trial in registry_trials:
        for criterion, checks in draft_trial(trial, drafting):
            criteria += 1
            assert checks, criterion.text
            for check in checks:
                _spans(check, criterion.text)
                body = check.as_json()
                json.dumps(body)
                for code in body.get("element", {}).get("codes", []):
                    system, _, value = code.partition("|")
                    assert system.startswith("http") and value, code
    assert criteria == 6011
    assert time.perf_counter() - started < 60


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                             ".,;:()[]/^%<>=≥≤×x*-–'\"μµ\n\t")), max_size=160),
       st.sampled_from(["inclusion", "exclusion", "unclassified"]))
def test_fuzzed_text_never_breaks_the_drafter(text: str, kind: str) -> None:
    for check in read_criterion(load_pipeline(), text, kind):
        _spans(check, text)
        json.dumps(check.as_json())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["ANC", "≥", "1,000", "/mm^3", "or", "no", "prior", "chemotherapy", "at least",
                                 "7", "days", "since", "x", "ULN", "age", "<", "22", "years", "unless", "(", ")",
                                 "platelets", "within", "4", "weeks", "HIV", "negative", "allowed", ";", ":"]),
                max_size=24),
       st.sampled_from(["inclusion", "exclusion"]))
def test_fuzzed_criterion_words_never_break_the_drafter(words: list[str], kind: str) -> None:
    text = " ".join(words)
    for check in read_criterion(load_pipeline(), text, kind):
        _spans(check, text)


# ------------------------------------------------------------------------------------------ the command

@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with two records: NCT99999901 (no authored model) and NCT00077493 (BL22, authored)."""
    store = tmp_path_factory.mktemp("drafting") / "store"
    code, _, err = run("registry", "import", str(DATA / "v2" / "NCT99999901.json"),
                       str(DATA / "xml" / "NCT00077493.xml"), "--store", str(store))
    assert code == 0, err
    return store


def test_draft_json(small_store: Path) -> None:
    code, out, err = run("registry", "draft", "NCT99999901", "--store", str(small_store))
    assert code == 0, err
    document = json.loads(out)
    [trial] = document["drafts"]
    assert trial["trial"] == "NCT99999901"
    by_id = {c["id"]: c for c in trial["criteria"]}
    assert by_id["I1"]["checks"][0]["kind"] == "age"
    assert by_id["I1"]["checks"][0]["min_age"] == {"value": 6, "unit": "month"}
    anc = [c for c in trial["criteria"] if c["text"].startswith("Absolute neutrophil")][0]
    assert anc["checks"][0]["threshold"] == 0.5 and anc["checks"][0]["unit"] == "10*9/L"
    blinatumomab = [c for c in trial["criteria"] if "blinatumomab" in c["text"]][0]
    assert blinatumomab["kind"] == "exclusion"
    assert blinatumomab["checks"][0]["present_means"] == "fail"


def test_draft_turtle_import_and_screen(small_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "NCT99999901.ttl"
    code, _, err = run("registry", "draft", "NCT99999901", "--store", str(small_store), "--format", "turtle",
                       "--output", str(model))
    assert code == 0, err
    text = model.read_text(encoding="utf-8")
    assert "prov:wasGeneratedBy" in text and "bk:spanStart" in text and "bk:LatestResultCheck" in text
    store = tmp_path / "store"
    shutil.copytree(small_store, store)
    code, _, err = run("registry", "import", str(model), "--store", str(store))
    # A model over a text-only record is one trial (issue 18.5): the record becomes its registration.
    assert code == 0 and "1 replaced" in err, err
    code, _, err = run("registry", "import", str(model), "--store", str(store), "--replace")
    assert code == 0, err
    code, out, _ = run("registry", "list", "--store", str(store), "--format", "json")
    listed = {t["trial"]: t for t in json.loads(out)}
    assert listed["NCT99999901"]["computable"] is True
    monkeypatch.setenv("BLINAKG_STORE", str(store))
    report_path = tmp_path / "report.json"
    code, _, err = run("validate", str(ROOT / "examples" / "patients"), "--as-of", "2025-03-01",
                       "--trial", "NCT99999901", "--trial", "NCT00077493", "--format", "json",
                       "--output", str(report_path))
    assert code in (0, 1), err
    report = json.loads(report_path.read_text(encoding="utf-8"))
    trials = {t["trial"]: t for t in report["trials"]}
    assert trials["NCT99999901"]["drafted"] is True
    assert trials["NCT00077493"]["drafted"] is False  # the authored model wins
    entry = report["patients"][0]["trials"][0]
    assert entry["trial"] == "NCT99999901" and entry["verdict"]


def test_draft_all_skips_authored_models_and_zips_turtle(small_store: Path, tmp_path: Path) -> None:
    archive = tmp_path / "drafts.zip"
    code, _, err = run("registry", "draft", "--all", "--store", str(small_store), "--format", "turtle",
                       "--output", str(archive))
    assert code == 0, err
    assert "NCT00077493" in err  # authored: not drafted
    with zipfile.ZipFile(archive) as opened:
        assert sorted(opened.namelist()) == ["NCT99999901.ttl"]


@pytest.mark.parametrize("args, message", [
    ((), "name trials"),
    (("NCT99999901", "--all"), "name trials"),
    (("NCT12345678",), "not in the registry"),
])
def test_draft_bad_usage(small_store: Path, args: tuple[str, ...], message: str) -> None:
    code, out, err = run("registry", "draft", *args, "--store", str(small_store))
    assert code == 2 and message in err and not out


def test_draft_several_turtle_models_need_a_zip(small_store: Path, tmp_path: Path) -> None:
    target = tmp_path / "two.ttl"
    code, _, err = run("registry", "draft", "NCT99999901", "NCT00077493", "--store", str(small_store),
                       "--format", "turtle", "--output", str(target))
    assert code == 2 and ".zip" in err and not target.exists()


def test_draft_without_a_store(tmp_path: Path) -> None:
    code, _, err = run("registry", "draft", "--all", "--store", str(tmp_path / "none"))
    assert code == 2 and "registry import" in err


def test_turtle_model_states_what_the_engine_reads() -> None:
    """An any-of without a declared any-of class is the authored fallback (statusIfFail Review); an age in
    days is review; calendar windows give a fail and a review record check; the trial-definition shapes
    accept the model (what 'registry import' checks)."""
    from rdflib import Graph, Literal, Namespace, URIRef
    from rdflib.namespace import DCTERMS, PROV, RDF

    from blinakg.drafting.turtle import drafter_iri, trial_model
    from blinakg.model import load_model
    from blinakg.registry.models import builtin_terminology, model_entry

    bk = Namespace("https://w3id.org/blinakg/ontology#")
    nct = "NCT00000001"
    trial_node = URIRef(f"https://w3id.org/blinakg/trial/{nct}")
    graph = Graph()
    graph.add((trial_node, RDF.type, bk.ClinicalTrial))
    graph.add((trial_node, DCTERMS.identifier, Literal(nct)))
    graph.add((trial_node, DCTERMS.title, Literal("A drafted trial", lang="en")))
    texts = [("I1", "inclusion", "Age ≥ 365 days"),
             ("I2", "inclusion", "Serum creatinine ≤ 1.5 mg/dL or creatinine clearance ≥ 60 mL/min"),
             ("I3", "inclusion", "At least 3 months since prior allogeneic HSCT"),
             ("E1", "exclusion", "Known HIV infection")]
    criteria = []
    for order, (cid, kind, text) in enumerate(texts, start=1):
        node = URIRef(f"{trial_node}/{cid}")
        graph.add((trial_node, bk.criterion, node))
        graph.add((node, RDF.type, bk.InclusionCriterion if kind == "inclusion" else bk.ExclusionCriterion))
        graph.add((node, bk.criterionId, Literal(cid)))
        graph.add((node, bk.order, Literal(order)))
        graph.add((node, bk.verbatimText, Literal(text)))
        criteria.append(CriterionText(cid, kind, text, order))
    trial = TrialText(nct=nct, title=None, criteria=criteria, graph=graph)
    model = trial_model(trial, draft_trial(trial))
    assert (trial_node, PROV.wasGeneratedBy, drafter_iri()) in model
    checks = {str(c): c for c in model.objects(None, bk.check)}
    kinds = {cid: sorted(str(t).rsplit("#", 1)[-1] for c in model.objects(URIRef(f"{trial_node}/{cid}"), bk.check)
                         for t in model.objects(c, RDF.type) if str(t).startswith(str(bk)))
             for cid, _, _ in texts}
    assert kinds["I1"] == ["InvestigatorJudgementCheck"]
    # "A or B" (I2) is one any-of check with both alternatives (the model declares bk:AnyOfCheck).
    assert kinds["I2"] == ["AnyOfCheck"]
    any_of = next(iter(model.objects(URIRef(f"{trial_node}/I2"), bk.check)))
    assert len(list(model.objects(any_of, bk.alternative))) == 2
    windows = sorted(int(w) for c in model.objects(URIRef(f"{trial_node}/I3"), bk.check)
                     for w in model.objects(c, bk.windowDays))
    assert windows == [88, 91]
    assert all(model.value(c, bk.spanStart) is not None for c in checks.values())
    built = load_model()
    entry = model_entry(model, "drafted.ttl", built, builtin_terminology(built, set()))
    assert entry.nct == nct
